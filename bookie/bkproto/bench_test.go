package bkproto

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
)

// BenchmarkAddOverTCP measures 1 KiB adds over one connection from 256 concurrent
// adders (each waits for its ack): protocol, server and journal group commit together.
//
//	go test ./bookie/bkproto -run XXX -bench AddOverTCP -benchtime 3s
func BenchmarkAddOverTCP(b *testing.B) {
	const adders = 256
	addr := startBookieB(b)
	c, err := DialClient(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 1024)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start := time.Now()
	for a := range adders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			cb := func(err error) { done <- err }
			for e := int64(0); next.Add(1) <= int64(b.N); e++ {
				c.AddEntry(&bookie.AddRequest{LedgerID: int64(a), EntryID: e, LastAddConfirmed: e - 1, MasterKey: key, Data: data}, cb)
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

// startBookieB is startBookie for a benchmark.
func startBookieB(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	bk, err := bookie.Open(bookie.Config{ID: ln.Addr().String(), JournalDir: dir + "/journal", LedgerDirs: []string{dir + "/ledgers"}})
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer(bk)
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		bk.Close()
	})
	return ln.Addr().String()
}
