package resources

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

// ListTenants returns the names of all tenants, sorted.
func (r *Resources) ListTenants(ctx context.Context) ([]string, error) {
	return r.records(ctx, PoliciesPath)
}

// GetTenant returns a tenant's info.
func (r *Resources) GetTenant(ctx context.Context, tenant string) (TenantInfo, error) {
	var t TenantInfo
	_, err := r.getJSON(ctx, tenantKey(tenant), &t)
	if errors.Is(err, metadata.ErrNotFound) {
		return t, errTenantNotFound
	}
	t.normalize()
	return t, err
}

func (t *TenantInfo) normalize() {
	if t.AdminRoles == nil {
		t.AdminRoles = []string{}
	}
	if t.AllowedClusters == nil {
		t.AllowedClusters = []string{}
	}
}

// TenantExists reports whether the tenant exists.
func (r *Resources) TenantExists(ctx context.Context, tenant string) (bool, error) {
	if topicname.CheckName(tenant) != nil {
		return false, nil
	}
	return r.exists(ctx, tenantKey(tenant))
}

// validateTenantInfo follows Pulsar: allowed clusters must be non-empty and exist.
func (r *Resources) validateTenantInfo(ctx context.Context, info TenantInfo) error {
	if len(info.AllowedClusters) == 0 || slices.ContainsFunc(info.AllowedClusters, func(c string) bool {
		return strings.TrimSpace(c) == ""
	}) {
		return newErr(ErrInvalid, "Clusters can not be empty")
	}
	for _, c := range info.AllowedClusters {
		if c == "global" {
			continue
		}
		ok, err := r.exists(ctx, clusterKey(c))
		if err != nil {
			return err
		}
		if !ok {
			return newErr(ErrInvalid, "Clusters do not exist")
		}
	}
	return nil
}

// CreateTenant adds a tenant.
func (r *Resources) CreateTenant(ctx context.Context, tenant string, info TenantInfo) error {
	if err := topicname.CheckName(tenant); err != nil {
		return newErr(ErrInvalid, "Tenant name is not valid")
	}
	if ok, err := r.exists(ctx, tenantKey(tenant)); err != nil {
		return err
	} else if ok {
		return errTenantExists
	}
	if err := r.validateTenantInfo(ctx, info); err != nil {
		return err
	}
	info.normalize()
	return r.create(ctx, tenantKey(tenant), info, errTenantExists)
}

// UpdateTenant replaces a tenant's info. A cluster still used by one of the tenant's
// namespaces cannot be removed from the allowed clusters.
func (r *Resources) UpdateTenant(ctx context.Context, tenant string, info TenantInfo) error {
	if ok, err := r.exists(ctx, tenantKey(tenant)); err != nil {
		return err
	} else if !ok {
		return errTenantNotFound
	}
	if err := r.validateTenantInfo(ctx, info); err != nil {
		return err
	}
	nss, err := r.ListNamespaces(ctx, tenant)
	if err != nil {
		return err
	}
	for _, ns := range nss {
		p, err := r.policiesOf(ctx, ns)
		if err != nil {
			continue
		}
		for _, c := range p.ReplicationClusters {
			if !slices.Contains(info.AllowedClusters, c) {
				return newErr(ErrInvalid, "Failed to update the tenant because active namespaces are present in "+
					"cluster %s. Please delete those namespaces first", c)
			}
		}
	}
	info.normalize()
	return update(ctx, r, tenantKey(tenant), errTenantNotFound, func(cur *TenantInfo) error {
		*cur = info
		return nil
	})
}

// DeleteTenant removes a tenant that has no namespaces (the caller deletes them first
// for a forced delete).
func (r *Resources) DeleteTenant(ctx context.Context, tenant string) error {
	if ok, err := r.exists(ctx, tenantKey(tenant)); err != nil {
		return err
	} else if !ok {
		return errTenantNotFound
	}
	nss, err := r.ListNamespaces(ctx, tenant)
	if err != nil {
		return err
	}
	if len(nss) > 0 {
		return errTenantNotEmpty
	}
	// Leftovers of deleted namespaces (implicit parents) go with the tenant.
	for _, root := range []string{PartitionedTopicsPath, TopicPoliciesPath} {
		if err := metadata.DeleteRecursive(ctx, r.store, root+"/"+tenant); err != nil {
			return fmt.Errorf("delete tenant %s: %w", tenant, err)
		}
	}
	children, err := r.store.Children(ctx, tenantKey(tenant))
	if err != nil {
		return fmt.Errorf("delete tenant %s: %w", tenant, err)
	}
	for _, c := range children {
		if ok, err := r.exists(ctx, tenantKey(tenant)+"/"+c); err != nil {
			return err
		} else if ok {
			return errTenantNotEmpty
		}
		if err := metadata.DeleteRecursive(ctx, r.store, tenantKey(tenant)+"/"+c); err != nil {
			return fmt.Errorf("delete tenant %s: %w", tenant, err)
		}
	}
	err = r.store.Delete(ctx, tenantKey(tenant), metadata.AnyVersion)
	switch {
	case errors.Is(err, metadata.ErrNotEmpty):
		return errTenantNotEmpty // a namespace was created meanwhile
	case errors.Is(err, metadata.ErrNotFound):
		return errTenantNotFound
	case err != nil:
		return fmt.Errorf("delete tenant %s: %w", tenant, err)
	}
	return nil
}
