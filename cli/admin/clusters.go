package admin

import (
	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/spf13/cobra"
)

func clustersCommand(o *options) *cobra.Command {
	var d utils.ClusterData
	urlFlags := func(cmd *cobra.Command) *cobra.Command {
		f := cmd.Flags()
		f.StringVar(&d.ServiceURL, "url", "", "web service URL (http://host:8080)")
		f.StringVar(&d.ServiceURLTls, "url-secure", "", "TLS web service URL")
		f.StringVar(&d.BrokerServiceURL, "broker-url", "", "broker service URL (pulsar://host:6650)")
		f.StringVar(&d.BrokerServiceURLTls, "broker-url-secure", "", "TLS broker service URL")
		return cmd
	}
	var peers string
	updatePeers := o.verb("update-peer-clusters CLUSTER", "Set a cluster's peer clusters", 1, func(c pa.Client, args []string) (any, error) {
		return nil, c.Clusters().UpdatePeerClusters(args[0], splitList(peers))
	})
	updatePeers.Flags().StringVar(&peers, "peer-clusters", "", "comma-separated peer cluster names")
	return group("clusters", "Operations about clusters", []string{"cluster"},
		o.verb("list", "List clusters", 0, func(c pa.Client, _ []string) (any, error) { return c.Clusters().List() }),
		o.verb("get CLUSTER", "Get a cluster's data", 1, func(c pa.Client, args []string) (any, error) { return c.Clusters().Get(args[0]) }),
		urlFlags(o.verb("create CLUSTER", "Create a cluster", 1, func(c pa.Client, args []string) (any, error) {
			d.Name = args[0]
			return nil, c.Clusters().Create(d)
		})),
		urlFlags(o.verb("update CLUSTER", "Update a cluster's URLs", 1, func(c pa.Client, args []string) (any, error) {
			d.Name = args[0]
			return nil, c.Clusters().Update(d)
		})),
		updatePeers,
		o.verb("get-peer-clusters CLUSTER", "Get a cluster's peer clusters", 1, func(c pa.Client, args []string) (any, error) {
			return c.Clusters().GetPeerClusters(args[0])
		}),
		o.verb("delete CLUSTER", "Delete a cluster", 1, func(c pa.Client, args []string) (any, error) {
			return nil, c.Clusters().Delete(args[0])
		}),
	)
}
