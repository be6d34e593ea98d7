package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
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
	last, length, m, version, err := c.recoverTail(ctx, id, m, version, key, lac)
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
		case !fence && errors.Is(a.err, bookie.ErrNoSuchLedger):
			// The bookie never got an entry of the ledger. (A fencing read creates the
			// ledger on a bookie that lacks it, so it never answers this.)
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

// recoverTail finds the entries after lac and re-adds them to their write sets. A bookie
// that fails a re-add is replaced as a writer would replace it: a new fragment from lac+1
// (stored while the ledger is IN_RECOVERY) and the entries of its position re-added to the
// replacement. It returns the last entry, the ledger's length and the metadata.
func (c *client) recoverTail(ctx context.Context, id int64, m *ledgerMeta, version int64, key []byte, lac int64) (int64, int64, *ledgerMeta, int64, error) {
	var length int64
	if lac >= 0 {
		f, found, err := c.recoveryRead(ctx, id, m, lac)
		if err != nil {
			return 0, 0, nil, 0, err
		}
		if !found {
			return 0, 0, nil, 0, fmt.Errorf("entry %d at the last add confirmed is missing", lac)
		}
		length = f.length
	}
	var tail [][]byte
	for e := lac + 1; ; e++ {
		f, found, err := c.recoveryRead(ctx, id, m, e)
		if err != nil {
			return 0, 0, nil, 0, err
		}
		if !found {
			break
		}
		tail = append(tail, f.raw)
		length = f.length
	}
	last := lac + int64(len(tail))
	if len(tail) == 0 {
		return last, length, m, version, nil
	}
	// Every entry after lac is in the last fragment: it starts at most at lac+1.
	first, ens := lac+1, slices.Clone(m.last().Bookies)
	acked := make([]uint64, len(tail))
	todo := make([]uint64, len(tail))
	for i := range tail {
		todo[i] = writeSetMask(first+int64(i), m.EnsembleSize, m.WriteQuorum)
	}
	bad := map[string]bool{}
	for round := 0; ; round++ {
		failed, err := c.readdTail(ctx, id, key, lac, first, tail, ens, todo, acked)
		if err != nil {
			return 0, 0, nil, 0, err
		}
		short := false
		for i := range tail {
			short = short || bits.OnesCount64(acked[i]) < m.AckQuorum
		}
		if !short {
			return last, length, m, version, nil
		}
		if round == m.EnsembleSize {
			return 0, 0, nil, 0, fmt.Errorf("re-replicate the tail: bookies keep failing")
		}
		slots, err := c.pickReplacements(ctx, ens, failed, bad)
		if err != nil {
			return 0, 0, nil, 0, fmt.Errorf("re-replicate the tail: %w", err)
		}
		ens = replaced(ens, slots)
		nm := withFragment(m, first, ens)
		if version, err = writeMeta(ctx, c.store, id, nm, version); err != nil {
			return 0, 0, nil, 0, fmt.Errorf("re-replicate the tail: ensemble change: %w", err)
		}
		slog.Info("ledger recovery ensemble change", "ledger", id, "firstEntry", first, "ensemble", ens)
		m = nm
		for i := range tail {
			acked[i] &^= failed
			todo[i] = writeSetMask(first+int64(i), m.EnsembleSize, m.WriteQuorum) & failed
		}
	}
}

// readdTail sends the recovery adds todo[i] (ensemble positions) of each tail entry and
// waits for the answers, a bookie silent for the add timeout counting as failed. It
// records successes in acked and returns the positions that failed.
func (c *client) readdTail(ctx context.Context, id int64, key []byte, lac, first int64, tail [][]byte, ens []string, todo, acked []uint64) (uint64, error) {
	type answer struct {
		i, pos int
		err    error
	}
	total := 0
	for _, t := range todo {
		total += bits.OnesCount64(t)
	}
	ch := make(chan answer, total) // buffered: late answers never block
	for i, raw := range tail {
		for t := todo[i]; t != 0; t &= t - 1 {
			pos := bits.TrailingZeros64(t)
			b := ens[pos]
			cl, err := c.conn(b)
			if err != nil {
				ch <- answer{i, pos, err}
				continue
			}
			req := &bookie.AddRequest{LedgerID: id, EntryID: first + int64(i), LastAddConfirmed: lac, MasterKey: key, Recovery: true, Data: raw}
			cl.AddEntry(req, func(err error) {
				if err != nil {
					c.connFailed(b, cl, err)
				}
				ch <- answer{i, pos, err}
			})
		}
	}
	answered := make([]uint64, len(tail))
	var failed uint64
	timer := time.NewTimer(c.addTimeout)
	defer timer.Stop()
	for range total {
		select {
		case a := <-ch:
			answered[a.i] |= 1 << uint(a.pos)
			if a.err == nil {
				acked[a.i] |= 1 << uint(a.pos)
			} else {
				if errors.Is(a.err, bookie.ErrUnauthorized) {
					return 0, fmt.Errorf("re-add entry %d: bookie %s: %w", first+int64(a.i), ens[a.pos], a.err)
				}
				failed |= 1 << uint(a.pos)
			}
		case <-timer.C:
			for i := range tail {
				failed |= todo[i] &^ answered[i]
			}
			return failed, nil
		case <-ctx.Done():
			return 0, fmt.Errorf("re-replicate the tail: %w", ctx.Err())
		}
	}
	return failed, nil
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
	// Enough denials prove the entry was never acknowledged, but a replica that has it
	// still counts: it is kept (more of the old writer's tail, never a fork) when it
	// answers before the others or within the add timeout.
	denied := 0
	var errs []error
	var grace <-chan time.Time
	for range m.WriteQuorum {
		var a answer
		select {
		case a = <-ch:
		case <-grace:
			return frame{}, false, nil
		case <-ctx.Done():
			return frame{}, false, fmt.Errorf("entry %d: %w", e, ctx.Err())
		}
		switch {
		case a.err == nil:
			return a.f, true, nil
		case errors.Is(a.err, bookie.ErrNoSuchEntry), errors.Is(a.err, bookie.ErrNoSuchLedger):
			if denied++; denied == m.WriteQuorum-m.AckQuorum+1 {
				t := time.NewTimer(c.addTimeout)
				defer t.Stop()
				grace = t.C
			}
		default:
			errs = append(errs, a.err)
		}
	}
	if denied >= m.WriteQuorum-m.AckQuorum+1 {
		return frame{}, false, nil
	}
	return frame{}, false, fmt.Errorf("entry %d: cannot tell whether it exists: %w", e, errors.Join(errs...))
}
