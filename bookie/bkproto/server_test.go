package bkproto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magnetar/magnetar/bookie"
)

var key = []byte("master-key")

// startBookie runs a bookie and a server on a loopback port.
func startBookie(t *testing.T, cfg bookie.Config) (addr string, b *bookie.Bookie, srv *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JournalDir == "" {
		dir := t.TempDir()
		cfg.JournalDir = filepath.Join(dir, "journal")
		cfg.LedgerDirs = []string{filepath.Join(dir, "ledgers")}
	}
	cfg.ID = ln.Addr().String()
	b, err = bookie.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv = NewServer(b)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		b.Close()
	})
	return ln.Addr().String(), b, srv
}

func dial(t *testing.T, addr string, opts ...Option) *Client {
	t.Helper()
	c, err := DialClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func payload(l, e int64) []byte {
	return []byte(fmt.Sprintf("entry %d/%d %s", l, e, bytes.Repeat([]byte("x"), int(e%50)*20)))
}

// addPipelined sends n adds of a ledger without waiting between them and waits for
// all acks.
func addPipelined(t *testing.T, c bookie.Client, ledger, n int64) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for e := int64(0); e < n; e++ {
		wg.Add(1)
		req := &bookie.AddRequest{LedgerID: ledger, EntryID: e, LastAddConfirmed: e - 1, MasterKey: key, Data: payload(ledger, e)}
		if e%2 == 1 { // the ledger client's way: its frame header, then the data
			req.Header, req.Data = req.Data[:3], req.Data[3:]
		}
		c.AddEntry(req, func(err error) {
			if err != nil {
				errs <- fmt.Errorf("add %d/%d: %w", ledger, e, err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func addSync(c bookie.Client, req bookie.AddRequest) error {
	done := make(chan error, 1)
	c.AddEntry(&req, func(err error) { done <- err })
	return <-done
}

func TestRoundTripPipelined(t *testing.T) {
	addr, b, _ := startBookie(t, bookie.Config{FlushInterval: 50 * time.Millisecond})
	c := dial(t, addr)
	ctx := context.Background()
	var wg sync.WaitGroup
	for l := int64(1); l <= 4; l++ { // four writers share the connection
		wg.Add(1)
		go func() { defer wg.Done(); addPipelined(t, c, l, 500) }()
	}
	wg.Wait()
	// Requests were in flight together on the one connection: the bookie took them in
	// far fewer journal syncs than adds.
	if syncs := metricValue(t, b, "bookie_journal_JOURNAL_SYNC"); syncs < 1 || syncs > 2000/4 {
		t.Fatalf("2000 pipelined adds took %v journal syncs", syncs)
	}

	// Reads, pipelined too: all at once from many goroutines.
	errs := make(chan error, 4*500)
	for l := int64(1); l <= 4; l++ {
		for e := int64(0); e < 500; e++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.ReadEntry(ctx, l, e, 0, nil)
				if err == nil && !bytes.Equal(res.Data, payload(l, e)) {
					err = fmt.Errorf("read %d/%d: wrong data %q", l, e, res.Data)
				}
				if err == nil && res.LastAddConfirmed != 498 {
					err = fmt.Errorf("read %d/%d: LAC %d, want 498", l, e, res.LastAddConfirmed)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if lac, err := c.ReadLAC(ctx, 3); err != nil || lac != 498 {
		t.Fatalf("ReadLAC = %d, %v", lac, err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCrossTheWire(t *testing.T) {
	addr, _, _ := startBookie(t, bookie.Config{MaxEntrySize: 1000})
	c := dial(t, addr)
	ctx := context.Background()
	addPipelined(t, c, 1, 3)
	read := func(l, e int64, flags bookie.ReadFlags, k []byte) error {
		_, err := c.ReadEntry(ctx, l, e, flags, k)
		return err
	}
	cases := []struct {
		name string
		err  func() error
		want error
	}{
		{"no such ledger", func() error { return read(9, 0, 0, nil) }, bookie.ErrNoSuchLedger},
		{"no such entry", func() error { return read(1, 3, 0, nil) }, bookie.ErrNoSuchEntry},
		{"too large", func() error {
			return addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 3, MasterKey: key, Data: make([]byte, 1001)})
		}, bookie.ErrTooLarge},
		{"unauthorized fence", func() error { return read(1, -1, bookie.ReadFence, []byte("bad")) }, bookie.ErrUnauthorized},
		{"fence", func() error { return read(1, -1, bookie.ReadFence, key) }, nil},
		{"fenced add", func() error {
			return addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 3, MasterKey: key, Data: []byte("x")})
		}, bookie.ErrFenced},
		{"recovery add", func() error {
			return addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 3, MasterKey: key, Recovery: true, Data: []byte("x")})
		}, nil},
		{"write lac", func() error { return c.WriteLAC(ctx, 1, 3, key) }, nil},
	}
	for _, tc := range cases {
		err := tc.err()
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if lac, err := c.ReadLAC(ctx, 1); err != nil || lac != 3 {
		t.Fatalf("LAC after an explicit write of 3: %d, %v", lac, err)
	}
}

// rawConn is a hand-driven protocol connection.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(appendHello(nil)); err != nil {
		t.Fatal(err)
	}
	hello := make([]byte, helloSize)
	if _, err := io.ReadFull(nc, hello); err != nil {
		t.Fatal(err)
	}
	return nc
}

// closedByPeer waits until the server closes nc.
func closedByPeer(t *testing.T, nc net.Conn) {
	t.Helper()
	buf := make([]byte, 64)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("server kept a connection open after a malformed frame")
		}
		return
	}
}

func TestMalformedFrameClosesOnlyItsConnection(t *testing.T) {
	addr, _, _ := startBookie(t, bookie.Config{})
	good := dial(t, addr)
	addPipelined(t, good, 1, 10)

	cases := map[string][]byte{
		"short length":   {0, 0, 0, 2, 1, 1},
		"huge length":    {0x7f, 0xff, 0xff, 0xff, 1},
		"truncated read": {0, 0, 0, 10, TypeRead, 0, 0, 0, 0, 0, 0, 0, 1, 0},
	}
	for name, frame := range cases {
		nc := rawConn(t, addr)
		if _, err := nc.Write(frame); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		closedByPeer(t, nc)
	}
	// Not a bkproto client at all.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	closedByPeer(t, nc)
	nc.Close()

	// The established client still works, and new ones connect.
	res, err := good.ReadEntry(context.Background(), 1, 9, 0, nil)
	if err != nil || !bytes.Equal(res.Data, payload(1, 9)) {
		t.Fatalf("good connection after malformed ones: %v", err)
	}
	addPipelined(t, dial(t, addr), 2, 10)
}

func TestUnknownRequestTypeGetsBadRequest(t *testing.T) {
	addr, _, _ := startBookie(t, bookie.Config{})
	nc := rawConn(t, addr)
	nc.Write([]byte{0, 0, 0, 9, 0x33, 0, 0, 0, 0, 0, 0, 0, 7})
	nc.Write(AppendRequest(nil, &Request{Type: TypePing, ID: 8}))
	var got []Response
	r := newReader(nc)
	for len(got) < 2 {
		body, err := ReadFrame(r, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp)
	}
	if got[0].ID != 7 || got[0].Status != StatusBadRequest || got[0].Type != 0x33|respBit {
		t.Fatalf("unknown type answered %+v", got[0])
	}
	if got[1].ID != 8 || got[1].Status != StatusOK {
		t.Fatalf("ping after an unknown type answered %+v", got[1])
	}
}

func TestTimeouts(t *testing.T) {
	// A peer that says hello and then never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				io.ReadFull(nc, make([]byte, helloSize))
				nc.Write(appendHello(nil))
				io.Copy(io.Discard, nc)
			}()
		}
	}()
	c := dial(t, ln.Addr().String(), WithAddTimeout(200*time.Millisecond), WithReadTimeout(200*time.Millisecond))
	start := time.Now()
	err = addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 0, MasterKey: key, Data: []byte("x")})
	if !errors.Is(err, bookie.ErrTimeout) {
		t.Fatalf("add to a silent bookie: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("add timed out after %v", d)
	}
	if _, err := c.ReadLAC(context.Background(), 1); !errors.Is(err, bookie.ErrTimeout) {
		t.Fatalf("read from a silent bookie: %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.ReadEntry(ctx, 1, 0, 0, nil); !errors.Is(err, bookie.ErrTimeout) {
		t.Fatalf("read with a context deadline: %v, want ErrTimeout", err)
	}
}

func TestReconnect(t *testing.T) {
	dir := t.TempDir()
	cfg := bookie.Config{JournalDir: filepath.Join(dir, "j"), LedgerDirs: []string{filepath.Join(dir, "l")}}
	addr, b, srv := startBookie(t, cfg)
	c := dial(t, addr)
	addPipelined(t, c, 1, 10)

	srv.Close() // the bookie stays up; its connections go
	b.Close()
	if err := addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 10, MasterKey: key, Data: []byte("x")}); err == nil {
		t.Fatal("add succeeded with the server gone")
	}

	// The same bookie comes back on the same address.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ID = addr
	b2, err := bookie.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	srv2 := NewServer(b2)
	go srv2.Serve(ln)
	defer srv2.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.ReadEntry(context.Background(), 1, 9, 0, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("client did not reconnect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 10, LastAddConfirmed: 9, MasterKey: key, Data: payload(1, 10)}); err != nil {
		t.Fatalf("add after reconnect: %v", err)
	}
	c.Close()
	if err := addSync(c, bookie.AddRequest{LedgerID: 1, EntryID: 11, MasterKey: key, Data: []byte("x")}); !errors.Is(err, bookie.ErrClosed) {
		t.Fatalf("add on a closed client: %v, want ErrClosed", err)
	}
}

// metricValue reads one series of the bookie's metrics (the first, if labelled).
func metricValue(t *testing.T, b *bookie.Bookie, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetSummary() != nil: // a latency summary: its sample count
				return float64(m.GetSummary().GetSampleCount())
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
