package metrics

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func sampleSnapshot() Snapshot {
	lat := NewLatencyHistogram()
	for _, v := range []float64{0.2, 0.7, 3, 3, 2000} {
		lat.Record(v)
	}
	size := NewSizeHistogram()
	size.Record(1000)
	size.Record(5 << 20)
	return Snapshot{
		Cluster: "standalone",
		Topics: []Topic{
			{Namespace: "public/default", Name: "persistent://public/default/a", Producers: 2, Consumers: 1,
				RateIn: 100, ThroughputIn: 102400, StorageSize: 4096, Backlog: 7, InMessagesTotal: 500,
				WriteLatency: lat.Rotate(), EntrySize: size.Rotate(),
				Subscriptions: []Subscription{{Name: "s1", Backlog: 7, Unacked: 3, Consumers: 1}}},
			{Namespace: "public/default", Name: "persistent://public/default/b", Producers: 1, RateIn: 50, Backlog: 1},
			{Namespace: "t2/ns", Name: "non-persistent://t2/ns/c", Consumers: 4},
		},
		PublishLatencyMs: map[float64]float64{0.5: 1.5, 0.99: 4},
		PublishCount:     10, PublishSumMs: 20,
	}
}

func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("output is not valid Prometheus text: %v\n%s", err, text)
	}
	return mfs
}

// value finds the sample of family name whose labels include all of want.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("family %s missing", name)
	}
next:
	for _, m := range mf.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		if len(labels) != len(want) {
			continue
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestWriteTopicLevel(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, sampleSnapshot(), Options{TopicLevel: true}, time.UnixMilli(1700000000000))
	text := buf.String()
	mfs := parse(t, text)
	topicA := map[string]string{"cluster": "standalone", "namespace": "public/default", "topic": "persistent://public/default/a"}
	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pulsar_producers_count", topicA, 2},
		{"pulsar_producers_count", map[string]string{"cluster": "standalone"}, 0}, // broker default line
		{"pulsar_rate_in", topicA, 100},
		{"pulsar_throughput_in", topicA, 102400},
		{"pulsar_storage_size", topicA, 4096},
		{"pulsar_msg_backlog", topicA, 7},
		{"pulsar_in_messages_total", topicA, 500},
		{"pulsar_subscriptions_count", topicA, 1},
		{"pulsar_consumers_count", map[string]string{"cluster": "standalone", "namespace": "t2/ns", "topic": "non-persistent://t2/ns/c"}, 4},
		{"pulsar_topics_count", map[string]string{"cluster": "standalone", "namespace": "public/default"}, 2},
		{"pulsar_subscription_back_log", map[string]string{"cluster": "standalone", "namespace": "public/default", "topic": "persistent://public/default/a", "subscription": "s1"}, 7},
		{"pulsar_subscription_unacked_messages", map[string]string{"cluster": "standalone", "namespace": "public/default", "topic": "persistent://public/default/a", "subscription": "s1"}, 3},
		{"pulsar_storage_write_latency_le_0_5", topicA, 1},
		{"pulsar_storage_write_latency_le_1", topicA, 1},
		{"pulsar_storage_write_latency_le_5", topicA, 2},
		{"pulsar_storage_write_latency_overflow", topicA, 1},
		{"pulsar_storage_write_latency_count", topicA, 5},
		{"pulsar_entry_size_le_1_kb", topicA, 1},
		{"pulsar_entry_size_le_overflow", topicA, 1},
		{"pulsar_broker_producers_count", map[string]string{"cluster": "standalone"}, 3},
		{"pulsar_broker_rate_in", map[string]string{"cluster": "standalone"}, 150},
		{"pulsar_broker_topics_count", map[string]string{"cluster": "standalone"}, 3},
	}
	for _, c := range cases {
		got, ok := value(t, mfs, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v); want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if mfs["pulsar_in_bytes_total"].GetType() != dto.MetricType_GAUGE {
		t.Errorf("pulsar_in_bytes_total type %v; Pulsar types it gauge", mfs["pulsar_in_bytes_total"].GetType())
	}
	if !strings.Contains(text, `pulsar_rate_in{cluster="standalone",namespace="public/default",topic="persistent://public/default/a"} 100 1700000000000`) {
		t.Errorf("samples lack Pulsar's millisecond timestamp:\n%s", text)
	}
	if q, ok := mfs["pulsar_broker_publish_latency"]; !ok || q.GetType() != dto.MetricType_SUMMARY {
		t.Errorf("pulsar_broker_publish_latency missing or not a summary")
	}
}

func TestWriteNamespaceLevel(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, sampleSnapshot(), Options{TopicLevel: false}, time.Now())
	mfs := parse(t, buf.String())
	ns := map[string]string{"cluster": "standalone", "namespace": "public/default"}
	for name, want := range map[string]float64{"pulsar_producers_count": 3, "pulsar_rate_in": 150, "pulsar_msg_backlog": 8, "pulsar_topics_count": 2} {
		if got, ok := value(t, mfs, name, ns); !ok || got != want {
			t.Errorf("%s = %v (found %v); want %v", name, got, ok, want)
		}
	}
	if _, ok := mfs["pulsar_subscription_back_log"]; ok {
		t.Error("subscription families must be omitted when topic-level metrics are off")
	}
	for _, m := range mfs["pulsar_rate_in"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "topic" {
				t.Errorf("namespace-level sample carries a topic label: %v", m)
			}
		}
	}
}

func TestHandlerAppendsGatherer(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bookie_WRITE_BYTES", Help: "bytes written"})
	reg.MustRegister(c)
	c.Add(42)
	srv := httptest.NewServer(Handler(sampleSnapshot, Options{TopicLevel: true}, reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	mfs := parse(t, string(body))
	if got := mfs["bookie_WRITE_BYTES"].GetMetric()[0].GetCounter().GetValue(); got != 42 {
		t.Errorf("bookie_WRITE_BYTES = %v; want 42", got)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestMeterAndHistogram(t *testing.T) {
	var m Meter
	m.Add(30)
	if r := m.Tick(10); r != 3 {
		t.Errorf("rate %v; want 3", r)
	}
	m.Add(5)
	if r := m.Tick(5); r != 1 || m.Total() != 35 {
		t.Errorf("rate %v total %d; want 1, 35", r, m.Total())
	}
	h := NewLatencyHistogram()
	h.Record(1) // boundary belongs to le_1
	b := h.Rotate()
	if b.Counts[1] != 1 || b.Count != 1 {
		t.Errorf("1ms landed in %v", b.Counts)
	}
	if b2 := h.Rotate(); b2.Count != 0 {
		t.Errorf("Rotate did not start a new interval: %+v", b2)
	}
}
