package standalone

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// NewCommand returns `magnetar standalone`.
func NewCommand() *cobra.Command {
	var opts Options
	cmd := &cobra.Command{
		Use:   "standalone",
		Short: "Run a broker, a bookie and the metadata store in one process (pulsar standalone)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Flags left at their defaults do not override a config file's ports.
			if !cmd.Flags().Changed("broker-port") && opts.ConfigFile != "" {
				opts.BrokerPort = 0
			}
			if !cmd.Flags().Changed("web-port") && opts.ConfigFile != "" {
				opts.WebPort = 0
			}
			opts.Logger = slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
			slog.SetDefault(opts.Logger)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return Run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DataDir, "data-dir", "data", "directory for metadata, journal and ledgers")
	f.IntVar(&opts.BrokerPort, "broker-port", 6650, "Pulsar binary protocol port (brokerServicePort)")
	f.IntVar(&opts.WebPort, "web-port", 8080, "HTTP port for /metrics, lookups and the admin API (webServicePort)")
	f.StringVar(&opts.ConfigFile, "config", "", "Pulsar-style key=value configuration file (standalone.conf keys)")
	return cmd
}
