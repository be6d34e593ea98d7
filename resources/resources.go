// Package resources is the single owner of Magnetar's administrative metadata —
// clusters, tenants, namespace policies, partitioned topics and topic-level policies —
// in Pulsar's layout and JSON, over a metadata.Store:
//
//	/admin/clusters/<cluster>                                      ClusterData
//	/admin/policies/<tenant>                                       TenantInfo
//	/admin/policies/<tenant>/<namespace>                           Policies
//	/admin/partitioned-topics/<tenant>/<ns>/<domain>/<encoded>     PartitionedTopicMetadata
//	/admin/topic-policies/<tenant>/<ns>/<domain>/<encoded>         TopicPolicies (Magnetar's place)
//
// Every update is a compare-and-set on the key's version, retried on conflict, so
// concurrent admin calls and brokers never lose each other's changes. Validation
// follows Pulsar's rules and reasons; failures are *Error values wrapping a kind
// (ErrNotFound, ErrExists, ErrInvalid, ...).
package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

// Metadata key prefixes (Pulsar's, plus /admin/topic-policies).
const (
	ClustersPath          = "/admin/clusters"
	PoliciesPath          = "/admin/policies"
	PartitionedTopicsPath = "/admin/partitioned-topics"
	TopicPoliciesPath     = "/admin/topic-policies"
)

// casRetries bounds how often an update re-reads and retries after losing a race.
const casRetries = 32

// Resources is typed access to administrative metadata. Safe for concurrent use.
type Resources struct {
	store    metadata.Store
	defaults atomic.Pointer[Defaults] // replaced by SetDefaults (dynamic configuration)
}

// New returns Resources over store; defaults are the broker's settings that apply where
// a namespace or topic sets nothing (see BrokerDefaults).
func New(store metadata.Store, defaults Defaults) *Resources {
	r := &Resources{store: store}
	r.defaults.Store(&defaults)
	return r
}

// Store is the underlying metadata store.
func (r *Resources) Store() metadata.Store { return r.store }

// Defaults are the broker-level policy defaults.
func (r *Resources) Defaults() Defaults { return *r.defaults.Load() }

func clusterKey(name string) string              { return ClustersPath + "/" + name }
func tenantKey(tenant string) string             { return PoliciesPath + "/" + tenant }
func namespaceKey(ns topicname.Namespace) string { return PoliciesPath + "/" + ns.String() }

func partitionedKey(t topicname.Name) string {
	return PartitionedTopicsPath + "/" + t.Namespace.String() + "/" + string(t.Domain) + "/" + t.EncodedLocal()
}

func topicPoliciesKey(t topicname.Name) string {
	return TopicPoliciesPath + "/" + t.Namespace.String() + "/" + string(t.Domain) + "/" + t.EncodedLocal()
}

// getJSON reads key into out and returns its version. A missing key, or one that
// exists only as an implicit parent (empty value), is ErrNotFound from metadata.
func (r *Resources) getJSON(ctx context.Context, key string, out any) (int64, error) {
	b, st, err := r.store.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return st.Version, fmt.Errorf("%s: %w (empty value)", key, metadata.ErrNotFound)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return st.Version, nil
}

// exists reports whether key holds a record (not just an implicit parent).
func (r *Resources) exists(ctx context.Context, key string) (bool, error) {
	b, _, err := r.store.Get(ctx, key)
	if errors.Is(err, metadata.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	return len(b) > 0, nil
}

// create writes v at key only if no record is there; it returns exists when one is.
// An implicit parent (empty value) is overwritten.
func (r *Resources) create(ctx context.Context, key string, v any, exists error) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	cur, st, err := r.store.Get(ctx, key)
	expected := metadata.NotExists
	switch {
	case errors.Is(err, metadata.ErrNotFound):
	case err != nil:
		return fmt.Errorf("read %s: %w", key, err)
	case len(cur) > 0:
		return exists
	default:
		expected = st.Version
	}
	if _, err := r.store.Put(ctx, key, b, expected); err != nil {
		if errors.Is(err, metadata.ErrBadVersion) {
			return exists
		}
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// update applies fn to the record at key with compare-and-set, retrying when another
// writer got there first. missing is returned if there is no record. fn must not keep
// v; returning an error leaves the record unchanged.
func update[T any](ctx context.Context, r *Resources, key string, missing error, fn func(v *T) error) error {
	for range casRetries {
		v := new(T)
		version, err := r.getJSON(ctx, key, v)
		if errors.Is(err, metadata.ErrNotFound) {
			return missing
		}
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		_, err = r.store.Put(ctx, key, b, version)
		if errors.Is(err, metadata.ErrBadVersion) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		return nil
	}
	return errConcurrent
}

// upsert is update that starts from a zero T when no record exists.
func upsert[T any](ctx context.Context, r *Resources, key string, fn func(v *T) error) error {
	for range casRetries {
		v := new(T)
		version, err := r.getJSON(ctx, key, v)
		switch {
		case errors.Is(err, metadata.ErrNotFound):
			if version == 0 {
				version = metadata.NotExists
			}
		case err != nil:
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		_, err = r.store.Put(ctx, key, b, version)
		if errors.Is(err, metadata.ErrBadVersion) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		return nil
	}
	return errConcurrent
}

// records lists the children of key that hold a record (skipping implicit parents).
func (r *Resources) records(ctx context.Context, key string) ([]string, error) {
	names, err := r.store.Children(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", key, err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		ok, err := r.exists(ctx, key+"/"+n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}
