package broker

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// defaultSubType is the type of a recovered subscription until a consumer attaches.
const defaultSubType = pb.CommandSubscribe_Exclusive

// subscription is a named position in a topic shared by its consumers. A persistent one
// is a managed-ledger cursor plus a dispatcher goroutine (see dispatch.go); a
// non-persistent one only routes live messages to its consumers.
//
// Where an entry is, for a persistent subscription: not yet read (after the cursor's read
// position), pending on exactly one consumer (delivered, unacknowledged), in the replay
// set (to be delivered again), in the delayed queue, or acknowledged.
type subscription struct {
	t     *topic
	name  string
	rates rateState // msgRateOut, msgThroughputOut, msgRateExpired since the last stats
	// scrapeRates are the same since the last /metrics scrape.
	scrapeRates rateState
	cursor      *managedledger.Cursor // nil for non-persistent topics
	durable     bool

	kick chan struct{} // capacity 1: "something changed, try dispatching"
	stop chan struct{} // closed by shutdown

	// dispatchMu is held while entries are read and dispatched; seek takes it to move
	// the cursor with no read in flight.
	dispatchMu sync.Mutex

	mu           sync.Mutex
	subType      pb.CommandSubscribe_SubType
	consumers    []*consumer // in the order they joined
	active       *consumer   // Exclusive and Failover: the one consumer that receives
	rr           int         // Shared: round-robin position
	selector     *keySharedSelector
	replay       replaySet
	delayed      delayedQueue
	redeliveries map[managedledger.Position]uint32
	running      bool // dispatcher goroutine started
	closed       bool
	// blocked: the subscription's consumers together hold too many unacknowledged
	// messages (maxUnackedMessagesPerSubscription): nothing is dispatched until they
	// acknowledge down to half of the limit. Shared and Key_Shared only.
	blocked bool

	// Statistics: counters, and unix-ms timestamps (0 = never).
	msgOut, bytesOut                   int64
	lastConsumed, lastFlow, lastAcked  int64
	lastMarkDeleteAdvanced, lastExpire int64
	totalExpired                       int64
	redelivered                        int64 // messages given back for redelivery
	// lastActive (unix ms) is when a consumer last attached, detached or acknowledged:
	// subscription expiration deletes subscriptions idle for longer than the policy.
	lastActive atomic.Int64
}

func newSubscription(t *topic, name string, cursor *managedledger.Cursor, subType pb.CommandSubscribe_SubType) *subscription {
	s := &subscription{
		t:            t,
		name:         name,
		cursor:       cursor,
		durable:      cursor != nil && cursor.Durable(),
		subType:      subType,
		kick:         make(chan struct{}, 1),
		stop:         make(chan struct{}),
		redeliveries: map[managedledger.Position]uint32{},
	}
	s.touch()
	return s
}

// touch records activity, for subscription expiration.
func (s *subscription) touch() { s.lastActive.Store(time.Now().UnixMilli()) }

// countOutLocked records a delivery of msgs messages (bytes long) to c.
func (s *subscription) countOutLocked(c *consumer, msgs, bytes int) {
	now := time.Now().UnixMilli()
	c.msgOut += int64(msgs)
	c.bytesOut += int64(bytes)
	c.lastConsumed = now
	s.msgOut += int64(msgs)
	s.bytesOut += int64(bytes)
	s.lastConsumed = now
	s.t.msgOut.Add(int64(msgs))
	s.t.bytesOut.Add(int64(bytes))
}

func (s *subscription) hasConsumers() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.consumers) > 0
}

// singleActive tells whether one consumer at a time receives (Exclusive, Failover).
func singleActive(t pb.CommandSubscribe_SubType) bool {
	return t == pb.CommandSubscribe_Exclusive || t == pb.CommandSubscribe_Failover
}

// addConsumer attaches cs under the subscription type's rules.
func (s *subscription) addConsumer(cs *consumer, subType pb.CommandSubscribe_SubType, ksMeta *pb.KeySharedMeta) error {
	s.touch()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errorf(pb.ServerError_ServiceNotReady, "subscription %s is closing", s.name)
	}
	if limit := s.t.policies().MaxConsumersPerSubscription; limit > 0 && len(s.consumers) >= limit {
		s.mu.Unlock()
		return errorf(pb.ServerError_ConsumerBusy, "Subscription reached max consumers limit")
	}
	if len(s.consumers) > 0 && subType != s.subType {
		s.mu.Unlock()
		return errorf(pb.ServerError_ConsumerBusy, "Subscription %s is of type %v; %v consumers cannot join", s.name, s.subType, subType)
	}
	if len(s.consumers) == 0 && subType != s.subType {
		// The type changes: nothing of the old dispatch state applies.
		s.resetDispatchLocked()
		s.subType = subType
		s.selector = nil
	}
	switch subType {
	case pb.CommandSubscribe_Exclusive:
		if len(s.consumers) > 0 {
			s.mu.Unlock()
			return errorf(pb.ServerError_ConsumerBusy, "Exclusive consumer is already connected")
		}
	case pb.CommandSubscribe_Key_Shared:
		if ksMeta == nil {
			ksMeta = &pb.KeySharedMeta{KeySharedMode: pb.KeySharedMode_AUTO_SPLIT.Enum()}
		}
		if s.selector == nil {
			s.selector = newKeySharedSelector(ksMeta)
		}
		if err := s.selector.add(cs, ksMeta); err != nil {
			s.mu.Unlock()
			return err
		}
		cs.allowOutOfOrder = ksMeta.GetAllowOutOfOrderDelivery()
		if len(s.consumers) > 0 && !cs.allowOutOfOrder && s.cursor != nil {
			// Keys moving to the newcomer may have older messages pending elsewhere: it
			// gets nothing read after now until those are acknowledged.
			rp := s.cursor.ReadPosition()
			cs.joinPos = &rp
		}
	}
	s.consumers = append(s.consumers, cs)
	var notify []*consumer
	if singleActive(subType) {
		notify = s.electActiveLocked()
	}
	s.mu.Unlock()
	s.sendActiveChanges(notify)
	return nil
}

// electActiveLocked picks the active consumer: the only one (Exclusive), or for Failover
// the one at index partition % n of the consumers sorted by priority then name. When it
// changes, the old one's unacknowledged entries are redelivered to the new one. It
// returns the consumers to tell about the change.
func (s *subscription) electActiveLocked() []*consumer {
	var next *consumer
	if len(s.consumers) > 0 {
		if s.subType == pb.CommandSubscribe_Failover {
			sorted := slices.Clone(s.consumers)
			slices.SortStableFunc(sorted, func(a, b *consumer) int {
				if a.priority != b.priority {
					return int(a.priority - b.priority)
				}
				return strings.Compare(a.name, b.name)
			})
			idx := max(s.t.name.Partition, 0) % len(sorted)
			next = sorted[idx]
		} else {
			next = s.consumers[0]
		}
	}
	if next == s.active {
		if s.subType == pb.CommandSubscribe_Failover && next != nil {
			return []*consumer{s.consumers[len(s.consumers)-1]} // only the newcomer needs to hear
		}
		return nil
	}
	if old := s.active; old != nil {
		s.takeBackLocked(old, true)
	}
	s.active = next
	if s.subType != pb.CommandSubscribe_Failover {
		return nil
	}
	return slices.Clone(s.consumers)
}

// sendActiveChanges tells Failover consumers whether they are the active one; one that
// has not sent FLOW yet hears it with its first FLOW.
func (s *subscription) sendActiveChanges(cs []*consumer) {
	if len(cs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		if c.flowed {
			c.c.w.send(wire.NewActiveConsumerChange(c.id, c == s.active))
		}
	}
}

// takeBackLocked returns cs's unacknowledged entries for redelivery: a single-active
// subscription rewinds its cursor, a shared one puts them in the replay set. With count
// each redelivery counts towards the entries' redelivery count.
func (s *subscription) takeBackLocked(cs *consumer, count bool) {
	for pos, n := range cs.pending {
		if count {
			s.redeliveries[pos]++
			s.redelivered += int64(n)
		}
		if !singleActive(s.subType) {
			s.replay.add(pos, s.slotOfPending(cs, pos))
		}
	}
	cs.pending = map[managedledger.Position]int{}
	cs.unacked = 0
	if singleActive(s.subType) && s.cursor != nil {
		s.cursor.Rewind()
	}
}

func (s *subscription) slotOfPending(cs *consumer, pos managedledger.Position) int {
	if s.subType != pb.CommandSubscribe_Key_Shared {
		return -1
	}
	if slot, ok := cs.slots[pos]; ok {
		return slot
	}
	return -1
}

// removeConsumer detaches cs; what it had not acknowledged is redelivered to the others.
// A non-durable subscription goes away with its last consumer.
func (s *subscription) removeConsumer(cs *consumer) { s.detach(cs, false) }

// nonDurableGrace is how long a non-durable subscription whose consumers were
// disconnected by a seek waits for them to come back before it is dropped.
const nonDurableGrace = time.Minute

// detach is removeConsumer; with reset (a seek disconnects the consumers) a non-durable
// subscription survives for a while: its consumers come back to the new position.
func (s *subscription) detach(cs *consumer, reset bool) {
	s.touch()
	s.mu.Lock()
	i := slices.Index(s.consumers, cs)
	if i < 0 {
		s.mu.Unlock()
		return
	}
	s.consumers = slices.Delete(s.consumers, i, i+1)
	if s.selector != nil {
		s.selector.remove(cs)
	}
	var notify []*consumer
	if singleActive(s.subType) {
		if s.active == cs {
			s.takeBackLocked(cs, true)
			s.active = nil
		}
		notify = s.electActiveLocked()
	} else {
		s.takeBackLocked(cs, true)
	}
	empty := len(s.consumers) == 0
	if empty {
		s.resetDispatchLocked()
	}
	drop := empty && !s.durable && !s.closed && !reset
	if drop {
		s.closed = true
	}
	s.mu.Unlock()
	s.sendActiveChanges(notify)
	if drop {
		s.drop()
		return
	}
	if empty && !s.durable && reset {
		time.AfterFunc(nonDurableGrace, func() {
			s.mu.Lock()
			idle := len(s.consumers) == 0 && !s.closed
			if idle {
				s.closed = true
			}
			s.mu.Unlock()
			if idle {
				s.drop()
			}
		})
	}
	s.wake()
}

// drop removes a non-durable subscription from its topic with its cursor.
func (s *subscription) drop() {
	s.t.removeSubscription(s)
	close(s.stop)
	if s.cursor != nil {
		ctx, cancel := s.t.b.requestContext()
		_ = s.t.ml.DeleteCursor(ctx, s.name)
		cancel()
	}
}

// resetDispatchLocked drops in-memory dispatch state: with no consumer left, everything
// unacknowledged is simply read again from the first unacknowledged entry.
func (s *subscription) resetDispatchLocked() {
	s.replay.clear()
	s.delayed.clear()
	s.active = nil
	if s.cursor != nil {
		s.cursor.Rewind()
	}
}

// wake nudges the dispatcher, starting it if needed.
func (s *subscription) wake() {
	if s.cursor == nil {
		return
	}
	s.mu.Lock()
	start := !s.running && !s.closed && len(s.consumers) > 0
	if start {
		s.running = true
	}
	s.mu.Unlock()
	if start {
		go s.run()
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// shutdown closes every consumer (telling clients when notify is set) and stops the
// dispatcher; used when the topic unloads or the subscription is deleted.
func (s *subscription) shutdown(notify bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	consumers := s.consumers
	s.consumers = nil
	s.mu.Unlock()
	close(s.stop)
	for _, cs := range consumers {
		cs.closeByBroker(notify)
	}
}

// disconnectConsumers closes every consumer of the subscription on the broker's side
// (for a seek: clients reconnect and resume from the new position).
func (s *subscription) disconnectConsumers() {
	s.mu.Lock()
	consumers := slices.Clone(s.consumers)
	s.mu.Unlock()
	for _, cs := range consumers {
		cs.closeForReset()
		s.detach(cs, true)
	}
}

// reset moves a persistent subscription to pos (seek, reset-cursor) as Pulsar's
// resetCursor does: its consumers are disconnected first, so each client hears
// CLOSE_CONSUMER before the answer to its SEEK, then in-memory dispatch state is dropped
// and the cursor reset; nothing is read or dispatched in between.
func (s *subscription) reset(ctx context.Context, pos managedledger.Position) error {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	s.disconnectConsumers()
	s.mu.Lock()
	s.replay.clear()
	s.delayed.clear()
	s.redeliveries = map[managedledger.Position]uint32{}
	for _, cs := range s.consumers {
		cs.pending = map[managedledger.Position]int{}
		cs.unacked = 0
	}
	s.mu.Unlock()
	return s.cursor.Reset(ctx, pos)
}
