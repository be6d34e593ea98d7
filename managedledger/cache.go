package managedledger

import (
	"sort"
	"sync"
	"sync/atomic"
)

// entryCache holds recently added entries of every managed ledger of a Factory, so that
// tailing cursors read them without a trip to the bookies. It stores the producer's bytes
// as given (no copy). Entries leave it when every cursor of their ledger has read past
// them, when their ledger is trimmed or closed, or, oldest first, when the cache is over
// its size bound.
//
// Catch-up reads (misses) are not inserted: they would push out the tail that many
// cursors share for data that typically one cursor reads once.
type entryCache struct {
	mu      sync.Mutex
	max     int64 // <= 0: caching disabled
	size    int64
	seq     uint64
	nonZero map[*mlCache]struct{} // caches holding at least one entry

	hits, misses, evicted atomic.Int64
}

// mlCache is one managed ledger's part of the cache: entries in position order.
type mlCache struct {
	c       *entryCache
	entries []cachedEntry
	head    int // entries[:head] are removed
}

type cachedEntry struct {
	pos  Position
	data []byte
	seq  uint64 // insertion order across the whole cache
}

// CacheStats describes the shared entry cache.
type CacheStats struct {
	SizeBytes, Entries, MaxBytes int64
	Hits, Misses, Evicted        int64
}

func newEntryCache(max int64) *entryCache {
	return &entryCache{max: max, nonZero: map[*mlCache]struct{}{}}
}

func (c *entryCache) forLedger() *mlCache { return &mlCache{c: c} }

func (c *entryCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for m := range c.nonZero {
		n += int64(len(m.entries) - m.head)
	}
	return CacheStats{SizeBytes: c.size, Entries: n, MaxBytes: c.max,
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evicted: c.evicted.Load()}
}

// put adds an entry; positions of one managed ledger arrive in increasing order.
func (m *mlCache) put(p Position, data []byte) {
	c := m.c
	sz := int64(len(data))
	if c.max <= 0 || sz > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(m.entries); n > m.head && m.entries[n-1].pos.Compare(p) >= 0 {
		return
	}
	c.seq++
	m.entries = append(m.entries, cachedEntry{p, data, c.seq})
	c.nonZero[m] = struct{}{}
	c.size += sz
	if c.size > c.max {
		c.shrinkLocked(c.max - c.max/10)
	}
}

// get returns the cached entry at p. Callers count hits and misses.
func (m *mlCache) get(p Position) ([]byte, bool) {
	c := m.c
	c.mu.Lock()
	live := m.entries[m.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].pos.Compare(p) >= 0 })
	var data []byte
	ok := i < len(live) && live[i].pos == p
	if ok {
		data = live[i].data
	}
	c.mu.Unlock()
	return data, ok
}

// evictBefore removes the entries before p.
func (m *mlCache) evictBefore(p Position) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for m.head < len(m.entries) && m.entries[m.head].pos.Compare(p) < 0 {
		m.popLocked()
	}
}

// evictLedgers removes the entries of the given ledgers (trimmed).
func (m *mlCache) evictLedgers(ids map[int64]bool) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := m.entries[:0]
	for _, e := range m.entries[m.head:] {
		if ids[e.pos.LedgerID] {
			c.size -= int64(len(e.data))
			continue
		}
		kept = append(kept, e)
	}
	clear(m.entries[len(kept):])
	m.entries, m.head = kept, 0
	if len(kept) == 0 {
		delete(c.nonZero, m)
	}
}

// clear removes every entry of the managed ledger.
func (m *mlCache) clear() {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for m.head < len(m.entries) {
		m.popLocked()
	}
}

func (m *mlCache) popLocked() {
	c := m.c
	e := &m.entries[m.head]
	c.size -= int64(len(e.data))
	*e = cachedEntry{}
	m.head++
	if m.head == len(m.entries) {
		m.entries, m.head = m.entries[:0], 0
		delete(c.nonZero, m)
	} else if m.head > 1024 && m.head > len(m.entries)/2 {
		n := copy(m.entries, m.entries[m.head:])
		clear(m.entries[n:])
		m.entries, m.head = m.entries[:n], 0
	}
}

// shrinkLocked evicts the oldest entries across all managed ledgers until the cache
// holds at most target bytes.
func (c *entryCache) shrinkLocked(target int64) {
	for c.size > target {
		var oldest *mlCache
		for m := range c.nonZero {
			if oldest == nil || m.entries[m.head].seq < oldest.entries[oldest.head].seq {
				oldest = m
			}
		}
		if oldest == nil {
			return
		}
		// Evict a run from the oldest ledger's cache without rescanning per entry.
		for n := 0; n < 256 && c.size > target && oldest.head < len(oldest.entries); n++ {
			oldest.popLocked()
			c.evicted.Add(1)
		}
	}
}
