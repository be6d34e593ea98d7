// Command magnetar is every role of Magnetar in one binary: standalone, broker, bookie, and
// the admin, client and perf tools. This file only wires the roles' commands together.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"

	"github.com/spf13/cobra"

	"github.com/magnetar/magnetar/bookie/bookiecmd"
	"github.com/magnetar/magnetar/brokercmd"
	cliadmin "github.com/magnetar/magnetar/cli/admin"
	"github.com/magnetar/magnetar/cli/client"
	"github.com/magnetar/magnetar/cli/perf"
	"github.com/magnetar/magnetar/standalone"
)

func main() {
	cobra.EnableTraverseRunHooks = true // the roles' own hooks run after the root's profiling hook
	root := &cobra.Command{
		Use:           "magnetar",
		Short:         "Magnetar: a Pulsar-compatible event streaming platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands()...)
	stopProfile := profileFlags(root)
	err := root.Execute()
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "magnetar:", err)
		os.Exit(1)
	}
}

// commands lists every role's command; each package owns its flags.
func commands() []*cobra.Command {
	return []*cobra.Command{
		bookiecmd.NewCommand(),
		brokercmd.NewCommand(),
		cliadmin.NewCommand(),
		client.NewCommand(),
		perf.NewCommand(),
		standalone.NewCommand(),
	}
}

// profileFlags adds the hidden --cpuprofile and --trace flags, for measuring where any
// role spends its CPU and its time (the performance work profiles standalone and perf
// this way). It returns the function that ends them.
func profileFlags(root *cobra.Command) (stop func()) {
	var cpuPath, tracePath string
	var cpuFile, traceFile *os.File
	f := root.PersistentFlags()
	f.StringVar(&cpuPath, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	f.StringVar(&tracePath, "trace", "", "write an execution trace (go tool trace) to this file")
	_ = f.MarkHidden("cpuprofile")
	_ = f.MarkHidden("trace")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		var err error
		if cpuPath != "" {
			if cpuFile, err = os.Create(cpuPath); err != nil {
				return fmt.Errorf("cpuprofile: %w", err)
			}
			if err = pprof.StartCPUProfile(cpuFile); err != nil {
				return fmt.Errorf("cpuprofile: %w", err)
			}
		}
		if tracePath != "" {
			if traceFile, err = os.Create(tracePath); err != nil {
				return fmt.Errorf("trace: %w", err)
			}
			if err = trace.Start(traceFile); err != nil {
				return fmt.Errorf("trace: %w", err)
			}
		}
		return nil
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if traceFile != nil {
			trace.Stop()
			traceFile.Close()
		}
	}
}
