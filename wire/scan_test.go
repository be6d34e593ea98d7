package wire

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

// summaryOf is the reference: what ScanMetadata must report, derived from
// a fully unmarshalled MessageMetadata.
func summaryOf(m *pb.MessageMetadata) MetaSummary {
	s := MetaSummary{
		ProducerName:           []byte(m.GetProducerName()),
		SequenceID:             m.GetSequenceId(),
		PublishTime:            m.GetPublishTime(),
		HasNumMessagesInBatch:  m.NumMessagesInBatch != nil,
		NumMessagesInBatch:     m.GetNumMessagesInBatch(),
		HighestSequenceID:      m.GetHighestSequenceId(),
		EventTime:              m.GetEventTime(),
		HasDeliverAtTime:       m.DeliverAtTime != nil,
		DeliverAtTime:          m.GetDeliverAtTime(),
		HasMarkerType:          m.MarkerType != nil,
		MarkerType:             m.GetMarkerType(),
		PartitionKey:           bytesOrNil(m.PartitionKey),
		PartitionKeyB64Encoded: m.GetPartitionKeyB64Encoded(),
		NullPartitionKey:       m.GetNullPartitionKey(),
		OrderingKey:            m.OrderingKey,
		NullValue:              m.GetNullValue(),
		ReplicatedFrom:         bytesOrNil(m.ReplicatedFrom),
		SchemaVersion:          m.SchemaVersion,
		Compression:            m.GetCompression(),
		UncompressedSize:       m.GetUncompressedSize(),
		HasChunk:               m.Uuid != nil || m.NumChunksFromMsg != nil || m.TotalChunkMsgSize != nil || m.ChunkId != nil,
		UUID:                   bytesOrNil(m.Uuid),
		NumChunksFromMsg:       m.GetNumChunksFromMsg(),
		TotalChunkMsgSize:      m.GetTotalChunkMsgSize(),
		ChunkID:                m.GetChunkId(),
		HasTxn:                 m.TxnidLeastBits != nil || m.TxnidMostBits != nil,
		TxnidLeastBits:         m.GetTxnidLeastBits(),
		TxnidMostBits:          m.GetTxnidMostBits(),
		NumProperties:          len(m.Properties),
		Encrypted:              len(m.EncryptionKeys) > 0 || m.EncryptionParam != nil,
	}
	return s
}

func bytesOrNil(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// sameSummary compares the metadata fields of two summaries (not layout),
// treating nil and empty byte slices alike.
func sameSummary(a, b MetaSummary) error {
	a.BrokerEntryMetadata, a.Checksum, a.MetadataOffset, a.MetadataSize, a.PayloadOffset = nil, 0, 0, 0, 0
	b.BrokerEntryMetadata, b.Checksum, b.MetadataOffset, b.MetadataSize, b.PayloadOffset = nil, 0, 0, 0, 0
	as, bs := fmt.Sprintf("%+v", norm(a)), fmt.Sprintf("%+v", norm(b))
	if as != bs {
		return fmt.Errorf("\n got %s\nwant %s", as, bs)
	}
	return nil
}

func norm(s MetaSummary) MetaSummary {
	for _, p := range []*[]byte{&s.ProducerName, &s.PartitionKey, &s.OrderingKey, &s.ReplicatedFrom, &s.SchemaVersion, &s.UUID} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return s
}

func TestScanMetadataMatchesUnmarshal(t *testing.T) {
	full := sampleMeta()
	full.ReplicatedFrom = proto.String("other-cluster")
	full.MarkerType = proto.Int32(10)
	full.TxnidLeastBits, full.TxnidMostBits = proto.Uint64(5), proto.Uint64(0)
	full.NullValue, full.NullPartitionKey, full.PartitionKeyB64Encoded = proto.Bool(true), proto.Bool(true), proto.Bool(true)
	full.EncryptionKeys = []*pb.EncryptionKeys{{Key: proto.String("k"), Value: []byte{1}, Metadata: []*pb.KeyValue{{Key: proto.String("a"), Value: proto.String("b")}}}}
	chunk := &pb.MessageMetadata{
		ProducerName: proto.String("p"), SequenceId: proto.Uint64(7), PublishTime: proto.Uint64(8),
		Uuid: proto.String("p-7"), NumChunksFromMsg: proto.Int32(3), TotalChunkMsgSize: proto.Int32(3_000_000), ChunkId: proto.Int32(2),
		Compression: pb.CompressionType_ZSTD.Enum(),
	}
	minimal := &pb.MessageMetadata{ProducerName: proto.String(""), SequenceId: proto.Uint64(0), PublishTime: proto.Uint64(0)}
	negative := &pb.MessageMetadata{ProducerName: proto.String("n"), SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(1),
		DeliverAtTime: proto.Int64(-5), NumMessagesInBatch: proto.Int32(-2), ChunkId: proto.Int32(-1)}
	for name, m := range map[string]*pb.MessageMetadata{"full": full, "chunk": chunk, "minimal": minimal, "negative": negative} {
		t.Run(name, func(t *testing.T) {
			hp := mustPayload(t, m, []byte("data"))
			got, err := ScanMetadata(hp)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameSummary(got, summaryOf(m)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hp[got.PayloadOffset:], []byte("data")) {
				t.Fatalf("PayloadOffset %d points at %q", got.PayloadOffset, hp[got.PayloadOffset:])
			}
			if _, err := proto.Marshal(m); err != nil {
				t.Fatal(err)
			}
			mb := hp[got.MetadataOffset : got.MetadataOffset+got.MetadataSize]
			var back pb.MessageMetadata
			if err := proto.Unmarshal(mb, &back); err != nil || !proto.Equal(&back, m) {
				t.Fatalf("metadata offsets wrong: %v", err)
			}
		})
	}
}

func TestScanMetadataEdgeCases(t *testing.T) {
	base := func() []byte {
		b, _ := proto.Marshal(&pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(2)})
		return b
	}
	tag := func(b []byte, num protowire.Number, wt protowire.Type) []byte { return protowire.AppendTag(b, num, wt) }
	cases := []struct {
		name  string
		meta  []byte
		check func(MetaSummary) error
		fails bool
	}{
		{"unknown compression value kept", protowire.AppendVarint(tag(base(), 8, protowire.VarintType), 9), func(s MetaSummary) error {
			if s.Compression != 9 {
				return fmt.Errorf("compression %v", s.Compression)
			}
			return nil
		}, false},
		{"last value wins", protowire.AppendVarint(tag(base(), 2, protowire.VarintType), 77), func(s MetaSummary) error {
			if s.SequenceID != 77 {
				return fmt.Errorf("sequence id %d", s.SequenceID)
			}
			return nil
		}, false},
		{"wrong wire type skipped", protowire.AppendFixed32(tag(base(), 11, protowire.Fixed32Type), 5), func(s MetaSummary) error {
			if s.HasNumMessagesInBatch {
				return fmt.Errorf("num_messages_in_batch taken from a fixed32")
			}
			return nil
		}, false},
		{"unknown group skipped", tag(tag(base(), 99, protowire.StartGroupType), 99, protowire.EndGroupType), nil, false},
		{"field number above max", protowire.AppendVarint(protowire.AppendVarint(base(), uint64(protowire.MaxValidNumber+1)<<3), 1), nil, true},
		{"truncated varint", append(tag(base(), 2, protowire.VarintType), 0x80), nil, true},
		{"bytes beyond end", protowire.AppendVarint(tag(base(), 6, protowire.BytesType), 50), nil, true},
		{"property without value", protowire.AppendBytes(tag(base(), 4, protowire.BytesType), protowire.AppendString(tag(nil, 1, protowire.BytesType), "k")), nil, true},
		{"missing publish_time", func() []byte {
			b, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(&pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1)})
			return b
		}(), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hp := withCRC(c.meta, nil)
			s, err := ScanMetadata(hp)
			var m pb.MessageMetadata
			uerr := proto.Unmarshal(c.meta, &m)
			if (err != nil) != c.fails || (uerr != nil) != c.fails {
				t.Fatalf("scan err %v, unmarshal err %v, want failure %v", err, uerr, c.fails)
			}
			if c.fails {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if err := sameSummary(s, summaryOf(&m)); err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				if err := c.check(s); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestScanMetadataWithBrokerEntryMetadata(t *testing.T) {
	hp := mustPayload(t, sampleMeta(), []byte("abc"))
	frame, _ := AppendMessage(nil, NewMessage(1, NewMessageID(1, 1), 0), &pb.BrokerEntryMetadata{Index: proto.Uint64(5)}, hp)
	var f Frame
	if err := NewReader(bytes.NewReader(frame), 1<<20).ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	s, err := ScanMetadata(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var bem pb.BrokerEntryMetadata
	if err := proto.Unmarshal(s.BrokerEntryMetadata, &bem); err != nil || bem.GetIndex() != 5 {
		t.Fatalf("bem %v %v", &bem, err)
	}
	if string(f.Payload[s.PayloadOffset:]) != "abc" || string(s.StickyKey()) != "ok" {
		t.Fatalf("payload %q sticky key %q", f.Payload[s.PayloadOffset:], s.StickyKey())
	}
}

func TestForEachInBatch(t *testing.T) {
	keys := []string{"k0", "k1", ""}
	bodies := [][]byte{[]byte("first"), {}, []byte("third one")}
	payload := batchPayload(t, keys, bodies)
	meta := sampleMeta()
	var seen int
	err := ForEachInBatch(meta, payload, func(i int, smm, data []byte) error {
		ss, err := ScanSingleMetadata(smm)
		if err != nil {
			return err
		}
		var want pb.SingleMessageMetadata
		if err := proto.Unmarshal(smm, &want); err != nil {
			return err
		}
		if i != seen || !bytes.Equal(data, bodies[i]) || string(ss.PartitionKey) != keys[i] ||
			ss.SequenceID != want.GetSequenceId() || ss.PayloadSize != want.GetPayloadSize() {
			return fmt.Errorf("message %d: data %q summary %+v", i, data, ss)
		}
		seen++
		return nil
	})
	if err != nil || seen != 3 {
		t.Fatalf("walked %d: %v", seen, err)
	}

	// The scanned summary walks the same way.
	sum, _ := ScanMetadata(mustPayload(t, meta, payload))
	n := 0
	if err := sum.ForEachInBatch(payload, func(int, []byte, []byte) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("summary walk: %d %v", n, err)
	}

	// Not a batch: one message, no single metadata.
	plain := &pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(1)}
	calls := 0
	if err := ForEachInBatch(plain, []byte("whole"), func(i int, smm, data []byte) error {
		calls++
		if i != 0 || smm != nil || string(data) != "whole" {
			return fmt.Errorf("got %d %x %q", i, smm, data)
		}
		return nil
	}); err != nil || calls != 1 {
		t.Fatalf("plain: %d calls, %v", calls, err)
	}

	// fn's error stops the walk and comes back unchanged.
	stop := errors.New("stop")
	calls = 0
	if err := ForEachInBatch(meta, payload, func(int, []byte, []byte) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("stop: %d calls, %v", calls, err)
	}
}

func TestForEachInBatchErrors(t *testing.T) {
	payload := batchPayload(t, []string{"a", "b"}, [][]byte{[]byte("one"), []byte("two")})
	meta := func(n int32) *pb.MessageMetadata { m := sampleMeta(); m.NumMessagesInBatch = proto.Int32(n); return m }
	lying, _ := proto.Marshal(&pb.SingleMessageMetadata{PayloadSize: proto.Int32(1000)})
	negative, _ := proto.Marshal(&pb.SingleMessageMetadata{PayloadSize: proto.Int32(-1)})
	noSize, _ := proto.Marshal(&pb.SingleMessageMetadata{PartitionKey: proto.String("k")})
	frame := func(smm []byte) []byte { return append([]byte{0, 0, 0, byte(len(smm))}, smm...) }
	cases := []struct {
		name    string
		meta    *pb.MessageMetadata
		payload []byte
	}{
		{"more messages than present", meta(3), payload},
		{"negative count", meta(-1), payload},
		{"size prefix cut", meta(2), payload[:len(payload)-len("two")-3]},
		{"payload cut", meta(2), payload[:len(payload)-1]},
		{"payload_size beyond end", meta(1), frame(lying)},
		{"negative payload_size", meta(1), frame(negative)},
		{"no payload_size", meta(1), frame(noSize)},
		{"metadata size beyond end", meta(1), []byte{0, 0, 1, 0, 0x18}},
	}
	for _, c := range cases {
		if err := ForEachInBatch(c.meta, c.payload, func(int, []byte, []byte) error { return nil }); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", c.name, err)
		}
	}
}
