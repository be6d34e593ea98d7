package metrics

import "sync"

// topicFamilies are the per-topic (or per-namespace) gauges, in Pulsar's order and names.
var topicFamilies = []struct {
	name        string
	withDefault bool
	value       func(*Topic) float64
}{
	{"pulsar_subscriptions_count", true, func(t *Topic) float64 { return float64(len(t.Subscriptions)) }},
	{"pulsar_producers_count", true, func(t *Topic) float64 { return float64(t.Producers) }},
	{"pulsar_consumers_count", true, func(t *Topic) float64 { return float64(t.Consumers) }},
	{"pulsar_rate_in", true, func(t *Topic) float64 { return t.RateIn }},
	{"pulsar_rate_out", true, func(t *Topic) float64 { return t.RateOut }},
	{"pulsar_throughput_in", true, func(t *Topic) float64 { return t.ThroughputIn }},
	{"pulsar_throughput_out", true, func(t *Topic) float64 { return t.ThroughputOut }},
	{"pulsar_storage_size", true, func(t *Topic) float64 { return float64(t.StorageSize) }},
	{"pulsar_storage_logical_size", true, func(t *Topic) float64 { return float64(t.StorageLogicalSize) }},
	{"pulsar_msg_backlog", true, func(t *Topic) float64 { return float64(t.Backlog) }},
	{"pulsar_average_msg_size", false, func(t *Topic) float64 { return t.AverageMsgSize }},
	{"pulsar_storage_backlog_size", false, func(t *Topic) float64 { return float64(t.BacklogSize) }},
	{"pulsar_storage_offloaded_size", false, func(t *Topic) float64 { return 0 }},
	{"pulsar_storage_write_rate", false, func(t *Topic) float64 { return t.StorageWriteRate }},
	{"pulsar_storage_read_rate", false, func(t *Topic) float64 { return t.StorageReadRate }},
	{"pulsar_storage_backlog_quota_limit", false, func(t *Topic) float64 { return float64(t.BacklogQuotaLimitBytes) }},
	{"pulsar_storage_backlog_quota_limit_time", false, func(t *Topic) float64 { return float64(t.BacklogQuotaTime) }},
	{"pulsar_in_bytes_total", false, func(t *Topic) float64 { return float64(t.InBytesTotal) }},
	{"pulsar_in_messages_total", false, func(t *Topic) float64 { return float64(t.InMessagesTotal) }},
	{"pulsar_out_bytes_total", false, func(t *Topic) float64 { return float64(t.OutBytesTotal) }},
	{"pulsar_out_messages_total", false, func(t *Topic) float64 { return float64(t.OutMessagesTotal) }},
}

var subscriptionFamilies = []struct {
	name  string
	value func(*Subscription) float64
}{
	{"pulsar_subscription_back_log", func(s *Subscription) float64 { return float64(s.Backlog) }},
	{"pulsar_subscription_back_log_no_delayed", func(s *Subscription) float64 { return float64(s.BacklogNoDelayed) }},
	{"pulsar_subscription_delayed", func(s *Subscription) float64 { return float64(s.Delayed) }},
	{"pulsar_subscription_msg_rate_redeliver", func(s *Subscription) float64 { return s.RateRedeliver }},
	{"pulsar_subscription_unacked_messages", func(s *Subscription) float64 { return float64(s.Unacked) }},
	{"pulsar_subscription_blocked_on_unacked_messages", func(s *Subscription) float64 { return b2f(s.BlockedOnUnacked) }},
	{"pulsar_subscription_msg_rate_out", func(s *Subscription) float64 { return s.MsgRateOut }},
	{"pulsar_subscription_msg_ack_rate", func(s *Subscription) float64 { return s.AckRate }},
	{"pulsar_subscription_msg_throughput_out", func(s *Subscription) float64 { return s.ThroughputOut }},
	{"pulsar_subscription_last_expire_timestamp", func(s *Subscription) float64 { return float64(s.LastExpiredMs) }},
	{"pulsar_subscription_last_acked_timestamp", func(s *Subscription) float64 { return float64(s.LastAckedMs) }},
	{"pulsar_subscription_last_consumed_flow_timestamp", func(s *Subscription) float64 { return float64(s.LastConsumedFlowMs) }},
	{"pulsar_subscription_last_consumed_timestamp", func(s *Subscription) float64 { return float64(s.LastConsumedMs) }},
	{"pulsar_subscription_last_mark_delete_advanced_timestamp", func(s *Subscription) float64 { return float64(s.LastMarkDeleteAdvancedMs) }},
	{"pulsar_subscription_msg_rate_expired", func(s *Subscription) float64 { return s.MsgRateExpired }},
	{"pulsar_subscription_total_msg_expired", func(s *Subscription) float64 { return float64(s.TotalMsgExpired) }},
	{"pulsar_subscription_consumers_count", func(s *Subscription) float64 { return float64(s.Consumers) }},
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Pulsar's bucket bounds: publish latency in ms, entry size in bytes. The suffixes are the
// exact family-name suffixes dashboards query.
var (
	latencyBounds = []bound{{0.5, "le_0_5"}, {1, "le_1"}, {5, "le_5"}, {10, "le_10"}, {20, "le_20"},
		{50, "le_50"}, {100, "le_100"}, {200, "le_200"}, {1000, "le_1000"}}
	sizeBounds = []bound{{128, "le_128"}, {512, "le_512"}, {1 << 10, "le_1_kb"}, {2 << 10, "le_2_kb"},
		{4 << 10, "le_4_kb"}, {16 << 10, "le_16_kb"}, {100 << 10, "le_100_kb"}, {1 << 20, "le_1_mb"}}
)

type bound struct {
	upTo   float64
	suffix string
}

// Buckets is a distribution over Pulsar's fixed bounds: Counts[i] counts the samples that fell
// into bucket i alone (not cumulative); the last slot is the overflow bucket.
type Buckets struct {
	Counts [10]int64
	Count  int64
	Sum    float64
}

// Add merges o into b.
func (b *Buckets) Add(o *Buckets) {
	for i := range b.Counts {
		b.Counts[i] += o.Counts[i]
	}
	b.Count += o.Count
	b.Sum += o.Sum
}

// Histogram records samples into Buckets over one stats interval; safe for concurrent use.
type Histogram struct {
	mu     sync.Mutex
	bounds []bound
	cur    Buckets
}

// NewLatencyHistogram records publish latencies in milliseconds.
func NewLatencyHistogram() *Histogram { return &Histogram{bounds: latencyBounds} }

// NewSizeHistogram records entry sizes in bytes.
func NewSizeHistogram() *Histogram { return &Histogram{bounds: sizeBounds} }

// Record adds one sample.
func (h *Histogram) Record(v float64) {
	i := len(h.bounds)
	for j, b := range h.bounds {
		if v <= b.upTo {
			i = j
			break
		}
	}
	h.mu.Lock()
	h.cur.Counts[i]++
	h.cur.Count++
	h.cur.Sum += v
	h.mu.Unlock()
}

// Rotate returns the interval's buckets and starts a new interval.
func (h *Histogram) Rotate() Buckets {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.cur
	h.cur = Buckets{}
	return b
}

func (p *printer) buckets(prefix string, bounds []bound, topics []Topic, topicLevel bool, get func(*Topic) *Buckets) {
	names := make([]string, 0, len(bounds)+3)
	for _, b := range bounds {
		names = append(names, prefix+"_"+b.suffix)
	}
	overflow := prefix + "_overflow"
	if prefix == "pulsar_entry_size" {
		overflow = prefix + "_le_overflow"
	}
	names = append(names, overflow)
	for i, name := range names {
		p.family(name, false)
		for j := range topics {
			p.sample(name, topicLabels(&topics[j], topicLevel), float64(get(&topics[j]).Counts[i]))
		}
	}
	for _, suffix := range []string{"_count", "_sum"} {
		p.family(prefix+suffix, false)
		for j := range topics {
			b := get(&topics[j])
			v := float64(b.Count)
			if suffix == "_sum" {
				v = b.Sum
			}
			p.sample(prefix+suffix, topicLabels(&topics[j], topicLevel), v)
		}
	}
}

// aggregateByNamespace folds topics into one pseudo-topic per namespace (Pulsar's behaviour
// with exposeTopicLevelMetricsInPrometheus=false).
func aggregateByNamespace(topics []Topic) []Topic {
	idx := map[string]int{}
	var out []Topic
	for i := range topics {
		t := &topics[i]
		j, ok := idx[t.Namespace]
		if !ok {
			j = len(out)
			idx[t.Namespace] = j
			out = append(out, Topic{Namespace: t.Namespace})
		}
		a := &out[j]
		a.Producers += t.Producers
		a.Consumers += t.Consumers
		a.RateIn += t.RateIn
		a.RateOut += t.RateOut
		a.ThroughputIn += t.ThroughputIn
		a.ThroughputOut += t.ThroughputOut
		a.StorageSize += t.StorageSize
		a.StorageLogicalSize += t.StorageLogicalSize
		a.Backlog += t.Backlog
		a.BacklogSize += t.BacklogSize
		a.StorageWriteRate += t.StorageWriteRate
		a.StorageReadRate += t.StorageReadRate
		a.InBytesTotal += t.InBytesTotal
		a.InMessagesTotal += t.InMessagesTotal
		a.OutBytesTotal += t.OutBytesTotal
		a.OutMessagesTotal += t.OutMessagesTotal
		a.WriteLatency.Add(&t.WriteLatency)
		a.EntrySize.Add(&t.EntrySize)
		a.Subscriptions = append(a.Subscriptions, t.Subscriptions...)
	}
	for i := range out {
		if out[i].RateIn > 0 {
			out[i].AverageMsgSize = out[i].ThroughputIn / out[i].RateIn
		}
	}
	return out
}

// Meter turns a monotonically growing count into a per-second rate over stats intervals.
type Meter struct {
	mu    sync.Mutex
	total int64
	last  int64
	rate  float64
}

// Add counts n events.
func (m *Meter) Add(n int64) {
	m.mu.Lock()
	m.total += n
	m.mu.Unlock()
}

// Tick closes an interval of the given length in seconds and returns the rate over it.
func (m *Meter) Tick(seconds float64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seconds > 0 {
		m.rate = float64(m.total-m.last) / seconds
	}
	m.last = m.total
	return m.rate
}

// Rate is the rate computed at the last Tick; Total the count so far.
func (m *Meter) Rate() float64 { m.mu.Lock(); defer m.mu.Unlock(); return m.rate }

// Total is the count so far.
func (m *Meter) Total() int64 { m.mu.Lock(); defer m.mu.Unlock(); return m.total }
