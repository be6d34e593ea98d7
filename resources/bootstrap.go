package resources

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/magnetar/magnetar/resources/topicname"
)

// Bootstrap creates what a Pulsar standalone has on first start — cluster clusterName
// with the given service URLs, tenants "public" and "pulsar" allowed on it, and the
// namespaces public/default, public/functions and pulsar/system — keeping whatever
// already exists (it is safe to run on every start). An existing cluster's URLs are
// refreshed, so a restart on new ports is visible to lookups.
func (r *Resources) Bootstrap(ctx context.Context, clusterName string, urls ClusterData) error {
	err := r.CreateCluster(ctx, clusterName, urls)
	if errors.Is(err, ErrExists) {
		err = update(ctx, r, clusterKey(clusterName), errClusterNotFound, func(c *ClusterData) error {
			c.ServiceURL, c.ServiceURLTLS = urls.ServiceURL, urls.ServiceURLTLS
			c.BrokerServiceURL, c.BrokerServiceURLTLS = urls.BrokerServiceURL, urls.BrokerServiceURLTLS
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("bootstrap cluster %s: %w", clusterName, err)
	}
	for _, tenant := range []string{"public", "pulsar"} {
		err := r.CreateTenant(ctx, tenant, TenantInfo{AllowedClusters: []string{clusterName}})
		if errors.Is(err, ErrExists) {
			err = update(ctx, r, tenantKey(tenant), errTenantNotFound, func(t *TenantInfo) error {
				if !slices.Contains(t.AllowedClusters, clusterName) {
					t.AllowedClusters = append(t.AllowedClusters, clusterName)
				}
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("bootstrap tenant %s: %w", tenant, err)
		}
	}
	for _, ns := range []topicname.Namespace{
		{Tenant: "public", Name: "default"},
		{Tenant: "public", Name: "functions"},
		{Tenant: "pulsar", Name: "system"},
	} {
		p := NewPolicies()
		p.ReplicationClusters = []string{clusterName}
		if err := r.CreateNamespace(ctx, ns, p); err != nil && !errors.Is(err, ErrExists) {
			return fmt.Errorf("bootstrap namespace %s: %w", ns, err)
		}
	}
	return nil
}
