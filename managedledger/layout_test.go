package managedledger

import (
	"testing"
	"time"
)

// A log of ledgers 3 (2 entries), 5 (empty, dropped in practice but tolerated), 7 (3
// entries) and 9, the ledger being written (1 entry).
var testLayout = layout{{ID: 3, Entries: 2, Size: 20}, {ID: 5}, {ID: 7, Entries: 3, Size: 60}, {ID: 9, Entries: 1, Size: 5}}

func P(l, e int64) Position { return Position{l, e} }

func TestLayoutNormalizeAndSucc(t *testing.T) {
	l := testLayout
	for _, tc := range []struct {
		in, norm, succ Position
	}{
		{Earliest, P(3, 0), P(3, 0)},
		{P(3, -1), P(3, 0), P(3, 0)},
		{P(3, 0), P(3, 0), P(3, 1)},
		{P(3, 1), P(3, 1), P(7, 0)}, // crosses the empty ledger 5
		{P(4, 0), P(7, 0), P(7, 0)}, // a trimmed or unknown ledger
		{P(7, 2), P(7, 2), P(9, 0)},
		{P(9, 0), P(9, 0), P(9, 1)}, // the end slot
		{P(9, 5), P(9, 1), P(9, 1)},
		{Latest, P(9, 1), P(9, 1)},
	} {
		if got := l.normalize(tc.in); got != tc.norm {
			t.Errorf("normalize(%v) = %v, want %v", tc.in, got, tc.norm)
		}
		if got := l.succ(tc.in); got != tc.succ {
			t.Errorf("succ(%v) = %v, want %v", tc.in, got, tc.succ)
		}
	}
}

func TestLayoutCountAdvanceAt(t *testing.T) {
	l := testLayout
	for _, tc := range []struct {
		a, b Position
		n    int64
	}{
		{P(3, -1), P(9, 0), 6},
		{P(3, 0), P(3, 1), 1},
		{P(3, 1), P(7, 0), 1},
		{P(2, 0), P(7, 1), 4},
		{P(7, 2), P(7, 2), 0},
		{P(9, 0), P(3, 0), 0},
	} {
		if got := l.count(tc.a, tc.b); got != tc.n {
			t.Errorf("count(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.n)
		}
	}
	for _, tc := range []struct {
		p    Position
		k    int64
		want Position
		ok   bool
	}{
		{P(3, -1), 1, P(3, 0), true},
		{P(3, 0), 2, P(7, 0), true},
		{P(3, 1), 4, P(9, 0), true},
		{P(3, 1), 9, P(9, 0), true}, // clamped to the last entry
		{P(9, 0), 1, Position{}, false},
	} {
		got, ok := l.advance(tc.p, tc.k)
		if got != tc.want || ok != tc.ok {
			t.Errorf("advance(%v, %d) = %v %v, want %v %v", tc.p, tc.k, got, ok, tc.want, tc.ok)
		}
	}
	for i, want := range []Position{P(3, 0), P(3, 1), P(7, 0), P(7, 1), P(7, 2), P(9, 0)} {
		if got, ok := l.at(int64(i)); !ok || got != want {
			t.Errorf("at(%d) = %v %v, want %v", i, got, ok, want)
		}
	}
	if _, ok := l.at(6); ok {
		t.Errorf("at(6) found an entry past the end")
	}
	if got := l.bytes(P(3, -1), P(7, 0)); got != 20+20 {
		t.Errorf("bytes = %d, want 40 (2 entries of 10 and one of 20)", got)
	}
}

func TestRangeSet(t *testing.T) {
	l := testLayout
	var s rangeSet
	for _, p := range []Position{P(7, 0), P(3, 1), P(9, 0), P(7, 2)} {
		if !s.add(p, l) {
			t.Fatalf("add(%v) reported present", p)
		}
	}
	// 3:1 and 7:0 touch across the empty ledger; 7:2 and 9:0 touch across a boundary.
	want := []posRange{{P(3, 1), P(7, 0)}, {P(7, 2), P(9, 0)}}
	if !equalRanges(s.r, want) {
		t.Fatalf("ranges = %v, want %v", s.r, want)
	}
	if s.add(P(7, 0), l) {
		t.Errorf("add of a present position reported new")
	}
	s.add(P(7, 1), l)
	if !equalRanges(s.r, []posRange{{P(3, 1), P(9, 0)}}) {
		t.Fatalf("filling the gap did not merge: %v", s.r)
	}
	if got := s.count(l, P(9, 0)); got != 5 {
		t.Errorf("count = %d, want 5", got)
	}
	if got := s.count(l, P(7, 1)); got != 3 {
		t.Errorf("count up to 7:1 = %d, want 3", got)
	}
	s.dropThrough(P(7, 1), l)
	if !equalRanges(s.r, []posRange{{P(7, 2), P(9, 0)}}) {
		t.Fatalf("dropThrough split wrong: %v", s.r)
	}
	if _, ok := s.popTouching(P(7, 0), l); ok {
		t.Errorf("popTouching took a range that does not touch 7:0")
	}
	if r, ok := s.popTouching(P(7, 1), l); !ok || r.To != P(9, 0) {
		t.Errorf("popTouching(7:1) = %v %v", r, ok)
	}
	if s.len() != 0 {
		t.Errorf("set not empty: %v", s.r)
	}
}

func equalRanges(a, b []posRange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetentionLets(t *testing.T) {
	const h = 3600_000
	now := int64(10 * h)
	old := ledgerMeta{TimestampMs: now - 2*h, Size: 100}
	for _, tc := range []struct {
		name string
		time int64 // hours
		size int64
		log  int64
		want bool
	}{
		{"no retention", 0, 0, 1000, true},
		{"infinite time", -1, 0, 1000, false},
		{"infinite both", -1, -1, 1000, false},
		{"time not reached", 3, 0, 1000, false},
		{"time passed", 1, 0, 1000, true},
		{"size under quota", 0, 2000, 1000, false},
		{"size over quota", 0, 500, 1000, true},
		{"either limit: over size", 3, 500, 1000, true},
		{"either limit: neither", 3, 5000, 1000, false},
		{"infinite time, size over", -1, 500, 1000, true},
	} {
		cfg := Config{RetentionTime: durationHours(tc.time), RetentionSizeBytes: tc.size}
		if got := retentionLets(cfg, old, tc.log, timeMs(now)); got != tc.want {
			t.Errorf("%s: retentionLets = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func durationHours(h int64) time.Duration { return time.Duration(h) * time.Hour }

func timeMs(ms int64) time.Time { return time.UnixMilli(ms) }
