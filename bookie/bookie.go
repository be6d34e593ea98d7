package bookie

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/bookie/crc32c"
	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/index"
	"github.com/magnetar/magnetar/bookie/journal"
)

// Bookie is a storage node. Its methods are safe for concurrent use.
//
// An add is checked (size, read-only, master key, fence), put in the write cache, then
// queued to the journal; its callback runs after the journal's fdatasync. Every
// FlushInterval the write cache goes to an entry log and the index, and the journal
// position taken when the cache was swapped out becomes the checkpoint: replay starts
// there and older journal segments are deleted. Putting an entry in the cache before it
// is queued is what makes that position safe: any record before it is in the cache.
//
// On disk: JournalDir holds the journal segments (<seq>.jnl); each ledger directory holds
// entry logs (<id>.log), and the first one also the pebble index (index/) with the
// ledgers' metadata, the entries' locations and the checkpoint.
//
// Locking, outermost first: lifeMu (read-held by every operation, write-held by Close);
// gcMu (one GC at a time); flushMu (one flush at a time); indexMu (index commits of
// flushes, compactions and deletions, so a deletion is never undone by a flush that did
// not see it); ledgersMu (the ledger table); a ledger's mu (an add's checks against
// fencing); the write cache's mu. A ledger's mu is never held while taking indexMu.
type Bookie struct {
	cfg    Config
	log    *slog.Logger
	jrnl   *journal.Journal
	idx    *index.DB
	logs   *entrylog.Logs
	wcache *writeCache
	rcache *readCache

	lifeMu sync.RWMutex
	closed atomic.Bool

	ledgersMu sync.Mutex
	ledgers   map[int64]*ledgerState
	// deleted holds the ledgers deleted since Open until a flush that started after the
	// deletion has committed, so that flushes in between leave them out; the value is
	// swapGen when the deletion finished. The index keeps the tombstones for good.
	deleted map[int64]uint64

	indexMu sync.Mutex

	flushMu     sync.Mutex
	writer      *entrylog.Writer // current entry log, guarded by flushMu
	writerUsage map[int64]int64  // bytes per ledger in writer, guarded by flushMu
	// gcBelow: entry logs with smaller ids are sealed and fully described in the index.
	gcBelow atomic.Uint64
	// swapGen counts write cache swaps; committedGen is the swap of the last committed
	// flush.
	swapGen, committedGen atomic.Uint64

	gcMu sync.Mutex // one garbage collection at a time

	readOnly atomic.Bool
	regMu    sync.Mutex // serializes registration updates

	stats struct {
		addRejected, writeBytes       atomic.Int64
		readOK, readFailed, readBytes atomic.Int64
		deletedLedgers                atomic.Int64
	}

	stop chan struct{}
	wg   sync.WaitGroup
}

// Open starts a bookie: it opens the index and entry logs, replays the journal from the
// last checkpoint (a torn tail is truncated) into the write cache, registers in the
// metadata store if one is configured, and starts flushing, GC and disk checks.
func Open(cfg Config) (*Bookie, error) {
	if err := cfg.EnsureDefaults(); err != nil {
		return nil, err
	}
	b := &Bookie{
		cfg:     cfg,
		log:     slog.With("bookie", cfg.ID),
		wcache:  newWriteCache(cfg.WriteCacheBytes),
		rcache:  newReadCache(cfg.ReadCacheBytes),
		ledgers: map[int64]*ledgerState{},
		deleted: map[int64]uint64{},
		stop:    make(chan struct{}),
	}
	var err error
	if b.idx, err = index.Open(cfg.indexDir()); err != nil {
		return nil, fmt.Errorf("bookie: %w", err)
	}
	if err := b.openStorage(); err != nil {
		b.idx.Close()
		if b.logs != nil {
			b.logs.Close()
		}
		return nil, err
	}
	b.checkDisks()
	if cfg.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := b.register(ctx)
		cancel()
		if err != nil {
			b.shutdown()
			return nil, err
		}
	}
	b.wg.Add(3)
	go b.flushLoop()
	go b.gcLoop()
	go b.maintenanceLoop()
	return b, nil
}

// openStorage opens the entry logs and replays the journal.
func (b *Bookie) openStorage() error {
	var err error
	if b.logs, err = entrylog.Open(b.cfg.LedgerDirs); err != nil {
		return fmt.Errorf("bookie: %w", err)
	}
	ids := b.logs.IDs()
	below := uint64(1)
	if len(ids) > 0 {
		below = ids[len(ids)-1] + 1
	}
	b.gcBelow.Store(below)
	cp, err := b.idx.Checkpoint()
	if err != nil {
		return fmt.Errorf("bookie: %w", err)
	}
	start := time.Now()
	var replayed int64
	jopts := journal.Options{
		Dir:         b.cfg.JournalDir,
		SegmentSize: b.cfg.JournalSegmentSize,
		MaxPayload:  max(b.cfg.MaxEntrySize, 16<<20),
	}
	b.jrnl, err = journal.Open(jopts, cp, func(r journal.Record) error {
		replayed++
		return b.replayRecord(r)
	})
	if err != nil {
		return fmt.Errorf("bookie: replay journal: %w", err)
	}
	b.log.Info("bookie: journal replayed", "from", cp.String(), "records", replayed, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// replayRecord puts a journaled entry back in the write cache, flushing when it fills.
func (b *Bookie) replayRecord(r journal.Record) error {
	ls, err := b.ledgerForReplay(r.LedgerID)
	if err != nil || ls == nil { // nil: deleted since
		return err
	}
	ls.raiseLAC(r.LastAddConfirmed)
	d := append([]byte(nil), r.Data...)
	if b.wcache.putNoWait(r.LedgerID, r.EntryID, entryParts{data: d, crc: crc32c.Checksum(d)}) {
		var cp journal.Position
		set := b.wcache.swap(&b.swapGen, func() { cp = r.End })
		if err := b.flushSet(set, cp); err != nil {
			return err
		}
	}
	return nil
}

// ReadOnly reports whether the bookie refuses adds (a disk is above the threshold).
func (b *Bookie) ReadOnly() bool { return b.readOnly.Load() }

// MaxEntrySize is the largest entry data the bookie accepts.
func (b *Bookie) MaxEntrySize() int { return b.cfg.MaxEntrySize }

// ID is the bookie's id (advertised host:port).
func (b *Bookie) ID() string { return b.cfg.ID }

// enter admits an operation until the bookie closes; release with b.lifeMu.RUnlock.
func (b *Bookie) enter() error {
	b.lifeMu.RLock()
	if b.closed.Load() {
		b.lifeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Close flushes the write cache, checkpoints the journal, unregisters from the metadata
// store and stops. Adds in flight complete first.
func (b *Bookie) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.wcache.wakeAll() // adds waiting for cache space give up
	close(b.stop)      // background loops end; a GC in progress is cancelled
	b.wg.Wait()
	b.lifeMu.Lock() // wait for operations in flight
	b.lifeMu.Unlock()
	var errs []error
	if b.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := b.unregister(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	errs = append(errs, b.shutdown())
	return errors.Join(errs...)
}

// shutdown closes the journal (its queued adds are written), flushes and closes storage.
func (b *Bookie) shutdown() error {
	var errs []error
	if err := b.jrnl.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bookie: close journal: %w", err))
	}
	if err := b.flush(); err != nil {
		errs = append(errs, err)
	}
	b.flushMu.Lock()
	if b.writer != nil {
		if err := b.writer.Close(); err != nil {
			errs = append(errs, err)
		}
		b.writer = nil
	}
	b.flushMu.Unlock()
	if err := b.logs.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := b.idx.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
