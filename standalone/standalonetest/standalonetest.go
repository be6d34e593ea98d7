// Package standalonetest runs a standalone in the test process, on free ports, for the
// test suites that drive it with real clients (tests/java, tests/python, tests/schema,
// examples). MAGNETAR_TEST_DEBUG=1 logs at debug level; otherwise only warnings show.
package standalonetest

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/standalone"
)

// Start runs standalone.Run with its data in dir until the test ends.
func Start(t testing.TB, dir string) *standalone.Server {
	t.Helper()
	srv, stop := Launch(t, dir)
	t.Cleanup(stop)
	return srv
}

// Launch runs standalone.Run with its data in dir; stop shuts it down cleanly and may be
// called more than once (a test that restarts the server on the same dir calls it).
func Launch(t testing.TB, dir string) (srv *standalone.Server, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *standalone.Server, 1)
	done := make(chan error, 1)
	level := slog.LevelWarn
	if os.Getenv("MAGNETAR_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	go func() {
		done <- standalone.Run(ctx, standalone.Options{
			DataDir:    dir,
			BrokerPort: -1,
			WebPort:    -1,
			Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
			Ready:      func(s *standalone.Server) { ready <- s },
		})
	}()
	select {
	case srv = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("standalone exited before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("standalone not ready after 30s")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("standalone shutdown: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("standalone did not stop within 30s")
			}
		})
	}
	return srv, stop
}
