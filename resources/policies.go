package resources

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ClusterData is a cluster's record at /admin/clusters/<name>.
type ClusterData struct {
	ServiceURL                     string   `json:"serviceUrl"`
	ServiceURLTLS                  string   `json:"serviceUrlTls"`
	BrokerServiceURL               string   `json:"brokerServiceUrl"`
	BrokerServiceURLTLS            string   `json:"brokerServiceUrlTls"`
	ProxyServiceURL                string   `json:"proxyServiceUrl,omitempty"`
	ProxyProtocol                  string   `json:"proxyProtocol,omitempty"`
	PeerClusterNames               []string `json:"peerClusterNames"`
	AuthenticationPlugin           string   `json:"authenticationPlugin,omitempty"`
	AuthenticationParameters       string   `json:"authenticationParameters,omitempty"`
	BrokerClientTLSEnabled         bool     `json:"brokerClientTlsEnabled"`
	TLSAllowInsecureConnection     bool     `json:"tlsAllowInsecureConnection"`
	BrokerClientTrustCertsFilePath string   `json:"brokerClientTrustCertsFilePath,omitempty"`
	ListenerName                   string   `json:"listenerName,omitempty"`
}

// TenantInfo is a tenant's record at /admin/policies/<tenant>.
type TenantInfo struct {
	AdminRoles      []string `json:"adminRoles"`
	AllowedClusters []string `json:"allowedClusters"`
}

// PartitionedTopicMetadata is a partitioned topic's record at
// /admin/partitioned-topics/<tenant>/<ns>/<domain>/<encoded topic>. Partitions is 0 for a
// topic that is not partitioned (the answer to a metadata lookup of such a topic).
type PartitionedTopicMetadata struct {
	Partitions int               `json:"partitions"`
	Properties map[string]string `json:"properties,omitempty"`
	Deleted    bool              `json:"deleted,omitempty"`
}

// AuthAction is a permission: produce, consume, functions, sources, sinks, packages.
type AuthAction string

func (a *AuthAction) UnmarshalText(b []byte) error {
	switch s := string(b); s {
	case "produce", "consume", "functions", "sources", "sinks", "packages":
		*a = AuthAction(s)
		return nil
	default:
		return fmt.Errorf("Invalid auth action '%s'", s)
	}
}

// AuthPolicies are a namespace's permissions (stored now, enforced by the security work).
type AuthPolicies struct {
	// NamespaceAuth: role -> actions on every topic of the namespace.
	NamespaceAuth map[string][]AuthAction `json:"namespace_auth"`
	// DestinationAuth: topic -> role -> actions.
	DestinationAuth map[string]map[string][]AuthAction `json:"destination_auth"`
	// SubscriptionAuthRoles: subscription -> roles allowed to use it.
	SubscriptionAuthRoles map[string][]string `json:"subscription_auth_roles"`
}

// BundlesData is the namespace's hash ranges: NumBundles ranges between NumBundles+1
// boundaries "0x00000000".."0xffffffff".
type BundlesData struct {
	Boundaries []string `json:"boundaries"`
	NumBundles int      `json:"numBundles"`
}

// BacklogQuotaType names what a backlog quota limits.
type BacklogQuotaType string

const (
	DestinationStorage BacklogQuotaType = "destination_storage"
	MessageAge         BacklogQuotaType = "message_age"
)

func (t *BacklogQuotaType) UnmarshalText(b []byte) error {
	v, err := ParseBacklogQuotaType(string(b))
	*t = v
	return err
}

// ParseBacklogQuotaType accepts "" (destination_storage), destination_storage, message_age.
func ParseBacklogQuotaType(s string) (BacklogQuotaType, error) {
	switch s {
	case "", string(DestinationStorage):
		return DestinationStorage, nil
	case string(MessageAge):
		return MessageAge, nil
	}
	return "", fmt.Errorf("Invalid backlog quota type: %s", s)
}

// BacklogQuotaPolicy is what happens when a backlog quota is exceeded.
type BacklogQuotaPolicy string

const (
	ProducerRequestHold     BacklogQuotaPolicy = "producer_request_hold"
	ProducerException       BacklogQuotaPolicy = "producer_exception"
	ConsumerBacklogEviction BacklogQuotaPolicy = "consumer_backlog_eviction"
)

func (p *BacklogQuotaPolicy) UnmarshalText(b []byte) error {
	switch s := BacklogQuotaPolicy(b); s {
	case ProducerRequestHold, ProducerException, ConsumerBacklogEviction:
		*p = s
		return nil
	}
	return fmt.Errorf("Invalid backlog quota policy: %s", b)
}

// BacklogQuota limits a topic's backlog by size (bytes) or age (seconds); -1 is no limit.
type BacklogQuota struct {
	LimitSize int64              `json:"limitSize"`
	LimitTime int64              `json:"limitTime"`
	Policy    BacklogQuotaPolicy `json:"policy"`
}

// MarshalJSON also writes the deprecated "limit" (= limitSize) older clients read.
func (q BacklogQuota) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Limit     int64              `json:"limit"`
		LimitSize int64              `json:"limitSize"`
		LimitTime int64              `json:"limitTime"`
		Policy    BacklogQuotaPolicy `json:"policy"`
	}{q.LimitSize, q.LimitSize, q.LimitTime, q.Policy})
}

// UnmarshalJSON accepts numbers or numeric strings (as Jackson does; Pulsar's own tests
// send {"limit": "10240"}) and the deprecated "limit" when "limitSize" is absent.
func (q *BacklogQuota) UnmarshalJSON(b []byte) error {
	var raw struct {
		Limit     *flexInt64          `json:"limit"`
		LimitSize *flexInt64          `json:"limitSize"`
		LimitTime *flexInt64          `json:"limitTime"`
		Policy    *BacklogQuotaPolicy `json:"policy"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*q = BacklogQuota{LimitSize: -1, LimitTime: -1}
	switch {
	case raw.LimitSize != nil:
		q.LimitSize = int64(*raw.LimitSize)
	case raw.Limit != nil:
		q.LimitSize = int64(*raw.Limit)
	}
	if raw.LimitTime != nil {
		q.LimitTime = int64(*raw.LimitTime)
	}
	if raw.Policy != nil {
		q.Policy = *raw.Policy
	}
	return nil
}

// flexInt64 decodes a JSON number or a string holding one.
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt64(v)
	return nil
}

// RetentionPolicies keep acknowledged messages: -1 is unlimited, 0/0 keeps nothing.
type RetentionPolicies struct {
	RetentionTimeInMinutes int   `json:"retentionTimeInMinutes"`
	RetentionSizeInMB      int64 `json:"retentionSizeInMB"`
}

// PersistencePolicies choose the ledgers' replication (E >= Qw >= Qa >= 1).
type PersistencePolicies struct {
	BookkeeperEnsemble             int     `json:"bookkeeperEnsemble"`
	BookkeeperWriteQuorum          int     `json:"bookkeeperWriteQuorum"`
	BookkeeperAckQuorum            int     `json:"bookkeeperAckQuorum"`
	ManagedLedgerMaxMarkDeleteRate float64 `json:"managedLedgerMaxMarkDeleteRate"`
}

// BookieAffinityGroupData pins a namespace's ledgers to bookie groups.
type BookieAffinityGroupData struct {
	BookkeeperAffinityGroupPrimary   string `json:"bookkeeperAffinityGroupPrimary"`
	BookkeeperAffinityGroupSecondary string `json:"bookkeeperAffinityGroupSecondary"`
}

// DispatchRate throttles delivery; -1 (or 0) is unlimited.
type DispatchRate struct {
	DispatchThrottlingRateInMsg  int   `json:"dispatchThrottlingRateInMsg"`
	DispatchThrottlingRateInByte int64 `json:"dispatchThrottlingRateInByte"`
	RatePeriodInSecond           int   `json:"ratePeriodInSecond"`
	RelativeToPublishRate        bool  `json:"relativeToPublishRate"`
}

// PublishRate throttles producers; -1 (or 0) is unlimited.
type PublishRate struct {
	PublishThrottlingRateInMsg  int   `json:"publishThrottlingRateInMsg"`
	PublishThrottlingRateInByte int64 `json:"publishThrottlingRateInByte"`
}

// SubscribeRate throttles subscribe requests per consumer.
type SubscribeRate struct {
	SubscribeThrottlingRatePerConsumer int `json:"subscribeThrottlingRatePerConsumer"`
	RatePeriodInSecond                 int `json:"ratePeriodInSecond"`
}

// DelayedDeliveryPolicies control delayed messages. Pulsar spells the maximum delay
// "maxDeliveryDelayInMillis"; the Go admin client "maxDelayInMillis": both are read
// and written.
type DelayedDeliveryPolicies struct {
	TickTime                 int64 `json:"tickTime"`
	Active                   bool  `json:"active"`
	MaxDeliveryDelayInMillis int64 `json:"maxDeliveryDelayInMillis"`
}

func (d DelayedDeliveryPolicies) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TickTime                 int64 `json:"tickTime"`
		Active                   bool  `json:"active"`
		MaxDeliveryDelayInMillis int64 `json:"maxDeliveryDelayInMillis"`
		MaxDelayInMillis         int64 `json:"maxDelayInMillis"`
	}{d.TickTime, d.Active, d.MaxDeliveryDelayInMillis, d.MaxDeliveryDelayInMillis})
}

func (d *DelayedDeliveryPolicies) UnmarshalJSON(b []byte) error {
	var raw struct {
		TickTime                 *float64 `json:"tickTime"`
		Active                   bool     `json:"active"`
		MaxDeliveryDelayInMillis *int64   `json:"maxDeliveryDelayInMillis"`
		MaxDelayInMillis         *int64   `json:"maxDelayInMillis"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*d = DelayedDeliveryPolicies{Active: raw.Active}
	if raw.TickTime != nil {
		d.TickTime = int64(*raw.TickTime)
	}
	switch {
	case raw.MaxDeliveryDelayInMillis != nil:
		d.MaxDeliveryDelayInMillis = *raw.MaxDeliveryDelayInMillis
	case raw.MaxDelayInMillis != nil:
		d.MaxDeliveryDelayInMillis = *raw.MaxDelayInMillis
	}
	return nil
}

// InactiveTopicDeleteMode says when an inactive topic may be deleted.
type InactiveTopicDeleteMode string

const (
	DeleteWhenNoSubscriptions       InactiveTopicDeleteMode = "delete_when_no_subscriptions"
	DeleteWhenSubscriptionsCaughtUp InactiveTopicDeleteMode = "delete_when_subscriptions_caught_up"
)

func (m *InactiveTopicDeleteMode) UnmarshalText(b []byte) error {
	switch s := InactiveTopicDeleteMode(b); s {
	case DeleteWhenNoSubscriptions, DeleteWhenSubscriptionsCaughtUp:
		*m = s
		return nil
	}
	return fmt.Errorf("Invalid inactive topic delete mode: %s", b)
}

// InactiveTopicPolicies delete topics nobody uses.
type InactiveTopicPolicies struct {
	InactiveTopicDeleteMode    InactiveTopicDeleteMode `json:"inactiveTopicDeleteMode"`
	MaxInactiveDurationSeconds int                     `json:"maxInactiveDurationSeconds"`
	DeleteWhileInactive        bool                    `json:"deleteWhileInactive"`
}

// Topic types of auto topic creation.
const (
	TopicTypePartitioned    = "partitioned"
	TopicTypeNonPartitioned = "non-partitioned"
)

// AutoTopicCreationOverride overrides the broker's allowAutoTopicCreation settings.
type AutoTopicCreationOverride struct {
	AllowAutoTopicCreation bool   `json:"allowAutoTopicCreation"`
	TopicType              string `json:"topicType,omitempty"`
	DefaultNumPartitions   *int   `json:"defaultNumPartitions,omitempty"`
}

// AutoSubscriptionCreationOverride overrides the broker's allowAutoSubscriptionCreation.
type AutoSubscriptionCreationOverride struct {
	AllowAutoSubscriptionCreation bool `json:"allowAutoSubscriptionCreation"`
}

// SchemaCompatibilityStrategy decides which schema changes a topic accepts.
type SchemaCompatibilityStrategy string

const (
	SchemaUndefined          SchemaCompatibilityStrategy = "UNDEFINED"
	SchemaAlwaysIncompatible SchemaCompatibilityStrategy = "ALWAYS_INCOMPATIBLE"
	SchemaAlwaysCompatible   SchemaCompatibilityStrategy = "ALWAYS_COMPATIBLE"
	SchemaBackward           SchemaCompatibilityStrategy = "BACKWARD"
	SchemaForward            SchemaCompatibilityStrategy = "FORWARD"
	SchemaFull               SchemaCompatibilityStrategy = "FULL"
	SchemaBackwardTransitive SchemaCompatibilityStrategy = "BACKWARD_TRANSITIVE"
	SchemaForwardTransitive  SchemaCompatibilityStrategy = "FORWARD_TRANSITIVE"
	SchemaFullTransitive     SchemaCompatibilityStrategy = "FULL_TRANSITIVE"
)

var schemaStrategies = []SchemaCompatibilityStrategy{SchemaUndefined, SchemaAlwaysIncompatible,
	SchemaAlwaysCompatible, SchemaBackward, SchemaForward, SchemaFull, SchemaBackwardTransitive,
	SchemaForwardTransitive, SchemaFullTransitive}

// ParseSchemaCompatibilityStrategy accepts Pulsar's names ("" is UNDEFINED).
func ParseSchemaCompatibilityStrategy(s string) (SchemaCompatibilityStrategy, error) {
	if s == "" {
		return SchemaUndefined, nil
	}
	if v := SchemaCompatibilityStrategy(strings.ToUpper(s)); slices.Contains(schemaStrategies, v) {
		return v, nil
	}
	return "", fmt.Errorf("Invalid schema compatibility strategy %s", s)
}

func (s *SchemaCompatibilityStrategy) UnmarshalText(b []byte) error {
	v, err := ParseSchemaCompatibilityStrategy(string(b))
	*s = v
	return err
}

// Schema auto-update strategies (deprecated by Pulsar, still stored and served).
var schemaAutoUpdateStrategies = []string{"AutoUpdateDisabled", "Backward", "Forward", "Full",
	"AlwaysCompatible", "BackwardTransitive", "ForwardTransitive", "FullTransitive"}

// ParseSchemaAutoUpdateStrategy validates a deprecated auto-update strategy name.
func ParseSchemaAutoUpdateStrategy(s string) (string, error) {
	if s == "" {
		return "Full", nil
	}
	if slices.Contains(schemaAutoUpdateStrategies, s) {
		return s, nil
	}
	return "", fmt.Errorf("Invalid schema auto update compatibility strategy %s", s)
}

// SubscriptionAuthMode is None or Prefix.
type SubscriptionAuthMode string

func (m *SubscriptionAuthMode) UnmarshalText(b []byte) error {
	switch s := string(b); s {
	case "", "None":
		*m = "None"
	case "Prefix":
		*m = "Prefix"
	default:
		return fmt.Errorf("Invalid subscription auth mode %s", s)
	}
	return nil
}

// Policies is a namespace's record at /admin/policies/<tenant>/<namespace>, with
// Pulsar's JSON names (a mix of snake_case and camelCase, as Pulsar has them). A nil
// pointer means "not set here": the broker's default applies.
type Policies struct {
	AuthPolicies                      AuthPolicies                      `json:"auth_policies"`
	ReplicationClusters               []string                          `json:"replication_clusters"`
	AllowedClusters                   []string                          `json:"allowed_clusters"`
	Bundles                           *BundlesData                      `json:"bundles"`
	BacklogQuotaMap                   map[BacklogQuotaType]BacklogQuota `json:"backlog_quota_map"`
	ClusterDispatchRate               map[string]DispatchRate           `json:"clusterDispatchRate"`
	TopicDispatchRate                 map[string]DispatchRate           `json:"topicDispatchRate"`
	SubscriptionDispatchRate          map[string]DispatchRate           `json:"subscriptionDispatchRate"`
	ReplicatorDispatchRate            map[string]DispatchRate           `json:"replicatorDispatchRate"`
	ClusterSubscribeRate              map[string]SubscribeRate          `json:"clusterSubscribeRate"`
	PublishMaxMessageRate             map[string]PublishRate            `json:"publishMaxMessageRate"`
	Persistence                       *PersistencePolicies              `json:"persistence"`
	DeduplicationEnabled              *bool                             `json:"deduplicationEnabled"`
	DeduplicationSnapshotInterval     *int                              `json:"deduplicationSnapshotIntervalSeconds"`
	AutoTopicCreationOverride         *AutoTopicCreationOverride        `json:"autoTopicCreationOverride"`
	AutoSubscriptionCreationOverride  *AutoSubscriptionCreationOverride `json:"autoSubscriptionCreationOverride"`
	LatencyStatsSampleRate            map[string]int                    `json:"latency_stats_sample_rate"`
	MessageTTLInSeconds               *int                              `json:"message_ttl_in_seconds"`
	SubscriptionExpirationTimeMinutes *int                              `json:"subscription_expiration_time_minutes"`
	RetentionPolicies                 *RetentionPolicies                `json:"retention_policies"`
	Deleted                           bool                              `json:"deleted"`
	EncryptionRequired                bool                              `json:"encryption_required"`
	DelayedDeliveryPolicies           *DelayedDeliveryPolicies          `json:"delayed_delivery_policies"`
	InactiveTopicPolicies             *InactiveTopicPolicies            `json:"inactive_topic_policies"`
	SubscriptionAuthMode              SubscriptionAuthMode              `json:"subscription_auth_mode"`
	MaxProducersPerTopic              *int                              `json:"max_producers_per_topic"`
	MaxConsumersPerTopic              *int                              `json:"max_consumers_per_topic"`
	MaxConsumersPerSubscription       *int                              `json:"max_consumers_per_subscription"`
	MaxUnackedMessagesPerConsumer     *int                              `json:"max_unacked_messages_per_consumer"`
	MaxUnackedMessagesPerSubscription *int                              `json:"max_unacked_messages_per_subscription"`
	MaxSubscriptionsPerTopic          *int                              `json:"max_subscriptions_per_topic"`
	MaxTopicsPerNamespace             *int                              `json:"max_topics_per_namespace"`
	CompactionThreshold               *int64                            `json:"compaction_threshold"`
	OffloadThreshold                  int64                             `json:"offload_threshold"`
	OffloadThresholdInSeconds         int64                             `json:"offload_threshold_in_seconds"`
	OffloadDeletionLagMs              *int64                            `json:"offload_deletion_lag_ms"`
	OffloadPolicies                   json.RawMessage                   `json:"offload_policies"`
	SchemaAutoUpdateStrategy          string                            `json:"schema_auto_update_compatibility_strategy"`
	SchemaCompatibilityStrategy       SchemaCompatibilityStrategy       `json:"schema_compatibility_strategy"`
	IsAllowAutoUpdateSchema           *bool                             `json:"is_allow_auto_update_schema"`
	SchemaValidationEnforced          bool                              `json:"schema_validation_enforced"`
	SubscriptionTypesEnabled          []string                          `json:"subscription_types_enabled"`
	Properties                        map[string]string                 `json:"properties"`
	ResourceGroupName                 *string                           `json:"resource_group_name"`
	AntiAffinityGroup                 *string                           `json:"antiAffinityGroup"`
	Migrated                          bool                              `json:"migrated"`
	// BookieAffinityGroup is kept here (Pulsar keeps it in local policies).
	BookieAffinityGroup *BookieAffinityGroupData `json:"bookieAffinityGroup,omitempty"`
}

// NewPolicies returns a namespace's policies as Pulsar initialises them: empty maps,
// offload thresholds -1, strategies UNDEFINED/Full, subscription auth mode None.
func NewPolicies() *Policies {
	p := &Policies{
		OffloadThreshold:            -1,
		OffloadThresholdInSeconds:   -1,
		SchemaAutoUpdateStrategy:    "Full",
		SchemaCompatibilityStrategy: SchemaUndefined,
		SubscriptionAuthMode:        "None",
	}
	p.normalize()
	return p
}

// normalize replaces nil maps and slices with empty ones, so that stored and served
// JSON has {} and [] where Pulsar has them, and fills enum defaults.
func (p *Policies) normalize() {
	if p.AuthPolicies.NamespaceAuth == nil {
		p.AuthPolicies.NamespaceAuth = map[string][]AuthAction{}
	}
	if p.AuthPolicies.DestinationAuth == nil {
		p.AuthPolicies.DestinationAuth = map[string]map[string][]AuthAction{}
	}
	if p.AuthPolicies.SubscriptionAuthRoles == nil {
		p.AuthPolicies.SubscriptionAuthRoles = map[string][]string{}
	}
	if p.ReplicationClusters == nil {
		p.ReplicationClusters = []string{}
	}
	if p.AllowedClusters == nil {
		p.AllowedClusters = []string{}
	}
	if p.BacklogQuotaMap == nil {
		p.BacklogQuotaMap = map[BacklogQuotaType]BacklogQuota{}
	}
	for _, m := range []*map[string]DispatchRate{&p.ClusterDispatchRate, &p.TopicDispatchRate,
		&p.SubscriptionDispatchRate, &p.ReplicatorDispatchRate} {
		if *m == nil {
			*m = map[string]DispatchRate{}
		}
	}
	if p.ClusterSubscribeRate == nil {
		p.ClusterSubscribeRate = map[string]SubscribeRate{}
	}
	if p.PublishMaxMessageRate == nil {
		p.PublishMaxMessageRate = map[string]PublishRate{}
	}
	if p.LatencyStatsSampleRate == nil {
		p.LatencyStatsSampleRate = map[string]int{}
	}
	if p.SubscriptionTypesEnabled == nil {
		p.SubscriptionTypesEnabled = []string{}
	}
	if p.Properties == nil {
		p.Properties = map[string]string{}
	}
	if p.SchemaCompatibilityStrategy == "" {
		p.SchemaCompatibilityStrategy = SchemaUndefined
	}
	if p.SchemaAutoUpdateStrategy == "" {
		p.SchemaAutoUpdateStrategy = "Full"
	}
	if p.SubscriptionAuthMode == "" {
		p.SubscriptionAuthMode = "None"
	}
}

// DecodePolicies reads a Policies JSON body over Pulsar's initial values; an empty
// body or "null" yields the initial policies.
func DecodePolicies(b []byte) (*Policies, error) {
	p := NewPolicies()
	if s := strings.TrimSpace(string(b)); s == "" || s == "null" {
		return p, nil
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, &Error{ErrBadInput, "Invalid policies: " + err.Error()}
	}
	p.normalize()
	return p, nil
}
