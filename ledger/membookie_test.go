package ledger

// Temporary: an in-memory bookie for early iteration until bookie.Open lands.

import (
	"bytes"
	"context"
	"sync"

	"github.com/magnetar/magnetar/bookie"
)

type memLedger struct {
	key     []byte
	fenced  bool
	lac     int64
	entries map[int64][]byte
}

type memBookie struct {
	mu      sync.Mutex
	ledgers map[int64]*memLedger
	closed  bool
}

func newMemBookie() *memBookie { return &memBookie{ledgers: map[int64]*memLedger{}} }

func (b *memBookie) ledger(id int64, key []byte, create bool) (*memLedger, error) {
	l, ok := b.ledgers[id]
	if !ok {
		if !create {
			return nil, bookie.ErrNoSuchLedger
		}
		l = &memLedger{key: key, lac: -1, entries: map[int64][]byte{}}
		b.ledgers[id] = l
	}
	if create && !bytes.Equal(l.key, key) {
		return nil, bookie.ErrUnauthorized
	}
	return l, nil
}

func (b *memBookie) AddEntry(req *bookie.AddRequest, cb func(error)) {
	go func() {
		b.mu.Lock()
		err := func() error {
			if b.closed {
				return bookie.ErrClosed
			}
			l, err := b.ledger(req.LedgerID, req.MasterKey, true)
			if err != nil {
				return err
			}
			if l.fenced && !req.Recovery {
				return bookie.ErrFenced
			}
			l.entries[req.EntryID] = req.Data
			l.lac = max(l.lac, req.LastAddConfirmed)
			return nil
		}()
		b.mu.Unlock()
		cb(err)
	}()
}

func (b *memBookie) ReadEntry(ctx context.Context, lid, eid int64, flags bookie.ReadFlags, key []byte) (bookie.ReadResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return bookie.ReadResult{}, bookie.ErrClosed
	}
	l, err := b.ledger(lid, key, flags&bookie.ReadFence != 0)
	if err != nil {
		return bookie.ReadResult{}, err
	}
	if flags&bookie.ReadFence != 0 {
		l.fenced = true
	}
	if eid < 0 {
		return bookie.ReadResult{LastAddConfirmed: l.lac}, nil
	}
	d, ok := l.entries[eid]
	if !ok {
		return bookie.ReadResult{}, bookie.ErrNoSuchEntry
	}
	return bookie.ReadResult{Data: d, LastAddConfirmed: l.lac}, nil
}

func (b *memBookie) ReadLAC(ctx context.Context, lid int64) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, err := b.ledger(lid, nil, false)
	if err != nil {
		return 0, err
	}
	return l.lac, nil
}

func (b *memBookie) Close() error { return nil }

func (b *memBookie) kill() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}
