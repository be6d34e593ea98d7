package metrics

import (
	"testing"
	"time"
)

func TestLatencyWindowSummary(t *testing.T) {
	var w LatencyWindow
	now := time.Now()
	if s := w.Summary(now); s.QuantilesMs != nil || s.Count != 0 {
		t.Fatalf("empty window: %+v, want no quantiles and no samples", s)
	}
	for i := 1; i <= 1000; i++ { // 1 ms .. 1000 ms
		w.Record(time.Duration(i) * time.Millisecond)
	}
	s := w.Summary(time.Now())
	if s.Count != 1000 || s.SumMs != 500500 {
		t.Errorf("count %d sum %v ms, want 1000 and 500500", s.Count, s.SumMs)
	}
	tests := []struct {
		q, want float64
	}{
		{0, 1}, {0.5, 500}, {0.95, 950}, {0.99, 990}, {1, 1000},
	}
	for _, tt := range tests {
		if got := s.QuantilesMs[tt.q]; got < tt.want*0.98 || got > tt.want*1.02 {
			t.Errorf("quantile %v = %v ms, want about %v", tt.q, got, tt.want)
		}
	}
	// One window later the samples are still reported (previous minute); three later
	// not, while the totals stay.
	if s := w.Summary(time.Now().Add(LatencyWindowSpan + time.Second)); s.QuantilesMs[0.5] < 490 {
		t.Errorf("after one window: p50 %v, want the previous minute's samples", s.QuantilesMs[0.5])
	}
	s = w.Summary(time.Now().Add(3*LatencyWindowSpan + time.Second))
	if s.QuantilesMs != nil || s.Count != 1000 {
		t.Errorf("after three windows: %+v, want no quantiles and count 1000", s)
	}
}
