package broker

import (
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

func TestHandshake(t *testing.T) {
	tb := startBroker(t, func(c *Config) { c.MaxMessageSize = 1048576 })
	rc := tb.dial(t)
	got := rc.connect()
	if got.GetServerVersion() == "" {
		t.Error("CONNECTED without server_version")
	}
	if got.GetMaxMessageSize() != 1048576 {
		t.Errorf("max_message_size %d; want the configured 1048576", got.GetMaxMessageSize())
	}
	if got.GetProtocolVersion() != 20 {
		t.Errorf("protocol_version %d; want 20", got.GetProtocolVersion())
	}
	rc.send(wire.NewPing())
	if f := rc.read(); f.Type() != pb.BaseCommand_PONG {
		t.Errorf("PING answered with %v; want PONG", f.Type())
	}
}

// TestBadFramesCloseOnlyTheirConnection: each kind of malformed input closes the
// connection it came on; a connection opened before keeps working.
func TestBadFramesCloseOnlyTheirConnection(t *testing.T) {
	tb := startBroker(t, nil)
	good := tb.dial(t)
	good.connect()

	frame := func(total, cmdSize uint32, rest []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, total)
		b = binary.BigEndian.AppendUint32(b, cmdSize)
		return append(b, rest...)
	}
	tests := []struct {
		name      string
		handshake bool
		bytes     []byte
	}{
		{"first frame not CONNECT", false, mustFrame(t, wire.NewPing())},
		{"frame over the size limit", true, frame(64<<20, 10, nil)},
		{"cmdSize beyond totalSize", true, frame(8, 100, []byte{1, 2, 3, 4})},
		{"command bytes are not protobuf", true, frame(4+5, 5, []byte{0xff, 0xff, 0xff, 0xff, 0xff})},
		{"command without its body", true, mustFrameRaw(t, &pb.BaseCommand{Type: pb.BaseCommand_SUBSCRIBE.Enum()})},
		{"second CONNECT", true, mustFrame(t, wire.Wrap(&pb.CommandConnect{ClientVersion: proto.String("x"), ProtocolVersion: proto.Int32(20)}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := tb.dial(t)
			if tt.handshake {
				rc.connect()
			}
			rc.write(tt.bytes)
			if !rc.closedByServer() {
				t.Fatal("server kept the connection open")
			}
			good.send(wire.NewPing())
			if f := good.read(); f.Type() != pb.BaseCommand_PONG {
				t.Fatalf("other connection answered %v; want PONG", f.Type())
			}
		})
	}
}

func mustFrame(t *testing.T, cmd *pb.BaseCommand) []byte {
	t.Helper()
	b, err := wire.AppendCommand(nil, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustFrameRaw frames a command without the builders' checks.
func mustFrameRaw(t *testing.T, cmd *pb.BaseCommand) []byte {
	t.Helper()
	body, err := proto.MarshalOptions{AllowPartial: true}.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func TestLookup(t *testing.T) {
	tb := startBroker(t, nil)
	rc := tb.dial(t)
	rc.connect()
	tests := []struct {
		topic    string
		response pb.CommandLookupTopicResponse_LookupType
		code     pb.ServerError
	}{
		{"persistent://public/default/x", pb.CommandLookupTopicResponse_Connect, 0},
		{"x", pb.CommandLookupTopicResponse_Connect, 0},
		{"persistent://public/missing/x", pb.CommandLookupTopicResponse_Failed, pb.ServerError_TopicNotFound},
		{"persistent://missing/default/x", pb.CommandLookupTopicResponse_Failed, pb.ServerError_TopicNotFound},
		{"bogus://public/default/x", pb.CommandLookupTopicResponse_Failed, pb.ServerError_InvalidTopicName},
	}
	for i, tt := range tests {
		rc.send(wire.Wrap(&pb.CommandLookupTopic{Topic: proto.String(tt.topic), RequestId: proto.Uint64(uint64(i))}))
		r := rc.read().Cmd.GetLookupTopicResponse()
		if r.GetRequestId() != uint64(i) || r.GetResponse() != tt.response {
			t.Errorf("lookup %s: %v", tt.topic, r)
			continue
		}
		if tt.response == pb.CommandLookupTopicResponse_Connect {
			if r.GetBrokerServiceUrl() != tb.ServiceURL() || !r.GetAuthoritative() {
				t.Errorf("lookup %s: url %q authoritative %v; want %q, true", tt.topic, r.GetBrokerServiceUrl(), r.GetAuthoritative(), tb.ServiceURL())
			}
		} else if r.GetError() != tt.code {
			t.Errorf("lookup %s: error %v; want %v", tt.topic, r.GetError(), tt.code)
		}
	}
}

// TestTopicsOfNamespaceCommand: the binary command lists persistent topics, and an
// unknown namespace gets an empty list, not an error.
func TestTopicsOfNamespaceCommand(t *testing.T) {
	tb := startBroker(t, nil)
	c := tb.client(t)
	for _, topic := range []string{"a", "b", "non-persistent://public/default/c"} {
		p, err := c.CreateProducer(producerOptions(topic))
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	rc := tb.dial(t)
	rc.connect()
	for i, tt := range []struct {
		ns   string
		want []string
	}{
		{"public/default", []string{"persistent://public/default/a", "persistent://public/default/b"}},
		{"public/nothing", nil},
	} {
		rc.send(wire.Wrap(&pb.CommandGetTopicsOfNamespace{RequestId: proto.Uint64(uint64(i)), Namespace: proto.String(tt.ns)}))
		f := rc.read()
		r := f.Cmd.GetGetTopicsOfNamespaceResponse()
		if r == nil {
			t.Fatalf("%s: answer %v", tt.ns, f.Type())
		}
		if len(r.GetTopics()) != len(tt.want) {
			t.Fatalf("%s: topics %v; want %v", tt.ns, r.GetTopics(), tt.want)
		}
		for j := range tt.want {
			if r.GetTopics()[j] != tt.want[j] {
				t.Errorf("%s: topics %v; want %v", tt.ns, r.GetTopics(), tt.want)
			}
		}
	}
}
