package bookie

import (
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gather returns each series' value keyed by name and its label values.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			k := mf.GetName()
			for _, l := range m.GetLabel() {
				k += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[k] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[k] = m.GetGauge().GetValue()
			case m.GetSummary() != nil:
				out[k+"_count"] = float64(m.GetSummary().GetSampleCount())
				for _, q := range m.GetSummary().GetQuantile() {
					out[fmt.Sprintf("%s{quantile=%v}", k, q.GetQuantile())] = q.GetValue()
				}
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	b := openBookie(t, testConfig(t))
	defer b.Close()
	c := b.LocalClient()
	addMany(t, c, []int64{1}, 10)
	if err := add(c, AddRequest{LedgerID: 1, EntryID: 10, MasterKey: []byte("wrong"), Data: []byte("x")}); !errors.Is(err, ErrUnauthorized) {
		t.Fatal(err)
	}
	checkEntries(t, c, []int64{1}, 10) // 10 good reads and 1 past the end
	var bytes float64
	for e := int64(0); e < 10; e++ {
		bytes += float64(len(data(1, e)))
	}
	got := gather(t, b.Collector())
	want := map[string]float64{
		"bookie_SERVER_STATUS":                              1,
		"bookkeeper_server_ADD_ENTRY_count{success=true}":   10,
		"bookkeeper_server_ADD_ENTRY_count{success=false}":  1,
		"bookkeeper_server_READ_ENTRY_count{success=true}":  10,
		"bookkeeper_server_READ_ENTRY_count{success=false}": 1,
		"bookie_WRITE_BYTES":                                bytes,
		"bookie_READ_BYTES":                                 bytes,
		"bookie_write_cache_size":                           bytes + 10*64,
		"bookie_ledger_writable_dirs":                       1,
		"bookie_DELETED_LEDGER_COUNT":                       0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	syncs := got["bookie_journal_JOURNAL_SYNC{success=true}_count"]
	if rounds := b.jrnl.Stats().Rounds; syncs < 1 || syncs != float64(rounds) {
		t.Errorf("journal syncs counted %v, want the journal's %d rounds (>= 1)", syncs, rounds)
	}
	// The latency summaries: one sample per successful add and per group commit, with
	// quantiles in milliseconds that are positive and ordered.
	if n := got["bookie_journal_JOURNAL_ADD_ENTRY{success=true}_count"]; n != 10 {
		t.Errorf("JOURNAL_ADD_ENTRY count %v, want 10 (the successful adds)", n)
	}
	for _, name := range []string{"bookie_journal_JOURNAL_ADD_ENTRY", "bookie_journal_JOURNAL_SYNC"} {
		p50, p99, pmax := got[name+"{success=true}{quantile=0.5}"], got[name+"{success=true}{quantile=0.99}"], got[name+"{success=true}{quantile=1}"]
		if !(p50 > 0 && p50 <= p99 && p99 <= pmax && pmax < 10_000) {
			t.Errorf("%s quantiles p50 %v p99 %v max %v ms: want 0 < p50 <= p99 <= max < 10 s", name, p50, p99, pmax)
		}
	}
}
