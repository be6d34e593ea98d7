package index

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/journal"
)

// Batch collects the index updates of one flush or compaction; Commit applies them
// atomically and durably.
type Batch struct {
	d *DB
	b *pebble.Batch
}

// NewBatch starts a batch.
func (d *DB) NewBatch() *Batch { return &Batch{d: d, b: d.pdb.NewBatch()} }

// SetLocation records where an entry is.
func (b *Batch) SetLocation(ledgerID, entryID int64, loc entrylog.Location) error {
	return b.b.Set(key2(tagEntry, uint64(ledgerID), uint64(entryID)), encodeLocation(loc), nil)
}

// SetLedger stores a ledger's metadata.
func (b *Batch) SetLedger(id int64, m LedgerMeta) error {
	return b.b.Set(key1(tagLedger, uint64(id)), encodeMeta(m), nil)
}

// SetLAC stores a ledger's last-add-confirmed.
func (b *Batch) SetLAC(id int64, lac int64) error {
	return b.b.Set(key1(tagLAC, uint64(id)), binary.BigEndian.AppendUint64(nil, uint64(lac)), nil)
}

// SetUsage records how many bytes of a ledger a log holds.
func (b *Batch) SetUsage(logID uint64, ledgerID int64, bytes int64) error {
	return b.b.Set(key2(tagUsage, logID, uint64(ledgerID)), binary.BigEndian.AppendUint64(nil, uint64(bytes)), nil)
}

// DeleteUsage forgets a log's usage records (when the log is removed).
func (b *Batch) DeleteUsage(logID uint64) error {
	return b.b.DeleteRange(key2(tagUsage, logID, 0), key2(tagUsage, logID+1, 0), nil)
}

// SetCheckpoint records the journal position replay will start from.
func (b *Batch) SetCheckpoint(p journal.Position) error {
	return b.b.Set([]byte{tagCheckpoint}, encodePosition(p), nil)
}

// Commit applies the batch durably.
func (b *Batch) Commit() error {
	defer b.b.Close()
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("index: commit batch: %w", err)
	}
	return nil
}

// Discard drops an uncommitted batch.
func (b *Batch) Discard() { b.b.Close() }

// Usage returns, for every log with usage records, the bytes each ledger holds in it.
func (d *DB) Usage() (map[uint64]map[int64]int64, error) {
	out := map[uint64]map[int64]int64{}
	err := d.iterate([]byte{tagUsage}, func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("index: bad usage value of %d bytes", len(v))
		}
		logID := binary.BigEndian.Uint64(k[1:])
		m := out[logID]
		if m == nil {
			m = map[int64]int64{}
			out[logID] = m
		}
		m[int64(binary.BigEndian.Uint64(k[9:]))] = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	return out, err
}
