package bookie

import (
	"slices"
	"sync"
	"sync/atomic"
)

// writeCache holds added entries until a flush writes them to an entry log. It is two
// sets: adds go to the active one; a flush swaps it out and writes it while reads still
// see it. When the active set is full and a flush is still writing the other, adds wait
// (backpressure on the journal's producers).
type writeCache struct {
	limit int64 // bytes per set
	kick  chan struct{}

	mu       sync.Mutex
	space    *sync.Cond // broadcast when a set is swapped out or flushed
	active   *cacheSet
	flushing *cacheSet // nil when no flush runs
}

// cacheSet is the entries of one flush, per ledger.
type cacheSet struct {
	ledgers map[int64]*cachedLedger
	bytes   int64
	gen     uint64 // which swap took it out
}

type cachedLedger struct {
	entries map[int64]entryParts
}

// entryParts is an entry as an add brought it: an optional header (the ledger client's
// frame header), then the data, both kept by reference, and the data's CRC-32C.
type entryParts struct {
	hdr, data []byte
	crc       uint32
}

func (e entryParts) len() int { return len(e.hdr) + len(e.data) }

// bytes returns the entry in one slice, copying only if it has a header.
func (e entryParts) bytes() []byte {
	if len(e.hdr) == 0 {
		return e.data
	}
	b := make([]byte, 0, e.len())
	return append(append(b, e.hdr...), e.data...)
}

// cost is what an entry counts against the cache's limit.
func (e entryParts) cost() int64 { return int64(e.len()) + 64 }

func newCacheSet() *cacheSet { return &cacheSet{ledgers: map[int64]*cachedLedger{}} }

func newWriteCache(limit int64) *writeCache {
	c := &writeCache{limit: limit, kick: make(chan struct{}, 1), active: newCacheSet()}
	c.space = sync.NewCond(&c.mu)
	return c
}

// put adds an entry, waiting while the cache is full. ok is false if closed was set
// while waiting.
func (c *writeCache) put(ledgerID, entryID int64, e entryParts, closed func() bool) bool {
	n := e.cost()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.active.bytes > 0 && c.active.bytes+n > c.limit {
		if closed() {
			return false
		}
		c.requestFlush()
		c.space.Wait()
	}
	c.active.put(ledgerID, entryID, e, n)
	if c.active.bytes >= c.limit/2 {
		c.requestFlush()
	}
	return true
}

func (s *cacheSet) put(ledgerID, entryID int64, e entryParts, n int64) {
	l := s.ledgers[ledgerID]
	if l == nil {
		l = &cachedLedger{entries: map[int64]entryParts{}}
		s.ledgers[ledgerID] = l
	}
	if old, ok := l.entries[entryID]; ok {
		s.bytes -= old.cost()
	}
	l.entries[entryID] = e
	s.bytes += n
}

// putNoWait adds an entry without waiting for space (replay, which flushes itself) and
// reports whether the active set is now full.
func (c *writeCache) putNoWait(ledgerID, entryID int64, e entryParts) (full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active.put(ledgerID, entryID, e, e.cost())
	return c.active.bytes >= c.limit/2
}

// requestFlush wakes the flusher; c.mu may be held.
func (c *writeCache) requestFlush() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// get returns a cached entry (joined into one slice outside the lock if it has a header).
func (c *writeCache) get(ledgerID, entryID int64) ([]byte, bool) {
	c.mu.Lock()
	e, ok := c.lookupLocked(ledgerID, entryID)
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return e.bytes(), true
}

func (c *writeCache) lookupLocked(ledgerID, entryID int64) (entryParts, bool) {
	for _, s := range [2]*cacheSet{c.active, c.flushing} {
		if s == nil {
			continue
		}
		if l := s.ledgers[ledgerID]; l != nil {
			if e, ok := l.entries[entryID]; ok {
				return e, true
			}
		}
	}
	return entryParts{}, false
}

// swap hands the active set to a flush and starts a new one; it returns nil if the
// active set is empty. Only one flush runs at a time (the caller serializes).
func (c *writeCache) swap(gen *atomic.Uint64, onSwap func()) *cacheSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.active.ledgers) == 0 {
		return nil
	}
	s := c.active
	s.gen = gen.Add(1)
	c.flushing = s
	c.active = newCacheSet()
	onSwap()
	c.space.Broadcast()
	return s
}

// flushed drops the set a flush has made durable.
func (c *writeCache) flushed() {
	c.mu.Lock()
	c.flushing = nil
	c.space.Broadcast()
	c.mu.Unlock()
}

// dropLedger removes a deleted ledger's entries from the active set. The set being
// flushed is not touched (the flush reads it without the lock); the flush leaves the
// ledger out when it commits, and reads check that the ledger exists first.
func (c *writeCache) dropLedger(ledgerID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.active.ledgers[ledgerID]; l != nil {
		for _, e := range l.entries {
			c.active.bytes -= e.cost()
		}
		delete(c.active.ledgers, ledgerID)
	}
	c.space.Broadcast()
}

// wakeAll releases adds waiting for space (on close).
func (c *writeCache) wakeAll() {
	c.mu.Lock()
	c.space.Broadcast()
	c.mu.Unlock()
}

// sortedLedgers returns a set's ledger ids in order (entries of a ledger end up together
// in the entry log, in entry order, so catch-up reads are sequential).
func (s *cacheSet) sortedLedgers() []int64 {
	ids := make([]int64, 0, len(s.ledgers))
	for id := range s.ledgers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (l *cachedLedger) sortedEntries() []int64 {
	ids := make([]int64, 0, len(l.entries))
	for id := range l.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// restore puts back a set whose flush failed; newer entries of the active set win.
func (c *writeCache) restore(s *cacheSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for lid, l := range s.ledgers {
		for eid, e := range l.entries {
			if a := c.active.ledgers[lid]; a != nil {
				if _, ok := a.entries[eid]; ok {
					continue
				}
			}
			c.active.put(lid, eid, e, e.cost())
		}
	}
	c.flushing = nil
	c.space.Broadcast()
}

// size is the bytes held, in the active set and the one being flushed.
func (c *writeCache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.active.bytes
	if c.flushing != nil {
		n += c.flushing.bytes
	}
	return n
}
