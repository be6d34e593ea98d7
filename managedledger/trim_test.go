package managedledger_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/magnetar/magnetar/ledger"
	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

// Every case writes 20 entries of 11 bytes in ledgers of 5 (four ledgers of 55 bytes,
// the last one being written), acknowledges up to ackTo, and trims.
func TestTrimUnderRetention(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	for i, tc := range []struct {
		name     string
		cfg      ml.Config
		ackTo    int // -1: nothing acknowledged
		wait     time.Duration
		reader   bool // a non-durable cursor at Earliest (never holds data)
		durable  bool // false: no durable cursor at all
		ledgersK int  // ledgers kept
	}{
		{name: "no retention, all consumed", ackTo: 19, durable: true, ledgersK: 1},
		{name: "no retention, part consumed", ackTo: 7, durable: true, ledgersK: 3},
		{name: "nothing consumed", ackTo: -1, durable: true, ledgersK: 4},
		{name: "no durable cursor", durable: false, reader: true, ledgersK: 1},
		{name: "infinite retention", cfg: ml.Config{RetentionTime: -1, RetentionSizeBytes: -1}, ackTo: 19, durable: true, ledgersK: 4},
		{name: "infinite time", cfg: ml.Config{RetentionTime: -1}, ackTo: 19, durable: true, ledgersK: 4},
		{name: "time not reached", cfg: ml.Config{RetentionTime: time.Hour}, ackTo: 19, durable: true, ledgersK: 4},
		{name: "time passed", cfg: ml.Config{RetentionTime: time.Millisecond}, wait: 20 * time.Millisecond, ackTo: 19, durable: true, ledgersK: 1},
		// 220 bytes stored: ledgers go while the log exceeds 110 bytes (two go, 110 left).
		{name: "size quota", cfg: ml.Config{RetentionTime: -1, RetentionSizeBytes: 110}, ackTo: 19, durable: true, ledgersK: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.MaxEntriesPerLedger = 5
			// Infinite retention while writing; the case's retention applies for the trim.
			m := openML(t, s, fmt.Sprintf("public/default/persistent/trim-%d", i), ml.Config{MaxEntriesPerLedger: 5, RetentionTime: -1})
			var c *ml.Cursor
			if tc.durable {
				var err error
				if c, err = m.OpenCursor(testCtx(t), "sub", ml.Earliest); err != nil {
					t.Fatal(err)
				}
			}
			if tc.reader {
				m.NewNonDurableCursor("reader", ml.Earliest)
			}
			pos := addAll(t, m, 0, 20)
			var ids []int64
			for _, l := range m.Stats().Ledgers {
				ids = append(ids, l.LedgerID)
			}
			if len(ids) != 4 {
				t.Fatalf("ledgers before trim: %v, want 4", ids)
			}
			if c != nil && tc.ackTo >= 0 {
				if err := c.MarkDelete(pos[tc.ackTo]); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(tc.wait)
			m.SetConfig(cfg)
			if err := m.Trim(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			st := m.Stats()
			if len(st.Ledgers) != tc.ledgersK {
				t.Fatalf("ledgers after trim: %+v, want %d kept", st.Ledgers, tc.ledgersK)
			}
			gone := len(ids) - tc.ledgersK
			for j, id := range ids {
				_, err := s.Ledgers.Stat(testCtx(t), id)
				if deleted := errors.Is(err, ledger.ErrNoSuchLedger); deleted != (j < gone) {
					t.Errorf("ledger %d (#%d): deleted %v (err %v), want %v", id, j, deleted, err, j < gone)
				}
			}
			first := pos[gone*5]
			if got := m.FirstPosition(); got != first {
				t.Errorf("FirstPosition = %v, want %v", got, first)
			}
			if gone > 0 {
				if _, err := m.Read(testCtx(t), pos[0]); !errors.Is(err, ml.ErrNoSuchEntry) {
					t.Errorf("read of a trimmed entry: %v, want ErrNoSuchEntry", err)
				}
			}
			if st.Entries != int64(20-gone*5) {
				t.Errorf("entries after trim = %d, want %d", st.Entries, 20-gone*5)
			}
		})
	}
}

func TestTrimSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	const name = "public/default/persistent/trim-restart"
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, name, ml.Config{MaxEntriesPerLedger: 5})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 12)
	if err := c.MarkDelete(pos[10]); err != nil {
		t.Fatal(err)
	}
	if err := m.Trim(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, name, ml.Config{MaxEntriesPerLedger: 5})
	if got := m.FirstPosition(); got != pos[10] {
		t.Errorf("FirstPosition after restart = %v, want %v", got, pos[10])
	}
	if got := m.Cursors()[0].Backlog(); got != 1 {
		t.Errorf("backlog after restart = %d, want 1", got)
	}
}
