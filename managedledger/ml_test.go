package managedledger_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func TestAddAndReadAcrossRollovers(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/rollover", ml.Config{MaxEntriesPerLedger: 10})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 35)

	if got := m.LastConfirmed(); got != pos[34] {
		t.Errorf("LastConfirmed = %v, want %v", got, pos[34])
	}
	if got := m.FirstPosition(); got != pos[0] {
		t.Errorf("FirstPosition = %v, want %v", got, pos[0])
	}
	ledgers := map[int64]int{}
	for _, p := range pos {
		ledgers[p.LedgerID]++
	}
	if len(ledgers) != 4 {
		t.Errorf("35 entries at 10 per ledger went to %d ledgers (%v), want 4", len(ledgers), ledgers)
	}
	for i, p := range pos {
		e, err := m.Read(testCtx(t), p)
		if err != nil {
			t.Fatalf("read %v: %v", p, err)
		}
		if string(e.Data) != string(payload(i)) {
			t.Fatalf("read %v = %q, want %q", p, e.Data, payload(i))
		}
		next, ok := m.Next(p)
		if i < len(pos)-1 && (!ok || next != pos[i+1]) {
			t.Errorf("Next(%v) = %v %v, want %v", p, next, ok, pos[i+1])
		}
		if i == len(pos)-1 && ok {
			t.Errorf("Next(last) = %v, true; want false", next)
		}
	}
	if _, err := m.Read(testCtx(t), ml.Position{LedgerID: pos[34].LedgerID, EntryID: pos[34].EntryID + 1}); !errors.Is(err, ml.ErrNoSuchEntry) {
		t.Errorf("read past the end: err = %v, want ErrNoSuchEntry", err)
	}
	wantPayloads(t, readAll(t, c), 0, 35)
	st := m.Stats()
	if st.Entries != 35 || st.AddedEntries != 35 || len(st.Ledgers) < 4 {
		t.Errorf("stats = %+v, want 35 entries in >= 4 ledgers", st)
	}
}

func TestNewEntriesWakesTailingReader(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/tail", ml.Config{})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Latest)
	if err != nil {
		t.Fatal(err)
	}
	wake := m.NewEntries()
	if es, err := c.Read(testCtx(t), 10, 0); err != nil || len(es) != 0 {
		t.Fatalf("read at the end = %v %v, want nothing", es, err)
	}
	if c.HasMore() {
		t.Errorf("HasMore at the end")
	}
	addAll(t, m, 0, 3)
	select {
	case <-wake:
	default:
		t.Fatalf("NewEntries channel not closed after adds")
	}
	if !c.HasMore() {
		t.Errorf("HasMore false after adds")
	}
	es, err := c.Read(testCtx(t), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantPayloads(t, es, 0, 3)
	select {
	case <-m.NewEntries():
		t.Fatalf("a fresh NewEntries channel is already closed")
	default:
	}
}

func TestReadRespectsMaxAndMaxBytes(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/limits", ml.Config{MaxEntriesPerLedger: 4})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, m, 0, 10)
	size := int64(len(payload(0)))
	for _, tc := range []struct {
		max      int
		maxBytes int64
		want     int
	}{
		{3, 0, 3},
		{10, 2*size + 1, 2},
		{10, 1, 1}, // at least one entry
		{0, 0, 0},
		{10, 0, 4}, // what is left
	} {
		es, err := c.Read(testCtx(t), tc.max, tc.maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != tc.want {
			t.Errorf("Read(%d, %d) = %d entries, want %d", tc.max, tc.maxBytes, len(es), tc.want)
		}
	}
}

func TestTerminate(t *testing.T) {
	dir := t.TempDir()
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, "public/default/persistent/term", ml.Config{})
	pos := addAll(t, m, 0, 5)
	wake := m.NewEntries()
	last, err := m.Terminate(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if last != pos[4] || !m.Terminated() {
		t.Fatalf("Terminate = %v (terminated %v), want %v", last, m.Terminated(), pos[4])
	}
	select {
	case <-wake:
	default:
		t.Errorf("Terminate did not wake tailing readers")
	}
	var addErr error
	done := make(chan struct{})
	m.AddEntry([]byte("late"), func(_ ml.Position, err error) { addErr = err; close(done) })
	<-done
	if !errors.Is(addErr, ml.ErrTerminated) {
		t.Errorf("add after Terminate: %v, want ErrTerminated", addErr)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, "public/default/persistent/term", ml.Config{})
	if !m.Terminated() || m.LastConfirmed() != pos[4] {
		t.Fatalf("after restart: terminated %v at %v, want true at %v", m.Terminated(), m.LastConfirmed(), pos[4])
	}
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	wantPayloads(t, readAll(t, c), 0, 5)
}

func TestRolloverTriggers(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	for i, tc := range []struct {
		name    string
		cfg     ml.Config
		pause   time.Duration // between the two halves of the adds
		ledgers int           // ledgers holding the 10 entries
	}{
		{"by entries", ml.Config{MaxEntriesPerLedger: 3}, 0, 4},
		{"by size", ml.Config{MaxSizePerLedgerBytes: 50}, 0, 2}, // 11-byte entries: 5 fill 55 bytes
		{"by age", ml.Config{MaxLedgerRolloverTime: 200 * time.Millisecond}, 300 * time.Millisecond, 2},
		{"not before the minimum age", ml.Config{MaxEntriesPerLedger: 2, MinLedgerRolloverTime: time.Hour}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.RetentionTime = -1
			m := openML(t, s, fmt.Sprintf("public/default/persistent/roll-%d", i), cfg)
			pos := addAll(t, m, 0, 5)
			time.Sleep(tc.pause)
			pos = append(pos, addAll(t, m, 5, 5)...)
			ids := map[int64]bool{}
			for _, p := range pos {
				ids[p.LedgerID] = true
			}
			if len(ids) != tc.ledgers {
				t.Errorf("10 entries in %d ledgers, want %d: %v", len(ids), tc.ledgers, pos)
			}
		})
	}
}

// An idle log whose ledger is past MaxLedgerRolloverTime is rolled over by the factory's
// background loop, so the old ledger is closed and can be trimmed.
func TestIdleLedgerRolledOverByAge(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/idle", ml.Config{MaxLedgerRolloverTime: 100 * time.Millisecond, RetentionTime: -1})
	pos := addAll(t, m, 0, 1)
	deadline := time.Now().Add(5 * time.Second)
	for len(m.Stats().Ledgers) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no rollover of an idle ledger: %+v", m.Stats().Ledgers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	info, err := s.Ledgers.Stat(testCtx(t), pos[0].LedgerID)
	if err != nil || !info.Closed || info.LastEntryID != 0 {
		t.Errorf("old ledger after rollover: %+v %v, want closed at entry 0", info, err)
	}
}
