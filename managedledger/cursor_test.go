package managedledger_test

import (
	"slices"
	"testing"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func TestIndividualAcksAdvanceMarkDelete(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/acks", ml.Config{MaxEntriesPerLedger: 4})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 10) // ledgers of 4, 4, 2 entries
	if got := c.Backlog(); got != 10 {
		t.Fatalf("backlog = %d, want 10", got)
	}
	before := c.MarkDeleted()
	if before.Compare(pos[0]) >= 0 {
		t.Fatalf("mark-delete %v of a new Earliest cursor is not before the first entry %v", before, pos[0])
	}

	// Ack 1, 2, 4 (4 is the first entry of the second ledger): mark-delete stays.
	if err := c.Delete(pos[1], pos[2], pos[4]); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != before {
		t.Errorf("mark-delete moved to %v with entry 0 unacked", c.MarkDeleted())
	}
	if got := c.Backlog(); got != 7 {
		t.Errorf("backlog = %d, want 7", got)
	}
	for i, want := range []bool{false, true, true, false, true, false} {
		if got := c.IsAcked(pos[i]); got != want {
			t.Errorf("IsAcked(entry %d) = %v, want %v", i, got, want)
		}
	}
	// Reading skips the acknowledged entries.
	got := readAll(t, c)
	if want := []string{"entry-00000", "entry-00003", "entry-00005", "entry-00006", "entry-00007", "entry-00008", "entry-00009"}; !slices.Equal(payloadsOf(got), want) {
		t.Errorf("read %v, want %v", payloadsOf(got), want)
	}

	// Acking 0 then 3 folds 0..4 into the mark-delete position, across the ledger boundary.
	if err := c.Delete(pos[0]); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[2] {
		t.Errorf("after acking 0: mark-delete %v, want %v", c.MarkDeleted(), pos[2])
	}
	if err := c.Delete(pos[3]); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[4] {
		t.Errorf("after acking 3: mark-delete %v, want %v", c.MarkDeleted(), pos[4])
	}
	if got := c.Backlog(); got != 5 {
		t.Errorf("backlog = %d, want 5", got)
	}
	// Cumulative ack in the middle of individually acked entries.
	if err := c.Delete(pos[7], pos[8]); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkDelete(pos[6]); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[8] {
		t.Errorf("mark-delete to 6 with 7, 8 acked: %v, want %v", c.MarkDeleted(), pos[8])
	}
	if got := c.Backlog(); got != 1 {
		t.Errorf("backlog = %d, want 1", got)
	}
	if err := c.MarkDelete(pos[2]); err != nil || c.MarkDeleted() != pos[8] {
		t.Errorf("mark-delete backwards: %v, position %v; want no error, no move", err, c.MarkDeleted())
	}
	beyond := ml.Position{LedgerID: pos[9].LedgerID, EntryID: pos[9].EntryID + 5}
	if err := c.MarkDelete(beyond); err == nil {
		t.Errorf("mark-delete beyond the last entry succeeded")
	}
	if c.BacklogBytes() != int64(len(payload(9))) {
		t.Errorf("backlog bytes = %d, want %d", c.BacklogBytes(), len(payload(9)))
	}
}

func TestBatchAckSets(t *testing.T) {
	dir := t.TempDir()
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, "public/default/persistent/batch", ml.Config{})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 3)
	c.SetBatchAckSet(pos[1], []int64{0b1010})
	if got := c.BatchAckSet(pos[1]); !slices.Equal(got, []int64{0b1010}) {
		t.Fatalf("BatchAckSet = %v", got)
	}
	if c.BatchAckSet(pos[0]) != nil {
		t.Errorf("BatchAckSet of an entry without one = %v, want nil", c.BatchAckSet(pos[0]))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, "public/default/persistent/batch", ml.Config{})
	c, err = m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BatchAckSet(pos[1]); !slices.Equal(got, []int64{0b1010}) {
		t.Fatalf("after restart BatchAckSet = %v, want [10]", got)
	}
	// Acknowledging the whole entry drops its partial state.
	if err := c.MarkDelete(pos[1]); err != nil {
		t.Fatal(err)
	}
	if c.BatchAckSet(pos[1]) != nil {
		t.Errorf("BatchAckSet after mark-delete = %v, want nil", c.BatchAckSet(pos[1]))
	}
}

func TestSeekResetRewindSkip(t *testing.T) {
	dir := t.TempDir()
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, "public/default/persistent/seek", ml.Config{MaxEntriesPerLedger: 3, RetentionTime: -1})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m, 0, 9)

	wantPayloads(t, readAll(t, c), 0, 9)
	c.Rewind()
	if c.ReadPosition() != pos[0] {
		t.Errorf("after Rewind read position %v, want %v", c.ReadPosition(), pos[0])
	}
	c.Seek(pos[5])
	wantPayloads(t, readAll(t, c), 5, 9)
	if c.Backlog() != 9 {
		t.Errorf("Seek changed acknowledgements: backlog %d", c.Backlog())
	}

	if err := c.Skip(4); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[3] || c.Backlog() != 5 {
		t.Errorf("Skip(4): mark-delete %v backlog %d, want %v and 5", c.MarkDeleted(), c.Backlog(), pos[3])
	}
	// Skip counts only unacknowledged entries.
	if err := c.Delete(pos[5]); err != nil {
		t.Fatal(err)
	}
	if err := c.Skip(2); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[6] {
		t.Errorf("Skip(2) over an acked entry: mark-delete %v, want %v", c.MarkDeleted(), pos[6])
	}
	if err := c.Skip(100); err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != pos[8] || c.Backlog() != 0 {
		t.Errorf("Skip past the end: mark-delete %v backlog %d, want %v and 0", c.MarkDeleted(), c.Backlog(), pos[8])
	}

	// Reset moves acknowledgements back and is persisted at once.
	if err := c.Reset(testCtx(t), pos[2]); err != nil {
		t.Fatal(err)
	}
	if c.Backlog() != 7 || c.ReadPosition() != pos[2] {
		t.Errorf("after Reset: backlog %d read position %v, want 7 and %v", c.Backlog(), c.ReadPosition(), pos[2])
	}
	wantPayloads(t, readAll(t, c), 2, 9)
	if err := c.Reset(testCtx(t), ml.Latest); err != nil {
		t.Fatal(err)
	}
	if c.Backlog() != 0 {
		t.Errorf("after Reset(Latest): backlog %d", c.Backlog())
	}
	if err := c.Reset(testCtx(t), pos[4]); err != nil {
		t.Fatal(err)
	}
	// Abandon the stack: only what was persisted survives, and Reset persisted.
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	s2 := mltest.NewStack(t, dir, 1)
	m = openML(t, s2, "public/default/persistent/seek", ml.Config{RetentionTime: -1})
	c, err = m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backlog() != 5 {
		t.Errorf("after crash: backlog %d, want 5 (reset to entry 4)", c.Backlog())
	}
	wantPayloads(t, readAll(t, c), 4, 9)
}

func TestNonDurableCursor(t *testing.T) {
	dir := t.TempDir()
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, "public/default/persistent/reader", ml.Config{MaxEntriesPerLedger: 3, RetentionTime: -1})
	pos := addAll(t, m, 0, 6)

	for _, tc := range []struct {
		start ml.Position
		from  int
	}{
		{ml.Earliest, 0},
		{pos[4], 4},
		{ml.Latest, 6},
	} {
		r := m.NewNonDurableCursor("reader", tc.start)
		if r.Durable() {
			t.Fatalf("non-durable cursor says durable")
		}
		wantPayloads(t, readAll(t, r), tc.from, 6)
	}
	r := m.NewNonDurableCursor("reader", ml.Earliest)
	if err := r.MarkDelete(pos[5]); err != nil {
		t.Fatal(err)
	}
	if len(m.Cursors()) != 1 {
		t.Errorf("cursors = %d, want the one reader", len(m.Cursors()))
	}
	if err := m.DeleteCursor(testCtx(t), "reader"); err != nil {
		t.Fatal(err)
	}
	if len(m.Cursors()) != 0 {
		t.Errorf("reader still listed after DeleteCursor")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, "public/default/persistent/reader", ml.Config{})
	if n := len(m.Cursors()); n != 0 {
		t.Errorf("a non-durable cursor survived a restart (%d cursors)", n)
	}
}

func TestDurableCursorLifecycle(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/cursors", ml.Config{})
	addAll(t, m, 0, 4)
	a, err := m.OpenCursor(testCtx(t), "a", ml.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if a.Backlog() != 0 {
		t.Errorf("Latest cursor backlog %d, want 0", a.Backlog())
	}
	again, err := m.OpenCursor(testCtx(t), "a", ml.Earliest)
	if err != nil || again.MarkDeleted() != a.MarkDeleted() {
		t.Errorf("reopening a cursor changed it: %v %v", err, again.MarkDeleted())
	}
	if err := a.SetProperties(testCtx(t), map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenCursor(testCtx(t), "b/with slash", ml.Earliest); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range m.Cursors() {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, []string{"a", "b/with slash"}) {
		t.Errorf("cursors = %v", names)
	}
	if err := m.DeleteCursor(testCtx(t), "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteCursor(testCtx(t), "a"); err == nil {
		t.Errorf("deleting a deleted cursor succeeded")
	}
	if err := m.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	m = openML(t, s, "public/default/persistent/cursors", ml.Config{})
	names = nil
	for _, c := range m.Cursors() {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, []string{"b/with slash"}) {
		t.Errorf("after reopen cursors = %v, want the one not deleted", names)
	}
	if got := m.Cursors()[0].Backlog(); got != 4 {
		t.Errorf("restored Earliest cursor backlog %d, want 4", got)
	}
}
