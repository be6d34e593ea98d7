package admin

import (
	"encoding/json"

	"github.com/magnetar/magnetar/wire/pb"
)

// JSON types of the topic endpoints, with Pulsar's field names (TopicStatsImpl and
// friends). The broker fills them; the admin API serves them.

// MessageID is Pulsar's REST message id. Latest is {MaxInt64, MaxInt64, -1}; earliest
// {-1, -1, -1}.
type MessageID struct {
	LedgerID       int64 `json:"ledgerId"`
	EntryID        int64 `json:"entryId"`
	PartitionIndex int   `json:"partitionIndex"`
	BatchIndex     int   `json:"batchIndex,omitempty"`
}

// Earliest and Latest are the positions pulsaradmin sends to create a subscription.
var (
	Earliest = MessageID{LedgerID: -1, EntryID: -1, PartitionIndex: -1}
	Latest   = MessageID{LedgerID: 1<<63 - 1, EntryID: 1<<63 - 1, PartitionIndex: -1}
)

// IsEarliest and IsLatest recognise the two special positions.
func (m MessageID) IsEarliest() bool { return m.LedgerID == -1 && m.EntryID == -1 }
func (m MessageID) IsLatest() bool   { return m.LedgerID == 1<<63-1 && m.EntryID == 1<<63-1 }

// PublisherStats describes one producer.
type PublisherStats struct {
	AccessMode              string            `json:"accessMode"`
	MsgRateIn               float64           `json:"msgRateIn"`
	MsgThroughputIn         float64           `json:"msgThroughputIn"`
	AverageMsgSize          float64           `json:"averageMsgSize"`
	ChunkedMessageRate      float64           `json:"chunkedMessageRate"`
	ProducerID              int64             `json:"producerId"`
	SupportsPartialProducer bool              `json:"supportsPartialProducer"`
	ProducerName            string            `json:"producerName"`
	Address                 string            `json:"address"`
	ConnectedSince          string            `json:"connectedSince"`
	ClientVersion           string            `json:"clientVersion"`
	Metadata                map[string]string `json:"metadata"`
}

// ConsumerStats describes one consumer of a subscription.
type ConsumerStats struct {
	MsgRateOut                   float64           `json:"msgRateOut"`
	MsgThroughputOut             float64           `json:"msgThroughputOut"`
	BytesOutCounter              int64             `json:"bytesOutCounter"`
	MsgOutCounter                int64             `json:"msgOutCounter"`
	MsgRateRedeliver             float64           `json:"msgRateRedeliver"`
	MessageAckRate               float64           `json:"messageAckRate"`
	ChunkedMessageRate           float64           `json:"chunkedMessageRate"`
	ConsumerName                 string            `json:"consumerName"`
	AvailablePermits             int               `json:"availablePermits"`
	UnackedMessages              int               `json:"unackedMessages"`
	AvgMessagesPerEntry          int               `json:"avgMessagesPerEntry"`
	BlockedConsumerOnUnackedMsgs bool              `json:"blockedConsumerOnUnackedMsgs"`
	LastAckedTimestamp           int64             `json:"lastAckedTimestamp"`
	LastConsumedTimestamp        int64             `json:"lastConsumedTimestamp"`
	LastConsumedFlowTimestamp    int64             `json:"lastConsumedFlowTimestamp"`
	Metadata                     map[string]string `json:"metadata"`
	Address                      string            `json:"address"`
	ConnectedSince               string            `json:"connectedSince"`
	ClientVersion                string            `json:"clientVersion"`
}

// SubscriptionStats describes one subscription.
type SubscriptionStats struct {
	MsgRateOut                       float64           `json:"msgRateOut"`
	MsgThroughputOut                 float64           `json:"msgThroughputOut"`
	BytesOutCounter                  int64             `json:"bytesOutCounter"`
	MsgOutCounter                    int64             `json:"msgOutCounter"`
	MsgRateRedeliver                 float64           `json:"msgRateRedeliver"`
	MessageAckRate                   float64           `json:"messageAckRate"`
	ChunkedMessageRate               float64           `json:"chunkedMessageRate"`
	MsgBacklog                       int64             `json:"msgBacklog"`
	BacklogSize                      int64             `json:"backlogSize"`
	EarliestMsgPublishTimeInBacklog  int64             `json:"earliestMsgPublishTimeInBacklog"`
	MsgBacklogNoDelayed              int64             `json:"msgBacklogNoDelayed"`
	BlockedSubscriptionOnUnackedMsgs bool              `json:"blockedSubscriptionOnUnackedMsgs"`
	MsgDelayed                       int64             `json:"msgDelayed"`
	UnackedMessages                  int64             `json:"unackedMessages"`
	Type                             string            `json:"type"`
	ActiveConsumerName               string            `json:"activeConsumerName,omitempty"`
	MsgRateExpired                   float64           `json:"msgRateExpired"`
	TotalMsgExpired                  int64             `json:"totalMsgExpired"`
	LastExpireTimestamp              int64             `json:"lastExpireTimestamp"`
	LastConsumedFlowTimestamp        int64             `json:"lastConsumedFlowTimestamp"`
	LastConsumedTimestamp            int64             `json:"lastConsumedTimestamp"`
	LastAckedTimestamp               int64             `json:"lastAckedTimestamp"`
	LastMarkDeleteAdvancedTimestamp  int64             `json:"lastMarkDeleteAdvancedTimestamp"`
	Consumers                        []ConsumerStats   `json:"consumers"`
	IsDurable                        bool              `json:"isDurable"`
	IsReplicated                     bool              `json:"isReplicated"`
	AllowOutOfOrderDelivery          bool              `json:"allowOutOfOrderDelivery"`
	ConsumersAfterMarkDeletePosition map[string]string `json:"consumersAfterMarkDeletePosition"`
	NonContiguousDeletedRanges       int               `json:"nonContiguousDeletedMessagesRanges"`
	NonContiguousDeletedRangesSize   int               `json:"nonContiguousDeletedMessagesRangesSerializedSize"`
	DelayedMessageIndexSizeInBytes   int64             `json:"delayedMessageIndexSizeInBytes"`
	SubscriptionProperties           map[string]string `json:"subscriptionProperties"`
	FilterProcessedMsgCount          int64             `json:"filterProcessedMsgCount"`
	FilterAcceptedMsgCount           int64             `json:"filterAcceptedMsgCount"`
	FilterRejectedMsgCount           int64             `json:"filterRejectedMsgCount"`
	FilterRescheduledMsgCount        int64             `json:"filterRescheduledMsgCount"`
}

// MarshalJSON also writes the spellings Pulsar's own output carries (durable,
// replicated, chuckedMessageRate) and never writes null maps or lists.
func (s SubscriptionStats) MarshalJSON() ([]byte, error) {
	type plain SubscriptionStats
	if s.Consumers == nil {
		s.Consumers = []ConsumerStats{}
	}
	if s.ConsumersAfterMarkDeletePosition == nil {
		s.ConsumersAfterMarkDeletePosition = map[string]string{}
	}
	if s.SubscriptionProperties == nil {
		s.SubscriptionProperties = map[string]string{}
	}
	return json.Marshal(struct {
		plain
		Durable    bool    `json:"durable"`
		Replicated bool    `json:"replicated"`
		Chucked    float64 `json:"chuckedMessageRate"`
	}{plain(s), s.IsDurable, s.IsReplicated, s.ChunkedMessageRate})
}

// ReplicatorStats describes replication to one remote cluster.
type ReplicatorStats struct {
	MsgRateIn                 float64 `json:"msgRateIn"`
	MsgThroughputIn           float64 `json:"msgThroughputIn"`
	MsgRateOut                float64 `json:"msgRateOut"`
	MsgThroughputOut          float64 `json:"msgThroughputOut"`
	MsgRateExpired            float64 `json:"msgRateExpired"`
	ReplicationBacklog        int64   `json:"replicationBacklog"`
	Connected                 bool    `json:"connected"`
	ReplicationDelayInSeconds int64   `json:"replicationDelayInSeconds"`
	InboundConnection         string  `json:"inboundConnection"`
	InboundConnectedSince     string  `json:"inboundConnectedSince"`
	OutboundConnection        string  `json:"outboundConnection"`
	OutboundConnectedSince    string  `json:"outboundConnectedSince"`
}

// CompactionStats describes the last compaction.
type CompactionStats struct {
	LastCompactionRemovedEventCount   int64 `json:"lastCompactionRemovedEventCount"`
	LastCompactionSucceedTimestamp    int64 `json:"lastCompactionSucceedTimestamp"`
	LastCompactionFailedTimestamp     int64 `json:"lastCompactionFailedTimestamp"`
	LastCompactionDurationTimeInMills int64 `json:"lastCompactionDurationTimeInMills"`
}

// TopicStats is GET .../stats (and, with Metadata and Partitions, .../partitioned-stats).
type TopicStats struct {
	MsgRateIn                        float64                      `json:"msgRateIn"`
	MsgThroughputIn                  float64                      `json:"msgThroughputIn"`
	MsgRateOut                       float64                      `json:"msgRateOut"`
	MsgThroughputOut                 float64                      `json:"msgThroughputOut"`
	BytesInCounter                   int64                        `json:"bytesInCounter"`
	MsgInCounter                     int64                        `json:"msgInCounter"`
	BytesOutCounter                  int64                        `json:"bytesOutCounter"`
	MsgOutCounter                    int64                        `json:"msgOutCounter"`
	AverageMsgSize                   float64                      `json:"averageMsgSize"`
	MsgChunkPublished                bool                         `json:"msgChunkPublished"`
	StorageSize                      int64                        `json:"storageSize"`
	BacklogSize                      int64                        `json:"backlogSize"`
	PublishRateLimitedTimes          int64                        `json:"publishRateLimitedTimes"`
	EarliestMsgPublishTimeInBacklogs int64                        `json:"earliestMsgPublishTimeInBacklogs"`
	OffloadedStorageSize             int64                        `json:"offloadedStorageSize"`
	Publishers                       []PublisherStats             `json:"publishers"`
	WaitingPublishers                int                          `json:"waitingPublishers"`
	Subscriptions                    map[string]SubscriptionStats `json:"subscriptions"`
	Replication                      map[string]ReplicatorStats   `json:"replication"`
	DeduplicationStatus              string                       `json:"deduplicationStatus"`
	TopicEpoch                       *int64                       `json:"topicEpoch"`
	NonContiguousDeletedRanges       int                          `json:"nonContiguousDeletedMessagesRanges"`
	NonContiguousDeletedRangesSize   int                          `json:"nonContiguousDeletedMessagesRangesSerializedSize"`
	DelayedMessageIndexSizeInBytes   int64                        `json:"delayedMessageIndexSizeInBytes"`
	Compaction                       CompactionStats              `json:"compaction"`
	OwnerBroker                      string                       `json:"ownerBroker"`
	BacklogQuotaLimitSize            int64                        `json:"backlogQuotaLimitSize"`
	BacklogQuotaLimitTime            int64                        `json:"backlogQuotaLimitTime"`
	TopicCreationTimeStamp           int64                        `json:"topicCreationTimeStamp"`
	LastPublishTimeStamp             int64                        `json:"lastPublishTimeStamp"`

	// Only in partitioned-stats.
	Metadata   *PartitionedMetadata  `json:"metadata,omitempty"`
	Partitions map[string]TopicStats `json:"partitions,omitempty"`
}

// PartitionedMetadata is the "metadata" of partitioned-stats.
type PartitionedMetadata struct {
	Partitions int `json:"partitions"`
}

// MarshalJSON also writes "lastPublishTimestamp" (the spelling pulsaradmin reads) and
// never writes null lists or maps.
func (s TopicStats) MarshalJSON() ([]byte, error) {
	type plain TopicStats
	if s.Publishers == nil {
		s.Publishers = []PublisherStats{}
	}
	if s.Subscriptions == nil {
		s.Subscriptions = map[string]SubscriptionStats{}
	}
	if s.Replication == nil {
		s.Replication = map[string]ReplicatorStats{}
	}
	return json.Marshal(struct {
		plain
		LastPublishTimestamp int64 `json:"lastPublishTimestamp"`
	}{plain(s), s.LastPublishTimeStamp})
}

// LedgerInfo is one ledger in internal stats.
type LedgerInfo struct {
	LedgerID        int64  `json:"ledgerId"`
	Entries         int64  `json:"entries"`
	Size            int64  `json:"size"`
	Timestamp       int64  `json:"timestamp"`
	Offloaded       bool   `json:"offloaded"`
	Metadata        string `json:"metadata,omitempty"`
	UnderReplicated bool   `json:"underReplicated"`
}

// CursorStats is one cursor in internal stats.
type CursorStats struct {
	MarkDeletePosition                       string           `json:"markDeletePosition"`
	ReadPosition                             string           `json:"readPosition"`
	WaitingReadOp                            bool             `json:"waitingReadOp"`
	PendingReadOps                           int              `json:"pendingReadOps"`
	MessagesConsumedCounter                  int64            `json:"messagesConsumedCounter"`
	CursorLedger                             int64            `json:"cursorLedger"`
	CursorLedgerLastEntry                    int64            `json:"cursorLedgerLastEntry"`
	IndividuallyDeletedMessages              string           `json:"individuallyDeletedMessages"`
	LastLedgerSwitchTimestamp                string           `json:"lastLedgerSwitchTimestamp"`
	State                                    string           `json:"state"`
	Active                                   bool             `json:"active"`
	NumberOfEntriesSinceFirstNotAckedMessage int64            `json:"numberOfEntriesSinceFirstNotAckedMessage"`
	TotalNonContiguousDeletedMessagesRange   int              `json:"totalNonContiguousDeletedMessagesRange"`
	Properties                               map[string]int64 `json:"properties"`
}

// InternalStats is GET .../internalStats (PersistentTopicInternalStats).
type InternalStats struct {
	EntriesAddedCounter                int64                  `json:"entriesAddedCounter"`
	NumberOfEntries                    int64                  `json:"numberOfEntries"`
	TotalSize                          int64                  `json:"totalSize"`
	CurrentLedgerEntries               int64                  `json:"currentLedgerEntries"`
	CurrentLedgerSize                  int64                  `json:"currentLedgerSize"`
	LastLedgerCreatedTimestamp         string                 `json:"lastLedgerCreatedTimestamp"`
	LastLedgerCreationFailureTimestamp string                 `json:"lastLedgerCreationFailureTimestamp"`
	WaitingCursorsCount                int                    `json:"waitingCursorsCount"`
	PendingAddEntriesCount             int                    `json:"pendingAddEntriesCount"`
	LastConfirmedEntry                 string                 `json:"lastConfirmedEntry"`
	State                              string                 `json:"state"`
	Ledgers                            []LedgerInfo           `json:"ledgers"`
	Cursors                            map[string]CursorStats `json:"cursors"`
	SchemaLedgers                      []LedgerInfo           `json:"schemaLedgers"`
	CompactedLedger                    LedgerInfo             `json:"compactedLedger"`
}

// Message is one stored entry returned by peek, examine and get-by-id: its position,
// its metadata and its payload, uncompressed (for a batch, the whole batch frame).
type Message struct {
	ID       MessageID
	Metadata *pb.MessageMetadata
	Payload  []byte
}

// LookupData is the answer of /lookup/v2/topic/...: the owner broker's URLs.
type LookupData struct {
	BrokerURL    string `json:"brokerUrl"`
	BrokerURLTLS string `json:"brokerUrlTls"`
	HTTPURL      string `json:"httpUrl"`
	HTTPURLTLS   string `json:"httpUrlTls"`
	NativeURL    string `json:"nativeUrl,omitempty"`
}

// BrokerInfo identifies a broker (GET /admin/v2/brokers/leaderBroker).
type BrokerInfo struct {
	BrokerID   string `json:"brokerId"`
	ServiceURL string `json:"serviceUrl"`
}
