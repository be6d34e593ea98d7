package bookie

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/magnetar/magnetar/bookie/index"
)

// ledgerState is what the bookie knows of one ledger in memory.
type ledgerState struct {
	id int64
	// mu guards meta, persisted and deleted, and is held by an add from its fence check
	// until its entry is in the write cache, so that once a fence is set every add that
	// got past it is visible to the recovery reads that follow.
	mu        sync.Mutex
	meta      index.LedgerMeta
	persisted bool // meta is in the index
	deleted   bool

	fenced      atomic.Bool
	lac         atomic.Int64
	explicitLAC atomic.Int64 // mirrors meta.ExplicitLAC, for reads without mu
}

// raiseLAC records a piggybacked last-add-confirmed; the LAC only grows.
func (ls *ledgerState) raiseLAC(lac int64) {
	for {
		cur := ls.lac.Load()
		if lac <= cur || ls.lac.CompareAndSwap(cur, lac) {
			return
		}
	}
}

// lastAddConfirmed is the larger of the piggybacked and explicit LACs.
func (ls *ledgerState) lastAddConfirmed() int64 {
	return max(ls.lac.Load(), ls.explicitLAC.Load())
}

// checkKey compares a presented master key with the recorded one; ls.mu held.
func (ls *ledgerState) checkKey(key []byte) error {
	if ls.meta.KeySet && !bytes.Equal(ls.meta.MasterKey, key) {
		return fmt.Errorf("ledger %d: %w", ls.id, ErrUnauthorized)
	}
	return nil
}

// persist writes the ledger's metadata to the index (synced) if it changed; ls.mu held.
func (b *Bookie) persist(ls *ledgerState) error {
	if err := b.idx.PutLedger(ls.id, ls.meta); err != nil {
		return fmt.Errorf("bookie: %w", err)
	}
	ls.persisted = true
	return nil
}

// lookupLedger returns the ledger's state, loading it from the index; nil if the bookie
// does not know the ledger or deleted it. create makes a new, not yet persisted, state
// for a ledger it does not know.
func (b *Bookie) lookupLedger(id int64, create bool) (*ledgerState, error) {
	b.ledgersMu.Lock()
	defer b.ledgersMu.Unlock()
	if ls := b.ledgers[id]; ls != nil {
		return ls, nil
	}
	if _, gone := b.deleted[id]; gone {
		return nil, nil
	}
	meta, found, err := b.idx.Ledger(id)
	if err != nil {
		return nil, fmt.Errorf("bookie: load ledger %d: %w", id, err)
	}
	if !found {
		if !create {
			return nil, nil
		}
		if gone, err := b.idx.Deleted(id); err != nil || gone {
			return nil, err
		}
	}
	ls := &ledgerState{id: id, meta: meta, persisted: found}
	ls.lac.Store(-1)
	if !found {
		ls.meta.ExplicitLAC = -1
	}
	ls.explicitLAC.Store(ls.meta.ExplicitLAC)
	if found {
		ls.fenced.Store(meta.Fenced)
		lac, ok, err := b.idx.LAC(id)
		if err != nil {
			return nil, fmt.Errorf("bookie: load ledger %d: %w", id, err)
		}
		if ok {
			ls.lac.Store(lac)
		}
	}
	b.ledgers[id] = ls
	return ls, nil
}

// ledgerForReplay returns the state of a ledger a journal record belongs to, nil if
// the ledger was deleted since. Its metadata was persisted before its first add was
// journaled, so a missing one means the index lost it; the entry is kept and the next
// add records the key.
func (b *Bookie) ledgerForReplay(id int64) (*ledgerState, error) {
	ls, err := b.lookupLedger(id, true)
	if err != nil || ls == nil {
		return nil, err
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if !ls.persisted {
		b.log.Warn("bookie: journal holds entries of a ledger the index does not know; its master key will be taken from the next add", "ledger", id)
		return ls, b.persist(ls)
	}
	return ls, nil
}

// lockLedgerForWrite returns the ledger locked (ls.mu) for an add or a fence, created
// with key if new and persisted, after checking the master key.
func (b *Bookie) lockLedgerForWrite(id int64, key []byte) (*ledgerState, error) {
	ls, err := b.lookupLedger(id, true)
	if err != nil {
		return nil, err
	}
	if ls == nil {
		return nil, fmt.Errorf("ledger %d was deleted: %w", id, ErrNoSuchLedger)
	}
	ls.mu.Lock()
	if ls.deleted {
		ls.mu.Unlock()
		return nil, fmt.Errorf("ledger %d was deleted: %w", id, ErrNoSuchLedger)
	}
	if !ls.meta.KeySet {
		ls.meta.MasterKey = append([]byte(nil), key...)
		ls.meta.KeySet = true
		if err := b.persist(ls); err != nil {
			ls.meta.KeySet = false
			ls.mu.Unlock()
			return nil, err
		}
	}
	if err := ls.checkKey(key); err != nil {
		ls.mu.Unlock()
		return nil, err
	}
	return ls, nil
}

// fence marks the ledger fenced, durably, creating it if the bookie never had an entry
// of it (so that a stale writer's later adds here fail too).
func (b *Bookie) fence(id int64, key []byte) (*ledgerState, error) {
	ls, err := b.lockLedgerForWrite(id, key)
	if err != nil {
		return nil, err
	}
	defer ls.mu.Unlock()
	if ls.meta.Fenced {
		return ls, nil
	}
	ls.meta.Fenced = true
	if err := b.persist(ls); err != nil {
		ls.meta.Fenced = false
		return nil, err
	}
	ls.fenced.Store(true)
	return ls, nil
}

// WriteLAC records an explicit last-add-confirmed for a ledger (BookKeeper's WriteLac,
// used when a writer is idle and no add carries its LAC). It is durable on return.
func (b *Bookie) WriteLAC(ledgerID, lac int64, masterKey []byte) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.lifeMu.RUnlock()
	ls, err := b.lockLedgerForWrite(ledgerID, masterKey)
	if err != nil {
		return err
	}
	defer ls.mu.Unlock()
	if lac <= ls.meta.ExplicitLAC {
		return nil
	}
	old := ls.meta.ExplicitLAC
	ls.meta.ExplicitLAC = lac
	if err := b.persist(ls); err != nil {
		ls.meta.ExplicitLAC = old
		return err
	}
	ls.explicitLAC.Store(lac)
	return nil
}
