// Package appendfile writes the bookie's append-only files (journal segments, entry
// logs) with direct I/O where the file system allows it. A buffered write copies every
// byte into the page cache, though the bookie does not read its files back soon (the
// journal only on replay, entry logs mostly through its own caches): on a busy bookie that
// copy, into ever new pages, costs more CPU than the rest of the add path together, and the
// pages crowd out the ones worth keeping. Writing from an aligned buffer skips both.
//
// Direct I/O wants offsets, lengths and memory aligned to the device's blocks, so a File
// buffers appends and writes whole blocks: a flush pads the last, partial block with
// zeros and keeps it in the buffer; the next flush writes that block again, completed.
// The bytes rewritten are the ones already on disk, so a torn rewrite cannot change
// them, and the zeros after the data read as the end of the records in both formats.
package appendfile

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// Align is the block size writes are aligned to: the logical block size of common
// devices (512 B or 4 KiB) divides it.
const Align = 4096

// File is a file opened for appending. It is used by one goroutine at a time.
type File struct {
	f      *os.File
	direct bool   // opened with O_DIRECT and it has not been refused
	buf    []byte // Align-aligned; buf[:n] are the file's bytes from base on
	n      int
	base   int64 // a multiple of Align
	// written is how much of buf[:n] is in the file (the rewritten partial block).
	written int
	bufSize int    // the buffer's size when it is not holding one large record
	mem     []byte // the memory mapping buf lives in; nil when buf is on the Go heap
}

// Create creates path, which must not exist, with a buffer of bufSize bytes (rounded up
// to Align); appends beyond it grow the buffer until the next Flush.
func Create(path string, bufSize int) (*File, error) {
	f, direct, err := openDirect(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return newFile(f, direct, bufSize), nil
}

// Overwrite opens the existing file path to be written again from its start, keeping
// its blocks: overwriting blocks a file already has changes no metadata, so an
// fdatasync flushes only the data (a recycled journal segment).
func Overwrite(path string, bufSize int) (*File, error) {
	f, direct, err := openDirect(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return newFile(f, direct, bufSize), nil
}

func newFile(f *os.File, direct bool, bufSize int) *File {
	a := &File{f: f, direct: direct, bufSize: alignUp(max(bufSize, Align))}
	a.resize(a.bufSize)
	return a
}

// resize replaces the buffer by one of size bytes holding the same buf[:n]. A buffer of
// a huge page or more is mapped apart from the Go heap and backed by huge pages where
// the kernel can (see mapBuf): a direct write pins every page of the buffer it writes
// from and hands the device one segment per physically contiguous run, so with 4 KiB
// pages a 4 MiB write costs a thousand pins and several requests, with 2 MiB pages two.
func (a *File) resize(size int) {
	nb, mem := mapBuf(size)
	if nb == nil {
		nb = alignedBuf(size)
	}
	copy(nb, a.buf[:a.n])
	unmapBuf(a.mem)
	a.buf, a.mem = nb, mem
}

// Direct reports whether writes bypass the page cache.
func (a *File) Direct() bool { return a.direct }

// Offset is the file's length including buffered appends.
func (a *File) Offset() int64 { return a.base + int64(a.n) }

// Buffered is the number of appended bytes not yet written.
func (a *File) Buffered() int { return a.n - a.written }

// Available is how many bytes Next can return without growing the buffer.
func (a *File) Available() int { return len(a.buf) - a.n }

// Next returns the next k bytes of the file, to be filled by the caller before the next
// call, growing the buffer if they do not fit.
func (a *File) Next(k int) []byte {
	if a.n+k > len(a.buf) {
		a.resize(alignUp(max(a.n+k, 2*len(a.buf))))
	}
	b := a.buf[a.n : a.n+k : a.n+k]
	a.n += k
	return b
}

// Append appends p.
func (a *File) Append(p []byte) { copy(a.Next(len(p)), p) }

// Flush writes the buffered bytes (not syncing them); the last partial block is padded
// with zeros on disk and stays in the buffer.
func (a *File) Flush() error {
	if a.n == a.written {
		return nil
	}
	end := alignUp(a.n)
	clear(a.buf[a.n:end])
	if err := a.writeAt(a.buf[:end], a.base); err != nil {
		return err
	}
	full := alignDown(a.n)
	tail := copy(a.buf, a.buf[full:a.n])
	a.base += int64(full)
	a.n, a.written = tail, tail
	if len(a.buf) > 2*a.bufSize { // do not pin the buffer a huge record grew
		a.resize(a.bufSize)
	}
	return nil
}

// Sync flushes and makes the file's data (and its length) durable with fdatasync.
func (a *File) Sync() error {
	if err := a.Flush(); err != nil {
		return err
	}
	if err := datasync(a.f); err != nil {
		return fmt.Errorf("appendfile: fdatasync %s: %w", a.f.Name(), err)
	}
	return nil
}

// Truncate flushes and cuts the file after the appended bytes: the padding of the last
// block goes, and so does whatever an overwritten file held beyond them.
func (a *File) Truncate() error {
	if err := a.Flush(); err != nil {
		return err
	}
	if err := a.f.Truncate(a.Offset()); err != nil {
		return fmt.Errorf("appendfile: truncate %s: %w", a.f.Name(), err)
	}
	return nil
}

// Close syncs and closes the file and frees its buffer; the File is not used after.
// The file keeps the padding of its last block (see Truncate).
func (a *File) Close() error {
	err := a.Sync()
	if cerr := a.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("appendfile: close %s: %w", a.f.Name(), cerr)
	}
	unmapBuf(a.mem)
	a.buf, a.mem, a.n, a.written = nil, nil, 0, 0
	return err
}

// writeAt writes b at off; a direct write the file system refuses (an alignment it
// wants larger than Align) is retried buffered, and the file stays buffered.
func (a *File) writeAt(b []byte, off int64) error {
	_, err := a.f.WriteAt(b, off)
	if err != nil && a.direct && errors.Is(err, errInvalid) {
		if derr := disableDirect(a.f); derr == nil {
			a.direct = false
			_, err = a.f.WriteAt(b, off)
		}
	}
	if err != nil {
		return fmt.Errorf("appendfile: write %s at %d: %w", a.f.Name(), off, err)
	}
	return nil
}

func alignUp(n int) int   { return (n + Align - 1) &^ (Align - 1) }
func alignDown(n int) int { return n &^ (Align - 1) }

// alignedBuf returns n bytes starting at an Align boundary.
func alignedBuf(n int) []byte {
	b := make([]byte, n+Align)
	skip := (Align - int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))&(Align-1))) & (Align - 1)
	return b[skip : skip+n : skip+n]
}
