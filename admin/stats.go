package admin

import (
	"errors"
	"net/http"
	"slices"

	"github.com/magnetar/magnetar/resources/topicname"
)

// stats serves GET .../stats, honouring excludePublishers and excludeConsumers.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	if err := h.res.CheckNamespace(r.Context(), t.Namespace); err != nil {
		return err
	}
	st, err := h.broker.Stats(r.Context(), t)
	if err != nil {
		return err
	}
	s := *st
	trimStats(&s, queryBool(r, "excludePublishers", false), queryBool(r, "excludeConsumers", false))
	return ok(w, s)
}

// trimStats drops publishers and/or consumers (a copy: the broker's maps stay intact).
func trimStats(s *TopicStats, noPublishers, noConsumers bool) {
	if noPublishers {
		s.Publishers = nil
	}
	if noConsumers {
		subs := make(map[string]SubscriptionStats, len(s.Subscriptions))
		for name, sub := range s.Subscriptions {
			sub.Consumers = nil
			subs[name] = sub
		}
		s.Subscriptions = subs
	}
}

// partitionedStats serves GET .../partitioned-stats: the partitions' stats summed, with
// each partition's own stats when perPartition (the default) is true.
func (h *Handler) partitionedStats(w http.ResponseWriter, r *http.Request, t topicname.Name) error {
	ctx := r.Context()
	if err := h.res.CheckNamespace(ctx, t.Namespace); err != nil {
		return err
	}
	m, err := h.res.GetPartitionedTopic(ctx, t)
	if err != nil {
		return err
	}
	noPub, noCons := queryBool(r, "excludePublishers", false), queryBool(r, "excludeConsumers", false)
	total := TopicStats{Metadata: &PartitionedMetadata{Partitions: m.Partitions}, Partitions: map[string]TopicStats{}}
	for i := range m.Partitions {
		p := t.PartitionName(i)
		st, err := h.broker.Stats(ctx, p)
		if errors.Is(err, ErrTopicNotFound) {
			continue // not created yet
		}
		if err != nil {
			return err
		}
		s := *st
		trimStats(&s, noPub, noCons)
		addStats(&total, &s)
		if queryBool(r, "perPartition", true) {
			total.Partitions[p.String()] = s
		}
	}
	if total.MsgInCounter > 0 {
		total.AverageMsgSize = float64(total.BytesInCounter) / float64(total.MsgInCounter)
	}
	return ok(w, total)
}

// addStats adds one partition's stats to the aggregate, as Pulsar's
// PartitionedTopicStatsImpl.add does: counters and rates summed, publishers listed,
// subscriptions merged by name.
func addStats(total, s *TopicStats) {
	total.MsgRateIn += s.MsgRateIn
	total.MsgThroughputIn += s.MsgThroughputIn
	total.MsgRateOut += s.MsgRateOut
	total.MsgThroughputOut += s.MsgThroughputOut
	total.BytesInCounter += s.BytesInCounter
	total.MsgInCounter += s.MsgInCounter
	total.BytesOutCounter += s.BytesOutCounter
	total.MsgOutCounter += s.MsgOutCounter
	total.StorageSize += s.StorageSize
	total.BacklogSize += s.BacklogSize
	total.OffloadedStorageSize += s.OffloadedStorageSize
	total.PublishRateLimitedTimes += s.PublishRateLimitedTimes
	total.WaitingPublishers += s.WaitingPublishers
	total.MsgChunkPublished = total.MsgChunkPublished || s.MsgChunkPublished
	total.NonContiguousDeletedRanges += s.NonContiguousDeletedRanges
	total.NonContiguousDeletedRangesSize += s.NonContiguousDeletedRangesSize
	total.DelayedMessageIndexSizeInBytes += s.DelayedMessageIndexSizeInBytes
	total.Publishers = append(total.Publishers, s.Publishers...)
	total.DeduplicationStatus = s.DeduplicationStatus
	total.OwnerBroker = s.OwnerBroker
	total.BacklogQuotaLimitSize, total.BacklogQuotaLimitTime = s.BacklogQuotaLimitSize, s.BacklogQuotaLimitTime
	if total.TopicCreationTimeStamp == 0 || (s.TopicCreationTimeStamp != 0 && s.TopicCreationTimeStamp < total.TopicCreationTimeStamp) {
		total.TopicCreationTimeStamp = s.TopicCreationTimeStamp
	}
	total.LastPublishTimeStamp = max(total.LastPublishTimeStamp, s.LastPublishTimeStamp)
	if s.EarliestMsgPublishTimeInBacklogs > 0 && (total.EarliestMsgPublishTimeInBacklogs == 0 ||
		s.EarliestMsgPublishTimeInBacklogs < total.EarliestMsgPublishTimeInBacklogs) {
		total.EarliestMsgPublishTimeInBacklogs = s.EarliestMsgPublishTimeInBacklogs
	}
	if total.Subscriptions == nil {
		total.Subscriptions = map[string]SubscriptionStats{}
	}
	for name, sub := range s.Subscriptions {
		cur, seen := total.Subscriptions[name]
		if !seen {
			sub.Consumers = slices.Clone(sub.Consumers) // appended to below: no sharing with the partition's view
			total.Subscriptions[name] = sub
			continue
		}
		cur.MsgRateOut += sub.MsgRateOut
		cur.MsgThroughputOut += sub.MsgThroughputOut
		cur.BytesOutCounter += sub.BytesOutCounter
		cur.MsgOutCounter += sub.MsgOutCounter
		cur.MsgRateRedeliver += sub.MsgRateRedeliver
		cur.MessageAckRate += sub.MessageAckRate
		cur.ChunkedMessageRate += sub.ChunkedMessageRate
		cur.MsgBacklog += sub.MsgBacklog
		cur.BacklogSize += sub.BacklogSize
		cur.MsgBacklogNoDelayed += sub.MsgBacklogNoDelayed
		cur.MsgDelayed += sub.MsgDelayed
		cur.UnackedMessages += sub.UnackedMessages
		cur.MsgRateExpired += sub.MsgRateExpired
		cur.TotalMsgExpired += sub.TotalMsgExpired
		cur.Consumers = append(cur.Consumers, sub.Consumers...)
		cur.LastExpireTimestamp = max(cur.LastExpireTimestamp, sub.LastExpireTimestamp)
		cur.LastConsumedFlowTimestamp = max(cur.LastConsumedFlowTimestamp, sub.LastConsumedFlowTimestamp)
		cur.LastConsumedTimestamp = max(cur.LastConsumedTimestamp, sub.LastConsumedTimestamp)
		cur.LastAckedTimestamp = max(cur.LastAckedTimestamp, sub.LastAckedTimestamp)
		cur.LastMarkDeleteAdvancedTimestamp = max(cur.LastMarkDeleteAdvancedTimestamp, sub.LastMarkDeleteAdvancedTimestamp)
		cur.BlockedSubscriptionOnUnackedMsgs = cur.BlockedSubscriptionOnUnackedMsgs || sub.BlockedSubscriptionOnUnackedMsgs
		cur.NonContiguousDeletedRanges += sub.NonContiguousDeletedRanges
		cur.NonContiguousDeletedRangesSize += sub.NonContiguousDeletedRangesSize
		cur.DelayedMessageIndexSizeInBytes += sub.DelayedMessageIndexSizeInBytes
		cur.FilterProcessedMsgCount += sub.FilterProcessedMsgCount
		cur.FilterAcceptedMsgCount += sub.FilterAcceptedMsgCount
		cur.FilterRejectedMsgCount += sub.FilterRejectedMsgCount
		cur.FilterRescheduledMsgCount += sub.FilterRescheduledMsgCount
		total.Subscriptions[name] = cur
	}
}
