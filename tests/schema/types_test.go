package schemae2e

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// user is the record of the JSON, AVRO and KEY_VALUE cases.
type user struct {
	Name string `avro:"name" json:"name"`
	Age  int    `avro:"age" json:"age"`
}

const userDef = `{"type":"record","name":"User","namespace":"magnetar.test","fields":[` +
	`{"name":"name","type":"string"},{"name":"age","type":"int"}]}`

// stringValueDef is the Avro definition a PROTOBUF schema of google.protobuf.StringValue
// carries (the Go client's PROTOBUF type is an Avro definition of the message).
const stringValueDef = `{"type":"record","name":"StringValue","namespace":"google.protobuf","fields":[` +
	`{"name":"value","type":"string"}]}`

// viaTopic decodes a message with the schema version it carries: the client fetches that
// version from the broker (GET_SCHEMA) and decodes with it.
func viaTopic[T any](m pulsar.Message, _ pulsar.Schema) (any, error) {
	var v T
	err := m.GetSchemaValue(&v)
	return v, err
}

// viaConsumer decodes with the consumer's own schema, for types the client cannot
// rebuild from the registry (it builds only the types it has constructors for).
func viaConsumer[T any](m pulsar.Message, s pulsar.Schema) (any, error) {
	var v T
	err := s.Decode(m.Payload(), &v)
	return v, err
}

func stringViaTopic(m pulsar.Message, _ pulsar.Schema) (any, error) {
	var v *string
	if err := m.GetSchemaValue(&v); err != nil {
		return nil, err
	}
	return *v, nil
}

func protoViaTopic(m pulsar.Message, _ pulsar.Schema) (any, error) {
	v := &wrapperspb.StringValue{}
	err := m.GetSchemaValue(v)
	return v.GetValue(), err
}

// TestTypesRoundTrip: for every schema type a producer registers its schema, a consumer
// with the same schema reads the message back decoded, the message carries the registered
// version, and the admin API shows the schema with its type and definition.
func TestTypesRoundTrip(t *testing.T) {
	s := startServer(t)
	protoNative := pulsar.NewProtoNativeSchemaWithMessage(&wrapperspb.StringValue{}, nil)
	jsonSchema := pulsar.NewJSONSchema(userDef, nil)
	kvValueDef := compactJSON(t, jsonSchema.GetSchemaInfo().Schema)
	cases := []struct {
		name   string
		schema func() pulsar.Schema
		key    string
		value  any
		decode func(pulsar.Message, pulsar.Schema) (any, error)
		want   any
		// restType is the type the registry shows ("" for none: BYTES is never stored);
		// restData the definition it shows ("" for primitive types).
		restType, restData string
	}{
		{"STRING", func() pulsar.Schema { return pulsar.NewStringSchema(nil) }, "", "héllo",
			stringViaTopic, "héllo", "STRING", ""},
		{"BYTES", func() pulsar.Schema { return pulsar.NewBytesSchema(nil) }, "", []byte{0, 1, 2, 0xff},
			viaTopic[[]byte], []byte{0, 1, 2, 0xff}, "", ""},
		{"BOOLEAN", boolSchema, "", true, viaConsumer[bool], true, "BOOLEAN", ""},
		{"INT8", func() pulsar.Schema { return pulsar.NewInt8Schema(nil) }, "", int8(-7),
			viaTopic[int8], int8(-7), "INT8", ""},
		{"INT16", func() pulsar.Schema { return pulsar.NewInt16Schema(nil) }, "", int16(-30000),
			viaTopic[int16], int16(-30000), "INT16", ""},
		{"INT32", func() pulsar.Schema { return pulsar.NewInt32Schema(nil) }, "", int32(1 << 30),
			viaTopic[int32], int32(1 << 30), "INT32", ""},
		{"INT64", func() pulsar.Schema { return pulsar.NewInt64Schema(nil) }, "", int64(-1 << 60),
			viaTopic[int64], int64(-1 << 60), "INT64", ""},
		{"FLOAT", func() pulsar.Schema { return pulsar.NewFloatSchema(nil) }, "", float32(3.25),
			viaTopic[float32], float32(3.25), "FLOAT", ""},
		{"DOUBLE", func() pulsar.Schema { return pulsar.NewDoubleSchema(nil) }, "", 2.718281828,
			viaTopic[float64], 2.718281828, "DOUBLE", ""},
		{"DATE", func() pulsar.Schema { return longSchema("Date", typeDate) }, "", int64(1584230400000),
			viaConsumer[int64], int64(1584230400000), "DATE", ""},
		{"TIME", func() pulsar.Schema { return longSchema("Time", typeTime) }, "", int64(45296000),
			viaConsumer[int64], int64(45296000), "TIME", ""},
		{"TIMESTAMP", func() pulsar.Schema { return longSchema("Timestamp", typeTimestamp) }, "", int64(1584276896000),
			viaConsumer[int64], int64(1584276896000), "TIMESTAMP", ""},
		{"INSTANT", func() pulsar.Schema { return pairSchema("Instant", typeInstant, 4) }, "", [2]int64{1584276896, 123456789},
			viaConsumer[[2]int64], [2]int64{1584276896, 123456789}, "INSTANT", ""},
		{"LOCAL_DATE", func() pulsar.Schema { return longSchema("LocalDate", typeLocalDate) }, "", int64(18336),
			viaConsumer[int64], int64(18336), "LOCAL_DATE", ""},
		{"LOCAL_TIME", func() pulsar.Schema { return longSchema("LocalTime", typeLocalTime) }, "", int64(45296000000000),
			viaConsumer[int64], int64(45296000000000), "LOCAL_TIME", ""},
		{"LOCAL_DATE_TIME", func() pulsar.Schema { return pairSchema("LocalDateTime", typeLocalDateTime, 8) }, "",
			[2]int64{18336, 45296000000000}, viaConsumer[[2]int64], [2]int64{18336, 45296000000000}, "LOCAL_DATE_TIME", ""},
		{"JSON", func() pulsar.Schema { return pulsar.NewJSONSchema(userDef, nil) }, "", &user{"ada", 36},
			viaTopic[user], user{"ada", 36}, "JSON", jsonSchema.GetSchemaInfo().Schema},
		{"AVRO", func() pulsar.Schema { return pulsar.NewAvroSchema(userDef, nil) }, "", &user{"grace", 85},
			viaTopic[user], user{"grace", 85}, "AVRO", pulsar.NewAvroSchema(userDef, nil).GetSchemaInfo().Schema},
		{"PROTOBUF", func() pulsar.Schema { return pulsar.NewProtoSchema(stringValueDef, nil) }, "",
			wrapperspb.String("protobuf"), protoViaTopic, "protobuf", "PROTOBUF",
			pulsar.NewProtoSchema(stringValueDef, nil).GetSchemaInfo().Schema},
		{"PROTOBUF_NATIVE", func() pulsar.Schema { return protoNative }, "", wrapperspb.String("native"),
			protoViaTopic, "native", "PROTOBUF_NATIVE", protoNative.GetSchemaInfo().Schema},
		{"KEY_VALUE_INLINE", func() pulsar.Schema { return keyValueSchema("INLINE") }, "",
			kv{"k1", user{"alan", 41}}, viaConsumer[kv], kv{"k1", user{"alan", 41}}, "KEY_VALUE",
			`{"key":"","value":` + kvValueDef + `}`},
		{"KEY_VALUE_SEPARATED", func() pulsar.Schema { return keyValueSchema("SEPARATED") }, "k2",
			kv{"k2", user{"edsger", 72}}, viaConsumer[kv], kv{"", user{"edsger", 72}}, "KEY_VALUE",
			`{"key":"","value":` + kvValueDef + `}`},
	}
	// Over a pulsar:// URL the client looks topics up and fetches schemas with binary
	// commands (GET_SCHEMA); over the web service URL it does both over HTTP.
	lookups := []struct{ name, url string }{{"binary", s.srv.BrokerURL}, {"http", s.srv.WebURL}}
	for _, lookup := range lookups {
		for _, tc := range cases {
			t.Run(lookup.name+"/"+tc.name, func(t *testing.T) {
				s := *s
				s.t = t
				s.client = newClient(t, lookup.url)
				topic := "persistent://public/default/" + unique("type-"+tc.name)
				p := s.mustProducer(topic, tc.schema())
				consumerSchema := tc.schema()
				c := s.mustConsumer(topic, "round-trip", consumerSchema)
				send(t, p, &pulsar.ProducerMessage{Key: tc.key, Value: tc.value})
				m := receive(t, c)
				got, err := tc.decode(m, consumerSchema)
				if err != nil {
					t.Fatalf("decode %v: %v", m.Payload(), err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("decoded %#v, want %#v", got, tc.want)
				}
				if tc.key != "" && m.Key() != tc.key {
					t.Errorf("message key %q, want %q", m.Key(), tc.key)
				}

				reg, ok := s.latestSchema(topic)
				if tc.restType == "" {
					if ok {
						t.Errorf("registry holds %+v for a producer without a stored schema", reg)
					}
					if len(m.SchemaVersion()) != 0 {
						t.Errorf("message carries schema version %x; want none", m.SchemaVersion())
					}
					return
				}
				if !ok {
					t.Fatalf("registry has no schema for %s", topic)
				}
				if reg.Type != tc.restType || reg.Version != 0 {
					t.Errorf("registry shows %s version %d, want %s version 0", reg.Type, reg.Version, tc.restType)
				}
				if reg.Data != tc.restData {
					t.Errorf("registry shows definition\n%s\nwant\n%s", reg.Data, tc.restData)
				}
				if want := versionBytes(reg.Version); !bytes.Equal(m.SchemaVersion(), want) {
					t.Errorf("message carries schema version %x, want %x", m.SchemaVersion(), want)
				}
				if reg.Type == "KEY_VALUE" {
					enc := consumerSchema.GetSchemaInfo().Properties["kv.encoding.type"]
					if reg.Properties["kv.encoding.type"] != enc || reg.Properties["value.schema.type"] != "JSON" {
						t.Errorf("registry properties %v; want kv.encoding.type %s, value.schema.type JSON", reg.Properties, enc)
					}
				}
				if all := s.allSchemas(topic); len(all) != 1 {
					t.Errorf("%d versions after one producer and one consumer with the same schema: %+v", len(all), all)
				}
			})
		}
	}
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("compact %s: %v", s, err)
	}
	return buf.String()
}
