package broker

import (
	"sync"
	"time"

	"github.com/magnetar/magnetar/resources"
)

// publishLimiter throttles a topic's producers to its publish-rate policy (messages and
// bytes per second; 0 or less is unlimited), as Pulsar's publish rate limiter does: a
// SEND already read is always accepted, but when it takes the topic past its rate the
// connection stops reading until the rate allows more. It is a token bucket holding at
// most one second of either rate, and it may go into debt by the SEND that overdraws it.
type publishLimiter struct {
	mu          sync.Mutex
	msgs, bytes float64 // tokens; below 0 is debt
	last        time.Time
	limited     int64 // SENDs that had to wait: publishRateLimitedTimes
}

// take charges one SEND of n messages and size bytes against rate and returns how long
// its connection should wait before reading the next frame (0: no wait).
func (l *publishLimiter) take(rate *resources.PublishRate, n, size int, now time.Time) time.Duration {
	if rate == nil || (rate.PublishThrottlingRateInMsg <= 0 && rate.PublishThrottlingRateInByte <= 0) {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	elapsed := now.Sub(l.last).Seconds()
	if l.last.IsZero() {
		elapsed = 1 // a new bucket is full
	}
	l.last = now
	var wait float64
	if r := float64(rate.PublishThrottlingRateInMsg); r > 0 {
		l.msgs = min(l.msgs+elapsed*r, r) - float64(n)
		if l.msgs < 0 {
			wait = -l.msgs / r
		}
	}
	if r := float64(rate.PublishThrottlingRateInByte); r > 0 {
		l.bytes = min(l.bytes+elapsed*r, r) - float64(size)
		if l.bytes < 0 {
			wait = max(wait, -l.bytes/r)
		}
	}
	if wait <= 0 {
		return 0
	}
	l.limited++
	return time.Duration(wait * float64(time.Second))
}

func (l *publishLimiter) limitedTimes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limited
}
