package appendfile

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

var errInvalid = unix.EINVAL

// openDirect opens path with O_DIRECT, or without it where the file system refuses it
// (EINVAL, e.g. an old tmpfs).
func openDirect(path string, flag int, perm os.FileMode) (*os.File, bool, error) {
	f, err := os.OpenFile(path, flag|unix.O_DIRECT, perm)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return nil, false, fmt.Errorf("appendfile: create %s: %w", path, err)
	}
	if f, err = os.OpenFile(path, flag, perm); err != nil {
		return nil, false, fmt.Errorf("appendfile: create %s: %w", path, err)
	}
	return f, false, nil
}

// disableDirect turns O_DIRECT off on an open file.
func disableDirect(f *os.File) error {
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_DIRECT)
	return err
}

// hugePage is the size of a transparent huge page on the platforms Magnetar runs on.
const hugePage = 2 << 20

// mapBuf returns size bytes (a multiple of Align) of a private anonymous mapping,
// aligned to a huge page and advised to be backed by huge pages, and the mapping to
// give unmapBuf; nil if size is below a huge page or the mapping fails (the caller then
// takes Go heap memory).
func mapBuf(size int) (buf, mem []byte) {
	if size < hugePage {
		return nil, nil
	}
	mem, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil
	}
	skip := (hugePage - int(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))&(hugePage-1)) & (hugePage - 1)
	buf = mem[skip : skip+size : skip+size]
	_ = unix.Madvise(buf, unix.MADV_HUGEPAGE) // advice: without it, 4 KiB pages still work
	return buf, mem
}

// unmapBuf releases a mapping of mapBuf (nil: nothing).
func unmapBuf(mem []byte) {
	if mem != nil {
		_ = unix.Munmap(mem)
	}
}

// datasync flushes a file's data and the metadata needed to read it back (its length),
// not its timestamps.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
