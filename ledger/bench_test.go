package ledger

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkLedgerWrite appends 1 KiB entries to an E=3, Qw=2, Qa=2 ledger over three
// local bookies with up to 1000 appends in flight, as a busy topic's managed ledger does.
func BenchmarkLedgerWrite(b *testing.B) {
	b.Run("inprocess", func(b *testing.B) {
		benchWrite(b, startCluster(b, "/r1", "/r2", "/r3").directClient())
	})
	b.Run("tcp", func(b *testing.B) {
		benchWrite(b, startTCPCluster(b, "/r1", "/r2", "/r3").directClient())
	})
}

func benchWrite(b *testing.B, cl *Client) {
	ctx := context.Background()
	w, err := cl.Create(ctx, opts323)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1024)
	sem := make(chan struct{}, 1000)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	cb := func(_ int64, err error) {
		if err != nil {
			mu.Lock()
			failed = err
			mu.Unlock()
		}
		<-sem
		wg.Done()
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		sem <- struct{}{}
		wg.Add(1)
		w.Append(data, cb)
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if failed != nil {
		b.Fatal(failed)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "entries/s")
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
