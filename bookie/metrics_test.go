package bookie

import (
	"errors"
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
	if got["bookie_journal_JOURNAL_SYNC_count{success=true}"] < 1 {
		t.Errorf("no journal syncs counted: %v", got)
	}
}
