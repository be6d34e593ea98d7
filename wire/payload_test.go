package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

func TestParsePayloadRoundTrip(t *testing.T) {
	meta := sampleMeta()
	for _, body := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("payload"), 1000)} {
		hp := mustPayload(t, meta, body)
		got, payload, err := ParsePayload(hp)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if !proto.Equal(got, meta) {
			t.Errorf("metadata\n got %v\nwant %v", got, meta)
		}
		if !bytes.Equal(payload, body) {
			t.Errorf("payload %q, want %q", payload, body)
		}
		if err := VerifyChecksum(hp); err != nil {
			t.Errorf("verify: %v", err)
		}
	}
}

func TestPayloadErrors(t *testing.T) {
	good := mustPayload(t, sampleMeta(), []byte("hello"))
	flip := func(i int) []byte {
		b := append([]byte{}, good...)
		b[i] ^= 0x40
		return b
	}
	noProducer, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(&pb.MessageMetadata{SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(2)})
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short header", good[:9], ErrMalformed},
		{"bad magic", flip(1), ErrMalformed},
		{"metadata size beyond end", func() []byte {
			b := append([]byte{}, good...)
			binary.BigEndian.PutUint32(b[6:], uint32(len(b)))
			return b
		}(), ErrMalformed},
		{"payload bit flip", flip(len(good) - 1), ErrChecksum},
		{"metadata bit flip", flip(12), ErrChecksum},
		{"checksum bit flip", flip(3), ErrChecksum},
		{"missing producer_name", withCRC(noProducer, nil), ErrMalformed},
		{"broker entry metadata truncated", []byte{0x0e, 0x02, 0, 0}, ErrMalformed},
		{"broker entry metadata size beyond end", append([]byte{0x0e, 0x02, 0, 0, 1, 0}, good...), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := ParsePayload(c.in); !errors.Is(err, c.want) {
				t.Fatalf("ParsePayload: got %v, want %v", err, c.want)
			}
		})
	}
}

// withCRC frames raw metadata bytes and a payload with a correct checksum.
func withCRC(meta, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, MagicCRC32C)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(meta)))
	b = append(append(b, meta...), payload...)
	binary.BigEndian.PutUint32(b[2:], crc32.Checksum(b[6:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func TestBrokerEntryMetadata(t *testing.T) {
	hp := mustPayload(t, sampleMeta(), []byte("body"))
	bem := &pb.BrokerEntryMetadata{BrokerTimestamp: proto.Uint64(1_700_000_000_000), Index: proto.Uint64(41)}
	frame, err := AppendMessage(nil, NewMessage(1, NewMessageID(2, 3), 0), bem, hp)
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if err := NewReader(bytes.NewReader(frame), 1<<20).ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	raw, rest, err := SplitBrokerEntryMetadata(f.Payload)
	if err != nil || !bytes.Equal(rest, hp) {
		t.Fatalf("split: err %v, rest equal %v", err, bytes.Equal(rest, hp))
	}
	got, err := ParseBrokerEntryMetadata(f.Payload)
	if err != nil || !proto.Equal(got, bem) {
		t.Fatalf("parse bem: %v %v (raw %x)", got, err, raw)
	}
	// The stored bytes are passed through untouched and still verify.
	if _, _, err := ParsePayload(f.Payload); err != nil {
		t.Fatalf("parse payload behind bem: %v", err)
	}
	if none, err := ParseBrokerEntryMetadata(hp); none != nil || err != nil {
		t.Fatalf("payload without bem: %v %v", none, err)
	}
	if _, err := AppendMessage(nil, NewMessage(1, NewMessageID(2, 3), 0), bem, f.Payload); err == nil {
		t.Fatal("a second broker entry metadata section was accepted")
	}
	// Without bem, AppendMessage is AppendPayloadCommand.
	a, _ := AppendMessage(nil, NewMessage(1, NewMessageID(2, 3), 0), nil, hp)
	b, _ := AppendPayloadCommand(nil, NewMessage(1, NewMessageID(2, 3), 0), hp)
	if !bytes.Equal(a, b) {
		t.Fatal("AppendMessage without bem differs from AppendPayloadCommand")
	}
}

func TestAppendRejectsMissingRequiredFields(t *testing.T) {
	cases := map[string]*pb.BaseCommand{
		"no type":                   {},
		"connected without version": Wrap(&pb.CommandConnected{}),
		"error without message":     Wrap(&pb.CommandError{RequestId: proto.Uint64(1), Error: pb.ServerError_UnknownError.Enum()}),
		"message id without entry":  Wrap(&pb.CommandMessage{ConsumerId: proto.Uint64(1), MessageId: &pb.MessageIdData{LedgerId: proto.Uint64(1)}}),
		"not a command body":        Wrap(&pb.KeyValue{Key: proto.String("k"), Value: proto.String("v")}),
	}
	for name, cmd := range cases {
		dst := []byte("prefix")
		out, err := AppendCommand(dst, cmd)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if string(out) != "prefix" {
			t.Errorf("%s: dst modified on error: %q", name, out)
		}
	}
	if _, err := AppendCommand(nil, nil); err == nil {
		t.Error("nil command accepted")
	}
}

// TestHandAssembledSendFrame builds a SEND frame byte by byte as the Go
// client lays it out (client-protocol-notes §1.1), independently of this
// package's encoders, then checks the reader and parsers see what was put
// in, and that our writer produces the very same bytes.
func TestHandAssembledSendFrame(t *testing.T) {
	// CommandSend{producer_id=1, sequence_id=300, num_messages=2}.
	send := []byte{0x08, 0x01, 0x10, 0xac, 0x02, 0x18, 0x02}
	// BaseCommand{type=SEND(6), send=...}.
	cmd := append([]byte{0x08, 0x06, 0x32, byte(len(send))}, send...)
	// MessageMetadata{producer_name="p", sequence_id=300, publish_time=1000, num_messages_in_batch=2}.
	meta := []byte{0x0a, 0x01, 'p', 0x10, 0xac, 0x02, 0x18, 0xe8, 0x07, 0x58, 0x02}
	// Batch of two: [size][SingleMessageMetadata{payload_size=n}][data].
	var payload []byte
	for _, body := range []string{"hi", "there"} {
		smm := []byte{0x18, byte(len(body))}
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(smm)))
		payload = append(append(payload, smm...), body...)
	}
	covered := binary.BigEndian.AppendUint32(nil, uint32(len(meta)))
	covered = append(append(covered, meta...), payload...)
	hp := []byte{0x0e, 0x01}
	hp = binary.BigEndian.AppendUint32(hp, crc32.Checksum(covered, crc32.MakeTable(crc32.Castagnoli)))
	hp = append(hp, covered...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(cmd)+len(hp)))
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(cmd)))
	frame = append(append(frame, cmd...), hp...)

	var f Frame
	if err := NewReader(bytes.NewReader(frame), 1<<20).ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	s := f.Cmd.GetSend()
	if f.Type() != pb.BaseCommand_SEND || s.GetProducerId() != 1 || s.GetSequenceId() != 300 || s.GetNumMessages() != 2 {
		t.Fatalf("command: %v", f.Cmd)
	}
	m, body, err := ParsePayload(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if m.GetProducerName() != "p" || m.GetSequenceId() != 300 || m.GetPublishTime() != 1000 || NumMessages(m) != 2 {
		t.Fatalf("metadata: %v", m)
	}
	var got []string
	err = ForEachInBatch(m, body, func(i int, smm, data []byte) error {
		got = append(got, string(data))
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != "hi" || got[1] != "there" {
		t.Fatalf("batch: %q %v", got, err)
	}
	sum, err := ScanMetadata(f.Payload)
	if err != nil || string(sum.ProducerName) != "p" || sum.NumMessages() != 2 || sum.PayloadOffset != len(hp)-len(payload) {
		t.Fatalf("scan: %+v %v", sum, err)
	}

	// Our writers emit the identical bytes.
	ours, err := AppendPayloadCommand(nil, f.Cmd, f.Payload)
	if err != nil || !bytes.Equal(ours, frame) {
		t.Fatalf("AppendPayloadCommand differs:\n got %x\nwant %x", ours, frame)
	}
	m2 := &pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(300), PublishTime: proto.Uint64(1000), NumMessagesInBatch: proto.Int32(2)}
	if hp2, _ := AppendPayload(nil, m2, payload); !bytes.Equal(hp2, hp) {
		t.Fatalf("AppendPayload differs:\n got %x\nwant %x", hp2, hp)
	}
}
