// Package bookiecmd is the `magnetar bookie` command: a storage node of a cluster that
// registers in the metadata store and serves the bookie protocol over TCP.
package bookiecmd

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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/magnetar/magnetar/bookie"
	"github.com/magnetar/magnetar/bookie/bkproto"
	"github.com/magnetar/magnetar/metadata/connect"
)

// Options are the command's settings.
type Options struct {
	// MetadataURL names the metadata store (metadata/connect); "" is an embedded store
	// in <DataDir>/metadata.
	MetadataURL string
	// Port is the bookie protocol port (bookiePort); 0 picks a free one.
	Port int
	// DataDir holds the ledgers (<DataDir>/ledgers) and, by default, the journal.
	DataDir string
	// JournalDir defaults to <DataDir>/journal.
	JournalDir string
	// Rack is the placement label; default "/default-rack".
	Rack string
	// AdvertisedAddress is the host others reach this bookie at; default the hostname.
	AdvertisedAddress string
	// HTTPPort serves /metrics (Prometheus, BookKeeper's names) and /heartbeat
	// (prometheusStatsHttpPort); 0 picks a free port, -1 disables.
	HTTPPort int
}

// NewCommand returns the `magnetar bookie` command.
func NewCommand() *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "bookie",
		Short: "Run a bookie (storage node) of a Magnetar cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo})))
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return Run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.MetadataURL, "metadata-url", "", "metadata store URL: etcd://h:p[,h:p][/prefix], zk://h:p[,h:p][/chroot] or embedded:///dir (metadataStoreUrl); empty: embedded in <data-dir>/metadata")
	f.IntVar(&opts.Port, "bookie-port", 3181, "bookie protocol port (bookiePort)")
	f.StringVar(&opts.DataDir, "data-dir", filepath.Join("data", "bookie"), "data directory; ledgers go to <data-dir>/ledgers (ledgerDirectories)")
	f.StringVar(&opts.JournalDir, "journal-dir", "", "journal directory, ideally on its own disk (journalDirectory); default <data-dir>/journal")
	f.StringVar(&opts.Rack, "rack", "", "rack label for rack-aware placement; default /default-rack")
	f.StringVar(&opts.AdvertisedAddress, "advertised-address", "", "host name or IP other nodes reach this bookie at (advertisedAddress); default the hostname")
	f.IntVar(&opts.HTTPPort, "http-port", 8000, "HTTP port for /metrics and /heartbeat (prometheusStatsHttpPort); -1 disables")
	return cmd
}

// Run runs a bookie until ctx is done, then closes it cleanly.
func Run(ctx context.Context, opts Options) error {
	if opts.DataDir == "" {
		return errors.New("bookie: --data-dir must not be empty")
	}
	if opts.JournalDir == "" {
		opts.JournalDir = filepath.Join(opts.DataDir, "journal")
	}
	host := opts.AdvertisedAddress
	if host == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("bookie: no --advertised-address and no hostname: %w", err)
		}
		host = h
	}
	store, err := connect.Open(ctx, opts.MetadataURL, opts.DataDir)
	if err != nil {
		return fmt.Errorf("bookie: metadata store: %w", err)
	}
	defer store.Close()
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(opts.Port))
	if err != nil {
		return fmt.Errorf("bookie: listen: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	id := net.JoinHostPort(host, strconv.Itoa(port))
	b, err := bookie.Open(bookie.Config{
		ID:         id,
		JournalDir: opts.JournalDir,
		LedgerDirs: []string{filepath.Join(opts.DataDir, "ledgers")},
		Rack:       opts.Rack,
		Store:      store,
	})
	if err != nil {
		ln.Close()
		return err
	}
	srv := bkproto.NewServer(b)
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	httpAddr := "off"
	var hs *http.Server
	if opts.HTTPPort >= 0 {
		hln, err := net.Listen("tcp", ":"+strconv.Itoa(opts.HTTPPort))
		if err != nil {
			srv.Close()
			b.Close()
			return fmt.Errorf("bookie: listen http: %w", err)
		}
		httpAddr = hln.Addr().String()
		hs = &http.Server{Handler: httpHandler(b), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := hs.Serve(hln); !errors.Is(err, http.ErrServerClosed) {
				served <- err
			}
		}()
	}
	slog.Info("bookie ready", "id", id, "listen", ln.Addr().String(), "http", httpAddr, "journal", opts.JournalDir, "data", opts.DataDir, "read_only", b.ReadOnly())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		serveErr = fmt.Errorf("bookie: serve: %w", serveErr)
	}
	slog.Info("bookie stopping", "id", id)
	if hs != nil {
		hs.Close()
	}
	srv.Close()
	closeErr := b.Close()
	if err := errors.Join(serveErr, closeErr); err != nil {
		return err
	}
	slog.Info("bookie stopped", "id", id)
	return nil
}

// httpHandler serves /metrics (the bookie's and the Go runtime's) and /heartbeat.
func httpHandler(b *bookie.Bookie) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/heartbeat", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "OK")
	})
	return mux
}
