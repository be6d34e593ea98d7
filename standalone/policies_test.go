package standalone

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"

	"github.com/magnetar/magnetar/broker"
)

// Policy enforcement, end to end: policies set with the official admin client
// (pulsaradmin), their effect observed with the official Go client and topic stats.

// policyEnv is a standalone tuned for policy tests: the message TTL check runs every
// 200ms and ledgers roll over every 5 entries (so retention has ledgers to keep or trim).
type policyEnv struct {
	in     *instance
	client pulsar.Client
	admin  pa.Client
}

func startPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.MessageExpiryCheckInterval = 200 * time.Millisecond
	cfg.ManagedLedgerMaxEntriesPerLedger = 5
	cfg.ManagedLedgerMinLedgerRolloverTimeMinutes = 0
	return startPolicyEnvWith(t, &cfg)
}

// startPolicyEnvWith starts standalone with cfg and the official admin client on it.
func startPolicyEnvWith(t *testing.T, cfg *broker.Config) *policyEnv {
	t.Helper()
	in := startStandalone(t, t.TempDir(), cfg)
	admin, err := pa.New(&config.Config{WebServiceURL: in.srv.WebURL})
	if err != nil {
		t.Fatal(err)
	}
	return &policyEnv{in: in, client: in.client(), admin: admin}
}

// namespace creates a namespace of its own for one test.
func (e *policyEnv) namespace(t *testing.T) string {
	t.Helper()
	ns := "public/" + uniqueTopic("ns")
	if err := e.admin.Namespaces().CreateNamespace(ns); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	return ns
}

func nsName(t *testing.T, ns string) utils.NameSpaceName {
	t.Helper()
	n, err := utils.GetNamespaceName(ns)
	if err != nil {
		t.Fatal(err)
	}
	return *n
}

func topicName(t *testing.T, s string) utils.TopicName {
	t.Helper()
	n, err := utils.GetTopicName(s)
	if err != nil {
		t.Fatal(err)
	}
	return *n
}

func (e *policyEnv) stats(t *testing.T, topic string) utils.TopicStats {
	t.Helper()
	st, err := e.admin.Topics().GetStats(topicName(t, topic))
	if err != nil {
		t.Fatalf("stats of %s: %v", topic, err)
	}
	return st
}

// post sends a JSON body to the admin API and expects success.
func (e *policyEnv) post(t *testing.T, path, body string) {
	t.Helper()
	resp, err := http.Post(e.in.srv.WebURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
}

// waitFor polls cond until it holds or timeout passes; cond describes the state it saw.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v (last seen: %s)", what, timeout, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// produce sends n unbatched messages "<prefix>-<i>".
func (e *policyEnv) produce(t *testing.T, topic, prefix string, n int, size int) {
	t.Helper()
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatalf("producer on %s: %v", topic, err)
	}
	defer p.Close()
	for i := range n {
		payload := []byte(fmt.Sprintf("%s-%d", prefix, i))
		if size > len(payload) {
			payload = append(payload, make([]byte, size-len(payload))...)
		}
		if _, err := p.Send(testContext(t), &pulsar.ProducerMessage{Payload: payload}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
}

// subscribeAndClose creates a durable subscription at the latest position.
func (e *policyEnv) subscribeAndClose(t *testing.T, topic, sub string) {
	t.Helper()
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: sub})
	if err != nil {
		t.Fatalf("subscribe %s: %v", sub, err)
	}
	c.Close()
}

func texts(msgs []pulsar.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = strings.TrimRight(string(m.Payload()), "\x00")
	}
	return out
}

// TestMessageTTL: a namespace TTL of 2s expires every subscription's old messages (the
// backlog drops to zero, stats count them expired) and a consumer that comes later gets
// only messages published since; a topic-level TTL overrides a namespace without one.
func TestMessageTTL(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	if err := e.admin.Namespaces().SetNamespaceMessageTTL(ns, 2); err != nil {
		t.Fatal(err)
	}
	topic := "persistent://" + ns + "/ttl"
	e.subscribeAndClose(t, topic, "s1")
	e.subscribeAndClose(t, topic, "s2")
	e.produce(t, topic, "old", 10, 0)
	if st := e.stats(t, topic); st.Subscriptions["s1"].MsgBacklog != 10 {
		t.Fatalf("backlog right after producing = %d; want 10", st.Subscriptions["s1"].MsgBacklog)
	}
	start := time.Now()
	rated := map[string]bool{} // some stats request saw a nonzero msgRateExpired
	waitFor(t, 10*time.Second, "TTL expires s1 and s2", func() (bool, string) {
		st := e.stats(t, topic)
		done, state := true, ""
		for _, sub := range []string{"s1", "s2"} {
			s := st.Subscriptions[sub]
			rated[sub] = rated[sub] || s.MsgRateExpired > 0
			done = done && s.MsgBacklog == 0 && s.TotalMsgExpired == 10
			state += fmt.Sprintf("%s: backlog %d, expired %d; ", sub, s.MsgBacklog, s.TotalMsgExpired)
		}
		return done, state
	})
	for _, sub := range []string{"s1", "s2"} {
		if !rated[sub] {
			t.Errorf("%s: msgRateExpired stayed 0 while 10 messages expired", sub)
		}
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("messages expired after %v; the TTL is 2s", waited)
	}
	e.produce(t, topic, "fresh", 3, 0)
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := texts(receiveN(t, c, 3, 10*time.Second))
	if strings.Join(got, ",") != "fresh-0,fresh-1,fresh-2" {
		t.Fatalf("consumer after expiry got %v; want only the fresh messages", got)
	}
	expectNone(t, c, 500*time.Millisecond)

	// Topic level: only the topic with the policy expires.
	plainNS := e.namespace(t)
	withTTL, without := "persistent://"+plainNS+"/with-ttl", "persistent://"+plainNS+"/without-ttl"
	for _, tp := range []string{withTTL, without} {
		e.subscribeAndClose(t, tp, "s")
		e.produce(t, tp, "m", 4, 0)
	}
	if err := e.admin.Topics().SetMessageTTL(topicName(t, withTTL), 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "topic-level TTL", func() (bool, string) {
		s := e.stats(t, withTTL).Subscriptions["s"]
		return s.MsgBacklog == 0, fmt.Sprintf("backlog %d", s.MsgBacklog)
	})
	if b := e.stats(t, without).Subscriptions["s"].MsgBacklog; b != 4 {
		t.Fatalf("backlog of the topic without TTL = %d; want 4", b)
	}
}

// TestExpireMessagesEndpoints: "expire messages" acknowledges a subscription's messages
// older than the given age and nothing younger; "expire all subscriptions" does it for
// every subscription of the topic.
func TestExpireMessagesEndpoints(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	topic := "persistent://" + ns + "/expire"
	tn := topicName(t, topic)
	e.subscribeAndClose(t, topic, "a")
	e.subscribeAndClose(t, topic, "b")
	e.produce(t, topic, "old", 5, 0)
	time.Sleep(2100 * time.Millisecond)
	e.produce(t, topic, "new", 3, 0)

	if err := e.admin.Subscriptions().ExpireMessages(tn, "a", 2); err != nil {
		t.Fatal(err)
	}
	st := e.stats(t, topic)
	if a, b := st.Subscriptions["a"], st.Subscriptions["b"]; a.MsgBacklog != 3 || a.TotalMsgExpired != 5 || b.MsgBacklog != 8 {
		t.Fatalf("after expiring a's messages older than 2s: a backlog %d (expired %d), b backlog %d; want 3 (5), 8",
			a.MsgBacklog, a.TotalMsgExpired, b.MsgBacklog)
	}
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(receiveN(t, c, 3, 10*time.Second)); strings.Join(got, ",") != "new-0,new-1,new-2" {
		t.Fatalf("a after expiry got %v; want the three new messages", got)
	}
	c.Close()

	if err := e.admin.Subscriptions().ExpireAllMessages(tn, 0); err != nil {
		t.Fatal(err)
	}
	for sub, s := range e.stats(t, topic).Subscriptions {
		if s.MsgBacklog != 0 {
			t.Fatalf("after expiring all subscriptions, %s has backlog %d", sub, s.MsgBacklog)
		}
	}
}

// TestRetention: with unlimited retention, acknowledged messages stay readable by a
// reader; with a size quota, acknowledged ledgers beyond it are trimmed (the storage
// shrinks) and a reader finds only the newest messages, none of the trimmed ones.
func TestRetention(t *testing.T) {
	e := startPolicyEnv(t)
	consumeAll := func(topic string, n int) {
		c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "sub",
			SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, m := range receiveN(t, c, n, 20*time.Second) {
			if err := c.Ack(m); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, "acknowledged", func() (bool, string) {
			b := e.stats(t, topic).Subscriptions["sub"].MsgBacklog
			return b == 0, fmt.Sprintf("backlog %d", b)
		})
	}
	readAll := func(topic string) []string {
		r, err := e.client.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []string
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			m, err := r.Next(ctx)
			cancel()
			if err != nil {
				return got
			}
			got = append(got, strings.TrimRight(string(m.Payload()), "\x00"))
		}
	}

	// Unlimited retention: all 20 acknowledged messages remain readable.
	keepNS := e.namespace(t)
	if err := e.admin.Namespaces().SetRetention(keepNS, utils.RetentionPolicies{RetentionTimeInMinutes: -1, RetentionSizeInMB: -1}); err != nil {
		t.Fatal(err)
	}
	kept := "persistent://" + keepNS + "/kept"
	e.subscribeAndClose(t, kept, "sub")
	e.produce(t, kept, "m", 20, 0)
	consumeAll(kept, 20)
	before := e.stats(t, kept).StorageSize
	time.Sleep(300 * time.Millisecond) // trims run after mark-delete moves: give one a chance
	if got := readAll(kept); len(got) != 20 || got[0] != "m-0" || got[19] != "m-19" {
		t.Fatalf("reader of a topic with unlimited retention got %d messages %v; want m-0..m-19", len(got), got)
	}
	if after := e.stats(t, kept).StorageSize; after != before {
		t.Fatalf("storage size of a topic with unlimited retention went from %d to %d", before, after)
	}
	// Retention taken away from the loaded topic: its consumed ledgers go at once.
	if err := e.admin.Namespaces().SetRetention(keepNS, utils.RetentionPolicies{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "trimmed after retention was removed", func() (bool, string) {
		s := e.stats(t, kept).StorageSize
		return s < before, fmt.Sprintf("storage %d (was %d)", s, before)
	})

	// A 1 MB quota: 40 acknowledged messages of 64 KiB (8 ledgers of 5) shrink to the
	// newest ledgers, about 1 MB, and the reader sees only the newest messages.
	quotaNS := e.namespace(t)
	if err := e.admin.Namespaces().SetRetention(quotaNS, utils.RetentionPolicies{RetentionTimeInMinutes: -1, RetentionSizeInMB: 1}); err != nil {
		t.Fatal(err)
	}
	trimmed := "persistent://" + quotaNS + "/trimmed"
	e.subscribeAndClose(t, trimmed, "sub")
	e.produce(t, trimmed, "m", 40, 64<<10)
	full := e.stats(t, trimmed).StorageSize
	if full < 40*64<<10 {
		t.Fatalf("storage size after 40 messages of 64 KiB = %d", full)
	}
	consumeAll(trimmed, 40)
	waitFor(t, 15*time.Second, "trimmed to the retention quota", func() (bool, string) {
		s := e.stats(t, trimmed).StorageSize
		return s <= 1<<20+5*(64<<10+1024), fmt.Sprintf("storage %d (was %d)", s, full)
	})
	got := readAll(trimmed)
	if len(got) == 0 || len(got) >= 40 || got[len(got)-1] != "m-39" {
		t.Fatalf("reader after trimming got %d messages (%v..); want the newest few up to m-39", len(got), got[:min(len(got), 1)])
	}
	for i, m := range got { // contiguous, ending at m-39
		if want := fmt.Sprintf("m-%d", 40-len(got)+i); m != want {
			t.Fatalf("reader message %d = %s; want %s", i, m, want)
		}
	}
}

// TestProducerAndConsumerLimits: the producer, consumer and subscription beyond the
// limits are refused with the errors Pulsar gives, and a slot freed lets the next in.
func TestProducerAndConsumerLimits(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	n := nsName(t, ns)
	if err := e.admin.Namespaces().SetMaxProducersPerTopic(n, 2); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.Namespaces().SetMaxConsumersPerTopic(n, 3); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.Namespaces().SetMaxConsumersPerSubscription(n, 2); err != nil {
		t.Fatal(err)
	}
	topic := "persistent://" + ns + "/limits"

	var producers []pulsar.Producer
	for i := range 2 {
		p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		if err != nil {
			t.Fatalf("producer %d of 2: %v", i, err)
		}
		producers = append(producers, p)
	}
	_, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	wantServerError(t, "third producer", err, "ProducerBusy", "Topic reached max producers limit")
	producers[0].Close()
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatalf("producer after one closed: %v", err)
	}
	p.Close()
	producers[1].Close()

	shared := func(sub string) (pulsar.Consumer, error) {
		return e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: sub, Type: pulsar.Shared})
	}
	c1, err := shared("x")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := shared("x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = shared("x")
	wantServerError(t, "third consumer of a subscription", err, "ConsumerBusy", "Subscription reached max consumers limit")
	c3, err := shared("y")
	if err != nil {
		t.Fatalf("consumer of another subscription: %v", err)
	}
	_, err = shared("z")
	wantServerError(t, "fourth consumer of the topic", err, "ConsumerBusy", "Topic reached max consumers limit")
	c1.Close()
	c4, err := shared("z")
	if err != nil {
		t.Fatalf("consumer after one closed: %v", err)
	}
	for _, c := range []pulsar.Consumer{c2, c3, c4} {
		c.Close()
	}

	// Topic level: at most one subscription.
	one := "persistent://" + ns + "/one-subscription"
	e.produce(t, one, "m", 1, 0)
	if err := e.admin.Topics().SetMaxSubscriptionsPerTopic(topicName(t, one), 1); err != nil {
		t.Fatal(err)
	}
	e.subscribeAndClose(t, one, "first")
	_, err = e.client.Subscribe(pulsar.ConsumerOptions{Topic: one, SubscriptionName: "second"})
	wantServerError(t, "second subscription", err, "NotAllowedError", "Exceed the maximum number of subscriptions of the topic")
}

func wantServerError(t *testing.T, what string, err error, code, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted; want %s", what, code)
	}
	if !strings.Contains(err.Error(), code) || !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: error %q; want %s: %s", what, err, code, text)
	}
}

// TestUnackedMessageLimits: a Shared consumer stops receiving at
// max_unacked_messages_per_consumer and resumes once it has acknowledged down to half
// of it; the subscription-wide limit stops all its consumers the same way.
func TestUnackedMessageLimits(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	perConsumer := "persistent://" + ns + "/per-consumer"
	e.produce(t, perConsumer, "m", 1, 0) // the topic must exist for a topic policy
	if err := e.admin.Topics().SetMaxUnackMessagesPerConsumer(topicName(t, perConsumer), 5); err != nil {
		t.Fatal(err)
	}
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: perConsumer, SubscriptionName: "s", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.produce(t, perConsumer, "n", 19, 0)
	first := receiveN(t, c, 5, 10*time.Second)
	expectNone(t, c, time.Second)
	cs := e.stats(t, perConsumer).Subscriptions["s"].Consumers
	if len(cs) != 1 || !cs[0].BlockedConsumerOnUnAckedMsgs || cs[0].UnAckedMessages != 5 {
		t.Fatalf("consumer stats at the limit = %+v; want blocked with 5 unacked", cs)
	}
	for _, m := range first[:2] { // 3 unacked: above half of 5, still blocked
		if err := c.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	expectNone(t, c, time.Second)
	if err := c.Ack(first[2]); err != nil { // 2 unacked: half of 5, unblocked
		t.Fatal(err)
	}
	more := receiveN(t, c, 3, 10*time.Second)
	for _, m := range append(first[3:], more...) {
		c.Ack(m)
	}

	perSub := "persistent://" + ns + "/per-subscription"
	e.produce(t, perSub, "m", 1, 0)
	if err := e.admin.Topics().SetMaxUnackMessagesPerSubscription(topicName(t, perSub), 6); err != nil {
		t.Fatal(err)
	}
	var consumers []pulsar.Consumer
	received := make(chan pulsar.ConsumerMessage, 100)
	for range 2 {
		c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: perSub, SubscriptionName: "s", Type: pulsar.Shared,
			SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, MessageChannel: received})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		consumers = append(consumers, c)
	}
	e.produce(t, perSub, "n", 19, 0)
	var got []pulsar.ConsumerMessage
	timeout := time.After(10 * time.Second)
	for len(got) < 6 {
		select {
		case m := <-received:
			got = append(got, m)
		case <-timeout:
			t.Fatalf("received %d messages; want 6 before the subscription blocks", len(got))
		}
	}
	select {
	case m := <-received:
		t.Fatalf("message %q past the subscription's limit of 6", m.Payload())
	case <-time.After(time.Second):
	}
	if s := e.stats(t, perSub).Subscriptions["s"]; !s.BlockedSubscriptionOnUnackedMsgs || s.UnAckedMessages != 6 {
		t.Fatalf("subscription stats at the limit: blocked %v, unacked %d; want true, 6", s.BlockedSubscriptionOnUnackedMsgs, s.UnAckedMessages)
	}
	for _, m := range got {
		m.Consumer.Ack(m.Message)
	}
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived after the subscription's messages were acknowledged")
	}
}

// TestDelayedDeliveryPolicy: with delayed delivery disabled on the namespace, a message
// meant for later arrives at once; where it is enabled it waits.
func TestDelayedDeliveryPolicy(t *testing.T) {
	e := startPolicyEnv(t)
	off := e.namespace(t)
	// pulsaradmin has no namespace-level call for it: the REST call pulsar-admin makes.
	e.post(t, "/admin/v2/namespaces/"+off+"/delayedDelivery", `{"active":false,"tickTime":1000}`)
	on := e.namespace(t)
	for _, tc := range []struct {
		ns        string
		immediate bool
	}{{off, true}, {on, false}} {
		topic := "persistent://" + tc.ns + "/delayed"
		c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Send(testContext(t), &pulsar.ProducerMessage{Payload: []byte("later"), DeliverAfter: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if tc.immediate {
			receiveN(t, c, 1, 5*time.Second)
		} else {
			expectNone(t, c, 1500*time.Millisecond)
		}
		p.Close()
		c.Close()
	}
}

// TestAutoTopicCreationOverride: a namespace override forbidding auto-creation refuses
// a producer on a new topic; one asking for partitioned topics creates them with the
// override's partition count.
func TestAutoTopicCreationOverride(t *testing.T) {
	e := startPolicyEnv(t)
	forbidden := e.namespace(t)
	if err := e.admin.Namespaces().SetTopicAutoCreation(nsName(t, forbidden), utils.TopicAutoCreationConfig{Allow: false}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://" + forbidden + "/new"})
	if err == nil || !strings.Contains(err.Error(), "TopicNotFound") {
		t.Fatalf("producer on a new topic where auto-creation is off: %v; want TopicNotFound", err)
	}

	partitioned := e.namespace(t)
	three := 3
	err = e.admin.Namespaces().SetTopicAutoCreation(nsName(t, partitioned),
		utils.TopicAutoCreationConfig{Allow: true, Type: utils.Partitioned, Partitions: &three})
	if err != nil {
		t.Fatal(err)
	}
	topic := "persistent://" + partitioned + "/auto"
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	meta, err := e.admin.Topics().GetMetadata(topicName(t, topic))
	if err != nil || meta.Partitions != 3 {
		t.Fatalf("auto-created topic metadata = %+v, %v; want 3 partitions", meta, err)
	}
}

// TestDeduplicationNamespacePolicy: with deduplication enabled on the namespace, a
// message sent again with a sequence id already stored is acknowledged but not stored.
func TestDeduplicationNamespacePolicy(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	if err := e.admin.Namespaces().SetDeduplicationStatus(ns, true); err != nil {
		t.Fatal(err)
	}
	topic := "persistent://" + ns + "/dedup"
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", AckWithResponse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: "dedup-producer", DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, seq := range []int64{0, 1, 2, 1, 2, 3} {
		if _, err := p.Send(testContext(t), &pulsar.ProducerMessage{Payload: []byte(fmt.Sprint(seq)), SequenceID: &seq}); err != nil {
			t.Fatalf("send seq %d: %v", seq, err)
		}
	}
	msgs := receiveN(t, c, 4, 10*time.Second)
	if got := strings.Join(texts(msgs), ","); got != "0,1,2,3" {
		t.Fatalf("received %s; want 0,1,2,3 (duplicates dropped)", got)
	}
	for _, m := range msgs {
		if err := c.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	expectNone(t, c, 500*time.Millisecond)
	if st := e.stats(t, topic); st.DeDuplicationStatus != "Enabled" {
		t.Fatalf("deduplicationStatus = %q; want Enabled", st.DeDuplicationStatus)
	}

	// Turned off while the topic is in use: it reloads without deduplication, the
	// clients reconnect, and a repeated sequence id is stored again.
	if err := e.admin.Namespaces().SetDeduplicationStatus(ns, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "deduplication off", func() (bool, string) {
		st := e.stats(t, topic).DeDuplicationStatus
		return st == "Disabled", st
	})
	seq := int64(2)
	if _, err := p.Send(testContext(t), &pulsar.ProducerMessage{Payload: []byte("2 again"), SequenceID: &seq}); err != nil {
		t.Fatal(err)
	}
	if got := texts(receiveN(t, c, 1, 10*time.Second)); got[0] != "2 again" {
		t.Fatalf("after deduplication was turned off got %v; want the repeated message", got)
	}
}
