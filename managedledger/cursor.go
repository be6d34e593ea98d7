package managedledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// cursor is the implementation behind Cursor.
//
// State: md, the mark-delete position (everything at or before it is acknowledged);
// deleted, the individually acknowledged entries after md; batch, partial
// acknowledgements of batch entries; readPos, the next slot to read (possibly not
// normalized: it is mapped onto the layout when used). Acknowledgements only move md
// forward; Reset may move it anywhere.
type cursor struct {
	name    string
	durable bool
	m       *managedLedger
	key     string
	handle  *Cursor

	readMu sync.Mutex // serializes Read calls (held across I/O, unlike mu)

	mu             sync.Mutex
	md             Position
	deleted        rangeSet
	batch          map[Position][]int64
	readPos        Position
	epoch          uint64 // bumped when readPos is moved other than by Read
	props          map[string]string
	active         time.Time
	closed         bool
	dirty          bool
	flushScheduled bool
	lastPersist    time.Time

	persistMu sync.Mutex // serializes writes of the stored state
	version   int64      // stored version (persistMu)
}

func (m *managedLedger) newCursor(name string, durable bool, md Position) *cursor {
	c := &cursor{
		name: name, durable: durable, m: m, md: md,
		readPos: Position{md.LedgerID, md.EntryID + 1},
		batch:   map[Position][]int64{},
		active:  time.Now(),
		version: metadata.NotExists,
	}
	if durable {
		c.key = cursorKey(m.name, name)
	}
	c.handle = &Cursor{impl: c}
	return c
}

// restoreCursor rebuilds a durable cursor from its stored state; reading resumes after
// the mark-delete position (unacknowledged entries are delivered again).
func (m *managedLedger) restoreCursor(name string, ci cursorInfo, version int64) *cursor {
	c := m.newCursor(name, true, ci.MarkDelete.position())
	c.version = version
	for _, r := range ci.IndividuallyDeleted {
		c.deleted.r = append(c.deleted.r, posRange{r[0].position(), r[1].position()})
	}
	for k, v := range ci.BatchAckSets {
		if p, err := parseBatchKey(k); err == nil {
			c.batch[p] = v
		}
	}
	c.props = ci.Properties
	if ci.LastActiveMs > 0 {
		c.active = time.UnixMilli(ci.LastActiveMs)
	}
	c.lastPersist = time.Now()
	return c
}

// startMarkDeleteLocked is the mark-delete position of a new cursor whose first read is
// start (Earliest, Latest or a position).
func (m *managedLedger) startMarkDeleteLocked(start Position) Position {
	if start == Latest {
		return m.lac
	}
	t := m.ledgers.normalize(start)
	return Position{t.LedgerID, t.EntryID - 1}
}

func (m *managedLedger) openCursor(ctx context.Context, name string, initial Position) (*Cursor, error) {
	if name == "" {
		return nil, fmt.Errorf("managedledger: empty cursor name")
	}
	m.mu.Lock()
	if m.state == stateClosed || m.state == stateDeleted {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if c := m.durable[name]; c != nil {
		m.mu.Unlock()
		return c.handle, nil
	}
	c := m.newCursor(name, true, m.startMarkDeleteLocked(initial))
	m.mu.Unlock()

	if err := c.persist(ctx); err != nil {
		if !errors.Is(err, metadata.ErrBadVersion) {
			return nil, fmt.Errorf("managedledger: create cursor %q of %s: %w", name, m.name, err)
		}
		// Created concurrently: use the stored one.
		b, st, gerr := m.f.store.Get(ctx, c.key)
		if gerr != nil {
			return nil, fmt.Errorf("managedledger: load cursor %q of %s: %w", name, m.name, gerr)
		}
		var ci cursorInfo
		if jerr := json.Unmarshal(b, &ci); jerr != nil {
			return nil, fmt.Errorf("managedledger: decode cursor %q of %s: %w", name, m.name, jerr)
		}
		c = m.restoreCursor(name, ci, st.Version)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev := m.durable[name]; prev != nil {
		return prev.handle, nil
	}
	m.durable[name] = c
	return c.handle, nil
}

func (m *managedLedger) newNonDurableCursor(name string, start Position) *Cursor {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.newCursor(name, false, m.startMarkDeleteLocked(start))
	if m.state != stateClosed && m.state != stateDeleted {
		m.nonDurable[name] = c
	} else {
		c.closed = true
	}
	return c.handle
}

// deleteCursor removes a durable cursor and its stored state, or forgets a non-durable
// one (readers should delete theirs when done).
func (m *managedLedger) deleteCursor(ctx context.Context, name string) error {
	m.mu.Lock()
	c := m.durable[name]
	delete(m.durable, name)
	nd := m.nonDurable[name]
	delete(m.nonDurable, name)
	m.mu.Unlock()
	if nd != nil {
		nd.mu.Lock()
		nd.closed = true
		nd.mu.Unlock()
	}
	if c == nil {
		if nd != nil {
			return nil
		}
		return fmt.Errorf("managedledger: %s cursor %q: %w", m.name, name, ErrNoSuchCursor)
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.persistMu.Lock()
	err := m.f.store.Delete(ctx, c.key, metadata.AnyVersion)
	c.persistMu.Unlock()
	if err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return fmt.Errorf("managedledger: delete cursor %q of %s: %w", name, m.name, err)
	}
	m.scheduleTrim()
	return nil
}

func (m *managedLedger) durableCursors() []*cursor {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*cursor, 0, len(m.durable))
	for _, k := range slices.Sorted(maps.Keys(m.durable)) {
		out = append(out, m.durable[k])
	}
	return out
}

func (m *managedLedger) allCursors() []*cursor {
	out := m.durableCursors()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(m.nonDurable)) {
		out = append(out, m.nonDurable[k])
	}
	return out
}

func (m *managedLedger) cursors() []*Cursor {
	cs := m.allCursors()
	out := make([]*Cursor, len(cs))
	for i, c := range cs {
		out[i] = c.handle
	}
	return out
}

// lockBoth locks the cursor, then its managed ledger, and returns the layout; callers
// unlock with unlockBoth.
func (c *cursor) lockBoth() layout {
	c.mu.Lock()
	c.m.mu.Lock()
	return c.m.ledgers
}

func (c *cursor) unlockBoth() {
	c.m.mu.Unlock()
	c.mu.Unlock()
}

func (c *cursor) readPosition() Position {
	l := c.lockBoth()
	defer c.unlockBoth()
	return c.readStartLocked(l)
}

// readStartLocked is the normalized read position, never at or before md.
func (c *cursor) readStartLocked(l layout) Position {
	p := l.normalize(c.readPos)
	if p.Compare(c.md) <= 0 {
		p = l.succ(c.md)
	}
	return p
}

func (c *cursor) rewind() {
	l := c.lockBoth()
	defer c.unlockBoth()
	c.readPos = l.succ(c.md)
	c.epoch++
}

func (c *cursor) seek(pos Position) {
	l := c.lockBoth()
	defer c.unlockBoth()
	c.readPos = l.normalize(pos)
	c.epoch++
}

func (c *cursor) reset(ctx context.Context, pos Position) error {
	l := c.lockBoth()
	if c.closed {
		c.unlockBoth()
		return ErrClosed
	}
	t := l.normalize(pos)
	c.md = Position{t.LedgerID, t.EntryID - 1}
	c.deleted.clear()
	clear(c.batch)
	c.readPos = t
	c.epoch++
	c.active = time.Now()
	c.dirty = true
	c.unlockBoth()
	return c.flush(ctx)
}

func (c *cursor) markDelete(pos Position) error {
	l := c.lockBoth()
	if c.closed {
		c.unlockBoth()
		return ErrClosed
	}
	if pos.Compare(c.m.lac) > 0 {
		lac := c.m.lac
		c.unlockBoth()
		return fmt.Errorf("managedledger: mark-delete %v beyond last confirmed %v: %w", pos, lac, ErrNoSuchEntry)
	}
	crossed := c.markDeleteLocked(l, pos)
	c.unlockBoth()
	if crossed {
		c.m.scheduleTrim()
	}
	return nil
}

// markDeleteLocked moves md to pos (if forward), folds in the individually deleted
// ranges that now touch it, and reports whether md entered another ledger.
func (c *cursor) markDeleteLocked(l layout, pos Position) bool {
	c.active = time.Now()
	if pos.Compare(c.md) <= 0 {
		return false
	}
	before := c.md.LedgerID
	c.md = pos
	c.deleted.dropThrough(pos, l)
	c.advanceLocked(l)
	return c.durable && c.md.LedgerID != before
}

// advanceLocked folds touching deleted ranges into md and drops what md now covers.
func (c *cursor) advanceLocked(l layout) {
	for {
		r, ok := c.deleted.popTouching(c.md, l)
		if !ok {
			break
		}
		c.md = r.To
	}
	if len(c.batch) > 0 {
		for p := range c.batch {
			if p.Compare(c.md) <= 0 {
				delete(c.batch, p)
			}
		}
	}
	if c.readPos.Compare(c.md) <= 0 {
		c.readPos = Position{c.md.LedgerID, c.md.EntryID + 1}
	}
	c.markDirtyLocked()
}

func (c *cursor) delete(positions []Position) error {
	l := c.lockBoth()
	if c.closed {
		c.unlockBoth()
		return ErrClosed
	}
	lac := c.m.lac
	before := c.md.LedgerID
	var bad []Position
	first, _ := l.first()
	for _, p := range positions {
		if p.Compare(c.md) <= 0 || p.Compare(first) < 0 {
			continue // acknowledged already, or trimmed
		}
		if p.Compare(lac) > 0 || !l.exists(p) {
			bad = append(bad, p)
			continue
		}
		c.deleted.add(p, l)
		delete(c.batch, p)
	}
	c.active = time.Now()
	c.advanceLocked(l)
	crossed := c.durable && c.md.LedgerID != before
	c.unlockBoth()
	if crossed {
		c.m.scheduleTrim()
	}
	if len(bad) > 0 {
		return fmt.Errorf("managedledger: delete %v: %w", bad, ErrNoSuchEntry)
	}
	return nil
}

func (c *cursor) setBatchAckSet(pos Position, ackSet []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pos.Compare(c.md) <= 0 || c.deleted.contains(pos) {
		return
	}
	c.batch[pos] = slices.Clone(ackSet)
	c.active = time.Now()
	c.markDirtyLocked()
}

func (c *cursor) batchAckSet(pos Position) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batch[pos])
}

func (c *cursor) isAcked(pos Position) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return pos.Compare(c.md) <= 0 || c.deleted.contains(pos)
}

func (c *cursor) markDeleted() Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.md
}

func (c *cursor) backlog() int64 {
	l := c.lockBoth()
	defer c.unlockBoth()
	lac := c.m.lac
	return l.count(c.md, lac) - c.deleted.count(l, lac)
}

func (c *cursor) backlogBytes() int64 {
	l := c.lockBoth()
	defer c.unlockBoth()
	lac := c.m.lac
	n := l.bytes(c.md, lac)
	for _, r := range c.deleted.r {
		if r.From.Compare(lac) > 0 {
			break
		}
		n -= l.bytes(Position{r.From.LedgerID, r.From.EntryID - 1}, r.To)
	}
	return max(n, 0)
}

// skip acknowledges the next n unacknowledged entries: it finds the n-th one, counting
// the gaps between individually deleted ranges, and mark-deletes up to it.
func (c *cursor) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	l := c.lockBoth()
	if c.closed {
		c.unlockBoth()
		return ErrClosed
	}
	cur, left := c.md, n
	target, found := Position{}, false
	for _, r := range c.deleted.r {
		gap := l.count(cur, Position{r.From.LedgerID, r.From.EntryID - 1})
		if left <= gap {
			target, found = l.advance(cur, left)
			break
		}
		left -= gap
		cur = r.To
	}
	if !found {
		if target, found = l.advance(cur, left); !found {
			target = cur
		}
	}
	if target.Compare(c.m.lac) > 0 {
		target = c.m.lac
	}
	crossed := c.markDeleteLocked(l, target)
	c.unlockBoth()
	if crossed {
		c.m.scheduleTrim()
	}
	return nil
}

func (c *cursor) properties() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.props)
}

func (c *cursor) setProperties(ctx context.Context, props map[string]string) error {
	c.mu.Lock()
	c.props = maps.Clone(props)
	c.dirty = true
	c.mu.Unlock()
	return c.flush(ctx)
}

func (c *cursor) lastActive() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active
}
