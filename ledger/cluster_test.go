package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/embedded"
)

// testCluster is a metadata store and bookies in process; the ledger client reaches every
// bookie through a faultClient, which lets a test delay, hang, reorder or corrupt.
type testCluster struct {
	t     testing.TB
	store metadata.Store

	// tcp: bookies serve the bookie protocol on loopback and the ledger client dials
	// them with bkproto (no fault injection); otherwise it gets their in-process
	// clients through a faultClient.
	tcp bool

	mu    sync.Mutex
	nodes map[string]*testNode
}

type testNode struct {
	id, rack string
	b        *bookie.Bookie
	direct   bookie.Client // the bookie's own client, for checks behind the ledger's back
	fc       *faultClient
	srv      *bkproto.Server // with tcp
}

// startCluster starts one bookie per rack given.
func startCluster(t testing.TB, racks ...string) *testCluster {
	return newCluster(t, false, racks)
}

// startTCPCluster starts one bookie per rack given, each serving bkproto on loopback.
func startTCPCluster(t testing.TB, racks ...string) *testCluster {
	return newCluster(t, true, racks)
}

func newCluster(t testing.TB, tcp bool, racks []string) *testCluster {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &testCluster{t: t, store: st, tcp: tcp, nodes: map[string]*testNode{}}
	for i, rack := range racks {
		c.addBookie(fmt.Sprintf("127.0.0.1:%d", 3181+i), rack)
	}
	return c
}

func (c *testCluster) addBookie(id, rack string) *testNode {
	c.t.Helper()
	var ln net.Listener
	if c.tcp {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			c.t.Fatal(err)
		}
		id = ln.Addr().String()
	}
	dir := c.t.TempDir()
	b, err := bookie.Open(bookie.Config{
		ID:                 id,
		JournalDir:         filepath.Join(dir, "journal"),
		LedgerDirs:         []string{filepath.Join(dir, "ledgers")},
		Rack:               rack,
		Store:              c.store,
		WriteCacheBytes:    16 << 20,
		ReadCacheBytes:     4 << 20,
		JournalSegmentSize: 16 << 20,
		EntryLogSize:       16 << 20,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { b.Close() })
	n := &testNode{id: id, rack: rack, b: b, direct: b.LocalClient()}
	n.fc = &faultClient{inner: n.direct}
	if ln != nil {
		n.srv = bkproto.NewServer(b)
		go n.srv.Serve(ln)
		c.t.Cleanup(func() { n.srv.Close() })
	}
	c.mu.Lock()
	c.nodes[id] = n
	c.mu.Unlock()
	c.t.Cleanup(n.fc.releaseAll)
	return n
}

func (c *testCluster) node(id string) *testNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[id]
	if n == nil {
		c.t.Fatalf("no bookie %s", id)
	}
	return n
}

// kill stops a bookie: it deregisters and fails every request from now on.
func (c *testCluster) kill(id string) {
	c.t.Helper()
	n := c.node(id)
	if n.srv != nil {
		n.srv.Close()
	}
	if err := n.b.Close(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *testCluster) dial(id string) (bookie.Client, error) {
	if c.tcp {
		return bkproto.Dial(id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[id]
	if !ok {
		return nil, fmt.Errorf("unknown bookie %s", id)
	}
	return n.fc, nil
}

func (c *testCluster) client(addTimeoutMs int64) *Client {
	c.t.Helper()
	cl, err := NewClient(Config{Store: c.store, Dial: c.dial, AddTimeoutMs: addTimeoutMs})
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// directClient reaches the bookies without the fault-injecting wrapper (benchmarks).
func (c *testCluster) directClient() *Client {
	c.t.Helper()
	local := map[string]bookie.Client{}
	for id, n := range c.nodes {
		local[id] = n.direct
	}
	var remote func(string) (bookie.Client, error)
	if c.tcp {
		local, remote = nil, func(id string) (bookie.Client, error) { return bkproto.Dial(id) }
	}
	cl, err := NewClient(Config{Store: c.store, Dial: DialFunc(local, remote)})
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// meta reads a ledger's stored metadata.
func (c *testCluster) meta(id int64) *ledgerMeta {
	c.t.Helper()
	m, _, err := readMeta(context.Background(), c.store, id)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// faultClient wraps a bookie's client and injects faults into adds and reads.
type faultClient struct {
	inner bookie.Client

	mu      sync.Mutex
	hang    bool          // adds are held, not passed on, until release or releaseAll
	held    []heldAdd     // adds held
	jitter  time.Duration // each add's answer is delayed by a random time up to jitter
	corrupt bool          // reads return a damaged copy
	// answered records the entry ids of adds in the order their answers were passed on.
	answered []int64
}

func (f *faultClient) set(fn func(f *faultClient)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faultClient) AddEntry(req *bookie.AddRequest, cb func(error)) {
	f.mu.Lock()
	if f.hang {
		f.held = append(f.held, heldAdd{req, cb})
		f.mu.Unlock()
		return
	}
	jitter := f.jitter
	f.mu.Unlock()
	eid := req.EntryID
	answer := func(err error) {
		f.mu.Lock()
		f.answered = append(f.answered, eid)
		f.mu.Unlock()
		cb(err)
	}
	if jitter == 0 {
		f.inner.AddEntry(req, answer)
		return
	}
	f.inner.AddEntry(req, func(err error) {
		time.AfterFunc(rand.N(jitter), func() { answer(err) })
	})
}

type heldAdd struct {
	req *bookie.AddRequest
	cb  func(error)
}

// release stops holding adds and passes the held ones on to the bookie.
func (f *faultClient) release() {
	f.mu.Lock()
	held := f.held
	f.held, f.hang = nil, false
	f.mu.Unlock()
	for _, h := range held {
		f.inner.AddEntry(h.req, h.cb)
	}
}

// releaseAll answers the held adds with a timeout error and stops holding.
func (f *faultClient) releaseAll() {
	f.mu.Lock()
	held := f.held
	f.held, f.hang = nil, false
	f.mu.Unlock()
	for _, h := range held {
		h.cb(bookie.ErrTimeout)
	}
}

// answers counts the adds answered.
func (f *faultClient) answers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.answered)
}

// inversions counts answers that came after the answer of a later entry.
func (f *faultClient) inversions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for i := 1; i < len(f.answered); i++ {
		if f.answered[i] < f.answered[i-1] {
			n++
		}
	}
	return n
}

func (f *faultClient) ReadEntry(ctx context.Context, lid, eid int64, flags bookie.ReadFlags, key []byte) (bookie.ReadResult, error) {
	res, err := f.inner.ReadEntry(ctx, lid, eid, flags, key)
	f.mu.Lock()
	corrupt := f.corrupt
	f.mu.Unlock()
	if err == nil && corrupt && len(res.Data) > 0 {
		d := append([]byte(nil), res.Data...)
		d[len(d)-1] ^= 0x55
		res.Data = d
	}
	return res, err
}

func (f *faultClient) ReadLAC(ctx context.Context, lid int64) (int64, error) {
	return f.inner.ReadLAC(ctx, lid)
}

func (f *faultClient) Close() error { return nil }

// checkReplicated checks that entries first..last are on every bookie of their write
// set, asking the bookies directly.
func (c *testCluster) checkReplicated(t *testing.T, lid, first, last int64) {
	t.Helper()
	m := c.meta(lid)
	for e := first; e <= last; e++ {
		ens := m.fragmentFor(e)
		for i := 0; i < m.WriteQuorum; i++ {
			id := ens[(e+int64(i))%int64(len(ens))]
			if _, err := c.node(id).direct.ReadEntry(context.Background(), lid, e, 0, nil); err != nil {
				t.Fatalf("entry %d not on %s of its write set %v: %v", e, id, ens, err)
			}
		}
	}
}
