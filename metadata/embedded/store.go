// Package embedded is the metadata store of a standalone Magnetar: one pebble database
// on local disk, every write fsynced before it is acknowledged. Sessions are views of the
// database with their own ephemeral keys; since a crash ends every session at once, Open
// deletes the ephemeral keys a previous process left behind. Watches are fanned out in
// process.
package embedded

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/magnetar/magnetar/metadata"
)

// Store is one session of an embedded database. The Store returned by Open owns the
// database: closing it ends every session and closes the database.
type Store struct {
	d    *db
	id   uint64
	root bool

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	events    chan metadata.SessionEvent
	// ctx is cancelled when the session closes, which ends its watches.
	ctx    context.Context
	cancel context.CancelFunc
}

var _ metadata.Store = (*Store)(nil)

// Open opens (or creates) the database in dir and returns its first session.
func Open(dir string) (*Store, error) {
	d, err := openDB(dir)
	if err != nil {
		return nil, err
	}
	return d.newSession(true), nil
}

func newStore(d *db, root bool) *Store {
	ctx, cancel := context.WithCancel(context.Background())
	return &Store{d: d, root: root, events: make(chan metadata.SessionEvent), ctx: ctx, cancel: cancel}
}

// NewSession returns another session on the same database: its own ephemeral keys, its
// own Close. Components of one standalone process each take one.
func (s *Store) NewSession() metadata.Store {
	return s.d.newSession(false)
}

// SessionEvents never reports anything for an embedded store (a session ends only with
// Close); the channel is closed by Close.
func (s *Store) SessionEvents() <-chan metadata.SessionEvent { return s.events }

// Close ends the session, deleting its ephemeral keys. Closing the Store returned by Open
// also ends every other session and closes the database. Close is idempotent.
func (s *Store) Close() error {
	err := s.closeSession()
	if s.root {
		if derr := s.d.close(); derr != nil {
			return derr
		}
	}
	return err
}

func (s *Store) closeSession() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.cancel()
		s.closeErr = s.d.endSession(s.id)
		close(s.events)
	})
	return s.closeErr
}

// markClosed makes a session that never opened behave as closed.
func (s *Store) markClosed() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.cancel()
		close(s.events)
	})
}

// enter admits an operation of this session.
func (s *Store) enter(ctx context.Context) (release func(), err error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("metadata: embedded session %d: %w", s.id, metadata.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.d.enter()
}
