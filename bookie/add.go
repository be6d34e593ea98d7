package bookie

import (
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/bookie/crc32c"
	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/journal"
)

// AddEntry implements Client: the entry is checked, put in the write cache and queued
// to the journal; cb runs after the journal's fdatasync. Data is kept (not copied).
func (b *Bookie) AddEntry(req *AddRequest, cb func(err error)) {
	if err := b.enter(); err != nil {
		b.stats.addRejected.Add(1)
		cb(err)
		return
	}
	defer b.lifeMu.RUnlock()
	crc, err := b.checkAdd(req)
	if err != nil {
		b.stats.addRejected.Add(1)
		cb(err)
		return
	}
	b.stats.writeBytes.Add(int64(len(req.Header) + len(req.Data)))
	b.jrnl.Add(journal.Entry{LedgerID: req.LedgerID, EntryID: req.EntryID, LastAddConfirmed: req.LastAddConfirmed,
		Header: req.Header, Data: req.Data, DataCRC: crc}, cb)
}

// checkAdd admits an add (size, ids, read-only, master key, fence) and puts it in the
// write cache; the caller then queues it to the journal. It returns the data's CRC-32C
// (computed here if the caller did not give it).
func (b *Bookie) checkAdd(req *AddRequest) (uint32, error) {
	if n := len(req.Header) + len(req.Data); n > b.cfg.MaxEntrySize {
		return 0, fmt.Errorf("ledger %d entry %d: %d bytes, limit %d: %w", req.LedgerID, req.EntryID, n, b.cfg.MaxEntrySize, ErrTooLarge)
	}
	if req.LedgerID < 0 || req.EntryID < 0 {
		return 0, fmt.Errorf("ledger %d entry %d: negative id: %w", req.LedgerID, req.EntryID, ErrNoSuchEntry)
	}
	if b.readOnly.Load() {
		return 0, ErrReadOnly
	}
	crc := req.DataCRC
	if !req.HasDataCRC {
		crc = crc32c.Checksum(req.Data)
	}
	ls, err := b.lockLedgerForWrite(req.LedgerID, req.MasterKey)
	if err != nil {
		return 0, err
	}
	defer ls.mu.Unlock()
	if ls.fenced.Load() && !req.Recovery {
		return 0, fmt.Errorf("ledger %d: %w", req.LedgerID, ErrFenced)
	}
	ls.raiseLAC(req.LastAddConfirmed)
	if !b.wcache.put(req.LedgerID, req.EntryID, entryParts{req.Header, req.Data, crc}, b.closed.Load) {
		return 0, ErrClosed
	}
	return crc, nil
}

// readStored returns an entry from the write cache, the read cache or the entry logs.
func (b *Bookie) readStored(ledgerID, entryID int64) ([]byte, error) {
	if d, ok := b.wcache.get(ledgerID, entryID); ok {
		return d, nil
	}
	if d, ok := b.rcache.get(ledgerID, entryID); ok {
		return d, nil
	}
	// A compaction may move the entry between the index lookup and the read; the
	// second lookup then finds its new place.
	for attempt := 0; ; attempt++ {
		loc, ok, err := b.idx.Location(ledgerID, entryID)
		if err != nil {
			return nil, fmt.Errorf("bookie: %w", err)
		}
		if !ok {
			// The flush that indexed it may have finished between the cache check and
			// the index lookup.
			if d, ok := b.wcache.get(ledgerID, entryID); ok {
				return d, nil
			}
			return nil, fmt.Errorf("ledger %d entry %d: %w", ledgerID, entryID, ErrNoSuchEntry)
		}
		d, err := b.logs.Read(loc, ledgerID, entryID)
		if errors.Is(err, entrylog.ErrNoSuchLog) && attempt == 0 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bookie: ledger %d entry %d: %w", ledgerID, entryID, err)
		}
		b.rcache.put(ledgerID, entryID, d)
		return d, nil
	}
}
