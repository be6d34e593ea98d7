package broker

import (
	"testing"
	"time"

	"github.com/magnetar/magnetar/resources"
)

func TestPublishLimiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name  string
		rate  *resources.PublishRate
		sends []struct {
			at      time.Duration
			n, size int
		}
		waits []time.Duration
	}{
		{
			name: "no policy", rate: nil,
			sends: []struct {
				at      time.Duration
				n, size int
			}{{0, 1000, 1 << 20}},
			waits: []time.Duration{0},
		},
		{
			// 10 msg/s: a full bucket takes 10, the 11th overdraws by one (0.1 s), and a
			// second later the bucket has refilled what the wait paid back.
			name: "messages", rate: &resources.PublishRate{PublishThrottlingRateInMsg: 10, PublishThrottlingRateInByte: -1},
			sends: []struct {
				at      time.Duration
				n, size int
			}{{0, 10, 0}, {0, 1, 0}, {100 * time.Millisecond, 5, 0}, {2 * time.Second, 1, 0}},
			waits: []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond, 0},
		},
		{
			// 1000 B/s: a 3000-byte batch leaves a 2 s debt.
			name: "bytes", rate: &resources.PublishRate{PublishThrottlingRateInMsg: 0, PublishThrottlingRateInByte: 1000},
			sends: []struct {
				at      time.Duration
				n, size int
			}{{0, 1, 3000}, {2 * time.Second, 1, 500}},
			waits: []time.Duration{2 * time.Second, 500 * time.Millisecond},
		},
		{
			name: "the stricter of both", rate: &resources.PublishRate{PublishThrottlingRateInMsg: 100, PublishThrottlingRateInByte: 1000},
			sends: []struct {
				at      time.Duration
				n, size int
			}{{0, 50, 2000}},
			waits: []time.Duration{time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l publishLimiter
			var limited int64
			for i, s := range tt.sends {
				got := l.take(tt.rate, s.n, s.size, t0.Add(s.at))
				if d := got - tt.waits[i]; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("send %d: wait %v, want %v", i, got, tt.waits[i])
				}
				if got > 0 {
					limited++
				}
			}
			if l.limitedTimes() != limited {
				t.Errorf("limited times %d, want %d", l.limitedTimes(), limited)
			}
		})
	}
}
