package bookie

import (
	"fmt"
	"time"

	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/journal"
)

// flushLoop flushes the write cache every FlushInterval, or at once when it fills.
func (b *Bookie) flushLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.wcache.kick:
		}
		if err := b.flush(); err != nil {
			b.log.Error("bookie: flush failed; entries stay in the write cache and the journal", "err", err)
		}
	}
}

// Flush writes the write cache to an entry log, indexes it and moves the journal
// checkpoint forward (deleting journal segments wholly before it). The bookie does
// this every FlushInterval by itself.
func (b *Bookie) Flush() error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.lifeMu.RUnlock()
	return b.flush()
}

func (b *Bookie) flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	var cp journal.Position
	set := b.wcache.swap(&b.swapGen, func() { cp = b.jrnl.Position() })
	if set == nil {
		return nil
	}
	if err := b.flushSetLocked(set, cp); err != nil {
		return err
	}
	if err := b.jrnl.DeleteBefore(cp); err != nil {
		b.log.Warn("bookie: delete checkpointed journal segments", "err", err)
	}
	return nil
}

// flushSet is flushSetLocked for replay, which is not under flushMu yet.
func (b *Bookie) flushSet(set *cacheSet, cp journal.Position) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	return b.flushSetLocked(set, cp)
}

// placement is where a flush put one entry.
type placement struct {
	ledgerID, entryID int64
	loc               entrylog.Location
}

// sealedLog is an entry log a flush filled up, with its final per-ledger usage.
type sealedLog struct {
	id    uint64
	usage map[int64]int64
}

// flushSetLocked writes a swapped-out cache set to the entry logs (ledger by ledger, in
// entry order), syncs them, and commits their index entries, the ledgers' LACs, the logs'
// usage and the checkpoint cp in one synced batch. On failure the set goes back into the
// cache (nothing is lost: the journal still holds it). b.flushMu is held.
func (b *Bookie) flushSetLocked(set *cacheSet, cp journal.Position) (err error) {
	defer func() {
		if err != nil {
			b.wcache.restore(set)
			if b.writer != nil { // its tail is in doubt: never append to it again
				b.writer.Close()
				b.writer = nil
			}
		}
	}()
	var placed []placement
	var sealed []sealedLog
	for _, lid := range set.sortedLedgers() {
		l := set.ledgers[lid]
		for _, eid := range l.sortedEntries() {
			if b.writer == nil {
				if b.writer, err = b.logs.Create(); err != nil {
					return fmt.Errorf("bookie: flush: %w", err)
				}
				b.writerUsage = map[int64]int64{}
			}
			e := l.entries[eid]
			loc, err := b.writer.Append(lid, eid, e.hdr, e.data, e.crc)
			if err != nil {
				return fmt.Errorf("bookie: flush: %w", err)
			}
			b.writerUsage[lid] += int64(loc.Size)
			placed = append(placed, placement{lid, eid, loc})
			if b.writer.Size() >= b.cfg.EntryLogSize {
				if err := b.writer.Close(); err != nil {
					return fmt.Errorf("bookie: flush: %w", err)
				}
				sealed = append(sealed, sealedLog{b.writer.ID(), b.writerUsage})
				b.writer, b.writerUsage = nil, nil
			}
		}
	}
	if b.writer != nil {
		if err := b.writer.Sync(); err != nil {
			return fmt.Errorf("bookie: flush: %w", err)
		}
	}
	if err := b.commitFlush(set, placed, sealed, cp); err != nil {
		return err
	}
	next := b.logs.NextID()
	if b.writer != nil {
		next = b.writer.ID()
	}
	b.gcBelow.Store(next)
	b.committedGen.Store(set.gen)
	b.wcache.flushed()
	return nil
}

// commitFlush writes one flush's index batch. Entries of ledgers deleted while the
// flush was writing are left out (their bytes in the log are garbage from the start).
func (b *Bookie) commitFlush(set *cacheSet, placed []placement, sealed []sealedLog, cp journal.Position) error {
	b.indexMu.Lock()
	defer b.indexMu.Unlock()
	batch := b.idx.NewBatch()
	gone := b.deletedSet()
	for _, p := range placed {
		if gone[p.ledgerID] {
			continue
		}
		if err := batch.SetLocation(p.ledgerID, p.entryID, p.loc); err != nil {
			batch.Discard()
			return fmt.Errorf("bookie: flush: %w", err)
		}
	}
	for lid := range set.ledgers {
		if gone[lid] {
			continue
		}
		ls, err := b.lookupLedger(lid, false)
		if err != nil || ls == nil {
			continue
		}
		if err := batch.SetLAC(lid, ls.lac.Load()); err != nil {
			batch.Discard()
			return fmt.Errorf("bookie: flush: %w", err)
		}
	}
	usage := sealed
	if b.writer != nil {
		usage = append(usage, sealedLog{b.writer.ID(), b.writerUsage})
	}
	for _, u := range usage {
		for lid, n := range u.usage {
			if err := batch.SetUsage(u.id, lid, n); err != nil {
				batch.Discard()
				return fmt.Errorf("bookie: flush: %w", err)
			}
		}
	}
	if err := batch.SetCheckpoint(cp); err != nil {
		batch.Discard()
		return fmt.Errorf("bookie: flush: %w", err)
	}
	if err := batch.Commit(); err != nil {
		return fmt.Errorf("bookie: flush: %w", err)
	}
	return nil
}

// deletedSet snapshots the deleted ledgers.
func (b *Bookie) deletedSet() map[int64]bool {
	b.ledgersMu.Lock()
	defer b.ledgersMu.Unlock()
	out := make(map[int64]bool, len(b.deleted))
	for id := range b.deleted {
		out[id] = true
	}
	return out
}
