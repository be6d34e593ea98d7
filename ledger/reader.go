package ledger

import (
	"context"
	"fmt"
	"sync/atomic"
)

// reader is a handle on a ledger opened for reading: a closed ledger reads up to its last
// entry, an open one (opened without recovery) up to the LAC its bookies reported.
type reader struct {
	c         *client
	lid       int64
	meta      *ledgerMeta
	key       []byte
	lastEntry int64
	size      int64
	closed    atomic.Bool
}

func (r *reader) id() int64     { return r.lid }
func (r *reader) lac() int64    { return r.lastEntry }
func (r *reader) length() int64 { return r.size }

func (r *reader) read(ctx context.Context, first, last int64) ([]Entry, error) {
	if r.closed.Load() {
		return nil, fmt.Errorf("read ledger %d: handle %w", r.lid, ErrLedgerClosed)
	}
	if err := checkRange(first, last, r.lastEntry); err != nil {
		return nil, fmt.Errorf("ledger %d: %w", r.lid, err)
	}
	return r.c.readEntries(ctx, r.lid, r.meta, first, last)
}

func (r *reader) close() error {
	r.closed.Store(true)
	return nil
}
