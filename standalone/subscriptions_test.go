package standalone

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func produce(t *testing.T, p pulsar.Producer, msgs ...*pulsar.ProducerMessage) []pulsar.MessageID {
	t.Helper()
	ctx := testContext(t)
	ids := make([]pulsar.MessageID, 0, len(msgs))
	for _, m := range msgs {
		id, err := p.Send(ctx, m)
		if err != nil {
			t.Fatalf("send of %d bytes: %v", len(m.Payload), err)
		}
		ids = append(ids, id)
	}
	return ids
}

func payloads(prefix string, n int) []*pulsar.ProducerMessage {
	out := make([]*pulsar.ProducerMessage, n)
	for i := range out {
		out[i] = &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	return out
}

func TestExclusiveRefusesSecondConsumer(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("busy")
	c1, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Exclusive})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	_, err = c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Exclusive})
	if err == nil || !strings.Contains(err.Error(), "ConsumerBusy") {
		t.Fatalf("second exclusive consumer: err = %v; want ConsumerBusy", err)
	}
	_, err = c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	if err == nil || !strings.Contains(err.Error(), "ConsumerBusy") {
		t.Fatalf("shared consumer on an exclusive subscription: err = %v; want ConsumerBusy", err)
	}
}

// TestSharedRoundRobin: two Shared consumers split the messages, none lost or duplicated;
// when one leaves without acknowledging, the other gets its messages again.
func TestSharedRoundRobin(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("shared")
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared, ReceiverQueueSize: 10}
	c1, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	produce(t, p, payloads("m", n)...)

	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, cs := range []pulsar.Consumer{c1, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			for {
				m, err := cs.Receive(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				seen[string(m.Payload())]++
				counts[i]++
				mu.Unlock()
				if i == 1 {
					cs.Ack(m)
				}
			}
		}()
	}
	wg.Wait()
	if counts[0] == 0 || counts[1] == 0 || len(seen) != n {
		t.Fatalf("deliveries per consumer %v, distinct messages %d; want both > 0 and %d", counts, len(seen), n)
	}
	// c1 acknowledged nothing: closing it hands its messages to c2.
	unacked := counts[0]
	c1.Close()
	again := receiveN(t, c2, unacked, 10*time.Second)
	for _, m := range again {
		if m.RedeliveryCount() == 0 {
			t.Errorf("redelivered %q with redelivery count 0", m.Payload())
		}
		c2.Ack(m)
	}
	expectNone(t, c2, 300*time.Millisecond)
}

// TestFailover: one active consumer receives; when it leaves the other takes over the
// unacknowledged messages; both hear about the change.
func TestFailover(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("failover")
	events := make(chan string, 10)
	listener := func(name string) *failoverListener { return &failoverListener{name: name, events: events} }
	c1, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Failover,
		Name: "a", EventListener: listener("a")})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Failover,
		Name: "b", EventListener: listener("b")})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	waitEvent(t, events, "a active")
	waitEvent(t, events, "b inactive")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("m", 10)...)
	got := receiveN(t, c1, 10, 10*time.Second)
	for _, m := range got[:5] {
		c1.Ack(m)
	}
	expectNone(t, c2, 300*time.Millisecond)
	c1.Close()
	waitEvent(t, events, "b active")
	rest := receiveN(t, c2, 5, 10*time.Second)
	for i, m := range rest {
		if want := fmt.Sprintf("m-%d", i+5); string(m.Payload()) != want {
			t.Errorf("after failover got %q; want %q", m.Payload(), want)
		}
	}
}

type failoverListener struct {
	name   string
	events chan string
}

func (l *failoverListener) BecameActive(pulsar.Consumer, string, int32) {
	l.events <- l.name + " active"
}

func (l *failoverListener) BecameInactive(pulsar.Consumer, string, int32) {
	l.events <- l.name + " inactive"
}

func waitEvent(t *testing.T, events chan string, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			if e == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q event", want)
		}
	}
}

// TestKeyShared: messages of a key go to one consumer, in order; both consumers get keys.
func TestKeyShared(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("keyshared")
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.KeyShared}
	c1, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatcherBuilderType: pulsar.KeyBasedBatchBuilder})
	if err != nil {
		t.Fatal(err)
	}
	const perKey = 20
	keys := []string{"key-shared-0", "key-shared-1", "key-shared-2"}
	ctx := testContext(t)
	for i := range perKey {
		for _, k := range keys {
			p.SendAsync(ctx, &pulsar.ProducerMessage{Key: k, Payload: []byte(fmt.Sprintf("%s:%d", k, i))}, nil)
		}
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	owner := map[string]int{}
	next := map[string]int{}
	total := 0
	for idx, cs := range []pulsar.Consumer{c1, c2} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		for {
			m, err := cs.Receive(ctx)
			if err != nil {
				break
			}
			total++
			k := m.Key()
			if o, ok := owner[k]; ok && o != idx {
				t.Errorf("key %s went to consumers %d and %d", k, o, idx)
			}
			owner[k] = idx
			if want := fmt.Sprintf("%s:%d", k, next[k]); string(m.Payload()) != want {
				t.Errorf("consumer %d got %q; want %q (per-key order)", idx, m.Payload(), want)
			}
			next[k]++
			cs.Ack(m)
		}
		cancel()
	}
	if total != perKey*len(keys) {
		t.Fatalf("received %d messages; want %d", total, perKey*len(keys))
	}
	users := map[int]bool{}
	for _, o := range owner {
		users[o] = true
	}
	if len(users) != 2 {
		t.Errorf("keys went to %d consumer(s); want both: %v", len(users), owner)
	}
}
