package ledger

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkLedgerWrite appends 1 KiB entries to an E=3, Qw=2, Qa=2 ledger over three
// local bookies with up to 1000 appends in flight, as a busy topic's managed ledger does;
// standalone-128KiB appends 128 KiB entries (a producer's full batch) to an E=Qw=Qa=1
// ledger on one in-process bookie with 16 in flight, as the standalone broker does.
func BenchmarkLedgerWrite(b *testing.B) {
	b.Run("inprocess", func(b *testing.B) {
		benchWrite(b, startCluster(b, "/r1", "/r2", "/r3").directClient(), opts323, 1<<10, 1000)
	})
	b.Run("tcp", func(b *testing.B) {
		benchWrite(b, startTCPCluster(b, "/r1", "/r2", "/r3").directClient(), opts323, 1<<10, 1000)
	})
	b.Run("standalone-128KiB", func(b *testing.B) {
		opts := CreateOptions{EnsembleSize: 1, WriteQuorum: 1, AckQuorum: 1, Password: []byte("pw")}
		benchWrite(b, startCluster(b, "/r1").directClient(), opts, 128<<10, 16)
	})
}

func benchWrite(b *testing.B, cl *Client, opts CreateOptions, size, inflight int) {
	ctx := context.Background()
	w, err := cl.Create(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	sem := make(chan struct{}, inflight)
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
