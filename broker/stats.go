package broker

import (
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/metrics"
)

// brokerStats are broker-wide counters for /metrics.
type brokerStats struct {
	connections    atomic.Int64 // connections that completed the handshake (total)
	publishedMsgs  atomic.Int64
	publishedBytes atomic.Int64
	publishLatency metrics.LatencyWindow // per entry, received to stored
}

func (s *brokerStats) published(msgs, bytes int, latency time.Duration) {
	s.publishedMsgs.Add(int64(msgs))
	s.publishedBytes.Add(int64(bytes))
	s.publishLatency.Record(latency)
}
