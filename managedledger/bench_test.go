package managedledger_test

import (
	"bytes"
	"sync"
	"testing"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

// BenchmarkAddEntry measures AddEntry throughput on one in-process bookie (journal
// fsync per group commit): 1 KiB entries with 1 or 1000 adds outstanding, as a broker
// with one or many producers would have, and 128 KiB entries (a producer's full batch)
// with 16 outstanding, the standalone publish path below the broker.
func BenchmarkAddEntry(b *testing.B) {
	for _, c := range []struct {
		name           string
		size, inflight int
	}{{"sync", 1 << 10, 1}, {"pipelined", 1 << 10, 1000}, {"pipelined-128KiB", 128 << 10, 16}} {
		b.Run(c.name, func(b *testing.B) {
			s := mltest.NewStack(b, b.TempDir(), 1)
			m := openML(b, s, "public/default/persistent/bench", ml.Config{})
			data := bytes.Repeat([]byte("m"), c.size)
			sem := make(chan struct{}, c.inflight)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var firstErr error
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				sem <- struct{}{}
				wg.Add(1)
				m.AddEntry(data, func(_ ml.Position, err error) {
					if err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
					<-sem
					wg.Done()
				})
			}
			wg.Wait()
			b.StopTimer()
			if firstErr != nil {
				b.Fatal(firstErr)
			}
		})
	}
}
