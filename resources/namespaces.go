package resources

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

// ListNamespaces returns a tenant's namespaces, sorted.
func (r *Resources) ListNamespaces(ctx context.Context, tenant string) ([]topicname.Namespace, error) {
	if ok, err := r.TenantExists(ctx, tenant); err != nil {
		return nil, err
	} else if !ok {
		return nil, errTenantNotFound
	}
	names, err := r.records(ctx, tenantKey(tenant))
	if err != nil {
		return nil, err
	}
	out := make([]topicname.Namespace, 0, len(names))
	for _, n := range names {
		out = append(out, topicname.Namespace{Tenant: tenant, Name: n})
	}
	return out, nil
}

// NamespaceExists reports whether a namespace exists.
func (r *Resources) NamespaceExists(ctx context.Context, ns topicname.Namespace) (bool, error) {
	return r.exists(ctx, namespaceKey(ns))
}

// missingNamespace is the reason for a namespace that is not there: Pulsar says
// "Tenant does not exist" when the tenant is missing too.
func (r *Resources) missingNamespace(ctx context.Context, ns topicname.Namespace) error {
	if ok, err := r.exists(ctx, tenantKey(ns.Tenant)); err == nil && !ok {
		return errTenantNotFound
	}
	return errNamespaceNotFound
}

func (r *Resources) policiesOf(ctx context.Context, ns topicname.Namespace) (*Policies, error) {
	p := NewPolicies()
	_, err := r.getJSON(ctx, namespaceKey(ns), p)
	if errors.Is(err, metadata.ErrNotFound) {
		return nil, r.missingNamespace(ctx, ns)
	}
	if err != nil {
		return nil, err
	}
	p.normalize()
	return p, nil
}

// GetPolicies returns a namespace's policies.
func (r *Resources) GetPolicies(ctx context.Context, ns topicname.Namespace) (*Policies, error) {
	return r.policiesOf(ctx, ns)
}

// CreateNamespace creates a namespace with the given initial policies (nil: defaults).
// As Pulsar: replication clusters default to the local cluster and must be allowed for
// the tenant; bundles default to the broker's defaultNumberOfNamespaceBundles.
func (r *Resources) CreateNamespace(ctx context.Context, ns topicname.Namespace, p *Policies) error {
	if _, err := topicname.NewNamespace(ns.Tenant, ns.Name); err != nil {
		return newErr(ErrInvalid, "Namespace name is not valid")
	}
	tenant, err := r.GetTenant(ctx, ns.Tenant)
	if err != nil {
		return err
	}
	if ok, err := r.exists(ctx, namespaceKey(ns)); err != nil {
		return err
	} else if ok {
		return errNamespaceExists
	}
	if p == nil {
		p = NewPolicies()
	}
	p.normalize()
	if len(p.ReplicationClusters) == 0 && r.Defaults().ClusterName != "" {
		p.ReplicationClusters = []string{r.Defaults().ClusterName}
	}
	if err := r.validateReplicationClusters(ctx, ns.Tenant, tenant, p.ReplicationClusters); err != nil {
		return err
	}
	if p.Bundles == nil || (p.Bundles.NumBundles <= 0 && len(p.Bundles.Boundaries) == 0) {
		p.Bundles = DefaultBundles(max(r.Defaults().DefaultNumberOfNamespaceBundles, 1))
	} else if p.Bundles, err = ValidateBundles(p.Bundles); err != nil {
		return err
	}
	if err := p.validate(); err != nil {
		return err
	}
	return r.create(ctx, namespaceKey(ns), p, errNamespaceExists)
}

// validateReplicationClusters: every cluster must exist and be allowed for the tenant.
func (r *Resources) validateReplicationClusters(ctx context.Context, tenantName string, tenant TenantInfo, clusters []string) error {
	for _, c := range clusters {
		if c == "global" {
			return newErr(ErrInvalid, "Cannot specify global in the list of replication clusters")
		}
		if ok, err := r.exists(ctx, clusterKey(c)); err != nil {
			return err
		} else if !ok {
			return newErr(ErrInvalid, "Invalid cluster id: %s", c)
		}
		if !slices.Contains(tenant.AllowedClusters, c) && !slices.Contains(tenant.AllowedClusters, "global") {
			return newErr(ErrDenied, "Cluster [%s] is not in the list of allowed clusters list for tenant [%s]", c, tenantName)
		}
	}
	return nil
}

// SetReplicationClusters sets a namespace's replication clusters after checking them.
func (r *Resources) SetReplicationClusters(ctx context.Context, ns topicname.Namespace, clusters []string) error {
	tenant, err := r.GetTenant(ctx, ns.Tenant)
	if err != nil {
		return err
	}
	if len(clusters) == 0 {
		return newErr(ErrInvalid, "ClusterIds should not be null or empty")
	}
	if err := r.validateReplicationClusters(ctx, ns.Tenant, tenant, clusters); err != nil {
		return err
	}
	return r.UpdatePolicies(ctx, ns, func(p *Policies) error {
		p.ReplicationClusters = slices.Clone(clusters)
		return nil
	})
}

// UpdatePolicies applies fn to a namespace's policies with compare-and-set. The result
// is validated; if fn or validation fails nothing is written.
func (r *Resources) UpdatePolicies(ctx context.Context, ns topicname.Namespace, fn func(p *Policies) error) error {
	if ok, err := r.exists(ctx, namespaceKey(ns)); err != nil {
		return err
	} else if !ok {
		return r.missingNamespace(ctx, ns)
	}
	return update(ctx, r, namespaceKey(ns), errNamespaceNotFound, func(p *Policies) error {
		p.normalize()
		if err := fn(p); err != nil {
			return err
		}
		p.normalize()
		return p.validate()
	})
}

// DeleteNamespace removes a namespace's record together with its partitioned topics and
// topic policies. Unless force, a namespace with partitioned topics is refused; the
// caller (which knows the broker's live topics) checks those first.
func (r *Resources) DeleteNamespace(ctx context.Context, ns topicname.Namespace, force bool) error {
	if ok, err := r.exists(ctx, namespaceKey(ns)); err != nil {
		return err
	} else if !ok {
		return r.missingNamespace(ctx, ns)
	}
	if !force {
		for _, d := range []topicname.Domain{topicname.Persistent, topicname.NonPersistent} {
			topics, err := r.ListPartitionedTopics(ctx, ns, d)
			if err != nil {
				return err
			}
			if len(topics) > 0 {
				return newErr(ErrNotEmpty, "Cannot delete non empty namespace")
			}
		}
	}
	for _, key := range []string{
		PartitionedTopicsPath + "/" + ns.String(),
		TopicPoliciesPath + "/" + ns.String(),
		namespaceKey(ns),
	} {
		if err := metadata.DeleteRecursive(ctx, r.store, key); err != nil {
			return fmt.Errorf("delete namespace %s: %w", ns, err)
		}
	}
	return nil
}
