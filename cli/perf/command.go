package perf

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/spf13/cobra"
)

// NewCommand returns `magnetar perf` with its produce and consume subcommands. Flag names
// follow pulsar-perf where it has one (--rate, --size, --num-messages, --test-duration).
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Measure publish and consume throughput and latency",
		PersistentPreRun: func(*cobra.Command, []string) {
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(perfGCPercent)
			}
		},
	}
	cmd.AddCommand(produceCommand(), consumeCommand())
	return cmd
}

// perfGCPercent is the perf tool's GOGC unless the environment sets one. The client's
// live heap is a few MiB, so at the default 100 a run at 180k msg/s collects about 70
// times a second, and its mark assists stall sends and receipts into the measured
// latency; pulsar-perf likewise runs with a large heap.
const perfGCPercent = 800

func produceCommand() *cobra.Command {
	var o ProduceOptions
	var compression, histogramFile string
	var seconds int
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Publish messages as fast as possible (or at --rate) and report msg/s, MB/s and publish latency",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Topic = args[0]
			o.Duration = secondsDuration(seconds)
			c, err := parseCompression(compression)
			if err != nil {
				return err
			}
			o.Compression = c
			o.Report = cmd.OutOrStdout()
			res, err := Produce(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "produce:", res)
			if histogramFile == "" {
				return nil
			}
			f, err := os.Create(histogramFile)
			if err != nil {
				return fmt.Errorf("perf: histogram file: %w", err)
			}
			if err := WriteDistribution(f, res.Latency); err != nil {
				f.Close()
				return fmt.Errorf("perf: write histogram: %w", err)
			}
			return f.Close()
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.ServiceURL, "service-url", "u", "pulsar://localhost:6650", "broker service URL")
	f.IntVarP(&o.Size, "size", "s", 1024, "message size in bytes")
	f.IntVarP(&o.Rate, "rate", "r", 0, "messages per second over all producers (0: as fast as possible)")
	f.Int64VarP(&o.Messages, "num-messages", "m", 0, "stop after this many messages (0: no limit)")
	f.IntVarP(&seconds, "test-duration", "d", 30, "stop after this many seconds (0: no limit)")
	f.IntVarP(&o.Producers, "num-producers", "n", 1, "number of producers")
	f.IntVarP(&o.MaxPending, "max-outstanding", "o", 1000, "max pending messages per producer")
	f.BoolVar(&o.NoBatching, "disable-batching", false, "send every message on its own")
	f.DurationVar(&o.BatchDelay, "batch-time-window", 0, "batching delay (default 1ms)")
	f.UintVar(&o.BatchMax, "batch-max-messages", 1000, "max messages per batch")
	f.UintVar(&o.BatchBytes, "batch-max-bytes", 128<<10, "max bytes per batch")
	f.StringVarP(&compression, "compression", "z", "none", "none, lz4, zlib or zstd")
	f.DurationVar(&o.ReportEvery, "stats-interval", 0, "interval between progress lines (default 10s)")
	f.StringVar(&histogramFile, "histogram-file", "", "write the publish latency HDR percentile distribution (ms) to this file")
	return cmd
}

func consumeCommand() *cobra.Command {
	var o ConsumeOptions
	var subType string
	var seconds int
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Receive and acknowledge messages and report msg/s, MB/s and end-to-end latency",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Topic = args[0]
			o.Duration = secondsDuration(seconds)
			t, err := parseSubType(subType)
			if err != nil {
				return err
			}
			o.Type = t
			res, err := Consume(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "consume:", res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.ServiceURL, "service-url", "u", "pulsar://localhost:6650", "broker service URL")
	f.StringVarP(&o.Subscription, "subscriber-name", "S", "sub", "subscription name")
	f.StringVarP(&subType, "subscription-type", "t", "Exclusive", "Exclusive, Shared, Failover or Key_Shared")
	f.BoolVar(&o.Earliest, "earliest", false, "start from the earliest message")
	f.Int64VarP(&o.Messages, "num-messages", "m", 0, "stop after this many messages (0: no limit)")
	f.IntVarP(&seconds, "test-duration", "d", 30, "stop after this many seconds (0: no limit)")
	f.IntVarP(&o.QueueSize, "receiver-queue-size", "q", 1000, "receiver queue size")
	return cmd
}

func secondsDuration(s int) (d time.Duration) { return time.Duration(s) * time.Second }

func parseCompression(s string) (pulsar.CompressionType, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return pulsar.NoCompression, nil
	case "lz4":
		return pulsar.LZ4, nil
	case "zlib":
		return pulsar.ZLib, nil
	case "zstd":
		return pulsar.ZSTD, nil
	}
	return 0, fmt.Errorf("perf: unknown compression %q (none, lz4, zlib, zstd)", s)
}

func parseSubType(s string) (pulsar.SubscriptionType, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "")) {
	case "exclusive":
		return pulsar.Exclusive, nil
	case "shared":
		return pulsar.Shared, nil
	case "failover":
		return pulsar.Failover, nil
	case "keyshared":
		return pulsar.KeyShared, nil
	}
	return 0, fmt.Errorf("perf: unknown subscription type %q", s)
}
