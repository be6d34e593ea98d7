package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/metadata"
)

// close stops appends, waits for the pending ones and seals the ledger at its LAC. A
// writer that failed for another reason than fencing still seals what it acknowledged; a
// fenced one leaves the ledger to its recoverer. Close must not be called from an
// append callback and waited for there: the callbacks after it could never run.
func (w *writer) close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closing = true
	if !w.isDrained() {
		ch := make(chan struct{})
		w.drained = append(w.drained, ch)
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("close ledger %d: waiting for pending appends: %w", w.lid, ctx.Err())
		}
		w.mu.Lock()
	}
	failure, lac, length, m, version := w.err, w.lacV, w.lengthV, w.meta, w.version
	w.mu.Unlock()

	if errors.Is(failure, ErrFenced) {
		w.c.unregister(w)
		return fmt.Errorf("close ledger %d: %w", w.lid, failure)
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	for {
		nm := m.clone()
		nm.State, nm.LastEntryID, nm.Length = stateClosed, lac, length
		nv, err := writeMeta(ctx, w.c.store, w.lid, nm, version)
		if err == nil {
			m, version = nm, nv
			break
		}
		if !errors.Is(err, metadata.ErrBadVersion) {
			return fmt.Errorf("close ledger %d: %w", w.lid, err)
		}
		cur, cv, err := readMeta(ctx, w.c.store, w.lid)
		if err != nil {
			return fmt.Errorf("close ledger %d: %w", w.lid, err)
		}
		if cur.State == stateClosed && cur.LastEntryID == lac && cur.Length == length {
			m, version = cur, cv // closed already (a concurrent Close, or a lost answer)
			break
		}
		if cur.State != stateOpen {
			w.c.unregister(w)
			return fmt.Errorf("close ledger %d: ledger is %s: %w", w.lid, cur.State, ErrFenced)
		}
		m, version = cur, cv
	}
	w.mu.Lock()
	w.closed, w.meta, w.version = true, m, version
	w.mu.Unlock()
	w.c.unregister(w)
	return nil
}
