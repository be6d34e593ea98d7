package bookie

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAddReadFlushRestart(t *testing.T) {
	cfg := testConfig(t)
	b := openBookie(t, cfg)
	c := b.LocalClient()
	ledgers := []int64{1, 2, 3}
	addMany(t, c, ledgers, 200)
	checkEntries(t, c, ledgers, 200) // from the write cache
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(b.logs.IDs()) == 0 {
		t.Fatal("flush wrote no entry log")
	}
	checkEntries(t, c, ledgers, 200) // from the entry log (then the read cache)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b = openBookie(t, cfg)
	defer b.Close()
	c = b.LocalClient()
	checkEntries(t, c, ledgers, 200)
	for _, l := range ledgers {
		lac, err := c.ReadLAC(context.Background(), l)
		if err != nil || lac != 198 {
			t.Fatalf("ReadLAC(%d) after restart = %d, %v; want 198", l, lac, err)
		}
	}
	// The checkpoint moved past everything, so nothing was left to replay.
	if got := b.jrnl.Position(); got.Offset != 0 {
		t.Fatalf("journal after restart at %v, want a fresh segment", got)
	}
}

func TestCrashReplaysJournal(t *testing.T) {
	cfg := testConfig(t)
	b := openBookie(t, cfg)
	c := b.LocalClient()
	addMany(t, c, []int64{1, 2}, 50)
	if err := b.Flush(); err != nil { // 0..49 in the entry logs
		t.Fatal(err)
	}
	for _, l := range []int64{1, 2} { // 50..99 only in the journal
		for e := int64(50); e < 100; e++ {
			if err := add(c, entryReq(l, e)); err != nil {
				t.Fatal(err)
			}
		}
	}
	crash(t, b)

	b = openBookie(t, cfg)
	c = b.LocalClient()
	checkEntries(t, c, []int64{1, 2}, 100)
	if lac, _ := c.ReadLAC(context.Background(), 2); lac != 98 {
		t.Fatalf("LAC after replay = %d, want 98", lac)
	}
	// Replayed entries are flushed with the next flush, and stay after a second crash.
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	crash(t, b)
	b = openBookie(t, cfg)
	defer b.Close()
	checkEntries(t, b.LocalClient(), []int64{1, 2}, 100)
}

func TestFencingAndMasterKey(t *testing.T) {
	cfg := testConfig(t)
	b := openBookie(t, cfg)
	c := b.LocalClient()
	ctx := context.Background()
	addMany(t, c, []int64{7}, 5)

	if err := add(c, AddRequest{LedgerID: 7, EntryID: 5, MasterKey: []byte("wrong"), Data: []byte("x")}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("add with the wrong key: %v, want ErrUnauthorized", err)
	}
	if _, err := c.ReadEntry(ctx, 7, -1, ReadFence, []byte("wrong")); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("fence with the wrong key: %v, want ErrUnauthorized", err)
	}
	res, err := c.ReadEntry(ctx, 7, -1, ReadFence, key)
	if err != nil {
		t.Fatal(err)
	}
	if res.LastAddConfirmed != 3 || res.Data != nil {
		t.Fatalf("fencing read of -1 = %+v, want LAC 3 and no data", res)
	}
	if err := add(c, AddRequest{LedgerID: 7, EntryID: 5, LastAddConfirmed: 4, MasterKey: key, Data: []byte("late")}); !errors.Is(err, ErrFenced) {
		t.Fatalf("add after fence: %v, want ErrFenced", err)
	}
	if err := add(c, AddRequest{LedgerID: 7, EntryID: 5, LastAddConfirmed: 4, MasterKey: key, Recovery: true, Data: data(7, 5)}); err != nil {
		t.Fatalf("recovery add after fence: %v", err)
	}
	// A fence on a ledger this bookie never saw creates it fenced.
	if res, err := c.ReadEntry(ctx, 8, -1, ReadFence, key); err != nil || res.LastAddConfirmed != -1 {
		t.Fatalf("fence of an unknown ledger: %+v, %v", res, err)
	}
	if _, err := c.ReadEntry(ctx, 8, 0, ReadFence, key); !errors.Is(err, ErrNoSuchEntry) {
		t.Fatalf("fencing read of a missing entry: %v, want ErrNoSuchEntry", err)
	}
	if err := add(c, AddRequest{LedgerID: 8, EntryID: 0, LastAddConfirmed: -1, MasterKey: key, Data: []byte("stale")}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale writer's add to a ledger fenced before its first add: %v, want ErrFenced", err)
	}
	// The fence is durable at once: it survives a crash without any flush.
	crash(t, b)
	b = openBookie(t, cfg)
	defer b.Close()
	c = b.LocalClient()
	for _, l := range []int64{7, 8} {
		if err := add(c, AddRequest{LedgerID: l, EntryID: 6, MasterKey: key, Data: []byte("late")}); !errors.Is(err, ErrFenced) {
			t.Fatalf("ledger %d: add after restart: %v, want ErrFenced", l, err)
		}
	}
	if err := add(c, AddRequest{LedgerID: 7, EntryID: 6, MasterKey: []byte("wrong"), Recovery: true, Data: []byte("x")}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("master key after restart: %v, want ErrUnauthorized", err)
	}
	checkEntries(t, c, []int64{7}, 6)
}

func TestLastAddConfirmed(t *testing.T) {
	b := openBookie(t, testConfig(t))
	defer b.Close()
	c := b.LocalClient()
	ctx := context.Background()
	// LACs arrive out of order (pipelined adds): the bookie keeps the highest.
	for _, r := range []struct{ entry, lac int64 }{{0, -1}, {1, 0}, {3, 2}, {2, 1}} {
		if err := add(c, AddRequest{LedgerID: 1, EntryID: r.entry, LastAddConfirmed: r.lac, MasterKey: key, Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if lac, err := c.ReadLAC(ctx, 1); err != nil || lac != 2 {
		t.Fatalf("ReadLAC = %d, %v; want 2", lac, err)
	}
	if res, err := c.ReadEntry(ctx, 1, 0, 0, nil); err != nil || res.LastAddConfirmed != 2 {
		t.Fatalf("read's LAC = %+v, %v; want 2", res, err)
	}
	if err := b.WriteLAC(1, 3, key); err != nil {
		t.Fatal(err)
	}
	if lac, _ := c.ReadLAC(ctx, 1); lac != 3 {
		t.Fatalf("ReadLAC after an explicit LAC of 3 = %d", lac)
	}
	if _, err := c.ReadLAC(ctx, 99); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("ReadLAC of an unknown ledger: %v, want ErrNoSuchLedger", err)
	}
}

func TestErrors(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxEntrySize = 1000
	b := openBookie(t, cfg)
	c := b.LocalClient()
	ctx := context.Background()
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"too large", add(c, AddRequest{LedgerID: 1, EntryID: 0, MasterKey: key, Data: make([]byte, 1001)}), ErrTooLarge},
		{"unknown ledger", read(c, 5, 0), ErrNoSuchLedger},
		{"read of -1 of an unknown ledger", read(c, 5, -1), ErrNoSuchLedger},
	}
	if err := add(c, AddRequest{LedgerID: 1, EntryID: 0, MasterKey: key, Data: make([]byte, 1000)}); err != nil {
		t.Fatalf("add of exactly MaxEntrySize: %v", err)
	}
	cases = append(cases, struct {
		name string
		err  error
		want error
	}{"unknown entry", read(c, 1, 1), ErrNoSuchEntry})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.ReadEntry(cctx, 1, 0, 0, nil)
	cases = append(cases, struct {
		name string
		err  error
		want error
	}{"cancelled context", err, ErrTimeout})
	b.Close()
	cases = append(cases, struct {
		name string
		err  error
		want error
	}{"add after close", add(c, AddRequest{LedgerID: 1, EntryID: 1, MasterKey: key, Data: []byte("x")}), ErrClosed},
		struct {
			name string
			err  error
			want error
		}{"read after close", read(c, 1, 0), ErrClosed})
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func read(c Client, l, e int64) error {
	_, err := c.ReadEntry(context.Background(), l, e, 0, nil)
	return err
}

func TestReadOnlyOnDiskUsage(t *testing.T) {
	cfg := testConfig(t)
	cfg.DiskUsageThreshold = 0.99
	b := openBookie(t, cfg)
	addMany(t, b.LocalClient(), []int64{1}, 3)
	if b.ReadOnly() {
		t.Fatal("read-only below the threshold")
	}
	b.Close()

	// Any real disk is more than 0.0001% full: the bookie must come up read-only.
	cfg.DiskUsageThreshold, cfg.DiskUsageLwmThreshold = 0.000001, 0.000001
	b = openBookie(t, cfg)
	defer b.Close()
	if !b.ReadOnly() {
		t.Fatal("not read-only above the threshold")
	}
	if err := add(b.LocalClient(), AddRequest{LedgerID: 1, EntryID: 3, MasterKey: key, Data: []byte("x")}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("add on a read-only bookie: %v, want ErrReadOnly", err)
	}
	checkEntries(t, b.LocalClient(), []int64{1}, 3) // reads still work
}

func TestReadOnlyHysteresis(t *testing.T) {
	cases := []struct {
		ro   bool
		used float64
		want bool
	}{
		{false, 0.50, false},
		{false, 0.95, false}, // at the threshold: not above it
		{false, 0.96, true},
		{true, 0.93, true}, // between the marks: stays read-only
		{true, 0.90, true},
		{true, 0.89, false},
	}
	for _, tc := range cases {
		if got := nextReadOnly(tc.ro, tc.used, 0.95, 0.90); got != tc.want {
			t.Errorf("nextReadOnly(%v, %.2f) = %v, want %v", tc.ro, tc.used, got, tc.want)
		}
	}
}

func TestWriteCacheBackpressure(t *testing.T) {
	cfg := testConfig(t)
	cfg.WriteCacheBytes = 16 << 10 // a few entries; adds must wait for flushes
	b := openBookie(t, cfg)
	defer b.Close()
	c := b.LocalClient()
	done := make(chan struct{})
	go func() {
		defer close(done)
		addMany(t, c, []int64{1, 2, 3, 4}, 300)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("adds stuck behind a full write cache")
	}
	checkEntries(t, c, []int64{1, 2, 3, 4}, 300)
	if len(b.logs.IDs()) == 0 {
		t.Fatal("a full write cache did not trigger a flush")
	}
}
