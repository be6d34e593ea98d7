package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/metadata"
)

// Recovery closes a ledger whose writer may be gone, without losing an acknowledged entry
// and without letting the old writer add more:
//
//  1. The metadata goes to IN_RECOVERY (CAS), so the writer's next ensemble change or
//     close fails.
//  2. The last fragment's bookies are fenced until no write set has an ack quorum of
//     unfenced bookies left: from then on no new entry can be acknowledged. Their
//     piggybacked LACs give a point up to which every entry was acknowledged.
//  3. Entries after it are read one by one. One replica holding an entry is enough to
//     keep it (it may have been acknowledged); it is re-added (a recovery add, which
//     fenced bookies accept) to its whole write set. The first entry that enough replicas
//     deny to rule out an ack quorum is the end.
//  4. The metadata goes to CLOSED with the last entry and length.

func (c *client) recover(ctx context.Context, id int64, m *ledgerMeta, version int64, key []byte) (*ledgerMeta, error) {
	for m.State == stateOpen {
		nm := m.clone()
		nm.State = stateInRecovery
		nv, err := writeMeta(ctx, c.store, id, nm, version)
		if err == nil {
			m, version = nm, nv
			break
		}
		if !errors.Is(err, metadata.ErrBadVersion) {
			return nil, fmt.Errorf("recover ledger %d: %w", id, err)
		}
		if m, version, err = readMeta(ctx, c.store, id); err != nil {
			return nil, fmt.Errorf("recover ledger %d: %w", id, err)
		}
	}
	if m.State == stateClosed {
		return m, nil
	}
	lac, err := c.lastConfirmed(ctx, id, m, true, key)
	if err != nil {
		return nil, fmt.Errorf("recover ledger %d: %w", id, err)
	}
	last, length, err := c.recoverTail(ctx, id, m, key, lac)
	if err != nil {
		return nil, fmt.Errorf("recover ledger %d: %w", id, err)
	}
	for {
		nm := m.clone()
		nm.State, nm.LastEntryID, nm.Length = stateClosed, last, length
		_, err := writeMeta(ctx, c.store, id, nm, version)
		if err == nil {
			slog.Info("ledger recovered", "ledger", id, "lac", lac, "lastEntry", last, "length", length)
			return nm, nil
		}
		if !errors.Is(err, metadata.ErrBadVersion) {
			return nil, fmt.Errorf("recover ledger %d: %w", id, err)
		}
		cur, cv, err := readMeta(ctx, c.store, id)
		if err != nil {
			return nil, fmt.Errorf("recover ledger %d: %w", id, err)
		}
		if cur.State == stateClosed {
			return cur, nil // a concurrent recovery finished first
		}
		m, version = cur, cv
	}
}

// lastConfirmed asks the bookies of the last fragment for their LAC, fencing them if
// fence is set, and returns the highest. Fencing needs answers covering every write set
// (see covered); a plain read needs one answer.
func (c *client) lastConfirmed(ctx context.Context, id int64, m *ledgerMeta, fence bool, key []byte) (int64, error) {
	last := m.last()
	type answer struct {
		idx int
		lac int64
		err error
	}
	ch := make(chan answer, len(last.Bookies)) // buffered: late answers never block
	for i, b := range last.Bookies {
		go func() {
			cl, err := c.conn(b)
			if err != nil {
				ch <- answer{idx: i, err: err}
				return
			}
			var lac int64
			if fence {
				var res bookie.ReadResult
				res, err = cl.ReadEntry(ctx, id, -1, bookie.ReadFence, key)
				lac = res.LastAddConfirmed
			} else {
				lac, err = cl.ReadLAC(ctx, id)
			}
			if err != nil {
				c.connFailed(b, cl, err)
				err = fmt.Errorf("bookie %s: %w", b, err)
			}
			ch <- answer{idx: i, lac: lac, err: err}
		}()
	}
	lac := last.FirstEntryID - 1 // every entry before the fragment was acknowledged
	var answered uint64
	var errs []error
	for range last.Bookies {
		var a answer
		select {
		case a = <-ch:
		case <-ctx.Done():
			return 0, fmt.Errorf("read last add confirmed: %w", ctx.Err())
		}
		switch {
		case a.err == nil:
			lac = max(lac, a.lac)
		case errors.Is(a.err, bookie.ErrNoSuchLedger):
			// The bookie never got an entry of the ledger (a fencing read still fences it).
		case errors.Is(a.err, bookie.ErrUnauthorized):
			return 0, fmt.Errorf("read last add confirmed: %w", a.err)
		default:
			errs = append(errs, a.err)
			continue
		}
		answered |= 1 << uint(a.idx)
		if fence && covered(answered, m.EnsembleSize, m.WriteQuorum, m.AckQuorum) {
			return lac, nil
		}
	}
	if !fence && answered != 0 {
		return lac, nil
	}
	return 0, fmt.Errorf("read last add confirmed: too few bookies answered: %w", errors.Join(errs...))
}

// recoverTail finds and re-replicates the entries after lac and returns the last entry id
// and the ledger's length.
func (c *client) recoverTail(ctx context.Context, id int64, m *ledgerMeta, key []byte, lac int64) (int64, int64, error) {
	var length int64
	if lac >= 0 {
		f, found, err := c.recoveryRead(ctx, id, m, lac)
		if err != nil {
			return 0, 0, err
		}
		if !found {
			return 0, 0, fmt.Errorf("entry %d at the last add confirmed is missing", lac)
		}
		length = f.length
	}
	adds := newTailAdds(m.AckQuorum, m.WriteQuorum)
	e := lac + 1
	for ; ; e++ {
		f, found, err := c.recoveryRead(ctx, id, m, e)
		if err != nil {
			return 0, 0, err
		}
		if !found {
			break
		}
		length = f.length
		ens := m.fragmentFor(e)
		for i := 0; i < m.WriteQuorum; i++ {
			b := ens[(e+int64(i))%int64(len(ens))]
			adds.add(c, b, &bookie.AddRequest{
				LedgerID: id, EntryID: e, LastAddConfirmed: lac, MasterKey: key, Recovery: true, Data: f.raw,
			})
		}
	}
	if err := adds.wait(ctx, c.addTimeout); err != nil {
		return 0, 0, err
	}
	return e - 1, length, nil
}

// recoveryRead reads entry e from its whole write set at once. It returns the entry as
// soon as one replica has it, and found=false once enough replicas deny it that no ack
// quorum can hold it.
func (c *client) recoveryRead(ctx context.Context, id int64, m *ledgerMeta, e int64) (frame, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ens := m.fragmentFor(e)
	type answer struct {
		f   frame
		err error
	}
	ch := make(chan answer, m.WriteQuorum)
	for i := 0; i < m.WriteQuorum; i++ {
		b := ens[(e+int64(i))%int64(len(ens))]
		go func() {
			f, err := c.readReplica(ctx, id, e, b, 0, nil)
			ch <- answer{f, err}
		}()
	}
	denied := 0
	var errs []error
	for range m.WriteQuorum {
		a := <-ch
		switch {
		case a.err == nil:
			return a.f, true, nil
		case errors.Is(a.err, bookie.ErrNoSuchEntry), errors.Is(a.err, bookie.ErrNoSuchLedger):
			if denied++; denied >= m.WriteQuorum-m.AckQuorum+1 {
				return frame{}, false, nil
			}
		default:
			errs = append(errs, a.err)
		}
	}
	return frame{}, false, fmt.Errorf("entry %d: cannot tell whether it exists: %w", e, errors.Join(errs...))
}

// tailAdds tracks the recovery adds: each entry needs an ack quorum of them.
type tailAdds struct {
	aq, wq int

	mu      sync.Mutex
	entries map[int64]*[2]int // entry -> {acknowledged, answered}
	open    int               // entries neither at quorum nor failed
	err     error
	wake    chan struct{}
}

func newTailAdds(aq, wq int) *tailAdds {
	return &tailAdds{aq: aq, wq: wq, entries: map[int64]*[2]int{}, wake: make(chan struct{}, 1)}
}

func (t *tailAdds) add(c *client, b string, req *bookie.AddRequest) {
	t.mu.Lock()
	st, ok := t.entries[req.EntryID]
	if !ok {
		st = new([2]int)
		t.entries[req.EntryID] = st
		t.open++
	}
	t.mu.Unlock()
	cl, err := c.conn(b)
	if err != nil {
		t.answer(st, req.EntryID, err)
		return
	}
	cl.AddEntry(req, func(err error) {
		if err != nil {
			c.connFailed(b, cl, err)
			err = fmt.Errorf("bookie %s: %w", b, err)
		}
		t.answer(st, req.EntryID, err)
	})
}

func (t *tailAdds) answer(st *[2]int, e int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wasOpen := st[0] < t.aq && st[1]-st[0] <= t.wq-t.aq
	st[1]++
	if err == nil {
		st[0]++
	}
	switch {
	case !wasOpen:
	case st[0] == t.aq:
		t.open--
	case st[1]-st[0] > t.wq-t.aq:
		t.open--
		if t.err == nil {
			t.err = fmt.Errorf("re-replicate entry %d: too few bookies took it: %w", e, err)
		}
	default:
		return
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// wait returns once every entry reached its ack quorum or one cannot.
// A bookie that does not answer within the add timeout fails the recovery, which can be
// run again.
func (t *tailAdds) wait(ctx context.Context, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		t.mu.Lock()
		open, err := t.open, t.err
		t.mu.Unlock()
		switch {
		case err != nil:
			return err
		case open == 0:
			return nil
		}
		select {
		case <-t.wake:
		case <-timer.C:
			return fmt.Errorf("re-replicate the tail: %d entries short of an ack quorum after %v: %w", open, timeout, bookie.ErrTimeout)
		case <-ctx.Done():
			return fmt.Errorf("re-replicate the tail: %w", ctx.Err())
		}
	}
}
