package perf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/apache/pulsar-client-go/pulsar"
)

func TestParseFlags(t *testing.T) {
	comp := []struct {
		in   string
		want pulsar.CompressionType
		ok   bool
	}{
		{"none", pulsar.NoCompression, true}, {"", pulsar.NoCompression, true}, {"LZ4", pulsar.LZ4, true},
		{"zlib", pulsar.ZLib, true}, {"zstd", pulsar.ZSTD, true}, {"gzip", 0, false},
	}
	for _, c := range comp {
		got, err := parseCompression(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseCompression(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	subs := []struct {
		in   string
		want pulsar.SubscriptionType
		ok   bool
	}{
		{"Exclusive", pulsar.Exclusive, true}, {"shared", pulsar.Shared, true}, {"Failover", pulsar.Failover, true},
		{"Key_Shared", pulsar.KeyShared, true}, {"keyshared", pulsar.KeyShared, true}, {"queue", 0, false},
	}
	for _, c := range subs {
		got, err := parseSubType(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseSubType(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestProduceNeedsTopicAndBound(t *testing.T) {
	if _, err := Produce(t.Context(), ProduceOptions{Messages: 1}); err == nil {
		t.Error("Produce without a topic: want an error")
	}
	if _, err := Produce(t.Context(), ProduceOptions{Topic: "t"}); err == nil {
		t.Error("Produce with neither messages nor duration: want an error")
	}
}

func TestWriteDistribution(t *testing.T) {
	h := hdrhistogram.New(1, 60_000_000, 3)
	for v := int64(1); v <= 1000; v++ {
		_ = h.RecordValue(v * 1000) // 1..1000 ms
	}
	var b strings.Builder
	if err := WriteDistribution(&b, h); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "TotalCount = 1000") || !strings.Contains(out, "Percentile") {
		t.Fatalf("distribution lacks header or totals:\n%s", out)
	}
	var last float64
	lines := 0
	for _, line := range strings.Split(out, "\n") {
		var v, q float64
		var n int64
		if _, err := fmt.Sscanf(line, "%f %f %d", &v, &q, &n); err != nil {
			continue
		}
		if v < last {
			t.Fatalf("values not increasing at %q", line)
		}
		last = v
		lines++
	}
	if lines < 10 || last < 999 || last > 1001 {
		t.Fatalf("%d value lines, last %.3f ms; want many, ending at ~1000 ms:\n%s", lines, last, out)
	}
}
