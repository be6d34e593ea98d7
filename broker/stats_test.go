package broker

import (
	"context"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestPublishLatencyMetrics publishes with the official client and checks what /metrics
// reports of it: the broker's publish latency summary and the topic's write latency and
// entry size buckets.
func TestPublishLatencyMetrics(t *testing.T) {
	tb := startBroker(t, nil)
	c := tb.client(t)
	topic := "persistent://public/default/latency-metrics"
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 40
	for range n {
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: make([]byte, 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	s := tb.MetricsSnapshot()
	if s.PublishCount != n {
		t.Errorf("publish count %d, want %d", s.PublishCount, n)
	}
	q := s.PublishLatencyMs
	if q == nil || q[0.5] <= 0 || q[0.99] < q[0.5] || q[1] < q[0.99] {
		t.Errorf("publish latency quantiles %v: want 0 < p50 <= p99 <= max", q)
	}
	var found bool
	for _, m := range s.Topics {
		if m.Name != topic {
			continue
		}
		found = true
		if m.WriteLatency.Count != n || m.WriteLatency.Sum <= 0 {
			t.Errorf("write latency buckets: %d samples summing %v ms, want %d samples > 0 ms", m.WriteLatency.Count, m.WriteLatency.Sum, n)
		}
		var bucketed int64
		for _, c := range m.WriteLatency.Counts {
			bucketed += c
		}
		if bucketed != n {
			t.Errorf("write latency buckets hold %d samples, want %d", bucketed, n)
		}
		if m.EntrySize.Count != n || m.EntrySize.Sum < n*1000 {
			t.Errorf("entry size buckets: %d entries of %v bytes, want %d of >= %d", m.EntrySize.Count, m.EntrySize.Sum, n, n*1000)
		}
	}
	if !found {
		t.Fatalf("topic %s not in the metrics snapshot", topic)
	}
	// The buckets cover the interval since the previous scrape, as Pulsar's cover one stats interval.
	for _, m := range tb.MetricsSnapshot().Topics {
		if m.Name == topic && m.WriteLatency.Count != 0 {
			t.Errorf("second scrape: %d write latency samples, want 0 (new interval)", m.WriteLatency.Count)
		}
	}
}
