package schemae2e

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/pulsar-client-go/pulsar"
)

// The Go client has constructors for STRING, BYTES, INT8..DOUBLE, JSON, AVRO, PROTOBUF
// and PROTOBUF_NATIVE only. Its Schema is an interface, though, and a producer or consumer
// sends whatever SchemaInfo its schema returns, so the other types Pulsar's Java client
// offers (BOOLEAN, the date and time types, KEY_VALUE) go on the wire as the Java client
// sends them: the protocol's type number, Pulsar's schema data and properties.

// Pulsar's type numbers for the types the Go client names no constant for.
const (
	typeDate          = pulsar.SchemaType(12)
	typeTime          = pulsar.SchemaType(13)
	typeTimestamp     = pulsar.SchemaType(14)
	typeInstant       = pulsar.SchemaType(16)
	typeLocalDate     = pulsar.SchemaType(17)
	typeLocalTime     = pulsar.SchemaType(18)
	typeLocalDateTime = pulsar.SchemaType(19)
	typeAutoConsume   = pulsar.SchemaType(21)
)

// customSchema is a pulsar.Schema with a given SchemaInfo and payload codec.
type customSchema struct {
	info   *pulsar.SchemaInfo
	encode func(v any) ([]byte, error)
	decode func(data []byte, v any) error
}

func (s *customSchema) Encode(v any) ([]byte, error)    { return s.encode(v) }
func (s *customSchema) Decode(data []byte, v any) error { return s.decode(data, v) }
func (s *customSchema) Validate(data []byte) error      { return s.decode(data, new(any)) }
func (s *customSchema) GetSchemaInfo() *pulsar.SchemaInfo {
	return s.info
}

// boolSchema is Pulsar's BooleanSchema: one byte, 0 or 1.
func boolSchema() pulsar.Schema {
	return &customSchema{
		info: &pulsar.SchemaInfo{Name: "Boolean", Type: pulsar.BOOLEAN},
		encode: func(v any) ([]byte, error) {
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("BOOLEAN schema: %T is not a bool", v)
			}
			if b {
				return []byte{1}, nil
			}
			return []byte{0}, nil
		},
		decode: func(data []byte, v any) error {
			if len(data) != 1 {
				return fmt.Errorf("BOOLEAN schema: %d bytes, want 1", len(data))
			}
			if p, ok := v.(*bool); ok {
				*p = data[0] != 0
			}
			return nil
		},
	}
}

// longSchema is the encoding Pulsar's DATE, TIME, TIMESTAMP, LOCAL_DATE and LOCAL_TIME
// schemas share: one big-endian int64 (epoch milliseconds, epoch days, nanoseconds of day).
func longSchema(name string, t pulsar.SchemaType) pulsar.Schema {
	return &customSchema{
		info: &pulsar.SchemaInfo{Name: name, Type: t},
		encode: func(v any) ([]byte, error) {
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("%s schema: %T is not an int64", name, v)
			}
			return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
		},
		decode: func(data []byte, v any) error {
			if len(data) != 8 {
				return fmt.Errorf("%s schema: %d bytes, want 8", name, len(data))
			}
			if p, ok := v.(*int64); ok {
				*p = int64(binary.BigEndian.Uint64(data))
			}
			return nil
		},
	}
}

// pairSchema is the 16- and 12-byte encoding of INSTANT (epoch seconds, nanoseconds) and
// LOCAL_DATE_TIME (epoch day, nanosecond of day): two big-endian numbers.
func pairSchema(name string, t pulsar.SchemaType, secondLen int) pulsar.Schema {
	return &customSchema{
		info: &pulsar.SchemaInfo{Name: name, Type: t},
		encode: func(v any) ([]byte, error) {
			p, ok := v.([2]int64)
			if !ok {
				return nil, fmt.Errorf("%s schema: %T is not a [2]int64", name, v)
			}
			out := binary.BigEndian.AppendUint64(nil, uint64(p[0]))
			if secondLen == 4 {
				return binary.BigEndian.AppendUint32(out, uint32(p[1])), nil
			}
			return binary.BigEndian.AppendUint64(out, uint64(p[1])), nil
		},
		decode: func(data []byte, v any) error {
			if len(data) != 8+secondLen {
				return fmt.Errorf("%s schema: %d bytes, want %d", name, len(data), 8+secondLen)
			}
			p, ok := v.(*[2]int64)
			if !ok {
				return nil
			}
			p[0] = int64(binary.BigEndian.Uint64(data))
			if secondLen == 4 {
				p[1] = int64(int32(binary.BigEndian.Uint32(data[8:])))
			} else {
				p[1] = int64(binary.BigEndian.Uint64(data[8:]))
			}
			return nil
		},
	}
}

// kv is a key and a value of a KEY_VALUE schema.
type kv struct {
	Key   string
	Value user
}

// keyValueSchema is Pulsar's KeyValueSchema<String, JSON user>: the schema data is
// [keyLen][key schema][valueLen][value schema] with big-endian int32 lengths and the
// properties name both sides. INLINE payloads are [keyLen][key][valueLen][value];
// SEPARATED payloads hold the value alone and the key travels as the message key.
func keyValueSchema(encoding string) pulsar.Schema {
	return keyValueSchemaOf(pulsar.NewJSONSchema(userDef, nil), encoding)
}

// keyValueSchemaOf is KeyValueSchema<String, value>; kv.Value holds the value.
func keyValueSchemaOf(value pulsar.Schema, encoding string) pulsar.Schema {
	vi := value.GetSchemaInfo()
	data := binary.BigEndian.AppendUint32(nil, 0)
	data = binary.BigEndian.AppendUint32(data, uint32(len(vi.Schema)))
	data = append(data, vi.Schema...)
	return &customSchema{
		info: &pulsar.SchemaInfo{
			Name: "KeyValue", Type: pulsar.KeyValue, Schema: string(data),
			Properties: map[string]string{
				"kv.encoding.type": encoding,
				"key.schema.name":  "String", "key.schema.type": "STRING", "key.schema.properties": "{}",
				"value.schema.name": vi.Name, "value.schema.type": typeName(vi.Type), "value.schema.properties": "{}",
			},
		},
		encode: func(v any) ([]byte, error) {
			p, ok := v.(kv)
			if !ok {
				return nil, fmt.Errorf("KEY_VALUE schema: %T is not a kv", v)
			}
			val, err := value.Encode(p.Value)
			if err != nil {
				return nil, err
			}
			if encoding == "SEPARATED" {
				return val, nil
			}
			out := binary.BigEndian.AppendUint32(nil, uint32(len(p.Key)))
			out = append(out, p.Key...)
			out = binary.BigEndian.AppendUint32(out, uint32(len(val)))
			return append(out, val...), nil
		},
		decode: func(data []byte, v any) error {
			p, ok := v.(*kv)
			if !ok {
				return nil
			}
			if encoding == "INLINE" {
				key, rest, err := lengthPrefixed(data)
				if err != nil {
					return fmt.Errorf("KEY_VALUE key: %w", err)
				}
				if data, rest, err = lengthPrefixed(rest); err != nil || len(rest) != 0 {
					return fmt.Errorf("KEY_VALUE value: %v, %d bytes left", err, len(rest))
				}
				p.Key = string(key)
			}
			return value.Decode(data, &p.Value)
		},
	}
}

func lengthPrefixed(b []byte) (part, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("truncated length")
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, fmt.Errorf("length %d exceeds %d bytes", n, len(b)-4)
	}
	return b[4 : 4+n], b[4+n:], nil
}

// autoConsumeSchema is what a Java AUTO_CONSUME consumer sends: the protocol's type
// AutoConsume (21), no data. The Go client has a constant pulsar.AutoConsume (-3) but no
// such schema; a consumer with this one decodes each message with its writer's schema,
// fetched by version (GetSchemaValue), which is all AUTO_CONSUME means on the client side.
func autoConsumeSchema() pulsar.Schema {
	return &customSchema{
		info:   &pulsar.SchemaInfo{Name: "AutoConsume", Type: typeAutoConsume},
		encode: func(any) ([]byte, error) { return nil, fmt.Errorf("AUTO_CONSUME does not encode") },
		decode: func([]byte, any) error { return fmt.Errorf("AUTO_CONSUME decodes with the writer's schema") },
	}
}

// autoPublishSchema is an AUTO_PUBLISH producer: type -4, the payload sent as it is (the
// Java client validates it against the topic's schema on the client side).
func autoPublishSchema() pulsar.Schema {
	return &customSchema{
		info: &pulsar.SchemaInfo{Name: "AutoPublish", Type: pulsar.AutoPublish},
		encode: func(v any) ([]byte, error) {
			b, ok := v.([]byte)
			if !ok {
				return nil, fmt.Errorf("AUTO_PUBLISH: %T is not []byte", v)
			}
			return b, nil
		},
		decode: func([]byte, any) error { return nil },
	}
}
