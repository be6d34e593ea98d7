package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/metadata"
)

const defaultAddTimeout = 10 * time.Second

// maxEnsemble bounds the ensemble size: a pending add keeps its acknowledgements in a
// 64-bit mask indexed by ensemble position.
const maxEnsemble = 64

type client struct {
	store      metadata.Store
	dial       func(string) (bookie.Client, error)
	addTimeout time.Duration

	mu    sync.Mutex
	conns map[string]bookie.Client // by bookie id, shared by every ledger of this client
	// writers are the open writers whose add timeouts the timer checks.
	writers map[*writer]struct{}
	ticking bool
}

func newClient(cfg Config) (*Client, error) {
	if cfg.Store == nil {
		return nil, errors.New("ledger: Config.Store is required")
	}
	if cfg.Dial == nil {
		return nil, errors.New("ledger: Config.Dial is required")
	}
	c := &client{store: cfg.Store, dial: cfg.Dial, addTimeout: defaultAddTimeout, conns: map[string]bookie.Client{}}
	if cfg.AddTimeoutMs > 0 {
		c.addTimeout = time.Duration(cfg.AddTimeoutMs) * time.Millisecond
	}
	return &Client{impl: c}, nil
}

// conn returns the client of a bookie, dialling it on first use. Dialling happens
// outside the lock: a slow connect to one bookie holds up no other.
func (c *client) conn(id string) (bookie.Client, error) {
	c.mu.Lock()
	cl, ok := c.conns[id]
	c.mu.Unlock()
	if ok {
		return cl, nil
	}
	cl, err := c.dial(id)
	if err != nil {
		return nil, fmt.Errorf("dial bookie %s: %w", id, err)
	}
	c.mu.Lock()
	if other, ok := c.conns[id]; ok {
		c.mu.Unlock()
		cl.Close() // lost a race with another dial of the same bookie
		return other, nil
	}
	c.conns[id] = cl
	c.mu.Unlock()
	return cl, nil
}

// connFailed drops a bookie's client after an error that says the connection, not the
// request, is broken, so that the next use dials afresh.
func (c *client) connFailed(id string, cl bookie.Client, err error) {
	if !connBroken(err) {
		return
	}
	c.mu.Lock()
	if c.conns[id] == cl {
		delete(c.conns, id)
	} else {
		cl = nil
	}
	c.mu.Unlock()
	if cl != nil {
		go cl.Close() // fails the connection's other requests; not under c.mu
	}
}

// connBroken tells request errors (the bookie answered) from transport errors.
func connBroken(err error) bool {
	for _, e := range []error{bookie.ErrNoSuchLedger, bookie.ErrNoSuchEntry, bookie.ErrFenced,
		bookie.ErrUnauthorized, bookie.ErrReadOnly, bookie.ErrTooLarge, bookie.ErrTimeout,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

func (c *client) create(ctx context.Context, opts CreateOptions) (*WriteHandle, error) {
	m := &ledgerMeta{
		EnsembleSize: opts.EnsembleSize, WriteQuorum: opts.WriteQuorum, AckQuorum: opts.AckQuorum,
		State: stateOpen, LastEntryID: -1,
		CtimeMs: time.Now().UnixMilli(),
		Custom:  opts.Custom,
	}
	if m.EnsembleSize > maxEnsemble {
		return nil, fmt.Errorf("create ledger: ensemble size %d above %d", m.EnsembleSize, maxEnsemble)
	}
	m.Ensembles = []fragment{{FirstEntryID: 0, Bookies: make([]string, m.EnsembleSize)}}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	slots, err := c.pickEnsemble(ctx, m.EnsembleSize)
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	for i, s := range slots {
		m.Ensembles[0].Bookies[i] = s.id
	}
	key := masterKey(opts.Password)
	m.PasswordDigest = passwordDigest(key)

	id, err := metadata.NextID(ctx, c.store, counterPath)
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	version, err := writeMeta(ctx, c.store, id, m, metadata.NotExists)
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	w := newWriter(c, id, m, version, key, slots)
	return &WriteHandle{impl: w}, nil
}

// pickEnsemble chooses n bookies (rack-aware) and dials them; one that cannot be dialled
// is replaced by another.
func (c *client) pickEnsemble(ctx context.Context, n int) ([]*slot, error) {
	cands, err := availableBookies(ctx, c.store)
	if err != nil {
		return nil, err
	}
	bad := map[string]bool{}
	for {
		ids, err := choose(cands, n, nil, bad)
		if err != nil {
			return nil, err
		}
		slots, err := c.dialAll(ids, bad)
		if err == nil {
			return slots, nil
		}
	}
}

// dialAll dials every bookie of ids; on failure it marks the bookie bad and returns the
// error.
func (c *client) dialAll(ids []string, bad map[string]bool) ([]*slot, error) {
	slots := make([]*slot, len(ids))
	for i, id := range ids {
		cl, err := c.conn(id)
		if err != nil {
			slog.Warn("ledger: cannot dial bookie", "bookie", id, "err", err)
			bad[id] = true
			return nil, err
		}
		slots[i] = &slot{id: id, cl: cl}
	}
	return slots, nil
}

func (c *client) delete(ctx context.Context, id int64) error {
	err := c.store.Delete(ctx, ledgerKey(id), metadata.AnyVersion)
	if errors.Is(err, metadata.ErrNotFound) {
		return fmt.Errorf("delete ledger %d: %w", id, ErrNoSuchLedger)
	}
	if err != nil {
		return fmt.Errorf("delete ledger %d: %w", id, err)
	}
	return nil
}

func (c *client) stat(ctx context.Context, id int64) (Info, error) {
	m, _, err := readMeta(ctx, c.store, id)
	if err != nil {
		return Info{}, err
	}
	return m.info(id), nil
}

func (c *client) open(ctx context.Context, id int64, recover bool, password []byte) (*ReadHandle, error) {
	m, version, err := readMeta(ctx, c.store, id)
	if err != nil {
		return nil, err
	}
	key := masterKey(password)
	if m.PasswordDigest != "" && m.PasswordDigest != passwordDigest(key) {
		return nil, fmt.Errorf("open ledger %d: wrong password: %w", id, bookie.ErrUnauthorized)
	}
	r := &reader{c: c, lid: id, meta: m, key: key}
	switch {
	case m.State == stateClosed:
		r.lastEntry, r.size = m.LastEntryID, m.Length
	case recover:
		if m, err = c.recover(ctx, id, m, version, key); err != nil {
			return nil, err
		}
		r.meta, r.lastEntry, r.size = m, m.LastEntryID, m.Length
	default:
		if r.lastEntry, err = c.lastConfirmed(ctx, id, m, false, nil); err != nil {
			return nil, fmt.Errorf("open ledger %d: %w", id, err)
		}
		if r.lastEntry >= 0 {
			f, found, err := c.recoveryRead(ctx, id, m, r.lastEntry)
			if err == nil && !found {
				err = errors.New("missing")
			}
			if err != nil {
				return nil, fmt.Errorf("open ledger %d: entry %d at the last add confirmed: %w", id, r.lastEntry, err)
			}
			r.size = f.length
		}
	}
	return &ReadHandle{impl: r}, nil
}
