package entrylog

import (
	"fmt"

	"github.com/magnetar/magnetar/bookie/appendfile"
)

// writeBufferSize is how much a Writer buffers before writing. A direct write occupies
// the device until it completes, and a journal write that shares the disk waits behind
// it: with 4 MiB writes a flush at 180 MB/s raised the p99 of a 128 KiB journal write
// plus fdatasync from 0.2 ms to 2.1 ms on the development VM, with 256 KiB writes to
// 0.35 ms, while 256 KiB direct writes still run at over 1 GB/s there.
const writeBufferSize = 256 << 10

// Writer appends to one new log, with direct I/O where the file system allows it (see
// package appendfile): a flush writes the entries once, not into the page cache first.
// It is used by one goroutine at a time; what it wrote may be indexed only after Sync
// returns.
type Writer struct {
	id   uint64
	path string
	a    *appendfile.File
}

// ID is the log's id.
func (w *Writer) ID() uint64 { return w.id }

// Size is the log's length including buffered records.
func (w *Writer) Size() int64 { return w.a.Offset() }

// Append buffers a record of the entry hdr+data (hdr may be empty), given dataCRC, the
// CRC-32C of data, and returns where it will be.
func (w *Writer) Append(ledgerID, entryID int64, hdr, data []byte, dataCRC uint32) (Location, error) {
	size := RecordOverhead + len(hdr) + len(data)
	if size > w.a.Available() && w.a.Buffered() > 0 { // write first rather than grow the buffer
		if err := w.a.Flush(); err != nil {
			return Location{}, fmt.Errorf("entrylog: append to log %d: %w", w.id, err)
		}
	}
	loc := Location{LogID: w.id, Offset: w.a.Offset(), Size: uint32(size)}
	putRecord(w.a.Next(size), ledgerID, entryID, hdr, data, dataCRC)
	if w.a.Buffered() >= writeBufferSize {
		if err := w.a.Flush(); err != nil {
			return Location{}, fmt.Errorf("entrylog: append to log %d: %w", w.id, err)
		}
	}
	return loc, nil
}

// Sync writes the buffered records and makes them durable.
func (w *Writer) Sync() error {
	if err := w.a.Sync(); err != nil {
		return fmt.Errorf("entrylog: sync log %d: %w", w.id, err)
	}
	return nil
}

// Close syncs and closes the log, cut to its records; it stays readable through Logs.
func (w *Writer) Close() error {
	err := w.a.Truncate()
	if cerr := w.a.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entrylog: close log %d: %w", w.id, err)
	}
	return nil
}
