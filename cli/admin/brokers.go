package admin

import (
	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/spf13/cobra"
)

func brokersCommand(o *options) *cobra.Command {
	return group("brokers", "Operations about brokers", []string{"broker"},
		o.verbArgs("list [CLUSTER]", "List the active brokers (of a cluster)", cobra.MaximumNArgs(1), func(c pa.Client, args []string) (any, error) {
			if len(args) == 1 {
				return c.Brokers().GetActiveBrokers(args[0])
			}
			return c.Brokers().GetListActiveBrokers()
		}),
		o.verb("healthcheck", "Check that the broker can produce and consume", 0, func(c pa.Client, _ []string) (any, error) {
			if err := c.Brokers().HealthCheck(); err != nil {
				return nil, err
			}
			return "ok", nil
		}),
		o.verb("leader-broker", "Get the leader broker", 0, func(c pa.Client, _ []string) (any, error) {
			return c.Brokers().GetLeaderBroker()
		}),
	)
}
