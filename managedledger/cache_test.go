package managedledger_test

import (
	"bytes"
	"testing"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func TestTailingReadsHitTheCache(t *testing.T) {
	dir := t.TempDir()
	const name = "public/default/persistent/cache"
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, name, ml.Config{MaxEntriesPerLedger: 20})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Latest)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		addAll(t, m, round*10, 10)
		wantPayloads(t, readAll(t, c), round*10, round*10+10)
	}
	st := m.Stats()
	if st.CacheHits != 50 || st.CacheMisses != 0 {
		t.Errorf("tailing reads: %d hits, %d misses; want 50 and 0", st.CacheHits, st.CacheMisses)
	}
	// Everything was read by the only cursor: nothing is left cached.
	if cs := s.Factory.CacheStats(); cs.Entries != 0 || cs.SizeBytes != 0 {
		t.Errorf("cache after every cursor read past: %+v, want empty", cs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// After a restart the cache is cold: a catch-up read goes to the bookie.
	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, name, ml.Config{})
	c = m.Cursors()[0]
	if err := c.Reset(testCtx(t), ml.Earliest); err != nil {
		t.Fatal(err)
	}
	wantPayloads(t, readAll(t, c), 0, 50)
	st = m.Stats()
	if st.CacheHits != 0 || st.CacheMisses != 50 {
		t.Errorf("catch-up reads: %d hits, %d misses; want 0 and 50", st.CacheHits, st.CacheMisses)
	}
}

func TestCacheIsBoundedAndShared(t *testing.T) {
	s := mltest.NewStackWith(t, t.TempDir(), 1, mltest.Options{CacheSizeBytes: 8 << 10})
	a := openML(t, s, "public/default/persistent/cache-a", ml.Config{})
	b := openML(t, s, "public/default/persistent/cache-b", ml.Config{})
	for _, m := range []*ml.ManagedLedger{a, b} {
		if _, err := m.OpenCursor(testCtx(t), "idle", ml.Earliest); err != nil {
			t.Fatal(err)
		}
	}
	data := bytes.Repeat([]byte("x"), 1000)
	for range 10 {
		for _, m := range []*ml.ManagedLedger{a, b} {
			done := make(chan error, 1)
			m.AddEntry(data, func(_ ml.Position, err error) { done <- err })
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	cs := s.Factory.CacheStats()
	if cs.SizeBytes > 8<<10 || cs.Evicted == 0 {
		t.Errorf("cache %+v: want at most 8 KiB after evicting the oldest", cs)
	}
	// The newest entries of both logs are still cached: the idle cursors' last reads hit.
	for _, m := range []*ml.ManagedLedger{a, b} {
		e, err := m.Read(testCtx(t), m.LastConfirmed())
		if err != nil || !bytes.Equal(e.Data, data) {
			t.Fatalf("read last: %v", err)
		}
		if st := m.Stats(); st.CacheHits != 1 {
			t.Errorf("%s: read of the newest entry missed the cache (%+v)", m.Name(), st)
		}
	}
}
