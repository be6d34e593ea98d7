// Package standalone runs a whole Magnetar in one process, as `pulsar standalone` does:
// an embedded metadata store, one in-process bookie, the ledger client and managed
// ledgers over it, the broker, and an HTTP server for /metrics, lookups and the admin API.
// Persistent topics go through the same storage layers as in a cluster; only the
// bookie is reached in process instead of over TCP.
package standalone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/broker"
	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/schema"
)

// bookieID is the in-process bookie's id (it is never dialled over the network).
const bookieID = "127.0.0.1:3181"

// Options configure Run.
type Options struct {
	// DataDir holds everything: metadata/, bookie/journal, bookie/ledgers.
	DataDir string
	// BrokerPort and WebPort override the configuration when > 0; -1 picks a free port.
	BrokerPort, WebPort int
	// ConfigFile is a Pulsar-style key=value file (standalone.conf keys).
	ConfigFile string
	// Config, if set, is used instead of the defaults (before ConfigFile and ports apply).
	Config *broker.Config
	Logger *slog.Logger
	// HTTP, if set, registers more handlers on the web server's mux (which serves
	// /metrics, the admin API under /admin/ and HTTP lookups under /lookup/).
	HTTP func(mux *http.ServeMux, s *Server)
	// Ready, if set, is called once everything serves.
	Ready func(s *Server)
}

// Server is a running standalone, for Options.HTTP and Options.Ready.
type Server struct {
	Broker    *broker.Broker
	Resources *resources.Resources
	Store     *embedded.Store
	Ledgers   *managedledger.Factory
	// BrokerURL and WebURL are where clients reach it.
	BrokerURL, WebURL string
	BrokerAddr        net.Addr
	WebAddr           net.Addr
}

// Run starts a standalone and serves until ctx is cancelled, then shuts down cleanly:
// clients are told their producers and consumers closed, pending writes finish, cursors
// and ledgers are closed, and storage is flushed.
func Run(ctx context.Context, opts Options) error {
	began := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg := broker.DefaultConfig()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if opts.ConfigFile != "" {
		unknown, err := broker.LoadConfigFile(&cfg, opts.ConfigFile)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			log.Warn("config: ignoring unknown keys", "file", opts.ConfigFile, "count", len(unknown), "keys", unknown)
		}
	}
	cfg.BrokerServicePort = portOption(opts.BrokerPort, cfg.BrokerServicePort)
	cfg.WebServicePort = portOption(opts.WebPort, cfg.WebServicePort)
	if err := cfg.Validate(); err != nil {
		return err
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		dataDir = "data"
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("standalone: data dir: %w", err)
	}

	// The web listener comes first: the broker advertises its port in lookups.
	webLn, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.WebServicePort)))
	if err != nil {
		return fmt.Errorf("standalone: web port: %w", err)
	}
	defer webLn.Close()
	webPort := webLn.Addr().(*net.TCPAddr).Port

	st, err := openStorage(dataDir, cfg)
	if err != nil {
		return err
	}
	defer st.close(log)

	res := resources.New(st.store, cfg.ResourceDefaults())
	schemas := schema.New(st.store)
	b, err := broker.New(broker.Options{Config: cfg, Store: st.store, Ledgers: st.mlf, Resources: res, Schemas: schemas, Logger: log})
	if err != nil {
		return err
	}
	if err := b.Start(ctx, webPort); err != nil {
		return err
	}
	srv := &Server{
		Broker:     b,
		Resources:  res,
		Store:      st.store,
		Ledgers:    st.mlf,
		BrokerURL:  b.ServiceURL(),
		WebURL:     "http://" + net.JoinHostPort(cfg.AdvertisedAddress, strconv.Itoa(webPort)),
		BrokerAddr: b.Addr(),
		WebAddr:    webLn.Addr(),
	}
	initCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = res.Bootstrap(initCtx, cfg.ClusterName, resources.ClusterData{
		ServiceURL: srv.WebURL, BrokerServiceURL: srv.BrokerURL,
	})
	cancel()
	if err != nil {
		_ = b.Close(context.Background())
		return fmt.Errorf("standalone: %w", err)
	}

	mux := b.WebHandler(st.bk.Collector())
	if opts.HTTP != nil {
		opts.HTTP(mux, srv)
	}
	web := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	webDone := make(chan error, 1)
	go func() { webDone <- web.Serve(webLn) }()

	log.Info(fmt.Sprintf("magnetar standalone ready: %s %s (started in %dms)",
		srv.BrokerURL, srv.WebURL, time.Since(began).Milliseconds()))
	if opts.Ready != nil {
		opts.Ready(srv)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-webDone:
		runErr = fmt.Errorf("standalone: web server: %w", err)
	}
	log.Info("magnetar standalone shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = web.Shutdown(shutCtx)
	if err := b.Close(shutCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("standalone: close broker: %w", err))
	}
	return runErr
}

// portOption applies a port flag: > 0 sets it, -1 picks a free port, 0 keeps the config.
func portOption(flag, configured int) int {
	switch {
	case flag > 0:
		return flag
	case flag < 0:
		return 0
	}
	return configured
}

// storage is the standalone's storage stack.
type storage struct {
	store   *embedded.Store
	bk      *bookie.Bookie
	ledgers *ledger.Client
	mlf     *managedledger.Factory
}

func openStorage(dataDir string, cfg broker.Config) (*storage, error) {
	st := &storage{}
	var err error
	if st.store, err = embedded.Open(filepath.Join(dataDir, "metadata")); err != nil {
		return nil, fmt.Errorf("standalone: metadata store: %w", err)
	}
	st.bk, err = bookie.Open(bookie.Config{
		ID:           bookieID,
		JournalDir:   filepath.Join(dataDir, "bookie", "journal"),
		LedgerDirs:   []string{filepath.Join(dataDir, "bookie", "ledgers")},
		Store:        st.store.NewSession(),
		MaxEntrySize: max(cfg.MaxMessageSize, 5<<20) + 64<<10,
	})
	if err != nil {
		st.close(nil)
		return nil, fmt.Errorf("standalone: bookie: %w", err)
	}
	local := st.bk.LocalClient()
	st.ledgers, err = ledger.NewClient(ledger.Config{
		Store: st.store,
		Dial: func(id string) (bookie.Client, error) {
			if id != bookieID {
				return nil, fmt.Errorf("standalone: unknown bookie %s", id)
			}
			return local, nil
		},
	})
	if err != nil {
		st.close(nil)
		return nil, fmt.Errorf("standalone: ledger client: %w", err)
	}
	st.mlf, err = managedledger.NewFactory(managedledger.FactoryConfig{
		Store:          st.store,
		Ledgers:        st.ledgers,
		CacheSizeBytes: int64(cfg.ManagedLedgerCacheSizeMB) << 20,
	})
	if err != nil {
		st.close(nil)
		return nil, fmt.Errorf("standalone: managed ledgers: %w", err)
	}
	return st, nil
}

// close closes the layers top down: managed ledgers (cursors persisted, ledgers closed),
// the bookie (journal and write cache flushed), the metadata store.
func (st *storage) close(log *slog.Logger) {
	report := func(what string, err error) {
		if err != nil && log != nil {
			log.Warn("standalone: close "+what, "err", err)
		}
	}
	if st.mlf != nil {
		report("managed ledgers", st.mlf.Close())
	}
	if st.bk != nil {
		report("bookie", st.bk.Close())
	}
	if st.store != nil {
		report("metadata store", st.store.Close())
	}
}
