//go:build !linux

package appendfile

import (
	"errors"
	"fmt"
	"os"
)

// errInvalid is never returned here: writes are buffered from the start.
var errInvalid = errors.New("appendfile: unused")

// openDirect opens path buffered: direct I/O is only used on Linux.
func openDirect(path string, flag int, perm os.FileMode) (*os.File, bool, error) {
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, false, fmt.Errorf("appendfile: create %s: %w", path, err)
	}
	return f, false, nil
}

func disableDirect(*os.File) error { return nil }

const hugePage = 2 << 20

// mapBuf is not used here: buffers come from the Go heap.
func mapBuf(int) (buf, mem []byte) { return nil, nil }

func unmapBuf([]byte) {}

func datasync(f *os.File) error { return f.Sync() }
