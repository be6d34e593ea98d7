package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

func producerOptions(topic string) pulsar.ProducerOptions {
	return pulsar.ProducerOptions{Topic: topic, DisableBatching: true}
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestProducerNamesAndAccessModes(t *testing.T) {
	tb := startBroker(t, nil)
	c := tb.client(t)

	t.Run("generated names are unique", func(t *testing.T) {
		p1, err := c.CreateProducer(producerOptions("names"))
		if err != nil {
			t.Fatal(err)
		}
		defer p1.Close()
		p2, err := c.CreateProducer(producerOptions("names"))
		if err != nil {
			t.Fatal(err)
		}
		defer p2.Close()
		if p1.Name() == p2.Name() || !strings.HasPrefix(p1.Name(), "standalone-") {
			t.Errorf("names %q and %q; want distinct standalone-<n>-<m>", p1.Name(), p2.Name())
		}
	})

	t.Run("duplicate name is ProducerBusy", func(t *testing.T) {
		opts := producerOptions("dup")
		opts.Name = "same"
		p1, err := c.CreateProducer(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer p1.Close()
		_, err = c.CreateProducer(opts)
		if err == nil || !strings.Contains(err.Error(), "ProducerBusy") {
			t.Fatalf("second producer named %q: err = %v; want ProducerBusy", opts.Name, err)
		}
	})

	t.Run("exclusive", func(t *testing.T) {
		ex := producerOptions("excl")
		ex.ProducerAccessMode = pulsar.ProducerAccessModeExclusive
		p1, err := c.CreateProducer(ex)
		if err != nil {
			t.Fatal(err)
		}
		defer p1.Close()
		if _, err := c.CreateProducer(ex); err == nil || !strings.Contains(err.Error(), "ProducerFenced") {
			t.Errorf("second exclusive producer: err = %v; want ProducerFenced", err)
		}
		if _, err := c.CreateProducer(producerOptions("excl")); err == nil || !strings.Contains(err.Error(), "ProducerBusy") {
			t.Errorf("shared producer next to an exclusive one: err = %v; want ProducerBusy", err)
		}
	})

	t.Run("wait for exclusive", func(t *testing.T) {
		ex := producerOptions("wait")
		ex.ProducerAccessMode = pulsar.ProducerAccessModeExclusive
		p1, err := c.CreateProducer(ex)
		if err != nil {
			t.Fatal(err)
		}
		wait := producerOptions("wait")
		wait.ProducerAccessMode = pulsar.ProducerAccessModeWaitForExclusive
		created := make(chan pulsar.Producer, 1)
		go func() {
			p, err := c.CreateProducer(wait)
			if err != nil {
				t.Errorf("waiting producer: %v", err)
			}
			created <- p
		}()
		select {
		case <-created:
			t.Fatal("WaitForExclusive producer created while another holds the topic")
		case <-time.After(300 * time.Millisecond):
		}
		p1.Close()
		select {
		case p := <-created:
			if p != nil {
				if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte("mine now")}); err != nil {
					t.Errorf("send after taking over: %v", err)
				}
				p.Close()
			}
		case <-time.After(10 * time.Second):
			t.Fatal("waiting producer not created after the exclusive one closed")
		}
	})
}

// TestSendReceiptsInOrder: pipelined SENDs get receipts in order with their sequence ids,
// and ids grow with the log.
func TestSendReceiptsInOrder(t *testing.T) {
	tb := startBroker(t, nil)
	rc := tb.dial(t)
	rc.connect()
	rc.send(wire.Wrap(&pb.CommandProducer{Topic: proto.String("receipts"), ProducerId: proto.Uint64(7), RequestId: proto.Uint64(1)}))
	ps := rc.read().Cmd.GetProducerSuccess()
	if ps == nil || ps.GetProducerName() == "" || ps.GetLastSequenceId() != -1 {
		t.Fatalf("PRODUCER answer %v; want success with a name and last_sequence_id -1", ps)
	}
	const n = 50
	for i := range n {
		payload, err := wire.AppendPayload(nil, &pb.MessageMetadata{
			ProducerName: proto.String(ps.GetProducerName()), SequenceId: proto.Uint64(uint64(i)),
			PublishTime: proto.Uint64(uint64(time.Now().UnixMilli())),
		}, []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		rc.sendPayload(wire.Wrap(&pb.CommandSend{ProducerId: proto.Uint64(7), SequenceId: proto.Uint64(uint64(i))}), payload)
	}
	var last *pb.MessageIdData
	for i := range n {
		r := rc.read().Cmd.GetSendReceipt()
		if r == nil || r.GetSequenceId() != uint64(i) || r.GetProducerId() != 7 {
			t.Fatalf("receipt %d: %v", i, r)
		}
		if last != nil && r.GetMessageId().GetEntryId() != last.GetEntryId()+1 {
			t.Fatalf("receipt %d: entry %d after %d", i, r.GetMessageId().GetEntryId(), last.GetEntryId())
		}
		last = r.GetMessageId()
	}

	// A corrupted payload is refused with a checksum error; the producer stays usable.
	bad, _ := wire.AppendPayload(nil, &pb.MessageMetadata{ProducerName: proto.String("x"), SequenceId: proto.Uint64(n),
		PublishTime: proto.Uint64(1)}, []byte("data"))
	bad[len(bad)-1] ^= 0xff
	rc.sendPayload(wire.Wrap(&pb.CommandSend{ProducerId: proto.Uint64(7), SequenceId: proto.Uint64(n)}), bad)
	if e := rc.read().Cmd.GetSendError(); e == nil || e.GetError() != pb.ServerError_ChecksumError {
		t.Fatalf("corrupted SEND answered %v; want SEND_ERROR ChecksumError", e)
	}
}

// TestDeduplication: with brokerDeduplicationEnabled a producer that resends sequence ids
// it already stored (same name, e.g. after a restart) does not store them twice, and the
// broker tells a new producer of that name where it left off.
func TestDeduplication(t *testing.T) {
	tb := startBroker(t, func(c *Config) { c.BrokerDeduplicationEnabled = true })
	c := tb.client(t)
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: "dedup", SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	opts := producerOptions("dedup")
	opts.Name = "writer"
	send := func(p pulsar.Producer, seq int64) {
		t.Helper()
		if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte(fmt.Sprint(seq)), SequenceID: &seq}); err != nil {
			t.Fatalf("send %d: %v", seq, err)
		}
	}
	p, err := c.CreateProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	for seq := range int64(5) {
		send(p, seq)
	}
	p.Close()
	p, err = c.CreateProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{3, 4} {
		send(p, seq)
	}
	// Without an explicit id the client continues from the broker's last_sequence_id.
	if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte("5")}); err != nil {
		t.Fatal(err)
	}
	if last := p.LastSequenceID(); last != 5 {
		t.Errorf("sequence id given to the next message = %d; want 5 (continuing after 4)", last)
	}
	p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for want := range 6 {
		m, err := cons.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Payload()) != fmt.Sprint(want) {
			t.Fatalf("message %d = %q; duplicates must not be stored", want, m.Payload())
		}
	}
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if m, err := cons.Receive(short); err == nil {
		t.Fatalf("extra message %q", m.Payload())
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

// TestDeduplicationSurvivesRestart: after a broker restart a returning producer still
// gets its last stored sequence id and its resent messages are still recognised.
func TestDeduplicationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	dedup := func(c *Config) { c.BrokerDeduplicationEnabled = true }
	tb := startBrokerIn(t, dir, dedup)
	opts := producerOptions("dedup-restart")
	opts.Name = "writer"
	c := tb.client(t)
	if _, err := c.Subscribe(pulsar.ConsumerOptions{Topic: "dedup-restart", SubscriptionName: "s"}); err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	tb.stop(t)

	tb = startBrokerIn(t, dir, dedup)
	c = tb.client(t)
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: "dedup-restart", SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = c.CreateProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	seq := int64(2)
	if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte("dup"), SequenceID: &seq}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: []byte("5")}); err != nil {
		t.Fatal(err)
	}
	if last := p.LastSequenceID(); last != 5 {
		t.Errorf("next sequence id after restart = %d; want 5", last)
	}
	for want := range 6 {
		m, err := cons.Receive(ctx10(t))
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Payload()) != fmt.Sprint(want) {
			t.Fatalf("message %d = %q; the duplicate must not be stored", want, m.Payload())
		}
	}
}
