package brokercmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/sirupsen/logrus"

	"github.com/magnetar/magnetar/bookie/bookiecmd"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// runInBackground runs fn until the test ends (then cancels it and waits).
func runInBackground(t *testing.T, name string, fn func(ctx context.Context) error) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestBrokerOverEtcdAndBookieProtocol runs a cluster in miniature: a real etcd, a bookie
// serving the bookie protocol over TCP, and `magnetar broker`; messages produced through
// it survive the broker's restart.
func TestBrokerOverEtcdAndBookieProtocol(t *testing.T) {
	url := "etcd://" + testservers.StartEtcd(t) + "/cluster-test"
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	slog.SetDefault(quiet)
	runInBackground(t, "bookie", func(ctx context.Context) error {
		return bookiecmd.Run(ctx, bookiecmd.Options{MetadataURL: url, Port: 0, HTTPPort: -1,
			DataDir: t.TempDir(), AdvertisedAddress: "127.0.0.1"})
	})
	waitForBookie(t, url)

	// One bookie: one copy of each entry (the cluster default is two).
	conf := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(conf, []byte("managedLedgerDefaultEnsembleSize=1\nmanagedLedgerDefaultWriteQuorum=1\nmanagedLedgerDefaultAckQuorum=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	startBroker := func() (string, context.CancelFunc) {
		ready := make(chan string, 1)
		dir := t.TempDir()
		stop := runInBackground(t, "broker", func(ctx context.Context) error {
			return Run(ctx, Options{MetadataURL: url, BrokerPort: -1, WebPort: -1, DataDir: dir, ConfigFile: conf, Logger: quiet,
				Ready: func(brokerURL, _ string) { ready <- brokerURL }})
		})
		select {
		case u := <-ready:
			return u, stop
		case <-time.After(20 * time.Second):
			t.Fatal("broker not ready")
		}
		return "", nil
	}
	brokerURL, stop := startBroker()
	c := client(t, brokerURL)
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: "cluster-topic", SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: "cluster-topic"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 10 {
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m, err := cons.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Payload()) != fmt.Sprint(i) {
			t.Fatalf("got %q; want %d", m.Payload(), i)
		}
		if err := cons.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	cons.Close()
	c.Close()
	stop()

	brokerURL, _ = startBroker()
	c = client(t, brokerURL)
	cons, err = c.Subscribe(pulsar.ConsumerOptions{Topic: "cluster-topic", SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 10; i++ {
		m, err := cons.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Payload()) != fmt.Sprint(i) {
			t.Fatalf("after restart got %q; want %d", m.Payload(), i)
		}
	}
}

func waitForBookie(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := connect.Open(ctx, url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for {
		if ids, err := store.Children(ctx, "/bookies/available"); err == nil && len(ids) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("no bookie registered within 20s")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func client(t *testing.T, url string) pulsar.Client {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, OperationTimeout: 15 * time.Second, Logger: plog.NewLoggerWithLogrus(l)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
