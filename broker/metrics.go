package broker

import (
	"sync"
	"time"

	"github.com/magnetar/magnetar/metrics"
)

// rateState remembers a topic's counters at the previous scrape, to turn totals into
// per-second rates.
type rateState struct {
	mu                               sync.Mutex
	at                               time.Time
	msgIn, bytesIn, msgOut, bytesOut int64
}

// rates returns the per-second rates since the previous call and remembers now.
func (r *rateState) rates(now time.Time, msgIn, bytesIn, msgOut, bytesOut int64) (rIn, tIn, rOut, tOut float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() {
		if secs := now.Sub(r.at).Seconds(); secs > 0 {
			rIn = float64(msgIn-r.msgIn) / secs
			tIn = float64(bytesIn-r.bytesIn) / secs
			rOut = float64(msgOut-r.msgOut) / secs
			tOut = float64(bytesOut-r.bytesOut) / secs
		}
	}
	r.at, r.msgIn, r.bytesIn, r.msgOut, r.bytesOut = now, msgIn, bytesIn, msgOut, bytesOut
	return
}

// MetricsSnapshot reports every loaded topic for /metrics, with Pulsar's figures.
func (b *Broker) MetricsSnapshot() metrics.Snapshot {
	now := time.Now()
	s := metrics.Snapshot{Cluster: b.cfg.ClusterName}
	for _, t := range b.topics.loaded() {
		m := t.metrics(now)
		// Pulsar resets these buckets every stats interval; here the interval is the time
		// since the previous scrape (not rotated by admin stats, which share metrics()).
		m.WriteLatency, m.EntrySize = t.writeLatency.Rotate(), t.entrySize.Rotate()
		t.subscriptionRates(now, m.Subscriptions)
		s.Topics = append(s.Topics, m)
	}
	lat := b.stats.publishLatency.Summary(now)
	s.PublishLatencyMs, s.PublishCount, s.PublishSumMs = lat.QuantilesMs, lat.Count, lat.SumMs
	return s
}

func (t *topic) metrics(now time.Time) metrics.Topic {
	msgIn, bytesIn, msgOut, bytesOut := t.msgIn.Load(), t.bytesIn.Load(), t.msgOut.Load(), t.bytesOut.Load()
	m := metrics.Topic{
		Namespace:        t.name.Namespace.String(),
		Name:             t.key,
		InMessagesTotal:  msgIn,
		InBytesTotal:     bytesIn,
		OutMessagesTotal: msgOut,
		OutBytesTotal:    bytesOut,
	}
	m.RateIn, m.ThroughputIn, m.RateOut, m.ThroughputOut = t.rates.rates(now, msgIn, bytesIn, msgOut, bytesOut)
	if msgIn > 0 {
		m.AverageMsgSize = float64(bytesIn) / float64(msgIn)
	}
	if t.ml != nil {
		st := t.ml.Stats()
		m.StorageSize, m.StorageLogicalSize = st.Bytes, st.Bytes
	}
	t.mu.Lock()
	m.Producers = len(t.producers)
	subs := t.subscriptionList()
	t.mu.Unlock()
	for _, s := range subs {
		sm := metrics.Subscription{Name: s.name}
		s.mu.Lock()
		sm.Consumers = len(s.consumers)
		for _, c := range s.consumers {
			sm.Unacked += int64(c.unacked)
		}
		sm.Delayed = int64(s.delayed.len())
		sm.OutMessagesTotal, sm.OutBytesTotal, sm.TotalMsgExpired = s.msgOut, s.bytesOut, s.totalExpired
		sm.LastAckedMs, sm.LastConsumedMs, sm.LastConsumedFlowMs = s.lastAcked, s.lastConsumed, s.lastFlow
		sm.LastMarkDeleteAdvancedMs, sm.LastExpiredMs = s.lastMarkDeleteAdvanced, s.lastExpire
		s.mu.Unlock()
		if s.cursor != nil {
			sm.Backlog = s.cursor.Backlog()
			sm.BacklogNoDelayed = sm.Backlog - sm.Delayed
			m.Backlog += sm.Backlog
			m.BacklogSize += s.cursor.BacklogBytes()
		}
		m.Consumers += sm.Consumers
		m.Subscriptions = append(m.Subscriptions, sm)
	}
	return m
}

// subscriptionRates fills a scrape's per-subscription rates (pulsar_subscription_msg_rate_out,
// _msg_throughput_out, _msg_rate_expired, _msg_rate_redeliver) over the time since the
// previous scrape. They
// have their own window, apart from the admin stats' one.
func (t *topic) subscriptionRates(now time.Time, subs []metrics.Subscription) {
	t.mu.Lock()
	byName := make(map[string]*subscription, len(t.subs))
	for name, s := range t.subs {
		byName[name] = s
	}
	t.mu.Unlock()
	for i := range subs {
		s := byName[subs[i].Name]
		if s == nil {
			continue
		}
		s.mu.Lock()
		expired, redelivered, out, bytes := s.totalExpired, s.redelivered, s.msgOut, s.bytesOut
		s.mu.Unlock()
		subs[i].MsgRateExpired, subs[i].RateRedeliver, subs[i].MsgRateOut, subs[i].ThroughputOut = s.scrapeRates.rates(now, expired, redelivered, out, bytes)
	}
}
