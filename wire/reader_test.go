package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

func TestFrameRoundTrip(t *testing.T) {
	hp := mustPayload(t, sampleMeta(), []byte("hello"))
	cases := []struct {
		name    string
		cmd     *pb.BaseCommand
		payload []byte
	}{
		{"connect", Wrap(&pb.CommandConnect{
			ClientVersion: proto.String("Pulsar-Go-version-unknown"), ProtocolVersion: proto.Int32(20),
			AuthMethodName: proto.String("token"), AuthData: []byte("tok\n"),
			FeatureFlags: &pb.FeatureFlags{SupportsAuthRefresh: proto.Bool(true), SupportsBrokerEntryMetadata: proto.Bool(true)},
		}), nil},
		{"connected", NewConnected("Magnetar", 20, 1<<20, nil), nil},
		{"ping", NewPing(), nil},
		{"subscribe", Wrap(&pb.CommandSubscribe{
			Topic: proto.String("persistent://public/default/t"), Subscription: proto.String("s"),
			SubType: pb.CommandSubscribe_Key_Shared.Enum(), ConsumerId: proto.Uint64(1), RequestId: proto.Uint64(2),
			StartMessageId: NewMessageID(^uint64(0), ^uint64(0)),
			KeySharedMeta:  &pb.KeySharedMeta{KeySharedMode: pb.KeySharedMode_STICKY.Enum(), HashRanges: []*pb.IntRange{{Start: proto.Int32(0), End: proto.Int32(32767)}}},
		}), nil},
		{"ack with ack_set", Wrap(&pb.CommandAck{
			ConsumerId: proto.Uint64(7), AckType: pb.CommandAck_Individual.Enum(),
			MessageId: []*pb.MessageIdData{{LedgerId: proto.Uint64(3), EntryId: proto.Uint64(4), AckSet: []int64{-2, 5}}},
			RequestId: proto.Uint64(9),
		}), nil},
		{"send", sendCmd(1, 41), hp},
		{"send, big ids", sendCmd(1<<63, 1<<62), hp},
		{"message", NewMessage(5, NewMessageID(10, 11), 2), hp},
		{"new txn", Wrap(&pb.CommandNewTxn{RequestId: proto.Uint64(1), TcId: proto.Uint64(0)}), nil},
		{"error", NewError(3, pb.ServerError_TopicNotFound, "no such topic"), nil},
	}
	for _, owned := range []bool{false, true} {
		var stream []byte
		for _, c := range cases {
			var err error
			if stream, err = AppendPayloadCommand(stream, c.cmd, c.payload); err != nil {
				t.Fatalf("%s: append: %v", c.name, err)
			}
		}
		r := NewReader(bufio.NewReader(bytes.NewReader(stream)), DefaultMaxMessageSize+FramePadding)
		for _, c := range cases {
			var f Frame
			var err error
			if owned {
				err = r.ReadFrameOwned(&f)
			} else {
				err = r.ReadFrame(&f)
			}
			if err != nil {
				t.Fatalf("%s (owned=%v): read: %v", c.name, owned, err)
			}
			if !proto.Equal(f.Cmd, c.cmd) {
				t.Errorf("%s: command\n got %v\nwant %v", c.name, f.Cmd, c.cmd)
			}
			if !bytes.Equal(f.Payload, c.payload) {
				t.Errorf("%s: payload differs: got %d bytes, want %d", c.name, len(f.Payload), len(c.payload))
			}
			if f.Type() != c.cmd.GetType() {
				t.Errorf("%s: Type() = %v", c.name, f.Type())
			}
		}
		var f Frame
		if err := r.ReadFrame(&f); err != io.EOF {
			t.Fatalf("after last frame: got %v, want io.EOF", err)
		}
	}
}

func TestReadFrameOwnedPayloadSurvivesNextRead(t *testing.T) {
	a := mustPayload(t, sampleMeta(), bytes.Repeat([]byte{'a'}, 100))
	b := mustPayload(t, sampleMeta(), bytes.Repeat([]byte{'b'}, 100))
	stream, _ := AppendPayloadCommand(nil, sendCmd(1, 1), a)
	stream, _ = AppendPayloadCommand(stream, sendCmd(1, 2), b)
	r := NewReader(bytes.NewReader(stream), 1<<20)
	var f1, f2 Frame
	if err := r.ReadFrameOwned(&f1); err != nil {
		t.Fatal(err)
	}
	seq1 := f1.Cmd.GetSend().GetSequenceId()
	if err := r.ReadFrameOwned(&f2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f1.Payload, a) || !bytes.Equal(f2.Payload, b) {
		t.Fatal("owned payload was overwritten by the next read")
	}
	if seq1 != 1 || f2.Cmd.GetSend().GetSequenceId() != 2 {
		t.Fatalf("sequence ids %d, %d", seq1, f2.Cmd.GetSend().GetSequenceId())
	}
	if cap(f1.Payload) != len(a) {
		t.Errorf("owned payload cap %d, want exactly %d", cap(f1.Payload), len(a))
	}
}

func frameBytes(total, cmdSize uint32, rest []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, total)
	b = binary.BigEndian.AppendUint32(b, cmdSize)
	return append(b, rest...)
}

func TestReadFrameErrors(t *testing.T) {
	ping, _ := AppendCommand(nil, NewPing())
	pingCmd := ping[8:]
	sendNoSeq, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(Wrap(&pb.CommandSend{ProducerId: proto.Uint64(1)}))
	sendNoBody, _ := proto.Marshal(&pb.BaseCommand{Type: pb.BaseCommand_SEND.Enum()})
	cases := []struct {
		name  string
		in    []byte
		max   int
		want  error
		exact bool
	}{
		{"empty stream", nil, 1024, io.EOF, true},
		{"header cut", ping[:3], 1024, io.ErrUnexpectedEOF, false},
		{"header cut after totalSize", ping[:6], 1024, io.ErrUnexpectedEOF, false},
		{"command cut", ping[:len(ping)-1], 1024, io.ErrUnexpectedEOF, false},
		{"payload cut", frameBytes(uint32(4+len(pingCmd)+10), uint32(len(pingCmd)), append(append([]byte{}, pingCmd...), 1, 2, 3)), 1024, io.ErrUnexpectedEOF, false},
		{"oversize", frameBytes(2048, 2, nil), 1024, ErrFrameTooLarge, false},
		{"oversize uint32 max", frameBytes(0xffffffff, 2, nil), 1 << 30, ErrFrameTooLarge, false},
		{"totalSize < 4", frameBytes(3, 0, nil), 1024, ErrMalformed, false},
		{"cmdSize zero", frameBytes(4, 0, nil), 1024, ErrMalformed, false},
		{"cmdSize > totalSize-4", frameBytes(10, 7, pingCmd), 1024, ErrMalformed, false},
		{"garbage command", frameBytes(8, 4, []byte{0xff, 0xff, 0xff, 0xff}), 1024, ErrMalformed, false},
		{"command without type", frameBytes(6, 2, []byte{0x92, 0x01}), 1024, ErrMalformed, false},
		{"send without sequence_id", frameBytes(uint32(4+len(sendNoSeq)), uint32(len(sendNoSeq)), sendNoSeq), 1024, ErrMalformed, false},
		{"send without body", frameBytes(uint32(4+len(sendNoBody)), uint32(len(sendNoBody)), sendNoBody), 1024, ErrMalformed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(c.in), c.max)
			var f Frame
			err := r.ReadFrame(&f)
			if c.exact && err != c.want || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if f.Cmd != nil || f.Payload != nil {
				t.Errorf("frame not cleared on error: %+v", f)
			}
		})
	}
}

// TestSendFastPathMatchesUnmarshal feeds SEND encodings the fast path
// takes and ones it must hand over, and checks every result equals what
// proto.Unmarshal (plus the body check) produces.
func TestSendFastPathMatchesUnmarshal(t *testing.T) {
	full, _ := proto.Marshal(Wrap(&pb.CommandSend{
		ProducerId: proto.Uint64(9), SequenceId: proto.Uint64(8), NumMessages: proto.Int32(-1),
		TxnidLeastBits: proto.Uint64(7), TxnidMostBits: proto.Uint64(6), HighestSequenceId: proto.Uint64(5),
		IsChunk: proto.Bool(true), Marker: proto.Bool(false),
	}))
	withID, _ := proto.Marshal(Wrap(&pb.CommandSend{ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(2), MessageId: NewMessageID(3, 4)}))
	body, _ := proto.Marshal(&pb.CommandSend{ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(2)})
	bodyFirst := protowire.AppendTag(nil, 6, protowire.BytesType)
	bodyFirst = protowire.AppendBytes(bodyFirst, body)
	bodyFirst = protowire.AppendTag(bodyFirst, 1, protowire.VarintType)
	bodyFirst = protowire.AppendVarint(bodyFirst, 6)
	twoBodies := append(append([]byte{}, bodyFirst...), bodyFirst[:len(body)+2]...)
	unknownInBody := append(append([]byte{}, body...), protowire.AppendVarint(protowire.AppendTag(nil, 40, protowire.VarintType), 1)...)
	unk := protowire.AppendTag(nil, 1, protowire.VarintType)
	unk = protowire.AppendVarint(unk, 6)
	unk = protowire.AppendTag(unk, 6, protowire.BytesType)
	unk = protowire.AppendBytes(unk, unknownInBody)
	hugeType := protowire.AppendTag(nil, 1, protowire.VarintType)
	hugeType = protowire.AppendVarint(hugeType, 6|1<<32)
	hugeType = protowire.AppendTag(hugeType, 6, protowire.BytesType)
	hugeType = protowire.AppendBytes(hugeType, body)

	for name, cmd := range map[string][]byte{
		"all scalar fields":     full,
		"with message_id":       withID,
		"body before type":      bodyFirst,
		"body twice":            twoBodies,
		"unknown field in body": unk,
		"type over 32 bits":     hugeType,
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(nil, 0)
			got, gotErr := r.decodeCommand(cmd)
			want, wantErr := DecodeCommand(cmd)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("errors differ: fast %v, unmarshal %v", gotErr, wantErr)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("fast path gave %v, unmarshal %v", got, want)
			}
		})
	}
}

func TestSetMaxFrameSize(t *testing.T) {
	frame, _ := AppendPayloadCommand(nil, sendCmd(1, 1), make([]byte, 500))
	r := NewReader(bytes.NewReader(append(append([]byte{}, frame...), frame...)), 1<<20)
	var f Frame
	if err := r.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	r.SetMaxFrameSize(len(frame) - 5)
	if err := r.ReadFrame(&f); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("after lowering the limit: %v", err)
	}
}

func TestReaderDropsLargeBuffers(t *testing.T) {
	big := mustPayload(t, sampleMeta(), make([]byte, 2*keepBufLimit))
	stream, _ := AppendPayloadCommand(nil, sendCmd(1, 1), big)
	stream, _ = AppendPayloadCommand(stream, sendCmd(1, 2), []byte{1})
	r := NewReader(bytes.NewReader(stream), 1<<20)
	var f Frame
	if err := r.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	kept := f.Payload
	if r.pay != nil {
		t.Fatalf("reader kept a %d-byte buffer", cap(r.pay))
	}
	if err := r.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, big) {
		t.Fatal("payload of the large frame changed after the next read")
	}
}
