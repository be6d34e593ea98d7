package resources

import (
	"context"
	"errors"

	"github.com/magnetar/magnetar/metadata"
)

// DynamicConfigPath holds the brokers' dynamic configuration: a JSON object of
// broker.conf keys to values, as Pulsar keeps it. Every broker watches it and applies
// the values over its own configuration file.
const DynamicConfigPath = "/admin/configuration"

// DynamicConfiguration returns the stored overrides (empty when none were ever set).
func (r *Resources) DynamicConfiguration(ctx context.Context) (map[string]string, error) {
	m := map[string]string{}
	if _, err := r.getJSON(ctx, DynamicConfigPath, &m); err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// UpdateDynamicConfiguration changes the stored overrides with compare-and-set; fn gets
// a map it may modify (never nil).
func (r *Resources) UpdateDynamicConfiguration(ctx context.Context, fn func(map[string]string) error) error {
	return upsert(ctx, r, DynamicConfigPath, func(m *map[string]string) error {
		if *m == nil {
			*m = map[string]string{}
		}
		return fn(*m)
	})
}

// SetDefaults replaces the broker-level defaults (a dynamic configuration change);
// policies resolved afterwards use them.
func (r *Resources) SetDefaults(d Defaults) {
	r.defaults.Store(&d)
}
