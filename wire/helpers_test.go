package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

// sampleMeta is MessageMetadata as the Go client sets it for a batch.
func sampleMeta() *pb.MessageMetadata {
	return &pb.MessageMetadata{
		ProducerName:       proto.String("standalone-0-7"),
		SequenceId:         proto.Uint64(41),
		PublishTime:        proto.Uint64(1_700_000_000_123),
		Properties:         []*pb.KeyValue{{Key: proto.String("a"), Value: proto.String("1")}},
		PartitionKey:       proto.String("pk"),
		ReplicateTo:        []string{"__local__"},
		Compression:        pb.CompressionType_LZ4.Enum(),
		UncompressedSize:   proto.Uint32(1234),
		NumMessagesInBatch: proto.Int32(3),
		EventTime:          proto.Uint64(99),
		SchemaVersion:      []byte{0, 0, 0, 0, 0, 0, 0, 1},
		OrderingKey:        []byte("ok"),
		DeliverAtTime:      proto.Int64(1_700_000_100_000),
		HighestSequenceId:  proto.Uint64(43),
	}
}

// batchPayload builds an uncompressed batch payload from message bodies,
// the way the client's batch builder lays it out.
func batchPayload(t testing.TB, keys []string, bodies [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i, body := range bodies {
		smm := &pb.SingleMessageMetadata{
			PayloadSize:  proto.Int32(int32(len(body))),
			PartitionKey: proto.String(keys[i]),
			SequenceId:   proto.Uint64(uint64(100 + i)),
		}
		b, err := proto.Marshal(smm)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		buf.Write(b)
		buf.Write(body)
	}
	return buf.Bytes()
}

func mustPayload(t testing.TB, meta *pb.MessageMetadata, payload []byte) []byte {
	t.Helper()
	hp, err := AppendPayload(nil, meta, payload)
	if err != nil {
		t.Fatal(err)
	}
	return hp
}

func sendCmd(producerID, seq uint64) *pb.BaseCommand {
	return Wrap(&pb.CommandSend{ProducerId: proto.Uint64(producerID), SequenceId: proto.Uint64(seq), NumMessages: proto.Int32(3)})
}
