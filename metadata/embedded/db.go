package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/cockroachdb/pebble"

	"github.com/magnetar/magnetar/metadata"
)

// db is the pebble database every session of one Open shares.
//
// Locking: operations hold lifeMu for reading while they touch pebble, and closing the
// database takes it for writing, so nothing uses pebble after it is closed. Writes also
// hold writeMu: each reads the records it depends on, checks versions, commits one
// synced batch and publishes its events before the next write starts, so watchers see
// changes in commit order. lifeMu is always taken before writeMu.
type db struct {
	pdb *pebble.DB

	lifeMu sync.RWMutex
	closed bool

	writeMu     sync.Mutex
	live        map[uint64]*Store // open sessions, guarded by writeMu
	nextSession uint64            // guarded by writeMu

	watchMu  sync.Mutex
	watchers map[*watcher]struct{}
}

func openDB(dir string) (*db, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metadata: create %s: %w", dir, err)
	}
	pdb, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{}})
	if err != nil {
		return nil, fmt.Errorf("metadata: open pebble at %s: %w", dir, err)
	}
	d := &db{pdb: pdb, live: map[uint64]*Store{}, watchers: map[*watcher]struct{}{}}
	n, err := d.removeEphemerals(0, true)
	if err != nil {
		_ = pdb.Close()
		return nil, fmt.Errorf("metadata: remove ephemeral keys of a previous process in %s: %w", dir, err)
	}
	if n > 0 {
		slog.Info("metadata: removed ephemeral keys left by a previous process", "dir", dir, "keys", n)
	}
	return d, nil
}

// enter admits an operation: it fails once the database is closed and otherwise holds
// lifeMu for reading until release is called.
func (d *db) enter() (release func(), err error) {
	d.lifeMu.RLock()
	if d.closed {
		d.lifeMu.RUnlock()
		return nil, fmt.Errorf("metadata: embedded store: %w", metadata.ErrClosed)
	}
	return d.lifeMu.RUnlock, nil
}

// read returns key's record; found is false if it does not exist.
func (d *db) read(key string) (rec record, found bool, err error) {
	b, closer, err := d.pdb.Get(dataKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, fmt.Errorf("read %s: %w", key, err)
	}
	defer closer.Close()
	rec, err = decodeRecord(b)
	if err != nil {
		return record{}, false, fmt.Errorf("read %s: %w", key, err)
	}
	return rec, true, nil
}

// hasChildren reports whether key has at least one direct child.
func (d *db) hasChildren(key string) (bool, error) {
	lower, upper := childrenBounds(key)
	it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return false, err
	}
	found := it.First()
	return found, it.Close()
}

// removeEphemerals deletes the keys a session owns (or every session's, if all) with
// their index entries, in one synced batch, and publishes the deletes. The caller holds
// lifeMu (or owns d exclusively, as Open does); it must not hold writeMu.
func (d *db) removeEphemerals(session uint64, all bool) (int, error) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	lower, upper := sessionBounds(session, all)
	it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	var events []metadata.Event
	for it.First(); it.Valid(); it.Next() {
		owner, key, err := parseEphemeralKey(it.Key())
		if err != nil {
			_ = it.Close()
			return 0, err
		}
		if err := b.Delete(it.Key(), nil); err != nil {
			_ = it.Close()
			return 0, err
		}
		rec, found, err := d.read(key)
		if err != nil {
			_ = it.Close()
			return 0, err
		}
		if !found || rec.session != owner {
			continue // deleted, or re-created by someone else: the entry is stale
		}
		if err := b.Delete(dataKey(key), nil); err != nil {
			_ = it.Close()
			return 0, err
		}
		events = append(events, metadata.Event{Type: metadata.EventDelete, Key: key})
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if b.Empty() {
		return 0, nil
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, err
	}
	d.publish(events)
	return len(events), nil
}

// newSession registers a session; on a closed database it returns a closed one.
func (d *db) newSession(root bool) *Store {
	s := newStore(d, root)
	release, err := d.enter()
	if err != nil {
		s.markClosed()
		return s
	}
	defer release()
	d.writeMu.Lock()
	d.nextSession++
	s.id = d.nextSession
	d.live[s.id] = s
	d.writeMu.Unlock()
	return s
}

// endSession removes a session's ephemeral keys; a closed database has none left.
func (d *db) endSession(id uint64) error {
	release, err := d.enter()
	if err != nil {
		return nil
	}
	defer release()
	d.writeMu.Lock()
	delete(d.live, id)
	d.writeMu.Unlock()
	if _, err := d.removeEphemerals(id, false); err != nil {
		return fmt.Errorf("metadata: remove ephemeral keys of session %d: %w", id, err)
	}
	return nil
}

// close ends every session still open, then closes pebble.
func (d *db) close() error {
	d.writeMu.Lock()
	var open []*Store
	for _, s := range d.live {
		open = append(open, s)
	}
	d.writeMu.Unlock()
	var errs []error
	for _, s := range open {
		errs = append(errs, s.closeSession())
	}
	d.lifeMu.Lock()
	defer d.lifeMu.Unlock()
	if d.closed {
		return errors.Join(errs...)
	}
	d.closed = true
	if err := d.pdb.Close(); err != nil {
		errs = append(errs, fmt.Errorf("metadata: close pebble: %w", err))
	}
	return errors.Join(errs...)
}

// pebbleLogger sends pebble's messages to slog; Fatalf keeps pebble's contract of not
// returning.
type pebbleLogger struct{}

func (pebbleLogger) Infof(format string, args ...any) {
	slog.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (pebbleLogger) Fatalf(format string, args ...any) {
	slog.Error("pebble: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}
