package appendfile

import (
	"errors"
	"fmt"
	"os"

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
