package broker

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// producer is a client's producer on one topic.
type producer struct {
	c         *conn
	id        uint64
	requestID uint64 // of the PRODUCER command, repeated when a waiting producer gets access
	t         *topic
	name      string
	epoch     uint64 // the client's reconnect counter: a higher one replaces a stale registration
	mode      pb.ProducerAccessMode
	// topicEpoch is the topic epoch granted (exclusive modes) or asked for on reconnect.
	topicEpoch    uint64
	hasTopicEpoch bool

	ready  atomic.Bool // PRODUCER_SUCCESS with producer_ready sent
	closed atomic.Bool

	metadata      map[string]string // producer properties, for stats
	since         time.Time
	schemaVersion []byte

	// Receipts go out in SEND order: ops complete in storage order already, and a
	// duplicate's immediate answer waits here behind earlier sends.
	qmu   sync.Mutex
	queue []*sendOp
	head  int
}

// sendOp is one SEND waiting for its outcome.
type sendOp struct {
	seq, highest   uint64
	ledger, entry  int64
	failed         bool
	code           pb.ServerError
	msg            string
	done           bool
	started        time.Time
	numMsgs, bytes int
}

func (c *conn) handleProducer(cmd *pb.CommandProducer) {
	pid, rid := cmd.GetProducerId(), cmd.GetRequestId()
	c.mu.Lock()
	if old := c.producers[pid]; old != nil {
		c.mu.Unlock()
		if old.ready.Load() {
			// A retried create of a producer that exists: answer as before.
			c.w.send(old.successCommand(rid, true))
		} else {
			c.w.send(wire.NewError(rid, pb.ServerError_ServiceNotReady, "Producer is already present on the connection"))
		}
		return
	}
	p := &producer{
		c:             c,
		id:            pid,
		requestID:     rid,
		name:          cmd.GetProducerName(),
		epoch:         cmd.GetEpoch(),
		mode:          cmd.GetProducerAccessMode(),
		topicEpoch:    cmd.GetTopicEpoch(),
		hasTopicEpoch: cmd.TopicEpoch != nil,
		metadata:      keyValues(cmd.GetMetadata()),
		since:         time.Now(),
	}
	c.producers[pid] = p
	c.mu.Unlock()
	go c.createProducer(p, cmd)
}

// createProducer attaches p to its topic (loading or creating the topic) and answers.
func (c *conn) createProducer(p *producer, cmd *pb.CommandProducer) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	fail := func(err error) {
		c.mu.Lock()
		if c.producers[p.id] == p {
			delete(c.producers, p.id)
		}
		c.mu.Unlock()
		p.closed.Store(true)
		c.w.send(wire.NewError(p.requestID, codeOf(err), messageOf(err)))
	}
	n, err := parseTopic(cmd.GetTopic())
	if err != nil {
		fail(err)
		return
	}
	t, err := c.b.topics.getOrLoad(ctx, n, autoCreate)
	if err != nil {
		fail(err)
		return
	}
	if err := t.refreshPolicies(ctx); err != nil {
		t.log.Debug("refresh policies", "err", err) // the known policies still apply
	}
	if sub := cmd.GetInitialSubscriptionName(); sub != "" && t.ml != nil {
		if err := t.ensureSubscription(ctx, sub); err != nil {
			fail(err)
			return
		}
	}
	if policy := t.quotaCheck(); policy != "" && policy != resources.ConsumerBacklogEviction {
		fail(quotaError(policy, t.key))
		return
	}
	if p.schemaVersion, err = c.b.registerProducerSchema(ctx, n, cmd.GetSchema()); err != nil {
		fail(err)
		return
	}
	if p.name == "" {
		p.name = c.b.producerPrefix + "-" + strconv.FormatUint(c.b.producerCounter.Add(1)-1, 10)
	}
	p.t = t
	ready, err := t.addProducer(p)
	if err != nil {
		fail(err)
		return
	}
	if p.closed.Load() || c.isClosed() {
		// Closed by the client while we were creating it.
		t.removeProducer(p)
		return
	}
	if ready {
		p.ready.Store(true)
	}
	c.w.send(p.successCommand(p.requestID, ready))
}

// keyValues turns protocol key/value pairs into a map (nil if none).
func keyValues(kvs []*pb.KeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue()
	}
	return m
}

func (p *producer) successCommand(requestID uint64, ready bool) *pb.BaseCommand {
	last := int64(-1)
	if d := p.t.dedup; d != nil {
		last = d.lastPersisted(p.name)
	}
	version := p.schemaVersion
	if version == nil {
		// Pulsar always sets the field (empty without a schema); the Java client reads
		// it unconditionally and fails the producer's creation when it is missing.
		version = []byte{}
	}
	return wire.Wrap(&pb.CommandProducerSuccess{
		RequestId:      proto.Uint64(requestID),
		ProducerName:   proto.String(p.name),
		LastSequenceId: proto.Int64(last),
		TopicEpoch:     proto.Uint64(p.topicEpoch),
		ProducerReady:  proto.Bool(ready),
		SchemaVersion:  version,
	})
}

// addProducer registers p under the topic's access rules. It returns ready=false when p
// waits for exclusive access (WaitForExclusive).
func (t *topic) addProducer(p *producer) (ready bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false, errorf(pb.ServerError_ServiceNotReady, "topic %s is being unloaded", t.key)
	}
	if t.terminating || t.ml != nil && t.ml.Terminated() {
		return false, errorf(pb.ServerError_TopicTerminatedError, "Topic %s was terminated", t.key)
	}
	if old := t.producers[p.name]; old != nil {
		// The same client reconnecting (higher epoch, or its old connection is gone)
		// replaces its stale registration; anyone else is refused.
		if p.epoch > old.epoch || old.c.isClosed() {
			t.detachLocked(old)
			old.closed.Store(true)
			old.c.forgetProducer(old)
		} else {
			return false, errorf(pb.ServerError_ProducerBusy, "Producer with name '%s' is already connected to topic", p.name)
		}
	}
	if limit := t.policies().MaxProducersPerTopic; limit > 0 && len(t.producers) >= limit {
		return false, errorf(pb.ServerError_ProducerBusy, "Topic reached max producers limit")
	}
	if p.hasTopicEpoch && p.mode != pb.ProducerAccessMode_Shared && p.topicEpoch < t.epoch {
		return false, errorf(pb.ServerError_ProducerFenced, "Topic epoch has already moved. Current epoch: %d, Producer epoch: %d", t.epoch, p.topicEpoch)
	}
	switch p.mode {
	case pb.ProducerAccessMode_Shared:
		if t.exclusive != nil {
			return false, errorf(pb.ServerError_ProducerBusy, "Topic has an existing exclusive producer: %s", t.exclusive.name)
		}
	case pb.ProducerAccessMode_Exclusive, pb.ProducerAccessMode_ExclusiveWithFencing:
		if t.exclusive != nil {
			return false, errorf(pb.ServerError_ProducerFenced, "Topic has an existing exclusive producer: %s", t.exclusive.name)
		}
		if len(t.producers) > 0 {
			return false, errorf(pb.ServerError_ProducerFenced, "Topic has existing shared producers")
		}
		t.grantExclusiveLocked(p)
	case pb.ProducerAccessMode_WaitForExclusive:
		if t.exclusive != nil || len(t.producers) > 0 {
			t.waiting = append(t.waiting, p)
			return false, nil
		}
		t.grantExclusiveLocked(p)
	default:
		return false, errorf(pb.ServerError_NotAllowedError, "unsupported producer access mode %v", p.mode)
	}
	t.producers[p.name] = p
	t.lastActive = time.Now()
	return true, nil
}

func (t *topic) grantExclusiveLocked(p *producer) {
	if !p.hasTopicEpoch || p.topicEpoch != t.epoch || t.epoch == 0 {
		t.epoch++
	}
	t.exclusive = p
	p.topicEpoch = t.epoch
}

// detachLocked removes p from the topic's producers and the waiting list.
func (t *topic) detachLocked(p *producer) {
	if t.producers[p.name] == p {
		delete(t.producers, p.name)
	}
	for i, w := range t.waiting {
		if w == p {
			t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
			break
		}
	}
	if t.exclusive == p {
		t.exclusive = nil
	}
}

// removeProducer detaches p and hands exclusive access to the next waiting producer.
func (t *topic) removeProducer(p *producer) {
	t.mu.Lock()
	t.detachLocked(p)
	t.lastActive = time.Now()
	var promoted *producer
	if t.exclusive == nil && len(t.producers) == 0 && len(t.waiting) > 0 && !t.closed {
		promoted = t.waiting[0]
		t.waiting = t.waiting[1:]
		t.grantExclusiveLocked(promoted)
		t.producers[promoted.name] = promoted
	}
	t.mu.Unlock()
	if promoted != nil {
		promoted.ready.Store(true)
		promoted.c.w.send(promoted.successCommand(promoted.requestID, true))
	}
}

// forgetProducer drops p from the connection's table.
func (c *conn) forgetProducer(p *producer) {
	c.mu.Lock()
	if c.producers[p.id] == p {
		delete(c.producers, p.id)
	}
	c.mu.Unlock()
}

// close releases the producer (client closed it or the connection went away).
func (p *producer) close(notify bool) {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	if p.t != nil {
		p.t.removeProducer(p)
	}
	if notify {
		p.c.forgetProducer(p)
		p.c.w.send(wire.NewCloseProducer(p.id, 0))
	}
}

// closeByBroker closes the producer from the topic's side (unload, shutdown): the client
// is told so it reconnects.
func (p *producer) closeByBroker(notify bool) {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	p.c.forgetProducer(p)
	if notify {
		p.c.w.send(wire.NewCloseProducer(p.id, 0))
	}
}

func (c *conn) handleCloseProducer(cp *pb.CommandCloseProducer) {
	c.mu.Lock()
	p := c.producers[cp.GetProducerId()]
	delete(c.producers, cp.GetProducerId())
	c.mu.Unlock()
	if p != nil {
		p.close(false)
	}
	c.w.send(wire.NewSuccess(cp.GetRequestId()))
}

// handleSend stores one entry (a message, a batch or a chunk). It runs on the reader
// goroutine, so entries of a connection reach storage in the order they were sent.
func (c *conn) handleSend(s *pb.CommandSend, payload []byte) {
	c.mu.Lock()
	p := c.producers[s.GetProducerId()]
	c.mu.Unlock()
	if p == nil || !p.ready.Load() || p.closed.Load() {
		c.log.Debug("SEND for an unknown or closed producer", "producer_id", s.GetProducerId())
		return
	}
	p.publish(s, payload)
}

func (p *producer) publish(s *pb.CommandSend, payload []byte) {
	op := &sendOp{seq: s.GetSequenceId(), highest: s.GetHighestSequenceId(), started: time.Now(), bytes: len(payload)}
	p.enqueue(op)
	p.c.pendingSends.Add(1)
	// maxMessageSize itself is enforced as Pulsar does, by the frame limit (max message
	// size plus padding for the command and headers): a chunk of exactly max_message_size
	// bytes of payload arrives with its metadata on top.
	meta, err := wire.ScanMetadata(payload)
	if err != nil {
		p.fail(op, pb.ServerError_NotAllowedError, "malformed message: "+err.Error())
		return
	}
	if err := wire.VerifyChecksum(payload); err != nil {
		p.fail(op, pb.ServerError_ChecksumError, err.Error())
		return
	}
	op.numMsgs = meta.NumMessages()
	if n := s.GetNumMessages(); s.NumMessages != nil && int(n) > op.numMsgs {
		op.numMsgs = int(n)
	}
	t := p.t
	if wait := t.pubLimit.take(t.policies().PublishRate, op.numMsgs, len(payload), op.started); wait > 0 {
		p.c.readAfter = op.started.Add(wait) // the publish rate: read no more until then
	}
	if maxDelay := t.policies().DelayedDelivery.MaxDeliveryDelayInMillis; maxDelay > 0 && meta.HasDeliverAtTime &&
		meta.DeliverAtTime-int64(meta.PublishTime) > maxDelay {
		p.fail(op, pb.ServerError_NotAllowedError, fmt.Sprintf("Exceeds max allowed delivery delay of %d milliseconds", maxDelay))
		return
	}
	if d := t.dedup; d != nil && (!meta.HasChunk || meta.ChunkID == meta.NumChunksFromMsg-1) {
		if d.isDuplicate(p.name, int64(op.seq), int64(max(op.highest, op.seq))) {
			op.ledger, op.entry = -1, -1
			p.complete(op)
			return
		}
	}
	if t.ml == nil {
		id := t.publishNonPersistent(payload, &meta)
		op.ledger, op.entry = 0, id
		t.published(op, &meta)
		p.complete(op)
		return
	}
	t.ml.AddEntry(payload, func(pos managedledger.Position, err error) {
		if err != nil {
			p.t.log.Warn("append failed", "err", err)
			p.fail(op, codeOf(err), "store message: "+err.Error())
			return
		}
		op.ledger, op.entry = pos.LedgerID, pos.EntryID
		t.published(op, &meta)
		if t.dedup != nil {
			t.dedup.persisted(t, p.name, int64(max(op.highest, op.seq)), pos)
		}
		p.complete(op)
	})
}

// published updates statistics once an entry is stored (or delivered, non-persistent).
func (t *topic) published(op *sendOp, meta *wire.MetaSummary) {
	t.lastEntryMsgs.Store(int32(meta.NumMessages()))
	t.lastPublish.Store(time.Now().UnixMilli())
	t.msgIn.Add(int64(op.numMsgs))
	t.bytesIn.Add(int64(op.bytes))
	latency := time.Since(op.started)
	t.b.stats.published(op.numMsgs, op.bytes, latency)
	t.writeLatency.Record(float64(latency) / float64(time.Millisecond))
	t.entrySize.Record(float64(op.bytes))
}

func (p *producer) fail(op *sendOp, code pb.ServerError, msg string) {
	op.failed, op.code, op.msg = true, code, msg
	p.complete(op)
}

func (p *producer) enqueue(op *sendOp) {
	p.qmu.Lock()
	p.queue = append(p.queue, op)
	p.qmu.Unlock()
}

// complete marks op done and sends every receipt at the head of the queue that is done.
func (p *producer) complete(op *sendOp) {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	op.done = true
	for p.head < len(p.queue) && p.queue[p.head].done {
		o := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if o.failed {
			p.c.w.send(wire.NewSendError(p.id, o.seq, o.code, o.msg))
		} else {
			p.c.w.send(wire.NewSendReceipt(p.id, o.seq, wire.NewMessageID(uint64(o.ledger), uint64(o.entry))))
		}
		p.c.publishDone()
	}
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
}
