package journal

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkJournal measures, in one run and on one disk, (a) the raw rate of
// write-1KiB-then-fdatasync and (b) journal adds of 1 KiB entries from many concurrent
// adders, each waiting for its ack before the next add (as producers do). The ratio
// shows what group commit buys over one fsync per entry.
//
//	go test ./bookie/journal -run XXX -bench Journal -benchtime 3s
func BenchmarkJournal(b *testing.B) {
	const entrySize = 1 << 10
	const adders = 256
	dir := b.TempDir()

	rawRate := rawFsyncRate(b, filepath.Join(dir, "raw"), entrySize, time.Second)

	j, err := Open(Options{Dir: filepath.Join(dir, "journal")}, Position{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	data := make([]byte, entrySize)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(entrySize)
	b.ResetTimer()
	start := time.Now()
	for a := range adders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			cb := func(err error) { done <- err }
			for {
				e := next.Add(1) - 1
				if e >= int64(b.N) {
					return
				}
				j.Add(int64(a), e, e-1, data, cb)
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	st := j.Stats()
	addRate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(addRate, "adds/s")
	b.ReportMetric(rawRate, "raw_fsyncs/s")
	b.ReportMetric(addRate/rawRate, "x_raw")
	b.ReportMetric(float64(st.Records)/float64(max(st.Rounds, 1)), "adds/fsync")
}

// rawFsyncRate writes size bytes at increasing offsets of a zero-filled file and
// fdatasyncs after each write, for d; it returns syncs per second.
func rawFsyncRate(b *testing.B, path string, size int, d time.Duration) float64 {
	b.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const fileSize = 64 << 20
	for off := int64(0); off < fileSize; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		off := int64(n*size) % fileSize
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		if err := datasync(f); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}
