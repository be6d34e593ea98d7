package managedledger

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/ledger"
)

// mlState is the life cycle of a managed ledger.
type mlState int

const (
	stateOpen mlState = iota
	stateTerminated
	stateFenced
	stateClosed
	stateDeleted
)

func (s mlState) String() string {
	switch s {
	case stateOpen:
		return "LedgerOpened"
	case stateTerminated:
		return "Terminated"
	case stateFenced:
		return "Fenced"
	case stateClosed:
		return "Closed"
	case stateDeleted:
		return "Deleted"
	}
	return "Unknown"
}

// ledgerPassword protects the ledgers of managed ledgers (Pulsar's default digest
// password is empty too).
var ledgerPassword = []byte{}

// managedLedger is the implementation behind ManagedLedger.
//
// Locks, in the order they may be taken: cursor.readMu, cursor.mu, metaMu, mu, the
// cache's lock, resMu. metaMu serializes writes of the stored metadata and structural
// changes of ledgers (adding or removing a ledger); mu guards everything else and is
// never held across a call that waits for I/O. Ledger callbacks only take resMu, so
// appends may be issued under mu even if a ledger calls back synchronously.
type managedLedger struct {
	name   string
	key    string
	f      *factory
	cache  *mlCache
	handle *ManagedLedger
	log    *slog.Logger

	metaMu      sync.Mutex
	infoVersion int64 // version of the stored mlInfo (metaMu, read under mu too)
	props       map[string]string

	mu           sync.Mutex
	cfg          Config
	state        mlState
	addErr       error // non-nil: new adds fail with it (closing, terminating, fenced)
	ledgers      layout
	lac          Position
	cur          *writeLedger // nil while there is no ledger to write to
	rolling      bool         // a rollover goroutine is running
	pending      []*addOp     // adds whose callback has not run yet, in call order
	pendingHead  int
	notDone      int // adds in pending not yet done
	writers      map[int64]*ledger.WriteHandle
	readers      map[int64]*ledger.ReadHandle
	durable      map[string]*cursor
	nonDurable   map[string]*cursor
	notify       chan struct{} // closed on new entries
	changed      chan struct{} // closed when notDone or rolling change
	addedEntries int64
	trimPending  bool
	trimmedAt    time.Time
	stopped      bool // the completer goroutine exited

	resMu   sync.Mutex
	results []addResult
	wake    chan struct{}

	cacheHits, cacheMisses atomic.Int64
	persistEvery           atomic.Int64 // cursor persist interval (ns), from cfg
}

func newManagedLedger(f *factory, name string, cfg Config) *managedLedger {
	m := &managedLedger{
		name:       name,
		key:        mlKey(name),
		f:          f,
		cache:      f.cache.forLedger(),
		log:        slog.With("ml", name),
		cfg:        cfg.withDefaults(),
		writers:    map[int64]*ledger.WriteHandle{},
		readers:    map[int64]*ledger.ReadHandle{},
		durable:    map[string]*cursor{},
		nonDurable: map[string]*cursor{},
		notify:     make(chan struct{}),
		changed:    make(chan struct{}),
		wake:       make(chan struct{}, 1),
	}
	m.handle = &ManagedLedger{impl: m}
	m.persistEvery.Store(int64(m.cfg.persistInterval()))
	return m
}

// signalChangedLocked wakes waitFor callers.
func (m *managedLedger) signalChangedLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// waitFor waits until cond (evaluated under mu) holds.
func (m *managedLedger) waitFor(ctx context.Context, cond func() bool) error {
	for {
		m.mu.Lock()
		if cond() {
			m.mu.Unlock()
			return nil
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (m *managedLedger) lastConfirmed() Position {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lac
}

func (m *managedLedger) firstPosition() Position {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.ledgers.first(); ok {
		return p
	}
	return Latest
}

// newEntries: see ManagedLedger.NewEntries. After Terminate the channel returned is
// never closed by new entries (there will be none) but is closed by Close; after Close
// it is already closed.
func (m *managedLedger) newEntries() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.notify
}

func (m *managedLedger) terminated() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state == stateTerminated
}

func (m *managedLedger) setConfig(cfg Config) {
	m.mu.Lock()
	m.cfg = cfg.withDefaults()
	m.persistEvery.Store(int64(m.cfg.persistInterval()))
	m.mu.Unlock()
	m.scheduleTrim()
}

func (m *managedLedger) config() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg
}

func (m *managedLedger) stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Stats{
		LastConfirmed: m.lac,
		AddedEntries:  m.addedEntries,
		State:         m.state.String(),
		CacheHits:     m.cacheHits.Load(),
		CacheMisses:   m.cacheMisses.Load(),
	}
	if m.rolling && m.state == stateOpen {
		st.State = "CreatingLedger"
	}
	for _, lg := range m.ledgers {
		st.Entries += lg.Entries
		st.Bytes += lg.Size
		st.Ledgers = append(st.Ledgers, LedgerInfo{LedgerID: lg.ID, Entries: lg.Entries, Size: lg.Size, CreatedMs: lg.TimestampMs})
	}
	return st
}

// infoLocked is the metadata to store for the given ledger list.
func (m *managedLedger) infoLocked(list layout) mlInfo {
	info := mlInfo{Ledgers: list, Properties: m.props}
	if m.state == stateTerminated {
		p := toJSONPos(m.lac)
		info.TerminatedPosition = &p
	}
	return info
}

// putInfo stores info with a compare-and-set on the version last written (metaMu held).
func (m *managedLedger) putInfo(ctx context.Context, info mlInfo) error {
	b, err := info.encode()
	if err != nil {
		return err
	}
	st, err := m.f.store.Put(ctx, m.key, b, m.infoVersion)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.infoVersion = st.Version
	m.mu.Unlock()
	return nil
}
