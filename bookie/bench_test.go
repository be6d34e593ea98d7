package bookie

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAddEntry measures in-process adds from concurrent adders (each waits for its
// ack), with the write cache flushing in the background: 1 KiB entries from 256 adders
// show the per-entry cost, 128 KiB entries (a producer's full batch, as the broker
// stores it) from 16 adders the per-byte cost of the journal and entry log writes.
//
//	go test ./bookie -run XXX -bench AddEntry -benchtime 3s
func BenchmarkAddEntry(b *testing.B) {
	for _, c := range []struct{ size, adders int }{{1 << 10, 256}, {128 << 10, 16}} {
		b.Run(fmt.Sprintf("%dKiB", c.size>>10), func(b *testing.B) { benchAdd(b, c.size, c.adders) })
	}
}

func benchAdd(b *testing.B, size, adders int) {
	dir := b.TempDir()
	bk, err := Open(Config{ID: "bench:3181", JournalDir: dir + "/journal", LedgerDirs: []string{dir + "/ledgers"}, GCInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer bk.Close()
	data := make([]byte, size)
	c := bk.LocalClient()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for a := range adders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			cb := func(err error) { done <- err }
			req := &AddRequest{LedgerID: int64(a), MasterKey: []byte("k"), Data: data}
			for e := int64(0); next.Add(1) <= int64(b.N); e++ {
				req.EntryID, req.LastAddConfirmed = e, e-1
				c.AddEntry(req, cb)
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "adds/s")
}
