package managedledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/metadata"
)

// factory owns the open managed ledgers of a process, the shared entry cache and a
// background loop that rolls over ledgers past their maximum age and trims.
type factory struct {
	store  metadata.Store
	client *ledger.Client
	cache  *entryCache

	mu     sync.Mutex
	opened map[string]*openEntry
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// openEntry is a managed ledger being opened or open; ready is closed when ml or err is
// set.
type openEntry struct {
	ready chan struct{}
	ml    *managedLedger
	err   error
}

// backgroundTick is how often the background loop checks ledger age and trimming.
const backgroundTick = time.Second

func newFactory(cfg FactoryConfig) (*Factory, error) {
	if cfg.Store == nil || cfg.Ledgers == nil {
		return nil, fmt.Errorf("managedledger: factory needs a metadata store and a ledger client")
	}
	size := cfg.CacheSizeBytes
	if size == 0 {
		size = DefaultCacheSizeBytes
	}
	f := &factory{
		store:  cfg.Store,
		client: cfg.Ledgers,
		cache:  newEntryCache(size),
		opened: map[string]*openEntry{},
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go f.background()
	return &Factory{impl: f}, nil
}

// CacheStats returns the figures of the entry cache shared by the factory's managed
// ledgers.
func (f *Factory) CacheStats() CacheStats { return f.impl.cache.stats() }

func (f *factory) open(ctx context.Context, name string, cfg Config) (*ManagedLedger, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, ErrClosed
		}
		e := f.opened[name]
		if e == nil {
			e = &openEntry{ready: make(chan struct{})}
			f.opened[name] = e
			f.mu.Unlock()
			e.ml, e.err = openManagedLedger(ctx, f, name, cfg)
			f.mu.Lock()
			if e.err != nil {
				delete(f.opened, name)
			}
			f.mu.Unlock()
			close(e.ready)
			if e.err != nil {
				return nil, e.err
			}
			return e.ml.handle, nil
		}
		f.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.ml.handle, nil
		}
		// That open failed; try again ourselves.
	}
}

// forget removes a closed managed ledger from the open set.
func (f *factory) forget(m *managedLedger) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.opened[m.name]; e != nil && e.ml == m {
		delete(f.opened, m.name)
	}
}

func (f *factory) openLedgers() []*managedLedger {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*managedLedger
	for _, e := range f.opened {
		select {
		case <-e.ready:
			if e.ml != nil {
				out = append(out, e.ml)
			}
		default:
		}
	}
	return out
}

func (f *factory) exists(ctx context.Context, name string) (bool, error) {
	if validateName(name) != nil {
		return false, nil
	}
	b, _, err := f.store.Get(ctx, mlKey(name))
	if errors.Is(err, metadata.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("managedledger: exists %s: %w", name, err)
	}
	_, ok, err := decodeMLInfo(b)
	return ok, err
}

// names walks the metadata tree from the deepest complete element of prefix.
func (f *factory) names(ctx context.Context, prefix string) ([]string, error) {
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i]
	}
	start := rootKey
	if dir != "" {
		start += "/" + dir
	}
	if metadata.ValidatePrefix(start) != nil {
		return nil, nil
	}
	var out []string
	err := f.walk(ctx, start, dir, prefix, &out)
	return out, err
}

func (f *factory) walk(ctx context.Context, key, name, prefix string, out *[]string) error {
	if name != "" && strings.HasPrefix(name, prefix) {
		b, _, err := f.store.Get(ctx, key)
		if errors.Is(err, metadata.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("managedledger: list %s: %w", prefix, err)
		}
		if _, ok, _ := decodeMLInfo(b); ok {
			*out = append(*out, name)
		}
	}
	children, err := f.store.Children(ctx, key)
	if err != nil {
		return fmt.Errorf("managedledger: list %s: %w", prefix, err)
	}
	for _, ch := range children {
		if strings.HasPrefix(ch, cursorMark) {
			continue
		}
		child := ch
		if name != "" {
			child = name + "/" + ch
		}
		if !strings.HasPrefix(child, prefix) && !strings.HasPrefix(prefix, child+"/") {
			continue
		}
		if err := f.walk(ctx, key+"/"+ch, child, prefix, out); err != nil {
			return err
		}
	}
	return nil
}

func (f *factory) close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	close(f.stop)
	<-f.done
	var errs []error
	for _, m := range f.openLedgers() {
		ctx, cancel := context.WithTimeout(context.Background(), rolloverTimeout)
		if err := m.close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", m.name, err))
		}
		cancel()
	}
	return errors.Join(errs...)
}

// background rolls over ledgers past MaxLedgerRolloverTime even when no add arrives, and
// trims every trimInterval.
func (f *factory) background() {
	defer close(f.done)
	t := time.NewTicker(backgroundTick)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		for _, m := range f.openLedgers() {
			m.checkAge()
		}
	}
}

// checkAge rolls over a ledger that is too old and schedules a periodic trim.
func (m *managedLedger) checkAge() {
	m.mu.Lock()
	if m.state == stateOpen && m.addErr == nil && !m.rolling && m.cur != nil &&
		!m.cur.sealed && m.cur.sentEntries > 0 && time.Since(m.cur.created) >= m.cfg.MaxLedgerRolloverTime &&
		time.Since(m.cur.created) >= m.cfg.MinLedgerRolloverTime {
		m.startRolloverLocked()
	}
	due := time.Since(m.trimmedAt) >= trimInterval
	m.mu.Unlock()
	if due {
		m.scheduleTrim()
	}
}
