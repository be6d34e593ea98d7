package managedledger_test

import (
	"bytes"
	"sync"
	"testing"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

// BenchmarkAddEntry measures AddEntry throughput of 1 KiB entries on one in-process
// bookie (journal fsync per group commit), with up to `inflight` adds outstanding as a
// broker with many producers would have.
func BenchmarkAddEntry(b *testing.B) {
	for _, inflight := range []int{1, 1000} {
		b.Run(map[int]string{1: "sync", 1000: "pipelined"}[inflight], func(b *testing.B) {
			s := mltest.NewStack(b, b.TempDir(), 1)
			m := openML(b, s, "public/default/persistent/bench", ml.Config{})
			data := bytes.Repeat([]byte("m"), 1024)
			sem := make(chan struct{}, inflight)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var firstErr error
			b.SetBytes(int64(len(data)))
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
