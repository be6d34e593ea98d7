package wire

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/magnetar/magnetar/wire/pb"
)

// Builders for what the broker sends. Each sets every field the Go client
// requires (client-protocol-notes §1.6); a missing required field would make
// the client drop the connection, and makes AppendCommand fail here.

// bodyField maps a command body's message type to its BaseCommand field;
// the field number is also the BaseCommand.Type value.
var bodyField = func() map[protoreflect.FullName]protoreflect.FieldDescriptor {
	m := map[protoreflect.FullName]protoreflect.FieldDescriptor{}
	fields := (&pb.BaseCommand{}).ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Message() != nil {
			m[fd.Message().FullName()] = fd
		}
	}
	return m
}()

// Wrap puts a command body (e.g. *pb.CommandFlow) into a BaseCommand with
// the matching type. For a message that is no command body it returns a
// BaseCommand without type, which AppendCommand rejects.
func Wrap(body proto.Message) *pb.BaseCommand {
	cmd := new(pb.BaseCommand)
	fd, ok := bodyField[body.ProtoReflect().Descriptor().FullName()]
	if !ok {
		return cmd
	}
	cmd.Type = pb.BaseCommand_Type(fd.Number()).Enum()
	cmd.ProtoReflect().Set(fd, protoreflect.ValueOfMessage(body.ProtoReflect()))
	return cmd
}

// NewMessageID returns a MessageIdData for an entry.
func NewMessageID(ledgerID, entryID uint64) *pb.MessageIdData {
	return &pb.MessageIdData{LedgerId: proto.Uint64(ledgerID), EntryId: proto.Uint64(entryID)}
}

// NewConnected answers CONNECT. maxMessageSize <= 0 leaves it unset.
func NewConnected(serverVersion string, protocolVersion, maxMessageSize int32, flags *pb.FeatureFlags) *pb.BaseCommand {
	c := &pb.CommandConnected{
		ServerVersion:   proto.String(serverVersion),
		ProtocolVersion: proto.Int32(protocolVersion),
		FeatureFlags:    flags,
	}
	if maxMessageSize > 0 {
		c.MaxMessageSize = proto.Int32(maxMessageSize)
	}
	return Wrap(c)
}

// NewAuthChallenge asks the client to refresh its credentials.
func NewAuthChallenge(serverVersion, method string, data []byte, protocolVersion int32) *pb.BaseCommand {
	return Wrap(&pb.CommandAuthChallenge{
		ServerVersion:   proto.String(serverVersion),
		Challenge:       &pb.AuthData{AuthMethodName: proto.String(method), AuthData: data},
		ProtocolVersion: proto.Int32(protocolVersion),
	})
}

// NewPing and NewPong are the keep-alive commands.
func NewPing() *pb.BaseCommand { return Wrap(&pb.CommandPing{}) }

// NewPong answers PING.
func NewPong() *pb.BaseCommand { return Wrap(&pb.CommandPong{}) }

// NewSuccess acknowledges a request.
func NewSuccess(requestID uint64) *pb.BaseCommand {
	return Wrap(&pb.CommandSuccess{RequestId: proto.Uint64(requestID)})
}

// NewError fails a request. The client matches on the code's name.
func NewError(requestID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandError{RequestId: proto.Uint64(requestID), Error: code.Enum(), Message: proto.String(msg)})
}

// NewLookupConnect answers LOOKUP with "connect to this broker".
func NewLookupConnect(requestID uint64, serviceURL, serviceURLTLS string, authoritative, proxyThroughServiceURL bool) *pb.BaseCommand {
	return Wrap(&pb.CommandLookupTopicResponse{
		RequestId:              proto.Uint64(requestID),
		Response:               pb.CommandLookupTopicResponse_Connect.Enum(),
		BrokerServiceUrl:       proto.String(serviceURL),
		BrokerServiceUrlTls:    proto.String(serviceURLTLS),
		Authoritative:          proto.Bool(authoritative),
		ProxyThroughServiceUrl: proto.Bool(proxyThroughServiceURL),
	})
}

// NewLookupFailed fails a LOOKUP.
func NewLookupFailed(requestID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandLookupTopicResponse{
		RequestId: proto.Uint64(requestID),
		Response:  pb.CommandLookupTopicResponse_Failed.Enum(),
		Error:     code.Enum(),
		Message:   proto.String(msg),
	})
}

// NewPartitionedMetadata answers PARTITIONED_METADATA; 0 means not partitioned.
func NewPartitionedMetadata(requestID uint64, partitions uint32) *pb.BaseCommand {
	return Wrap(&pb.CommandPartitionedTopicMetadataResponse{
		RequestId:  proto.Uint64(requestID),
		Partitions: proto.Uint32(partitions),
		Response:   pb.CommandPartitionedTopicMetadataResponse_Success.Enum(),
	})
}

// NewPartitionedMetadataFailed fails a PARTITIONED_METADATA request.
func NewPartitionedMetadataFailed(requestID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandPartitionedTopicMetadataResponse{
		RequestId: proto.Uint64(requestID),
		Response:  pb.CommandPartitionedTopicMetadataResponse_Failed.Enum(),
		Error:     code.Enum(),
		Message:   proto.String(msg),
	})
}

// NewProducerSuccess answers PRODUCER. lastSequenceID is -1 for a producer
// with no prior messages; schemaVersion may be nil.
//
// schema_version is always present (empty without a schema), as Pulsar sends it: the Java
// client refuses a PRODUCER_SUCCESS without it.
func NewProducerSuccess(requestID uint64, producerName string, lastSequenceID int64, schemaVersion []byte) *pb.BaseCommand {
	if schemaVersion == nil {
		schemaVersion = []byte{}
	}
	return Wrap(&pb.CommandProducerSuccess{
		RequestId:      proto.Uint64(requestID),
		ProducerName:   proto.String(producerName),
		LastSequenceId: proto.Int64(lastSequenceID),
		SchemaVersion:  schemaVersion,
	})
}

// NewSendReceipt confirms a SEND, echoing its sequence id.
func NewSendReceipt(producerID, sequenceID uint64, id *pb.MessageIdData) *pb.BaseCommand {
	return Wrap(&pb.CommandSendReceipt{
		ProducerId: proto.Uint64(producerID),
		SequenceId: proto.Uint64(sequenceID),
		MessageId:  id,
	})
}

// NewSendError fails a SEND.
func NewSendError(producerID, sequenceID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandSendError{
		ProducerId: proto.Uint64(producerID),
		SequenceId: proto.Uint64(sequenceID),
		Error:      code.Enum(),
		Message:    proto.String(msg),
	})
}

// NewMessage heads a delivered entry; send it with AppendMessage.
func NewMessage(consumerID uint64, id *pb.MessageIdData, redeliveryCount uint32) *pb.BaseCommand {
	m := &pb.CommandMessage{ConsumerId: proto.Uint64(consumerID), MessageId: id}
	if redeliveryCount > 0 {
		m.RedeliveryCount = proto.Uint32(redeliveryCount)
	}
	return Wrap(m)
}

// NewCloseProducer tells a client the broker closed its producer.
func NewCloseProducer(producerID, requestID uint64) *pb.BaseCommand {
	return Wrap(&pb.CommandCloseProducer{ProducerId: proto.Uint64(producerID), RequestId: proto.Uint64(requestID)})
}

// NewCloseConsumer tells a client the broker closed its consumer.
func NewCloseConsumer(consumerID, requestID uint64) *pb.BaseCommand {
	return Wrap(&pb.CommandCloseConsumer{ConsumerId: proto.Uint64(consumerID), RequestId: proto.Uint64(requestID)})
}

// NewActiveConsumerChange tells a Failover consumer whether it is active.
func NewActiveConsumerChange(consumerID uint64, active bool) *pb.BaseCommand {
	return Wrap(&pb.CommandActiveConsumerChange{ConsumerId: proto.Uint64(consumerID), IsActive: proto.Bool(active)})
}

// NewGetLastMessageIDResponse answers GET_LAST_MESSAGE_ID; markDelete may be nil.
func NewGetLastMessageIDResponse(requestID uint64, last, markDelete *pb.MessageIdData) *pb.BaseCommand {
	return Wrap(&pb.CommandGetLastMessageIdResponse{
		RequestId:                  proto.Uint64(requestID),
		LastMessageId:              last,
		ConsumerMarkDeletePosition: markDelete,
	})
}

// NewTopicsOfNamespace answers GET_TOPICS_OF_NAMESPACE.
func NewTopicsOfNamespace(requestID uint64, topics []string) *pb.BaseCommand {
	return Wrap(&pb.CommandGetTopicsOfNamespaceResponse{RequestId: proto.Uint64(requestID), Topics: topics})
}

// NewAckResponse confirms an ACK that carried a request_id; code and msg
// are sent only when code is not nil.
func NewAckResponse(consumerID, requestID uint64, code *pb.ServerError, msg string) *pb.BaseCommand {
	r := &pb.CommandAckResponse{ConsumerId: proto.Uint64(consumerID), RequestId: proto.Uint64(requestID)}
	if code != nil {
		r.Error, r.Message = code, proto.String(msg)
	}
	return Wrap(r)
}

// NewGetSchemaResponse answers GET_SCHEMA.
func NewGetSchemaResponse(requestID uint64, schema *pb.Schema, version []byte) *pb.BaseCommand {
	return Wrap(&pb.CommandGetSchemaResponse{RequestId: proto.Uint64(requestID), Schema: schema, SchemaVersion: version})
}

// NewGetSchemaError fails GET_SCHEMA (TopicNotFound means "no schema").
func NewGetSchemaError(requestID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandGetSchemaResponse{RequestId: proto.Uint64(requestID), ErrorCode: code.Enum(), ErrorMessage: proto.String(msg)})
}

// NewGetOrCreateSchemaResponse answers GET_OR_CREATE_SCHEMA.
func NewGetOrCreateSchemaResponse(requestID uint64, version []byte) *pb.BaseCommand {
	return Wrap(&pb.CommandGetOrCreateSchemaResponse{RequestId: proto.Uint64(requestID), SchemaVersion: version})
}

// NewGetOrCreateSchemaError fails GET_OR_CREATE_SCHEMA.
func NewGetOrCreateSchemaError(requestID uint64, code pb.ServerError, msg string) *pb.BaseCommand {
	return Wrap(&pb.CommandGetOrCreateSchemaResponse{RequestId: proto.Uint64(requestID), ErrorCode: code.Enum(), ErrorMessage: proto.String(msg)})
}
