package broker

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// brokerStats are broker-wide counters for /metrics.
type brokerStats struct {
	connections    atomic.Int64 // connections that completed the handshake (total)
	publishedMsgs  atomic.Int64
	publishedBytes atomic.Int64
	publishCount   atomic.Int64 // entries
	publishNanos   atomic.Int64 // sum of publish latencies
	publishLatency latencyWindow
}

func (s *brokerStats) published(msgs, bytes int, latency time.Duration) {
	s.publishedMsgs.Add(int64(msgs))
	s.publishedBytes.Add(int64(bytes))
	s.publishCount.Add(1)
	s.publishNanos.Add(int64(latency))
	s.publishLatency.record(latency)
}

// summaryQuantiles are those of Pulsar's pulsar_broker_publish_latency summary.
var summaryQuantiles = []float64{0, 0.5, 0.95, 0.99, 0.999, 0.9999, 1}

// latencyWindow keeps publish latencies (microseconds) of the last one to two minutes, as
// Pulsar's summary ages out old samples: samples go to the current histogram, which
// becomes the previous one every minute, and quantiles merge both.
type latencyWindow struct {
	mu        sync.Mutex
	cur, prev *hdrhistogram.Histogram
	rotated   time.Time
}

const latencyWindowSpan = time.Minute

func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 2)
}

func (w *latencyWindow) record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	now := time.Now()
	w.mu.Lock()
	w.rotateLocked(now)
	_ = w.cur.RecordValue(us)
	w.mu.Unlock()
}

func (w *latencyWindow) rotateLocked(now time.Time) {
	if w.cur == nil {
		w.cur, w.prev, w.rotated = newLatencyHistogram(), newLatencyHistogram(), now
		return
	}
	if now.Sub(w.rotated) < latencyWindowSpan {
		return
	}
	if now.Sub(w.rotated) >= 2*latencyWindowSpan {
		w.prev.Reset() // nothing recorded for over a window: both are stale
	} else {
		w.prev.Reset()
		w.prev.Merge(w.cur)
	}
	w.cur.Reset()
	w.rotated = now
}

// quantilesMs returns the window's latency at summaryQuantiles in milliseconds, or nil
// when nothing was published in the window.
func (w *latencyWindow) quantilesMs(now time.Time) map[float64]float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return nil
	}
	w.rotateLocked(now)
	h := newLatencyHistogram()
	h.Merge(w.prev)
	h.Merge(w.cur)
	if h.TotalCount() == 0 {
		return nil
	}
	out := make(map[float64]float64, len(summaryQuantiles))
	for _, q := range summaryQuantiles {
		var us int64
		switch q {
		case 0:
			us = h.Min()
		case 1:
			us = h.Max()
		default:
			us = h.ValueAtQuantile(q * 100)
		}
		out[q] = float64(us) / 1000
	}
	return out
}
