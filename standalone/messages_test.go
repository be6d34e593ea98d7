package standalone

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/broker"
)

// TestBatchingAndCompression: batches of every codec pass through the broker intact.
func TestBatchingAndCompression(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	codecs := map[string]pulsar.CompressionType{
		"none": pulsar.NoCompression, "lz4": pulsar.LZ4, "zlib": pulsar.ZLib, "zstd": pulsar.ZSTD,
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := uniqueTopic("batch-" + name)
			cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
			if err != nil {
				t.Fatal(err)
			}
			defer cons.Close()
			p, err := c.CreateProducer(pulsar.ProducerOptions{
				Topic: topic, CompressionType: codec,
				BatchingMaxMessages: 50, BatchingMaxPublishDelay: 50 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			const n = 200
			ctx := testContext(t)
			body := bytes.Repeat([]byte("compressible "), 20)
			for i := range n {
				p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: append([]byte(fmt.Sprintf("%04d:", i)), body...)},
					func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
						if err != nil {
							t.Errorf("send: %v", err)
						}
					})
			}
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			msgs := receiveN(t, cons, n, 10*time.Second)
			batched := false
			for i, m := range msgs {
				if want := append([]byte(fmt.Sprintf("%04d:", i)), body...); !bytes.Equal(m.Payload(), want) {
					t.Fatalf("message %d = %.20q; want %.20q", i, m.Payload(), want)
				}
				if m.ID().BatchIdx() > 0 {
					batched = true
				}
				cons.Ack(m)
			}
			if !batched {
				t.Error("no message came from a batch")
			}
		})
	}
}

func smallMessagesConfig() *broker.Config {
	cfg := broker.DefaultConfig()
	cfg.MaxMessageSize = 1024 * 1024 // the Go client suite's standalone.conf
	return &cfg
}

// TestChunking: a message bigger than maxMessageSize travels as chunks, each with its
// own receipt, and arrives whole.
func TestChunking(t *testing.T) {
	in := startStandalone(t, t.TempDir(), smallMessagesConfig())
	c := in.client()
	topic := uniqueTopic("chunks")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, EnableChunking: true, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	big := make([]byte, 3*1024*1024+17)
	for i := range big {
		big[i] = byte(i * 7)
	}
	produce(t, p, &pulsar.ProducerMessage{Payload: big}, &pulsar.ProducerMessage{Payload: []byte("small")})
	msgs := receiveN(t, cons, 2, 15*time.Second)
	if !bytes.Equal(msgs[0].Payload(), big) {
		t.Fatalf("chunked message: got %d bytes, want %d identical bytes", len(msgs[0].Payload()), len(big))
	}
	if string(msgs[1].Payload()) != "small" {
		t.Fatalf("second message %q", msgs[1].Payload())
	}
}

// TestOversizeMessage: without chunking a message above maxMessageSize fails to send and
// the producer keeps working.
func TestOversizeMessage(t *testing.T) {
	in := startStandalone(t, t.TempDir(), smallMessagesConfig())
	c := in.client()
	topic := uniqueTopic("oversize")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := testContext(t)
	_, err = p.Send(ctx, &pulsar.ProducerMessage{Payload: make([]byte, 2*1024*1024)})
	if !errors.Is(err, pulsar.ErrMessageTooLarge) {
		t.Fatalf("2 MiB send: err = %v; want ErrMessageTooLarge", err)
	}
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("after")})
	if m := receiveN(t, cons, 1, 10*time.Second)[0]; string(m.Payload()) != "after" {
		t.Fatalf("got %q", m.Payload())
	}
}

// TestAckAndUnsubscribe: acknowledged messages are not redelivered to a new consumer of
// the subscription; cumulative acks cover everything before; unsubscribe drops the
// subscription so a new one starts at the latest message.
func TestAckAndUnsubscribe(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("ack")
	sub := func() pulsar.Consumer {
		cs, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
			SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cons := sub()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("m", 10)...)
	msgs := receiveN(t, cons, 10, 10*time.Second)
	if err := cons.AckCumulative(msgs[5]); err != nil {
		t.Fatal(err)
	}
	if err := cons.Ack(msgs[7]); err != nil {
		t.Fatal(err)
	}
	cons.Close()
	cons = sub()
	got := receiveN(t, cons, 3, 10*time.Second)
	want := []string{"m-6", "m-8", "m-9"}
	for i, m := range got {
		if string(m.Payload()) != want[i] {
			t.Fatalf("after reconnect got %q at %d; want %v", m.Payload(), i, want)
		}
	}
	expectNone(t, cons, 300*time.Millisecond)
	if err := cons.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	cons.Close()
	cons, err = c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	expectNone(t, cons, 300*time.Millisecond) // a new subscription at the latest position
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("new")})
	if m := receiveN(t, cons, 1, 10*time.Second)[0]; string(m.Payload()) != "new" {
		t.Fatalf("got %q", m.Payload())
	}
}

// TestAckWithResponse: with AckWithResponse the client waits for the broker's receipt.
func TestAckWithResponse(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("ackresp")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", AckWithResponse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("m", 3)...)
	for _, m := range receiveN(t, cons, 3, 10*time.Second) {
		if err := cons.Ack(m); err != nil {
			t.Fatalf("ack with response: %v", err)
		}
	}
}

// TestNackRedeliveryAndDeadLetter: a negatively acknowledged message comes back with a
// growing redelivery count, and after MaxDeliveries the client moves it to the DLQ topic.
func TestNackRedeliveryAndDeadLetter(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("nack")
	dlq := topic + "-dlq"
	dlqCons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: dlq, SubscriptionName: "d"})
	if err != nil {
		t.Fatal(err)
	}
	defer dlqCons.Close()
	cons, err := c.Subscribe(pulsar.ConsumerOptions{
		Topic: topic, SubscriptionName: "s", Type: pulsar.Shared,
		NackRedeliveryDelay: 50 * time.Millisecond,
		DLQ:                 &pulsar.DLQPolicy{MaxDeliveries: 3, DeadLetterTopic: dlq},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("poison")}, &pulsar.ProducerMessage{Payload: []byte("good")})
	var counts []uint32
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(counts) < 3 {
		m := receiveN(t, cons, 1, 10*time.Second)[0]
		if string(m.Payload()) == "good" {
			cons.Ack(m)
			continue
		}
		counts = append(counts, m.RedeliveryCount())
		cons.Nack(m)
	}
	if fmt.Sprint(counts) != "[0 1 2]" {
		t.Fatalf("redelivery counts of the nacked message %v; want [0 1 2]", counts)
	}
	dead := receiveN(t, dlqCons, 1, 15*time.Second)[0]
	if string(dead.Payload()) != "poison" {
		t.Fatalf("DLQ got %q; want poison", dead.Payload())
	}
	expectNone(t, cons, 300*time.Millisecond)
}

// TestDelayedDelivery: on a Shared subscription a message with DeliverAfter arrives after
// its delay, later messages without delay do not wait for it.
func TestDelayedDelivery(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("delayed")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	produce(t, p,
		&pulsar.ProducerMessage{Payload: []byte("later"), DeliverAfter: 1500 * time.Millisecond},
		&pulsar.ProducerMessage{Payload: []byte("now")})
	first := receiveN(t, cons, 1, 5*time.Second)[0]
	if string(first.Payload()) != "now" {
		t.Fatalf("first message %q; want the undelayed one", first.Payload())
	}
	second := receiveN(t, cons, 1, 10*time.Second)[0]
	if string(second.Payload()) != "later" {
		t.Fatalf("second message %q", second.Payload())
	}
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Fatalf("delayed message arrived after %v; want >= 1.5s", el)
	}
}

// TestNonPersistent: live messages reach connected consumers; nothing is stored.
func TestNonPersistent(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := "non-persistent://public/default/" + uniqueTopic("np")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("np", 5)...)
	for i, m := range receiveN(t, cons, 5, 10*time.Second) {
		if want := fmt.Sprintf("np-%d", i); string(m.Payload()) != want {
			t.Fatalf("got %q; want %q", m.Payload(), want)
		}
		cons.Ack(m)
	}
	cons.Close()
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("unseen")})
	cons, err = c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	expectNone(t, cons, 300*time.Millisecond)
}

// TestInvalidNames: bad topic names and unknown namespaces are refused with clear errors
// (the Go client reports a failed lookup by the error code alone).
func TestInvalidNames(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	for _, tc := range []struct{ topic, want string }{
		{"persistent://public/no-such-ns/t", "TopicNotFound"},
		{"persistent://nobody/default/t", "TopicNotFound"},
		{"persistent://public/default/a/b", "InvalidTopicName"},
	} {
		_, err := c.CreateProducer(pulsar.ProducerOptions{Topic: tc.topic})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("producer on %s: err = %v; want it to mention %q", tc.topic, err, tc.want)
		}
	}
}

// TestBatchIndexAck: with batch-index acknowledgement, acknowledging part of a batch and
// reconnecting redelivers only the rest of it.
func TestBatchIndexAck(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("batchack")
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared,
		EnableBatchIndexAcknowledgment: true, AckGroupingOptions: &pulsar.AckGroupingOptions{MaxSize: 1}}
	cons, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatchingMaxPublishDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for i := range 10 {
		p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("b-%d", i))}, nil)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	msgs := receiveN(t, cons, 10, 10*time.Second)
	if msgs[9].ID().BatchIdx() != 9 {
		t.Fatalf("messages not in one batch (last batch index %d)", msgs[9].ID().BatchIdx())
	}
	for i, m := range msgs {
		if i%2 == 0 {
			if err := cons.Ack(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // let the acks reach the broker
	cons.Close()
	cons, err = c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []string
	for _, m := range receiveN(t, cons, 5, 10*time.Second) {
		got = append(got, string(m.Payload()))
	}
	if fmt.Sprint(got) != "[b-1 b-3 b-5 b-7 b-9]" {
		t.Fatalf("redelivered %v; want only the unacknowledged [b-1 b-3 b-5 b-7 b-9]", got)
	}
	expectNone(t, cons, 300*time.Millisecond)
}
