package broker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magnetar/magnetar/resources"
)

// Config is a broker's configuration. Field tags carry Pulsar's broker.conf key names, so a
// Pulsar user's standalone.conf or broker.conf works as is (keys Magnetar does not know are
// reported, not fatal). Defaults are Pulsar's, set in one place: DefaultConfig.
type Config struct {
	ClusterName       string `conf:"clusterName"`
	AdvertisedAddress string `conf:"advertisedAddress"`
	BindAddress       string `conf:"bindAddress"`
	BrokerServicePort int    `conf:"brokerServicePort"`
	WebServicePort    int    `conf:"webServicePort"`
	MetadataStoreURL  string `conf:"metadataStoreUrl"`

	// MaxMessageSize is advertised to clients in CONNECTED; bigger SENDs are refused.
	MaxMessageSize           int `conf:"maxMessageSize"`
	KeepAliveIntervalSeconds int `conf:"keepAliveIntervalSeconds"`
	// MaxPendingPublishRequestsPerConnection: past this many unacknowledged SENDs the broker
	// stops reading the connection until half of them are acknowledged (backpressure).
	MaxPendingPublishRequestsPerConnection int `conf:"maxPendingPublishRequestsPerConnection"`

	AllowAutoTopicCreation        bool   `conf:"allowAutoTopicCreation"`
	AllowAutoTopicCreationType    string `conf:"allowAutoTopicCreationType"` // non-partitioned | partitioned
	DefaultNumPartitions          int    `conf:"defaultNumPartitions"`
	AllowAutoSubscriptionCreation bool   `conf:"allowAutoSubscriptionCreation"`

	BrokerDeleteInactiveTopicsEnabled                    bool `conf:"brokerDeleteInactiveTopicsEnabled"`
	BrokerDeleteInactiveTopicsFrequencySeconds           int  `conf:"brokerDeleteInactiveTopicsFrequencySeconds"`
	BrokerDeleteInactiveTopicsMaxInactiveDurationSeconds int  `conf:"brokerDeleteInactiveTopicsMaxInactiveDurationSeconds"`

	BrokerDeduplicationEnabled bool `conf:"brokerDeduplicationEnabled"`

	BacklogQuotaCheckEnabled           bool `conf:"backlogQuotaCheckEnabled"`
	BacklogQuotaCheckIntervalInSeconds int  `conf:"backlogQuotaCheckIntervalInSeconds"`

	// MessageExpiryCheckIntervalInMinutes: how often message TTLs are enforced (every
	// subscription's messages older than the topic's TTL are acknowledged).
	MessageExpiryCheckIntervalInMinutes int `conf:"messageExpiryCheckIntervalInMinutes"`
	// SubscriptionExpiryCheckIntervalInMinutes: how often subscriptions idle for longer
	// than subscription_expiration_time_minutes are deleted.
	SubscriptionExpiryCheckIntervalInMinutes int `conf:"subscriptionExpiryCheckIntervalInMinutes"`
	// MessageExpiryCheckInterval and SubscriptionExpiryCheckInterval, when set, replace
	// the two minute-granular keys above (tests check every few hundred milliseconds).
	MessageExpiryCheckInterval      time.Duration
	SubscriptionExpiryCheckInterval time.Duration

	AcknowledgmentAtBatchIndexLevelEnabled bool  `conf:"acknowledgmentAtBatchIndexLevelEnabled"`
	MaxUnackedMessagesPerConsumer          int   `conf:"maxUnackedMessagesPerConsumer"`
	DelayedDeliveryEnabled                 bool  `conf:"delayedDeliveryEnabled"`
	DelayedDeliveryTickTimeMillis          int   `conf:"delayedDeliveryTickTimeMillis"`
	DispatcherMaxReadBatchSize             int   `conf:"dispatcherMaxReadBatchSize"`
	DispatcherMaxReadSizeBytes             int64 `conf:"dispatcherMaxReadSizeBytes"`
	// SubscriptionKeySharedUseConsistentHashing is accepted for compatibility; Key_Shared
	// always uses the auto-split hash-range selector.
	SubscriptionKeySharedUseConsistentHashing bool `conf:"subscriptionKeySharedUseConsistentHashing"`

	ManagedLedgerDefaultEnsembleSize          int     `conf:"managedLedgerDefaultEnsembleSize"`
	ManagedLedgerDefaultWriteQuorum           int     `conf:"managedLedgerDefaultWriteQuorum"`
	ManagedLedgerDefaultAckQuorum             int     `conf:"managedLedgerDefaultAckQuorum"`
	ManagedLedgerMaxEntriesPerLedger          int     `conf:"managedLedgerMaxEntriesPerLedger"`
	ManagedLedgerMaxSizePerLedgerMbytes       int     `conf:"managedLedgerMaxSizePerLedgerMbytes"`
	ManagedLedgerMinLedgerRolloverTimeMinutes int     `conf:"managedLedgerMinLedgerRolloverTimeMinutes"`
	ManagedLedgerMaxLedgerRolloverTimeMinutes int     `conf:"managedLedgerMaxLedgerRolloverTimeMinutes"`
	ManagedLedgerCacheSizeMB                  int     `conf:"managedLedgerCacheSizeMB"`
	ManagedLedgerDefaultMarkDeleteRateLimit   float64 `conf:"managedLedgerDefaultMarkDeleteRateLimit"`
	DefaultRetentionTimeInMinutes             int     `conf:"defaultRetentionTimeInMinutes"`
	DefaultRetentionSizeInMB                  int     `conf:"defaultRetentionSizeInMB"`

	// DefaultNumberOfNamespaceBundles is recorded in the policies of namespaces the broker
	// creates (bundles are the unit of ownership in a cluster).
	DefaultNumberOfNamespaceBundles int `conf:"defaultNumberOfNamespaceBundles"`

	ExposeTopicLevelMetricsInPrometheus bool `conf:"exposeTopicLevelMetricsInPrometheus"`

	// EnableBrokerSideSubscriptionPatternEvaluation lets pattern consumers watch a
	// namespace's topic list (WATCH_TOPIC_LIST) instead of polling it.
	EnableBrokerSideSubscriptionPatternEvaluation bool `conf:"enableBrokerSideSubscriptionPatternEvaluation"`
	SubscriptionPatternMaxLength                  int  `conf:"subscriptionPatternMaxLength"`

	// extra holds keys of the file that Config has no field for but the policy defaults
	// (resources.Defaults) have, such as maxNumPartitionsPerPartitionedTopic.
	extra map[string]string
}

// ResourceDefaults are the policy defaults for package resources: Pulsar's, overridden by
// this configuration's values for the keys both know.
func (c *Config) ResourceDefaults() resources.Defaults {
	d := resources.BrokerDefaults()
	target := confFields(&d)
	for key, f := range confFields(c) {
		if t, ok := target[key]; ok && f.Type().ConvertibleTo(t.Type()) {
			t.Set(f.Convert(t.Type()))
		}
	}
	for key, value := range c.extra {
		if t, ok := target[key]; ok {
			_ = setField(t, value) // validated when parsed
		}
	}
	return d
}

// DefaultConfig returns Pulsar's defaults for every supported key.
func DefaultConfig() Config {
	return Config{
		ClusterName:       "standalone",
		AdvertisedAddress: "localhost",
		BindAddress:       "0.0.0.0",
		BrokerServicePort: 6650,
		WebServicePort:    8080,

		MaxMessageSize:                         5 * 1024 * 1024,
		KeepAliveIntervalSeconds:               30,
		MaxPendingPublishRequestsPerConnection: 1000,

		AllowAutoTopicCreation:        true,
		AllowAutoTopicCreationType:    "non-partitioned",
		DefaultNumPartitions:          1,
		AllowAutoSubscriptionCreation: true,

		BrokerDeleteInactiveTopicsEnabled:          true,
		BrokerDeleteInactiveTopicsFrequencySeconds: 60,

		BacklogQuotaCheckEnabled:           true,
		BacklogQuotaCheckIntervalInSeconds: 60,

		MessageExpiryCheckIntervalInMinutes:      5,
		SubscriptionExpiryCheckIntervalInMinutes: 5,

		AcknowledgmentAtBatchIndexLevelEnabled: true,
		MaxUnackedMessagesPerConsumer:          50000,
		DelayedDeliveryEnabled:                 true,
		DelayedDeliveryTickTimeMillis:          1000,
		DispatcherMaxReadBatchSize:             100,
		DispatcherMaxReadSizeBytes:             5 * 1024 * 1024,

		ManagedLedgerDefaultEnsembleSize:          1,
		ManagedLedgerDefaultWriteQuorum:           1,
		ManagedLedgerDefaultAckQuorum:             1,
		ManagedLedgerMaxEntriesPerLedger:          50000,
		ManagedLedgerMaxSizePerLedgerMbytes:       2048,
		ManagedLedgerMinLedgerRolloverTimeMinutes: 10,
		ManagedLedgerMaxLedgerRolloverTimeMinutes: 240,
		ManagedLedgerDefaultMarkDeleteRateLimit:   1.0,

		DefaultNumberOfNamespaceBundles: 4,

		ExposeTopicLevelMetricsInPrometheus: true,

		EnableBrokerSideSubscriptionPatternEvaluation: true,
		SubscriptionPatternMaxLength:                  50,
	}
}

// messageExpiryEvery is the period of the message TTL check.
func (c *Config) messageExpiryEvery() time.Duration {
	if c.MessageExpiryCheckInterval > 0 {
		return c.MessageExpiryCheckInterval
	}
	return time.Duration(c.MessageExpiryCheckIntervalInMinutes) * time.Minute
}

// subscriptionExpiryEvery is the period of the subscription expiration check.
func (c *Config) subscriptionExpiryEvery() time.Duration {
	if c.SubscriptionExpiryCheckInterval > 0 {
		return c.SubscriptionExpiryCheckInterval
	}
	return time.Duration(c.SubscriptionExpiryCheckIntervalInMinutes) * time.Minute
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.ClusterName == "":
		return fmt.Errorf("config: clusterName is empty")
	case c.MaxMessageSize <= 0:
		return fmt.Errorf("config: maxMessageSize %d must be positive", c.MaxMessageSize)
	case c.AllowAutoTopicCreationType != "non-partitioned" && c.AllowAutoTopicCreationType != "partitioned":
		return fmt.Errorf("config: allowAutoTopicCreationType %q: want non-partitioned or partitioned", c.AllowAutoTopicCreationType)
	case c.AllowAutoTopicCreationType == "partitioned" && c.DefaultNumPartitions <= 0:
		return fmt.Errorf("config: defaultNumPartitions %d must be positive", c.DefaultNumPartitions)
	case c.ManagedLedgerDefaultAckQuorum > c.ManagedLedgerDefaultWriteQuorum ||
		c.ManagedLedgerDefaultWriteQuorum > c.ManagedLedgerDefaultEnsembleSize ||
		c.ManagedLedgerDefaultAckQuorum < 1:
		return fmt.Errorf("config: need 1 <= ackQuorum (%d) <= writeQuorum (%d) <= ensembleSize (%d)",
			c.ManagedLedgerDefaultAckQuorum, c.ManagedLedgerDefaultWriteQuorum, c.ManagedLedgerDefaultEnsembleSize)
	}
	return nil
}

// LoadConfigFile applies a Pulsar-style key=value file to c. It returns the keys it does
// not know (sorted), so the caller can report them; they are not an error.
func LoadConfigFile(c *Config, path string) (unknown []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	unknown, err = ParseConfig(c, f)
	if err != nil {
		return unknown, fmt.Errorf("config %s: %w", path, err)
	}
	return unknown, nil
}

// ParseConfig applies key=value lines to c. As in Pulsar's files, '#' starts a comment
// line, whitespace around keys and values is ignored, and an empty value keeps the default.
// A malformed value of a known key is an error; unknown keys are returned.
func ParseConfig(c *Config, r io.Reader) (unknown []string, err error) {
	fields := confFields(c)
	var probe resources.Defaults
	policyFields := confFields(&probe)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == '!' {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			key, value, ok = strings.Cut(text, ":")
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return unknown, fmt.Errorf("line %d: %q is not key=value", line, text)
		}
		field, known := fields[key]
		if !known {
			if pf, ok := policyFields[key]; ok {
				if value == "" {
					continue
				}
				if err := setField(pf, value); err != nil {
					return unknown, fmt.Errorf("line %d: %s: %w", line, key, err)
				}
				if c.extra == nil {
					c.extra = map[string]string{}
				}
				c.extra[key] = value
				continue
			}
			unknown = append(unknown, key)
			continue
		}
		if value == "" {
			continue
		}
		if err := setField(field, value); err != nil {
			return unknown, fmt.Errorf("line %d: %s: %w", line, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return unknown, err
	}
	sort.Strings(unknown)
	return unknown, nil
}

// ConfigKeys lists the supported keys, sorted.
func ConfigKeys() []string {
	var c Config
	var d resources.Defaults
	var keys []string
	for k := range confFields(&c) {
		keys = append(keys, k)
	}
	for k := range confFields(&d) {
		if _, dup := confFields(&c)[k]; !dup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// confFields maps the conf tags of a struct (pointer) to its settable fields.
func confFields(ptr any) map[string]reflect.Value {
	v := reflect.ValueOf(ptr).Elem()
	t := v.Type()
	m := make(map[string]reflect.Value, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if key := t.Field(i).Tag.Get("conf"); key != "" {
			m[key] = v.Field(i)
		}
	}
	return m
}

func setField(f reflect.Value, value string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", value)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", value)
		}
		f.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", value)
		}
		f.SetFloat(x)
	default:
		return fmt.Errorf("unsupported field kind %v", f.Kind())
	}
	return nil
}
