package journal

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes a file's data (and the metadata needed to read it back) to disk;
// fdatasync skips the timestamps fsync would also write.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
