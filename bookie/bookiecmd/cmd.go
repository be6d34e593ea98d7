// Package bookiecmd is the `magnetar bookie` command: a storage node of a cluster that
// registers in the metadata store and serves the bookie protocol over TCP.
package bookiecmd

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewCommand returns the `magnetar bookie` command.
func NewCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "bookie",
		Short: "Run a bookie (storage node) of a Magnetar cluster",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("bookie: not implemented yet")
		},
	}
}
