package managedledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// Trimming deletes the oldest ledgers once they are consumed and retention lets them go.
//
// A ledger is consumed when every durable cursor's mark-delete position is at or after
// its last entry (with no durable cursor, every ledger is consumed); non-durable cursors
// (readers) never hold data back. The last ledger (being written, or holding the last
// position of a terminated log) is never deleted.
//
// Retention keeps consumed ledgers, oldest first, while they are within its limits:
//   - RetentionTime: a ledger older (since it was closed) than this may go; < 0 keeps
//     ledgers forever by age.
//   - RetentionSizeBytes: ledgers may go while the log is larger than this; < 0 keeps
//     ledgers forever by size.
//
// A limit of 0 is unset. With both unset, consumed ledgers go at once. Otherwise a
// consumed ledger goes when it exceeds any set, finite limit (Pulsar's rule: expired by
// age or over the size quota), so time=-1,size=0 keeps everything and time=1h,size=-1
// keeps an hour.

// trimInterval is how often every open managed ledger is trimmed in the background, on
// top of the trims after rollovers and mark-delete moves across ledgers.
const trimInterval = time.Minute

// scheduleTrim runs a trim soon in the background (coalesced).
func (m *managedLedger) scheduleTrim() {
	m.mu.Lock()
	if m.trimPending || m.state != stateOpen && m.state != stateTerminated {
		m.mu.Unlock()
		return
	}
	m.trimPending = true
	m.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), rolloverTimeout)
		defer cancel()
		m.mu.Lock()
		m.trimPending = false
		m.mu.Unlock()
		if err := m.trim(ctx); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFenced) {
			m.log.Warn("trim", "err", err)
		}
	}()
}

func (m *managedLedger) trim(ctx context.Context) error {
	slowest, any := m.slowestMarkDelete()

	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	m.mu.Lock()
	switch m.state {
	case stateClosed, stateDeleted:
		m.mu.Unlock()
		return ErrClosed
	case stateFenced:
		m.mu.Unlock()
		return ErrFenced
	}
	if !any {
		slowest = m.lac
	}
	cfg := m.cfg
	_, total := m.ledgers.total()
	now := time.Now()
	var gone []int64
	var deleted int64
	for i, lg := range m.ledgers {
		if i == len(m.ledgers)-1 || m.cur != nil && lg.ID == m.cur.id {
			break // the last ledger stays: it is written, or it holds the last position
		}
		consumed := lg.ID < slowest.LedgerID || lg.ID == slowest.LedgerID && slowest.EntryID >= lg.Entries-1
		if !consumed || !retentionLets(cfg, lg, total-deleted, now) {
			break
		}
		gone = append(gone, lg.ID)
		deleted += lg.Size
	}
	if len(gone) == 0 {
		m.trimmedAt = now
		m.mu.Unlock()
		return nil
	}
	list := m.ledgers[len(gone):].clone()
	info := m.infoLocked(list)
	m.mu.Unlock()

	if err := m.putInfo(ctx, info); err != nil {
		if errors.Is(err, metadata.ErrBadVersion) {
			m.mu.Lock()
			m.fenceLocked()
			m.mu.Unlock()
			return ErrFenced
		}
		return fmt.Errorf("managedledger: trim %s: %w", m.name, err)
	}
	ids := map[int64]bool{}
	m.mu.Lock()
	// Only the ledger being written changed meanwhile; the trimmed prefix did not.
	m.ledgers = m.ledgers[len(gone):]
	m.trimmedAt = now
	readers := m.readers
	for _, id := range gone {
		ids[id] = true
		if rh := readers[id]; rh != nil {
			_ = rh.Close()
			delete(readers, id)
		}
	}
	m.mu.Unlock()
	m.cache.evictLedgers(ids)
	for _, id := range gone {
		m.deleteLedger(ctx, id)
	}
	m.log.Info("trimmed ledgers", "ledgers", gone)
	return nil
}

// retentionLets tells whether retention lets a consumed ledger go while the log holds
// size bytes (including this ledger).
func retentionLets(cfg Config, lg ledgerMeta, size int64, now time.Time) bool {
	t, s := cfg.RetentionTime, cfg.RetentionSizeBytes
	if t == 0 && s == 0 {
		return true
	}
	expired := t > 0 && now.Sub(time.UnixMilli(lg.TimestampMs)) > t
	over := s > 0 && size > s
	return expired || over
}

// slowestMarkDelete is the lowest mark-delete position of the durable cursors.
func (m *managedLedger) slowestMarkDelete() (Position, bool) {
	var slowest Position
	found := false
	for _, c := range m.durableCursors() {
		md := c.markDeleted()
		if !found || md.Compare(slowest) < 0 {
			slowest, found = md, true
		}
	}
	return slowest, found
}
