package managedledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/metadata"
)

// Rollover replaces the current ledger (full, too old, or failed) with a new one:
//  1. seal the current ledger (no more appends), close it, wait for the callbacks of
//     its in-flight appends;
//  2. create a new ledger (retrying a few times);
//  3. store the ledger list (the old ledger with its final count, the new one) by CAS;
//  4. send every add that is not done, in order, to the new ledger.
//
// A new ledger is used only after step 3, so no acknowledged entry lives in a ledger the
// metadata does not list. If step 2 or 3 fails, the waiting adds fail and the next add
// starts another rollover.

const rolloverTimeout = 30 * time.Second

// createRetries are the waits before each attempt to create a ledger.
var createRetries = []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond, time.Second}

func (m *managedLedger) startRolloverLocked() {
	m.rolling = true
	old := m.cur
	if old != nil {
		m.sealLocked(old)
	}
	go m.rollover(old)
}

func (m *managedLedger) sealLocked(w *writeLedger) {
	if w.sealed {
		return
	}
	w.sealed = true
	if w.inflight == 0 {
		close(w.drained)
	}
}

func (m *managedLedger) rollover(old *writeLedger) {
	ctx, cancel := context.WithTimeout(context.Background(), rolloverTimeout)
	defer cancel()

	if old != nil {
		if err := old.h.Close(ctx); err != nil && !old.failed {
			m.log.Warn("close ledger on rollover", "ledger", old.id, "err", err)
		}
		select {
		case <-old.drained:
		case <-ctx.Done():
			// A ledger that never calls back: fail what is outstanding rather than risk
			// storing an entry twice.
			m.mu.Lock()
			m.failNotDoneLocked(fmt.Errorf("managedledger: ledger %d did not complete appends: %w", old.id, ctx.Err()))
			m.mu.Unlock()
		}
		m.mu.Lock()
		delete(m.writers, old.id)
		m.mu.Unlock()
	}

	m.mu.Lock()
	needNew := m.state == stateOpen && (m.addErr == nil || m.notDone > 0)
	m.mu.Unlock()
	var nh *ledger.WriteHandle
	var err error
	if needNew {
		nh, err = m.createLedger(ctx)
	}

	m.metaMu.Lock()
	installed, dropped, err := m.storeRollover(ctx, old, nh, err)
	m.metaMu.Unlock()
	m.wakeCompleter()

	if nh != nil && !installed {
		m.deleteLedger(ctx, nh.ID())
	}
	for _, id := range dropped {
		m.deleteLedger(ctx, id)
	}
	if err != nil {
		m.log.Warn("rollover failed", "err", err)
	}
	m.scheduleTrim()
}

// storeRollover runs steps 3 and 4 (metaMu held). It returns whether nh became the
// current ledger and which empty ledgers were dropped from the list.
func (m *managedLedger) storeRollover(ctx context.Context, old *writeLedger, nh *ledger.WriteHandle, createErr error) (installed bool, dropped []int64, err error) {
	now := time.Now().UnixMilli()
	m.mu.Lock()
	list := m.ledgers.clone()
	if old != nil {
		if i := list.index(old.id); i < len(list) && list[i].ID == old.id {
			if list[i].Entries == 0 {
				dropped = append(dropped, old.id)
				list = append(list[:i], list[i+1:]...)
			} else {
				list[i].TimestampMs = now
			}
		}
	}
	if nh != nil {
		list = append(list, ledgerMeta{ID: nh.ID(), TimestampMs: now})
	}
	fenced := m.state != stateOpen
	info := m.infoLocked(list)
	m.mu.Unlock()

	stored := false
	switch {
	case fenced:
		err = ErrFenced
	case nh != nil || old != nil:
		if perr := m.putInfo(ctx, info); perr != nil {
			err = fmt.Errorf("managedledger: store ledger list of %s: %w", m.name, perr)
			if errors.Is(perr, metadata.ErrBadVersion) {
				err = ErrFenced
			}
			dropped = nil
		} else {
			stored = true
		}
	}
	if err == nil {
		err = createErr
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if stored {
		m.ledgers = list
	}
	if errors.Is(err, ErrFenced) {
		m.fenceLocked()
	}
	m.cur = nil
	if stored && nh != nil {
		m.cur = newWriteLedger(nh)
		m.writers[nh.ID()] = nh
		installed = true
		if _, any := m.ledgers.last(); !any {
			m.lac = Position{nh.ID(), -1}
		}
	}
	m.rolling = false
	for _, op := range m.pending[m.pendingHead:] {
		if op.done {
			continue
		}
		if m.cur != nil {
			if m.fullLocked(m.cur) {
				m.startRolloverLocked() // it sends the rest
				break
			}
			m.sendLocked(op)
			continue
		}
		if err == nil {
			err = fmt.Errorf("managedledger: no ledger to write to")
		}
		op.gen++
		op.done, op.err = true, fmt.Errorf("managedledger: add to %s: %w", m.name, err)
		m.notDone--
	}
	m.signalChangedLocked()
	return installed, dropped, err
}

// createLedger creates a ledger with the configured quorums, retrying briefly.
func (m *managedLedger) createLedger(ctx context.Context) (*ledger.WriteHandle, error) {
	cfg := m.config()
	opts := ledger.CreateOptions{
		EnsembleSize: cfg.EnsembleSize, WriteQuorum: cfg.WriteQuorum, AckQuorum: cfg.AckQuorum,
		Password: ledgerPassword,
		Custom:   map[string]string{"application": "pulsar", "component": "managed-ledger", "pulsar/managed-ledger": m.name},
	}
	var err error
	for _, wait := range createRetries {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("managedledger: create ledger for %s: %w", m.name, ctx.Err())
		}
		var h *ledger.WriteHandle
		if h, err = m.f.client.Create(ctx, opts); err == nil {
			return h, nil
		}
		m.log.Warn("create ledger failed", "err", err)
	}
	return nil, fmt.Errorf("managedledger: create ledger for %s: %w", m.name, err)
}

// deleteLedger deletes a ledger that no longer belongs to the log.
func (m *managedLedger) deleteLedger(ctx context.Context, id int64) {
	if err := m.f.client.Delete(ctx, id); err != nil && !errors.Is(err, ledger.ErrNoSuchLedger) {
		m.log.Warn("delete ledger", "ledger", id, "err", err)
	}
}
