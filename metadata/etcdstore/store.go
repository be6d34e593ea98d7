// Package etcdstore keeps Magnetar's metadata in etcd. A key's version is etcd's
// per-key Version (1 at creation, +1 per put); compare-and-set is one Txn. The session is
// a lease kept alive in the background: ephemeral keys are attached to it, so etcd
// deletes them when the holder stops renewing. Values are stored as given (no header),
// so etcdctl shows them as they are; etcd keeps no timestamps, so Stat's are zero.
package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/magnetar/magnetar/metadata"
)

// Options configures a Store; zero values take the documented defaults.
type Options struct {
	// Prefix is prepended to every key, keeping this cluster's keys apart from others
	// in the same etcd ("/pulsar-east"). Default: none.
	Prefix string
	// SessionTTL is the lease TTL: how long ephemeral keys outlive a holder that
	// stopped renewing. Default 10s; etcd rounds it to whole seconds (at least 2s).
	SessionTTL time.Duration
	// DialTimeout bounds connecting and creating the session. Default 5s.
	DialTimeout time.Duration
}

func (o *Options) ensureDefaults() error {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 10 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Prefix != "" {
		if err := metadata.ValidateKey(o.Prefix); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	return nil
}

// Store is a metadata.Store on etcd with one session (lease).
type Store struct {
	cli    *clientv3.Client
	prefix string
	opts   Options

	// ctx is cancelled by Close; it ends the keepalive and every watch.
	ctx    context.Context
	cancel context.CancelFunc
	events chan metadata.SessionEvent

	lease atomic.Int64 // current lease id; 0 while the session is being re-established

	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // background goroutines

	closeOnce sync.Once
	closeErr  error
}

var _ metadata.Store = (*Store)(nil)

// Open connects to etcd and creates the session's lease.
func Open(ctx context.Context, endpoints []string, opts Options) (*Store, error) {
	if err := opts.ensureDefaults(); err != nil {
		return nil, fmt.Errorf("etcdstore: %w", err)
	}
	if len(endpoints) == 0 {
		return nil, errors.New("etcdstore: no endpoints")
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: opts.DialTimeout,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: connect %v: %w", endpoints, err)
	}
	s := &Store{cli: cli, prefix: opts.Prefix, opts: opts, events: make(chan metadata.SessionEvent, 8)}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	gctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	keepalive, err := s.grant(gctx)
	if err != nil {
		s.cancel()
		_ = cli.Close()
		return nil, fmt.Errorf("etcdstore: open session on %v: %w", endpoints, err)
	}
	s.wg.Add(1)
	go s.keepSession(keepalive)
	return s, nil
}

// SessionEvents reports SessionExpired when the lease is lost; the channel is closed by
// Close. Events are dropped if nobody reads them.
func (s *Store) SessionEvents() <-chan metadata.SessionEvent { return s.events }

// Close revokes the lease (etcd deletes the ephemeral keys at once), ends the watches and
// disconnects. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		var errs []error
		if id := clientv3.LeaseID(s.lease.Swap(0)); id != clientv3.NoLease {
			rctx, cancel := context.WithTimeout(context.Background(), s.opts.DialTimeout)
			if _, err := s.cli.Revoke(rctx, id); err != nil {
				errs = append(errs, fmt.Errorf("etcdstore: revoke session lease (ephemeral keys expire in %v): %w", s.opts.SessionTTL, err))
			}
			cancel()
		}
		s.wg.Wait()
		if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("etcdstore: close client: %w", err))
		}
		close(s.events)
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// check fails once the store is closed.
func (s *Store) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("etcdstore: %w", metadata.ErrClosed)
	}
	return nil
}

// goBackground starts f as a tracked goroutine unless the store is closed.
func (s *Store) goBackground(f func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("etcdstore: %w", metadata.ErrClosed)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return nil
}

// grant creates a lease, makes it the session's and starts renewing it.
func (s *Store) grant(ctx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	ttl := int64((s.opts.SessionTTL + time.Second - 1) / time.Second)
	resp, err := s.cli.Grant(ctx, ttl)
	if err != nil {
		return nil, fmt.Errorf("grant lease: %w", err)
	}
	keepalive, err := s.cli.KeepAlive(s.ctx, resp.ID)
	if err != nil {
		_, _ = s.cli.Revoke(ctx, resp.ID)
		return nil, fmt.Errorf("keep lease alive: %w", err)
	}
	s.lease.Store(int64(resp.ID))
	if s.ctx.Err() != nil { // closed meanwhile, after Close looked for a lease to revoke
		rctx, cancel := context.WithTimeout(context.Background(), s.opts.DialTimeout)
		defer cancel()
		_, _ = s.cli.Revoke(rctx, resp.ID)
		return nil, fmt.Errorf("etcdstore: %w", metadata.ErrClosed)
	}
	return keepalive, nil
}

// keepSession drains the keepalive responses. When the channel closes while the store is
// open, the lease is lost (expired, revoked, or unrenewed past its TTL): it reports
// SessionExpired and creates a new session for later ephemeral keys.
func (s *Store) keepSession(keepalive <-chan *clientv3.LeaseKeepAliveResponse) {
	defer s.wg.Done()
	for {
		for range keepalive {
		}
		if s.ctx.Err() != nil {
			return
		}
		old := clientv3.LeaseID(s.lease.Swap(0))
		slog.Warn("etcdstore: session lease lost; ephemeral keys are gone", "lease", int64(old))
		select {
		case s.events <- metadata.SessionExpired:
		default:
		}
		for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
			ctx, cancel := context.WithTimeout(s.ctx, s.opts.DialTimeout)
			// The old lease may survive an etcd outage; revoke it so its keys do not
			// outlive the SessionExpired just reported.
			_, _ = s.cli.Revoke(ctx, old)
			ka, err := s.grant(ctx)
			cancel()
			if err == nil {
				keepalive = ka
				break
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
	}
}

// full maps a metadata key to its etcd key.
func (s *Store) full(key string) string { return s.prefix + key }

// childPrefix is the etcd prefix of key's descendants ("/" is the root).
func (s *Store) childPrefix(key string) string {
	if key == "/" {
		return s.prefix + "/"
	}
	return s.prefix + key + "/"
}
