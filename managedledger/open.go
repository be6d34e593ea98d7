package managedledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/metadata"
)

// openManagedLedger loads a managed ledger's metadata, recovers its last ledger (which
// fences a previous owner still writing to it), drops empty ledgers, creates the ledger
// to write to, stores the new list by CAS and loads the durable cursors.
func openManagedLedger(ctx context.Context, f *factory, name string, cfg Config) (*managedLedger, error) {
	m := newManagedLedger(f, name, cfg)
	info, version, err := m.loadInfo(ctx)
	if err != nil {
		return nil, err
	}
	m.infoVersion = version
	m.props = info.Properties

	list, dropped, err := m.recoverLedgers(ctx, layout(info.Ledgers))
	if err != nil {
		m.closeReaders()
		return nil, err
	}
	terminated := info.TerminatedPosition != nil
	if terminated {
		m.state = stateTerminated
		m.addErr = ErrTerminated
	}
	m.ledgers = list
	if p, ok := list.last(); ok {
		m.lac = p
	} else if len(list) > 0 {
		m.lac = Position{list[len(list)-1].ID, -1}
	} else {
		m.lac = Position{-1, -1}
	}
	if terminated {
		m.lac = info.TerminatedPosition.position()
	}

	var nh *ledger.WriteHandle
	if !terminated {
		if nh, err = m.createLedger(ctx); err != nil {
			m.closeReaders()
			return nil, err
		}
		list = append(list, ledgerMeta{ID: nh.ID(), TimestampMs: time.Now().UnixMilli()})
		if _, ok := m.ledgers.last(); !ok {
			m.lac = Position{nh.ID(), -1}
		}
	}
	if nh != nil || len(dropped) > 0 || version != metadata.NotExists {
		if err := m.putInfo(ctx, m.infoLocked(list)); err != nil {
			if nh != nil {
				m.deleteLedger(ctx, nh.ID())
			}
			m.closeReaders()
			if errors.Is(err, metadata.ErrBadVersion) {
				return nil, fmt.Errorf("managedledger: open %s: concurrent open elsewhere: %w", name, ErrFenced)
			}
			return nil, fmt.Errorf("managedledger: open %s: store metadata: %w", name, err)
		}
	}
	m.ledgers = list
	if nh != nil {
		m.cur = newWriteLedger(nh)
		m.writers[nh.ID()] = nh
	}
	for _, id := range dropped {
		m.deleteLedger(ctx, id)
	}
	if err := m.loadCursors(ctx); err != nil {
		m.abandon()
		return nil, err
	}
	go m.completer()
	return m, nil
}

// loadInfo reads the stored metadata; a missing or intermediate node is a new log.
func (m *managedLedger) loadInfo(ctx context.Context) (mlInfo, int64, error) {
	b, st, err := m.f.store.Get(ctx, m.key)
	if errors.Is(err, metadata.ErrNotFound) {
		return mlInfo{}, metadata.NotExists, nil
	}
	if err != nil {
		return mlInfo{}, 0, fmt.Errorf("managedledger: open %s: %w", m.name, err)
	}
	info, _, err := decodeMLInfo(b)
	if err != nil {
		return mlInfo{}, 0, fmt.Errorf("managedledger: open %s: %w", m.name, err)
	}
	return info, st.Version, nil
}

// recoverLedgers recovers the last ledger (a previous owner may have been writing to
// it: recovery fences it and finds its last entry) and drops ledgers without entries.
// Earlier ledgers keep the counts stored when they were rolled over.
func (m *managedLedger) recoverLedgers(ctx context.Context, list layout) (layout, []int64, error) {
	list = list.clone()
	if n := len(list); n > 0 {
		last := &list[n-1]
		rh, err := m.f.client.Open(ctx, last.ID, true, ledgerPassword)
		switch {
		case errors.Is(err, ledger.ErrNoSuchLedger):
			m.log.Warn("last ledger is gone; dropping it", "ledger", last.ID)
			last.Entries = 0
		case err != nil:
			return nil, nil, fmt.Errorf("managedledger: open %s: recover ledger %d: %w", m.name, last.ID, err)
		default:
			last.Entries = rh.LastAddConfirmed() + 1
			last.Size = rh.Length()
			if last.TimestampMs == 0 {
				last.TimestampMs = time.Now().UnixMilli()
			}
			m.readers[last.ID] = rh
		}
	}
	var dropped []int64
	kept := list[:0]
	for _, lg := range list {
		if lg.Entries > 0 {
			kept = append(kept, lg)
			continue
		}
		dropped = append(dropped, lg.ID)
		if rh := m.readers[lg.ID]; rh != nil {
			_ = rh.Close()
			delete(m.readers, lg.ID)
		}
	}
	return kept, dropped, nil
}

// loadCursors loads every durable cursor stored under the managed ledger.
func (m *managedLedger) loadCursors(ctx context.Context) error {
	children, err := m.f.store.Children(ctx, m.key)
	if err != nil {
		return fmt.Errorf("managedledger: open %s: list cursors: %w", m.name, err)
	}
	for _, child := range children {
		cname, ok := cursorNameFromChild(child)
		if !ok {
			continue
		}
		b, st, err := m.f.store.Get(ctx, m.key+"/"+child)
		if errors.Is(err, metadata.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("managedledger: open %s: load cursor %q: %w", m.name, cname, err)
		}
		var ci cursorInfo
		if err := json.Unmarshal(b, &ci); err != nil {
			return fmt.Errorf("managedledger: open %s: decode cursor %q: %w", m.name, cname, err)
		}
		c := m.restoreCursor(cname, ci, st.Version)
		m.durable[cname] = c
	}
	return nil
}

func (m *managedLedger) closeReaders() {
	m.mu.Lock()
	rs := m.readers
	m.readers = map[int64]*ledger.ReadHandle{}
	m.mu.Unlock()
	for _, rh := range rs {
		_ = rh.Close()
	}
}

// abandon drops an opened managed ledger that could not finish opening: its ledger
// stays listed and is recovered by the next open.
func (m *managedLedger) abandon() {
	m.mu.Lock()
	m.state = stateClosed
	m.addErr = ErrClosed
	m.stopped = true
	cur := m.cur
	m.cur = nil
	m.mu.Unlock()
	if cur != nil {
		ctx, cancel := context.WithTimeout(context.Background(), rolloverTimeout)
		_ = cur.h.Close(ctx)
		cancel()
	}
	m.closeReaders()
}
