// Package managedledger keeps a topic's log as a stream of ledgers: it appends to the
// current ledger, rolls over to a new one by size, count or age (or after a failure),
// trims ledgers every cursor has consumed once retention allows, and keeps durable
// cursors whose acknowledgement state survives crashes. Tailing reads come from an
// entry cache.
//
// This file is the contract the broker codes against; implementation elsewhere.
package managedledger

import (
	"context"
	"errors"
	"time"

	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/metadata"
)

// Errors callers branch on.
var (
	ErrClosed       = errors.New("managedledger: closed")
	ErrFenced       = errors.New("managedledger: fenced (another broker took over)")
	ErrTerminated   = errors.New("managedledger: terminated")
	ErrNoSuchCursor = errors.New("managedledger: no such cursor")
	ErrNoSuchEntry  = errors.New("managedledger: no such entry")
)

// Position is an entry's id: ledger id, entry id within the ledger. Positions grow
// strictly in append order; entry ids are contiguous within a ledger.
type Position struct{ LedgerID, EntryID int64 }

// Earliest and Latest are the special positions of Pulsar's message ids.
var (
	Earliest = Position{-1, -1}
	Latest   = Position{1<<63 - 1, 1<<63 - 1}
)

// Compare orders positions: -1, 0 or +1.
func (p Position) Compare(q Position) int {
	switch {
	case p.LedgerID < q.LedgerID:
		return -1
	case p.LedgerID > q.LedgerID:
		return 1
	case p.EntryID < q.EntryID:
		return -1
	case p.EntryID > q.EntryID:
		return 1
	}
	return 0
}

// Entry is a stored entry. Data is shared (from the cache): callers must not modify it.
type Entry struct {
	Pos  Position
	Data []byte
}

// Config holds a managed ledger's settings; the names follow Pulsar's broker.conf keys.
type Config struct {
	EnsembleSize, WriteQuorum, AckQuorum int           // managedLedgerDefaultEnsembleSize/WriteQuorum/AckQuorum
	MaxEntriesPerLedger                  int           // managedLedgerMaxEntriesPerLedger (50000)
	MaxSizePerLedgerBytes                int64         // managedLedgerMaxSizePerLedgerMbytes (2048 MiB)
	MinLedgerRolloverTime                time.Duration // managedLedgerMinLedgerRolloverTimeMinutes (10m)
	MaxLedgerRolloverTime                time.Duration // managedLedgerMaxLedgerRolloverTimeMinutes (240m)
	RetentionTime                        time.Duration // 0: none; <0: infinite
	RetentionSizeBytes                   int64         // 0: none; <0: infinite
	// MarkDeleteRate bounds how often a cursor's state is persisted per second
	// (managedLedgerDefaultMarkDeleteRateLimit, 1.0); acks in between are kept in memory
	// and persisted on the next flush or on close.
	MarkDeleteRate float64
}

// Factory opens managed ledgers; one per broker process.
type Factory struct{ impl *factory }

// Open opens (recovering if needed) or creates the managed ledger of a topic. Opening
// fences the previous owner's ledger, so a broker that took over a topic can never lose or
// fork what the previous one acknowledged.
func (f *Factory) Open(ctx context.Context, name string, cfg Config) (*ManagedLedger, error) {
	return f.impl.open(ctx, name, cfg)
}

// Exists tells whether a managed ledger is stored under name.
func (f *Factory) Exists(ctx context.Context, name string) (bool, error) {
	return f.impl.exists(ctx, name)
}

// Names lists stored managed ledgers whose name starts with prefix.
func (f *Factory) Names(ctx context.Context, prefix string) ([]string, error) {
	return f.impl.names(ctx, prefix)
}

// Close closes every open managed ledger (persisting cursor state).
func (f *Factory) Close() error { return f.impl.close() }

// ManagedLedger is one topic's log. Safe for concurrent use.
type ManagedLedger struct{ impl *managedLedger }

// Name is the managed ledger's name (the topic's persistence name).
func (ml *ManagedLedger) Name() string { return ml.impl.name }

// AddEntry appends data; cb is called exactly once per call, in call order, with the
// entry's position once it is durable (fsynced on AckQuorum bookies), or with an error.
// data must not be modified afterwards (it may be kept in the entry cache).
//
// Callbacks run one at a time on the log's completion goroutine: they must not block
// for long, and must not call Close, Terminate or Delete of the same log synchronously
// (those wait for outstanding adds, which that goroutine completes).
func (ml *ManagedLedger) AddEntry(data []byte, cb func(Position, error)) { ml.impl.addEntry(data, cb) }

// LastConfirmed is the position of the last durable entry; {currentLedger, -1} when the
// log has no entry.
func (ml *ManagedLedger) LastConfirmed() Position { return ml.impl.lastConfirmed() }

// FirstPosition is the position of the first entry still stored (Latest... if none).
func (ml *ManagedLedger) FirstPosition() Position { return ml.impl.firstPosition() }

// NewEntries returns a channel closed when an entry is appended after the call (or when
// the ledger closes): a broadcast that dispatchers select on. Terminate closes it once;
// later calls return a channel only Close closes. After Close it is already closed.
func (ml *ManagedLedger) NewEntries() <-chan struct{} { return ml.impl.newEntries() }

// Read reads one entry by position.
func (ml *ManagedLedger) Read(ctx context.Context, pos Position) (Entry, error) {
	return ml.impl.read(ctx, pos)
}

// Next returns the position after pos (crossing ledger boundaries) and whether one exists;
// if none does, it returns the position the next entry will take.
func (ml *ManagedLedger) Next(pos Position) (Position, bool) { return ml.impl.next(pos) }

// FindFirst returns the first position whose entry satisfies pred, assuming pred is
// monotonic (false...false true...true) over the log, e.g. publish time >= t; it returns
// the position after the last entry if none does.
func (ml *ManagedLedger) FindFirst(ctx context.Context, pred func(Entry) bool) (Position, error) {
	return ml.impl.findFirst(ctx, pred)
}

// OpenCursor opens or creates a durable cursor. A new cursor starts at initial (Earliest
// or Latest, or a specific position: its first read is that position).
func (ml *ManagedLedger) OpenCursor(ctx context.Context, name string, initial Position) (*Cursor, error) {
	return ml.impl.openCursor(ctx, name, initial)
}

// NewNonDurableCursor returns an in-memory cursor whose first read is start (inclusive),
// or the first/next entry for Earliest/Latest.
func (ml *ManagedLedger) NewNonDurableCursor(name string, start Position) *Cursor {
	return ml.impl.newNonDurableCursor(name, start)
}

// DeleteCursor removes a durable cursor and its stored state.
func (ml *ManagedLedger) DeleteCursor(ctx context.Context, name string) error {
	return ml.impl.deleteCursor(ctx, name)
}

// Cursors lists the open cursors (durable and non-durable).
func (ml *ManagedLedger) Cursors() []*Cursor { return ml.impl.cursors() }

// Stats describes the log for admin stats and metrics.
type Stats struct {
	Entries, Bytes int64 // stored (not yet trimmed)
	Ledgers        []LedgerInfo
	LastConfirmed  Position
	AddedEntries   int64 // since open
	State          string
	// CacheHits and CacheMisses count entries read (by cursors and Read) from the entry
	// cache and from the bookies, since open.
	CacheHits, CacheMisses int64
}

// LedgerInfo is one ledger of the log.
type LedgerInfo struct {
	LedgerID, Entries, Size int64
	CreatedMs               int64
}

// Stats returns the log's current figures.
func (ml *ManagedLedger) Stats() Stats { return ml.impl.stats() }

// SetConfig updates retention and rollover settings (namespace policies changed).
func (ml *ManagedLedger) SetConfig(cfg Config) { ml.impl.setConfig(cfg) }

// Trim deletes ledgers that every durable cursor has consumed and retention allows to
// drop; it also runs periodically and on rollover.
func (ml *ManagedLedger) Trim(ctx context.Context) error { return ml.impl.trim(ctx) }

// Terminate seals the log: later AddEntry calls fail with ErrTerminated. Returns the
// last position.
func (ml *ManagedLedger) Terminate(ctx context.Context) (Position, error) {
	return ml.impl.terminate(ctx)
}

// Terminated tells whether the log was terminated.
func (ml *ManagedLedger) Terminated() bool { return ml.impl.terminated() }

// Close closes the current ledger and persists every cursor's state.
func (ml *ManagedLedger) Close(ctx context.Context) error { return ml.impl.close(ctx) }

// Delete closes the log and deletes its ledgers, cursors and metadata.
func (ml *ManagedLedger) Delete(ctx context.Context) error { return ml.impl.delete(ctx) }

// Cursor tracks one subscription's position: a mark-delete position (everything at or
// before it is acknowledged), individually deleted entries after it, partial batch acks,
// and a read position. Safe for concurrent use.
type Cursor struct{ impl *cursor }

// Name is the cursor (subscription) name.
func (c *Cursor) Name() string { return c.impl.name }

// Durable tells whether the cursor's state is persisted.
func (c *Cursor) Durable() bool { return c.impl.durable }

// Read returns up to max entries (and at most maxBytes, but at least one entry if any)
// from the read position, skipping acknowledged ones, and advances the read position past
// them. It does not wait: it returns no entries when the cursor is at the end.
func (c *Cursor) Read(ctx context.Context, max int, maxBytes int64) ([]Entry, error) {
	return c.impl.read(ctx, max, maxBytes)
}

// ReadPosition is the position of the next entry Read returns.
func (c *Cursor) ReadPosition() Position { return c.impl.readPosition() }

// HasMore tells whether Read would return an entry now.
func (c *Cursor) HasMore() bool { return c.impl.hasMore() }

// Rewind moves the read position back to the first unacknowledged entry (used to
// redeliver unacknowledged messages).
func (c *Cursor) Rewind() { c.impl.rewind() }

// Seek moves the read position to pos without changing acknowledgements.
func (c *Cursor) Seek(pos Position) { c.impl.seek(pos) }

// Reset moves the cursor to pos: everything before pos becomes acknowledged, everything
// from pos on unacknowledged, and the read position is pos (seek / reset-cursor).
func (c *Cursor) Reset(ctx context.Context, pos Position) error { return c.impl.reset(ctx, pos) }

// MarkDelete acknowledges everything up to and including pos (cumulative ack).
func (c *Cursor) MarkDelete(pos Position) error { return c.impl.markDelete(pos) }

// Delete acknowledges individual entries; the mark-delete position advances over any
// contiguous acknowledged prefix.
func (c *Cursor) Delete(positions ...Position) error { return c.impl.delete(positions) }

// SetBatchAckSet records a partial acknowledgement of a batch entry: ackSet has Pulsar's
// meaning (bit i set = message i still unacknowledged). It is persisted with the cursor.
func (c *Cursor) SetBatchAckSet(pos Position, ackSet []int64) { c.impl.setBatchAckSet(pos, ackSet) }

// BatchAckSet returns the stored partial acknowledgement of an entry, nil if none.
func (c *Cursor) BatchAckSet(pos Position) []int64 { return c.impl.batchAckSet(pos) }

// IsAcked tells whether pos is acknowledged (at or before mark-delete, or deleted).
func (c *Cursor) IsAcked(pos Position) bool { return c.impl.isAcked(pos) }

// MarkDeleted is the mark-delete position (the position before the first entry when
// nothing is acknowledged).
func (c *Cursor) MarkDeleted() Position { return c.impl.markDeleted() }

// Backlog is the number of unacknowledged entries.
func (c *Cursor) Backlog() int64 { return c.impl.backlog() }

// BacklogBytes is the size of the unacknowledged entries (approximate for partial ledgers).
func (c *Cursor) BacklogBytes() int64 { return c.impl.backlogBytes() }

// Skip acknowledges the next n unacknowledged entries.
func (c *Cursor) Skip(n int64) error { return c.impl.skip(n) }

// Properties are stored with a durable cursor (subscription properties).
func (c *Cursor) Properties() map[string]string { return c.impl.properties() }

// SetProperties replaces the cursor's properties.
func (c *Cursor) SetProperties(ctx context.Context, props map[string]string) error {
	return c.impl.setProperties(ctx, props)
}

// LastActive is when the cursor was last read from or acknowledged.
func (c *Cursor) LastActive() time.Time { return c.impl.lastActive() }

// Flush persists the cursor's state now.
func (c *Cursor) Flush(ctx context.Context) error { return c.impl.flush(ctx) }

// FactoryConfig wires a Factory to the metadata store (managed-ledger and cursor metadata
// under /managed-ledgers) and to the ledger client.
type FactoryConfig struct {
	Store   metadata.Store
	Ledgers *ledger.Client
	// CacheSizeBytes bounds the entry cache shared by all managed ledgers
	// (managedLedgerCacheSizeMB); 0 picks a default.
	CacheSizeBytes int64
}

// NewFactory returns a Factory.
func NewFactory(cfg FactoryConfig) (*Factory, error) { return newFactory(cfg) }
