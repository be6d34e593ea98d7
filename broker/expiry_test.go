package broker

import (
	"context"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// TestSubscriptionExpiration: with subscription_expiration_time_minutes = 1, a durable
// subscription without consumers is deleted once it has been idle for over a minute
// (the check is run as at a later time); one with a consumer, or idle for less, stays.
func TestSubscriptionExpiration(t *testing.T) {
	tb := startBroker(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ns, _ := topicname.ParseNamespace("public/default")
	one := 1
	err := tb.res.UpdatePolicies(ctx, ns, func(p *resources.Policies) error {
		p.SubscriptionExpirationTimeMinutes = &one
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "persistent://public/default/sub-expiry"
	client := tb.client(t)
	idle, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "idle"})
	if err != nil {
		t.Fatal(err)
	}
	idle.Close()
	busy, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	n, _ := topicname.Parse(topic)
	tp := tb.topics.get(n.String())
	if tp == nil {
		t.Fatal("topic not loaded")
	}
	if err := tp.refreshPolicies(ctx); err != nil {
		t.Fatal(err)
	}
	subs := func() map[string]bool {
		tp.mu.Lock()
		defer tp.mu.Unlock()
		out := map[string]bool{}
		for name := range tp.subs {
			out[name] = true
		}
		return out
	}

	tp.expireSubscriptions(ctx, time.Now().Add(30*time.Second))
	if s := subs(); !s["idle"] || !s["busy"] {
		t.Fatalf("after 30s idle: subscriptions %v; want both kept", s)
	}
	tp.expireSubscriptions(ctx, time.Now().Add(2*time.Minute))
	if s := subs(); s["idle"] || !s["busy"] {
		t.Fatalf("after 2 minutes idle: subscriptions %v; want only busy", s)
	}
	if tp.hasCursor("idle") {
		t.Fatal("the expired subscription's cursor is still stored")
	}
}

// TestPeekCreatesSubscription: peeking at a subscription that does not exist creates it
// at the earliest position, as Pulsar does.
func TestPeekCreatesSubscription(t *testing.T) {
	tb := startBroker(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const topic = "persistent://public/default/peek-creates"
	p, err := tb.client(t).CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, s := range []string{"a", "b", "c"} {
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := topicname.Parse(topic)
	api := tb.AdminAPI()
	m, err := api.PeekMessage(ctx, n, "peeker", 2)
	if err != nil || string(m.Payload) != "b" {
		t.Fatalf("peek 2nd of a new subscription = %v, %v; want b", m, err)
	}
	st, err := api.Stats(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := st.Subscriptions["peeker"]; !ok || s.MsgBacklog != 3 || !s.IsDurable {
		t.Fatalf("subscription created by peek: %+v (exists %v); want durable with backlog 3", s, ok)
	}
}

// TestConsumerStatsTimestamps: stats tell when a consumer last sent FLOW, received and
// acknowledged, and when the subscription's mark-delete position last moved.
func TestConsumerStatsTimestamps(t *testing.T) {
	tb := startBroker(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const topic = "persistent://public/default/stats-times"
	client := tb.client(t)
	c, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", AckWithResponse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, _ := topicname.Parse(topic)
	api := tb.AdminAPI()
	sub := func() (s subscriptionStatsView) {
		st, err := api.Stats(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		ss := st.Subscriptions["s"]
		s.sub = ss.LastMarkDeleteAdvancedTimestamp
		if len(ss.Consumers) == 1 {
			cs := ss.Consumers[0]
			s.flow, s.consumed, s.acked, s.out = cs.LastConsumedFlowTimestamp, cs.LastConsumedTimestamp, cs.LastAckedTimestamp, cs.MsgOutCounter
		}
		return s
	}
	deadline := time.Now().Add(5 * time.Second)
	for sub().flow == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := sub(); s.flow == 0 || s.consumed != 0 || s.acked != 0 || s.sub != 0 {
		t.Fatalf("after FLOW only: %+v; want flow set, the rest 0", s)
	}
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := sub(); s.consumed == 0 || s.out != 1 {
		t.Fatalf("after a delivery: %+v; want consumed set and 1 out", s)
	}
	if err := c.Ack(m); err != nil {
		t.Fatal(err)
	}
	if s := sub(); s.acked == 0 || s.sub == 0 {
		t.Fatalf("after an ack: %+v; want acked and mark-delete times set", s)
	}
}

type subscriptionStatsView struct{ flow, consumed, acked, sub, out int64 }
