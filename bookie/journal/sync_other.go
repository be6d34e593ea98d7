//go:build !linux

package journal

import "os"

// datasync flushes a file to disk (fsync; fdatasync is Linux-only here).
func datasync(f *os.File) error { return f.Sync() }
