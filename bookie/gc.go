package bookie

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/magnetar/magnetar/bookie/crc32c"
	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/index"
	"github.com/magnetar/magnetar/metadata"
)

// DeleteLedger removes a ledger from this bookie: its index entries and metadata go at
// once (durably), its bytes in the entry logs are reclaimed by GC. A tombstone keeps
// replay of older journal records and late adds from bringing it back.
func (b *Bookie) DeleteLedger(ledgerID int64) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.lifeMu.RUnlock()
	return b.deleteLedgerLocked(ledgerID)
}

// deleteLedgerLocked is DeleteLedger for a caller that holds lifeMu for reading. The
// ledger is marked deleted first, so that a flush committing meanwhile leaves it out,
// then removed from the index under indexMu, after any flush that did not see the mark.
func (b *Bookie) deleteLedgerLocked(ledgerID int64) error {
	at := b.jrnl.Position()
	b.ledgersMu.Lock()
	ls := b.ledgers[ledgerID]
	delete(b.ledgers, ledgerID)
	b.deleted[ledgerID] = math.MaxUint64 // until the deletion is complete
	b.ledgersMu.Unlock()
	if ls != nil { // wait for an add or fence holding it, and stop any later one
		ls.mu.Lock()
		ls.deleted = true
		ls.mu.Unlock()
	}
	b.indexMu.Lock()
	err := b.idx.DeleteLedger(ledgerID, at)
	b.indexMu.Unlock()
	if err != nil {
		return fmt.Errorf("bookie: %w", err)
	}
	b.wcache.dropLedger(ledgerID)
	b.rcache.dropLedger(ledgerID)
	b.stats.deletedLedgers.Add(1)
	b.ledgersMu.Lock()
	b.deleted[ledgerID] = b.swapGen.Load()
	b.ledgersMu.Unlock()
	return nil
}

// gcLoop collects garbage every GCInterval.
func (b *Bookie) gcLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-b.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		if _, err := b.CollectGarbage(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("bookie: garbage collection failed", "err", err)
		}
		cancel()
	}
}

// GCStats says what one garbage collection did.
type GCStats struct {
	LedgersDeleted int // ledgers missing from the metadata store, deleted here
	LogsRemoved    int // entry logs with no live entries, deleted
	LogsCompacted  int // entry logs whose live entries were copied to a new log
	BytesReclaimed int64
}

// CollectGarbage deletes ledgers that no longer exist in the metadata store (if one is
// configured), then removes the sealed entry logs without live entries and compacts
// those whose live bytes are below CompactionThreshold.
func (b *Bookie) CollectGarbage(ctx context.Context) (GCStats, error) {
	var st GCStats
	if err := b.enter(); err != nil {
		return st, err
	}
	defer b.lifeMu.RUnlock()
	b.gcMu.Lock()
	defer b.gcMu.Unlock()
	if b.cfg.Store != nil {
		n, err := b.deleteOrphanLedgers(ctx)
		st.LedgersDeleted = n
		if err != nil {
			return st, err
		}
	}
	// Order matters: the logs below `below` were committed before the usage snapshot,
	// and the live set is taken after it, so a ledger created meanwhile is not missed.
	below := b.gcBelow.Load()
	usage, err := b.idx.Usage()
	if err != nil {
		return st, fmt.Errorf("bookie: gc: %w", err)
	}
	live := map[int64]bool{}
	if err := b.idx.Ledgers(func(id int64, _ index.LedgerMeta) error { live[id] = true; return nil }); err != nil {
		return st, fmt.Errorf("bookie: gc: %w", err)
	}
	for _, id := range b.logs.IDs() {
		if id >= below {
			break
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		var total, liveBytes int64
		for lid, n := range usage[id] {
			total += n
			if live[lid] {
				liveBytes += n
			}
		}
		size, _ := b.logs.Size(id)
		switch {
		case liveBytes == 0:
			if err := b.removeLog(id); err != nil {
				return st, err
			}
			st.LogsRemoved++
			st.BytesReclaimed += size
		case float64(liveBytes) < b.cfg.CompactionThreshold*float64(total):
			newSize, err := b.compact(ctx, id, live)
			if err != nil {
				return st, err
			}
			st.LogsCompacted++
			st.BytesReclaimed += size - newSize
		}
	}
	b.dropTombstones()
	if st != (GCStats{}) {
		b.log.Info("bookie: garbage collected", "ledgers_deleted", st.LedgersDeleted, "logs_removed", st.LogsRemoved, "logs_compacted", st.LogsCompacted, "bytes", st.BytesReclaimed)
	}
	return st, nil
}

// removeLog forgets a log's usage and deletes the file.
func (b *Bookie) removeLog(id uint64) error {
	b.indexMu.Lock()
	batch := b.idx.NewBatch()
	err := batch.DeleteUsage(id)
	if err == nil {
		err = batch.Commit()
	} else {
		batch.Discard()
	}
	b.indexMu.Unlock()
	if err != nil {
		return fmt.Errorf("bookie: gc log %d: %w", id, err)
	}
	if err := b.logs.Remove(id); err != nil {
		return fmt.Errorf("bookie: gc: %w", err)
	}
	return nil
}

// compact copies the live entries of log id that the index still points at to a new
// log, repoints the index, and deletes the old log. It returns the new log's size.
func (b *Bookie) compact(ctx context.Context, id uint64, live map[int64]bool) (int64, error) {
	w, err := b.logs.Create()
	if err != nil {
		return 0, fmt.Errorf("bookie: compact log %d: %w", id, err)
	}
	type move struct {
		ledgerID, entryID int64
		from, to          entrylog.Location
	}
	var moves []move
	usage := map[int64]int64{}
	err = b.logs.Scan(id, func(loc entrylog.Location, lid, eid int64, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !live[lid] {
			return nil
		}
		cur, ok, err := b.idx.Location(lid, eid)
		if err != nil || !ok || cur != loc {
			return err // superseded by a later copy, or deleted
		}
		to, err := w.Append(lid, eid, nil, data, crc32c.Checksum(data))
		if err != nil {
			return err
		}
		moves = append(moves, move{lid, eid, loc, to})
		usage[lid] += int64(to.Size)
		return nil
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		w.Close()
		b.logs.Remove(w.ID())
		return 0, fmt.Errorf("bookie: compact log %d: %w", id, err)
	}

	b.indexMu.Lock()
	batch := b.idx.NewBatch()
	gone := b.deletedSet()
	for _, m := range moves {
		cur, ok, err := b.idx.Location(m.ledgerID, m.entryID)
		if err == nil && ok && cur == m.from && !gone[m.ledgerID] {
			err = batch.SetLocation(m.ledgerID, m.entryID, m.to)
		}
		if err != nil {
			b.indexMu.Unlock()
			batch.Discard()
			return 0, fmt.Errorf("bookie: compact log %d: %w", id, err)
		}
	}
	for lid, n := range usage {
		if err := batch.SetUsage(w.ID(), lid, n); err != nil {
			b.indexMu.Unlock()
			batch.Discard()
			return 0, fmt.Errorf("bookie: compact log %d: %w", id, err)
		}
	}
	err = batch.DeleteUsage(id)
	if err == nil {
		err = batch.Commit()
	} else {
		batch.Discard()
	}
	b.indexMu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("bookie: compact log %d: %w", id, err)
	}
	if err := b.logs.Remove(id); err != nil {
		return 0, fmt.Errorf("bookie: compact: %w", err)
	}
	if len(moves) == 0 {
		return 0, b.logs.Remove(w.ID())
	}
	size, _ := b.logs.Size(w.ID())
	return size, nil
}

// deleteOrphanLedgers deletes the ledgers whose metadata (/ledgers/<id>) is gone from
// the metadata store: their owner deleted them (BookKeeper's GC does the same).
func (b *Bookie) deleteOrphanLedgers(ctx context.Context) (int, error) {
	var ids []int64
	if err := b.idx.Ledgers(func(id int64, _ index.LedgerMeta) error { ids = append(ids, id); return nil }); err != nil {
		return 0, fmt.Errorf("bookie: gc: %w", err)
	}
	n := 0
	for _, id := range ids {
		_, _, err := b.cfg.Store.Get(ctx, "/ledgers/"+strconv.FormatInt(id, 10))
		switch {
		case errors.Is(err, metadata.ErrNotFound):
			if err := b.deleteLedgerLocked(id); err != nil {
				return n, err
			}
			n++
		case err != nil:
			return n, fmt.Errorf("bookie: gc: check ledger %d in the metadata store: %w", id, err)
		}
	}
	return n, nil
}

// dropTombstones forgets, in memory, the deletions that a flush started after them has
// committed past: no flush can hold those ledgers' entries any more. The index keeps
// the tombstones.
func (b *Bookie) dropTombstones() {
	committed := b.committedGen.Load()
	b.ledgersMu.Lock()
	defer b.ledgersMu.Unlock()
	for id, gen := range b.deleted {
		if gen < committed {
			delete(b.deleted, id)
		}
	}
}
