package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// BenchmarkProduceThreeBookies measures ledger write throughput end to end: 1 KiB
// messages from the official Go client through one broker to three bookie processes on
// loopback, E=3, Qw=2, Qa=2 (each message is acknowledged once two bookies have fsynced
// it). It reports msg/s and MB/s of acknowledged payload, without batching (one message
// per entry) and with the client's default batching.
func BenchmarkProduceThreeBookies(b *testing.B) {
	url := startMetadata(b, etcdKind)
	store := openStore(b, url)
	for range 3 {
		startBookie(b, store, url, "")
	}
	broker := startBroker(b, url, quorum(3, 2, 2))
	client := newClient(b, broker.serviceURL(), nil)
	for _, batching := range []bool{false, true} {
		b.Run(fmt.Sprintf("batching=%v", batching), func(b *testing.B) {
			produceBench(b, client, batching)
		})
	}
}

var benchTopics atomic.Int64

func produceBench(b *testing.B, client pulsar.Client, batching bool) {
	const size = 1024
	topic := fmt.Sprintf("persistent://public/default/bench-%d", benchTopics.Add(1))
	p, err := client.CreateProducer(pulsar.ProducerOptions{
		Topic:              topic,
		DisableBatching:    !batching,
		MaxPendingMessages: 2000,
		SendTimeout:        30 * time.Second,
	})
	if err != nil {
		b.Fatalf("create producer: %v", err)
	}
	defer p.Close()
	// One message first: the topic is created and its ledger opened outside the timing.
	if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: payload(0, size)}); err != nil {
		b.Fatalf("first send: %v", err)
	}
	msg := &pulsar.ProducerMessage{Payload: payload(1, size)}
	var wg sync.WaitGroup
	var failures atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		wg.Add(1)
		p.SendAsync(context.Background(), msg, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			if err != nil && failures.Add(1) == 1 {
				firstErr.Store(err)
			}
			wg.Done()
		})
	}
	if err := p.FlushWithCtx(context.Background()); err != nil {
		b.Fatalf("flush: %v", err)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d sends failed, first: %v", n, b.N, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed, "msg/s")
	b.ReportMetric(float64(b.N)*size/elapsed/1e6, "MB/s")
}
