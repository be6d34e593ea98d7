package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/admin"
	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// AdminAPI returns the broker as the admin REST API sees it.
func (b *Broker) AdminAPI() admin.Broker { return adminBroker{b} }

// adminBroker implements admin.Broker: topic, subscription and message operations on
// this broker's topics. Errors are admin's Err* values where Pulsar answers 4xx.
type adminBroker struct{ b *Broker }

var _ admin.Broker = adminBroker{}

// existing loads a topic that must exist (ErrTopicNotFound otherwise).
func (a adminBroker) existing(ctx context.Context, n topicname.Name) (*topic, error) {
	t, err := a.b.topics.getOrLoad(ctx, n, mustExist)
	var se *serverError
	if errors.As(err, &se) && se.code == pb.ServerError_TopicNotFound {
		return nil, admin.ErrTopicNotFound
	}
	return t, err
}

func (a adminBroker) persistent(ctx context.Context, n topicname.Name) (*topic, error) {
	if !n.IsPersistent() {
		return nil, admin.ErrNotPersistent
	}
	return a.existing(ctx, n)
}

func (a adminBroker) Topics(ctx context.Context, ns topicname.Namespace, d topicname.Domain) ([]string, error) {
	set := map[string]struct{}{}
	if d == topicname.Persistent && a.b.mlf != nil {
		prefix := ns.String() + "/" + string(topicname.Persistent) + "/"
		names, err := a.b.mlf.Names(ctx, prefix)
		if err != nil {
			return nil, err
		}
		for _, pn := range names {
			local, err := topicname.Decode(strings.TrimPrefix(pn, prefix))
			if err != nil {
				continue
			}
			if n, err := topicname.New(topicname.Persistent, ns.Tenant, ns.Name, local); err == nil {
				set[n.String()] = struct{}{}
			}
		}
	}
	for _, t := range a.b.topics.loaded() {
		if t.name.Domain == d && t.name.Namespace == ns && !t.isClosed() {
			set[t.key] = struct{}{}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	return out, nil
}

func (a adminBroker) TopicExists(ctx context.Context, n topicname.Name) (bool, error) {
	return a.b.topicExists(ctx, n)
}

func (a adminBroker) CreateTopic(ctx context.Context, n topicname.Name) error {
	exists, err := a.b.topicExists(ctx, n)
	if err != nil {
		return err
	}
	if exists {
		return admin.ErrTopicExists
	}
	_, err = a.b.topics.getOrLoad(ctx, n, forceCreate)
	return err
}

func (a adminBroker) DeleteTopic(ctx context.Context, n topicname.Name, force bool) error {
	t, err := a.existing(ctx, n)
	if err != nil {
		return err
	}
	if err := t.delete(ctx, force); err != nil {
		return err
	}
	return a.b.DeleteTopicSchema(ctx, n)
}

// DeleteTopicSchema erases a deleted topic's schema (admin.TopicAdmin).
func (a adminBroker) DeleteTopicSchema(ctx context.Context, n topicname.Name) error {
	return a.b.DeleteTopicSchema(ctx, n)
}

// delete removes the topic and its data. Without force it refuses while clients are
// connected.
func (t *topic) delete(ctx context.Context, force bool) error {
	t.mu.Lock()
	busy := len(t.producers) > 0 || len(t.waiting) > 0
	for _, s := range t.subs {
		if s.hasConsumers() {
			busy = true
		}
	}
	t.mu.Unlock()
	if busy && !force {
		return admin.ErrTopicBusy
	}
	return t.shutdown(ctx, true, true)
}

func (a adminBroker) Stats(ctx context.Context, n topicname.Name) (*admin.TopicStats, error) {
	t, err := a.existing(ctx, n)
	if err != nil {
		return nil, err
	}
	return t.adminStats(), nil
}

func (t *topic) adminStats() *admin.TopicStats {
	m := t.metrics(time.Now())
	st := &admin.TopicStats{
		MsgRateIn: m.RateIn, MsgThroughputIn: m.ThroughputIn,
		MsgRateOut: m.RateOut, MsgThroughputOut: m.ThroughputOut,
		BytesInCounter: m.InBytesTotal, MsgInCounter: m.InMessagesTotal,
		BytesOutCounter: m.OutBytesTotal, MsgOutCounter: m.OutMessagesTotal,
		AverageMsgSize: m.AverageMsgSize, StorageSize: m.StorageSize, BacklogSize: m.BacklogSize,
		Subscriptions:          map[string]admin.SubscriptionStats{},
		DeduplicationStatus:    "Disabled",
		OwnerBroker:            strings.TrimPrefix(t.b.webURL, "http://"),
		TopicCreationTimeStamp: t.created.UnixMilli(),
		LastPublishTimeStamp:   t.lastPublish.Load(),
		BacklogQuotaLimitSize:  -1,
		BacklogQuotaLimitTime:  -1,

		PublishRateLimitedTimes: t.pubLimit.limitedTimes(),
	}
	if t.dedup != nil {
		st.DeduplicationStatus = "Enabled"
	}
	t.mu.Lock()
	epoch := int64(t.epoch)
	if t.epoch > 0 {
		st.TopicEpoch = &epoch
	}
	for _, p := range t.producers {
		st.Publishers = append(st.Publishers, admin.PublisherStats{
			AccessMode:     p.mode.String(),
			ProducerID:     int64(p.id),
			ProducerName:   p.name,
			Address:        p.c.remote,
			ConnectedSince: p.since.UTC().Format(time.RFC3339Nano),
			ClientVersion:  p.c.clientVersion,
			Metadata:       p.metadata,
		})
	}
	st.WaitingPublishers = len(t.waiting)
	subs := t.subscriptionList()
	t.mu.Unlock()
	for _, s := range subs {
		st.Subscriptions[s.name] = s.adminStats()
	}
	return st
}

func (s *subscription) adminStats() admin.SubscriptionStats {
	st := admin.SubscriptionStats{IsDurable: s.durable}
	if s.cursor != nil {
		st.MsgBacklog = s.cursor.Backlog()
		st.BacklogSize = s.cursor.BacklogBytes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Type = subTypeName(s.subType)
	st.MsgDelayed = int64(s.delayed.len())
	st.MsgBacklogNoDelayed = st.MsgBacklog - st.MsgDelayed
	st.MsgOutCounter, st.BytesOutCounter = s.msgOut, s.bytesOut
	st.LastConsumedTimestamp, st.LastConsumedFlowTimestamp, st.LastAckedTimestamp = s.lastConsumed, s.lastFlow, s.lastAcked
	st.LastMarkDeleteAdvancedTimestamp, st.LastExpireTimestamp, st.TotalMsgExpired = s.lastMarkDeleteAdvanced, s.lastExpire, s.totalExpired
	// Rates over the time since the previous stats request (Pulsar: its stats interval);
	// the "in" side of rateState counts expired and redelivered messages here.
	now := time.Now()
	st.MsgRateExpired, st.MsgRateRedeliver, st.MsgRateOut, st.MsgThroughputOut = s.rates.rates(now, s.totalExpired, s.redelivered, s.msgOut, s.bytesOut)
	st.BlockedSubscriptionOnUnackedMsgs = s.blocked
	if s.active != nil {
		st.ActiveConsumerName = s.active.name
	}
	for _, c := range s.consumers {
		st.UnackedMessages += int64(c.unacked)
		_, _, rateOut, throughputOut := c.rates.rates(now, 0, 0, c.msgOut, c.bytesOut)
		st.Consumers = append(st.Consumers, admin.ConsumerStats{
			MsgRateOut:                   rateOut,
			MsgThroughputOut:             throughputOut,
			ConsumerName:                 c.name,
			MsgOutCounter:                c.msgOut,
			BytesOutCounter:              c.bytesOut,
			AvailablePermits:             int(c.permits),
			UnackedMessages:              c.unacked,
			BlockedConsumerOnUnackedMsgs: c.blocked,
			LastAckedTimestamp:           c.lastAcked,
			LastConsumedTimestamp:        c.lastConsumed,
			LastConsumedFlowTimestamp:    c.lastFlow,
			Metadata:                     c.metadata,
			Address:                      c.c.remote,
			ConnectedSince:               c.since.UTC().Format(time.RFC3339Nano),
			ClientVersion:                c.c.clientVersion,
		})
	}
	if st.Consumers == nil {
		st.Consumers = []admin.ConsumerStats{}
	}
	return st
}

// subTypeName is Pulsar's spelling of a subscription type in stats.
func subTypeName(t pb.CommandSubscribe_SubType) string {
	if t == pb.CommandSubscribe_Key_Shared {
		return "Key_Shared"
	}
	return t.String()
}

func (a adminBroker) InternalStats(ctx context.Context, n topicname.Name) (*admin.InternalStats, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return nil, err
	}
	ms := t.ml.Stats()
	st := &admin.InternalStats{
		EntriesAddedCounter: ms.AddedEntries,
		NumberOfEntries:     ms.Entries,
		TotalSize:           ms.Bytes,
		LastConfirmedEntry:  positionString(ms.LastConfirmed),
		State:               ms.State,
		Cursors:             map[string]admin.CursorStats{},
		Ledgers:             []admin.LedgerInfo{},
		SchemaLedgers:       []admin.LedgerInfo{},
	}
	for _, l := range ms.Ledgers {
		st.Ledgers = append(st.Ledgers, admin.LedgerInfo{LedgerID: l.LedgerID, Entries: l.Entries, Size: l.Size, Timestamp: l.CreatedMs})
	}
	if k := len(ms.Ledgers); k > 0 {
		st.CurrentLedgerEntries, st.CurrentLedgerSize = ms.Ledgers[k-1].Entries, ms.Ledgers[k-1].Size
		st.LastLedgerCreatedTimestamp = time.UnixMilli(ms.Ledgers[k-1].CreatedMs).UTC().Format(time.RFC3339Nano)
	}
	for _, c := range t.ml.Cursors() {
		st.Cursors[c.Name()] = admin.CursorStats{
			MarkDeletePosition: positionString(c.MarkDeleted()),
			ReadPosition:       positionString(c.ReadPosition()),
			State:              "Open",
			Active:             true,
			Properties:         map[string]int64{},
		}
	}
	return st, nil
}

func positionString(p managedledger.Position) string {
	return strconv.FormatInt(p.LedgerID, 10) + ":" + strconv.FormatInt(p.EntryID, 10)
}

func (a adminBroker) Unload(ctx context.Context, n topicname.Name) error {
	if t := a.b.topics.get(n.String()); t != nil {
		return t.close(ctx, true)
	}
	exists, err := a.b.topicExists(ctx, n)
	if err != nil {
		return err
	}
	if !exists {
		return admin.ErrTopicNotFound
	}
	return nil
}

func (a adminBroker) Terminate(ctx context.Context, n topicname.Name) (admin.MessageID, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return admin.MessageID{}, err
	}
	if t.ml.Terminated() {
		return admin.MessageID{}, admin.ErrTopicTerminated
	}
	// Producers are closed first: their reconnect then fails with TopicTerminatedError,
	// which makes the client fail what it had pending (a SEND_ERROR would not).
	t.mu.Lock()
	t.terminating = true
	producers := make([]*producer, 0, len(t.producers))
	for _, p := range t.producers {
		producers = append(producers, p)
	}
	t.mu.Unlock()
	for _, p := range producers {
		p.closeByBroker(true)
		t.removeProducer(p)
	}
	last, err := t.ml.Terminate(ctx)
	if err != nil {
		return admin.MessageID{}, err
	}
	return t.messageID(last), nil
}

// messageID is an admin message id for a position of this topic.
func (t *topic) messageID(p managedledger.Position) admin.MessageID {
	return admin.MessageID{LedgerID: p.LedgerID, EntryID: p.EntryID, PartitionIndex: t.name.Partition, BatchIndex: -1}
}

func (a adminBroker) LastMessageID(ctx context.Context, n topicname.Name) (admin.MessageID, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return admin.MessageID{}, err
	}
	id := t.messageID(t.ml.LastConfirmed())
	if k := t.lastEntryMsgs.Load(); k > 1 {
		id.BatchIndex = int(k - 1)
	}
	return id, nil
}

func (a adminBroker) MessageIDAt(ctx context.Context, n topicname.Name, ts int64) (admin.MessageID, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return admin.MessageID{}, err
	}
	pos, err := t.findPublishTime(ctx, ts)
	if err != nil {
		return admin.MessageID{}, err
	}
	if t.ml.LastConfirmed().Compare(pos) < 0 {
		return admin.MessageID{}, admin.ErrMessageNotFound
	}
	return t.messageID(pos), nil
}

// findPublishTime is the position of the first entry published at or after ts.
func (t *topic) findPublishTime(ctx context.Context, ts int64) (managedledger.Position, error) {
	return t.ml.FindFirst(ctx, func(e managedledger.Entry) bool {
		m, err := wire.ScanMetadata(e.Data)
		return err != nil || int64(m.PublishTime) >= ts
	})
}

func (a adminBroker) subscription(ctx context.Context, n topicname.Name, name string) (*subscription, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	s := t.subs[name]
	t.mu.Unlock()
	if s == nil {
		return nil, admin.ErrSubscriptionNotFound
	}
	return s, nil
}

func (a adminBroker) CreateSubscription(ctx context.Context, n topicname.Name, name string, start admin.MessageID) error {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return err
	}
	return t.createSubscription(ctx, name, start)
}

// createSubscription adds a durable subscription at start (admin.ErrSubscriptionExists
// if it is there).
func (t *topic) createSubscription(ctx context.Context, name string, start admin.MessageID) error {
	t.mu.Lock()
	_, exists := t.subs[name]
	t.mu.Unlock()
	if exists || t.hasCursor(name) {
		return admin.ErrSubscriptionExists
	}
	pos := managedledger.Position{LedgerID: start.LedgerID, EntryID: start.EntryID}
	switch start {
	case admin.Earliest:
		pos = managedledger.Earliest
	case admin.Latest:
		pos = managedledger.Latest
	}
	c, err := t.ml.OpenCursor(ctx, name, pos)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[name]; !ok {
		t.subs[name] = newSubscription(t, name, c, defaultSubType)
	}
	return nil
}

func (a adminBroker) DeleteSubscription(ctx context.Context, n topicname.Name, name string, force bool) error {
	s, err := a.subscription(ctx, n, name)
	if err != nil {
		return err
	}
	return s.t.deleteSubscription(ctx, s, force)
}

// deleteSubscription removes s and its cursor; unless force it refuses while consumers
// are connected (force disconnects them).
func (t *topic) deleteSubscription(ctx context.Context, s *subscription, force bool) error {
	if s.hasConsumers() && !force {
		return admin.ErrSubscriptionBusy
	}
	t.removeSubscription(s)
	s.shutdown(true)
	if err := t.ml.DeleteCursor(ctx, s.name); err != nil && !errors.Is(err, managedledger.ErrNoSuchCursor) {
		return err
	}
	return nil
}

func (a adminBroker) Skip(ctx context.Context, n topicname.Name, name string, count int64) error {
	s, err := a.subscription(ctx, n, name)
	if err != nil {
		return err
	}
	if count < 0 {
		if last := s.t.ml.LastConfirmed(); last.EntryID >= 0 {
			err = s.cursor.MarkDelete(last)
		}
	} else {
		err = s.cursor.Skip(count)
	}
	s.wake()
	return err
}

func (a adminBroker) ExpireMessages(ctx context.Context, n topicname.Name, name string, seconds int64) error {
	s, err := a.subscription(ctx, n, name)
	if err != nil {
		return err
	}
	return s.expireOlderThan(ctx, time.Duration(seconds)*time.Second)
}

func (a adminBroker) ResetCursorToTime(ctx context.Context, n topicname.Name, name string, ts int64) error {
	s, err := a.subscription(ctx, n, name)
	if err != nil {
		return err
	}
	pos, err := s.t.findPublishTime(ctx, ts+1) // the first entry published after ts, as Pulsar
	if err != nil {
		return err
	}
	return a.resetTo(ctx, s, pos)
}

func (a adminBroker) ResetCursorToID(ctx context.Context, n topicname.Name, name string, id admin.MessageID, excluded bool) error {
	s, err := a.subscription(ctx, n, name)
	if err != nil {
		return err
	}
	pos := managedledger.Position{LedgerID: id.LedgerID, EntryID: id.EntryID}
	if excluded {
		if next, ok := s.t.ml.Next(pos); ok {
			pos = next
		} else {
			pos.EntryID++
		}
	}
	return a.resetTo(ctx, s, pos)
}

// resetTo moves a subscription; its consumers reconnect, as after a seek.
func (a adminBroker) resetTo(ctx context.Context, s *subscription, pos managedledger.Position) error {
	return s.reset(ctx, pos)
}

func (a adminBroker) PeekMessage(ctx context.Context, n topicname.Name, name string, nth int64) (*admin.Message, error) {
	s, err := a.subscription(ctx, n, name)
	if errors.Is(err, admin.ErrSubscriptionNotFound) {
		// As Pulsar: peeking at a subscription that does not exist creates it at the
		// earliest position (the backlog then is the whole topic).
		var t *topic
		if t, err = a.persistent(ctx, n); err != nil {
			return nil, err
		}
		if err = t.createSubscription(ctx, name, admin.Earliest); err != nil && !errors.Is(err, admin.ErrSubscriptionExists) {
			return nil, err
		}
		s, err = a.subscription(ctx, n, name)
	}
	if err != nil {
		return nil, err
	}
	if nth < 1 {
		return nil, admin.ErrMessageNotFound
	}
	for p, ok := s.t.ml.Next(s.cursor.MarkDeleted()); ok; p, ok = s.t.ml.Next(p) {
		if s.cursor.IsAcked(p) {
			continue
		}
		if nth--; nth == 0 {
			return s.t.message(ctx, p)
		}
	}
	return nil, admin.ErrMessageNotFound
}

func (a adminBroker) ExamineMessage(ctx context.Context, n topicname.Name, fromLatest bool, nth int64) (*admin.Message, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return nil, err
	}
	if nth < 1 {
		return nil, admin.ErrMessageNotFound
	}
	if !fromLatest {
		p := t.ml.FirstPosition()
		for i := int64(1); i < nth; i++ {
			next, ok := t.ml.Next(p)
			if !ok {
				return nil, admin.ErrMessageNotFound
			}
			p = next
		}
		return t.message(ctx, p)
	}
	// Count back over the ledgers from the last entry.
	ledgers := t.ml.Stats().Ledgers
	back := nth - 1
	for i := len(ledgers) - 1; i >= 0; i-- {
		l := ledgers[i]
		last := l.Entries - 1
		if i == len(ledgers)-1 {
			if lc := t.ml.LastConfirmed(); lc.LedgerID == l.LedgerID {
				last = lc.EntryID
			}
		}
		if last < 0 {
			continue
		}
		if back <= last {
			return t.message(ctx, managedledger.Position{LedgerID: l.LedgerID, EntryID: last - back})
		}
		back -= last + 1
	}
	return nil, admin.ErrMessageNotFound
}

func (a adminBroker) MessageByID(ctx context.Context, n topicname.Name, ledgerID, entryID int64) (*admin.Message, error) {
	t, err := a.persistent(ctx, n)
	if err != nil {
		return nil, err
	}
	return t.message(ctx, managedledger.Position{LedgerID: ledgerID, EntryID: entryID})
}

// message reads an entry for the admin API: metadata parsed, payload uncompressed.
func (t *topic) message(ctx context.Context, p managedledger.Position) (*admin.Message, error) {
	e, err := t.ml.Read(ctx, p)
	if errors.Is(err, managedledger.ErrNoSuchEntry) {
		return nil, admin.ErrMessageNotFound
	}
	if err != nil {
		return nil, err
	}
	meta, payload, err := wire.ParsePayload(e.Data)
	if err != nil {
		return nil, fmt.Errorf("entry %v: %w", p, err)
	}
	if meta.GetCompression() != pb.CompressionType_NONE {
		if payload, err = wire.Decompress(meta.GetCompression(), payload, int(meta.GetUncompressedSize())); err != nil {
			return nil, fmt.Errorf("entry %v: %w", p, err)
		}
	}
	return &admin.Message{ID: t.messageID(p), Metadata: meta, Payload: payload}, nil
}

func (a adminBroker) Lookup(ctx context.Context, n topicname.Name, _ string) (admin.LookupData, error) {
	if err := a.b.lookup(ctx, n.String()); err != nil {
		var se *serverError
		if errors.As(err, &se) && se.code == pb.ServerError_TopicNotFound {
			return admin.LookupData{}, admin.ErrTopicNotFound
		}
		return admin.LookupData{}, err
	}
	return admin.LookupData{BrokerURL: a.b.serviceURL, HTTPURL: a.b.webURL}, nil
}

func (a adminBroker) ActiveBrokers(context.Context) ([]string, error) {
	return []string{a.b.brokerID()}, nil
}

func (a adminBroker) LeaderBroker(context.Context) (admin.BrokerInfo, error) {
	return admin.BrokerInfo{BrokerID: a.b.brokerID(), ServiceURL: a.b.webURL}, nil
}

func (a adminBroker) DynamicConfigNames() []string { return a.b.DynamicConfigNames() }

func (a adminBroker) DynamicConfigValues(ctx context.Context) (map[string]string, error) {
	return a.b.res.DynamicConfiguration(ctx)
}

func (a adminBroker) UpdateDynamicConfig(ctx context.Context, name, value string) error {
	return a.b.UpdateDynamicConfig(ctx, name, value)
}

func (a adminBroker) DeleteDynamicConfig(ctx context.Context, name string) error {
	return a.b.DeleteDynamicConfig(ctx, name)
}

func (a adminBroker) RuntimeConfig() map[string]string { return a.b.RuntimeConfig() }

// brokerID is "host:webPort", Pulsar's broker id.
func (b *Broker) brokerID() string {
	u := strings.TrimPrefix(b.webURL, "http://")
	if _, _, err := net.SplitHostPort(u); err != nil {
		return b.cfg.AdvertisedAddress
	}
	return u
}

// HealthCheck stores a message on the health-check topic and reads it back.
func (a adminBroker) HealthCheck(ctx context.Context) error {
	n, err := topicname.New(topicname.Persistent, "pulsar", "system", "healthcheck")
	if err != nil {
		return err
	}
	t, err := a.b.topics.getOrLoad(ctx, n, forceCreate)
	if err != nil {
		return err
	}
	payload, err := wire.AppendPayload(nil, &pb.MessageMetadata{
		ProducerName: proto.String("health-check"), SequenceId: proto.Uint64(0),
		PublishTime: proto.Uint64(uint64(time.Now().UnixMilli())),
	}, []byte("health-check"))
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	var pos managedledger.Position
	t.ml.AddEntry(payload, func(p managedledger.Position, err error) { pos = p; done <- err })
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("health check: append: %w", err)
	}
	if _, err := t.ml.Read(ctx, pos); err != nil {
		return fmt.Errorf("health check: read back: %w", err)
	}
	return nil
}
