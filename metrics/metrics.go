// Package metrics exposes Magnetar's statistics on /metrics with Pulsar's metric names and
// labels, so Pulsar's Grafana dashboards and alerts work unchanged.
//
// Pulsar writes its topic-level families by hand rather than through a Prometheus client:
// every family is typed gauge (even *_total counters), samples carry a millisecond timestamp,
// the "with broker default" families first emit a {cluster="X"} 0 sample, and latency/size
// bucket families count samples within their own bucket over the last stats interval. This
// package reproduces that format from a Snapshot the broker takes, then appends whatever a
// prometheus.Gatherer holds (Go runtime, process, bookie and journal metrics).
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Snapshot is the broker's state at one stats interval.
type Snapshot struct {
	Cluster string
	Topics  []Topic
	// PublishLatencyMs holds quantiles (0, 0.5, 0.95, 0.99, 0.999, 0.9999, 1) of the
	// broker's publish latency, for pulsar_broker_publish_latency; nil to omit.
	PublishLatencyMs map[float64]float64
	PublishCount     int64
	PublishSumMs     float64
}

// Topic is one topic's statistics. Rates are per second over the last stats interval.
type Topic struct {
	Namespace string // "tenant/ns"
	Name      string // "persistent://tenant/ns/name[-partition-N]"

	Producers, Consumers                     int
	RateIn, RateOut                          float64 // msg/s
	ThroughputIn, ThroughputOut              float64 // bytes/s
	AverageMsgSize                           float64
	StorageSize, StorageLogicalSize          int64
	Backlog, BacklogSize                     int64 // messages, bytes
	StorageWriteRate, StorageReadRate        float64
	InBytesTotal, InMessagesTotal            int64
	OutBytesTotal, OutMessagesTotal          int64
	WriteLatency                             Buckets // publish latency, ms
	EntrySize                                Buckets // bytes
	Subscriptions                            []Subscription
	BacklogQuotaLimitBytes, BacklogQuotaTime int64
}

// Subscription is one subscription's statistics.
type Subscription struct {
	Name                              string
	Backlog, BacklogNoDelayed         int64
	Delayed, Unacked                  int64
	MsgRateOut, ThroughputOut         float64
	AckRate, RateRedeliver            float64
	BlockedOnUnacked                  bool
	MsgRateExpired                    float64
	TotalMsgExpired                   int64
	OutBytesTotal, OutMessagesTotal   int64
	LastAckedMs, LastConsumedMs       int64
	LastMarkDeleteAdvancedMs          int64
	LastConsumedFlowMs, LastExpiredMs int64
	Consumers                         int
}

// Options select the granularity, as Pulsar's broker.conf switches do.
type Options struct {
	// TopicLevel is exposeTopicLevelMetricsInPrometheus (default true in Pulsar): when false
	// the same names are aggregated per namespace and subscription families are omitted.
	TopicLevel bool
}

// Handler serves a Snapshot taken at each scrape, followed by the gatherer's families.
func Handler(snapshot func() Snapshot, opts Options, g prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		bw := bufio.NewWriterSize(w, 64<<10)
		defer bw.Flush()
		Write(bw, snapshot(), opts, time.Now())
		if g == nil {
			return
		}
		mfs, err := g.Gather()
		if err != nil {
			fmt.Fprintf(bw, "# gather error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		}
		enc := expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			_ = enc.Encode(mf)
		}
	})
}

// Write writes the snapshot in Pulsar's format.
func Write(w io.Writer, s Snapshot, opts Options, now time.Time) {
	p := &printer{w: w, ts: strconv.FormatInt(now.UnixMilli(), 10), cluster: s.Cluster}
	p.namespaceCounts(s.Topics)
	topics := s.Topics
	if !opts.TopicLevel {
		topics = aggregateByNamespace(topics)
	}
	sort.Slice(topics, func(i, j int) bool {
		if topics[i].Namespace != topics[j].Namespace {
			return topics[i].Namespace < topics[j].Namespace
		}
		return topics[i].Name < topics[j].Name
	})
	for _, f := range topicFamilies {
		p.family(f.name, f.withDefault)
		for i := range topics {
			p.sample(f.name, topicLabels(&topics[i], opts.TopicLevel), f.value(&topics[i]))
		}
	}
	p.buckets("pulsar_storage_write_latency", latencyBounds, topics, opts.TopicLevel, func(t *Topic) *Buckets { return &t.WriteLatency })
	p.buckets("pulsar_entry_size", sizeBounds, topics, opts.TopicLevel, func(t *Topic) *Buckets { return &t.EntrySize })
	if opts.TopicLevel {
		for _, f := range subscriptionFamilies {
			p.family(f.name, false)
			for i := range topics {
				t := &topics[i]
				for j := range t.Subscriptions {
					sub := &t.Subscriptions[j]
					p.sample(f.name, topicLabels(t, true)+`,subscription="`+escape(sub.Name)+`"`, f.value(sub))
				}
			}
		}
	}
	p.brokerFamilies(s, topics)
}

type printer struct {
	w           io.Writer
	ts, cluster string
}

func (p *printer) family(name string, withDefault bool) {
	fmt.Fprintf(p.w, "# TYPE %s gauge\n", name)
	if withDefault {
		fmt.Fprintf(p.w, "%s{cluster=\"%s\"} 0 %s\n", name, escape(p.cluster), p.ts)
	}
}

func (p *printer) sample(name, labels string, v float64) {
	fmt.Fprintf(p.w, "%s{cluster=\"%s\",%s} %s %s\n", name, escape(p.cluster), labels, formatFloat(v), p.ts)
}

func topicLabels(t *Topic, topicLevel bool) string {
	if !topicLevel {
		return `namespace="` + escape(t.Namespace) + `"`
	}
	return `namespace="` + escape(t.Namespace) + `",topic="` + escape(t.Name) + `"`
}

// namespaceCounts writes pulsar_topics_count per namespace, counted before aggregation.
func (p *printer) namespaceCounts(topics []Topic) {
	counts := map[string]int{}
	var order []string
	for i := range topics {
		ns := topics[i].Namespace
		if _, ok := counts[ns]; !ok {
			order = append(order, ns)
		}
		counts[ns]++
	}
	sort.Strings(order)
	p.family("pulsar_topics_count", false)
	for _, ns := range order {
		fmt.Fprintf(p.w, "pulsar_topics_count{cluster=\"%s\",namespace=\"%s\"} %d %s\n", escape(p.cluster), escape(ns), counts[ns], p.ts)
	}
}

func (p *printer) brokerFamilies(s Snapshot, topics []Topic) {
	// Sums over aggregated namespaces equal sums over topics.
	var prod, cons, subs int
	var rin, rout, tin, tout float64
	var storage, backlog int64
	for i := range topics {
		t := &topics[i]
		prod += t.Producers
		cons += t.Consumers
		subs += len(t.Subscriptions)
		rin += t.RateIn
		rout += t.RateOut
		tin += t.ThroughputIn
		tout += t.ThroughputOut
		storage += t.StorageSize
		backlog += t.Backlog
	}
	topicsN := len(s.Topics)
	b := []struct {
		name string
		v    float64
	}{
		{"pulsar_broker_topics_count", float64(topicsN)}, {"pulsar_broker_subscriptions_count", float64(subs)},
		{"pulsar_broker_producers_count", float64(prod)}, {"pulsar_broker_consumers_count", float64(cons)},
		{"pulsar_broker_rate_in", rin}, {"pulsar_broker_rate_out", rout},
		{"pulsar_broker_throughput_in", tin}, {"pulsar_broker_throughput_out", tout},
		{"pulsar_broker_storage_size", float64(storage)}, {"pulsar_broker_msg_backlog", float64(backlog)},
	}
	for _, f := range b {
		fmt.Fprintf(p.w, "# TYPE %s gauge\n%s{cluster=\"%s\"} %s %s\n", f.name, f.name, escape(p.cluster), formatFloat(f.v), p.ts)
	}
	if s.PublishLatencyMs != nil {
		fmt.Fprintf(p.w, "# TYPE pulsar_broker_publish_latency summary\n")
		qs := make([]float64, 0, len(s.PublishLatencyMs))
		for q := range s.PublishLatencyMs {
			qs = append(qs, q)
		}
		sort.Float64s(qs)
		for _, q := range qs {
			fmt.Fprintf(p.w, "pulsar_broker_publish_latency{cluster=\"%s\",quantile=\"%s\"} %s\n", escape(p.cluster), formatFloat(q), formatFloat(s.PublishLatencyMs[q]))
		}
		fmt.Fprintf(p.w, "pulsar_broker_publish_latency_count{cluster=\"%s\"} %d\n", escape(p.cluster), s.PublishCount)
		fmt.Fprintf(p.w, "pulsar_broker_publish_latency_sum{cluster=\"%s\"} %s\n", escape(p.cluster), formatFloat(s.PublishSumMs))
	}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func escape(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}
