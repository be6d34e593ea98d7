package schemae2e

import (
	"fmt"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func jsonUser(t *testing.T, fields string) pulsar.Schema {
	t.Helper()
	s, err := pulsar.NewJSONSchemaWithValidation(`{"type":"record","name":"User","namespace":"magnetar.json","fields":`+fields+`}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTypeCompatibility: the rules for the types that are not AVRO. A producer with
// a schema of another type is refused under every strategy but ALWAYS_COMPATIBLE; JSON
// and PROTOBUF evolve by Avro's rules; PROTOBUF_NATIVE keeps its root message; KEY_VALUE
// checks key and value apart.
func TestTypeCompatibility(t *testing.T) {
	s := startServer(t)
	protoString := func() pulsar.Schema { return pulsar.NewProtoNativeSchemaWithMessage(&wrapperspb.StringValue{}, nil) }
	protoInt := func() pulsar.Schema { return pulsar.NewProtoNativeSchemaWithMessage(&wrapperspb.Int64Value{}, nil) }
	kvOf := func(value pulsar.Schema) func() pulsar.Schema {
		return func() pulsar.Schema { return keyValueSchemaOf(value, "INLINE") }
	}
	cases := []struct {
		name        string
		first, next func() pulsar.Schema
		acceptedBy  []utils.SchemaCompatibilityStrategy
	}{
		{"STRING then INT64",
			func() pulsar.Schema { return pulsar.NewStringSchema(nil) },
			func() pulsar.Schema { return pulsar.NewInt64Schema(nil) },
			[]utils.SchemaCompatibilityStrategy{AC}},
		{"AVRO then JSON of the same record",
			func() pulsar.Schema { return evolveSchema(t, "name") },
			func() pulsar.Schema { return jsonUser(t, evolve["name"]) },
			[]utils.SchemaCompatibilityStrategy{AC}},
		{"JSON adds a field with default",
			func() pulsar.Schema { return jsonUser(t, evolve["name"]) },
			func() pulsar.Schema { return jsonUser(t, evolve["name+age=0"]) },
			[]utils.SchemaCompatibilityStrategy{AC, B, F, FU, BT, FT, FUT}},
		{"JSON changes a field's type",
			func() pulsar.Schema { return jsonUser(t, evolve["name"]) },
			func() pulsar.Schema { return jsonUser(t, evolve["name:int"]) },
			[]utils.SchemaCompatibilityStrategy{AC}},
		{"PROTOBUF changes a field's type",
			func() pulsar.Schema { return pulsar.NewProtoSchema(stringValueDef, nil) },
			func() pulsar.Schema {
				return pulsar.NewProtoSchema(`{"type":"record","name":"StringValue","namespace":"google.protobuf","fields":[{"name":"value","type":"long"}]}`, nil)
			},
			[]utils.SchemaCompatibilityStrategy{AC}},
		// Pulsar's default PROTOBUF_NATIVE check only keeps the root message.
		{"PROTOBUF_NATIVE changes its root message",
			protoString, protoInt, []utils.SchemaCompatibilityStrategy{AC}},
		{"KEY_VALUE value adds a field with default",
			kvOf(jsonUser(t, evolve["name"])), kvOf(jsonUser(t, evolve["name+age=0"])),
			[]utils.SchemaCompatibilityStrategy{AC, B, F, FU, BT, FT, FUT}},
		{"KEY_VALUE value changes a field's type",
			kvOf(jsonUser(t, evolve["name"])), kvOf(jsonUser(t, evolve["name:int"])),
			[]utils.SchemaCompatibilityStrategy{AC}},
		{"KEY_VALUE then its value schema alone",
			kvOf(jsonUser(t, evolve["name"])), func() pulsar.Schema { return jsonUser(t, evolve["name"]) },
			[]utils.SchemaCompatibilityStrategy{AC}},
	}
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			s := *s
			s.t = t
			ns := s.newNamespace("types")
			s.setNamespaceStrategy(ns, strategy)
			for _, tc := range cases {
				topic := fmt.Sprintf("persistent://%s/%s", ns, unique("compat"))
				s.mustProducer(topic, tc.first())
				_, err := s.producer(topic, tc.next())
				what := fmt.Sprintf("%s under %s", tc.name, strategy)
				if contains(tc.acceptedBy, strategy) {
					if err != nil {
						t.Errorf("%s: %v; want accepted", what, err)
					} else if n := len(s.allSchemas(topic)); n != 2 {
						t.Errorf("%s: %d versions, want 2", what, n)
					}
				} else {
					wantIncompatible(t, what, err)
				}
			}
		})
	}
}

// TestMultiSchemaProducer: a producer created with one schema may send messages with
// another (the client asks GET_OR_CREATE_SCHEMA for each new one): a compatible schema is
// registered as the next version and its messages carry it; an incompatible one fails the
// send, and nothing is registered.
func TestMultiSchemaProducer(t *testing.T) {
	s := startServer(t)
	topic := "persistent://public/default/" + unique("multi-schema")
	p := s.mustProducer(topic, evolveSchema(t, "name"))
	c := s.mustConsumer(topic, "multi", autoConsumeSchema())
	send(t, p, &pulsar.ProducerMessage{Value: &struct {
		Name string `avro:"name"`
	}{"v0"}})
	send(t, p, &pulsar.ProducerMessage{Schema: evolveSchema(t, "name+age=0"), Value: &evolvedUser{"v1", 1}})

	for i, want := range []evolvedUser{{"v0", 0}, {"v1", 1}} {
		m := receive(t, c)
		var got evolvedUser
		if err := m.GetSchemaValue(&got); err != nil || got != want {
			t.Errorf("message %d: %+v, %v; want %+v", i, got, err, want)
		}
		if v := versionBytes(int64(i)); string(m.SchemaVersion()) != string(v) {
			t.Errorf("message %d carries version %x, want %x", i, m.SchemaVersion(), v)
		}
	}

	ctx := testCtx(t)
	_, err := p.Send(ctx, &pulsar.ProducerMessage{Schema: evolveSchema(t, "name:int"), Value: &struct {
		Name int `avro:"name"`
	}{2}})
	if err == nil {
		t.Error("a message with an incompatible schema was sent")
	}
	if n := len(s.allSchemas(topic)); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}
	// The producer still works with its registered schemas.
	send(t, p, &pulsar.ProducerMessage{Value: &struct {
		Name string `avro:"name"`
	}{"after"}})
}

// TestInvalidSchemas: a producer or consumer whose schema is malformed for its type is
// refused with IncompatibleSchema (Pulsar's InvalidSchemaDataException), and nothing is
// registered.
func TestInvalidSchemas(t *testing.T) {
	s := startServer(t)
	raw := func(typ pulsar.SchemaType, data string, props map[string]string) pulsar.Schema {
		return &customSchema{
			info:   &pulsar.SchemaInfo{Name: "bad", Type: typ, Schema: data, Properties: props},
			encode: func(v any) ([]byte, error) { return nil, fmt.Errorf("not for sending") },
			decode: func([]byte, any) error { return nil },
		}
	}
	cases := []struct {
		name   string
		schema pulsar.Schema
	}{
		{"AVRO not JSON", raw(pulsar.AVRO, "not json", nil)},
		{"AVRO record without fields", raw(pulsar.AVRO, `{"type":"record","name":"X"}`, nil)},
		{"AVRO unknown type", raw(pulsar.AVRO, `{"type":"record","name":"X","fields":[{"name":"a","type":"nosuchtype"}]}`, nil)},
		{"PROTOBUF not Avro", raw(pulsar.PROTOBUF, `{"type":"message"}`, nil)},
		{"PROTOBUF_NATIVE garbage", raw(pulsar.ProtoNative, `{"fileDescriptorSet":"AAAA","rootMessageTypeName":"x.Y"}`, nil)},
		{"INT32 with a definition", raw(pulsar.INT32, "int", nil)},
		{"STRING with a definition", raw(pulsar.STRING, "utf-8", nil)},
		{"KEY_VALUE truncated", raw(pulsar.KeyValue, "\x00\x00", map[string]string{"key.schema.type": "STRING", "value.schema.type": "STRING"})},
		{"KEY_VALUE bad value", raw(pulsar.KeyValue, "\x00\x00\x00\x00\x00\x00\x00\x03{{{",
			map[string]string{"key.schema.type": "STRING", "value.schema.type": "AVRO", "kv.encoding.type": "INLINE"})},
		{"unknown type number", raw(pulsar.SchemaType(99), "", nil)},
	}
	for _, tc := range cases {
		topic := "persistent://public/default/" + unique("invalid")
		_, err := s.producer(topic, tc.schema)
		wantIncompatible(t, "producer with "+tc.name, err)
		_, err = s.consumer(topic, "sub", tc.schema)
		wantIncompatible(t, "consumer with "+tc.name, err)
		if reg, ok := s.latestSchema(topic); ok {
			t.Errorf("%s registered %+v", tc.name, reg)
		}
	}
}
