package perf

import (
	"syscall"
	"time"
)

// sleepShort blocks the thread in nanosleep, which keeps to the microsecond where a Go
// timer wakes up to a millisecond late.
func sleepShort(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
