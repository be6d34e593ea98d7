package managedledger

import (
	"context"
	"fmt"

	"github.com/magnetar/magnetar/ledger"
)

// readChunk bounds the entries fetched from a ledger in one request.
const readChunk = 256

func (m *managedLedger) read(ctx context.Context, pos Position) (Entry, error) {
	m.mu.Lock()
	state, ok := m.state, m.ledgers.exists(pos)
	m.mu.Unlock()
	if state == stateClosed || state == stateDeleted {
		return Entry{}, ErrClosed
	}
	if !ok {
		return Entry{}, fmt.Errorf("managedledger: read %s %v: %w", m.name, pos, ErrNoSuchEntry)
	}
	es, err := m.readRange(ctx, pos.LedgerID, pos.EntryID, pos.EntryID)
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// readRange returns entries first..last of one ledger (all stored): from the cache while
// it has them, then from the ledger.
func (m *managedLedger) readRange(ctx context.Context, lid, first, last int64) ([]Entry, error) {
	out := make([]Entry, 0, last-first+1)
	e := first
	for ; e <= last; e++ {
		data, ok := m.cache.get(Position{lid, e})
		if !ok {
			break
		}
		out = append(out, Entry{Position{lid, e}, data})
	}
	m.cacheHits.Add(int64(len(out)))
	m.f.cache.hits.Add(int64(len(out)))
	if e > last {
		return out, nil
	}
	m.cacheMisses.Add(last - e + 1)
	m.f.cache.misses.Add(last - e + 1)
	for e <= last {
		to := min(last, e+readChunk-1)
		es, err := m.ledgerRead(ctx, lid, e, to)
		if err != nil {
			return out, err
		}
		for _, le := range es {
			out = append(out, Entry{Position{le.LedgerID, le.EntryID}, le.Data})
		}
		e = to + 1
	}
	return out, nil
}

// ledgerRead reads from the write handle while this managed ledger still has the ledger
// open for writing, otherwise from a read handle opened (with recovery, which leaves a
// closed ledger as is and seals one a failed writer left open) on first use.
func (m *managedLedger) ledgerRead(ctx context.Context, lid, first, last int64) ([]ledger.Entry, error) {
	m.mu.Lock()
	wh := m.writers[lid]
	m.mu.Unlock()
	if wh != nil {
		es, err := wh.Read(ctx, first, last)
		if err == nil {
			return es, nil
		}
		m.mu.Lock()
		still := m.writers[lid] == wh && m.cur != nil && m.cur.h == wh
		m.mu.Unlock()
		if still {
			return nil, fmt.Errorf("managedledger: read %s ledger %d entries %d-%d: %w", m.name, lid, first, last, err)
		}
	}
	rh, err := m.reader(ctx, lid)
	if err != nil {
		return nil, err
	}
	es, err := rh.Read(ctx, first, last)
	if err != nil {
		return nil, fmt.Errorf("managedledger: read %s ledger %d entries %d-%d: %w", m.name, lid, first, last, err)
	}
	return es, nil
}

func (m *managedLedger) reader(ctx context.Context, lid int64) (*ledger.ReadHandle, error) {
	m.mu.Lock()
	rh := m.readers[lid]
	m.mu.Unlock()
	if rh != nil {
		return rh, nil
	}
	rh, err := m.f.client.Open(ctx, lid, true, ledgerPassword)
	if err != nil {
		return nil, fmt.Errorf("managedledger: open %s ledger %d for reading: %w", m.name, lid, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev := m.readers[lid]; prev != nil {
		_ = rh.Close()
		return prev, nil
	}
	if m.state == stateClosed || m.state == stateDeleted {
		_ = rh.Close()
		return nil, ErrClosed
	}
	m.readers[lid] = rh
	return rh, nil
}

// next: see ManagedLedger.Next. When no entry follows pos it returns the slot the next
// entry will take, and false.
func (m *managedLedger) next(pos Position) (Position, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.ledgers.succ(pos)
	return s, m.ledgers.exists(s)
}

// findFirst binary-searches the stored entries for the first one satisfying pred.
func (m *managedLedger) findFirst(ctx context.Context, pred func(Entry) bool) (Position, error) {
	m.mu.Lock()
	l := m.ledgers.clone()
	lac := m.lac
	m.mu.Unlock()
	n, _ := l.total()
	after := Position{lac.LedgerID, lac.EntryID + 1}
	lo, hi := int64(0), n
	for lo < hi {
		mid := lo + (hi-lo)/2
		p, _ := l.at(mid)
		e, err := m.read(ctx, p)
		if err != nil {
			return Position{}, fmt.Errorf("managedledger: find in %s: %w", m.name, err)
		}
		if pred(e) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == n {
		return after, nil
	}
	p, _ := l.at(lo)
	return p, nil
}
