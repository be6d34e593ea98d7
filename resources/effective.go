package resources

import (
	"context"
	"maps"
	"slices"

	"github.com/magnetar/magnetar/resources/topicname"
)

// Defaults are the broker settings that apply where neither the topic nor its namespace
// sets a policy. Field tags are Pulsar's broker.conf keys.
type Defaults struct {
	ClusterName                         string  `conf:"clusterName"`
	DefaultNumberOfNamespaceBundles     int     `conf:"defaultNumberOfNamespaceBundles"`
	MaxNumPartitionsPerPartitionedTopic int     `conf:"maxNumPartitionsPerPartitionedTopic"`
	TTLDurationDefaultInSeconds         int     `conf:"ttlDurationDefaultInSeconds"`
	DefaultRetentionTimeInMinutes       int     `conf:"defaultRetentionTimeInMinutes"`
	DefaultRetentionSizeInMB            int64   `conf:"defaultRetentionSizeInMB"`
	BacklogQuotaDefaultLimitBytes       int64   `conf:"backlogQuotaDefaultLimitBytes"`
	BacklogQuotaDefaultLimitSecond      int64   `conf:"backlogQuotaDefaultLimitSecond"`
	BacklogQuotaDefaultRetentionPolicy  string  `conf:"backlogQuotaDefaultRetentionPolicy"`
	BrokerDeduplicationEnabled          bool    `conf:"brokerDeduplicationEnabled"`
	DeduplicationSnapshotIntervalSecs   int     `conf:"brokerDeduplicationSnapshotIntervalSeconds"`
	MaxProducersPerTopic                int     `conf:"maxProducersPerTopic"`
	MaxConsumersPerTopic                int     `conf:"maxConsumersPerTopic"`
	MaxConsumersPerSubscription         int     `conf:"maxConsumersPerSubscription"`
	MaxUnackedMessagesPerConsumer       int     `conf:"maxUnackedMessagesPerConsumer"`
	MaxUnackedMessagesPerSubscription   int     `conf:"maxUnackedMessagesPerSubscription"`
	MaxSubscriptionsPerTopic            int     `conf:"maxSubscriptionsPerTopic"`
	MaxMessageSize                      int     `conf:"maxMessageSize"`
	SchemaCompatibilityStrategy         string  `conf:"schemaCompatibilityStrategy"`
	IsSchemaValidationEnforced          bool    `conf:"isSchemaValidationEnforced"`
	IsAllowAutoUpdateSchemaEnabled      bool    `conf:"isAllowAutoUpdateSchemaEnabled"`
	SubscriptionExpirationTimeMinutes   int     `conf:"subscriptionExpirationTimeMinutes"`
	DelayedDeliveryEnabled              bool    `conf:"delayedDeliveryEnabled"`
	DelayedDeliveryTickTimeMillis       int64   `conf:"delayedDeliveryTickTimeMillis"`
	DelayedDeliveryMaxDelayInMillis     int64   `conf:"delayedDeliveryMaxDelayInMillis"`
	ManagedLedgerDefaultEnsembleSize    int     `conf:"managedLedgerDefaultEnsembleSize"`
	ManagedLedgerDefaultWriteQuorum     int     `conf:"managedLedgerDefaultWriteQuorum"`
	ManagedLedgerDefaultAckQuorum       int     `conf:"managedLedgerDefaultAckQuorum"`
	ManagedLedgerDefaultMarkDeleteRate  float64 `conf:"managedLedgerDefaultMarkDeleteRateLimit"`
	AllowAutoTopicCreation              bool    `conf:"allowAutoTopicCreation"`
	AllowAutoTopicCreationType          string  `conf:"allowAutoTopicCreationType"`
	DefaultNumPartitions                int     `conf:"defaultNumPartitions"`
	AllowAutoSubscriptionCreation       bool    `conf:"allowAutoSubscriptionCreation"`
	BrokerDeleteInactiveTopicsEnabled   bool    `conf:"brokerDeleteInactiveTopicsEnabled"`
	BrokerDeleteInactiveTopicsMode      string  `conf:"brokerDeleteInactiveTopicsMode"`
	BrokerDeleteInactiveMaxInactiveSecs int     `conf:"brokerDeleteInactiveTopicsMaxInactiveDurationSeconds"`
	DispatchThrottlingRatePerTopicMsg   int     `conf:"dispatchThrottlingRatePerTopicInMsg"`
	DispatchThrottlingRatePerTopicByte  int64   `conf:"dispatchThrottlingRatePerTopicInByte"`
	DispatchThrottlingRatePerSubMsg     int     `conf:"dispatchThrottlingRatePerSubscriptionInMsg"`
	DispatchThrottlingRatePerSubByte    int64   `conf:"dispatchThrottlingRatePerSubscriptionInByte"`
	CompactionThresholdInBytes          int64   `conf:"brokerServiceCompactionThresholdInBytes"`
}

// BrokerDefaults are Pulsar's broker.conf defaults, for cluster "standalone".
func BrokerDefaults() Defaults {
	return Defaults{
		ClusterName:                         "standalone",
		DefaultNumberOfNamespaceBundles:     4,
		BacklogQuotaDefaultLimitBytes:       -1,
		BacklogQuotaDefaultLimitSecond:      -1,
		BacklogQuotaDefaultRetentionPolicy:  string(ProducerRequestHold),
		DeduplicationSnapshotIntervalSecs:   120,
		MaxUnackedMessagesPerConsumer:       50000,
		MaxUnackedMessagesPerSubscription:   4 * 50000,
		MaxMessageSize:                      5 * 1024 * 1024,
		SchemaCompatibilityStrategy:         string(SchemaFull),
		IsAllowAutoUpdateSchemaEnabled:      true,
		DelayedDeliveryEnabled:              true,
		DelayedDeliveryTickTimeMillis:       1000,
		ManagedLedgerDefaultEnsembleSize:    2,
		ManagedLedgerDefaultWriteQuorum:     2,
		ManagedLedgerDefaultAckQuorum:       2,
		ManagedLedgerDefaultMarkDeleteRate:  1.0,
		AllowAutoTopicCreation:              true,
		AllowAutoTopicCreationType:          TopicTypeNonPartitioned,
		DefaultNumPartitions:                1,
		AllowAutoSubscriptionCreation:       true,
		BrokerDeleteInactiveTopicsEnabled:   true,
		BrokerDeleteInactiveTopicsMode:      string(DeleteWhenNoSubscriptions),
		BrokerDeleteInactiveMaxInactiveSecs: 60,
	}
}

// Effective is the policy in force for one topic: topic level over namespace level over
// broker defaults. Zero limits mean "no limit", as in Pulsar.
type Effective struct {
	MessageTTLSeconds                 int
	Retention                         RetentionPolicies
	BacklogQuotas                     map[BacklogQuotaType]BacklogQuota
	DeduplicationEnabled              bool
	DeduplicationSnapshotIntervalSecs int
	MaxProducersPerTopic              int
	MaxConsumersPerTopic              int
	MaxConsumersPerSubscription       int
	MaxUnackedMessagesPerConsumer     int
	MaxUnackedMessagesPerSubscription int
	MaxSubscriptionsPerTopic          int
	MaxMessageSize                    int
	SubscriptionExpirationMinutes     int
	SchemaCompatibilityStrategy       SchemaCompatibilityStrategy
	SchemaValidationEnforced          bool
	IsAllowAutoUpdateSchema           bool
	DelayedDelivery                   DelayedDeliveryPolicies
	Persistence                       PersistencePolicies
	AutoTopicCreation                 AutoTopicCreationOverride
	AutoSubscriptionCreation          bool
	InactiveTopic                     InactiveTopicPolicies
	InactiveTopicDeleteEnabled        bool
	PublishRate                       *PublishRate // nil: not throttled
	DispatchRate                      DispatchRate
	SubscriptionDispatchRate          DispatchRate
	SubscribeRate                     *SubscribeRate
	CompactionThreshold               int64
	ReplicationClusters               []string
	EncryptionRequired                bool
	AuthPolicies                      AuthPolicies
}

// EffectivePolicies resolves the policies in force for a topic (a partition resolves
// through its partitioned topic). The namespace must exist.
func (r *Resources) EffectivePolicies(ctx context.Context, t topicname.Name) (Effective, error) {
	ns, err := r.policiesOf(ctx, t.Namespace)
	if err != nil {
		return Effective{}, err
	}
	tp, err := r.TopicPolicies(ctx, t)
	if err != nil {
		return Effective{}, err
	}
	if tp == nil {
		tp = &TopicPolicies{}
	}
	return Resolve(r.Defaults(), ns, tp), nil
}

// pick returns the first non-nil value, or def.
func pick[T any](def T, vals ...*T) T {
	for _, v := range vals {
		if v != nil {
			return *v
		}
	}
	return def
}

// Resolve combines topic-level, namespace-level and broker-level policies.
func Resolve(d Defaults, ns *Policies, tp *TopicPolicies) Effective {
	e := Effective{
		MessageTTLSeconds:                 pick(d.TTLDurationDefaultInSeconds, tp.MessageTTLInSeconds, ns.MessageTTLInSeconds),
		Retention:                         pick(RetentionPolicies{d.DefaultRetentionTimeInMinutes, d.DefaultRetentionSizeInMB}, tp.RetentionPolicies, ns.RetentionPolicies),
		DeduplicationEnabled:              pick(d.BrokerDeduplicationEnabled, tp.DeduplicationEnabled, ns.DeduplicationEnabled),
		DeduplicationSnapshotIntervalSecs: pick(d.DeduplicationSnapshotIntervalSecs, tp.DeduplicationSnapshotIntervalSecs, ns.DeduplicationSnapshotInterval),
		MaxProducersPerTopic:              pick(d.MaxProducersPerTopic, tp.MaxProducerPerTopic, ns.MaxProducersPerTopic),
		MaxConsumersPerTopic:              pick(d.MaxConsumersPerTopic, tp.MaxConsumerPerTopic, ns.MaxConsumersPerTopic),
		MaxConsumersPerSubscription:       pick(d.MaxConsumersPerSubscription, tp.MaxConsumersPerSubscription, ns.MaxConsumersPerSubscription),
		MaxUnackedMessagesPerConsumer:     pick(d.MaxUnackedMessagesPerConsumer, tp.MaxUnackedMessagesOnConsumer, ns.MaxUnackedMessagesPerConsumer),
		MaxUnackedMessagesPerSubscription: pick(d.MaxUnackedMessagesPerSubscription, tp.MaxUnackedMessagesOnSubscription, ns.MaxUnackedMessagesPerSubscription),
		MaxSubscriptionsPerTopic:          pick(d.MaxSubscriptionsPerTopic, tp.MaxSubscriptionsPerTopic, ns.MaxSubscriptionsPerTopic),
		MaxMessageSize:                    pick(d.MaxMessageSize, tp.MaxMessageSize),
		SubscriptionExpirationMinutes:     pick(d.SubscriptionExpirationTimeMinutes, ns.SubscriptionExpirationTimeMinutes),
		SchemaValidationEnforced:          pick(d.IsSchemaValidationEnforced || ns.SchemaValidationEnforced, tp.SchemaValidationEnforced),
		IsAllowAutoUpdateSchema:           pick(d.IsAllowAutoUpdateSchemaEnabled, ns.IsAllowAutoUpdateSchema),
		DelayedDelivery: pick(DelayedDeliveryPolicies{d.DelayedDeliveryTickTimeMillis, d.DelayedDeliveryEnabled,
			d.DelayedDeliveryMaxDelayInMillis}, tp.DelayedDelivery, ns.DelayedDeliveryPolicies),
		Persistence: pick(PersistencePolicies{d.ManagedLedgerDefaultEnsembleSize, d.ManagedLedgerDefaultWriteQuorum,
			d.ManagedLedgerDefaultAckQuorum, d.ManagedLedgerDefaultMarkDeleteRate}, tp.Persistence, ns.Persistence),
		AutoSubscriptionCreation: d.AllowAutoSubscriptionCreation,
		InactiveTopic: pick(InactiveTopicPolicies{InactiveTopicDeleteMode(d.BrokerDeleteInactiveTopicsMode),
			d.BrokerDeleteInactiveMaxInactiveSecs, d.BrokerDeleteInactiveTopicsEnabled}, tp.InactiveTopicPolicies, ns.InactiveTopicPolicies),
		PublishRate:         tp.PublishRate,
		CompactionThreshold: pick(d.CompactionThresholdInBytes, tp.CompactionThreshold, ns.CompactionThreshold),
		ReplicationClusters: slices.Clone(ns.ReplicationClusters),
		EncryptionRequired:  ns.EncryptionRequired,
		AuthPolicies:        ns.AuthPolicies,
		SubscribeRate:       tp.SubscribeRate,
	}
	e.InactiveTopicDeleteEnabled = e.InactiveTopic.DeleteWhileInactive
	if tp.ReplicationClusters != nil {
		e.ReplicationClusters = slices.Clone(tp.ReplicationClusters)
	}
	if o := tp.AutoSubscriptionCreationOverride; o != nil {
		e.AutoSubscriptionCreation = o.AllowAutoSubscriptionCreation
	} else if o := ns.AutoSubscriptionCreationOverride; o != nil {
		e.AutoSubscriptionCreation = o.AllowAutoSubscriptionCreation
	}
	e.AutoTopicCreation = AutoTopicCreationOverride{AllowAutoTopicCreation: d.AllowAutoTopicCreation, TopicType: d.AllowAutoTopicCreationType}
	if d.AllowAutoTopicCreationType == TopicTypePartitioned {
		n := d.DefaultNumPartitions
		e.AutoTopicCreation.DefaultNumPartitions = &n
	}
	if o := ns.AutoTopicCreationOverride; o != nil {
		e.AutoTopicCreation = *o
	}

	// Schema strategy: topic, then namespace (unless UNDEFINED), then broker.
	e.SchemaCompatibilityStrategy = SchemaCompatibilityStrategy(d.SchemaCompatibilityStrategy)
	if s := ns.SchemaCompatibilityStrategy; s != "" && s != SchemaUndefined {
		e.SchemaCompatibilityStrategy = s
	}
	if s := tp.SchemaCompatibilityStrategy; s != nil && *s != SchemaUndefined {
		e.SchemaCompatibilityStrategy = *s
	}

	// Backlog quotas per type: topic, namespace, then the broker's default quota.
	def := BacklogQuota{LimitSize: d.BacklogQuotaDefaultLimitBytes, LimitTime: d.BacklogQuotaDefaultLimitSecond,
		Policy: BacklogQuotaPolicy(d.BacklogQuotaDefaultRetentionPolicy)}
	e.BacklogQuotas = map[BacklogQuotaType]BacklogQuota{DestinationStorage: def, MessageAge: def}
	maps.Copy(e.BacklogQuotas, ns.BacklogQuotaMap)
	maps.Copy(e.BacklogQuotas, tp.BacklogQuotaMap)

	// Rates: namespace maps are keyed by cluster name.
	e.DispatchRate = DispatchRate{DispatchThrottlingRateInMsg: d.DispatchThrottlingRatePerTopicMsg,
		DispatchThrottlingRateInByte: d.DispatchThrottlingRatePerTopicByte, RatePeriodInSecond: 1}
	if v, ok := ns.TopicDispatchRate[d.ClusterName]; ok {
		e.DispatchRate = v
	}
	if tp.DispatchRate != nil {
		e.DispatchRate = *tp.DispatchRate
	}
	e.SubscriptionDispatchRate = DispatchRate{DispatchThrottlingRateInMsg: d.DispatchThrottlingRatePerSubMsg,
		DispatchThrottlingRateInByte: d.DispatchThrottlingRatePerSubByte, RatePeriodInSecond: 1}
	if v, ok := ns.SubscriptionDispatchRate[d.ClusterName]; ok {
		e.SubscriptionDispatchRate = v
	}
	if tp.SubscriptionDispatchRate != nil {
		e.SubscriptionDispatchRate = *tp.SubscriptionDispatchRate
	}
	if e.PublishRate == nil {
		if v, ok := ns.PublishMaxMessageRate[d.ClusterName]; ok {
			e.PublishRate = &v
		}
	}
	if e.SubscribeRate == nil {
		if v, ok := ns.ClusterSubscribeRate[d.ClusterName]; ok {
			e.SubscribeRate = &v
		}
	}
	return e
}
