package managedledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/metadata"
)

// sealWrites stops new adds (they fail with err), waits until every add is done and no
// rollover runs, then detaches the current ledger and returns it. If ctx ends first the
// adds still outstanding fail with err.
func (m *managedLedger) sealWrites(ctx context.Context, err error) *writeLedger {
	m.mu.Lock()
	if m.addErr == nil {
		m.addErr = err
	}
	m.mu.Unlock()
	if werr := m.waitFor(ctx, func() bool { return m.notDone == 0 && !m.rolling }); werr != nil {
		m.mu.Lock()
		m.failNotDoneLocked(err)
		m.mu.Unlock()
		// A rollover still running finds addErr set and creates no ledger.
		_ = m.waitFor(context.Background(), func() bool { return !m.rolling })
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.cur
	m.cur = nil
	if cur != nil {
		m.sealLocked(cur)
	}
	return cur
}

// closeLedger closes the detached current ledger and stores its final count, dropping
// it if it is empty (metaMu held). terminate marks the log terminated in the same write.
func (m *managedLedger) closeLedger(ctx context.Context, cur *writeLedger, terminate bool) error {
	var closeErr error
	if cur != nil {
		if closeErr = cur.h.Close(ctx); closeErr != nil {
			closeErr = fmt.Errorf("managedledger: close ledger %d of %s: %w", cur.id, m.name, closeErr)
		}
		m.mu.Lock()
		delete(m.writers, cur.id)
		m.mu.Unlock()
	}
	m.mu.Lock()
	if m.state == stateFenced {
		m.mu.Unlock()
		return ErrFenced
	}
	list := m.ledgers.clone()
	var dropped int64 = -1
	if cur != nil {
		if i := list.index(cur.id); i < len(list) && list[i].ID == cur.id {
			if list[i].Entries == 0 {
				dropped = cur.id
				list = append(list[:i], list[i+1:]...)
			} else {
				list[i].TimestampMs = time.Now().UnixMilli()
			}
		}
	}
	prevState := m.state
	if terminate {
		m.state = stateTerminated
	}
	info := m.infoLocked(list)
	m.state = prevState
	m.mu.Unlock()

	if err := m.putInfo(ctx, info); err != nil {
		if errors.Is(err, metadata.ErrBadVersion) {
			m.mu.Lock()
			m.fenceLocked()
			m.mu.Unlock()
			return ErrFenced
		}
		return errors.Join(closeErr, fmt.Errorf("managedledger: store metadata of %s: %w", m.name, err))
	}
	m.mu.Lock()
	m.ledgers = list
	if terminate {
		m.state = stateTerminated
	}
	m.mu.Unlock()
	if dropped >= 0 {
		m.deleteLedger(ctx, dropped)
	}
	return closeErr
}

func (m *managedLedger) terminate(ctx context.Context) (Position, error) {
	m.mu.Lock()
	switch m.state {
	case stateTerminated:
		defer m.mu.Unlock()
		return m.lac, nil
	case stateFenced:
		m.mu.Unlock()
		return Position{}, ErrFenced
	case stateClosed, stateDeleted:
		m.mu.Unlock()
		return Position{}, ErrClosed
	}
	m.mu.Unlock()

	cur := m.sealWrites(ctx, ErrTerminated)
	m.metaMu.Lock()
	err := m.closeLedger(ctx, cur, true)
	m.metaMu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != stateTerminated {
		if err == nil {
			err = fmt.Errorf("managedledger: terminate %s: not stored", m.name)
		}
		return Position{}, err
	}
	// Wake tailing readers once so they notice the end; later waiters wait for Close.
	close(m.notify)
	m.notify = make(chan struct{})
	return m.lac, nil
}

func (m *managedLedger) close(ctx context.Context) error {
	m.mu.Lock()
	if m.state == stateClosed || m.state == stateDeleted {
		m.mu.Unlock()
		return nil
	}
	m.mu.Unlock()

	cur := m.sealWrites(ctx, ErrClosed)
	var errs []error
	m.metaMu.Lock()
	m.mu.Lock()
	fenced := m.state == stateFenced
	m.mu.Unlock()
	if cur != nil && !fenced {
		if err := m.closeLedger(ctx, cur, false); err != nil && !errors.Is(err, ErrFenced) {
			errs = append(errs, err)
		}
	} else if cur != nil {
		_ = cur.h.Close(ctx)
	}
	m.mu.Lock()
	m.addErr = ErrClosed
	m.state = stateClosed
	m.mu.Unlock()
	m.metaMu.Unlock()

	for _, c := range m.allCursors() {
		if err := c.closeCursor(ctx); err != nil {
			errs = append(errs, err)
		}
	}

	m.mu.Lock()
	close(m.notify)
	readers := m.readers
	m.readers = map[int64]*ledger.ReadHandle{}
	m.mu.Unlock()
	for _, rh := range readers {
		_ = rh.Close()
	}
	m.cache.clear()
	m.wakeCompleter()
	m.f.forget(m)
	return errors.Join(errs...)
}

// delete closes the log, then removes its metadata (cursors first, then the log's node)
// and its ledgers. Metadata goes first: a crash halfway leaves unreferenced ledgers,
// never a log that references deleted ones.
func (m *managedLedger) delete(ctx context.Context) error {
	if err := m.close(ctx); err != nil {
		m.log.Warn("close before delete", "err", err)
	}
	m.mu.Lock()
	m.state = stateDeleted
	ledgers := m.ledgers.clone()
	m.mu.Unlock()

	store := m.f.store
	children, err := store.Children(ctx, m.key)
	if err != nil {
		return fmt.Errorf("managedledger: delete %s: %w", m.name, err)
	}
	for _, child := range children {
		if _, ok := cursorNameFromChild(child); !ok {
			continue
		}
		if err := metadata.DeleteRecursive(ctx, store, m.key+"/"+child); err != nil {
			return fmt.Errorf("managedledger: delete %s cursor %s: %w", m.name, child, err)
		}
	}
	switch err := store.Delete(ctx, m.key, metadata.AnyVersion); {
	case errors.Is(err, metadata.ErrNotEmpty):
		// Other managed ledgers live below this name: keep an intermediate node.
		if _, err := store.Put(ctx, m.key, nil, metadata.AnyVersion); err != nil {
			return fmt.Errorf("managedledger: delete %s: %w", m.name, err)
		}
	case err != nil && !errors.Is(err, metadata.ErrNotFound):
		return fmt.Errorf("managedledger: delete %s: %w", m.name, err)
	}
	for _, lg := range ledgers {
		m.deleteLedger(ctx, lg.ID)
	}
	return nil
}
