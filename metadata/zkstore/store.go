// Package zkstore keeps Magnetar's metadata in ZooKeeper, laid out as Pulsar lays it
// out: one znode per key, parents as empty persistent znodes. Our version is the znode's
// data version + 1; ephemeral keys are ephemeral znodes of this store's ZooKeeper
// session, which the server deletes when the session ends (Close, or the holder gone for
// longer than the session timeout).
package zkstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/magnetar/magnetar/metadata"
)

// Options configures a Store; zero values take the documented defaults.
type Options struct {
	// Chroot is prepended to every key, as a ZooKeeper connect string's chroot suffix
	// does ("/pulsar-east"); it is created if missing. Default: none.
	Chroot string
	// SessionTimeout is how long the server keeps the session (and its ephemeral keys)
	// after losing the client. The server bounds it (by default to 2..20 ticks).
	// Default 10s.
	SessionTimeout time.Duration
	// ConnectTimeout bounds Open's wait for the first session. Default 5s.
	ConnectTimeout time.Duration
}

func (o *Options) ensureDefaults() error {
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 10 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Chroot != "" {
		if err := metadata.ValidateKey(o.Chroot); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
	}
	return nil
}

var acl = zk.WorldACL(zk.PermAll)

// Store is a metadata.Store on one ZooKeeper session.
type Store struct {
	conn   *zk.Conn
	chroot string

	// ctx is cancelled by Close; it ends every watch.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup

	// Session state, updated by the connection's event callback.
	stateMu      sync.Mutex
	events       chan metadata.SessionEvent
	eventsClosed bool
	hasSession   chan struct{} // closed at the first session
	gotSession   bool
	disconnected bool

	closeOnce sync.Once
}

var _ metadata.Store = (*Store)(nil)

// Open connects, waits for a session and creates the chroot.
func Open(ctx context.Context, servers []string, opts Options) (*Store, error) {
	if err := opts.ensureDefaults(); err != nil {
		return nil, fmt.Errorf("zkstore: %w", err)
	}
	if len(servers) == 0 {
		return nil, errors.New("zkstore: no servers")
	}
	s := &Store{
		chroot:     opts.Chroot,
		events:     make(chan metadata.SessionEvent, 8),
		hasSession: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	conn, _, err := zk.Connect(servers, opts.SessionTimeout,
		zk.WithLogger(zkLogger{}), zk.WithLogInfo(false), zk.WithEventCallback(s.onEvent))
	if err != nil {
		return nil, fmt.Errorf("zkstore: connect %v: %w", servers, err)
	}
	s.conn = conn

	wait, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	select {
	case <-s.hasSession:
	case <-wait.Done():
		_ = s.Close()
		return nil, fmt.Errorf("zkstore: no session with %v within %v: %w", servers, opts.ConnectTimeout, wait.Err())
	}
	if s.chroot != "" {
		if err := s.createPath(s.chroot); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("zkstore: create chroot %s: %w", s.chroot, err)
		}
	}
	return s, nil
}

// onEvent follows the session: SessionExpired when the server ended it (the client then
// starts a new one), SessionReconnected when a disconnection ended with the same
// session. It runs on the connection's goroutine and must not block.
func (s *Store) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	switch ev.State {
	case zk.StateHasSession:
		if !s.gotSession {
			s.gotSession = true
			close(s.hasSession)
		} else if s.disconnected {
			s.emit(metadata.SessionReconnected)
		}
		s.disconnected = false
	case zk.StateDisconnected:
		s.disconnected = true
	case zk.StateExpired:
		slog.Warn("zkstore: session expired; ephemeral keys are gone")
		s.disconnected = false // the next session is a new one, not a reconnection
		s.emit(metadata.SessionExpired)
	}
}

// emit sends without blocking (events are dropped if nobody reads); stateMu is held.
func (s *Store) emit(ev metadata.SessionEvent) {
	if s.eventsClosed {
		return
	}
	select {
	case s.events <- ev:
	default:
	}
}

// SessionEvents reports SessionExpired and SessionReconnected; closed by Close.
func (s *Store) SessionEvents() <-chan metadata.SessionEvent { return s.events }

// Close ends the session (the server deletes its ephemeral keys at once) and the
// watches. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.conn.Close()
		s.wg.Wait()
		s.stateMu.Lock()
		s.eventsClosed = true
		close(s.events)
		s.stateMu.Unlock()
	})
	return nil
}

func (s *Store) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("zkstore: %w", metadata.ErrClosed)
	}
	return nil
}

// goBackground starts f as a tracked goroutine unless the store is closed.
func (s *Store) goBackground(f func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("zkstore: %w", metadata.ErrClosed)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return nil
}

// full maps a metadata key ("/" for the root) to its znode path.
func (s *Store) full(key string) string {
	if key == "/" {
		if s.chroot == "" {
			return "/"
		}
		return s.chroot
	}
	return s.chroot + key
}

// key maps a znode path back to a metadata key; "/" for the chroot itself.
func (s *Store) key(path string) string {
	k := path[len(s.chroot):]
	if k == "" {
		return "/"
	}
	return k
}

// createPath creates path and its ancestors as empty persistent znodes.
func (s *Store) createPath(path string) error {
	for _, p := range append(metadata.Parents(path), path) {
		if _, err := s.conn.Create(p, []byte{}, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// mapErr wraps a ZooKeeper error with the metadata error callers branch on.
func (s *Store) mapErr(op, key string, err error) error {
	var m error
	switch {
	case errors.Is(err, zk.ErrNoNode):
		m = metadata.ErrNotFound
	case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNodeExists):
		m = metadata.ErrBadVersion
	case errors.Is(err, zk.ErrNotEmpty):
		m = metadata.ErrNotEmpty
	case errors.Is(err, zk.ErrNoChildrenForEphemerals):
		m = metadata.ErrEphemeralParent
	case errors.Is(err, zk.ErrSessionExpired):
		m = metadata.ErrSessionLost
	case errors.Is(err, zk.ErrClosing), errors.Is(err, zk.ErrConnectionClosed):
		if s.check() != nil {
			m = metadata.ErrClosed
		}
	}
	if m == nil {
		return fmt.Errorf("zkstore: %s %s: %w", op, key, err)
	}
	return fmt.Errorf("zkstore: %s %s: %w: %w", op, key, m, err)
}

// zkLogger sends the client library's messages to slog at debug level.
type zkLogger struct{}

func (zkLogger) Printf(format string, args ...any) {
	slog.Debug("zk: " + fmt.Sprintf(format, args...))
}
