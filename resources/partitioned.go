package resources

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/resources/topicname"
)

var (
	errPartitionedNotFound = &Error{ErrNotFound, "Partitioned topic does not exist"}
	errNoPartitionSuffix   = &Error{ErrInvalid, "Partitioned Topic Name should not contain '-partition-'"}
)

// CheckNamespace returns nil if the namespace exists, else Pulsar's 404 ("Namespace
// does not exist", or "Tenant does not exist" when the tenant is missing too).
func (r *Resources) CheckNamespace(ctx context.Context, ns topicname.Namespace) error {
	if ok, err := r.exists(ctx, namespaceKey(ns)); err != nil {
		return err
	} else if !ok {
		return r.missingNamespace(ctx, ns)
	}
	return nil
}

// CreatePartitionedTopic records a partitioned topic with n partitions. The caller
// checks that no non-partitioned topic of that name exists (the broker knows those).
// maxPartitions (0: no limit) is the broker's maxNumPartitionsPerPartitionedTopic.
func (r *Resources) CreatePartitionedTopic(ctx context.Context, t topicname.Name, meta PartitionedTopicMetadata) error {
	if strings.Contains(t.Local, topicname.PartitionSuffix) {
		return errNoPartitionSuffix
	}
	if err := r.checkPartitions(meta.Partitions); err != nil {
		return err
	}
	if err := r.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	return r.create(ctx, partitionedKey(t), meta, errPartitionedExists)
}

func (r *Resources) checkPartitions(n int) error {
	if n <= 0 {
		return newErr(ErrNotAcceptable, "Number of partitions should be more than 0")
	}
	if m := r.Defaults().MaxNumPartitionsPerPartitionedTopic; m > 0 && n > m {
		return newErr(ErrNotAcceptable, "Number of partitions should be less than or equal to %d", m)
	}
	return nil
}

// GetPartitionedTopic returns a partitioned topic's metadata, or ErrNotFound.
func (r *Resources) GetPartitionedTopic(ctx context.Context, t topicname.Name) (PartitionedTopicMetadata, error) {
	var m PartitionedTopicMetadata
	if t.IsPartition() {
		return m, errPartitionedNotFound
	}
	_, err := r.getJSON(ctx, partitionedKey(t), &m)
	if errors.Is(err, metadata.ErrNotFound) {
		return m, errPartitionedNotFound
	}
	return m, err
}

// PartitionedTopicMetadata answers a partitioned-metadata lookup as Pulsar does:
// {partitions: N} for a partitioned topic, {partitions: 0} for anything else
// (including a partition and a topic that does not exist).
func (r *Resources) PartitionedTopicMetadata(ctx context.Context, t topicname.Name) (PartitionedTopicMetadata, error) {
	m, err := r.GetPartitionedTopic(ctx, t)
	if errors.Is(err, ErrNotFound) {
		return PartitionedTopicMetadata{}, nil
	}
	return m, err
}

// UpdatePartitionedTopic grows a partitioned topic to n partitions (never shrinks).
func (r *Resources) UpdatePartitionedTopic(ctx context.Context, t topicname.Name, n int) error {
	if err := r.checkPartitions(n); err != nil {
		return err
	}
	if t.IsPartition() {
		return errPartitionedNotFound
	}
	return update(ctx, r, partitionedKey(t), errPartitionedNotFound, func(m *PartitionedTopicMetadata) error {
		if n <= m.Partitions {
			return newErr(ErrInvalid, "Number of new partitions must be greater than existing number of partitions")
		}
		m.Partitions = n
		return nil
	})
}

// UpdatePartitionedTopicProperties merges properties into a partitioned topic's record.
func (r *Resources) UpdatePartitionedTopicProperties(ctx context.Context, t topicname.Name, fn func(map[string]string)) error {
	return update(ctx, r, partitionedKey(t), errPartitionedNotFound, func(m *PartitionedTopicMetadata) error {
		if m.Properties == nil {
			m.Properties = map[string]string{}
		}
		fn(m.Properties)
		return nil
	})
}

// DeletePartitionedTopic removes a partitioned topic's record and its topic policies.
func (r *Resources) DeletePartitionedTopic(ctx context.Context, t topicname.Name) error {
	err := r.store.Delete(ctx, partitionedKey(t), metadata.AnyVersion)
	if errors.Is(err, metadata.ErrNotFound) {
		return errPartitionedNotFound
	}
	if err != nil {
		return fmt.Errorf("delete partitioned topic %s: %w", t, err)
	}
	return r.DeleteTopicPolicies(ctx, t)
}

// ListPartitionedTopics returns the partitioned topics of a namespace in one domain.
func (r *Resources) ListPartitionedTopics(ctx context.Context, ns topicname.Namespace, d topicname.Domain) ([]topicname.Name, error) {
	if err := r.CheckNamespace(ctx, ns); err != nil {
		return nil, err
	}
	encoded, err := r.records(ctx, PartitionedTopicsPath+"/"+ns.String()+"/"+string(d))
	if err != nil {
		return nil, err
	}
	out := make([]topicname.Name, 0, len(encoded))
	for _, e := range encoded {
		local, err := topicname.Decode(e)
		if err != nil {
			continue // not written by us
		}
		n, err := topicname.New(d, ns.Tenant, ns.Name, local)
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// TopicPolicies returns the policies set on a topic (on its partitioned topic for a
// partition); nil if none are set.
func (r *Resources) TopicPolicies(ctx context.Context, t topicname.Name) (*TopicPolicies, error) {
	var tp TopicPolicies
	_, err := r.getJSON(ctx, topicPoliciesKey(t.Base()), &tp)
	if errors.Is(err, metadata.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &tp, nil
}

// UpdateTopicPolicies applies fn to a topic's policies with compare-and-set, creating
// them if needed. The namespace must exist; whether the topic exists is the caller's
// check (the broker knows non-partitioned topics).
func (r *Resources) UpdateTopicPolicies(ctx context.Context, t topicname.Name, fn func(tp *TopicPolicies) error) error {
	if err := r.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	return upsert(ctx, r, topicPoliciesKey(t.Base()), func(tp *TopicPolicies) error {
		if err := fn(tp); err != nil {
			return err
		}
		return tp.validate()
	})
}

// DeleteTopicPolicies removes a topic's policies (done when the topic is deleted).
func (r *Resources) DeleteTopicPolicies(ctx context.Context, t topicname.Name) error {
	err := r.store.Delete(ctx, topicPoliciesKey(t.Base()), metadata.AnyVersion)
	if err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return fmt.Errorf("delete topic policies %s: %w", t, err)
	}
	return nil
}

// validate checks topic-level values with the same rules as namespace policies.
func (tp *TopicPolicies) validate() error {
	if tp.MessageTTLInSeconds != nil && *tp.MessageTTLInSeconds < 0 {
		return newErr(ErrInvalid, "Invalid value for message TTL")
	}
	if err := ValidateRetention(tp.RetentionPolicies); err != nil {
		return err
	}
	for _, q := range tp.BacklogQuotaMap {
		if err := ValidateBacklogQuota(q); err != nil {
			return err
		}
	}
	if err := ValidatePersistence(tp.Persistence); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		v    *int
	}{
		{"maxProducers", tp.MaxProducerPerTopic},
		{"maxConsumers", tp.MaxConsumerPerTopic},
		{"maxConsumersPerSubscription", tp.MaxConsumersPerSubscription},
		{"maxUnackedMessagesOnConsumer", tp.MaxUnackedMessagesOnConsumer},
		{"maxUnackedMessagesOnSubscription", tp.MaxUnackedMessagesOnSubscription},
		{"maxSubscriptionsPerTopic", tp.MaxSubscriptionsPerTopic},
		{"maxMessageSize", tp.MaxMessageSize},
		{"deduplicationSnapshotInterval", tp.DeduplicationSnapshotIntervalSecs},
	} {
		if err := NonNegative(l.name, l.v); err != nil {
			return err
		}
	}
	if tp.CompactionThreshold != nil && *tp.CompactionThreshold < 0 {
		return newErr(ErrInvalid, "compactionThreshold must be 0 or more")
	}
	if tp.DelayedDelivery != nil && tp.DelayedDelivery.TickTime < 0 {
		return newErr(ErrInvalid, "delayed delivery tickTime must be 0 or more")
	}
	return nil
}
