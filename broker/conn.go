package broker

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// maxProtocolVersion is the newest protocol version Magnetar speaks.
const maxProtocolVersion = int32(pb.ProtocolVersion_v20)

// handshakeTimeout bounds how long a new connection may take to send CONNECT.
const handshakeTimeout = 30 * time.Second

// conn is one client connection. Its reader goroutine (serve) handles commands in order;
// slow ones (lookups, creating producers and consumers) continue on their own goroutine
// and answer through the writer when done.
type conn struct {
	b      *Broker
	nc     net.Conn
	w      *writer
	log    *slog.Logger
	remote string

	clientVersion string
	protocol      int32

	lastRead atomic.Int64 // unix nanos of the last frame received

	// Publish backpressure: SENDs not yet acknowledged by storage.
	pendingSends atomic.Int64
	throttled    atomic.Bool
	resume       chan struct{}
	// readAfter, set by a SEND that took its topic past the publish rate, is when the
	// reader may read again. Only the reader goroutine uses it.
	readAfter time.Time

	mu        sync.Mutex
	producers map[uint64]*producer
	consumers map[uint64]*consumer
	watchers  connWatchers // topic-list watchers (topiclist.go)
	closed    bool
	done      chan struct{} // closed when the connection is shut down
}

func newConn(b *Broker, nc net.Conn) *conn {
	remote := nc.RemoteAddr().String()
	log := b.log.With("remote", remote)
	return &conn{
		b:         b,
		nc:        nc,
		w:         newWriter(nc, log),
		log:       log,
		remote:    remote,
		resume:    make(chan struct{}, 1),
		producers: map[uint64]*producer{},
		consumers: map[uint64]*consumer{},
		done:      make(chan struct{}),
	}
}

// serve runs the connection until the client goes away, a frame is malformed, or the
// broker closes it.
func (c *conn) serve() {
	go c.w.run()
	defer c.shutdown()
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	maxFrame := c.b.cfg.MaxMessageSize + wire.FramePadding
	r := wire.NewReader(bufio.NewReaderSize(c.nc, 64*1024), maxFrame)
	if !c.handshake(r) {
		return
	}
	go c.keepAlive()
	var f wire.Frame
	for {
		c.waitPublishCapacity()
		// Owned payloads: a SEND's bytes go to storage (and the entry cache) without a copy.
		if err := r.ReadFrameOwned(&f); err != nil {
			c.readFailed(err)
			return
		}
		c.lastRead.Store(time.Now().UnixNano())
		if !c.handle(&f) {
			return
		}
	}
}

func (c *conn) readFailed(err error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	switch {
	case closed, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		c.log.Debug("connection closed", "err", err)
	default:
		// A malformed or oversized frame: this connection's stream is lost, nothing else is.
		c.log.Warn("closing connection after a bad frame", "err", err)
	}
}

// handshake expects CONNECT as the first frame and answers CONNECTED.
func (c *conn) handshake(r *wire.Reader) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(handshakeTimeout))
	var f wire.Frame
	if err := r.ReadFrame(&f); err != nil {
		c.readFailed(err)
		return false
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	c.lastRead.Store(time.Now().UnixNano())
	if f.Type() != pb.BaseCommand_CONNECT {
		c.log.Warn("first frame is not CONNECT; closing", "type", f.Type())
		c.w.send(wire.NewError(0, pb.ServerError_NotAllowedError, "expected CONNECT as the first command"))
		return false
	}
	cc := f.Cmd.GetConnect()
	c.clientVersion = cc.GetClientVersion()
	c.protocol = min(cc.GetProtocolVersion(), maxProtocolVersion)
	c.log = c.log.With("client", c.clientVersion)
	flags := &pb.FeatureFlags{
		SupportsBrokerEntryMetadata: proto.Bool(true),
		SupportsTopicWatchers:       proto.Bool(c.b.cfg.EnableBrokerSideSubscriptionPatternEvaluation),
	}
	c.w.send(wire.NewConnected(ServerVersion, c.protocol, int32(c.b.cfg.MaxMessageSize), flags))
	c.b.stats.connections.Add(1)
	return true
}

// keepAlive pings an idle client and drops one that stopped answering, as Pulsar does:
// PING after one interval without a frame, close after two.
func (c *conn) keepAlive() {
	interval := time.Duration(c.b.cfg.KeepAliveIntervalSeconds) * time.Second
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		idle := time.Since(time.Unix(0, c.lastRead.Load()))
		switch {
		case idle >= 2*interval:
			c.log.Warn("closing connection: no frame from the client", "idle", idle.Round(time.Second))
			c.nc.Close()
			return
		case idle >= interval:
			c.w.send(wire.NewPing())
		}
	}
}

// handle dispatches one command. It returns false to close the connection.
func (c *conn) handle(f *wire.Frame) bool {
	cmd := f.Cmd
	switch cmd.GetType() {
	case pb.BaseCommand_SEND:
		c.handleSend(cmd.GetSend(), f.Payload)
	case pb.BaseCommand_ACK:
		c.handleAck(cmd.GetAck())
	case pb.BaseCommand_FLOW:
		c.handleFlow(cmd.GetFlow())
	case pb.BaseCommand_PING:
		c.w.send(wire.NewPong())
	case pb.BaseCommand_PONG:
	case pb.BaseCommand_LOOKUP:
		go c.handleLookup(cmd.GetLookupTopic())
	case pb.BaseCommand_PARTITIONED_METADATA:
		go c.handlePartitionedMetadata(cmd.GetPartitionMetadata())
	case pb.BaseCommand_GET_TOPICS_OF_NAMESPACE:
		go c.handleTopicsOfNamespace(cmd.GetGetTopicsOfNamespace())
	case pb.BaseCommand_PRODUCER:
		c.handleProducer(cmd.GetProducer())
	case pb.BaseCommand_CLOSE_PRODUCER:
		c.handleCloseProducer(cmd.GetCloseProducer())
	case pb.BaseCommand_SUBSCRIBE:
		c.handleSubscribe(cmd.GetSubscribe())
	case pb.BaseCommand_CLOSE_CONSUMER:
		c.handleCloseConsumer(cmd.GetCloseConsumer())
	case pb.BaseCommand_REDELIVER_UNACKNOWLEDGED_MESSAGES:
		c.handleRedeliver(cmd.GetRedeliverUnacknowledgedMessages())
	case pb.BaseCommand_UNSUBSCRIBE:
		c.handleUnsubscribe(cmd.GetUnsubscribe())
	case pb.BaseCommand_SEEK:
		c.handleSeek(cmd.GetSeek())
	case pb.BaseCommand_GET_LAST_MESSAGE_ID:
		c.handleGetLastMessageID(cmd.GetGetLastMessageId())
	case pb.BaseCommand_WATCH_TOPIC_LIST:
		c.handleWatchTopicList(cmd.GetWatchTopicList())
	case pb.BaseCommand_WATCH_TOPIC_LIST_CLOSE:
		c.handleWatchTopicListClose(cmd.GetWatchTopicListClose())
	case pb.BaseCommand_GET_SCHEMA:
		go c.handleGetSchema(cmd.GetGetSchema())
	case pb.BaseCommand_GET_OR_CREATE_SCHEMA:
		go c.handleGetOrCreateSchema(cmd.GetGetOrCreateSchema())
	case pb.BaseCommand_TC_CLIENT_CONNECT_REQUEST:
		r := cmd.GetTcClientConnectRequest()
		c.w.send(wire.Wrap(&pb.CommandTcClientConnectResponse{
			RequestId: proto.Uint64(r.GetRequestId()),
			Error:     pb.ServerError_NotAllowedError.Enum(),
			Message:   proto.String("transactions are not enabled on this broker"),
		}))
	case pb.BaseCommand_AUTH_RESPONSE:
	case pb.BaseCommand_CONNECT:
		c.log.Warn("second CONNECT on a connection; closing")
		return false
	default:
		c.log.Debug("ignoring unsupported command", "type", cmd.GetType())
	}
	return true
}

// waitPublishCapacity blocks the reader while too many SENDs wait for storage, so a fast
// producer is slowed by TCP flow control instead of growing the broker's memory.
func (c *conn) waitPublishCapacity() {
	if !c.readAfter.IsZero() {
		t := time.NewTimer(time.Until(c.readAfter))
		select {
		case <-t.C:
		case <-c.done:
		}
		t.Stop()
		c.readAfter = time.Time{}
	}
	limit := int64(c.b.cfg.MaxPendingPublishRequestsPerConnection)
	if limit <= 0 || c.pendingSends.Load() < limit {
		return
	}
	for {
		c.throttled.Store(true)
		if c.pendingSends.Load() <= limit/2 {
			c.throttled.Store(false)
			return
		}
		select {
		case <-c.resume:
		case <-c.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// publishDone is called once per SEND when its outcome is known.
func (c *conn) publishDone() {
	n := c.pendingSends.Add(-1)
	limit := int64(c.b.cfg.MaxPendingPublishRequestsPerConnection)
	if n <= limit/2 && c.throttled.CompareAndSwap(true, false) {
		select {
		case c.resume <- struct{}{}:
		default:
		}
	}
}

// shutdown releases the connection's producers and consumers; their topics redeliver
// what the consumers had not acknowledged.
func (c *conn) shutdown() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.done)
	producers, consumers := c.producers, c.consumers
	c.producers, c.consumers = map[uint64]*producer{}, map[uint64]*consumer{}
	c.mu.Unlock()
	for _, p := range producers {
		p.close(false)
	}
	for _, cs := range consumers {
		cs.close(false)
	}
	c.closeTopicListWatchers()
	c.w.close()
	select {
	case <-c.w.done:
	case <-time.After(5 * time.Second):
	}
	c.nc.Close()
}

// closeGracefully flushes what is queued and closes the socket; the reader then ends.
func (c *conn) closeGracefully() {
	c.w.close()
	select {
	case <-c.w.done:
	case <-time.After(5 * time.Second):
	}
	c.nc.Close()
}

// isClosed tells whether the connection has shut down.
func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
