//go:build !linux

package perf

import "time"

func sleepShort(d time.Duration) { time.Sleep(d) }
