// Package index is the bookie's pebble database: where each entry is in the entry logs,
// each ledger's metadata (master key, fenced flag, last-add-confirmed), which ledgers
// each entry log holds (for garbage collection), tombstones of deleted ledgers, and the
// journal checkpoint.
//
// Keys (ids big-endian, so a ledger's entries are adjacent and ordered):
//
//	'e' ledgerID entryID -> logID u64, offset u64, size u32
//	'l' ledgerID         -> ledger metadata
//	'a' ledgerID         -> last-add-confirmed (written by flushes)
//	'u' logID ledgerID   -> bytes of the ledger in the log
//	'd' ledgerID         -> journal position when it was deleted (kept for good)
//	'c'                  -> journal checkpoint
//
// Writes that must survive a crash (ledger metadata, deletions, flush batches) are
// synced.
package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/cockroachdb/pebble"

	"github.com/magnetar/magnetar/bookie/entrylog"
	"github.com/magnetar/magnetar/bookie/journal"
)

const (
	tagEntry      = 'e'
	tagLedger     = 'l'
	tagLAC        = 'a'
	tagUsage      = 'u'
	tagTombstone  = 'd'
	tagCheckpoint = 'c'
)

// DB is the index.
type DB struct {
	pdb *pebble.DB
}

// Open opens (or creates) the index in dir.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("index: create %s: %w", dir, err)
	}
	pdb, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{}})
	if err != nil {
		return nil, fmt.Errorf("index: open pebble at %s: %w", dir, err)
	}
	return &DB{pdb: pdb}, nil
}

// Close closes the database.
func (d *DB) Close() error {
	if err := d.pdb.Close(); err != nil {
		return fmt.Errorf("index: close: %w", err)
	}
	return nil
}

func key1(tag byte, a uint64) []byte {
	k := make([]byte, 9)
	k[0] = tag
	binary.BigEndian.PutUint64(k[1:], a)
	return k
}

func key2(tag byte, a, b uint64) []byte {
	k := make([]byte, 17)
	k[0] = tag
	binary.BigEndian.PutUint64(k[1:], a)
	binary.BigEndian.PutUint64(k[9:], b)
	return k
}

// get returns a copy of key's value, or nil, false.
func (d *DB) get(key []byte) ([]byte, bool, error) {
	v, closer, err := d.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("index: get: %w", err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, true, nil
}

// Location returns where an entry is stored.
func (d *DB) Location(ledgerID, entryID int64) (entrylog.Location, bool, error) {
	v, ok, err := d.get(key2(tagEntry, uint64(ledgerID), uint64(entryID)))
	if err != nil || !ok {
		return entrylog.Location{}, ok, err
	}
	loc, err := decodeLocation(v)
	return loc, err == nil, err
}

func encodeLocation(loc entrylog.Location) []byte {
	v := make([]byte, 20)
	binary.BigEndian.PutUint64(v, loc.LogID)
	binary.BigEndian.PutUint64(v[8:], uint64(loc.Offset))
	binary.BigEndian.PutUint32(v[16:], loc.Size)
	return v
}

func decodeLocation(v []byte) (entrylog.Location, error) {
	if len(v) != 20 {
		return entrylog.Location{}, fmt.Errorf("index: bad location value of %d bytes", len(v))
	}
	return entrylog.Location{
		LogID:  binary.BigEndian.Uint64(v),
		Offset: int64(binary.BigEndian.Uint64(v[8:])),
		Size:   binary.BigEndian.Uint32(v[16:]),
	}, nil
}

// Checkpoint returns the journal position replay starts from (zero if none yet).
func (d *DB) Checkpoint() (journal.Position, error) {
	v, ok, err := d.get([]byte{tagCheckpoint})
	if err != nil || !ok {
		return journal.Position{}, err
	}
	return decodePosition(v)
}

func encodePosition(p journal.Position) []byte {
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v, p.Segment)
	binary.BigEndian.PutUint64(v[8:], uint64(p.Offset))
	return v
}

func decodePosition(v []byte) (journal.Position, error) {
	if len(v) != 16 {
		return journal.Position{}, fmt.Errorf("index: bad position value of %d bytes", len(v))
	}
	return journal.Position{Segment: binary.BigEndian.Uint64(v), Offset: int64(binary.BigEndian.Uint64(v[8:]))}, nil
}

// iterate calls fn for each key with the given prefix (key and value valid during the call).
func (d *DB) iterate(prefix []byte, fn func(k, v []byte) error) error {
	upper := append([]byte(nil), prefix...)
	for i := len(upper) - 1; i >= 0; i-- { // the smallest key after every key with prefix
		upper[i]++
		if upper[i] != 0 {
			upper = upper[:i+1]
			break
		}
	}
	it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("index: iterate: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("index: iterate: %w", err)
	}
	return nil
}

// pebbleLogger sends pebble's messages to slog.
type pebbleLogger struct{}

func (pebbleLogger) Infof(format string, args ...any) {
	slog.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (pebbleLogger) Fatalf(format string, args ...any) {
	slog.Error("pebble: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}
