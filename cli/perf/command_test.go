package perf

import (
	"testing"

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
