package broker

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/managedledger/mltest"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// testBroker is a Broker on a free port over the real storage stack (embedded metadata,
// one in-process bookie, managed ledgers), with public/default bootstrapped.
type testBroker struct {
	*Broker
	stack *mltest.Stack
}

func startBroker(t testing.TB, mod func(*Config)) *testBroker {
	t.Helper()
	return startBrokerIn(t, t.TempDir(), mod)
}

// startBrokerIn starts a broker over the storage in dir (a restart when dir was used).
func startBrokerIn(t testing.TB, dir string, mod func(*Config)) *testBroker {
	t.Helper()
	stack := mltest.NewStack(t, dir, 1)
	cfg := DefaultConfig()
	cfg.BrokerServicePort = 0
	cfg.BindAddress = "127.0.0.1"
	cfg.AdvertisedAddress = "127.0.0.1"
	if mod != nil {
		mod(&cfg)
	}
	res := resources.New(stack.Store, cfg.ResourceDefaults())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := res.Bootstrap(ctx, cfg.ClusterName, resources.ClusterData{ServiceURL: "http://127.0.0.1:8080"}); err != nil {
		t.Fatal(err)
	}
	level := slog.LevelError
	if os.Getenv("MAGNETAR_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	b, err := New(Options{Config: cfg, Store: stack.Store, Ledgers: stack.Factory, Resources: res,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx, 8080); err != nil {
		t.Fatal(err)
	}
	tb := &testBroker{Broker: b, stack: stack}
	t.Cleanup(func() { tb.stop(t) })
	return tb
}

// stop closes the broker, then its storage (as a clean shutdown does).
func (tb *testBroker) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tb.Close(ctx); err != nil {
		t.Errorf("close broker: %v", err)
	}
	if err := tb.stack.Close(); err != nil {
		t.Errorf("close storage: %v", err)
	}
}

func (tb *testBroker) client(t testing.TB) pulsar.Client {
	t.Helper()
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	c, err := pulsar.NewClient(pulsar.ClientOptions{
		URL: tb.ServiceURL(), OperationTimeout: 10 * time.Second, Logger: plog.NewLoggerWithLogrus(l),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rawConn speaks the protocol by hand, for what the official client never sends.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *wire.Reader
}

func (tb *testBroker) dial(t *testing.T) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", tb.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: wire.NewReader(bufio.NewReader(nc), 6<<20)}
}

// connect does the handshake and returns CONNECTED.
func (rc *rawConn) connect() *pb.CommandConnected {
	rc.t.Helper()
	rc.send(wire.Wrap(&pb.CommandConnect{ClientVersion: proto.String("raw-test"), ProtocolVersion: proto.Int32(20)}))
	f := rc.read()
	if f.Type() != pb.BaseCommand_CONNECTED {
		rc.t.Fatalf("handshake answer %v; want CONNECTED", f.Type())
	}
	return f.Cmd.GetConnected()
}

func (rc *rawConn) send(cmd *pb.BaseCommand) {
	rc.t.Helper()
	b, err := wire.AppendCommand(nil, cmd)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.write(b)
}

func (rc *rawConn) sendPayload(cmd *pb.BaseCommand, payload []byte) {
	rc.t.Helper()
	b, err := wire.AppendPayloadCommand(nil, cmd, payload)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.write(b)
}

func (rc *rawConn) write(b []byte) {
	rc.t.Helper()
	if _, err := rc.nc.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

// read returns the next frame (a copy of its command), skipping PINGs.
func (rc *rawConn) read() wire.Frame {
	rc.t.Helper()
	for {
		_ = rc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var f wire.Frame
		if err := rc.r.ReadFrameOwned(&f); err != nil {
			rc.t.Fatalf("read frame: %v", err)
		}
		if f.Type() == pb.BaseCommand_PING {
			continue
		}
		f.Cmd = proto.Clone(f.Cmd).(*pb.BaseCommand)
		return f
	}
}

// closedByServer tells whether the server closed the connection (EOF within 5s).
func (rc *rawConn) closedByServer() bool {
	_ = rc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f wire.Frame
	for {
		err := rc.r.ReadFrame(&f)
		if err == nil {
			continue
		}
		return err == io.EOF || isConnReset(err)
	}
}

func isConnReset(err error) bool {
	var ne net.Error
	if ok := asNetErr(err, &ne); ok && ne.Timeout() {
		return false
	}
	return true
}

func asNetErr(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}
