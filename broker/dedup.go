package broker

import (
	"context"
	"strconv"
	"sync"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/wire"
)

// dedupCursor is the system cursor that holds a topic's deduplication snapshot: its
// properties map producer names to the highest sequence id stored at or before its
// mark-delete position; entries after it are replayed on load.
const dedupCursor = "pulsar.dedup"

// dedupSnapshotEvery is how many entries pass between snapshots (Pulsar's
// brokerDeduplicationEntriesInterval).
const dedupSnapshotEvery = 1000

func isSystemCursor(name string) bool { return name == dedupCursor }

// dedupState implements message deduplication by producer name and sequence id: a
// message whose sequence id is not above the highest one seen from that producer is
// acknowledged without being stored again.
type dedupState struct {
	mu        sync.Mutex
	pushed    map[string]int64 // highest sequence id accepted (stored or in flight)
	stored    map[string]int64 // highest sequence id stored
	cursor    *managedledger.Cursor
	sinceSnap int

	snapMu   sync.Mutex // serialises snapshots so they never move backwards
	lastSnap managedledger.Position
}

func newDedupState() *dedupState {
	return &dedupState{pushed: map[string]int64{}, stored: map[string]int64{}}
}

// recover loads the snapshot and replays the entries stored after it.
func (d *dedupState) recover(ctx context.Context, t *topic) error {
	c, err := t.ml.OpenCursor(ctx, dedupCursor, managedledger.Earliest)
	if err != nil {
		return err
	}
	d.cursor = c
	for name, v := range c.Properties() {
		if seq, err := strconv.ParseInt(v, 10, 64); err == nil {
			d.stored[name] = seq
		}
	}
	for {
		entries, err := c.Read(ctx, 100, 8<<20)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			m, err := wire.ScanMetadata(e.Data)
			if err != nil {
				continue
			}
			seq := int64(max(m.SequenceID, m.HighestSequenceID))
			if name := string(m.ProducerName); seq > d.stored[name] || !d.has(name) {
				d.stored[name] = seq
			}
		}
	}
	for k, v := range d.stored {
		d.pushed[k] = v
	}
	return nil
}

func (d *dedupState) has(name string) bool {
	_, ok := d.stored[name]
	return ok
}

// isDuplicate reports whether seq was already accepted from producer name; if not it
// records highest as accepted.
func (d *dedupState) isDuplicate(name string, seq, highest int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if last, ok := d.pushed[name]; ok && seq <= last {
		return true
	}
	d.pushed[name] = highest
	return false
}

// persisted records that seq of producer name is stored at pos, snapshotting now and then.
func (d *dedupState) persisted(t *topic, name string, seq int64, pos managedledger.Position) {
	d.mu.Lock()
	if seq > d.stored[name] || !d.has(name) {
		d.stored[name] = seq
	}
	d.sinceSnap++
	snap := d.sinceSnap >= dedupSnapshotEvery
	var props map[string]string
	if snap {
		d.sinceSnap = 0
		props = d.propsLocked()
	}
	d.mu.Unlock()
	if snap && d.cursor != nil {
		go func() {
			d.snapMu.Lock()
			defer d.snapMu.Unlock()
			if pos.Compare(d.lastSnap) <= 0 {
				return
			}
			d.lastSnap = pos
			ctx, cancel := t.b.requestContext()
			defer cancel()
			if err := d.cursor.SetProperties(ctx, props); err != nil {
				t.log.Warn("deduplication snapshot", "err", err)
				return
			}
			_ = d.cursor.MarkDelete(pos)
		}()
	}
}

// flush writes a final snapshot at the last stored entry (topic close).
func (d *dedupState) flush(ctx context.Context, t *topic) {
	if d.cursor == nil {
		return
	}
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	d.mu.Lock()
	props := d.propsLocked()
	d.mu.Unlock()
	if err := d.cursor.SetProperties(ctx, props); err != nil {
		t.log.Warn("deduplication snapshot", "err", err)
		return
	}
	if last := t.ml.LastConfirmed(); last.EntryID >= 0 {
		_ = d.cursor.MarkDelete(last)
	}
}

func (d *dedupState) propsLocked() map[string]string {
	props := make(map[string]string, len(d.stored))
	for k, v := range d.stored {
		props[k] = strconv.FormatInt(v, 10)
	}
	return props
}

// lastPersisted is the highest stored sequence id of a producer, -1 if none.
func (d *dedupState) lastPersisted(name string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.stored[name]; ok {
		return v
	}
	return -1
}
