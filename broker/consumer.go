package broker

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// consumer is a client's consumer on one subscription. Fields after sub are guarded by
// sub.mu.
type consumer struct {
	rates     rateState // msgRateOut, msgThroughputOut since the last stats
	c         *conn
	id        uint64
	requestID uint64
	name      string
	priority  int32
	sub       *subscription

	ready  atomic.Bool
	closed atomic.Bool
	// rejoining: a seek or reset closed the consumer and told the client, which comes back
	// with the same id on the same connection; until then the connection keeps the closed
	// consumer under its id, so that a SEEK sent meanwhile still finds its subscription.
	rejoining atomic.Bool

	metadata map[string]string // consumer properties, for stats
	since    time.Time

	permits int64
	flowed  bool // the client sent FLOW, so it has registered the consumer
	// pending: entries delivered and not acknowledged, with their message counts.
	pending map[managedledger.Position]int
	slots   map[managedledger.Position]int // Key_Shared hash slot of pending entries
	unacked int                            // messages in pending
	// Key_Shared: entries at or after joinPos wait until everything before it is
	// acknowledged (set when the consumer joined others, unless out-of-order is allowed).
	joinPos         *managedledger.Position
	allowOutOfOrder bool
	// blocked: too many unacknowledged messages (maxUnackedMessagesPerConsumer); set when
	// unacked reaches the limit, cleared when it falls to half of it, as Pulsar does.
	blocked bool

	// Statistics (admin stats): counters and unix-ms timestamps of the last delivery,
	// FLOW and acknowledgement.
	msgOut, bytesOut                  int64
	lastConsumed, lastFlow, lastAcked int64
}

func (c *conn) handleSubscribe(cmd *pb.CommandSubscribe) {
	cid, rid := cmd.GetConsumerId(), cmd.GetRequestId()
	c.mu.Lock()
	if old := c.consumers[cid]; old != nil && !old.rejoining.Load() {
		c.mu.Unlock()
		if old.ready.Load() {
			c.w.send(wire.NewSuccess(rid))
		} else {
			c.w.send(wire.NewError(rid, pb.ServerError_ServiceNotReady, "Consumer is already present on the connection"))
		}
		return
	}
	cs := &consumer{
		c:         c,
		id:        cid,
		requestID: rid,
		name:      cmd.GetConsumerName(),
		priority:  cmd.GetPriorityLevel(),
		pending:   map[managedledger.Position]int{},
		slots:     map[managedledger.Position]int{},
		metadata:  keyValues(cmd.GetMetadata()),
		since:     time.Now(),
	}
	c.consumers[cid] = cs
	c.mu.Unlock()
	go c.subscribe(cs, cmd)
}

func (c *conn) subscribe(cs *consumer, cmd *pb.CommandSubscribe) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	fail := func(err error) {
		c.forgetConsumer(cs)
		cs.closed.Store(true)
		c.w.send(wire.NewError(cs.requestID, codeOf(err), messageOf(err)))
	}
	n, err := parseTopic(cmd.GetTopic())
	if err != nil {
		fail(err)
		return
	}
	if cmd.GetSubscription() == "" {
		fail(errorf(pb.ServerError_NotAllowedError, "Empty subscription name"))
		return
	}
	create := cmd.ForceTopicCreation == nil || cmd.GetForceTopicCreation()
	mode := mustExist
	if create {
		mode = autoCreate
	}
	t, err := c.b.topics.getOrLoad(ctx, n, mode)
	if err != nil {
		fail(err)
		return
	}
	if err := t.refreshPolicies(ctx); err != nil {
		t.log.Debug("refresh policies", "err", err) // the known policies still apply
	}
	if err := c.b.checkConsumerSchema(ctx, t, cmd.GetSchema()); err != nil {
		fail(err)
		return
	}
	if limit := t.policies().MaxConsumersPerTopic; limit > 0 && t.consumerCount() >= limit {
		fail(errorf(pb.ServerError_ConsumerBusy, "Topic reached max consumers limit"))
		return
	}
	s, err := t.subscription(ctx, cmd)
	if err != nil {
		fail(err)
		return
	}
	cs.sub = s
	if err := s.addConsumer(cs, cmd.GetSubType(), cmd.GetKeySharedMeta()); err != nil {
		fail(err)
		return
	}
	if cs.closed.Load() || c.isClosed() {
		s.removeConsumer(cs)
		return
	}
	cs.ready.Store(true)
	c.w.send(wire.NewSuccess(cs.requestID))
	s.wake()
	t.touch()
}

// consumerCount is the number of consumers on all the topic's subscriptions.
func (t *topic) consumerCount() int {
	t.mu.Lock()
	subs := t.subscriptionList()
	t.mu.Unlock()
	n := 0
	for _, s := range subs {
		s.mu.Lock()
		n += len(s.consumers)
		s.mu.Unlock()
	}
	return n
}

// subscription returns the named subscription, creating it if needed: a durable one at
// the initial position, a non-durable one (reader) at start_message_id, inclusive.
func (t *topic) subscription(ctx context.Context, cmd *pb.CommandSubscribe) (*subscription, error) {
	name := cmd.GetSubscription()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, errorf(pb.ServerError_ServiceNotReady, "topic %s is being unloaded", t.key)
	}
	if s := t.subs[name]; s != nil {
		t.mu.Unlock()
		return s, nil
	}
	if limit := t.policies().MaxSubscriptionsPerTopic; limit > 0 && len(t.subs) >= limit {
		t.mu.Unlock()
		return nil, errorf(pb.ServerError_NotAllowedError, "Exceed the maximum number of subscriptions of the topic: %s", t.key)
	}
	t.mu.Unlock()
	durable := cmd.Durable == nil || cmd.GetDurable()
	var cursor *managedledger.Cursor
	if t.ml != nil {
		var err error
		if cursor, err = t.openCursor(ctx, name, durable, cmd); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errorf(pb.ServerError_ServiceNotReady, "topic %s is being unloaded", t.key)
	}
	if s := t.subs[name]; s != nil {
		return s, nil // created meanwhile by another consumer
	}
	s := newSubscription(t, name, cursor, cmd.GetSubType())
	s.durable = durable && t.ml != nil
	t.subs[name] = s
	return s, nil
}

func (t *topic) openCursor(ctx context.Context, name string, durable bool, cmd *pb.CommandSubscribe) (*managedledger.Cursor, error) {
	initial := managedledger.Latest
	if cmd.GetInitialPosition() == pb.CommandSubscribe_Earliest {
		initial = managedledger.Earliest
	}
	if !durable {
		start := initial
		if id := cmd.GetStartMessageId(); id != nil {
			start = positionOf(id)
		}
		return t.ml.NewNonDurableCursor(name, start), nil
	}
	if !t.hasCursor(name) {
		e, err := t.b.policies(ctx, t.name)
		if err != nil {
			return nil, err
		}
		if !e.AutoSubscriptionCreation {
			return nil, errorf(pb.ServerError_SubscriptionNotFound, "Subscription %s does not exist", name)
		}
	}
	c, err := t.ml.OpenCursor(ctx, name, initial)
	if err != nil {
		return nil, errorf(codeOf(err), "open subscription %s: %v", name, err)
	}
	return c, nil
}

func (t *topic) hasCursor(name string) bool {
	for _, c := range t.ml.Cursors() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

// ensureSubscription creates a durable subscription at the earliest position if it does
// not exist (a producer's initial_subscription_name).
func (t *topic) ensureSubscription(ctx context.Context, name string) error {
	t.mu.Lock()
	_, ok := t.subs[name]
	t.mu.Unlock()
	if ok {
		return nil
	}
	c, err := t.ml.OpenCursor(ctx, name, managedledger.Earliest)
	if err != nil {
		return errorf(codeOf(err), "create subscription %s: %v", name, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[name]; !ok {
		t.subs[name] = newSubscription(t, name, c, defaultSubType)
	}
	return nil
}

// positionOf converts a client message id (uint64 fields carrying int64 bits).
func positionOf(id *pb.MessageIdData) managedledger.Position {
	return managedledger.Position{LedgerID: int64(id.GetLedgerId()), EntryID: int64(id.GetEntryId())}
}

func (c *conn) consumer(id uint64) *consumer {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.consumers[id]
	if cs == nil || !cs.ready.Load() {
		return nil
	}
	return cs
}

func (c *conn) forgetConsumer(cs *consumer) {
	c.mu.Lock()
	if c.consumers[cs.id] == cs {
		delete(c.consumers, cs.id)
	}
	c.mu.Unlock()
}

// close detaches the consumer (client closed it, or its connection went away).
func (cs *consumer) close(notify bool) {
	if !cs.closed.CompareAndSwap(false, true) {
		return
	}
	if cs.sub != nil {
		cs.sub.removeConsumer(cs)
	}
	if notify {
		cs.c.forgetConsumer(cs)
		cs.c.w.send(wire.NewCloseConsumer(cs.id, 0))
	}
}

// closeForReset ends the consumer because a seek or reset moved its subscription: the
// client is told and re-subscribes, to read from the new position. The connection keeps
// the closed consumer under its id until then (see rejoining).
func (cs *consumer) closeForReset() {
	if !cs.closed.CompareAndSwap(false, true) {
		return
	}
	cs.rejoining.Store(true)
	cs.ready.Store(false)
	cs.c.w.send(wire.NewCloseConsumer(cs.id, 0))
}

// closeByBroker ends the consumer from the broker's side; the client is told (notify) and
// reconnects.
func (cs *consumer) closeByBroker(notify bool) {
	if !cs.closed.CompareAndSwap(false, true) {
		return
	}
	cs.c.forgetConsumer(cs)
	if notify {
		cs.c.w.send(wire.NewCloseConsumer(cs.id, 0))
	}
}

// mayReceiveLocked applies Key_Shared's rule for recently joined consumers.
func (cs *consumer) mayReceiveLocked(s *subscription, pos managedledger.Position) bool {
	if cs.joinPos == nil || pos.Compare(*cs.joinPos) < 0 {
		return true
	}
	md := s.cursor.MarkDeleted()
	if next, ok := s.t.ml.Next(md); !ok || next.Compare(*cs.joinPos) >= 0 {
		cs.joinPos = nil // everything before the join is acknowledged
		return true
	}
	return false
}

func (c *conn) handleCloseConsumer(cc *pb.CommandCloseConsumer) {
	c.mu.Lock()
	cs := c.consumers[cc.GetConsumerId()]
	delete(c.consumers, cc.GetConsumerId())
	c.mu.Unlock()
	if cs != nil {
		cs.close(false)
	}
	c.w.send(wire.NewSuccess(cc.GetRequestId()))
}

func (c *conn) handleFlow(f *pb.CommandFlow) {
	cs := c.consumer(f.GetConsumerId())
	if cs == nil {
		return
	}
	s := cs.sub
	now := time.Now().UnixMilli()
	s.mu.Lock()
	cs.permits += int64(f.GetMessagePermits())
	cs.lastFlow, s.lastFlow = now, now
	first := !cs.flowed
	cs.flowed = true
	failover := s.subType == pb.CommandSubscribe_Failover
	s.mu.Unlock()
	if first && failover {
		// The client registers a consumer only after SUBSCRIBE succeeds and then sends
		// FLOW: now it can hear whether it is the active one.
		s.sendActiveChanges([]*consumer{cs})
	}
	s.wake()
}

func (c *conn) handleAck(a *pb.CommandAck) {
	cs := c.consumer(a.GetConsumerId())
	if cs != nil {
		cs.sub.ack(cs, a)
	}
	if a.RequestId != nil {
		c.w.send(wire.NewAckResponse(a.GetConsumerId(), a.GetRequestId(), nil, ""))
	}
}

// ack applies an acknowledgement: individual (possibly partial, for batch-index acks) or
// cumulative.
func (s *subscription) ack(cs *consumer, a *pb.CommandAck) {
	if s.cursor == nil {
		return
	}
	before := s.cursor.MarkDeleted()
	defer s.acked(cs, before)
	batchAcks := s.t.b.cfg.AcknowledgmentAtBatchIndexLevelEnabled
	if a.GetAckType() == pb.CommandAck_Cumulative {
		ids := a.GetMessageId()
		if len(ids) == 0 {
			return
		}
		pos := positionOf(ids[0])
		if set := ids[0].GetAckSet(); batchAcks && len(set) > 0 && !allClear(set) {
			s.partialAck(pos, set)
			if pos.EntryID == 0 {
				return
			}
			pos.EntryID--
		}
		if err := s.cursor.MarkDelete(pos); err != nil && !errors.Is(err, managedledger.ErrClosed) {
			s.t.log.Debug("cumulative ack", "sub", s.name, "pos", pos, "err", err)
		}
		s.mu.Lock()
		for p := range cs.pending {
			if p.Compare(pos) <= 0 {
				cs.unacked -= cs.pending[p]
				delete(cs.pending, p)
				delete(cs.slots, p)
			}
		}
		for p := range s.redeliveries {
			if p.Compare(pos) <= 0 {
				delete(s.redeliveries, p)
			}
		}
		s.replay.removeUpTo(pos)
		s.mu.Unlock()
		s.wake()
		return
	}
	done := make([]managedledger.Position, 0, len(a.GetMessageId()))
	for _, id := range a.GetMessageId() {
		pos := positionOf(id)
		if set := id.GetAckSet(); batchAcks && len(set) > 0 && !allClear(set) {
			if !s.partialAck(pos, set) {
				continue
			}
		}
		done = append(done, pos)
	}
	if len(done) == 0 {
		return
	}
	if err := s.cursor.Delete(done...); err != nil && !errors.Is(err, managedledger.ErrClosed) {
		s.t.log.Debug("ack", "sub", s.name, "err", err)
	}
	s.mu.Lock()
	for _, pos := range done {
		owner := cs
		if _, ok := cs.pending[pos]; !ok {
			owner = s.pendingOwnerLocked(pos)
		}
		if owner != nil {
			owner.unacked -= owner.pending[pos]
			delete(owner.pending, pos)
			delete(owner.slots, pos)
		}
		delete(s.redeliveries, pos)
		s.replay.remove(pos)
	}
	s.mu.Unlock()
	s.wake()
}

// acked records an acknowledgement's time, and whether it moved the mark-delete position.
func (s *subscription) acked(cs *consumer, before managedledger.Position) {
	now := time.Now().UnixMilli()
	advanced := s.cursor.MarkDeleted().Compare(before) > 0
	s.mu.Lock()
	cs.lastAcked, s.lastAcked = now, now
	if advanced {
		s.lastMarkDeleteAdvanced = now
	}
	s.mu.Unlock()
	s.touch()
}

// partialAck merges a batch-index ack set into the entry's stored one (a set bit means
// "still unacknowledged") and reports whether the whole entry is now acknowledged.
func (s *subscription) partialAck(pos managedledger.Position, set []int64) bool {
	merged := append([]int64(nil), set...)
	if old := s.cursor.BatchAckSet(pos); old != nil {
		for i := range merged {
			if i < len(old) {
				merged[i] &= old[i]
			}
		}
	}
	if allClear(merged) {
		return true
	}
	s.cursor.SetBatchAckSet(pos, merged)
	return false
}

func allClear(set []int64) bool {
	for _, w := range set {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s *subscription) pendingOwnerLocked(pos managedledger.Position) *consumer {
	for _, c := range s.consumers {
		if _, ok := c.pending[pos]; ok {
			return c
		}
	}
	return nil
}

// handleRedeliver is a negative ack. Shared and Key_Shared redeliver the given entries;
// Exclusive and Failover redeliver everything unacknowledged, to keep order.
func (c *conn) handleRedeliver(r *pb.CommandRedeliverUnacknowledgedMessages) {
	cs := c.consumer(r.GetConsumerId())
	if cs == nil || cs.sub.cursor == nil {
		return
	}
	s := cs.sub
	s.mu.Lock()
	if singleActive(s.subType) || len(r.GetMessageIds()) == 0 {
		if !singleActive(s.subType) || s.active == cs {
			s.takeBackLocked(cs, true)
		}
	} else {
		for _, id := range r.GetMessageIds() {
			pos := positionOf(id)
			n, ok := cs.pending[pos]
			if !ok {
				continue
			}
			slot := s.slotOfPending(cs, pos)
			cs.unacked -= n
			delete(cs.pending, pos)
			delete(cs.slots, pos)
			s.redeliveries[pos]++
			s.redelivered += int64(n)
			s.replay.add(pos, slot)
		}
	}
	s.mu.Unlock()
	s.wake()
}

func (c *conn) handleUnsubscribe(u *pb.CommandUnsubscribe) {
	cs := c.consumer(u.GetConsumerId())
	if cs == nil {
		c.w.send(wire.NewError(u.GetRequestId(), pb.ServerError_ConsumerNotFound, "Consumer not found"))
		return
	}
	go func() {
		ctx, cancel := c.b.requestContext()
		defer cancel()
		if err := cs.sub.unsubscribe(ctx, cs, u.GetForce()); err != nil {
			c.w.send(wire.NewError(u.GetRequestId(), codeOf(err), messageOf(err)))
			return
		}
		c.w.send(wire.NewSuccess(u.GetRequestId()))
	}()
}

// unsubscribe deletes the subscription. Without force only its last consumer may do it.
func (s *subscription) unsubscribe(ctx context.Context, cs *consumer, force bool) error {
	s.mu.Lock()
	for _, o := range s.consumers {
		if o != cs && !force {
			s.mu.Unlock()
			return errorf(pb.ServerError_ConsumerBusy, "Unconnected or shared consumer attempting to unsubscribe")
		}
	}
	s.mu.Unlock()
	t := s.t
	t.removeSubscription(s)
	cs.closeByBroker(false)
	s.shutdown(true) // the other consumers (force) are told and go away
	if s.cursor != nil {
		if err := t.ml.DeleteCursor(ctx, s.name); err != nil && !errors.Is(err, managedledger.ErrNoSuchCursor) {
			return errorf(pb.ServerError_PersistenceError, "delete subscription %s: %v", s.name, err)
		}
	}
	t.touch()
	return nil
}

// handleSeek moves the consumer's subscription, as Pulsar's resetCursor: the subscription's
// consumers are closed first (see subscription.reset), so the seeking client hears
// CLOSE_CONSUMER before the SEEK's success and re-subscribes to read from the new position.
func (c *conn) handleSeek(sk *pb.CommandSeek) {
	s := c.seekTarget(sk.GetConsumerId())
	if s == nil {
		c.w.send(wire.NewError(sk.GetRequestId(), pb.ServerError_ConsumerNotFound, "Consumer not found"))
		return
	}
	go func() {
		ctx, cancel := c.b.requestContext()
		defer cancel()
		if err := s.seek(ctx, sk); err != nil {
			c.w.send(wire.NewError(sk.GetRequestId(), codeOf(err), messageOf(err)))
			return
		}
		c.w.send(wire.NewSuccess(sk.GetRequestId()))
	}()
}

// seekTarget is the subscription of the consumer a SEEK names: a ready consumer's, or that
// of one a seek closed and whose client has not re-subscribed yet. The Go client seeks and
// re-subscribes from one goroutine, in either order (a reader created at latest, inclusive,
// seeks while subscribing and may seek again before handling the close), so such a SEEK
// cannot wait for the re-subscription: it moves the subscription the consumer comes back to.
func (c *conn) seekTarget(id uint64) *subscription {
	c.mu.Lock()
	cs := c.consumers[id]
	c.mu.Unlock()
	switch {
	case cs == nil:
		return nil
	case cs.ready.Load():
		return cs.sub
	case !cs.rejoining.Load() || cs.sub == nil:
		return nil
	}
	s := cs.sub
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil // dropped, deleted or unloaded since: nothing to come back to
	}
	return s
}

// seek resets the subscription to a message id or to the first entry published after
// a time.
func (s *subscription) seek(ctx context.Context, sk *pb.CommandSeek) error {
	if s.cursor == nil {
		return errorf(pb.ServerError_NotAllowedError, "seek is not supported on non-persistent topics")
	}
	var pos managedledger.Position
	switch {
	case sk.MessagePublishTime != nil:
		// As Pulsar's reset by time: the first entry published after ts (one published
		// at ts itself counts as already seen).
		p, err := s.t.findPublishTime(ctx, int64(sk.GetMessagePublishTime())+1)
		if err != nil {
			return errorf(pb.ServerError_PersistenceError, "find publish time %d: %v", sk.GetMessagePublishTime(), err)
		}
		pos = p
	case sk.GetMessageId() != nil:
		pos = positionOf(sk.GetMessageId())
		if pos.LedgerID < 0 || pos.EntryID < 0 {
			pos = managedledger.Earliest
		}
	default:
		return errorf(pb.ServerError_NotAllowedError, "seek needs a message id or a publish time")
	}
	if err := s.reset(ctx, pos); err != nil {
		return errorf(codeOf(err), "reset subscription %s to %v: %v", s.name, pos, err)
	}
	return nil
}

func (c *conn) handleGetLastMessageID(g *pb.CommandGetLastMessageId) {
	cs := c.consumer(g.GetConsumerId())
	if cs == nil {
		c.w.send(wire.NewError(g.GetRequestId(), pb.ServerError_ConsumerNotFound, "Consumer not found"))
		return
	}
	t := cs.sub.t
	var last *pb.MessageIdData
	var markDelete *pb.MessageIdData
	if t.ml == nil {
		last = wire.NewMessageID(0, uint64(t.nextEntryID.Load()-1))
	} else {
		lc := t.ml.LastConfirmed()
		last = wire.NewMessageID(uint64(lc.LedgerID), uint64(lc.EntryID))
		md := cs.sub.cursor.MarkDeleted()
		markDelete = wire.NewMessageID(uint64(md.LedgerID), uint64(md.EntryID))
	}
	batchIndex := int32(-1)
	if n := t.lastEntryMsgs.Load(); n > 1 {
		batchIndex = n - 1
	}
	last.BatchIndex = &batchIndex
	t.setPartition(last)
	c.w.send(wire.NewGetLastMessageIDResponse(g.GetRequestId(), last, markDelete))
}
