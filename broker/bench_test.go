package broker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// BenchmarkPublish measures the publish path end to end: the official client with
// batching, 1 KiB messages, the broker, the managed ledger and a bookie that fsyncs its
// journal before acknowledging. b.N is the number of messages.
func BenchmarkPublish(b *testing.B) {
	tb := startBroker(b, nil)
	p, err := tb.client(b).CreateProducer(pulsar.ProducerOptions{
		Topic: "bench-publish", BatchingMaxPublishDelay: time.Millisecond,
		BatchingMaxMessages: 1000, BatchingMaxSize: 128 * 1024, MaxPendingMessages: 20000,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	payload := make([]byte, 1024)
	ctx := context.Background()
	var failed atomic.Int64
	done := make(chan struct{}, 1)
	var acked atomic.Int64
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: payload}, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			if err != nil {
				failed.Add(1)
			}
			if acked.Add(1) == int64(b.N) {
				done <- struct{}{}
			}
		})
	}
	<-done
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
}

// BenchmarkDispatchFrame measures building one MESSAGE frame for a stored 1 KiB entry,
// the per-message work of a dispatcher.
func BenchmarkDispatchFrame(b *testing.B) {
	entry, err := wire.AppendPayload(nil, &pb.MessageMetadata{ProducerName: proto.String("p"),
		SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(1)}, make([]byte, 1024))
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(entry)))
	b.ReportAllocs()
	for i := range b.N {
		if _, err := wire.ScanMetadata(entry); err != nil {
			b.Fatal(err)
		}
		cmd := wire.Wrap(&pb.CommandMessage{ConsumerId: proto.Uint64(1), MessageId: wire.NewMessageID(1, uint64(i))})
		if buf, err = wire.AppendPayloadCommand(buf[:0], cmd, entry); err != nil {
			b.Fatal(err)
		}
	}
}
