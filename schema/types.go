package schema

import (
	"fmt"
	"strings"
)

// Type is a schema type, numbered as the protocol's Schema.Type enum (PulsarApi.proto), so a
// wire value converts with Type(pbType). Bytes and AutoPublish exist only in clients (Pulsar's
// SchemaType uses negative numbers for them); FromProtocol maps the negative numbers the Go
// client puts on the wire.
type Type int32

const (
	None           Type = 0
	String         Type = 1
	JSON           Type = 2
	Protobuf       Type = 3
	Avro           Type = 4
	Bool           Type = 5
	Int8           Type = 6
	Int16          Type = 7
	Int32          Type = 8
	Int64          Type = 9
	Float          Type = 10
	Double         Type = 11
	Date           Type = 12
	Time           Type = 13
	Timestamp      Type = 14
	KeyValue       Type = 15
	Instant        Type = 16
	LocalDate      Type = 17
	LocalTime      Type = 18
	LocalDateTime  Type = 19
	ProtobufNative Type = 20
	// AutoConsume is a consumer that takes whatever schema the topic has (protocol 21).
	AutoConsume Type = 21
	// External schemas are defined outside Pulsar (protocol 22); Magnetar stores them as-is.
	External Type = 22

	// Bytes is the client's raw-bytes schema; it is never stored (Pulsar: "the default
	// schema type").
	Bytes Type = -1
	// AutoPublish is a producer that publishes with the topic's current schema.
	AutoPublish Type = -4
)

// typeNames are Pulsar's SchemaType names, used in REST bodies and the CLI.
var typeNames = map[Type]string{
	None: "NONE", String: "STRING", JSON: "JSON", Protobuf: "PROTOBUF", Avro: "AVRO",
	Bool: "BOOLEAN", Int8: "INT8", Int16: "INT16", Int32: "INT32", Int64: "INT64",
	Float: "FLOAT", Double: "DOUBLE", Date: "DATE", Time: "TIME", Timestamp: "TIMESTAMP",
	KeyValue: "KEY_VALUE", Instant: "INSTANT", LocalDate: "LOCAL_DATE",
	LocalTime: "LOCAL_TIME", LocalDateTime: "LOCAL_DATE_TIME",
	ProtobufNative: "PROTOBUF_NATIVE", AutoConsume: "AUTO_CONSUME", External: "EXTERNAL",
	Bytes: "BYTES", AutoPublish: "AUTO_PUBLISH",
}

// String returns Pulsar's name of the type ("AVRO", "KEY_VALUE", ...).
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("Type(%d)", int32(t))
}

// ParseType reads a type name as Pulsar's REST API and pulsar-admin write it ("AVRO",
// "KEY_VALUE"); case does not matter, and "BOOL" is accepted for BOOLEAN.
func ParseType(s string) (Type, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "BOOL" {
		return Bool, nil
	}
	if u == "AUTO" {
		return AutoConsume, nil
	}
	for t, n := range typeNames {
		if n == u {
			return t, nil
		}
	}
	return None, fmt.Errorf("schema: unknown schema type %q", s)
}

// FromProtocol converts a wire Schema.Type value. The Go client writes its client-side types
// with Pulsar's negative SchemaType numbers (BYTES -1, AUTO -2, AUTO_CONSUME -3,
// AUTO_PUBLISH -4); they are mapped here. ok is false for a number no Pulsar knows.
func FromProtocol(n int32) (t Type, ok bool) {
	switch n {
	case -1:
		return Bytes, true
	case -2, -3:
		return AutoConsume, true
	case -4:
		return AutoPublish, true
	}
	t = Type(n)
	_, ok = typeNames[t]
	return t, ok && n >= 0
}

// IsPrimitive reports the types whose schema data is empty and which are compatible only
// with themselves (Pulsar's SchemaType.isPrimitiveType).
func (t Type) IsPrimitive() bool {
	switch t {
	case None, Bytes, String, Bool, Int8, Int16, Int32, Int64, Float, Double,
		Date, Time, Timestamp, Instant, LocalDate, LocalTime, LocalDateTime:
		return true
	}
	return false
}

// isAvroBased reports the types whose schema data is an Avro definition.
func (t Type) isAvroBased() bool { return t == Avro || t == JSON || t == Protobuf }

// carriesNoSchema reports the types a producer or consumer uses when it has no schema of
// its own: nothing is stored for them.
func (t Type) carriesNoSchema() bool { return t == None || t == Bytes }
