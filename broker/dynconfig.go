package broker

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/magnetar/magnetar/resources"
)

// Dynamic configuration: Pulsar's dynamic broker.conf keys can be changed at run time
// through the admin API. The overrides live in the metadata store
// (resources.DynamicConfigPath), so every broker of a cluster applies them (it watches
// the key) and they survive restarts; the configuration file stays the base.
//
// Settings read through liveConfig and the policy defaults take effect at once:
// auto topic and subscription creation, inactive-topic deletion, dispatcher read sizes,
// namespace bundles, partitions limit, schema auto-update and dispatch-rate defaults.
// Other dynamic keys are stored and served, with no effect (Magnetar has no such
// setting).

// appliedLive lists the dynamic keys that change Magnetar's behaviour.
var appliedLive = []string{
	"allowAutoSubscriptionCreation", "allowAutoTopicCreation", "allowAutoTopicCreationType",
	"brokerDeleteInactiveTopicsEnabled", "brokerDeleteInactiveTopicsFrequencySeconds",
	"brokerDeleteInactiveTopicsMaxInactiveDurationSeconds", "brokerDeleteInactiveTopicsMode",
	"defaultNumPartitions", "defaultNumberOfNamespaceBundles", "dispatcherMaxReadBatchSize",
	"dispatcherMaxReadSizeBytes", "dispatchThrottlingRatePerSubscriptionInByte",
	"dispatchThrottlingRatePerSubscriptionInMsg", "dispatchThrottlingRatePerTopicInByte",
	"dispatchThrottlingRatePerTopicInMsg", "isAllowAutoUpdateSchemaEnabled",
	"maxNumPartitionsPerPartitionedTopic",
}

// isDynamicKey tells whether Pulsar lets key change at run time.
func isDynamicKey(key string) bool {
	_, ok := slices.BinarySearch(pulsarDynamicKeys, key)
	return ok
}

// errNotDynamic is Pulsar's answer (412) for a key that cannot change at run time.
func errNotDynamic(verb, key string) error {
	return &resources.Error{Kind: resources.ErrInvalid, Reason: fmt.Sprintf("Can't %s non-dynamic configuration %s", verb, key)}
}

// liveConfig is the configuration in force: the file's values with the dynamic
// overrides applied. Never modify it.
func (b *Broker) liveConfig() *Config { return b.live.Load() }

// withOverrides returns base with the dynamic overrides applied. Keys that are not
// dynamic, or that Magnetar has no setting for, are skipped; a value that does not fit
// its setting is an error naming the key.
func withOverrides(base *Config, overrides map[string]string) (Config, error) {
	cfg := *base
	cfg.extra = maps.Clone(base.extra)
	fields := confFields(&cfg)
	var probe resources.Defaults
	policyFields := confFields(&probe)
	for _, key := range slices.Sorted(maps.Keys(overrides)) {
		if !isDynamicKey(key) {
			continue
		}
		value := strings.TrimSpace(overrides[key])
		if f, ok := fields[key]; ok {
			if err := setDynamicField(f, value); err != nil {
				return *base, fmt.Errorf("%s: %w", key, err)
			}
			continue
		}
		if f, ok := policyFields[key]; ok {
			if err := setDynamicField(f, value); err != nil {
				return *base, fmt.Errorf("%s: %w", key, err)
			}
			if cfg.extra == nil {
				cfg.extra = map[string]string{}
			}
			cfg.extra[key] = fmt.Sprint(f.Interface()) // normalised (booleans)
		}
	}
	if err := cfg.Validate(); err != nil {
		return *base, err
	}
	if err := validatePolicyDefaults(cfg.ResourceDefaults()); err != nil {
		return *base, err
	}
	return cfg, nil
}

// setDynamicField sets a setting from a dynamic value. Booleans follow Java's
// Boolean.valueOf, as Pulsar parses them: "true" (any case) is true, anything else false.
func setDynamicField(f reflect.Value, value string) error {
	if f.Kind() == reflect.Bool {
		f.SetBool(strings.EqualFold(value, "true"))
		return nil
	}
	return setField(f, value)
}

// validatePolicyDefaults rejects enumerated defaults with unknown values.
func validatePolicyDefaults(d resources.Defaults) error {
	switch resources.InactiveTopicDeleteMode(d.BrokerDeleteInactiveTopicsMode) {
	case resources.DeleteWhenNoSubscriptions, resources.DeleteWhenSubscriptionsCaughtUp:
	default:
		return fmt.Errorf("brokerDeleteInactiveTopicsMode %q: want %s or %s", d.BrokerDeleteInactiveTopicsMode,
			resources.DeleteWhenNoSubscriptions, resources.DeleteWhenSubscriptionsCaughtUp)
	}
	return nil
}

// reloadDynamicConfig reads the overrides from the metadata store and applies them.
// Overrides that do not fit (written by another version, say) are logged and left out.
func (b *Broker) reloadDynamicConfig(ctx context.Context) error {
	overrides, err := b.res.DynamicConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("read dynamic configuration: %w", err)
	}
	cfg, err := withOverrides(&b.cfg, overrides)
	if err != nil {
		b.log.Warn("dynamic configuration not applied", "err", err)
		return nil
	}
	b.applyConfig(&cfg)
	return nil
}

// applyConfig makes cfg the configuration in force.
func (b *Broker) applyConfig(cfg *Config) {
	b.cfgMu.Lock()
	defer b.cfgMu.Unlock()
	b.live.Store(cfg)
	b.res.SetDefaults(cfg.ResourceDefaults())
}

// UpdateDynamicConfig validates and stores one dynamic setting, then applies it here
// (other brokers apply it when their watch fires).
func (b *Broker) UpdateDynamicConfig(ctx context.Context, key, value string) error {
	if !isDynamicKey(key) {
		return errNotDynamic("update", key)
	}
	return b.changeDynamicConfig(ctx, func(m map[string]string) error {
		m[key] = value
		if _, err := withOverrides(&b.cfg, m); err != nil {
			return &resources.Error{Kind: resources.ErrInvalid, Reason: "Invalid dynamic-config value: " + err.Error()}
		}
		return nil
	})
}

// DeleteDynamicConfig removes an override: the file's value applies again.
func (b *Broker) DeleteDynamicConfig(ctx context.Context, key string) error {
	if !isDynamicKey(key) {
		return errNotDynamic("delete", key)
	}
	return b.changeDynamicConfig(ctx, func(m map[string]string) error {
		delete(m, key)
		return nil
	})
}

func (b *Broker) changeDynamicConfig(ctx context.Context, fn func(map[string]string) error) error {
	if err := b.res.UpdateDynamicConfiguration(ctx, fn); err != nil {
		return err
	}
	if err := b.reloadDynamicConfig(ctx); err != nil {
		return err
	}
	b.refreshAllPolicies(ctx)
	return nil
}

// DynamicConfigNames lists the keys that can change at run time.
func (b *Broker) DynamicConfigNames() []string { return slices.Clone(pulsarDynamicKeys) }

// RuntimeConfig is every supported key with the value in force.
func (b *Broker) RuntimeConfig() map[string]string {
	cfg := *b.liveConfig()
	d := b.res.Defaults()
	out := map[string]string{}
	for key, f := range confFields(&d) {
		out[key] = fmt.Sprint(f.Interface())
	}
	for key, f := range confFields(&cfg) {
		out[key] = fmt.Sprint(f.Interface())
	}
	return out
}
