package broker

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// maxReplay bounds the replay set: past it the dispatcher stops reading new entries until
// consumers catch up (Key_Shared consumers without permits would otherwise pull the whole
// backlog into memory).
const maxReplay = 10000

// run is a persistent subscription's dispatcher: it delivers entries to consumers with
// permits, in log order, replayed entries first, and sleeps until new entries, permits,
// acknowledgements or a due delayed message give it work.
func (s *subscription) run() {
	idle := 0
	for {
		newEntries := s.t.ml.NewEntries()
		progressed := s.dispatchOnce()
		s.mu.Lock()
		if s.closed || len(s.consumers) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		nextDue, hasDelayed := s.delayed.next()
		s.mu.Unlock()
		if progressed {
			idle = 0
			continue
		}
		var timer <-chan time.Time
		if hasDelayed {
			d := time.Until(time.UnixMilli(nextDue))
			timer = time.After(max(d, time.Millisecond))
		}
		select {
		case <-s.stop:
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		case <-s.kick:
			idle = 0
		case <-newEntries:
			// A closed ledger keeps this channel closed; do not spin on it.
			if idle++; idle > 100 {
				time.Sleep(10 * time.Millisecond)
			}
		case <-timer:
		}
	}
}

// dispatchOnce delivers what it can now and reports whether anything moved.
func (s *subscription) dispatchOnce() bool {
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	cfg := s.t.b.liveConfig()
	s.mu.Lock()
	if s.closed || len(s.consumers) == 0 {
		s.mu.Unlock()
		return false
	}
	for _, pos := range s.delayed.due(time.Now().UnixMilli()) {
		s.replay.add(pos, -1)
	}
	permits := s.permitsLocked()
	if permits <= 0 {
		s.mu.Unlock()
		return false
	}
	batch := max(1, min(int(permits), cfg.DispatcherMaxReadBatchSize))
	replay := s.replay.first(batch)
	s.mu.Unlock()

	ctx, cancel := s.t.b.requestContext()
	defer cancel()
	progressed := false
	if len(replay) > 0 {
		entries := make([]managedledger.Entry, 0, len(replay))
		var gone []managedledger.Position
		for _, pos := range replay {
			if s.cursor.IsAcked(pos) {
				gone = append(gone, pos)
				continue
			}
			e, err := s.t.ml.Read(ctx, pos)
			if err != nil {
				s.t.log.Warn("read entry for redelivery", "sub", s.name, "pos", pos, "err", err)
				gone = append(gone, pos)
				continue
			}
			entries = append(entries, e)
		}
		s.mu.Lock()
		for _, pos := range gone {
			s.replay.remove(pos)
			delete(s.redeliveries, pos)
		}
		for _, e := range entries {
			s.replay.remove(e.Pos)
			if s.dispatchEntryLocked(e, true) {
				progressed = true
			}
		}
		permits = s.permitsLocked()
		replayLen := s.replay.len()
		s.mu.Unlock()
		if len(gone) > 0 {
			progressed = true
		}
		if permits <= 0 || replayLen >= maxReplay {
			return progressed
		}
		batch = max(1, min(int(permits), cfg.DispatcherMaxReadBatchSize))
	}
	if !s.cursor.HasMore() {
		return progressed
	}
	entries, err := s.cursor.Read(ctx, batch, cfg.DispatcherMaxReadSizeBytes)
	if err != nil {
		s.t.log.Warn("read entries", "sub", s.name, "err", err)
		time.Sleep(100 * time.Millisecond) // storage trouble: do not spin
		return false
	}
	s.mu.Lock()
	for _, e := range entries {
		s.dispatchEntryLocked(e, false)
	}
	s.mu.Unlock()
	return progressed || len(entries) > 0
}

// permitsLocked is the number of messages consumers can take now.
func (s *subscription) permitsLocked() int64 {
	if singleActive(s.subType) {
		if s.active == nil {
			return 0
		}
		return s.active.permits
	}
	total := s.updateBlockedLocked()
	if s.blocked {
		return 0
	}
	var n int64
	for _, c := range s.consumers {
		if c.permits > 0 && !c.blocked {
			n += c.permits
		}
	}
	if limit := s.t.policies().MaxUnackedMessagesPerSubscription; limit > 0 {
		n = min(n, int64(limit-total)) // read no more than the limit lets through
	}
	return n
}

// updateBlockedLocked applies the unacknowledged-message limits of Shared and Key_Shared
// subscriptions, as Pulsar does: a consumer holding maxUnackedMessagesPerConsumer
// unacknowledged messages gets no more until it is down to half of that; the same for
// the whole subscription with maxUnackedMessagesPerSubscription. It returns the
// subscription's unacknowledged messages.
func (s *subscription) updateBlockedLocked() int {
	e := s.t.policies()
	perConsumer, perSub := e.MaxUnackedMessagesPerConsumer, e.MaxUnackedMessagesPerSubscription
	total := 0
	for _, c := range s.consumers {
		total += c.unacked
		c.blocked = blockedState(c.blocked, c.unacked, perConsumer)
	}
	s.blocked = blockedState(s.blocked, total, perSub)
	return total
}

// blockedState is the hysteresis of an unacknowledged-message limit (0: none).
func blockedState(blocked bool, unacked, limit int) bool {
	switch {
	case limit <= 0:
		return false
	case unacked >= limit:
		return true
	case blocked:
		return unacked > limit/2
	}
	return false
}

// dispatchEntryLocked delivers one entry to the consumer the subscription type picks,
// or parks it (replay set, delayed queue). It reports whether the entry was sent.
func (s *subscription) dispatchEntryLocked(e managedledger.Entry, fromReplay bool) bool {
	meta, err := wire.ScanMetadata(e.Data)
	numMsgs := 1
	if err == nil {
		numMsgs = max(meta.NumMessages(), 1)
		if meta.HasMarkerType {
			// Markers are for brokers, not clients: acknowledge them on the spot.
			_ = s.cursor.Delete(e.Pos)
			return false
		}
	}
	shared := !singleActive(s.subType)
	if shared && err == nil && meta.HasDeliverAtTime && s.t.policies().DelayedDelivery.Active &&
		meta.DeliverAtTime > time.Now().UnixMilli() {
		s.delayed.add(meta.DeliverAtTime, e.Pos)
		return false
	}
	slot := -1
	var c *consumer
	switch s.subType {
	case pb.CommandSubscribe_Exclusive, pb.CommandSubscribe_Failover:
		c = s.active
	case pb.CommandSubscribe_Shared:
		c = s.nextSharedLocked()
	case pb.CommandSubscribe_Key_Shared:
		var key []byte
		if err == nil {
			key = meta.StickyKey()
		}
		slot = keySlot(key)
		if !fromReplay && s.replay.waiting(slot) {
			break // an older message of this key waits: keep the key's order
		}
		if k := s.selector.pick(slot); k != nil && k.permits > 0 && !k.blocked && k.mayReceiveLocked(s, e.Pos) {
			c = k
		}
	}
	if c == nil {
		if shared {
			s.replay.add(e.Pos, slot)
		}
		return false
	}
	cmd := &pb.CommandMessage{
		ConsumerId: proto.Uint64(c.id),
		MessageId:  wire.NewMessageID(uint64(e.Pos.LedgerID), uint64(e.Pos.EntryID)),
	}
	s.t.setPartition(cmd.MessageId)
	if n := s.redeliveries[e.Pos]; n > 0 {
		cmd.RedeliveryCount = proto.Uint32(n)
	}
	if err == nil && meta.Batched() && s.t.b.cfg.AcknowledgmentAtBatchIndexLevelEnabled {
		cmd.AckSet = s.cursor.BatchAckSet(e.Pos)
	}
	c.c.w.sendMessage(wire.Wrap(cmd), e.Data)
	c.permits -= int64(numMsgs)
	c.pending[e.Pos] = numMsgs
	if slot >= 0 {
		c.slots[e.Pos] = slot
	}
	c.unacked += numMsgs
	if limit := s.t.policies().MaxUnackedMessagesPerConsumer; shared && limit > 0 && c.unacked >= limit {
		c.blocked = true
	}
	s.countOutLocked(c, numMsgs, len(e.Data))
	return true
}

// nextSharedLocked picks the next consumer with permits, round robin.
func (s *subscription) nextSharedLocked() *consumer {
	n := len(s.consumers)
	for i := 0; i < n; i++ {
		c := s.consumers[(s.rr+i)%n]
		if c.permits > 0 && !c.blocked {
			s.rr = (s.rr + i + 1) % n
			return c
		}
	}
	return nil
}
