package perf

import (
	"context"
	"testing"
	"time"
)

// TestPacerKeepsToSchedule: sends never run more than paceSlack ahead of an even
// schedule, so the rate asked is never exceeded and bursts stay short.
func TestPacerKeepsToSchedule(t *testing.T) {
	tests := []struct {
		rate, producers int
	}{
		{20_000, 1}, // 50 µs apart: waits in nanosleep
		{40_000, 4}, // 100 µs apart per producer
		{500, 1},    // 2 ms apart: waits in nanosleep, longer
		{100, 1},    // 10 ms apart: waits on a timer
	}
	for _, tt := range tests {
		p := newPacer(tt.rate, tt.producers)
		start := p.due
		const span = 150 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), span)
		n := 0
		for p.wait(ctx) {
			n++
			due := start.Add(time.Duration(n) * p.per)
			if ahead := time.Until(due); ahead > paceSlack {
				t.Fatalf("rate %d/%d: message %d sent %v ahead of its time (slack %v)", tt.rate, tt.producers, n, ahead, paceSlack)
			}
		}
		elapsed := time.Since(start)
		cancel()
		perProducer := float64(tt.rate) / float64(tt.producers) * span.Seconds()
		if most := float64(elapsed/p.per) + float64(paceSlack/p.per) + 1; float64(n) > most {
			t.Errorf("rate %d/%d: %d sends in %v, want at most %.0f", tt.rate, tt.producers, n, elapsed, most)
		}
		if float64(n) < perProducer/2 {
			t.Errorf("rate %d/%d: only %d sends in %v, want about %.0f", tt.rate, tt.producers, n, span, perProducer)
		}
	}
	if p := newPacer(0, 1); p != nil || !p.wait(context.Background()) {
		t.Error("rate 0: want no pacer, and wait to go on at once")
	}
}
