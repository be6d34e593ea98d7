package journal

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie/appendfile"
	"github.com/magnetar/magnetar/bookie/crc32c"
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

	rawRate := rawSyncRate(b, filepath.Join(dir, "raw"), entrySize, time.Second)

	j, err := Open(Options{Dir: filepath.Join(dir, "journal")}, Position{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	data := make([]byte, entrySize)
	crc := crc32c.Checksum(data)
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
				j.Add(Entry{LedgerID: int64(a), EntryID: e, LastAddConfirmed: e - 1, Data: data, DataCRC: crc}, cb)
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

// BenchmarkRawSync measures the disk under the journal's directory (TMPDIR) as the
// journal uses it: sequential appends of one size, each followed by an fdatasync,
// written the way the journal writes (package appendfile). Its MB/s is the fsynced
// sequential write rate a publish benchmark is compared with.
//
//	TMPDIR=/data/dir go test ./bookie/journal -run XXX -bench RawSync
func BenchmarkRawSync(b *testing.B) {
	for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			a, err := appendfile.Create(filepath.Join(b.TempDir(), "raw"), size)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			buf := make([]byte, size)
			for i := range buf {
				buf[i] = byte(i)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				a.Append(buf)
				if err := a.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// rawSyncRate appends size bytes to a new file and fdatasyncs after each append, for d;
// it returns syncs per second.
func rawSyncRate(b *testing.B, path string, size int, d time.Duration) float64 {
	b.Helper()
	a, err := appendfile.Create(path, size)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		a.Append(buf)
		if err := a.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}
