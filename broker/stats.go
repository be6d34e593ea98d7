package broker

import (
	"sync/atomic"
	"time"
)

// brokerStats are broker-wide counters for /metrics.
type brokerStats struct {
	connections    atomic.Int64 // connections that completed the handshake (total)
	publishedMsgs  atomic.Int64
	publishedBytes atomic.Int64
	publishCount   atomic.Int64 // entries
	publishNanos   atomic.Int64 // sum of publish latencies
}

func (s *brokerStats) published(msgs, bytes int, latency time.Duration) {
	s.publishedMsgs.Add(int64(msgs))
	s.publishedBytes.Add(int64(bytes))
	s.publishCount.Add(1)
	s.publishNanos.Add(int64(latency))
}
