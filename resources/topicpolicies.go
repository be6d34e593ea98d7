package resources

import "encoding/json"

// TopicPolicies are the policies set on one topic (for a partitioned topic: on all of
// its partitions). Pulsar keeps them in a system topic; Magnetar keeps them in the
// metadata store at /admin/topic-policies/<tenant>/<ns>/<domain>/<encoded topic>, with
// the JSON names of Pulsar's TopicPolicies. A nil field is not set at topic level.
type TopicPolicies struct {
	BacklogQuotaMap                   map[BacklogQuotaType]BacklogQuota `json:"backLogQuotaMap,omitempty"`
	SubscriptionTypesEnabled          []string                          `json:"subscriptionTypesEnabled,omitempty"`
	ReplicationClusters               []string                          `json:"replicationClusters,omitempty"`
	IsGlobal                          bool                              `json:"isGlobal,omitempty"`
	Persistence                       *PersistencePolicies              `json:"persistence,omitempty"`
	RetentionPolicies                 *RetentionPolicies                `json:"retentionPolicies,omitempty"`
	DeduplicationEnabled              *bool                             `json:"deduplicationEnabled,omitempty"`
	MessageTTLInSeconds               *int                              `json:"messageTTLInSeconds,omitempty"`
	MaxProducerPerTopic               *int                              `json:"maxProducerPerTopic,omitempty"`
	MaxConsumerPerTopic               *int                              `json:"maxConsumerPerTopic,omitempty"`
	MaxConsumersPerSubscription       *int                              `json:"maxConsumersPerSubscription,omitempty"`
	MaxUnackedMessagesOnConsumer      *int                              `json:"maxUnackedMessagesOnConsumer,omitempty"`
	MaxUnackedMessagesOnSubscription  *int                              `json:"maxUnackedMessagesOnSubscription,omitempty"`
	DelayedDelivery                   *DelayedDeliveryPolicies          `json:"delayedDelivery,omitempty"`
	OffloadPolicies                   json.RawMessage                   `json:"offloadPolicies,omitempty"`
	InactiveTopicPolicies             *InactiveTopicPolicies            `json:"inactiveTopicPolicies,omitempty"`
	DispatchRate                      *DispatchRate                     `json:"dispatchRate,omitempty"`
	SubscriptionDispatchRate          *DispatchRate                     `json:"subscriptionDispatchRate,omitempty"`
	ReplicatorDispatchRate            *DispatchRate                     `json:"replicatorDispatchRate,omitempty"`
	CompactionThreshold               *int64                            `json:"compactionThreshold,omitempty"`
	PublishRate                       *PublishRate                      `json:"publishRate,omitempty"`
	SubscribeRate                     *SubscribeRate                    `json:"subscribeRate,omitempty"`
	DeduplicationSnapshotIntervalSecs *int                              `json:"deduplicationSnapshotIntervalSeconds,omitempty"`
	MaxMessageSize                    *int                              `json:"maxMessageSize,omitempty"`
	MaxSubscriptionsPerTopic          *int                              `json:"maxSubscriptionsPerTopic,omitempty"`
	SchemaCompatibilityStrategy       *SchemaCompatibilityStrategy      `json:"schemaCompatibilityStrategy,omitempty"`
	SchemaValidationEnforced          *bool                             `json:"schemaValidationEnforced,omitempty"`
	AutoSubscriptionCreationOverride  *AutoSubscriptionCreationOverride `json:"autoSubscriptionCreationOverride,omitempty"`
	// Properties are the topic's user properties (PUT .../properties), kept here too.
	Properties map[string]string `json:"properties,omitempty"`
}
