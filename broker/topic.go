package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/metrics"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// topic is a loaded topic: its producers and subscriptions and, for a persistent topic,
// its managed ledger. A non-persistent topic stores nothing: a message goes to the
// consumers connected at that moment that have permits, or nowhere.
type topic struct {
	b    *Broker
	name topicname.Name
	key  string                       // name.String()
	ml   *managedledger.ManagedLedger // nil for non-persistent topics
	log  *slog.Logger

	dedup *dedupState                         // nil unless deduplication is enabled
	pol   atomic.Pointer[resources.Effective] // policies in force: see policies()

	// lastEntryMsgs is the message count of the last stored entry, for the batch index
	// GetLastMessageId reports.
	lastEntryMsgs atomic.Int32
	// nextEntryID numbers a non-persistent topic's messages.
	nextEntryID atomic.Int64

	msgIn, bytesIn, msgOut, bytesOut atomic.Int64
	rates                            rateState
	created                          time.Time
	lastPublish                      atomic.Int64       // unix ms
	writeLatency, entrySize          *metrics.Histogram // pulsar_storage_write_latency, pulsar_entry_size
	pubLimit                         publishLimiter     // the publish-rate policy
	partitionIdx                     *int32             // the partition's index for message ids; nil if not a partition

	mu          sync.Mutex
	producers   map[string]*producer // by producer name
	exclusive   *producer            // holder of exclusive access, if any
	waiting     []*producer          // WaitForExclusive producers, in arrival order
	epoch       uint64               // topic epoch: grows each time exclusive access changes hands
	subs        map[string]*subscription
	closed      bool
	terminating bool // being terminated: no new producers
	lastActive  time.Time
}

func newTopic(b *Broker, n topicname.Name, ml *managedledger.ManagedLedger, e *resources.Effective) *topic {
	t := &topic{
		b:          b,
		name:       n,
		key:        n.String(),
		ml:         ml,
		log:        b.log.With("topic", n.String()),
		producers:  map[string]*producer{},
		subs:       map[string]*subscription{},
		lastActive: time.Now(),
		created:    time.Now(),

		writeLatency: metrics.NewLatencyHistogram(),
		entrySize:    metrics.NewSizeHistogram(),
	}
	if n.Partition >= 0 {
		t.partitionIdx = proto.Int32(int32(n.Partition))
	}
	if e == nil {
		e = &resources.Effective{}
	}
	t.pol.Store(e)
	if ml != nil && e.DeduplicationEnabled {
		t.dedup = newDedupState()
	}
	return t
}

// recover restores a persistent topic's state after its ledger opened: the durable
// subscriptions (so their backlog is kept and visible), the last entry's batch size, and
// deduplication state.
func (t *topic) recover(ctx context.Context) error {
	for _, c := range t.ml.Cursors() {
		if !c.Durable() || isSystemCursor(c.Name()) {
			continue
		}
		t.subs[c.Name()] = newSubscription(t, c.Name(), c, defaultSubType)
	}
	if last := t.ml.LastConfirmed(); last.EntryID >= 0 {
		e, err := t.ml.Read(ctx, last)
		if err != nil {
			return fmt.Errorf("read last entry %v: %w", last, err)
		}
		if m, err := wire.ScanMetadata(e.Data); err == nil {
			t.lastEntryMsgs.Store(int32(m.NumMessages()))
		}
	}
	if t.dedup != nil {
		if err := t.dedup.recover(ctx, t); err != nil {
			return fmt.Errorf("recover deduplication state: %w", err)
		}
	}
	return nil
}

// isClosed tells whether the topic is closing or closed.
func (t *topic) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// touch records activity, for inactive-topic cleanup.
func (t *topic) touch() {
	t.mu.Lock()
	t.lastActive = time.Now()
	t.mu.Unlock()
}

// inactiveFor is how long the topic has had nothing that keeps it under mode: no
// producers and no connected consumers, and, for a persistent topic, no subscriptions
// (delete_when_no_subscriptions) or only subscriptions with no backlog
// (delete_when_subscriptions_caught_up). 0 while something keeps it.
func (t *topic) inactiveFor(mode resources.InactiveTopicDeleteMode) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || len(t.producers) > 0 || len(t.waiting) > 0 {
		return 0
	}
	for _, s := range t.subs {
		if s.hasConsumers() {
			return 0
		}
		if t.ml == nil {
			continue
		}
		if mode != resources.DeleteWhenSubscriptionsCaughtUp || s.cursor == nil || s.cursor.Backlog() > 0 {
			return 0
		}
	}
	return time.Since(t.lastActive)
}

// deleteIfInactive deletes the topic, its subscriptions and its data if it is still
// inactive (inactiveFor) after maxIdle.
func (t *topic) deleteIfInactive(ctx context.Context, maxIdle time.Duration, mode resources.InactiveTopicDeleteMode) error {
	if t.inactiveFor(mode) < maxIdle {
		return nil
	}
	t.log.Info("deleting inactive topic", "mode", mode)
	if err := t.shutdown(ctx, true, true); err != nil {
		return err
	}
	return t.b.DeleteTopicSchema(ctx, t.name) // as a deletion through the admin API does
}

func (t *topic) subscriptionList() []*subscription {
	out := make([]*subscription, 0, len(t.subs))
	for _, s := range t.subs {
		out = append(out, s)
	}
	return out
}

// close unloads the topic: producers and consumers are closed (with notifyClients the
// clients are told, so they reconnect), dispatchers stop, pending appends finish and the
// ledger closes, persisting cursors.
func (t *topic) close(ctx context.Context, notifyClients bool) error {
	return t.shutdown(ctx, notifyClients, false)
}

// shutdown is close, or with deleteData the deletion of the topic and its stored data.
func (t *topic) shutdown(ctx context.Context, notifyClients, deleteData bool) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	producers := make([]*producer, 0, len(t.producers)+len(t.waiting))
	for _, p := range t.producers {
		producers = append(producers, p)
	}
	producers = append(producers, t.waiting...)
	subs := t.subscriptionList()
	t.mu.Unlock()
	for _, p := range producers {
		p.closeByBroker(notifyClients)
	}
	for _, s := range subs {
		s.shutdown(notifyClients)
	}
	defer t.b.topics.remove(t)
	if t.ml == nil {
		return nil
	}
	if deleteData {
		if err := t.ml.Delete(ctx); err != nil {
			return fmt.Errorf("delete %s: %w", t.key, err)
		}
		return nil
	}
	if t.dedup != nil {
		t.dedup.flush(ctx, t)
	}
	if err := t.ml.Close(ctx); err != nil && !errors.Is(err, managedledger.ErrClosed) {
		return fmt.Errorf("close %s: %w", t.key, err)
	}
	return nil
}

// removeSubscription forgets a subscription (unsubscribed, or non-durable and empty).
func (t *topic) removeSubscription(s *subscription) {
	t.mu.Lock()
	if t.subs[s.name] == s {
		delete(t.subs, s.name)
	}
	t.lastActive = time.Now()
	t.mu.Unlock()
}

// setPartition puts a partition's index into a message id the broker sends, as Pulsar
// does: clients that take ids from the wire (the C++ client, so Python's) compare it.
// The index is allocated once per topic (nil for a non-partitioned one: the field stays
// unset), not once per message.
func (t *topic) setPartition(id *pb.MessageIdData) { id.Partition = t.partitionIdx }
