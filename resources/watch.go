package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

// ChangeKind says what kind of record changed.
type ChangeKind int

const (
	NamespacePoliciesChanged ChangeKind = iota + 1
	TopicPoliciesChanged
	PartitionedTopicChanged
	// DynamicConfigChanged: the brokers' dynamic configuration (DynamicConfigPath)
	// changed; Namespace and Topic are empty.
	DynamicConfigChanged
)

// Change reports that a namespace's policies, a topic's policies or a partitioned
// topic's metadata was written or deleted. Brokers re-resolve EffectivePolicies for the
// topics it concerns, so that a policy set through the admin API is enforced at once.
type Change struct {
	Kind      ChangeKind
	Namespace topicname.Namespace
	Topic     topicname.Name // for topic policies and partitioned topics
	Deleted   bool
}

// WatchPolicies streams policy changes until ctx is done (the channel is then closed).
func (r *Resources) WatchPolicies(ctx context.Context) (<-chan Change, error) {
	events, err := r.store.Watch(ctx, "/admin")
	if err != nil {
		return nil, fmt.Errorf("watch policies: %w", err)
	}
	out := make(chan Change, 64)
	go func() {
		defer close(out)
		for ev := range events {
			c, ok := changeOf(ev)
			if !ok {
				continue
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// changeOf maps a metadata event to a Change; implicit parents and other keys are skipped.
func changeOf(ev metadata.Event) (Change, bool) {
	deleted := ev.Type == metadata.EventDelete
	if !deleted && len(ev.Value) == 0 {
		return Change{}, false
	}
	if ev.Key == DynamicConfigPath {
		return Change{Kind: DynamicConfigChanged, Deleted: deleted}, true
	}
	parts := strings.Split(strings.TrimPrefix(ev.Key, "/admin/"), "/")
	c := Change{Deleted: deleted}
	switch {
	case len(parts) == 3 && "/admin/"+parts[0] == PoliciesPath:
		c.Kind = NamespacePoliciesChanged
	case len(parts) == 5 && "/admin/"+parts[0] == TopicPoliciesPath:
		c.Kind = TopicPoliciesChanged
	case len(parts) == 5 && "/admin/"+parts[0] == PartitionedTopicsPath:
		c.Kind = PartitionedTopicChanged
	default:
		return Change{}, false
	}
	ns, err := topicname.NewNamespace(parts[1], parts[2])
	if err != nil {
		return Change{}, false
	}
	c.Namespace = ns
	if c.Kind != NamespacePoliciesChanged {
		t, err := topicname.FromPersistenceName(strings.Join(parts[1:], "/"))
		if err != nil {
			return Change{}, false
		}
		c.Topic = t
	}
	return c, true
}
