package managedledger_test

import (
	"errors"
	"sync"
	"testing"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

// A ledger that fails its appends (on every bookie, so no ensemble change helps) makes
// the managed ledger roll over and send the failed adds again: none is lost, reordered
// or stored twice.
func TestLedgerFailureRollsOverWithoutLoss(t *testing.T) {
	dir := t.TempDir()
	const name = "public/default/persistent/fail"
	s := mltest.NewStack(t, dir, 1)
	m := openML(t, s, name, ml.Config{})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	before := addAll(t, m, 0, 10)
	failed := before[9].LedgerID
	s.FailAdds(failed, errors.New("injected disk failure"))
	after := addAll(t, m, 10, 20)
	s.FailAdds(failed, nil)

	if after[0].LedgerID == failed {
		t.Fatalf("add after the failure stored in the failed ledger %d", failed)
	}
	var kept int64
	for _, l := range m.Stats().Ledgers {
		if l.LedgerID == failed {
			kept = l.Entries
		}
	}
	if kept != 10 {
		t.Errorf("failed ledger lists %d entries, want the 10 acknowledged", kept)
	}
	wantPayloads(t, readAll(t, c), 0, 30)

	// And from the bookies, after a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mltest.NewStack(t, dir, 1)
	m = openML(t, s, name, ml.Config{})
	c = m.Cursors()[0]
	wantPayloads(t, readAll(t, c), 0, 30)
}

// Stopping the bookie that holds the current ledger (E=Qw=Qa=1) while adds are in flight,
// with a second bookie available: every add still succeeds, in order, exactly once (the
// ledger client replaces the bookie by an ensemble change; TestLedgerFailureRollsOver...
// covers the failures it cannot route around).
func TestBookieStopsWhileWriting(t *testing.T) {
	dir := t.TempDir()
	const name = "public/default/persistent/bookie-down"
	s := mltest.NewStackWith(t, dir, 2, mltest.Options{AddTimeoutMs: 2000})
	if err := s.StopBookie(1); err != nil { // the first ledger goes to bookie 0
		t.Fatal(err)
	}
	m := openML(t, s, name, ml.Config{})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, m, 0, 20)
	if err := s.StartBookie(1); err != nil {
		t.Fatal(err)
	}

	// Issue n adds at once; when the 50th is acknowledged, stop bookie 0 under the rest.
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	var pos []ml.Position
	var errs []error
	stopped := make(chan error, 1)
	wg.Add(n)
	for i := range n {
		m.AddEntry(payload(20+i), func(p ml.Position, err error) {
			mu.Lock()
			pos, errs = append(pos, p), append(errs, err)
			mu.Unlock()
			if i == 50 {
				go func() { stopped <- s.StopBookie(0) }()
			}
			wg.Done()
		})
	}
	waitGroup(t, &wg)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("add %d: %v", 20+i, err)
		}
	}
	if len(pos) != n {
		t.Fatalf("%d callbacks for %d adds", len(pos), n)
	}
	// Adds after the stop: the ledger on bookie 0 cannot take them.
	addAll(t, m, 20+n, 100)
	t.Logf("ledgers: %+v", m.Stats().Ledgers)
	wantPayloads(t, readAll(t, c), 0, 20+n+100)

	// Bookie 0 holds the early entries: bring it back and read everything from storage.
	if err := s.StartBookie(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mltest.NewStack(t, dir, 2)
	m = openML(t, s, name, ml.Config{})
	wantPayloads(t, readAll(t, m.Cursors()[0]), 0, 20+n+100)
}

// A second owner opening the log fences the first: the first one's adds fail with
// ErrFenced and nothing it acknowledged is lost.
func TestSecondOwnerFencesFirst(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	const name = "public/default/persistent/fence"
	m1 := openML(t, s, name, ml.Config{RetentionTime: -1})
	c1, err := m1.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	pos := addAll(t, m1, 0, 5)

	f2, err := ml.NewFactory(ml.FactoryConfig{Store: s.Store, Ledgers: s.Ledgers})
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	m2, err := f2.Open(testCtx(t), name, ml.Config{RetentionTime: -1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	m1.AddEntry([]byte("stale owner"), func(_ ml.Position, err error) { done <- err })
	if err := <-done; !errors.Is(err, ml.ErrFenced) {
		t.Fatalf("add by the fenced owner: %v, want ErrFenced", err)
	}
	addAll(t, m2, 5, 3)

	// The stale owner's cursor write may land, but the new owner's write wins.
	_ = c1.MarkDelete(pos[4])
	_ = c1.Flush(testCtx(t))
	c2 := m2.Cursors()[0]
	if err := c2.MarkDelete(pos[1]); err != nil {
		t.Fatal(err)
	}
	if err := c2.Flush(testCtx(t)); err != nil {
		t.Fatalf("new owner's cursor flush after the old owner wrote: %v", err)
	}
	if err := m1.Close(testCtx(t)); err != nil && !errors.Is(err, ml.ErrFenced) {
		t.Errorf("close of the fenced owner: %v", err)
	}
	c := m2.NewNonDurableCursor("check", ml.Earliest)
	wantPayloads(t, readAll(t, c), 0, 8)
	if err := m2.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	m3 := openML(t, s, name, ml.Config{RetentionTime: -1})
	if got := m3.Cursors()[0].MarkDeleted(); got != pos[1] {
		t.Errorf("cursor after the takeover: %v, want the new owner's %v", got, pos[1])
	}
	wantPayloads(t, readAll(t, m3.NewNonDurableCursor("check", ml.Earliest)), 0, 8)
}
