// Package brokercmd is `magnetar broker`: a broker of a cluster. Metadata lives in an
// external store (etcd or ZooKeeper, or an embedded one), and the broker's managed ledgers
// write to the bookies registered there, over the bookie protocol.
package brokercmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
	"github.com/magnetar/magnetar/broker"
	"github.com/magnetar/magnetar/ledger"
	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/schema"
)

// Options are the command's settings; flags override the configuration file.
type Options struct {
	// MetadataURL names the metadata store (metadataStoreUrl): etcd://, zk:// or
	// embedded:///dir; empty takes the configuration's, else an embedded store in DataDir.
	MetadataURL string
	// BrokerPort and WebPort override the configuration when > 0; -1 picks a free port.
	BrokerPort, WebPort int
	DataDir             string
	ConfigFile          string
	Logger              *slog.Logger
	// Ready, if set, is called once the broker serves, with its service and web URLs.
	Ready func(brokerURL, webURL string)
}

// NewCommand returns `magnetar broker`.
func NewCommand() *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a broker of a Magnetar cluster (metadata on etcd or ZooKeeper, bookies over TCP)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.ConfigFile != "" {
				if !cmd.Flags().Changed("broker-port") {
					opts.BrokerPort = 0
				}
				if !cmd.Flags().Changed("web-port") {
					opts.WebPort = 0
				}
			}
			opts.Logger = slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
			slog.SetDefault(opts.Logger)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return Run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.MetadataURL, "metadata-url", "", "metadata store URL: etcd://h:p[,h:p][/prefix], zk://h:p[,h:p][/chroot] or embedded:///dir (metadataStoreUrl)")
	f.IntVar(&opts.BrokerPort, "broker-port", 6650, "Pulsar binary protocol port (brokerServicePort)")
	f.IntVar(&opts.WebPort, "web-port", 8080, "HTTP port for /metrics, lookups and the admin API (webServicePort)")
	f.StringVar(&opts.DataDir, "data-dir", filepath.Join("data", "broker"), "local data directory (an embedded metadata store lives here)")
	f.StringVar(&opts.ConfigFile, "config", "", "Pulsar-style key=value configuration file (broker.conf keys)")
	return cmd
}

// Run serves until ctx is done, then shuts down cleanly.
func Run(ctx context.Context, opts Options) error {
	began := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg := broker.DefaultConfig()
	// A cluster broker replicates as Pulsar's broker.conf does (standalone keeps one copy).
	cfg.ManagedLedgerDefaultEnsembleSize = 2
	cfg.ManagedLedgerDefaultWriteQuorum = 2
	cfg.ManagedLedgerDefaultAckQuorum = 2
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
	if opts.MetadataURL != "" {
		cfg.MetadataStoreURL = opts.MetadataURL
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return fmt.Errorf("broker: data dir: %w", err)
	}

	webLn, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.WebServicePort)))
	if err != nil {
		return fmt.Errorf("broker: web port: %w", err)
	}
	defer webLn.Close()
	webPort := webLn.Addr().(*net.TCPAddr).Port

	store, err := connect.Open(ctx, cfg.MetadataStoreURL, opts.DataDir)
	if err != nil {
		return fmt.Errorf("broker: metadata store %q: %w", cfg.MetadataStoreURL, err)
	}
	defer store.Close()
	ledgers, err := ledger.NewClient(ledger.Config{
		Store: store,
		Dial:  func(id string) (bookie.Client, error) { return bkproto.Dial(id) },
	})
	if err != nil {
		return fmt.Errorf("broker: ledger client: %w", err)
	}
	mlf, err := managedledger.NewFactory(managedledger.FactoryConfig{
		Store: store, Ledgers: ledgers, CacheSizeBytes: int64(cfg.ManagedLedgerCacheSizeMB) << 20,
	})
	if err != nil {
		return fmt.Errorf("broker: managed ledgers: %w", err)
	}
	defer func() {
		if err := mlf.Close(); err != nil {
			log.Warn("broker: close managed ledgers", "err", err)
		}
	}()

	res := resources.New(store, cfg.ResourceDefaults())
	b, err := broker.New(broker.Options{Config: cfg, Store: store, Ledgers: mlf, Resources: res,
		Schemas: schema.New(store), Logger: log})
	if err != nil {
		return err
	}
	if err := b.Start(ctx, webPort); err != nil {
		return err
	}
	webURL := "http://" + net.JoinHostPort(cfg.AdvertisedAddress, strconv.Itoa(webPort))
	if err := bootstrap(ctx, res, cfg.ClusterName, webURL, b.ServiceURL()); err != nil {
		_ = b.Close(context.Background())
		return err
	}
	web := &http.Server{Handler: b.WebHandler(), ReadHeaderTimeout: 10 * time.Second}
	webDone := make(chan error, 1)
	go func() { webDone <- web.Serve(webLn) }()
	log.Info(fmt.Sprintf("magnetar broker ready: %s %s (started in %dms)", b.ServiceURL(), webURL, time.Since(began).Milliseconds()))
	if opts.Ready != nil {
		opts.Ready(b.ServiceURL(), webURL)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-webDone:
		runErr = fmt.Errorf("broker: web server: %w", err)
	}
	log.Info("magnetar broker shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = web.Shutdown(shutCtx)
	if err := b.Close(shutCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("broker: close: %w", err))
	}
	return runErr
}

// bootstrap creates the cluster, public/default and pulsar/system if this is the first
// broker of the cluster (Pulsar's initialize-cluster-metadata).
func bootstrap(ctx context.Context, res *resources.Resources, cluster, webURL, brokerURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := res.GetCluster(ctx, cluster); err == nil {
		return nil
	} else if !errors.Is(err, resources.ErrNotFound) && !errors.Is(err, metadata.ErrNotFound) {
		return fmt.Errorf("broker: cluster %s: %w", cluster, err)
	}
	if err := res.Bootstrap(ctx, cluster, resources.ClusterData{ServiceURL: webURL, BrokerServiceURL: brokerURL}); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	return nil
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
