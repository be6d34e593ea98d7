package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// payload is entry i's content; sizes vary so lengths are checked too.
func payload(i int64) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("entry-%06d|", i)), 1+int(i%7))
}

// acks records the callbacks of a WriteHandle in the order they ran.
type acks struct {
	mu   sync.Mutex
	ids  []int64
	errs []error
	wake chan struct{}
}

func newAcks() *acks { return &acks{wake: make(chan struct{}, 1)} }

func (a *acks) cb(id int64, err error) {
	a.mu.Lock()
	a.ids = append(a.ids, id)
	a.errs = append(a.errs, err)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// wait returns once n callbacks ran.
func (a *acks) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		a.mu.Lock()
		got := len(a.ids)
		a.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-a.wake:
		case <-deadline:
			t.Fatalf("%d of %d append callbacks after 15s", got, n)
		}
	}
}

// acked returns the ids acknowledged without error, checking that they are 0, 1, 2, ...
// in callback order and that no success follows a failure.
func (a *acks) acked(t *testing.T) []int64 {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var ok []int64
	failed := false
	for i, id := range a.ids {
		if a.errs[i] != nil {
			failed = true
			continue
		}
		if failed {
			t.Fatalf("entry %d acknowledged after a failed append", id)
		}
		if id != int64(len(ok)) {
			t.Fatalf("callback %d acknowledged entry %d, want %d", i, id, len(ok))
		}
		ok = append(ok, id)
	}
	return ok
}

// appendAll appends entries first..first+n-1 and waits for them.
func appendAll(t *testing.T, w *WriteHandle, first, n int64) {
	t.Helper()
	a := newAcks()
	for i := first; i < first+n; i++ {
		w.Append(payload(i), a.cb)
	}
	a.wait(t, int(n))
	for i, err := range a.errs {
		if err != nil {
			t.Fatalf("append %d: %v", first+int64(i), err)
		}
		if a.ids[i] != first+int64(i) {
			t.Fatalf("callback %d got entry id %d, want %d", i, a.ids[i], first+int64(i))
		}
	}
}

type readable interface {
	Read(ctx context.Context, first, last int64) ([]Entry, error)
}

// checkEntries reads first..last and compares them with payload.
func checkEntries(t *testing.T, h readable, lid, first, last int64) {
	t.Helper()
	got, err := h.Read(testCtx(t), first, last)
	if err != nil {
		t.Fatalf("read %d..%d: %v", first, last, err)
	}
	if len(got) != int(last-first+1) {
		t.Fatalf("read %d..%d: %d entries", first, last, len(got))
	}
	for i, e := range got {
		want := first + int64(i)
		if e.LedgerID != lid || e.EntryID != want || !bytes.Equal(e.Data, payload(want)) {
			t.Fatalf("entry %d: got %d/%d %q", want, e.LedgerID, e.EntryID, e.Data)
		}
	}
}

func totalLength(n int64) int64 {
	var l int64
	for i := range n {
		l += int64(len(payload(i)))
	}
	return l
}

var opts323 = CreateOptions{EnsembleSize: 3, WriteQuorum: 2, AckQuorum: 2, Password: []byte("pw"), Custom: map[string]string{"ml": "t1"}}

func TestCreateAppendReadCloseReopen(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	cl := c.client(0)
	ctx := testCtx(t)
	w, err := cl.Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.LastAddConfirmed(); got != -1 {
		t.Fatalf("LAC of an empty ledger = %d, want -1", got)
	}
	const n = 300
	appendAll(t, w, 0, n)
	if w.LastAddConfirmed() != n-1 || w.Length() != totalLength(n) {
		t.Fatalf("LAC %d length %d, want %d %d", w.LastAddConfirmed(), w.Length(), n-1, totalLength(n))
	}
	checkEntries(t, w, w.ID(), 0, n-1)
	if _, err := w.Read(ctx, 0, n); !errors.Is(err, ErrReadBeyondLAC) {
		t.Fatalf("read past the LAC: %v, want ErrReadBeyondLAC", err)
	}
	info, err := cl.Stat(ctx, w.ID())
	if err != nil || info.Closed || info.EnsembleSize != 3 || info.Custom["ml"] != "t1" {
		t.Fatalf("stat of the open ledger: %+v %v", info, err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	w.Append([]byte("late"), a.cb)
	a.wait(t, 1)
	if !errors.Is(a.errs[0], ErrLedgerClosed) {
		t.Fatalf("append after close: %v, want ErrLedgerClosed", a.errs[0])
	}
	info, err = cl.Stat(ctx, w.ID())
	if err != nil || !info.Closed || info.LastEntryID != n-1 || info.Length != totalLength(n) {
		t.Fatalf("stat of the closed ledger: %+v %v", info, err)
	}

	for _, recover := range []bool{false, true} {
		r, err := c.client(0).Open(ctx, w.ID(), recover, []byte("pw"))
		if err != nil {
			t.Fatalf("open (recover=%v): %v", recover, err)
		}
		if r.LastAddConfirmed() != n-1 || r.Length() != totalLength(n) {
			t.Fatalf("open (recover=%v): LAC %d length %d", recover, r.LastAddConfirmed(), r.Length())
		}
		checkEntries(t, r, w.ID(), 0, n-1)
		checkEntries(t, r, w.ID(), 17, 17)
		r.Close()
	}
	if _, err := cl.Open(ctx, w.ID(), false, []byte("wrong")); !errors.Is(err, bookie.ErrUnauthorized) {
		t.Fatalf("open with a wrong password: %v", err)
	}
	if err := cl.Delete(ctx, w.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Open(ctx, w.ID(), false, []byte("pw")); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("open a deleted ledger: %v, want ErrNoSuchLedger", err)
	}
	if err := cl.Delete(ctx, w.ID()); !errors.Is(err, ErrNoSuchLedger) {
		t.Fatalf("delete twice: %v, want ErrNoSuchLedger", err)
	}
}

// The first entries of a ledger land on the write sets of round-robin striping.
func TestStripedWriteSets(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3", "/r4")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, CreateOptions{EnsembleSize: 4, WriteQuorum: 2, AckQuorum: 2})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 8)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	for e := int64(0); e < 8; e++ {
		for pos, id := range ens {
			_, err := c.node(id).direct.ReadEntry(ctx, w.ID(), e, 0, nil)
			inSet := pos == int(e%4) || pos == int((e+1)%4)
			if inSet != (err == nil) {
				t.Errorf("entry %d on bookie at position %d: %v (in write set: %v)", e, pos, err, inSet)
			}
		}
	}
}

func TestCallbacksInOrderDespiteReorderedAnswers(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	for _, n := range c.nodes {
		n.fc.set(func(f *faultClient) { f.jitter = 3 * time.Millisecond })
	}
	w, err := c.client(0).Create(testCtx(t), opts323)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	a := newAcks()
	for i := int64(0); i < n; i++ {
		w.Append(payload(i), a.cb)
	}
	a.wait(t, n)
	if got := a.acked(t); len(got) != n {
		t.Fatalf("%d of %d acknowledged", len(got), n)
	}
	inv := 0
	for _, nd := range c.nodes {
		inv += nd.fc.inversions()
	}
	if inv == 0 {
		t.Fatal("the bookies answered in order: the test did not exercise reordering")
	}
	checkEntries(t, w, w.ID(), 0, n-1)
}

func TestCorruptReplicaIsSkipped(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, CreateOptions{EnsembleSize: 3, WriteQuorum: 3, AckQuorum: 2})
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 30)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	c.node(ens[0]).fc.set(func(f *faultClient) { f.corrupt = true })
	c.node(ens[1]).fc.set(func(f *faultClient) { f.corrupt = true })
	r, err := c.client(0).Open(ctx, w.ID(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, r, w.ID(), 0, 29)
	c.node(ens[2]).fc.set(func(f *faultClient) { f.corrupt = true })
	if _, err := r.Read(ctx, 3, 3); !errors.Is(err, errCorrupt) {
		t.Fatalf("read with every replica corrupt: %v, want a checksum error", err)
	}
}

// producer appends entries with a bounded number in flight until stopped or failed.
type producer struct {
	w    *WriteHandle
	a    *acks
	stop chan struct{}
	done chan struct{}
	sent int64
}

func startProducer(w *WriteHandle, inflight int) *producer {
	p := &producer{w: w, a: newAcks(), stop: make(chan struct{}), done: make(chan struct{})}
	sem := make(chan struct{}, inflight)
	go func() {
		defer close(p.done)
		for i := int64(0); ; i++ {
			select {
			case <-p.stop:
				return
			case sem <- struct{}{}:
			}
			p.sent = i + 1
			w.Append(payload(i), func(id int64, err error) {
				p.a.cb(id, err)
				<-sem
			})
		}
	}()
	return p
}

// waitAcked waits until n entries have been acknowledged.
func (p *producer) waitAcked(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for p.w.LastAddConfirmed() < n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("LAC %d after 15s, want %d", p.w.LastAddConfirmed(), n-1)
		}
		time.Sleep(time.Millisecond)
	}
}

// finish stops the producer and waits for the callbacks of everything it sent.
func (p *producer) finish(t *testing.T) []int64 {
	t.Helper()
	close(p.stop)
	<-p.done
	p.a.wait(t, int(p.sent))
	return p.a.acked(t)
}

func TestBookieKilledWhileWriting(t *testing.T) {
	c := startCluster(t, "/r1", "/r1", "/r2", "/r2")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	first := c.meta(w.ID()).Ensembles[0].Bookies
	p := startProducer(w, 64)
	p.waitAcked(t, 500)
	victim := first[1]
	c.kill(victim)
	p.waitAcked(t, 2000)
	acked := p.finish(t)
	for i, err := range p.a.errs {
		if err != nil {
			t.Fatalf("append %d failed: %v", p.a.ids[i], err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m := c.meta(w.ID())
	if len(m.Ensembles) != 2 {
		t.Fatalf("fragments %+v, want 2", m.Ensembles)
	}
	second := m.Ensembles[1]
	if second.FirstEntryID < 500 || slices.Contains(second.Bookies, victim) ||
		second.Bookies[0] != first[0] || second.Bookies[2] != first[2] {
		t.Fatalf("new fragment %+v after killing %s of %v", second, victim, first)
	}
	if m.LastEntryID != int64(len(acked))-1 {
		t.Fatalf("closed at %d, acknowledged %d", m.LastEntryID, len(acked))
	}
	c.checkReplicated(t, w.ID(), second.FirstEntryID, m.LastEntryID)
	r, err := c.client(0).Open(ctx, w.ID(), false, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, r, w.ID(), 0, int64(len(acked))-1)
}

func TestHangingBookieReplacedAfterTimeout(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3", "/r4")
	ctx := testCtx(t)
	w, err := c.client(300).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 50)
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	c.node(ens[2]).fc.set(func(f *faultClient) { f.hang = true })
	start := time.Now()
	appendAll(t, w, 50, 50)
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("appends past a hanging bookie took %v, less than the add timeout", el)
	}
	m := c.meta(w.ID())
	if len(m.Ensembles) != 2 || m.Ensembles[1].FirstEntryID != 50 || slices.Contains(m.Ensembles[1].Bookies, ens[2]) {
		t.Fatalf("fragments %+v: want a second one from entry 50 without %s", m.Ensembles, ens[2])
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c.checkReplicated(t, w.ID(), 50, 99)
	r, err := c.client(0).Open(ctx, w.ID(), false, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, r, w.ID(), 0, 99)
}

func TestFencingTwoWriters(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	p := startProducer(w, 32)
	p.waitAcked(t, 300)
	r, err := c.client(0).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	acked := p.finish(t)
	lastErr := p.a.errs[len(p.a.errs)-1]
	if !errors.Is(lastErr, ErrFenced) {
		t.Fatalf("writer's last append after recovery: %v, want ErrFenced", lastErr)
	}
	a := newAcks()
	w.Append([]byte("after"), a.cb)
	a.wait(t, 1)
	if !errors.Is(a.errs[0], ErrFenced) {
		t.Fatalf("append after fencing: %v, want ErrFenced", a.errs[0])
	}
	if err := w.Close(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("close of the fenced writer: %v, want ErrFenced", err)
	}
	// The recoverer sees every acknowledged entry, maybe a few unacknowledged ones, and
	// never anything else.
	lac := r.LastAddConfirmed()
	if lac < int64(len(acked))-1 || lac >= p.sent {
		t.Fatalf("recovered up to %d; writer acknowledged %d, sent %d", lac, len(acked), p.sent)
	}
	checkEntries(t, r, w.ID(), 0, lac)
	info, err := c.client(0).Stat(ctx, w.ID())
	if err != nil || !info.Closed || info.LastEntryID != lac || info.Length != totalLength(lac+1) {
		t.Fatalf("stat after recovery: %+v %v, want closed at %d", info, err, lac)
	}
}

func TestRecoveryAfterWriterDied(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 100)
	// Entries 100..109 are in flight when the writer dies: one bookie of the ensemble
	// never answers them; the others have them.
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	c.node(ens[0]).fc.set(func(f *faultClient) { f.hang = true })
	a := newAcks()
	for i := int64(100); i < 110; i++ {
		w.Append(payload(i), a.cb)
	}
	time.Sleep(50 * time.Millisecond) // let the others journal them; w is abandoned
	a.mu.Lock()
	if n := len(a.ids); n > 1 {
		t.Fatalf("%d entries acknowledged with a hanging bookie in two of three write sets", n)
	}
	a.mu.Unlock()
	c.node(ens[0]).fc.set(func(f *faultClient) { f.hang = false }) // its held adds stay unanswered
	r, err := c.client(0).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	// Every entry in flight has a copy outside the hanging bookie: all are kept.
	lac := r.LastAddConfirmed()
	if lac != 109 {
		t.Fatalf("recovered up to %d, want 109", lac)
	}
	checkEntries(t, r, w.ID(), 0, lac)
	// The recovered tail is now on its whole write set.
	for e := int64(100); e <= lac; e++ {
		for i := int64(0); i < 2; i++ {
			id := ens[(e+i)%3]
			if _, err := c.node(id).direct.ReadEntry(ctx, w.ID(), e, 0, nil); err != nil {
				t.Errorf("entry %d not re-replicated to %s: %v", e, id, err)
			}
		}
	}
	// Opening again finds it closed at the same point.
	r2, err := c.client(0).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil || r2.LastAddConfirmed() != lac {
		t.Fatalf("second recovery: %v, LAC %d, want %d", err, r2.LastAddConfirmed(), lac)
	}
}

func TestRecoveryOfEmptyLedger(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.client(0).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if r.LastAddConfirmed() != -1 || r.Length() != 0 {
		t.Fatalf("recovered empty ledger: LAC %d length %d", r.LastAddConfirmed(), r.Length())
	}
	a := newAcks()
	w.Append([]byte("x"), a.cb)
	a.wait(t, 1)
	if !errors.Is(a.errs[0], ErrFenced) {
		t.Fatalf("append to a recovered empty ledger: %v, want ErrFenced", a.errs[0])
	}
}

func TestNotEnoughBookies(t *testing.T) {
	c := startCluster(t, "/r1", "/r2")
	_, err := c.client(0).Create(testCtx(t), opts323)
	if !errors.Is(err, ErrNotEnoughBooks) {
		t.Fatalf("create E=3 with 2 bookies: %v, want ErrNotEnoughBooks", err)
	}
}

// The writer died and so did a bookie of its ensemble: recovery replaces the bookie to
// bring the tail back to an ack quorum.
func TestRecoveryReplacesDeadBookie(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3", "/r4")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 100)
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	c.node(ens[0]).fc.set(func(f *faultClient) { f.hang = true })
	a := newAcks()
	for i := int64(100); i < 110; i++ {
		w.Append(payload(i), a.cb)
	}
	time.Sleep(50 * time.Millisecond)
	c.node(ens[0]).fc.set(func(f *faultClient) { f.hang = false }) // its held adds stay unanswered
	c.kill(ens[1])

	r, err := c.client(300).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	// 100 (write set 1,2) and 101 (2,0) have a copy on a live bookie; 102 (0,1) has none.
	if lac := r.LastAddConfirmed(); lac != 101 {
		t.Fatalf("recovered up to %d, want 101", lac)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, id := range a.ids {
		if a.errs[i] == nil && id > 101 {
			t.Fatalf("entry %d was acknowledged but not recovered", id)
		}
	}
	checkEntries(t, r, w.ID(), 0, 101)
	m := c.meta(w.ID())
	if len(m.Ensembles) != 2 || m.Ensembles[1].FirstEntryID != 100 || slices.Contains(m.Ensembles[1].Bookies, ens[1]) {
		t.Fatalf("fragments %+v: want one from entry 100 without the dead %s", m.Ensembles, ens[1])
	}
	newB := m.Ensembles[1].Bookies[1]
	if _, err := c.node(newB).direct.ReadEntry(ctx, w.ID(), 100, 0, nil); err != nil {
		t.Fatalf("entry 100 not re-added to the replacement %s: %v", newB, err)
	}
}

// An acknowledgement from a bookie that was replaced no longer counts: the entry waits
// for the replacement.
func TestAckOfReplacedBookieDoesNotCount(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	ens := c.meta(w.ID()).Ensembles[0].Bookies
	a, b := c.node(ens[0]).fc, c.node(ens[1]).fc
	a.set(func(f *faultClient) { f.hang = true })
	spare := c.addBookie("127.0.0.1:3999", "/r4")
	spare.fc.set(func(f *faultClient) { f.hang = true })

	acks := newAcks()
	w.Append(payload(0), acks.cb) // write set a, b: b acknowledges, a holds it
	deadline := time.Now().Add(5 * time.Second)
	for b.answers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no answer from the bookie that is not held")
		}
		time.Sleep(time.Millisecond)
	}
	c.kill(ens[1])
	w.Append(payload(1), acks.cb) // write set b, c: b fails, so b is replaced by the spare
	for c.meta(w.ID()).Ensembles[0].Bookies[1] == ens[1] {
		if time.Now().After(deadline) {
			t.Fatal("no ensemble change after a bookie failed")
		}
		time.Sleep(time.Millisecond)
	}
	a.release() // entry 0 now has a's acknowledgement and b's, which is void
	time.Sleep(100 * time.Millisecond)
	acks.mu.Lock()
	n := len(acks.ids)
	acks.mu.Unlock()
	if n != 0 {
		t.Fatalf("entry 0 acknowledged without its replacement bookie: %v %v", acks.ids, acks.errs)
	}
	spare.fc.release()
	acks.wait(t, 2)
	if got := acks.acked(t); len(got) != 2 {
		t.Fatalf("acknowledged %v, want entries 0 and 1", got)
	}
	c.checkReplicated(t, w.ID(), 0, 1)
}

// Over the TCP bookie protocol: a bookie stops (server and storage) while a producer
// writes; writes go on after an ensemble change, and a recovering reader sees every
// acknowledged entry.
func TestTCPBookieKilledWhileWriting(t *testing.T) {
	c := startTCPCluster(t, "/r1", "/r2", "/r3", "/r4")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	first := c.meta(w.ID()).Ensembles[0].Bookies
	p := startProducer(w, 64)
	p.waitAcked(t, 300)
	c.kill(first[0])
	p.waitAcked(t, 1000)
	acked := p.finish(t)
	for i, err := range p.a.errs {
		if err != nil {
			t.Fatalf("append %d failed: %v", p.a.ids[i], err)
		}
	}
	m := c.meta(w.ID())
	if len(m.Ensembles) != 2 || slices.Contains(m.Ensembles[1].Bookies, first[0]) || m.Ensembles[1].FirstEntryID < 300 {
		t.Fatalf("fragments %+v after killing %s", m.Ensembles, first[0])
	}
	// The writer is abandoned: recovery closes the ledger.
	r, err := c.client(0).Open(ctx, w.ID(), true, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if r.LastAddConfirmed() != int64(len(acked))-1 {
		t.Fatalf("recovered up to %d, acknowledged %d", r.LastAddConfirmed(), len(acked))
	}
	checkEntries(t, r, w.ID(), 0, r.LastAddConfirmed())
	c.checkReplicated(t, w.ID(), m.Ensembles[1].FirstEntryID, r.LastAddConfirmed())
}

// Close waits for the appends in flight and seals the ledger after the last of them.
func TestCloseWaitsForPendingAppends(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	for i := int64(0); i < 200; i++ {
		w.Append(payload(i), a.cb)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	n := len(a.ids)
	a.mu.Unlock()
	if n != 200 {
		t.Fatalf("Close returned with %d of 200 callbacks run", n)
	}
	if got := a.acked(t); len(got) != 200 {
		t.Fatalf("acknowledged %d of 200", len(got))
	}
	if m := c.meta(w.ID()); m.State != stateClosed || m.LastEntryID != 199 || m.Length != totalLength(200) {
		t.Fatalf("metadata after close: %s last %d length %d", m.State, m.LastEntryID, m.Length)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// A reader opening an open ledger without recovery sees a prefix of it and does not
// disturb the writer.
func TestOpenWithoutRecoveryLeavesWriterAlone(t *testing.T) {
	c := startCluster(t, "/r1", "/r2", "/r3")
	ctx := testCtx(t)
	w, err := c.client(0).Create(ctx, opts323)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, 0, 100)
	appendAll(t, w, 100, 1) // carries LAC 99 to its bookies
	r, err := c.client(0).Open(ctx, w.ID(), false, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	lac := r.LastAddConfirmed()
	if lac < 99 || lac > w.LastAddConfirmed() {
		t.Fatalf("reader's LAC %d, want 99..%d", lac, w.LastAddConfirmed())
	}
	if r.Length() != totalLength(lac+1) {
		t.Fatalf("reader's length %d, want %d", r.Length(), totalLength(lac+1))
	}
	checkEntries(t, r, w.ID(), 0, lac)
	if _, err := r.Read(ctx, 0, lac+1); !errors.Is(err, ErrReadBeyondLAC) {
		t.Fatalf("read past the reader's LAC: %v", err)
	}
	appendAll(t, w, 101, 50)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.client(0).Stat(ctx, w.ID()); info.LastEntryID != 150 {
		t.Fatalf("closed at %d, want 150", info.LastEntryID)
	}
}
