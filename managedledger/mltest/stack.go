// Package mltest starts the real storage stack in process for tests of the managed
// ledger and of the layers above it: an embedded metadata store, in-process bookies, a
// ledger client dialling them directly, and a managed-ledger Factory. Everything lives
// under one directory, so a test can close a Stack and open a new one on the same
// directory to see what survives a restart.
package mltest

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/metadata/embedded"
)

// Stack is a running storage stack.
type Stack struct {
	Dir     string
	Store   *embedded.Store
	Ledgers *ledger.Client
	Factory *managedledger.Factory

	mu      sync.Mutex
	bookies []*bookie.Bookie // nil once stopped
	failing map[int64]error  // ledger id -> error every bookie returns for its adds
	closed  bool
}

// Options tune NewStackWith.
type Options struct {
	// CacheSizeBytes is the Factory's entry cache size (0: default).
	CacheSizeBytes int64
	// AddTimeoutMs is the ledger client's add timeout (0: default).
	AddTimeoutMs int64
}

// NewStack starts a stack with nBookies bookies under dir (t.TempDir() for a fresh one,
// the same dir again after Close for a restart). It is closed at the end of the test.
func NewStack(t testing.TB, dir string, nBookies int) *Stack {
	t.Helper()
	return NewStackWith(t, dir, nBookies, Options{})
}

// NewStackWith is NewStack with options.
func NewStackWith(t testing.TB, dir string, nBookies int, opts Options) *Stack {
	t.Helper()
	s, err := Start(dir, nBookies, opts)
	if err != nil {
		t.Fatalf("mltest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("mltest: close stack: %v", err)
		}
	})
	return s
}

// Start starts a stack outside a test (e.g. in a helper process); the caller closes it.
func Start(dir string, nBookies int, opts Options) (*Stack, error) {
	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}
	s := &Stack{Dir: dir, Store: store, bookies: make([]*bookie.Bookie, nBookies), failing: map[int64]error{}}
	for i := range nBookies {
		if err := s.StartBookie(i); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	s.Ledgers, err = ledger.NewClient(ledger.Config{Store: store, Dial: s.dial, AddTimeoutMs: opts.AddTimeoutMs})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("ledger client: %w", err)
	}
	s.Factory, err = managedledger.NewFactory(managedledger.FactoryConfig{
		Store: store, Ledgers: s.Ledgers, CacheSizeBytes: opts.CacheSizeBytes,
	})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("factory: %w", err)
	}
	return s, nil
}

// BookieID is the id of the i-th bookie.
func BookieID(i int) string { return fmt.Sprintf("127.0.0.1:%d", 3181+i) }

// StartBookie starts (or restarts) the i-th bookie on its directories.
func (s *Stack) StartBookie(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bookies[i] != nil {
		return nil
	}
	dir := filepath.Join(s.Dir, fmt.Sprintf("bookie-%d", i))
	bk, err := bookie.Open(bookie.Config{
		ID:         BookieID(i),
		JournalDir: filepath.Join(dir, "journal"),
		LedgerDirs: []string{filepath.Join(dir, "ledgers")},
		Store:      s.Store.NewSession(),
	})
	if err != nil {
		return fmt.Errorf("start bookie %d: %w", i, err)
	}
	s.bookies[i] = bk
	return nil
}

// StopBookie stops the i-th bookie (it unregisters, and the ledger client can no longer
// reach it).
func (s *Stack) StopBookie(i int) error {
	s.mu.Lock()
	bk := s.bookies[i]
	s.bookies[i] = nil
	s.mu.Unlock()
	if bk == nil {
		return nil
	}
	return bk.Close()
}

// FailAdds makes every bookie fail adds to ledger id with err (nil stops it): a fault
// around real bookies that no ensemble change can route around.
func (s *Stack) FailAdds(id int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failing, id)
	} else {
		s.failing[id] = err
	}
}

func (s *Stack) dial(id string) (bookie.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, bk := range s.bookies {
		if bk != nil && BookieID(i) == id {
			return faultyClient{Client: bk.LocalClient(), s: s}, nil
		}
	}
	return nil, fmt.Errorf("mltest: bookie %s is not running", id)
}

// Close closes the factory (cleanly: cursors persisted, ledgers closed), the bookies and
// the metadata store. Close is idempotent.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	if s.Factory != nil {
		errs = append(errs, s.Factory.Close())
	}
	return errors.Join(append(errs, s.stopStorage())...)
}

// Abandon stops the bookies and the store without closing the factory, as a crash
// would leave them: ledgers stay open and cursor state not yet written is lost. The
// factory must not be used afterwards.
func (s *Stack) Abandon() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.stopStorage()
}

func (s *Stack) stopStorage() error {
	var errs []error
	for i := range s.bookies {
		errs = append(errs, s.StopBookie(i))
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	return errors.Join(errs...)
}

// faultyClient is a bookie client that fails adds of the ledgers set by FailAdds.
type faultyClient struct {
	bookie.Client
	s *Stack
}

func (c faultyClient) AddEntry(req *bookie.AddRequest, cb func(error)) {
	c.s.mu.Lock()
	err := c.s.failing[req.LedgerID]
	c.s.mu.Unlock()
	if err != nil {
		cb(err)
		return
	}
	c.Client.AddEntry(req, cb)
}
