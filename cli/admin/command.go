// Package admin is `magnetar admin`: the pulsar-admin of Magnetar, a REST client of the
// admin API v2 built on the official Go admin client (pulsaradmin).
package admin

import "github.com/spf13/cobra"

// NewCommand returns `magnetar admin` with the pulsar-admin command tree.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Administer tenants, namespaces, topics, clusters and brokers (pulsar-admin)"}
	return cmd
}
