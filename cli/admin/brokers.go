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
		o.verb("list-dynamic-config", "List the configuration keys that can be updated at run time", 0,
			func(c pa.Client, _ []string) (any, error) { return c.Brokers().GetDynamicConfigurationNames() }),
		o.verb("get-all-dynamic-config", "Get the dynamic configuration values set", 0,
			func(c pa.Client, _ []string) (any, error) { return c.Brokers().GetAllDynamicConfigurations() }),
		o.verb("get-runtime-config", "Get every configuration value in force", 0,
			func(c pa.Client, _ []string) (any, error) { return c.Brokers().GetRuntimeConfigurations() }),
		o.configVerb("update-dynamic-config", "Update a dynamic configuration value on every broker", true),
		o.configVerb("delete-dynamic-config", "Delete a dynamic configuration value (the file's value applies)", false),
	)
}

// configVerb is update-dynamic-config (--config, --value) or delete-dynamic-config
// (--config), as pulsar-admin spells them.
func (o *options) configVerb(use, short string, update bool) *cobra.Command {
	var name, value string
	cmd := o.verb(use, short, 0, func(c pa.Client, _ []string) (any, error) {
		if update {
			return nil, c.Brokers().UpdateDynamicConfiguration(name, value)
		}
		return nil, c.Brokers().DeleteDynamicConfiguration(name)
	})
	cmd.Flags().StringVarP(&name, "config", "c", "", "configuration key")
	cmd.MarkFlagRequired("config")
	if update {
		cmd.Flags().StringVarP(&value, "value", "v", "", "new value")
		cmd.MarkFlagRequired("value")
	}
	return cmd
}
