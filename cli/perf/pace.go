package perf

import (
	"context"
	"time"
)

// pacer spreads sends evenly at a rate, as pulsar-perf's rate limiter does per message.
// Message k is due at start + k*per. Go's timers wake about a millisecond late on
// Linux, which would turn the schedule into a burst every millisecond: at 180k msg/s a
// burst fills one 128 KiB batch and leaves the rest waiting for the batch timer, a
// latency the producer would not see under even load. So short waits use sleepShort
// (nanosleep on Linux, about 80 µs late) and only long ones a timer.
type pacer struct {
	per time.Duration
	due time.Time
}

func newPacer(rate, producers int) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{per: time.Second * time.Duration(producers) / time.Duration(rate), due: time.Now()}
}

// paceSlack is how far ahead of the schedule a sender may run before it waits: small
// enough for bursts of a few dozen messages, large enough to wait rarely.
const paceSlack = 100 * time.Microsecond

// wait returns when the next message is due, or false if ctx ends first.
func (p *pacer) wait(ctx context.Context) bool {
	if p == nil {
		return ctx.Err() == nil
	}
	p.due = p.due.Add(p.per)
	for {
		d := time.Until(p.due)
		switch {
		case d <= paceSlack:
			return ctx.Err() == nil
		case d < 5*time.Millisecond:
			sleepShort(d) // may return early (a signal interrupts nanosleep): look again
		default:
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false
			}
		}
	}
}
