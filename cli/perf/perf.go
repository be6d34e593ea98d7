// Package perf is `magnetar perf`: a throughput and latency benchmark that drives a broker
// through the official Pulsar Go client, so its figures are what a Pulsar user would see.
package perf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"
)

// ProduceOptions configures a produce run. Zero values take the defaults noted.
type ProduceOptions struct {
	ServiceURL  string        // default pulsar://localhost:6650
	Topic       string        // required
	Size        int           // message size in bytes, default 1024
	Rate        int           // messages per second over all producers; 0 = as fast as possible
	Messages    int64         // stop after this many (0 = no limit)
	Duration    time.Duration // stop after this long (0 = no limit; then Messages must be set)
	Producers   int           // default 1
	MaxPending  int           // per producer, default 1000
	NoBatching  bool
	BatchDelay  time.Duration // default 1ms
	BatchMax    uint          // messages per batch, default 1000
	BatchBytes  uint          // bytes per batch, default 128 KiB
	Compression pulsar.CompressionType
	// Report, when set, receives a line every ReportEvery (default 10s).
	Report      io.Writer
	ReportEvery time.Duration
}

// Result is what a run measured. Latencies are publish latencies: from SendAsync to the
// broker's receipt (which means the entry is fsynced on the ack quorum).
type Result struct {
	Messages  int64
	Errors    int64
	Bytes     int64
	Elapsed   time.Duration
	Latency   *hdrhistogram.Histogram // microseconds
	MsgPerSec float64
	MBPerSec  float64
}

// String formats a result the way the CLI prints it.
func (r Result) String() string {
	return fmt.Sprintf("%d msgs in %.2fs: %.0f msg/s, %.1f MB/s, errors %d; latency ms p50 %.3f p95 %.3f p99 %.3f p99.9 %.3f max %.3f",
		r.Messages, r.Elapsed.Seconds(), r.MsgPerSec, r.MBPerSec, r.Errors,
		ms(r.Latency, 50), ms(r.Latency, 95), ms(r.Latency, 99), ms(r.Latency, 99.9), float64(r.Latency.Max())/1000)
}

func ms(h *hdrhistogram.Histogram, q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }

// WriteDistribution writes a latency histogram's percentile distribution in the layout of
// HdrHistogram's outputPercentileDistribution (value in ms, percentile, count), which
// pulsar-perf's --histogram-file also uses and HdrHistogram's plotter reads.
func WriteDistribution(w io.Writer, h *hdrhistogram.Histogram) error {
	if _, err := fmt.Fprintf(w, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)"); err != nil {
		return err
	}
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		q := b.Quantile / 100
		inv := "inf"
		if q < 1 {
			inv = fmt.Sprintf("%.2f", 1/(1-q))
		}
		if _, err := fmt.Fprintf(w, "%12.3f %14.12f %10d %14s\n", float64(b.ValueAt)/1000, q, b.Count, inv); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "#[Mean = %.3f, StdDeviation = %.3f]\n#[Max = %.3f, TotalCount = %d]\n",
		h.Mean()/1000, h.StdDev()/1000, float64(h.Max())/1000, h.TotalCount())
	return err
}

func (o *ProduceOptions) defaults() error {
	if o.Topic == "" {
		return errors.New("perf: a topic is required")
	}
	if o.Messages == 0 && o.Duration == 0 {
		return errors.New("perf: set a number of messages or a duration")
	}
	if o.ServiceURL == "" {
		o.ServiceURL = "pulsar://localhost:6650"
	}
	if o.Size <= 0 {
		o.Size = 1024
	}
	if o.Producers <= 0 {
		o.Producers = 1
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 1000
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = time.Millisecond
	}
	if o.BatchMax == 0 {
		o.BatchMax = 1000
	}
	if o.BatchBytes == 0 {
		o.BatchBytes = 128 << 10
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = 10 * time.Second
	}
	return nil
}

// Produce publishes messages and measures throughput and publish latency.
func Produce(ctx context.Context, o ProduceOptions) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: o.ServiceURL, Logger: log.DefaultNopLogger()})
	if err != nil {
		return Result{}, fmt.Errorf("perf: connect %s: %w", o.ServiceURL, err)
	}
	defer client.Close()

	producers := make([]pulsar.Producer, o.Producers)
	for i := range producers {
		p, err := client.CreateProducer(pulsar.ProducerOptions{
			Topic:                   o.Topic,
			MaxPendingMessages:      o.MaxPending,
			DisableBatching:         o.NoBatching,
			BatchingMaxPublishDelay: o.BatchDelay,
			BatchingMaxMessages:     o.BatchMax,
			BatchingMaxSize:         o.BatchBytes,
			CompressionType:         o.Compression,
			SendTimeout:             -1,
		})
		if err != nil {
			return Result{}, fmt.Errorf("perf: create producer on %s: %w", o.Topic, err)
		}
		defer p.Close()
		producers[i] = p
	}

	var (
		sent, acked, failed atomic.Int64
		mu                  sync.Mutex
		hist                = hdrhistogram.New(1, 60_000_000, 3)
		interval            = hdrhistogram.New(1, 60_000_000, 3)
		wg                  sync.WaitGroup
	)
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	payload := make([]byte, o.Size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	start := time.Now()
	stopReport := startReporter(o, start, &acked, interval, &mu)
	for i, p := range producers {
		wg.Add(1)
		go func(i int, p pulsar.Producer) {
			defer wg.Done()
			pace := newPacer(o.Rate, o.Producers)
			for pace.wait(ctx) {
				if o.Messages > 0 && sent.Add(1) > o.Messages {
					return
				}
				t0 := time.Now()
				p.SendAsync(context.Background(), &pulsar.ProducerMessage{Payload: payload}, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					if err != nil {
						failed.Add(1)
						return
					}
					us := time.Since(t0).Microseconds()
					mu.Lock()
					_ = hist.RecordValue(max(us, 1))
					_ = interval.RecordValue(max(us, 1))
					mu.Unlock()
					acked.Add(1)
				})
			}
		}(i, p)
	}
	wg.Wait()
	for _, p := range producers {
		_ = p.FlushWithCtx(context.Background())
	}
	elapsed := time.Since(start)
	stopReport()
	n := acked.Load()
	return Result{
		Messages:  n,
		Errors:    failed.Load(),
		Bytes:     n * int64(o.Size),
		Elapsed:   elapsed,
		Latency:   hist,
		MsgPerSec: float64(n) / elapsed.Seconds(),
		MBPerSec:  float64(n*int64(o.Size)) / elapsed.Seconds() / 1e6,
	}, nil
}

// startReporter prints interval figures until the returned stop function is called.
func startReporter(o ProduceOptions, start time.Time, acked *atomic.Int64, h *hdrhistogram.Histogram, mu *sync.Mutex) func() {
	if o.Report == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(o.ReportEvery)
		defer t.Stop()
		last, lastT := int64(0), start
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				n := acked.Load()
				secs := now.Sub(lastT).Seconds()
				mu.Lock()
				bytes := float64(n-last) * float64(o.Size)
				fmt.Fprintf(o.Report, "%.0f msg/s %.1f Mbit/s %.1f MB/s | latency ms p50 %.3f p99 %.3f max %.3f\n",
					float64(n-last)/secs, bytes*8/secs/1e6, bytes/secs/1e6,
					ms(h, 50), ms(h, 99), float64(h.Max())/1000)
				h.Reset()
				mu.Unlock()
				last, lastT = n, now
			}
		}
	}()
	return func() { close(done); <-stopped }
}
