package wire

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/magnetar/magnetar/wire/pb"
)

// TestWrapCoversEveryCommand wraps an empty body of every BaseCommand field
// and checks the type set is that field's number and the body is attached.
func TestWrapCoversEveryCommand(t *testing.T) {
	fields := (&pb.BaseCommand{}).ProtoReflect().Descriptor().Fields()
	n := 0
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() == nil {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByName(fd.Message().FullName())
		if err != nil {
			t.Fatal(err)
		}
		cmd := Wrap(mt.New().Interface())
		if int32(cmd.GetType()) != int32(fd.Number()) {
			t.Errorf("%s: type %v, want %d", fd.Name(), cmd.GetType(), fd.Number())
		}
		if !cmd.ProtoReflect().Has(fd) {
			t.Errorf("%s: body not set", fd.Name())
		}
		if pb.BaseCommand_Type(fd.Number()).String() == "" {
			t.Errorf("%s: no Type value %d", fd.Name(), fd.Number())
		}
		n++
	}
	if n != 58 { // types 2-40 and 50-68
		t.Errorf("covered %d command bodies, want 58", n)
	}
}

// TestBuildersSatisfyClient sends every builder's command through our own
// writer and reader; both enforce proto2 required fields as the client does.
func TestBuildersSatisfyClient(t *testing.T) {
	id := NewMessageID(12, 34)
	code := pb.ServerError_ConsumerBusy
	schema := &pb.Schema{Name: proto.String("s"), SchemaData: []byte("{}"), Type: pb.Schema_Json.Enum()}
	cases := []struct {
		cmd  *pb.BaseCommand
		want pb.BaseCommand_Type
	}{
		{NewConnected("Pulsar Server Magnetar", 20, 1<<20, &pb.FeatureFlags{SupportsAuthRefresh: proto.Bool(true)}), pb.BaseCommand_CONNECTED},
		{NewConnected("Magnetar", 20, 0, nil), pb.BaseCommand_CONNECTED},
		{NewAuthChallenge("Magnetar", "token", []byte("refresh"), 20), pb.BaseCommand_AUTH_CHALLENGE},
		{NewPing(), pb.BaseCommand_PING},
		{NewPong(), pb.BaseCommand_PONG},
		{NewSuccess(1), pb.BaseCommand_SUCCESS},
		{NewError(2, pb.ServerError_TopicNotFound, ""), pb.BaseCommand_ERROR},
		{NewLookupConnect(3, "pulsar://localhost:6650", "pulsar+ssl://localhost:6651", true, false), pb.BaseCommand_LOOKUP_RESPONSE},
		{NewLookupFailed(4, pb.ServerError_AuthorizationError, "denied"), pb.BaseCommand_LOOKUP_RESPONSE},
		{NewPartitionedMetadata(5, 4), pb.BaseCommand_PARTITIONED_METADATA_RESPONSE},
		{NewPartitionedMetadataFailed(6, pb.ServerError_ServiceNotReady, "x"), pb.BaseCommand_PARTITIONED_METADATA_RESPONSE},
		{NewProducerSuccess(7, "standalone-0-1", -1, nil), pb.BaseCommand_PRODUCER_SUCCESS},
		{NewSendReceipt(8, 9, id), pb.BaseCommand_SEND_RECEIPT},
		{NewSendError(8, 9, pb.ServerError_PersistenceError, "disk"), pb.BaseCommand_SEND_ERROR},
		{NewMessage(10, id, 0), pb.BaseCommand_MESSAGE},
		{NewMessage(10, id, 3), pb.BaseCommand_MESSAGE},
		{NewCloseProducer(11, 12), pb.BaseCommand_CLOSE_PRODUCER},
		{NewCloseConsumer(13, 14), pb.BaseCommand_CLOSE_CONSUMER},
		{NewActiveConsumerChange(15, true), pb.BaseCommand_ACTIVE_CONSUMER_CHANGE},
		{NewGetLastMessageIDResponse(16, NewMessageID(^uint64(0), ^uint64(0)), id), pb.BaseCommand_GET_LAST_MESSAGE_ID_RESPONSE},
		{NewGetLastMessageIDResponse(16, id, nil), pb.BaseCommand_GET_LAST_MESSAGE_ID_RESPONSE},
		{NewTopicsOfNamespace(17, []string{"persistent://public/default/a"}), pb.BaseCommand_GET_TOPICS_OF_NAMESPACE_RESPONSE},
		{NewTopicsOfNamespace(17, nil), pb.BaseCommand_GET_TOPICS_OF_NAMESPACE_RESPONSE},
		{NewAckResponse(18, 19, nil, ""), pb.BaseCommand_ACK_RESPONSE},
		{NewAckResponse(18, 19, &code, "busy"), pb.BaseCommand_ACK_RESPONSE},
		{NewGetSchemaResponse(20, schema, []byte{0, 1}), pb.BaseCommand_GET_SCHEMA_RESPONSE},
		{NewGetSchemaError(21, pb.ServerError_TopicNotFound, "no schema"), pb.BaseCommand_GET_SCHEMA_RESPONSE},
		{NewGetOrCreateSchemaResponse(22, []byte{0, 2}), pb.BaseCommand_GET_OR_CREATE_SCHEMA_RESPONSE},
		{NewGetOrCreateSchemaError(23, pb.ServerError_IncompatibleSchema, "no"), pb.BaseCommand_GET_OR_CREATE_SCHEMA_RESPONSE},
	}
	var stream []byte
	for _, c := range cases {
		var err error
		if stream, err = AppendCommand(stream, c.cmd); err != nil {
			t.Fatalf("%v: %v", c.want, err)
		}
	}
	r := NewReader(bytes.NewReader(stream), 1<<20)
	for _, c := range cases {
		var f Frame
		if err := r.ReadFrame(&f); err != nil {
			t.Fatalf("%v: %v", c.want, err)
		}
		if f.Type() != c.want || !proto.Equal(f.Cmd, c.cmd) {
			t.Errorf("got %v, want type %v: %v", f.Cmd, c.want, c.cmd)
		}
	}
	// Spot-check values the client relies on.
	pm := cases[9].cmd.GetPartitionMetadataResponse()
	if pm.GetPartitions() != 4 || pm.GetResponse() != pb.CommandPartitionedTopicMetadataResponse_Success {
		t.Errorf("partitioned metadata: %v", pm)
	}
	lr := cases[7].cmd.GetLookupTopicResponse()
	if lr.Response == nil || lr.GetResponse() != pb.CommandLookupTopicResponse_Connect {
		t.Errorf("lookup response must always carry response: %v", lr)
	}
	if ps := cases[11].cmd.GetProducerSuccess(); ps.LastSequenceId == nil || ps.GetLastSequenceId() != -1 {
		t.Errorf("producer success: %v", ps)
	}
}

// The Java client refuses a PRODUCER_SUCCESS whose schema_version is absent, so the field
// must be on the wire (empty) even for a producer without a schema.
func TestProducerSuccessAlwaysCarriesSchemaVersion(t *testing.T) {
	b, err := proto.Marshal(NewProducerSuccess(1, "p", -1, nil))
	if err != nil {
		t.Fatal(err)
	}
	var got pb.BaseCommand
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetProducerSuccess().SchemaVersion == nil {
		t.Fatal("schema_version absent from PRODUCER_SUCCESS without a schema")
	}
}
