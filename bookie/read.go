package bookie

import (
	"context"
	"fmt"
)

// ReadEntry implements Client. With ReadFence the ledger is fenced (durably, creating
// it if this bookie never saw it) before the read; entryID -1 then reads nothing and
// returns the LAC. The returned Data must not be modified: it may be the cached entry.
func (b *Bookie) ReadEntry(ctx context.Context, ledgerID, entryID int64, flags ReadFlags, masterKey []byte) (ReadResult, error) {
	res, err := b.readEntry(ctx, ledgerID, entryID, flags, masterKey)
	if err != nil {
		b.stats.readFailed.Add(1)
	} else {
		b.stats.readOK.Add(1)
		b.stats.readBytes.Add(int64(len(res.Data)))
	}
	return res, err
}

func (b *Bookie) readEntry(ctx context.Context, ledgerID, entryID int64, flags ReadFlags, masterKey []byte) (ReadResult, error) {
	if err := b.enter(); err != nil {
		return ReadResult{}, err
	}
	defer b.lifeMu.RUnlock()
	if err := ctx.Err(); err != nil {
		return ReadResult{}, fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	var ls *ledgerState
	var err error
	if flags&ReadFence != 0 {
		ls, err = b.fence(ledgerID, masterKey)
		if err != nil {
			return ReadResult{}, err
		}
	} else {
		ls, err = b.lookupLedger(ledgerID, false)
		if err != nil {
			return ReadResult{}, err
		}
		if ls == nil {
			return ReadResult{}, fmt.Errorf("ledger %d: %w", ledgerID, ErrNoSuchLedger)
		}
	}
	res := ReadResult{LastAddConfirmed: ls.lastAddConfirmed()}
	if entryID == -1 {
		return res, nil
	}
	if entryID < 0 {
		return ReadResult{}, fmt.Errorf("ledger %d entry %d: %w", ledgerID, entryID, ErrNoSuchEntry)
	}
	res.Data, err = b.readStored(ledgerID, entryID)
	if err != nil {
		return ReadResult{}, err
	}
	return res, nil
}

// ReadLAC implements Client.
func (b *Bookie) ReadLAC(ctx context.Context, ledgerID int64) (int64, error) {
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.lifeMu.RUnlock()
	ls, err := b.lookupLedger(ledgerID, false)
	if err != nil {
		return 0, err
	}
	if ls == nil {
		return 0, fmt.Errorf("ledger %d: %w", ledgerID, ErrNoSuchLedger)
	}
	return ls.lastAddConfirmed(), nil
}

// LocalClient returns an in-process Client of this bookie (standalone). Its Close does
// nothing: the bookie's owner closes the bookie.
func (b *Bookie) LocalClient() Client { return localClient{b} }

type localClient struct{ b *Bookie }

func (c localClient) AddEntry(req *AddRequest, cb func(error)) { c.b.AddEntry(req, cb) }

func (c localClient) ReadEntry(ctx context.Context, ledgerID, entryID int64, flags ReadFlags, masterKey []byte) (ReadResult, error) {
	return c.b.ReadEntry(ctx, ledgerID, entryID, flags, masterKey)
}

func (c localClient) ReadLAC(ctx context.Context, ledgerID int64) (int64, error) {
	return c.b.ReadLAC(ctx, ledgerID)
}

func (c localClient) Close() error { return nil }
