package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// ClusterInit describes what InitializeCluster creates when it is missing.
type ClusterInit struct {
	Cluster          string
	ServiceURL       string // http://host:webPort
	BrokerServiceURL string // pulsar://host:brokerPort
}

// InitializeCluster creates what a Pulsar standalone creates on its first start and
// leaves alone what exists: the cluster, tenant "public" with namespace "public/default",
// and tenant "pulsar" with namespace "pulsar/system".
func InitializeCluster(ctx context.Context, res *resources.Resources, in ClusterInit) error {
	err := res.CreateCluster(ctx, in.Cluster, resources.ClusterData{
		ServiceURL:       in.ServiceURL,
		BrokerServiceURL: in.BrokerServiceURL,
	})
	if err != nil && !errors.Is(err, resources.ErrExists) {
		return fmt.Errorf("create cluster %s: %w", in.Cluster, err)
	}
	for _, ns := range []struct{ tenant, name string }{{"public", "default"}, {"pulsar", "system"}} {
		err := res.CreateTenant(ctx, ns.tenant, resources.TenantInfo{AllowedClusters: []string{in.Cluster}})
		if err != nil && !errors.Is(err, resources.ErrExists) {
			return fmt.Errorf("create tenant %s: %w", ns.tenant, err)
		}
		n := topicname.Namespace{Tenant: ns.tenant, Name: ns.name}
		p := resources.NewPolicies()
		p.ReplicationClusters = []string{in.Cluster}
		if err := res.CreateNamespace(ctx, n, p); err != nil && !errors.Is(err, resources.ErrExists) {
			return fmt.Errorf("create namespace %s: %w", n, err)
		}
	}
	return nil
}
