package bookie

import (
	"container/list"
	"sync"
)

// readCache keeps recently read entries from the entry logs (least recently used go
// first), so that several consumers catching up on the same ledger read the disk once.
type readCache struct {
	limit int64

	mu    sync.Mutex
	bytes int64
	lru   *list.List // of *readCacheItem, most recent at the front
	items map[entryKey]*list.Element
}

type entryKey struct{ ledgerID, entryID int64 }

type readCacheItem struct {
	key  entryKey
	data []byte
}

func newReadCache(limit int64) *readCache {
	return &readCache{limit: limit, lru: list.New(), items: map[entryKey]*list.Element{}}
}

func (c *readCache) get(ledgerID, entryID int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[entryKey{ledgerID, entryID}]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*readCacheItem).data, true
}

func (c *readCache) put(ledgerID, entryID int64, data []byte) {
	n := int64(len(data))
	if n > c.limit/4 {
		return // one huge entry would flush everything else
	}
	k := entryKey{ledgerID, entryID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.lru.PushFront(&readCacheItem{key: k, data: data})
	c.bytes += n
	for c.bytes > c.limit {
		el := c.lru.Back()
		it := el.Value.(*readCacheItem)
		c.lru.Remove(el)
		delete(c.items, it.key)
		c.bytes -= int64(len(it.data))
	}
}

// dropLedger forgets a deleted ledger's entries.
func (c *readCache) dropLedger(ledgerID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if it := el.Value.(*readCacheItem); it.key.ledgerID == ledgerID {
			c.lru.Remove(el)
			delete(c.items, it.key)
			c.bytes -= int64(len(it.data))
		}
		el = next
	}
}

func (c *readCache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
