package broker

import (
	"context"
	"reflect"

	"github.com/magnetar/magnetar/resources"
)

// A loaded topic keeps the policies in force (broker defaults, namespace and topic
// levels resolved) so that the hot paths (dispatch) read them without a metadata round
// trip. They are re-resolved when the metadata store reports a change of the
// namespace's or the topic's policies or of the dynamic configuration, when a producer
// or consumer is created (so a limit set a moment ago applies), and at every message
// expiry check (a missed watch event heals there).

// policies are the topic's policies in force; never nil, never modified.
func (t *topic) policies() *resources.Effective { return t.pol.Load() }

// refreshPolicies re-resolves the topic's policies and applies what changed. On a
// metadata error the old policies stay.
func (t *topic) refreshPolicies(ctx context.Context) error {
	e, err := t.b.res.EffectivePolicies(ctx, t.name)
	if err != nil {
		return err
	}
	old := t.pol.Swap(&e)
	t.policiesChanged(old, &e)
	return nil
}

// policiesChanged applies a change of policies to the running topic: retention and
// persistence reach the managed ledger; turning deduplication on or off unloads the
// topic (clients reconnect, and it loads with the state deduplication needs);
// dispatchers re-check limits that may now let them deliver.
func (t *topic) policiesChanged(old, e *resources.Effective) {
	if old == nil {
		return
	}
	if t.ml != nil {
		if old.Retention != e.Retention || old.Persistence != e.Persistence {
			t.ml.SetConfig(t.b.ledgerConfig(e))
		}
		if old.DeduplicationEnabled != e.DeduplicationEnabled && (t.dedup != nil) != e.DeduplicationEnabled {
			t.log.Info("deduplication changed: unloading the topic", "enabled", e.DeduplicationEnabled)
			go func() {
				ctx, cancel := t.b.requestContext()
				defer cancel()
				if err := t.close(ctx, true); err != nil {
					t.log.Warn("unload after deduplication change", "err", err)
				}
			}()
			return
		}
	}
	if !reflect.DeepEqual(old, e) {
		t.mu.Lock()
		subs := t.subscriptionList()
		t.mu.Unlock()
		for _, s := range subs {
			s.wake()
		}
	}
}

// refreshAllPolicies re-resolves the policies of every loaded topic.
func (b *Broker) refreshAllPolicies(ctx context.Context) {
	for _, t := range b.topics.loaded() {
		if err := t.refreshPolicies(ctx); err != nil {
			t.log.Debug("refresh policies", "err", err)
		}
	}
}

// policyWatchLoop applies policy changes reported by the metadata store to the loaded
// topics they concern, and dynamic configuration changes to the broker.
func (b *Broker) policyWatchLoop(changes <-chan resources.Change) {
	defer b.wg.Done()
	for c := range changes {
		ctx, cancel := b.requestContext()
		switch c.Kind {
		case resources.DynamicConfigChanged:
			if err := b.reloadDynamicConfig(ctx); err != nil {
				b.log.Warn("dynamic configuration", "err", err)
			}
			b.refreshAllPolicies(ctx)
		case resources.NamespacePoliciesChanged, resources.TopicPoliciesChanged:
			for _, t := range b.topics.loaded() {
				if concerns(c, t) {
					if err := t.refreshPolicies(ctx); err != nil {
						t.log.Debug("refresh policies", "err", err)
					}
				}
			}
		}
		cancel()
	}
}

// concerns tells whether a policy change applies to topic t (a partitioned topic's
// policies apply to its partitions).
func concerns(c resources.Change, t *topic) bool {
	if c.Kind == resources.NamespacePoliciesChanged {
		return t.name.Namespace == c.Namespace
	}
	return t.name == c.Topic || t.name.Base() == c.Topic
}
