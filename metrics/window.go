package metrics

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SummaryQuantiles are those of Pulsar's and BookKeeper's latency summaries
// (pulsar_broker_publish_latency, bookie_journal_JOURNAL_ADD_ENTRY, ...).
var SummaryQuantiles = []float64{0, 0.5, 0.95, 0.99, 0.999, 0.9999, 1}

// LatencyWindow is a latency summary that forgets: quantiles cover the last one to two
// minutes, as the JVM summaries age out old samples, while the count and sum are totals.
// Samples go to the current histogram, which becomes the previous one every minute, and
// quantiles merge both. Safe for concurrent use; a Record costs one uncontended lock.
type LatencyWindow struct {
	mu        sync.Mutex
	cur, prev *hdrhistogram.Histogram
	rotated   time.Time
	count     int64
	sum       time.Duration
}

// LatencyWindowSpan is how long a histogram takes samples before it becomes the previous one.
const LatencyWindowSpan = time.Minute

func newMicrosHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 2)
}

// Record adds one sample.
func (w *LatencyWindow) Record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	now := time.Now()
	w.mu.Lock()
	w.rotateLocked(now)
	_ = w.cur.RecordValue(us)
	w.count++
	w.sum += d
	w.mu.Unlock()
}

func (w *LatencyWindow) rotateLocked(now time.Time) {
	if w.cur == nil {
		w.cur, w.prev, w.rotated = newMicrosHistogram(), newMicrosHistogram(), now
		return
	}
	age := now.Sub(w.rotated)
	if age < LatencyWindowSpan {
		return
	}
	w.prev.Reset()
	if age < 2*LatencyWindowSpan { // else nothing was recorded for a whole window: both are stale
		w.prev.Merge(w.cur)
	}
	w.cur.Reset()
	w.rotated = now
}

// Summary is a LatencyWindow read at one moment.
type Summary struct {
	QuantilesMs map[float64]float64 // at SummaryQuantiles; nil when the window is empty
	Count       int64               // samples ever recorded
	SumMs       float64             // their total, ms
}

// Summary returns the window's quantiles and the totals as of now.
func (w *LatencyWindow) Summary(now time.Time) Summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Summary{Count: w.count, SumMs: float64(w.sum) / float64(time.Millisecond)}
	if w.cur == nil {
		return s
	}
	w.rotateLocked(now)
	h := newMicrosHistogram()
	h.Merge(w.prev)
	h.Merge(w.cur)
	if h.TotalCount() == 0 {
		return s
	}
	s.QuantilesMs = make(map[float64]float64, len(SummaryQuantiles))
	for _, q := range SummaryQuantiles {
		var us int64
		switch q {
		case 0:
			us = h.Min()
		case 1:
			us = h.Max()
		default:
			us = h.ValueAtQuantile(q * 100)
		}
		s.QuantilesMs[q] = float64(us) / 1000
	}
	return s
}
