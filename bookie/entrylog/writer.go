package entrylog

import (
	"bufio"
	"fmt"
	"os"
)

// Writer appends to one new log. It is used by one goroutine at a time; what it wrote
// may be indexed only after Sync returns.
type Writer struct {
	id   uint64
	path string
	f    *os.File
	bw   *bufio.Writer
	size int64
	rec  []byte // encoding buffer, reused
}

// ID is the log's id.
func (w *Writer) ID() uint64 { return w.id }

// Size is the log's length including buffered records.
func (w *Writer) Size() int64 { return w.size }

// Append buffers a record and returns where it will be.
func (w *Writer) Append(ledgerID, entryID int64, data []byte) (Location, error) {
	w.rec = appendRecord(w.rec[:0], ledgerID, entryID, data)
	loc := Location{LogID: w.id, Offset: w.size, Size: uint32(len(w.rec))}
	if _, err := w.bw.Write(w.rec); err != nil {
		return Location{}, fmt.Errorf("entrylog: append to log %d: %w", w.id, err)
	}
	w.size += int64(len(w.rec))
	if cap(w.rec) > 1<<20 {
		w.rec = nil // do not pin one huge entry's buffer
	}
	return loc, nil
}

// Sync writes the buffered records and fsyncs the file.
func (w *Writer) Sync() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("entrylog: write log %d: %w", w.id, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("entrylog: sync log %d: %w", w.id, err)
	}
	return nil
}

// Close syncs and closes the log; it stays readable through Logs.
func (w *Writer) Close() error {
	err := w.Sync()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("entrylog: close log %d: %w", w.id, cerr)
	}
	return err
}
