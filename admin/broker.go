package admin

import (
	"context"

	"github.com/magnetar/magnetar/resources/topicname"
)

// Broker is what the admin API needs from the live broker; everything else it reads
// and writes through resources. Topic names given to it are always non-partitioned
// topics or single partitions (the admin API fans partitioned topics out itself).
// Methods return the package's Err* values (wrapped or not) for Pulsar's 4xx answers,
// and a *RedirectError when another broker owns the topic.
type Broker interface {
	TopicAdmin
	SubscriptionAdmin
	MessageReader
	ClusterInfo
	ConfigAdmin
}

// TopicAdmin manages topics.
type TopicAdmin interface {
	// Topics lists the existing non-partitioned topics and partitions of a namespace in
	// one domain, as full names.
	Topics(ctx context.Context, ns topicname.Namespace, d topicname.Domain) ([]string, error)
	// TopicExists reports whether a non-partitioned topic or a partition exists.
	TopicExists(ctx context.Context, t topicname.Name) (bool, error)
	// CreateTopic creates a non-partitioned topic or a partition (ErrTopicExists if it is there).
	CreateTopic(ctx context.Context, t topicname.Name) error
	// DeleteTopic deletes a topic and its data; unless force it fails with ErrTopicBusy
	// while producers or consumers are connected (force disconnects them).
	DeleteTopic(ctx context.Context, t topicname.Name, force bool) error
	// DeleteTopicSchema erases the schema of a deleted topic, as Pulsar does, so a topic
	// created again under the name starts without one. No-op for a single partition.
	DeleteTopicSchema(ctx context.Context, t topicname.Name) error
	// Stats returns the topic's statistics (ErrTopicNotFound if it does not exist).
	Stats(ctx context.Context, t topicname.Name) (*TopicStats, error)
	// InternalStats returns the managed ledger's view of the topic.
	InternalStats(ctx context.Context, t topicname.Name) (*InternalStats, error)
	// Unload closes the topic here; clients reconnect through a new lookup.
	Unload(ctx context.Context, t topicname.Name) error
	// Terminate seals the topic against new messages and returns its last message id.
	Terminate(ctx context.Context, t topicname.Name) (MessageID, error)
	// LastMessageID returns the id of the last stored message.
	LastMessageID(ctx context.Context, t topicname.Name) (MessageID, error)
	// MessageIDAt returns the id of the first message published at or after timestampMs.
	MessageIDAt(ctx context.Context, t topicname.Name, timestampMs int64) (MessageID, error)
}

// SubscriptionAdmin manages a topic's subscriptions (cursors).
type SubscriptionAdmin interface {
	// CreateSubscription creates a durable subscription starting at start (Earliest,
	// Latest or a message id); ErrSubscriptionExists if it is there.
	CreateSubscription(ctx context.Context, t topicname.Name, sub string, start MessageID) error
	// DeleteSubscription removes a subscription; unless force it fails with
	// ErrSubscriptionBusy while consumers are connected.
	DeleteSubscription(ctx context.Context, t topicname.Name, sub string, force bool) error
	// Skip acknowledges the next n messages of the backlog; n < 0 clears the backlog.
	Skip(ctx context.Context, t topicname.Name, sub string, n int64) error
	// ExpireMessages acknowledges messages published more than seconds ago.
	ExpireMessages(ctx context.Context, t topicname.Name, sub string, seconds int64) error
	// ResetCursorToTime moves the cursor to the first message published at or after timestampMs.
	ResetCursorToTime(ctx context.Context, t topicname.Name, sub string, timestampMs int64) error
	// ResetCursorToID moves the cursor to id (just after it when excluded).
	ResetCursorToID(ctx context.Context, t topicname.Name, sub string, id MessageID, excluded bool) error
}

// MessageReader reads stored messages without consuming them.
type MessageReader interface {
	// PeekMessage returns the n-th (1-based) message of a subscription's backlog without
	// moving its cursor; ErrMessageNotFound past the end.
	PeekMessage(ctx context.Context, t topicname.Name, sub string, n int64) (*Message, error)
	// ExamineMessage returns the n-th (1-based) message counted from the earliest or the
	// latest end of the topic.
	ExamineMessage(ctx context.Context, t topicname.Name, fromLatest bool, n int64) (*Message, error)
	// MessageByID returns the entry ledgerID:entryID.
	MessageByID(ctx context.Context, t topicname.Name, ledgerID, entryID int64) (*Message, error)
}

// ClusterInfo answers questions about brokers and ownership.
type ClusterInfo interface {
	// Lookup returns the URLs of the broker that owns the topic, claiming it when it
	// is unowned.
	Lookup(ctx context.Context, t topicname.Name, listenerName string) (LookupData, error)
	// ActiveBrokers lists the live brokers as "host:webPort".
	ActiveBrokers(ctx context.Context) ([]string, error)
	// LeaderBroker returns the leader among the brokers.
	LeaderBroker(ctx context.Context) (BrokerInfo, error)
	// HealthCheck proves the broker can serve: a produce/consume round trip on its
	// health-check topic.
	HealthCheck(ctx context.Context) error
}

// ConfigAdmin reads and changes the brokers' dynamic configuration (Pulsar's
// /admin/v2/brokers/configuration): overrides of broker.conf keys that apply at run time
// on every broker. Errors for keys that cannot change are 412s (resources.ErrInvalid).
type ConfigAdmin interface {
	// DynamicConfigNames lists the keys that can change at run time.
	DynamicConfigNames() []string
	// DynamicConfigValues returns the stored overrides.
	DynamicConfigValues(ctx context.Context) (map[string]string, error)
	// UpdateDynamicConfig stores and applies an override.
	UpdateDynamicConfig(ctx context.Context, name, value string) error
	// DeleteDynamicConfig removes an override (the configuration file's value applies).
	DeleteDynamicConfig(ctx context.Context, name string) error
	// RuntimeConfig returns every configuration key with the value in force.
	RuntimeConfig() map[string]string
}
