package standalone

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/sirupsen/logrus"

	"github.com/magnetar/magnetar/broker"
)

// instance is a standalone running in this test process.
type instance struct {
	t      *testing.T
	dir    string
	srv    *Server
	cancel context.CancelFunc
	done   chan error
}

var topicSeq atomic.Int64

// uniqueTopic returns a topic name no other test uses.
func uniqueTopic(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, topicSeq.Add(1))
}

// startStandalone runs Run on free ports with dir as data directory; cfg may be nil.
// It is stopped (cleanly) when the test ends.
func startStandalone(t *testing.T, dir string, cfg *broker.Config) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Server, 1)
	in := &instance{t: t, dir: dir, cancel: cancel, done: make(chan error, 1)}
	level := slog.LevelWarn
	if os.Getenv("MAGNETAR_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	go func() {
		in.done <- Run(ctx, Options{
			DataDir:    dir,
			BrokerPort: -1,
			WebPort:    -1,
			Config:     cfg,
			Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
			Ready:      func(s *Server) { ready <- s },
		})
	}()
	select {
	case in.srv = <-ready:
	case err := <-in.done:
		t.Fatalf("standalone exited before ready: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("standalone not ready after 20s")
	}
	t.Cleanup(func() { in.stop() })
	return in
}

// stop shuts the standalone down cleanly and waits for it.
func (in *instance) stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("standalone: %v", err)
		}
	case <-time.After(30 * time.Second):
		in.t.Error("standalone did not stop within 30s")
	}
}

func (in *instance) url() string { return "pulsar://" + in.srv.BrokerAddr.String() }

// client returns an official Go client connected to the instance, closed at test end.
func (in *instance) client() pulsar.Client {
	in.t.Helper()
	c, err := pulsar.NewClient(pulsar.ClientOptions{
		URL:               in.url(),
		OperationTimeout:  15 * time.Second,
		ConnectionTimeout: 5 * time.Second,
		Logger:            clientLogger(),
	})
	if err != nil {
		in.t.Fatalf("client: %v", err)
	}
	in.t.Cleanup(c.Close)
	return c
}

// clientLogger keeps the Go client quiet unless MAGNETAR_TEST_DEBUG is set.
func clientLogger() plog.Logger {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	if os.Getenv("MAGNETAR_TEST_DEBUG") != "" {
		l.SetLevel(logrus.DebugLevel)
	}
	return plog.NewLoggerWithLogrus(l)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// receiveN receives n messages or fails the test.
func receiveN(t *testing.T, c pulsar.Consumer, n int, timeout time.Duration) []pulsar.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out := make([]pulsar.Message, 0, n)
	for len(out) < n {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("received %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// expectNone checks that nothing arrives within d.
func expectNone(t *testing.T, c pulsar.Consumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := c.Receive(ctx); err == nil {
		t.Fatalf("unexpected message %q (id %v)", m.Payload(), m.ID())
	}
}
