package managedledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// A durable cursor's state is written to the metadata store (by CAS on the version it
// last wrote) at most MarkDeleteRate times per second after acknowledgements, and at once
// by Flush, Reset, SetProperties and Close. After a crash the cursor comes back as last
// written: entries acknowledged after that are delivered again, none is skipped.

const flushTimeout = 10 * time.Second

// markDirtyLocked records a change and schedules a write within the rate limit.
func (c *cursor) markDirtyLocked() {
	c.dirty = true
	if !c.durable || c.closed || c.flushScheduled {
		return
	}
	c.flushScheduled = true
	wait := time.Until(c.lastPersist.Add(time.Duration(c.m.persistEvery.Load())))
	time.AfterFunc(max(wait, 0), c.timedFlush)
}

func (c *cursor) timedFlush() {
	c.mu.Lock()
	c.flushScheduled = false
	skip := c.closed || !c.dirty
	c.mu.Unlock()
	if skip {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := c.persist(ctx); err != nil {
		c.m.log.Warn("persist cursor", "cursor", c.name, "err", err)
		if !errors.Is(err, ErrFenced) {
			c.mu.Lock()
			c.markDirtyLocked()
			c.mu.Unlock()
		}
	}
}

func (c *cursor) flush(ctx context.Context) error {
	if !c.durable {
		return nil
	}
	c.mu.Lock()
	dirty, closed := c.dirty, c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !dirty {
		return nil
	}
	return c.persist(ctx)
}

// closeCursor writes pending state and stops further writes (the managed ledger closes).
func (c *cursor) closeCursor(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	dirty := c.dirty && c.durable
	c.mu.Unlock()
	var err error
	if dirty {
		err = c.persist(ctx)
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return err
}

// persist writes the current state.
func (c *cursor) persist(ctx context.Context) error {
	c.persistMu.Lock()
	defer c.persistMu.Unlock()
	c.mu.Lock()
	info := c.infoLocked()
	c.dirty = false
	c.lastPersist = time.Now()
	c.mu.Unlock()

	b, err := json.Marshal(info)
	if err == nil {
		err = c.put(ctx, b)
	}
	if err == nil {
		return nil
	}
	c.mu.Lock()
	c.dirty = true
	c.mu.Unlock()
	return fmt.Errorf("managedledger: persist cursor %q of %s: %w", c.name, c.m.name, err)
}

// put writes b by CAS on the version this cursor last wrote. If that version is stale
// but this process still owns the managed ledger (its metadata is at the version this
// process wrote: every owner writes it when opening), the cursor was written by a
// previous owner that had not noticed it was replaced, and put takes over the node.
// Otherwise this process is the stale owner: ErrFenced.
func (c *cursor) put(ctx context.Context, b []byte) error {
	store := c.m.f.store
	st, err := store.Put(ctx, c.key, b, c.version)
	if err == nil {
		c.version = st.Version
		return nil
	}
	if !errors.Is(err, metadata.ErrBadVersion) || c.version == metadata.NotExists {
		return err
	}
	c.m.metaMu.Lock() // no metadata write of ours in flight while comparing versions
	_, mlStat, err := store.Get(ctx, c.m.key)
	owner := err == nil && mlStat.Version == c.m.infoVersion
	c.m.metaMu.Unlock()
	if err != nil {
		return err
	}
	if !owner {
		return ErrFenced
	}
	_, cst, err := store.Get(ctx, c.key)
	if err != nil {
		return err
	}
	if st, err = store.Put(ctx, c.key, b, cst.Version); err != nil {
		return err
	}
	c.version = st.Version
	return nil
}

func (c *cursor) infoLocked() cursorInfo {
	ci := cursorInfo{
		MarkDelete:   toJSONPos(c.md),
		Properties:   maps.Clone(c.props),
		LastActiveMs: c.active.UnixMilli(),
	}
	for i, r := range c.deleted.r {
		if i == maxPersistedRanges {
			break
		}
		ci.IndividuallyDeleted = append(ci.IndividuallyDeleted, [2]posJSON{toJSONPos(r.From), toJSONPos(r.To)})
	}
	if len(c.batch) > 0 {
		ci.BatchAckSets = make(map[string][]int64, len(c.batch))
		for p, s := range c.batch {
			ci.BatchAckSets[batchKey(p)] = s
		}
	}
	return ci
}
