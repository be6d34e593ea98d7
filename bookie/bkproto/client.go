package bkproto

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/magnetar/magnetar/bookie"
)

// ErrDisconnected fails the requests in flight on a connection that broke.
var ErrDisconnected = errors.New("bkproto: connection lost")

type clientOptions struct {
	dialTimeout time.Duration
	addTimeout  time.Duration
	readTimeout time.Duration
	maxFrame    int
}

// Option configures a client.
type Option func(*clientOptions)

// WithDialTimeout bounds connecting and the hello exchange; default 5s.
func WithDialTimeout(d time.Duration) Option { return func(o *clientOptions) { o.dialTimeout = d } }

// WithAddTimeout bounds an add from send to ack (then ErrTimeout); default 10s.
func WithAddTimeout(d time.Duration) Option { return func(o *clientOptions) { o.addTimeout = d } }

// WithReadTimeout bounds a read when the context has no earlier deadline; default 10s.
func WithReadTimeout(d time.Duration) Option { return func(o *clientOptions) { o.readTimeout = d } }

// WithMaxFrame bounds a response frame; default bookie.DefaultMaxEntrySize + 64 KiB.
func WithMaxFrame(n int) Option { return func(o *clientOptions) { o.maxFrame = n } }

// Client is a bookie.Client over TCP to one bookie. It keeps one connection, dialled
// again after it breaks.
type Client struct {
	addr string
	opts clientOptions

	mu        sync.Mutex
	conn      *clientConn
	closed    bool
	nextID    uint64
	dialErr   error     // last dial failure
	dialAfter time.Time // no new dial before this (back-off after failures)
	backoff   time.Duration
}

var _ bookie.Client = (*Client)(nil)

// Dial connects to the bookie at addr ("host:port").
func Dial(addr string, opts ...Option) (bookie.Client, error) {
	c, err := DialClient(addr, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialClient is Dial returning the concrete client (for WriteLAC and Ping).
func DialClient(addr string, opts ...Option) (*Client, error) {
	o := clientOptions{
		dialTimeout: 5 * time.Second,
		addTimeout:  10 * time.Second,
		readTimeout: 10 * time.Second,
		maxFrame:    bookie.DefaultMaxEntrySize + FrameOverhead,
	}
	for _, f := range opts {
		f(&o)
	}
	c := &Client{addr: addr, opts: o}
	c.mu.Lock()
	_, err := c.connLocked()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// connLocked returns the live connection, dialling if needed; c.mu is held.
func (c *Client) connLocked() (*clientConn, error) {
	if c.closed {
		return nil, bookie.ErrClosed
	}
	if c.conn != nil && !c.conn.isDead() {
		return c.conn, nil
	}
	if time.Now().Before(c.dialAfter) {
		return nil, c.dialErr
	}
	cc, err := dialConn(c.addr, c.opts)
	if err != nil {
		c.backoff = min(max(2*c.backoff, 50*time.Millisecond), 2*time.Second)
		c.dialErr, c.dialAfter = err, time.Now().Add(c.backoff)
		return nil, err
	}
	c.backoff = 0
	c.conn = cc
	return cc, nil
}

// start registers a call and sends its request.
func (c *Client) start(req *Request, cl *call) error {
	c.mu.Lock()
	cc, err := c.connLocked()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.nextID++
	req.ID = c.nextID
	c.mu.Unlock()
	return cc.send(req, cl)
}

// AddEntry implements bookie.Client.
func (c *Client) AddEntry(req *bookie.AddRequest, cb func(error)) {
	r := Request{Type: TypeAdd, LedgerID: req.LedgerID, EntryID: req.EntryID, LAC: req.LastAddConfirmed, MasterKey: req.MasterKey, Header: req.Header, Data: req.Data}
	if req.Recovery {
		r.Flags |= FlagRecovery
	}
	cl := &call{cb: cb, deadline: time.Now().Add(c.opts.addTimeout)}
	if err := c.start(&r, cl); err != nil {
		cb(err)
	}
}

// roundTrip sends a request and waits for its response, ctx or the read timeout.
func (c *Client) roundTrip(ctx context.Context, req *Request) (Response, error) {
	done := make(chan result, 1)
	deadline := time.Now().Add(c.opts.readTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	cl := &call{done: done, deadline: deadline}
	if err := c.start(req, cl); err != nil {
		return Response{}, err
	}
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		cl.conn.forget(req.ID)
		return Response{}, fmt.Errorf("bookie %s: %w: %w", c.addr, bookie.ErrTimeout, ctx.Err())
	}
}

// ReadEntry implements bookie.Client.
func (c *Client) ReadEntry(ctx context.Context, ledgerID, entryID int64, flags bookie.ReadFlags, masterKey []byte) (bookie.ReadResult, error) {
	req := Request{Type: TypeRead, LedgerID: ledgerID, EntryID: entryID, MasterKey: masterKey}
	if flags&bookie.ReadFence != 0 {
		req.Flags |= FlagFence
	}
	resp, err := c.roundTrip(ctx, &req)
	if err != nil {
		return bookie.ReadResult{}, err
	}
	return bookie.ReadResult{Data: resp.Data, LastAddConfirmed: resp.LAC}, nil
}

// ReadLAC implements bookie.Client.
func (c *Client) ReadLAC(ctx context.Context, ledgerID int64) (int64, error) {
	resp, err := c.roundTrip(ctx, &Request{Type: TypeReadLAC, LedgerID: ledgerID})
	return resp.LAC, err
}

// WriteLAC records an explicit LAC on the bookie.
func (c *Client) WriteLAC(ctx context.Context, ledgerID, lac int64, masterKey []byte) error {
	_, err := c.roundTrip(ctx, &Request{Type: TypeWriteLAC, LedgerID: ledgerID, LAC: lac, MasterKey: masterKey})
	return err
}

// Ping checks the bookie answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.roundTrip(ctx, &Request{Type: TypePing})
	return err
}

// Close fails the requests in flight with bookie.ErrClosed and closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cc := c.conn
	c.conn = nil
	c.mu.Unlock()
	if cc != nil {
		cc.fail(bookie.ErrClosed)
	}
	return nil
}

// call is one request in flight: an add's callback or a read's channel.
type call struct {
	cb       func(error)
	done     chan result
	deadline time.Time
	conn     *clientConn
}

type result struct {
	resp Response
	err  error
}

func (cl *call) finish(resp Response, err error) {
	if cl.cb != nil {
		cl.cb(err)
		return
	}
	cl.done <- result{resp, err}
}

// clientConn is one connection: a writer batching request frames, a reader matching
// responses to calls, a sweeper failing calls past their deadline.
type clientConn struct {
	addr string
	nc   net.Conn
	opts clientOptions

	mu      sync.Mutex
	pending map[uint64]*call
	wbuf    []byte // encoded requests waiting for the writer
	dead    bool
	err     error
	wake    chan struct{}
	stop    chan struct{}
}

func dialConn(addr string, o clientOptions) (*clientConn, error) {
	nc, err := net.DialTimeout("tcp", addr, o.dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("bkproto: dial bookie %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	nc.SetDeadline(time.Now().Add(o.dialTimeout))
	r := bufio.NewReaderSize(nc, 64<<10)
	hello := make([]byte, helloSize)
	_, err = nc.Write(appendHello(nil))
	if err == nil {
		_, err = io.ReadFull(r, hello)
	}
	if err == nil {
		err = checkHello(hello)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bkproto: hello with bookie %s: %w", addr, err)
	}
	nc.SetDeadline(time.Time{})
	cc := &clientConn{addr: addr, nc: nc, opts: o, pending: map[uint64]*call{}, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	go cc.readLoop(r)
	go cc.writeLoop()
	go cc.sweep()
	return cc, nil
}

func (cc *clientConn) isDead() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.dead
}

// send registers cl under req.ID and queues the request for the writer.
func (cc *clientConn) send(req *Request, cl *call) error {
	cl.conn = cc
	cc.mu.Lock()
	if cc.dead {
		err := cc.err
		cc.mu.Unlock()
		return err
	}
	cc.pending[req.ID] = cl
	cc.wbuf = AppendRequest(cc.wbuf, req)
	cc.mu.Unlock()
	select {
	case cc.wake <- struct{}{}:
	default:
	}
	return nil
}

// forget drops a call whose caller gave up.
func (cc *clientConn) forget(id uint64) {
	cc.mu.Lock()
	delete(cc.pending, id)
	cc.mu.Unlock()
}

// fail kills the connection and fails every call in flight with err.
func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	if cc.dead {
		cc.mu.Unlock()
		return
	}
	cc.dead, cc.err = true, err
	calls := cc.pending
	cc.pending = nil
	cc.mu.Unlock()
	close(cc.stop)
	cc.nc.Close()
	for _, cl := range calls {
		cl.finish(Response{}, err)
	}
}

func (cc *clientConn) writeLoop() {
	var buf []byte
	for {
		select {
		case <-cc.stop:
			return
		case <-cc.wake:
		}
		cc.mu.Lock()
		buf, cc.wbuf = cc.wbuf, buf[:0]
		cc.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		cc.nc.SetWriteDeadline(time.Now().Add(cc.opts.addTimeout))
		if _, err := cc.nc.Write(buf); err != nil {
			cc.fail(fmt.Errorf("bookie %s: %w: write: %w", cc.addr, ErrDisconnected, err))
			return
		}
		if cap(buf) > 4<<20 {
			buf = nil // do not keep a burst's buffer forever
		}
	}
}

func (cc *clientConn) readLoop(r *bufio.Reader) {
	for {
		body, err := ReadFrame(r, cc.opts.maxFrame)
		if err == nil {
			var resp Response
			if resp, err = DecodeResponse(body); err == nil {
				cc.complete(resp)
				continue
			}
		}
		cc.fail(fmt.Errorf("bookie %s: %w: %w", cc.addr, ErrDisconnected, err))
		return
	}
}

// complete hands a response to its call (ignored if the call timed out).
func (cc *clientConn) complete(resp Response) {
	cc.mu.Lock()
	cl := cc.pending[resp.ID]
	delete(cc.pending, resp.ID)
	cc.mu.Unlock()
	if cl == nil {
		return
	}
	var err error
	if resp.Status != StatusOK {
		err = &RemoteError{Addr: cc.addr, Status: resp.Status, Message: resp.Message}
	}
	cl.finish(resp, err)
}

// sweep fails calls past their deadline with ErrTimeout.
func (cc *clientConn) sweep() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	var expired []*call
	for {
		select {
		case <-cc.stop:
			return
		case now := <-t.C:
			cc.mu.Lock()
			for id, cl := range cc.pending {
				if now.After(cl.deadline) {
					expired = append(expired, cl)
					delete(cc.pending, id)
				}
			}
			cc.mu.Unlock()
			for _, cl := range expired {
				cl.finish(Response{}, fmt.Errorf("bookie %s: %w", cc.addr, bookie.ErrTimeout))
			}
			clear(expired)
			expired = expired[:0]
		}
	}
}
