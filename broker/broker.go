// Package broker is Magnetar's Pulsar broker: it accepts client connections speaking the
// Pulsar binary protocol, answers lookups for the topics it serves, and runs topics —
// producers appending to a managed ledger, subscriptions whose dispatchers read a cursor
// and push messages to consumers as their flow permits allow.
//
// Ownership of state: a connection's reader goroutine handles its commands in order; a
// topic's producers and subscriptions are guarded by the topic's lock; each persistent
// subscription has one dispatcher goroutine; a connection's frames go out through one
// writer goroutine that batches them.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/schema"
)

// ServerVersion is what CONNECTED reports.
const ServerVersion = "Magnetar Server 0.1.0"

// Options wire a Broker to its configuration and storage.
type Options struct {
	Config Config
	// Store holds tenants, namespaces, partitioned-topic metadata and counters.
	Store metadata.Store
	// Ledgers stores persistent topics. Without it persistent topics are refused
	// (non-persistent ones still work).
	Ledgers *managedledger.Factory
	// Resources gives typed access to tenants, namespaces and partitioned topics; nil
	// builds one over Store with the broker's defaults.
	Resources *resources.Resources
	// Schemas is the schema registry; nil leaves schemas unchecked and unrecorded.
	Schemas *schema.Registry
	Logger  *slog.Logger
}

// Broker serves the Pulsar binary protocol on one listener.
type Broker struct {
	cfg     Config                 // as configured at start (file and flags)
	live    atomic.Pointer[Config] // cfg with the dynamic overrides: see liveConfig
	cfgMu   sync.Mutex             // serialises applyConfig
	store   metadata.Store
	mlf     *managedledger.Factory
	res     *resources.Resources
	schemas *schema.Registry
	log     *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loop, connections, background loops

	ln         net.Listener
	serviceURL string
	webURL     string

	// producerPrefix is "<cluster>-<instance>", instance unique per broker start.
	producerPrefix  string
	producerCounter atomic.Uint64

	topics     *topicRegistry
	topicLists *topicListHub // topic-list watchers by namespace (topiclist_watch.go)
	stats      brokerStats

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
}

// New validates the configuration and returns a Broker that is not yet listening.
func New(opts Options) (*Broker, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Store == nil {
		return nil, errors.New("broker: no metadata store")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	res := opts.Resources
	if res == nil {
		res = resources.New(opts.Store, resources.Defaults{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		res:     res,
		schemas: opts.Schemas,
		cfg:     opts.Config,
		store:   opts.Store,
		mlf:     opts.Ledgers,
		log:     log,
		ctx:     ctx,
		cancel:  cancel,
		conns:   map[*conn]struct{}{},
	}
	b.topics = newTopicRegistry(b)
	b.topicLists = newTopicListHub(b)
	return b, nil
}

// Start listens on bindAddress:brokerServicePort (port 0 picks a free one) and serves
// connections until Close. webPort is the HTTP port lookups advertise.
func (b *Broker) Start(ctx context.Context, webPort int) error {
	if err := b.reloadDynamicConfig(ctx); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	id, err := metadata.NextID(ctx, b.store, "/counters/broker-instance")
	if err != nil {
		return fmt.Errorf("broker: instance id: %w", err)
	}
	b.producerPrefix = b.cfg.ClusterName + "-" + strconv.FormatInt(id, 10)
	addr := net.JoinHostPort(b.cfg.BindAddress, strconv.Itoa(b.cfg.BrokerServicePort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("broker: listen %s: %w", addr, err)
	}
	changes, err := b.res.WatchPolicies(b.ctx)
	if err != nil {
		ln.Close()
		return fmt.Errorf("broker: %w", err)
	}
	b.ln = ln
	port := ln.Addr().(*net.TCPAddr).Port
	b.serviceURL = "pulsar://" + net.JoinHostPort(b.cfg.AdvertisedAddress, strconv.Itoa(port))
	b.webURL = "http://" + net.JoinHostPort(b.cfg.AdvertisedAddress, strconv.Itoa(webPort))
	b.wg.Add(6)
	go b.acceptLoop()
	go b.inactiveTopicLoop()
	go b.backlogQuotaLoop()
	go b.policyWatchLoop(changes)
	go b.messageExpiryLoop()
	go b.subscriptionExpiryLoop()
	return nil
}

// Addr is the listener's address (nil before Start).
func (b *Broker) Addr() net.Addr {
	if b.ln == nil {
		return nil
	}
	return b.ln.Addr()
}

// ServiceURL is the advertised pulsar:// URL lookups answer with.
func (b *Broker) ServiceURL() string { return b.serviceURL }

// Config returns the broker's configuration.
func (b *Broker) Config() Config { return b.cfg }

func (b *Broker) acceptLoop() {
	defer b.wg.Done()
	var delay time.Duration
	for {
		nc, err := b.ln.Accept()
		if err != nil {
			if b.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (e.g. out of file descriptors): back off and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			b.log.Warn("accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := newConn(b, nc)
		b.mu.Lock()
		if b.closing {
			b.mu.Unlock()
			nc.Close()
			continue
		}
		b.conns[c] = struct{}{}
		b.wg.Add(1)
		b.mu.Unlock()
		go func() {
			defer b.wg.Done()
			c.serve()
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
		}()
	}
}

// Close shuts the broker down cleanly: it stops accepting, tells every client its
// producers and consumers are closed (so they reconnect later or elsewhere), waits for
// pending publishes to be acknowledged, closes every topic (persisting cursors) and then
// the connections. ctx bounds the wait.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		return nil
	}
	b.closing = true
	conns := make([]*conn, 0, len(b.conns))
	for c := range b.conns {
		conns = append(conns, c)
	}
	b.mu.Unlock()
	if b.ln != nil {
		b.ln.Close()
	}
	err := b.topics.closeAll(ctx)
	for _, c := range conns {
		c.closeGracefully()
	}
	b.cancel()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			c.nc.Close()
		}
		<-done
	}
	return err
}
