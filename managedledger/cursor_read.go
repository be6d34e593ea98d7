package managedledger

import (
	"context"
	"time"
)

// read: see Cursor.Read. max <= 0 reads nothing; maxBytes <= 0 means no byte limit.
// It plans the positions to read under the locks (skipping acknowledged entries), reads
// them without locks (cache first), then moves the read position past what it returns,
// unless a Seek, Rewind or Reset moved it meanwhile.
func (c *cursor) read(ctx context.Context, max int, maxBytes int64) ([]Entry, error) {
	if max <= 0 {
		return nil, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()

	l := c.lockBoth()
	if c.closed || c.m.state == stateClosed || c.m.state == stateDeleted {
		c.unlockBoth()
		return nil, ErrClosed
	}
	plan, after := c.planLocked(l, max)
	epoch := c.epoch
	c.active = time.Now()
	c.unlockBoth()

	entries, err := c.m.readPositions(ctx, plan, maxBytes)

	c.mu.Lock()
	if c.epoch == epoch {
		switch {
		case len(entries) == len(plan):
			c.readPos = after
		case len(entries) > 0:
			last := entries[len(entries)-1].Pos
			c.readPos = Position{last.LedgerID, last.EntryID + 1}
		}
	}
	c.mu.Unlock()
	c.m.evictConsumed()
	if len(entries) > 0 {
		return entries, nil
	}
	return nil, err
}

// planLocked lists up to max unacknowledged stored positions from the read position and
// returns the slot after the last one it looked at.
func (c *cursor) planLocked(l layout, max int) ([]Position, Position) {
	p := c.readStartLocked(l)
	end := l.end()
	var out []Position
	for len(out) < max && p.Compare(end) < 0 {
		if r, ok := c.deleted.containing(p); ok {
			p = l.succ(r.To)
			continue
		}
		out = append(out, p)
		p = l.succ(p)
	}
	return out, p
}

func (c *cursor) hasMore() bool {
	l := c.lockBoth()
	defer c.unlockBoth()
	plan, _ := c.planLocked(l, 1)
	return len(plan) > 0
}

// readPositions reads the planned positions, run by run (consecutive entries of one
// ledger), stopping once maxBytes is reached; it returns at least one entry unless the
// first read fails.
func (m *managedLedger) readPositions(ctx context.Context, plan []Position, maxBytes int64) ([]Entry, error) {
	var out []Entry
	var size int64
	for i := 0; i < len(plan); {
		j := i + 1
		for j < len(plan) && j-i < readChunk && plan[j].LedgerID == plan[i].LedgerID && plan[j].EntryID == plan[j-1].EntryID+1 {
			j++
		}
		es, err := m.readRange(ctx, plan[i].LedgerID, plan[i].EntryID, plan[j-1].EntryID)
		for _, e := range es {
			if maxBytes > 0 && len(out) > 0 && size+int64(len(e.Data)) > maxBytes {
				return out, nil
			}
			out = append(out, e)
			size += int64(len(e.Data))
		}
		if err != nil {
			return out, err
		}
		i = j
	}
	return out, nil
}

// evictConsumed drops cached entries that every cursor has read past (all of them when
// there is no cursor).
func (m *managedLedger) evictConsumed() {
	cs := m.allCursors()
	m.mu.Lock()
	l := m.ledgers
	slowest := l.end()
	m.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		if !c.closed {
			m.mu.Lock()
			p := c.readStartLocked(m.ledgers)
			m.mu.Unlock()
			if p.Compare(slowest) < 0 {
				slowest = p
			}
		}
		c.mu.Unlock()
	}
	m.cache.evictBefore(slowest)
}
