package standalone

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestProduceConsumeExclusive: a producer's messages reach an exclusive consumer in
// order, through the real storage stack.
func TestProduceConsumeExclusive(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("exclusive")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "sub", Type: pulsar.Exclusive})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	prod, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	ctx := testContext(t)
	const n = 20
	var ids []pulsar.MessageID
	for i := range n {
		id, err := prod.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("m-%d", i))})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	msgs := receiveN(t, cons, n, 10*time.Second)
	for i, m := range msgs {
		if want := fmt.Sprintf("m-%d", i); string(m.Payload()) != want {
			t.Fatalf("message %d = %q; want %q", i, m.Payload(), want)
		}
		if m.ID().LedgerID() != ids[i].LedgerID() || m.ID().EntryID() != ids[i].EntryID() {
			t.Errorf("message %d id %v; the send receipt said %v", i, m.ID(), ids[i])
		}
		if err := cons.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	expectNone(t, cons, 300*time.Millisecond)
}
