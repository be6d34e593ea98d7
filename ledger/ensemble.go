package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// metadataTimeout bounds the metadata operations of an ensemble change or a close.
const metadataTimeout = 30 * time.Second

// An ensemble change replaces failed bookies: it picks replacements, stores a new fragment
// starting at LAC+1 (every entry before it has its ack quorum in the old ensemble), then
// resends the pending entries of the replaced positions to the new bookies. Completions
// wait while it runs, so LAC+1 stays the first entry not yet acknowledged. The change
// runs on its own goroutine (it talks to the metadata store); failures reported while it
// runs are collected in w.failed and handled by another round.

// bookieFailed schedules the replacement of the bookie at ensemble position idx.
func (w *writer) bookieFailed(idx int) {
	if w.err != nil || w.closing && w.pending.len() == 0 {
		return // a late failure after the last entry was acknowledged changes nothing
	}
	w.failed |= 1 << uint(idx)
	if !w.changing {
		w.changing = true
		go w.changeEnsemble()
	}
}

func (w *writer) changeEnsemble() {
	for {
		w.mu.Lock()
		if w.err != nil {
			w.changing = false
			w.unlockAndDeliver()
			return
		}
		failed, fragStart := w.failed, w.lacV+1
		m, version := w.meta, w.version
		old := slices.Clone(w.ens)
		for i := range old {
			if failed&(1<<uint(i)) != 0 {
				w.bad[old[i].id] = true
			}
		}
		bad := make(map[string]bool, len(w.bad))
		for id := range w.bad {
			bad[id] = true
		}
		w.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), metadataTimeout)
		nm, nv, slots, err := w.replace(ctx, m, version, old, failed, fragStart, bad)
		cancel()

		w.mu.Lock()
		if err != nil {
			w.fail(fmt.Errorf("ledger %d: ensemble change: %w", w.lid, err))
			w.changing = false
			w.unlockAndDeliver()
			return
		}
		w.meta, w.version = nm, nv
		for i, s := range slots {
			if s != nil {
				slog.Info("ledger ensemble change", "ledger", w.lid, "position", i,
					"from", w.ens[i].id, "to", s.id, "firstEntry", fragStart)
				w.ens[i] = s
			}
		}
		w.failed &^= failed
		resend := w.resendLocked(failed)
		more := w.failed != 0 && w.err == nil
		if !more {
			w.changing = false
			w.advance()
		}
		w.mu.Unlock()
		for _, s := range resend {
			s.bk.cl.AddEntry(&s.req, s.cb)
		}
		if !more {
			w.mu.Lock()
			w.unlockAndDeliver()
			return
		}
	}
}

// resendLocked prepares the sends of pending entries after the positions in replaced got
// new bookies: entries queued during the change go to their whole write set, the others
// to their replaced members, whose earlier acknowledgements no longer count.
func (w *writer) resendLocked(replaced uint64) []*send {
	var out []*send
	for i := 0; i < w.pending.len(); i++ {
		pa := w.pending.at(i)
		if !pa.sent {
			w.prepareSends(pa)
			for j := range pa.sends {
				out = append(out, &pa.sends[j])
			}
			continue
		}
		for m := pa.wset & replaced; m != 0; m &= m - 1 {
			idx := bits.TrailingZeros64(m)
			pa.acked &^= 1 << uint(idx)
			s := &send{pa: pa, idx: idx, bk: w.ens[idx], req: pa.sends[0].req}
			s.req.LastAddConfirmed = w.lacV
			s.cb = s.done
			pa.outstanding++
			pa.sentTick = w.tick
			out = append(out, s)
		}
	}
	return out
}

// replace picks and dials replacements for the failed positions of ensemble old and
// stores the new fragment. It returns the new metadata, its version and the new slots
// (nil where a position keeps its bookie).
func (w *writer) replace(ctx context.Context, m *ledgerMeta, version int64, old []*slot, failed uint64, fragStart int64, bad map[string]bool) (*ledgerMeta, int64, []*slot, error) {
	ids := make([]string, len(old))
	for i, s := range old {
		ids[i] = s.id
	}
	slots, err := w.c.pickReplacements(ctx, ids, failed, bad)
	if err != nil {
		return nil, 0, nil, err
	}
	bookies := replaced(ids, slots)
	for {
		nm := withFragment(m, fragStart, bookies)
		nv, err := writeMeta(ctx, w.c.store, w.lid, nm, version)
		if err == nil {
			return nm, nv, slots, nil
		}
		if !errors.Is(err, metadata.ErrBadVersion) {
			return nil, 0, nil, err
		}
		cur, cv, rerr := readMeta(ctx, w.c.store, w.lid)
		if rerr != nil {
			return nil, 0, nil, rerr
		}
		if cur.State != stateOpen {
			return nil, 0, nil, fmt.Errorf("ledger is %s: %w", cur.State, ErrFenced)
		}
		if sameEnsembles(cur, nm) {
			return cur, cv, slots, nil // our write landed though its answer was lost
		}
		m, version = cur, cv
	}
}

// withFragment returns m with the ensemble bookies from entry start on. A last fragment
// that starts there already (nothing in it was acknowledged) is rewritten.
func withFragment(m *ledgerMeta, start int64, bookies []string) *ledgerMeta {
	nm := m.clone()
	if last := &nm.Ensembles[len(nm.Ensembles)-1]; last.FirstEntryID >= start {
		last.Bookies = slices.Clone(bookies)
	} else {
		nm.Ensembles = append(nm.Ensembles, fragment{FirstEntryID: start, Bookies: slices.Clone(bookies)})
	}
	return nm
}

func sameEnsembles(a, b *ledgerMeta) bool {
	return slices.EqualFunc(a.Ensembles, b.Ensembles, func(x, y fragment) bool {
		return x.FirstEntryID == y.FirstEntryID && slices.Equal(x.Bookies, y.Bookies)
	})
}

// replaced returns ids with the slots' bookies in the positions that have one.
func replaced(ids []string, slots []*slot) []string {
	out := slices.Clone(ids)
	for i, s := range slots {
		if s != nil {
			out[i] = s.id
		}
	}
	return out
}

// pickReplacements chooses rack-aware replacements for the failed positions of ensemble
// among the writable bookies not in it and not in bad, and dials them; a bookie that
// cannot be dialled is skipped. The slots returned are nil where a position stays.
func (c *client) pickReplacements(ctx context.Context, ensemble []string, failed uint64, bad map[string]bool) ([]*slot, error) {
	cands, err := availableBookies(ctx, c.store)
	if err != nil {
		return nil, err
	}
	racks := make(map[string]bookieInfo, len(cands))
	for _, b := range cands {
		racks[b.ID] = b
	}
	var keep []bookieInfo
	for i, id := range ensemble {
		bad[id] = true // never pick a member twice
		if failed&(1<<uint(i)) == 0 {
			if b, ok := racks[id]; ok {
				keep = append(keep, b)
			}
		}
	}
	for {
		ids, err := choose(cands, bits.OnesCount64(failed), keep, bad)
		if err != nil {
			return nil, err
		}
		news, err := c.dialAll(ids, bad)
		if err != nil {
			continue
		}
		slots := make([]*slot, len(ensemble))
		for i := range ensemble {
			if failed&(1<<uint(i)) != 0 {
				slots[i], news = news[0], news[1:]
			}
		}
		return slots, nil
	}
}

// checkTimeouts runs on every timer tick: a bookie that has not answered an add for the
// add timeout is treated as failed.
func (w *writer) checkTimeouts() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tick++
	if w.err != nil || w.changing {
		return
	}
	var late uint64
	for i := 0; i < w.pending.len(); i++ {
		pa := w.pending.at(i)
		if pa.sent && w.tick-pa.sentTick > w.timeoutTks {
			late |= pa.wset &^ pa.acked
		}
	}
	for ; late != 0; late &= late - 1 {
		idx := bits.TrailingZeros64(late)
		slog.Warn("ledger add timeout", "ledger", w.lid, "bookie", w.ens[idx].id, "timeout", w.c.addTimeout)
		w.bookieFailed(idx)
	}
}
