package resources

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

// ListClusters returns the names of all clusters, sorted.
func (r *Resources) ListClusters(ctx context.Context) ([]string, error) {
	return r.records(ctx, ClustersPath)
}

// GetCluster returns a cluster's data.
func (r *Resources) GetCluster(ctx context.Context, name string) (ClusterData, error) {
	var c ClusterData
	_, err := r.getJSON(ctx, clusterKey(name), &c)
	if errors.Is(err, metadata.ErrNotFound) {
		return c, errClusterNotFound
	}
	if c.PeerClusterNames == nil {
		c.PeerClusterNames = []string{}
	}
	return c, err
}

// CreateCluster adds a cluster.
func (r *Resources) CreateCluster(ctx context.Context, name string, c ClusterData) error {
	if err := topicname.CheckName(name); err != nil {
		return newErr(ErrInvalid, "Cluster name is not valid")
	}
	return r.create(ctx, clusterKey(name), c, errClusterExists)
}

// UpdateCluster replaces a cluster's data.
func (r *Resources) UpdateCluster(ctx context.Context, name string, c ClusterData) error {
	return update(ctx, r, clusterKey(name), errClusterNotFound, func(cur *ClusterData) error {
		*cur = c
		return nil
	})
}

// UpdateClusterPeers sets a cluster's peer clusters, which must exist.
func (r *Resources) UpdateClusterPeers(ctx context.Context, name string, peers []string) error {
	for _, p := range peers {
		if ok, err := r.exists(ctx, clusterKey(p)); err != nil {
			return err
		} else if !ok {
			return newErr(ErrInvalid, "Peer cluster %s does not exist", p)
		}
		if p == name {
			return newErr(ErrInvalid, "Cluster %s cannot be its own peer", p)
		}
	}
	return update(ctx, r, clusterKey(name), errClusterNotFound, func(cur *ClusterData) error {
		cur.PeerClusterNames = peers
		return nil
	})
}

// DeleteCluster removes a cluster no tenant or namespace uses (Pulsar: 412 "Cluster not empty").
func (r *Resources) DeleteCluster(ctx context.Context, name string) error {
	if ok, err := r.exists(ctx, clusterKey(name)); err != nil {
		return err
	} else if !ok {
		return errClusterNotFound
	}
	tenants, err := r.ListTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		info, err := r.GetTenant(ctx, t)
		if err != nil {
			continue // deleted meanwhile
		}
		if slices.Contains(info.AllowedClusters, name) {
			return newErr(ErrInvalid, "Cluster not empty")
		}
		nss, err := r.ListNamespaces(ctx, t)
		if err != nil {
			return err
		}
		for _, ns := range nss {
			p, err := r.policiesOf(ctx, ns)
			if err == nil && slices.Contains(p.ReplicationClusters, name) {
				return newErr(ErrInvalid, "Cluster not empty")
			}
		}
	}
	if err := metadata.DeleteRecursive(ctx, r.store, clusterKey(name)); err != nil {
		return fmt.Errorf("delete cluster %s: %w", name, err)
	}
	return nil
}
