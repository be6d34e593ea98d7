// Command magnetar is every role of Magnetar in one binary: standalone, broker, bookie, and
// the admin, client and perf tools. This file only wires the roles' commands together.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/magnetar/magnetar/bookie/bookiecmd"
	"github.com/magnetar/magnetar/brokercmd"
	cliadmin "github.com/magnetar/magnetar/cli/admin"
	"github.com/magnetar/magnetar/cli/client"
	"github.com/magnetar/magnetar/cli/perf"
	"github.com/magnetar/magnetar/standalone"
)

func main() {
	root := &cobra.Command{
		Use:           "magnetar",
		Short:         "Magnetar: a Pulsar-compatible event streaming platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands()...)
	if err := root.Execute(); err != nil {
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
