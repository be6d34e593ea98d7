package broker

import (
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// publishNonPersistent hands a message to every subscription of a non-persistent topic
// and returns the id it was given. Nothing is stored: a subscription whose consumers have
// no permits drops it, as Pulsar does.
func (t *topic) publishNonPersistent(payload []byte, meta *wire.MetaSummary) int64 {
	id := t.nextEntryID.Add(1) - 1
	t.mu.Lock()
	subs := t.subscriptionList()
	t.mu.Unlock()
	for _, s := range subs {
		s.deliverLive(id, payload, meta)
	}
	return id
}

// deliverLive sends one live message to the consumer the subscription type picks.
func (s *subscription) deliverLive(id int64, payload []byte, meta *wire.MetaSummary) {
	n := max(meta.NumMessages(), 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *consumer
	switch s.subType {
	case pb.CommandSubscribe_Exclusive, pb.CommandSubscribe_Failover:
		if s.active != nil && s.active.permits > 0 {
			c = s.active
		}
	case pb.CommandSubscribe_Shared:
		c = s.nextSharedLocked()
	case pb.CommandSubscribe_Key_Shared:
		if k := s.selector.pick(keySlot(meta.StickyKey())); k != nil && k.permits > 0 {
			c = k
		}
	}
	if c == nil {
		return
	}
	cmd := &pb.CommandMessage{
		ConsumerId: proto.Uint64(c.id),
		MessageId:  wire.NewMessageID(0, uint64(id)),
	}
	s.t.setPartition(cmd.MessageId)
	c.c.w.sendMessage(wire.Wrap(cmd), payload)
	c.permits -= int64(n)
	s.countOutLocked(c, n, len(payload))
}
