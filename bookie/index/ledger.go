package index

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/magnetar/magnetar/bookie/journal"
)

// LedgerMeta is what the bookie keeps about a ledger besides its entries.
type LedgerMeta struct {
	// MasterKey is the key of the ledger's first add (or fencing read); KeySet says one
	// was recorded (an empty key is a valid key).
	MasterKey []byte
	KeySet    bool
	Fenced    bool
	// ExplicitLAC is a last-add-confirmed written on its own (not piggybacked on an
	// add); -1 if none. The piggybacked LAC is kept apart (SetLAC) because flushes write
	// it while fencing and first adds write the rest.
	ExplicitLAC int64
}

const (
	metaVersion = 1
	flagKeySet  = 1 << 0
	flagFenced  = 1 << 1
)

func encodeMeta(m LedgerMeta) []byte {
	v := make([]byte, 0, 12+len(m.MasterKey))
	v = append(v, metaVersion)
	var flags byte
	if m.KeySet {
		flags |= flagKeySet
	}
	if m.Fenced {
		flags |= flagFenced
	}
	v = append(v, flags)
	v = binary.BigEndian.AppendUint64(v, uint64(m.ExplicitLAC))
	v = binary.BigEndian.AppendUint16(v, uint16(len(m.MasterKey)))
	return append(v, m.MasterKey...)
}

func decodeMeta(v []byte) (LedgerMeta, error) {
	if len(v) < 12 || v[0] != metaVersion {
		return LedgerMeta{}, fmt.Errorf("index: bad ledger metadata (%d bytes)", len(v))
	}
	n := int(binary.BigEndian.Uint16(v[10:]))
	if len(v) != 12+n {
		return LedgerMeta{}, fmt.Errorf("index: bad ledger metadata: key of %d bytes in %d", n, len(v))
	}
	return LedgerMeta{
		KeySet:      v[1]&flagKeySet != 0,
		Fenced:      v[1]&flagFenced != 0,
		ExplicitLAC: int64(binary.BigEndian.Uint64(v[2:])),
		MasterKey:   append([]byte(nil), v[12:]...),
	}, nil
}

// Ledger returns a ledger's metadata; false if the bookie does not know the ledger.
func (d *DB) Ledger(id int64) (LedgerMeta, bool, error) {
	v, ok, err := d.get(key1(tagLedger, uint64(id)))
	if err != nil || !ok {
		return LedgerMeta{}, false, err
	}
	m, err := decodeMeta(v)
	if err != nil {
		return LedgerMeta{}, false, fmt.Errorf("ledger %d: %w", id, err)
	}
	return m, true, nil
}

// PutLedger durably stores a ledger's metadata (synced: a master key or a fence must
// survive a crash before the request that set it is answered).
func (d *DB) PutLedger(id int64, m LedgerMeta) error {
	if err := d.pdb.Set(key1(tagLedger, uint64(id)), encodeMeta(m), pebble.Sync); err != nil {
		return fmt.Errorf("index: put ledger %d: %w", id, err)
	}
	return nil
}

// LAC returns the last-add-confirmed stored for a ledger by the last flush.
func (d *DB) LAC(id int64) (int64, bool, error) {
	v, ok, err := d.get(key1(tagLAC, uint64(id)))
	if err != nil || !ok {
		return -1, false, err
	}
	if len(v) != 8 {
		return -1, false, fmt.Errorf("index: bad lac of ledger %d", id)
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// Ledgers calls fn for every ledger the bookie holds, in id order.
func (d *DB) Ledgers(fn func(id int64, m LedgerMeta) error) error {
	return d.iterate([]byte{tagLedger}, func(k, v []byte) error {
		id := int64(binary.BigEndian.Uint64(k[1:]))
		m, err := decodeMeta(v)
		if err != nil {
			return fmt.Errorf("ledger %d: %w", id, err)
		}
		return fn(id, m)
	})
}

// DeleteLedger removes a ledger's entries from the index and its metadata, and leaves a
// tombstone at journal position `at` so that replaying older journal records does not
// bring it back. Its bytes in the entry logs become garbage for GC. Synced.
func (d *DB) DeleteLedger(id int64, at journal.Position) error {
	b := d.pdb.NewBatch()
	defer b.Close()
	lo := key2(tagEntry, uint64(id), 0)
	hi := key2(tagEntry, uint64(id)+1, 0)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return fmt.Errorf("index: delete ledger %d entries: %w", id, err)
	}
	if err := b.Delete(key1(tagLedger, uint64(id)), nil); err != nil {
		return fmt.Errorf("index: delete ledger %d: %w", id, err)
	}
	if err := b.Delete(key1(tagLAC, uint64(id)), nil); err != nil {
		return fmt.Errorf("index: delete ledger %d lac: %w", id, err)
	}
	if err := b.Set(key1(tagTombstone, uint64(id)), encodePosition(at), nil); err != nil {
		return fmt.Errorf("index: tombstone ledger %d: %w", id, err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("index: delete ledger %d: %w", id, err)
	}
	return nil
}

// Deleted reports whether the ledger was deleted here. Tombstones are kept for good:
// ledger ids are never reused, and a stale writer's late add must not bring a deleted
// ledger back.
func (d *DB) Deleted(id int64) (bool, error) {
	_, ok, err := d.get(key1(tagTombstone, uint64(id)))
	return ok, err
}
