package perf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"
)

// ConsumeOptions configures a consume run.
type ConsumeOptions struct {
	ServiceURL   string // default pulsar://localhost:6650
	Topic        string // required
	Subscription string // default "perf-sub"
	Type         pulsar.SubscriptionType
	Earliest     bool          // start from the earliest message instead of the latest
	Messages     int64         // stop after this many (0 = no limit)
	Duration     time.Duration // stop after this long (0 = no limit)
	QueueSize    int           // receiver queue size, default 1000
}

// ConsumeResult is what a consume run measured. Latency is end to end: from the
// message's publish time (set by the producer) to its receipt here.
type ConsumeResult struct {
	Messages  int64
	Bytes     int64
	Elapsed   time.Duration
	Latency   *hdrhistogram.Histogram // microseconds
	MsgPerSec float64
	MBPerSec  float64
}

func (r ConsumeResult) String() string {
	return fmt.Sprintf("%d msgs in %.2fs: %.0f msg/s, %.1f MB/s; end-to-end latency ms p50 %.3f p99 %.3f max %.3f",
		r.Messages, r.Elapsed.Seconds(), r.MsgPerSec, r.MBPerSec,
		ms(r.Latency, 50), ms(r.Latency, 99), float64(r.Latency.Max())/1000)
}

// Consume receives and acknowledges messages, measuring throughput and latency.
func Consume(ctx context.Context, o ConsumeOptions) (ConsumeResult, error) {
	if o.Topic == "" {
		return ConsumeResult{}, errors.New("perf: a topic is required")
	}
	if o.Messages == 0 && o.Duration == 0 {
		return ConsumeResult{}, errors.New("perf: set a number of messages or a duration")
	}
	if o.ServiceURL == "" {
		o.ServiceURL = "pulsar://localhost:6650"
	}
	if o.Subscription == "" {
		o.Subscription = "perf-sub"
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: o.ServiceURL, Logger: log.DefaultNopLogger()})
	if err != nil {
		return ConsumeResult{}, fmt.Errorf("perf: connect %s: %w", o.ServiceURL, err)
	}
	defer client.Close()
	pos := pulsar.SubscriptionPositionLatest
	if o.Earliest {
		pos = pulsar.SubscriptionPositionEarliest
	}
	c, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic: o.Topic, SubscriptionName: o.Subscription, Type: o.Type,
		SubscriptionInitialPosition: pos, ReceiverQueueSize: o.QueueSize,
	})
	if err != nil {
		return ConsumeResult{}, fmt.Errorf("perf: subscribe %s: %w", o.Topic, err)
	}
	defer c.Close()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	r := ConsumeResult{Latency: hdrhistogram.New(1, 600_000_000, 3)}
	start := time.Now()
	for o.Messages == 0 || r.Messages < o.Messages {
		m, err := c.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return r, fmt.Errorf("perf: receive: %w", err)
		}
		_ = r.Latency.RecordValue(max(time.Since(m.PublishTime()).Microseconds(), 1))
		r.Messages++
		r.Bytes += int64(len(m.Payload()))
		_ = c.Ack(m)
	}
	r.Elapsed = time.Since(start)
	r.MsgPerSec = float64(r.Messages) / r.Elapsed.Seconds()
	r.MBPerSec = float64(r.Bytes) / r.Elapsed.Seconds() / 1e6
	return r, nil
}
