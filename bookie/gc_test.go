package bookie

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/embedded"
)

// dirSize sums the sizes of the entry logs in dir.
func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

func TestGCRemovesLogsOfDeletedLedgers(t *testing.T) {
	cfg := testConfig(t)
	cfg.EntryLogSize = 8 << 10 // several logs per ledger
	b := openBookie(t, cfg)
	c := b.LocalClient()
	for _, l := range []int64{1, 2, 3, 4} { // one flush per ledger: logs mostly hold one ledger
		addMany(t, c, []int64{l}, 60)
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	before := logBytes(t, cfg.LedgerDirs[0])
	for _, l := range []int64{1, 2} {
		if err := b.DeleteLedger(l); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.CollectGarbage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := logBytes(t, cfg.LedgerDirs[0])
	t.Logf("gc: %+v; entry logs %d -> %d bytes", st, before, after)
	if st.LogsRemoved == 0 {
		t.Fatal("no entry log removed after deleting half the ledgers")
	}
	// Half the data belonged to the deleted ledgers; at least a third must be gone (the
	// logs shared with live ledgers may stay, if they are mostly live).
	if after > before*2/3 {
		t.Fatalf("entry logs shrank from %d to %d bytes only", before, after)
	}
	checkEntries(t, c, []int64{3, 4}, 60)
	for _, l := range []int64{1, 2} {
		if err := read(c, l, 0); !errors.Is(err, ErrNoSuchLedger) {
			t.Fatalf("read of deleted ledger %d: %v, want ErrNoSuchLedger", l, err)
		}
	}
	if err := add(c, AddRequest{LedgerID: 1, EntryID: 60, MasterKey: key, Data: []byte("late")}); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("add to a deleted ledger: %v, want ErrNoSuchLedger", err)
	}
	b.Close()
	b = openBookie(t, cfg)
	defer b.Close()
	checkEntries(t, b.LocalClient(), []int64{3, 4}, 60)
	if err := read(b.LocalClient(), 1, 0); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("read of a deleted ledger after restart: %v", err)
	}
}

func TestGCCompactsMostlyDeadLog(t *testing.T) {
	cfg := testConfig(t)
	b := openBookie(t, cfg)
	c := b.LocalClient()
	addMany(t, c, []int64{1, 2, 3}, 100) // one log, three ledgers interleaved by id
	if err := b.Close(); err != nil {    // seals the log
		t.Fatal(err)
	}
	b = openBookie(t, cfg)
	defer b.Close()
	c = b.LocalClient()
	old := b.logs.IDs()
	if len(old) != 1 {
		t.Fatalf("expected one entry log, got %v", old)
	}
	before := logBytes(t, cfg.LedgerDirs[0])
	for _, l := range []int64{1, 2} {
		if err := b.DeleteLedger(l); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.CollectGarbage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := logBytes(t, cfg.LedgerDirs[0])
	t.Logf("gc: %+v; entry logs %d -> %d bytes", st, before, after)
	if st.LogsCompacted != 1 {
		t.Fatalf("compacted %d logs, want 1", st.LogsCompacted)
	}
	if ids := b.logs.IDs(); len(ids) != 1 || ids[0] == old[0] {
		t.Fatalf("after compaction logs are %v (old %v)", ids, old)
	}
	if after > before/2 {
		t.Fatalf("compaction left %d of %d bytes with one ledger of three live", after, before)
	}
	checkEntries(t, c, []int64{3}, 100)
	// A second pass finds nothing to do: the new log is all live.
	if st, err := b.CollectGarbage(context.Background()); err != nil || st != (GCStats{}) {
		t.Fatalf("second gc: %+v, %v", st, err)
	}
}

func TestDeletedLedgerIsNotReplayed(t *testing.T) {
	cfg := testConfig(t)
	b := openBookie(t, cfg)
	c := b.LocalClient()
	addMany(t, c, []int64{1, 2}, 20) // only in the journal
	if err := b.DeleteLedger(1); err != nil {
		t.Fatal(err)
	}
	crash(t, b)
	b = openBookie(t, cfg)
	defer b.Close()
	c = b.LocalClient()
	if err := read(c, 1, 0); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("deleted ledger after replay: %v, want ErrNoSuchLedger", err)
	}
	checkEntries(t, c, []int64{2}, 20)
}

func TestRegistrationAndStoreDrivenGC(t *testing.T) {
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if _, err := store.Put(ctx, "/ledgers/2", []byte("{}"), metadata.AnyVersion); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Store = store
	cfg.Rack = "/rack-a"
	b := openBookie(t, cfg)
	val, st, err := store.Get(ctx, "/bookies/available/"+cfg.ID)
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	var reg Registration
	if err := json.Unmarshal(val, &reg); err != nil {
		t.Fatalf("registration %q: %v", val, err)
	}
	if reg != (Registration{Rack: "/rack-a", ReadOnly: false, Address: cfg.ID}) || !st.Ephemeral {
		t.Fatalf("registration %+v (ephemeral %v)", reg, st.Ephemeral)
	}

	c := b.LocalClient()
	addMany(t, c, []int64{1, 2}, 10)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	gst, err := b.CollectGarbage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gst.LedgersDeleted != 1 {
		t.Fatalf("gc deleted %d ledgers, want 1 (ledger 1 has no /ledgers/1)", gst.LedgersDeleted)
	}
	if err := read(c, 1, 0); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("ledger missing from the store after gc: %v", err)
	}
	checkEntries(t, c, []int64{2}, 10)

	// A registration that vanished (an expired session) comes back.
	if err := store.Delete(ctx, "/bookies/available/"+cfg.ID, metadata.AnyVersion); err != nil {
		t.Fatal(err)
	}
	b.readOnly.Store(true)
	if err := b.publish(ctx); err != nil {
		t.Fatal(err)
	}
	val, _, err = store.Get(ctx, "/bookies/available/"+cfg.ID)
	if err != nil || json.Unmarshal(val, &reg) != nil || !reg.ReadOnly {
		t.Fatalf("re-registration: %q, %v", val, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Get(ctx, "/bookies/available/"+cfg.ID); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("registration after Close: %v, want ErrNotFound", err)
	}
}
