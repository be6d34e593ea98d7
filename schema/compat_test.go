package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// avroRecord builds an Avro record definition named User with the given field JSONs.
func avroRecord(name string, fields ...string) []byte {
	return []byte(fmt.Sprintf(`{"type":"record","name":%q,"namespace":"magnetar.test","fields":[%s]}`,
		name, strings.Join(fields, ",")))
}

const (
	fName        = `{"name":"name","type":"string"}`
	fAgeInt      = `{"name":"age","type":"int"}`
	fAgeIntDef   = `{"name":"age","type":"int","default":0}`
	fAgeLong     = `{"name":"age","type":"long"}`
	fAgeString   = `{"name":"age","type":"string"}`
	fAgeNullable = `{"name":"age","type":["null","int"],"default":null}`
	fEmailDef    = `{"name":"email","type":"string","default":""}`
)

func avroInfo(fields ...string) SchemaInfo {
	return SchemaInfo{Type: Avro, Data: avroRecord("User", fields...)}
}

// TestAvroEvolution walks the classic Avro changes through every strategy; each expectation
// follows from Avro's resolution rules (a reader's field missing from the writer needs a
// default; writers' extra fields are skipped; int promotes to long, not back).
func TestAvroEvolution(t *testing.T) {
	base := avroInfo(fName, fAgeInt)
	changes := []struct {
		name string
		next SchemaInfo
		// compatible under BACKWARD (new reads old) and FORWARD (old reads new)
		backward, forward bool
	}{
		{"identical", avroInfo(fName, fAgeInt), true, true},
		{"field added with default", avroInfo(fName, fAgeInt, fEmailDef), true, true},
		{"field added without default", avroInfo(fName, fAgeInt, `{"name":"email","type":"string"}`), false, true},
		{"field removed (old had no default)", avroInfo(fName), true, false},
		{"type promoted int to long", avroInfo(fName, fAgeLong), true, false},
		{"type changed int to string", avroInfo(fName, fAgeString), false, false},
		{"field made nullable", avroInfo(fName, fAgeNullable), true, false},
		{"record renamed", SchemaInfo{Type: Avro, Data: avroRecord("Person", fName, fAgeInt)}, false, false},
	}
	for _, c := range changes {
		for _, s := range []Strategy{AlwaysCompatible, AlwaysIncompatible, Backward, Forward, Full,
			BackwardTransitive, ForwardTransitive, FullTransitive, Undefined} {
			want := map[Strategy]bool{
				AlwaysCompatible:   true,
				AlwaysIncompatible: c.name == "identical",
				Backward:           c.backward, BackwardTransitive: c.backward,
				Forward: c.forward, ForwardTransitive: c.forward,
				Full: c.backward && c.forward, FullTransitive: c.backward && c.forward,
				Undefined: c.backward && c.forward, // FULL, Pulsar's default
			}[s]
			t.Run(c.name+"/"+s.String(), func(t *testing.T) {
				err := checkCompatible([]SchemaInfo{base}, c.next, s)
				assertCompat(t, err, want)
			})
		}
	}
}

// TestAvroReverseChanges covers the mirror images: removing a field that had a default and
// narrowing long to int.
func TestAvroReverseChanges(t *testing.T) {
	cases := []struct {
		name       string
		old, next  SchemaInfo
		s          Strategy
		compatible bool
	}{
		{"remove defaulted field, FORWARD", avroInfo(fName, fAgeIntDef), avroInfo(fName), Forward, true},
		{"remove defaulted field, FULL", avroInfo(fName, fAgeIntDef), avroInfo(fName), Full, true},
		{"add defaulted field, FULL", avroInfo(fName), avroInfo(fName, fAgeIntDef), Full, true},
		{"long to int, FORWARD", avroInfo(fName, fAgeLong), avroInfo(fName, fAgeInt), Forward, true},
		{"long to int, BACKWARD", avroInfo(fName, fAgeLong), avroInfo(fName, fAgeInt), Backward, false},
		{"docs only differ, ALWAYS_INCOMPATIBLE", avroInfo(fName),
			SchemaInfo{Type: Avro, Data: []byte(`{"type":"record","name":"User","namespace":"magnetar.test","doc":"people",
			"fields":[{"name":"name","type":"string"}]}`)}, AlwaysIncompatible, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertCompat(t, checkCompatible([]SchemaInfo{c.old}, c.next, c.s), c.compatible)
		})
	}
}

// TestTransitive: v1 {name}, v2 {name, age default 0}. A v3 with age and no default reads
// v2 but not v1; a v3 without age is read by v2 (default) but not... by v1 it is (v1 has no
// age). The transitive strategies must look past the latest version.
func TestTransitive(t *testing.T) {
	history := []SchemaInfo{avroInfo(fName), avroInfo(fName, fAgeIntDef)}
	forwardHistory := []SchemaInfo{avroInfo(fName, fAgeInt), avroInfo(fName, fAgeIntDef)}
	cases := []struct {
		name       string
		history    []SchemaInfo
		next       SchemaInfo
		s          Strategy
		compatible bool
	}{
		{"age without default, BACKWARD", history, avroInfo(fName, fAgeInt), Backward, true},
		{"age without default, BACKWARD_TRANSITIVE", history, avroInfo(fName, fAgeInt), BackwardTransitive, false},
		{"age without default, FULL", history, avroInfo(fName, fAgeInt), Full, true},
		{"age without default, FULL_TRANSITIVE", history, avroInfo(fName, fAgeInt), FullTransitive, false},
		{"drop age, FORWARD", forwardHistory, avroInfo(fName), Forward, true},
		{"drop age, FORWARD_TRANSITIVE", forwardHistory, avroInfo(fName), ForwardTransitive, false},
		{"email with default, FULL_TRANSITIVE", history, avroInfo(fName, fAgeIntDef, fEmailDef), FullTransitive, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertCompat(t, checkCompatible(c.history, c.next, c.s), c.compatible)
		})
	}
}

// TestTypeChange: changing the schema type is refused by every strategy but
// ALWAYS_COMPATIBLE, with Pulsar's message.
func TestTypeChange(t *testing.T) {
	for _, s := range []Strategy{AlwaysIncompatible, Backward, Forward, Full, BackwardTransitive, FullTransitive} {
		err := checkCompatible([]SchemaInfo{avroInfo(fName)}, SchemaInfo{Type: JSON, Data: avroRecord("User", fName)}, s)
		assertCompat(t, err, false)
		if want := "Incompatible schema: exists schema type AVRO, new schema type JSON"; err == nil || err.Error() != want {
			t.Errorf("%s: message %v, want %q", s, err, want)
		}
	}
	assertCompat(t, checkCompatible([]SchemaInfo{{Type: String}}, SchemaInfo{Type: Int32}, AlwaysCompatible), true)
}

// TestPrimitives: every primitive type is compatible with itself and nothing else.
func TestPrimitives(t *testing.T) {
	prims := []Type{String, Bool, Int8, Int16, Int32, Int64, Float, Double, Date, Time, Timestamp,
		Instant, LocalDate, LocalTime, LocalDateTime}
	for _, a := range prims {
		for _, b := range prims {
			t.Run(a.String()+"->"+b.String(), func(t *testing.T) {
				err := checkCompatible([]SchemaInfo{{Type: a}}, SchemaInfo{Type: b}, Full)
				assertCompat(t, err, a == b)
			})
		}
		if err := Validate(SchemaInfo{Type: a, Data: []byte("x")}); !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("%s with data: %v, want ErrInvalidSchema", a, err)
		}
		// The same type again under ALWAYS_INCOMPATIBLE: identical, so accepted.
		if err := checkCompatible([]SchemaInfo{{Type: a}}, SchemaInfo{Type: a}, AlwaysIncompatible); err != nil {
			t.Errorf("%s identical under ALWAYS_INCOMPATIBLE: %v", a, err)
		}
	}
}

// TestJSONAndProtobuf: JSON and PROTOBUF schemas are Avro definitions and follow Avro's
// rules; legacy JSON-Schema definitions of old clients follow Pulsar's id rule.
func TestJSONAndProtobuf(t *testing.T) {
	for _, typ := range []Type{JSON, Protobuf} {
		old := SchemaInfo{Type: typ, Data: avroRecord("User", fName)}
		added := SchemaInfo{Type: typ, Data: avroRecord("User", fName, `{"name":"email","type":"string"}`)}
		assertCompat(t, checkCompatible([]SchemaInfo{old}, added, Forward), true)
		assertCompat(t, checkCompatible([]SchemaInfo{old}, added, Backward), false)
	}
	legacy := func(id string) SchemaInfo {
		return SchemaInfo{Type: JSON, Data: []byte(`{"type":"object","id":"` + id + `","properties":{"name":{"type":"string"}}}`)}
	}
	if err := Validate(legacy("urn:a")); err != nil {
		t.Fatalf("legacy JSON schema refused: %v", err)
	}
	assertCompat(t, checkCompatible([]SchemaInfo{legacy("urn:a")}, legacy("urn:a"), Full), true)
	assertCompat(t, checkCompatible([]SchemaInfo{legacy("urn:a")}, legacy("urn:b"), Full), false)
	avroJSON := SchemaInfo{Type: JSON, Data: avroRecord("User", fName)}
	assertCompat(t, checkCompatible([]SchemaInfo{legacy("urn:a")}, avroJSON, Full), true)
	assertCompat(t, checkCompatible([]SchemaInfo{avroJSON}, legacy("urn:a"), Full), true)
	if err := Validate(SchemaInfo{Type: Avro, Data: []byte(`{"type":"object","id":"x"}`)}); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("legacy JSON-Schema as AVRO: %v, want ErrInvalidSchema", err)
	}
}

// protoNative returns the PROTOBUF_NATIVE schema the official Go client sends for msg.
func protoNative(msg proto.Message) SchemaInfo {
	si := pulsar.NewProtoNativeSchemaWithMessage(msg, nil).GetSchemaInfo()
	return SchemaInfo{Name: si.Name, Type: ProtobufNative, Data: []byte(si.Schema)}
}

// protoNativeVariant changes a file option of a PROTOBUF_NATIVE definition, keeping its root.
func protoNativeVariant(t *testing.T, info SchemaInfo) SchemaInfo {
	t.Helper()
	var d protoNativeData
	var set descriptorpb.FileDescriptorSet
	if err := json.Unmarshal(info.Data, &d); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(d.FileDescriptorSet, &set); err != nil {
		t.Fatal(err)
	}
	set.File[0].Options = &descriptorpb.FileOptions{JavaPackage: proto.String("variant")}
	var err error
	if d.FileDescriptorSet, err = proto.Marshal(&set); err != nil {
		t.Fatal(err)
	}
	if info.Data, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	return info
}

// TestProtobufNative: Pulsar's default check lets anything through but a change of the root
// message, and refuses under ALWAYS_INCOMPATIBLE.
func TestProtobufNative(t *testing.T) {
	a := protoNative(&descriptorpb.DescriptorProto{})
	b := protoNative(&descriptorpb.FieldDescriptorProto{})
	if err := Validate(a); err != nil {
		t.Fatalf("client's schema refused: %v", err)
	}
	// Same root message, another definition: a file option changed.
	a2 := protoNativeVariant(t, a)
	if sameSchema(a, a2) {
		t.Fatal("variant is the same schema")
	}
	for _, s := range []Strategy{Backward, Forward, Full, BackwardTransitive, ForwardTransitive, FullTransitive} {
		assertCompat(t, checkCompatible([]SchemaInfo{a}, a2, s), true)
		err := checkCompatible([]SchemaInfo{a}, b, s)
		assertCompat(t, err, false)
		if err != nil && err.Error() != "Protobuf root message isn't allow change!" {
			t.Errorf("message %q", err)
		}
	}
	assertCompat(t, checkCompatible([]SchemaInfo{a}, b, AlwaysCompatible), true)
	assertCompat(t, checkCompatible([]SchemaInfo{a}, a2, AlwaysIncompatible), false)
	bad := SchemaInfo{Type: ProtobufNative, Data: []byte(`{"fileDescriptorSet":"AAEC","rootMessageTypeName":"x.Y"}`)}
	if err := Validate(bad); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("broken descriptor: %v, want ErrInvalidSchema", err)
	}
}

func kv(t *testing.T, key, value SchemaInfo) SchemaInfo {
	t.Helper()
	info, err := NewKeyValue("kv", key, value, KVEncodingSeparate)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestKeyValue: key and value are checked apart with their own rules; their types must
// stay.
func TestKeyValue(t *testing.T) {
	str := SchemaInfo{Type: String}
	old := kv(t, str, avroInfo(fName))
	cases := []struct {
		name       string
		next       SchemaInfo
		s          Strategy
		compatible bool
	}{
		{"same", kv(t, str, avroInfo(fName)), AlwaysIncompatible, true},
		{"value gains defaulted field", kv(t, str, avroInfo(fName, fAgeIntDef)), Full, true},
		{"value gains field without default, BACKWARD", kv(t, str, avroInfo(fName, fAgeInt)), Backward, false},
		{"value gains field without default, FORWARD", kv(t, str, avroInfo(fName, fAgeInt)), Forward, true},
		{"key type changes", kv(t, SchemaInfo{Type: Int64}, avroInfo(fName)), Full, false},
		{"value type changes", kv(t, str, SchemaInfo{Type: JSON, Data: avroRecord("User", fName)}), Full, false},
		{"key type changes, ALWAYS_COMPATIBLE", kv(t, SchemaInfo{Type: Int64}, avroInfo(fName)), AlwaysCompatible, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Validate(c.next); err != nil {
				t.Fatalf("valid key/value schema refused: %v", err)
			}
			assertCompat(t, checkCompatible([]SchemaInfo{old}, c.next, c.s), c.compatible)
		})
	}
	broken := kv(t, str, SchemaInfo{Type: Avro, Data: []byte(`{"type":"record"}`)})
	if err := Validate(broken); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("KEY_VALUE with broken Avro value: %v, want ErrInvalidSchema", err)
	}
	if err := Validate(SchemaInfo{Type: KeyValue, Data: []byte{0, 0, 0, 9, 'x'}}); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("truncated KEY_VALUE data: %v, want ErrInvalidSchema", err)
	}
}

// TestConsumerChecks follows Pulsar's checkConsumerCompatibility: the consumer's schema must
// read the latest version (BACKWARD) under BACKWARD, FORWARD, FORWARD_TRANSITIVE and FULL,
// and every version under the strict transitive ones.
func TestConsumerChecks(t *testing.T) {
	history := []SchemaInfo{avroInfo(fName), avroInfo(fName, fAgeInt)}
	cases := []struct {
		name       string
		consumer   SchemaInfo
		s          Strategy
		compatible bool
	}{
		{"latest schema, FULL", avroInfo(fName, fAgeInt), Full, true},
		{"reads latest but not first, FORWARD", avroInfo(fName, fAgeInt), Forward, true},
		{"reads latest but not first, BACKWARD_TRANSITIVE", avroInfo(fName, fAgeInt), BackwardTransitive, false},
		{"older reader skips age, BACKWARD", avroInfo(fName), Backward, true},
		{"needs missing field, FULL", avroInfo(fName, fAgeInt, `{"name":"x","type":"int"}`), Full, false},
		{"needs missing field, ALWAYS_COMPATIBLE", avroInfo(fName, fAgeInt, `{"name":"x","type":"int"}`), AlwaysCompatible, true},
		{"other type, FULL", SchemaInfo{Type: String}, Full, false},
		{"latest schema, ALWAYS_INCOMPATIBLE", avroInfo(fName, fAgeInt), AlwaysIncompatible, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertCompat(t, checkConsumer(history, c.consumer, c.s), c.compatible)
		})
	}
}

func TestParseStrategy(t *testing.T) {
	cases := map[string]Strategy{
		"": Undefined, "UNDEFINED": Undefined, "FULL": Full, "full": Full, "Full": Full,
		"ALWAYS_INCOMPATIBLE": AlwaysIncompatible, "AutoUpdateDisabled": AlwaysIncompatible,
		"AlwaysCompatible": AlwaysCompatible, "BACKWARD_TRANSITIVE": BackwardTransitive,
		"BackwardTransitive": BackwardTransitive, "FORWARD_TRANSITIVE": ForwardTransitive,
		"FullTransitive": FullTransitive, "Forward": Forward, "BACKWARD": Backward,
	}
	for in, want := range cases {
		got, err := ParseStrategy(in)
		if err != nil || got != want {
			t.Errorf("ParseStrategy(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseStrategy("SOMETIMES"); err == nil {
		t.Error("ParseStrategy accepted SOMETIMES")
	}
	if Undefined.Effective() != Full || Resolve(Undefined, Backward, Forward) != Backward || Resolve() != Full {
		t.Error("Undefined must resolve to the next level, in the end FULL")
	}
}

func TestTypes(t *testing.T) {
	for n := int32(0); n <= 22; n++ {
		typ, ok := FromProtocol(n)
		if !ok || int32(typ) != n {
			t.Errorf("FromProtocol(%d) = %v, %v", n, typ, ok)
		}
		back, err := ParseType(typ.String())
		if err != nil || back != typ {
			t.Errorf("ParseType(%q) = %v, %v", typ.String(), back, err)
		}
	}
	for n, want := range map[int32]Type{-1: Bytes, -3: AutoConsume, -4: AutoPublish} {
		if got, ok := FromProtocol(n); !ok || got != want {
			t.Errorf("FromProtocol(%d) = %v, %v; want %v", n, got, ok, want)
		}
	}
	if _, ok := FromProtocol(99); ok {
		t.Error("FromProtocol(99) accepted")
	}
	names := map[Type]string{KeyValue: "KEY_VALUE", Avro: "AVRO", ProtobufNative: "PROTOBUF_NATIVE",
		Bool: "BOOLEAN", LocalDateTime: "LOCAL_DATE_TIME", Bytes: "BYTES"}
	for typ, want := range names {
		if typ.String() != want {
			t.Errorf("%d.String() = %q, want %q", typ, typ.String(), want)
		}
	}
}

func TestParseTopic(t *testing.T) {
	cases := map[string]string{
		"persistent://t/ns/orders":             "t/ns/orders",
		"non-persistent://t/ns/orders":         "t/ns/orders",
		"persistent://t/ns/orders-partition-3": "t/ns/orders",
		"t/ns/orders-partition-12":             "t/ns/orders",
		"orders":                               "public/default/orders",
		"persistent://t/ns/orders-partition-x": "t/ns/orders-partition-x",
		"persistent://public/default/a/b":      "public/default/a/b",
		"persistent://t/ns/my-partition-topic": "t/ns/my-partition-topic",
		"persistent://t/ns/-partition-1":       "t/ns/-partition-1",
	}
	for in, want := range cases {
		id, err := ParseTopic(in)
		if err != nil || id.String() != want {
			t.Errorf("ParseTopic(%q) = %v, %v; want %s", in, id, err, want)
		}
	}
	for _, bad := range []string{"http://t/ns/x", "t/ns", "t//x", "persistent://t/ns/", "../ns/x", "t/ns/.."} {
		if _, err := ParseTopic(bad); err == nil {
			t.Errorf("ParseTopic(%q) accepted", bad)
		}
	}
}

func assertCompat(t *testing.T, err error, compatible bool) {
	t.Helper()
	switch {
	case compatible && err != nil:
		t.Errorf("want compatible, got %v", err)
	case !compatible && err == nil:
		t.Error("want incompatible, got nil")
	case !compatible && !errors.Is(err, ErrIncompatible):
		t.Errorf("want ErrIncompatible, got %v", err)
	}
}
