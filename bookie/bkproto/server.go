package bkproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/magnetar/magnetar/bookie"
)

// Server serves one bookie over any number of listeners and connections.
type Server struct {
	b    *bookie.Bookie
	opts serverOptions

	ctx    context.Context // cancelled by Close: ends reads in progress
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	lns    map[net.Listener]struct{}
	conns  map[*serverConn]struct{}
	wg     sync.WaitGroup
}

type serverOptions struct {
	maxFrame     int
	readTimeout  time.Duration
	writeTimeout time.Duration
	maxReads     int
}

// ServerOption configures a Server.
type ServerOption func(*serverOptions)

// WithServerMaxFrame bounds a request frame; default the bookie's max entry size + 64 KiB.
func WithServerMaxFrame(n int) ServerOption { return func(o *serverOptions) { o.maxFrame = n } }

// WithServerReadTimeout bounds one read's execution; default 30s.
func WithServerReadTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.readTimeout = d }
}

// NewServer returns a server for b; call Serve with a listener.
func NewServer(b *bookie.Bookie, opts ...ServerOption) *Server {
	o := serverOptions{
		maxFrame:     b.MaxEntrySize() + FrameOverhead,
		readTimeout:  30 * time.Second,
		writeTimeout: 30 * time.Second,
		maxReads:     64,
	}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{b: b, opts: o, lns: map[net.Listener]struct{}{}, conns: map[*serverConn]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Serve accepts connections on ln until ln fails or the server is closed (then it
// returns nil).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &serverConn{s: s, nc: nc, wake: make(chan struct{}, 1), reads: make(chan struct{}, s.opts.maxReads)}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

// Close stops the listeners, closes every connection and waits for their goroutines.
// The bookie itself stays open.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// serverConn is one client connection: a reader that dispatches requests, a writer that
// batches responses into one writev.
type serverConn struct {
	s  *Server
	nc net.Conn

	mu     sync.Mutex
	out    []Response // responses waiting for the writer
	closed bool
	wake   chan struct{}
	reads  chan struct{} // semaphore of concurrent reads
	inRead sync.WaitGroup
}

func (c *serverConn) close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if !already {
		c.nc.Close()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *serverConn) readLoop() {
	defer c.s.wg.Done()
	defer func() {
		c.close()
		c.inRead.Wait()
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	}()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	hello := make([]byte, helloSize)
	if _, err := io.ReadFull(r, hello); err != nil {
		return
	}
	if err := checkHello(hello); err != nil {
		slog.Debug("bkproto: bad hello", "remote", c.nc.RemoteAddr().String(), "err", err)
		return
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.writeTimeout))
	if _, err := c.nc.Write(appendHello(nil)); err != nil {
		return
	}
	for {
		body, err := ReadFrame(r, c.s.opts.maxFrame)
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				slog.Warn("bkproto: closing connection after a malformed frame", "remote", c.nc.RemoteAddr().String(), "err", err)
			}
			return
		}
		req, err := DecodeRequest(body)
		if err != nil {
			slog.Warn("bkproto: closing connection after a malformed request", "remote", c.nc.RemoteAddr().String(), "err", err)
			return
		}
		c.dispatch(&req)
	}
}

// dispatch runs a request: adds in arrival order (queued to the journal from here),
// reads on their own goroutines (bounded per connection).
func (c *serverConn) dispatch(req *Request) {
	resp := Response{Type: req.Type | respBit, ID: req.ID}
	b := c.s.b
	switch req.Type {
	case TypeAdd:
		add := &bookie.AddRequest{
			LedgerID: req.LedgerID, EntryID: req.EntryID, LastAddConfirmed: req.LAC,
			MasterKey: req.MasterKey, Recovery: req.Flags&FlagRecovery != 0, Data: req.Data,
		}
		b.AddEntry(add, func(err error) { c.reply(resp, err) })
	case TypeReadLAC:
		lac, err := b.ReadLAC(c.s.ctx, req.LedgerID)
		resp.LAC = lac
		c.reply(resp, err)
	case TypePing:
		c.reply(resp, nil)
	case TypeRead, TypeWriteLAC:
		c.reads <- struct{}{}
		c.inRead.Add(1)
		go func() {
			defer func() { <-c.reads; c.inRead.Done() }()
			ctx, cancel := context.WithTimeout(c.s.ctx, c.s.opts.readTimeout)
			defer cancel()
			var err error
			if req.Type == TypeWriteLAC {
				err = b.WriteLAC(req.LedgerID, req.LAC, req.MasterKey)
			} else {
				var res bookie.ReadResult
				res, err = b.ReadEntry(ctx, req.LedgerID, req.EntryID, bookie.ReadFlags(req.Flags&FlagFence), req.MasterKey)
				resp.LAC, resp.Data = res.LastAddConfirmed, res.Data
			}
			c.reply(resp, err)
		}()
	default:
		resp.Status, resp.Message = StatusBadRequest, "unknown request type"
		c.send(resp)
	}
}

func (c *serverConn) reply(resp Response, err error) {
	if err != nil {
		resp.Status, resp.Message, resp.Data = statusOf(err), err.Error(), nil
	}
	c.send(resp)
}

// send queues a response for the writer; dropped if the connection is gone.
func (c *serverConn) send(resp Response) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.out = append(c.out, resp)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes all queued responses with one writev per round.
func (c *serverConn) writeLoop() {
	defer c.s.wg.Done()
	var batch []Response
	var hdr []byte
	var offs []int
	var bufs net.Buffers
	for range c.wake {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		batch, c.out = c.out, batch[:0]
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		// Headers first (hdr may move while growing), then the buffers over them.
		hdr, offs = hdr[:0], offs[:0]
		for i := range batch {
			offs = append(offs, len(hdr))
			hdr = appendResponseHeader(hdr, &batch[i])
		}
		offs = append(offs, len(hdr))
		bufs = bufs[:0]
		for i := range batch {
			bufs = append(bufs, hdr[offs[i]:offs[i+1]])
			if batch[i].Status == StatusOK && len(batch[i].Data) > 0 {
				bufs = append(bufs, batch[i].Data)
			}
		}
		c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.writeTimeout))
		w := bufs // WriteTo consumes its receiver
		if _, err := w.WriteTo(c.nc); err != nil {
			c.close()
			return
		}
		clear(batch)
		batch = batch[:0]
	}
}
