package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// TestReaderSeekRightAfterCreate is the official client's TestReaderWithSeekByID race in a
// loop: a reader created at latest, inclusive, seeks by itself while subscribing (the broker
// then makes it reconnect); the application's own Seek right after must still succeed and
// the reader must then read the message it sought to.
func TestReaderSeekRightAfterCreate(t *testing.T) {
	tb := startBroker(t, nil)
	c := tb.client(t)
	for i := range 30 {
		topic := fmt.Sprintf("seek-race-%d", i)
		p, err := c.CreateProducer(producerOptions(topic))
		if err != nil {
			t.Fatal(err)
		}
		var last pulsar.MessageID
		for j := range 3 {
			if last, err = p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: fmt.Appendf(nil, "m%d", j)}); err != nil {
				t.Fatal(err)
			}
		}
		r, err := c.CreateReader(pulsar.ReaderOptions{
			Topic: topic, StartMessageID: pulsar.LatestMessageID(), StartMessageIDInclusive: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Seek(last); err != nil {
			t.Fatalf("iteration %d: seek right after creating the reader: %v", i, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msg, err := r.Next(ctx)
		cancel()
		if err != nil {
			t.Fatalf("iteration %d: next after seek: %v", i, err)
		}
		if msg.ID().LedgerID() != last.LedgerID() || msg.ID().EntryID() != last.EntryID() {
			t.Fatalf("iteration %d: read %v after seeking to %v", i, msg.ID(), last)
		}
		r.Close()
		p.Close()
	}
}

// TestSeekClosesConsumerBeforeAnswering pins the order the Go client relies on, as Pulsar's
// broker: the seeking consumer hears CLOSE_CONSUMER before the SEEK's success; a SEEK sent
// with its id before it re-subscribes still reaches its subscription; an id the
// connection never had, or one the client closed, is not found.
func TestSeekClosesConsumerBeforeAnswering(t *testing.T) {
	tb := startBroker(t, nil)
	c := tb.client(t)
	const topic = "persistent://public/default/seek-order"
	p, err := c.CreateProducer(producerOptions(topic))
	if err != nil {
		t.Fatal(err)
	}
	var ids []*pb.MessageIdData
	for j := range 3 {
		id, err := p.Send(ctx10(t), &pulsar.ProducerMessage{Payload: fmt.Appendf(nil, "m%d", j)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, wire.NewMessageID(uint64(id.LedgerID()), uint64(id.EntryID())))
	}

	rc := tb.dial(t)
	rc.connect()
	subscribe := func(rid uint64) {
		t.Helper()
		rc.send(wire.Wrap(&pb.CommandSubscribe{
			Topic: proto.String(topic), Subscription: proto.String("reader-1"),
			SubType: pb.CommandSubscribe_Exclusive.Enum(), ConsumerId: proto.Uint64(1),
			RequestId: proto.Uint64(rid), Durable: proto.Bool(false), StartMessageId: ids[0],
		}))
		if f := rc.read(); f.Type() != pb.BaseCommand_SUCCESS || f.Cmd.GetSuccess().GetRequestId() != rid {
			t.Fatalf("subscribe: answer %v", f.Cmd)
		}
	}
	seek := func(consumer, rid uint64, id *pb.MessageIdData) {
		rc.send(wire.Wrap(&pb.CommandSeek{ConsumerId: proto.Uint64(consumer), RequestId: proto.Uint64(rid), MessageId: id}))
	}
	subscribe(1)

	seek(1, 2, ids[2])
	if f := rc.read(); f.Type() != pb.BaseCommand_CLOSE_CONSUMER || f.Cmd.GetCloseConsumer().GetConsumerId() != 1 {
		t.Fatalf("first answer to SEEK: %v; want CLOSE_CONSUMER for consumer 1", f.Cmd)
	}
	if f := rc.read(); f.Type() != pb.BaseCommand_SUCCESS || f.Cmd.GetSuccess().GetRequestId() != 2 {
		t.Fatalf("second answer to SEEK: %v; want SUCCESS for request 2", f.Cmd)
	}

	// The client has not re-subscribed yet: its next SEEK moves the subscription anyway.
	seek(1, 3, ids[1])
	if f := rc.read(); f.Type() != pb.BaseCommand_SUCCESS || f.Cmd.GetSuccess().GetRequestId() != 3 {
		t.Fatalf("SEEK before re-subscribing: %v; want SUCCESS for request 3", f.Cmd)
	}
	subscribe(4)
	rc.send(wire.Wrap(&pb.CommandFlow{ConsumerId: proto.Uint64(1), MessagePermits: proto.Uint32(10)}))
	f := rc.read()
	if f.Type() != pb.BaseCommand_MESSAGE {
		t.Fatalf("after FLOW: %v; want MESSAGE", f.Cmd)
	}
	if got := f.Cmd.GetMessage().GetMessageId(); got.GetLedgerId() != ids[1].GetLedgerId() || got.GetEntryId() != ids[1].GetEntryId() {
		t.Fatalf("first message after the seeks: %v; want %v", got, ids[1])
	}

	notFound := func(consumer, rid uint64) {
		t.Helper()
		seek(consumer, rid, ids[0])
		for {
			f := rc.read()
			if f.Type() == pb.BaseCommand_MESSAGE {
				continue
			}
			if f.Type() != pb.BaseCommand_ERROR || f.Cmd.GetError().GetRequestId() != rid ||
				f.Cmd.GetError().GetError() != pb.ServerError_ConsumerNotFound {
				t.Fatalf("SEEK for consumer %d: %v; want ConsumerNotFound", consumer, f.Cmd)
			}
			return
		}
	}
	notFound(7, 5)
	// Seek again, then the client closes the consumer instead of re-subscribing.
	seek(1, 6, ids[0])
	for f := rc.read(); f.Type() != pb.BaseCommand_SUCCESS; f = rc.read() {
		if f.Type() != pb.BaseCommand_MESSAGE && f.Type() != pb.BaseCommand_CLOSE_CONSUMER {
			t.Fatalf("answer to SEEK: %v", f.Cmd)
		}
	}
	rc.send(wire.Wrap(&pb.CommandCloseConsumer{ConsumerId: proto.Uint64(1), RequestId: proto.Uint64(7)}))
	if f := rc.read(); f.Type() != pb.BaseCommand_SUCCESS || f.Cmd.GetSuccess().GetRequestId() != 7 {
		t.Fatalf("close consumer: %v", f.Cmd)
	}
	notFound(1, 8)
}
