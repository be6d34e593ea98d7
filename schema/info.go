package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// SchemaInfo is a schema as a client sends it: in CommandProducer.schema,
// CommandSubscribe.schema, CommandGetOrCreateSchema, or a REST upload.
type SchemaInfo struct {
	Name string
	Type Type
	// Data is the schema definition: an Avro record for AVRO, JSON and PROTOBUF, a
	// ProtobufNativeSchemaData JSON for PROTOBUF_NATIVE, the KeyValue encoding for
	// KEY_VALUE, empty for primitive types.
	Data       []byte
	Properties map[string]string
}

// Versioned is a registered schema with its version and registration time.
type Versioned struct {
	SchemaInfo
	Version   int64
	Timestamp int64 // Unix milliseconds
}

// NoVersion is the version of a producer that publishes without a schema; the broker sends
// it as empty schema_version bytes.
const NoVersion int64 = -1

// sameSchema reports whether b is a re-registration of a: same type and same definition.
// Avro-based definitions are compared as JSON documents with "doc" ignored (as Avro's
// Schema.equals does), so whitespace and key order do not make a new version;
// PROTOBUF_NATIVE ones by root message and files, whatever their order (the Go client lists
// the files in map order, so each process would otherwise register a new version);
// everything else is compared byte for byte (Pulsar compares SHA-256 hashes). Properties do not count,
// except the sides' types and the encoding of a KEY_VALUE schema, which are part of its
// definition (Pulsar overlooks them: a STRING key turned INT64 would pass as the same).
func sameSchema(a, b SchemaInfo) bool {
	if a.Type != b.Type {
		return false
	}
	if a.Type == KeyValue {
		return sameKVShape(a, b)
	}
	if bytes.Equal(a.Data, b.Data) {
		return true
	}
	if a.Type == ProtobufNative {
		return sameProtoNative(a.Data, b.Data)
	}
	if !a.Type.isAvroBased() {
		return false
	}
	var ja, jb any
	if json.Unmarshal(a.Data, &ja) != nil || json.Unmarshal(b.Data, &jb) != nil {
		return false
	}
	return reflect.DeepEqual(withoutDocs(ja), withoutDocs(jb))
}

// withoutDocs drops "doc" members from every object of a JSON document.
func withoutDocs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "doc" {
				out[k] = withoutDocs(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutDocs(e)
		}
		return out
	}
	return v
}

// sameKVShape compares what the properties of two KEY_VALUE schemas define.
func sameKVShape(a, b SchemaInfo) bool {
	ak, av, errA := SplitKeyValue(a)
	bk, bv, errB := SplitKeyValue(b)
	if errA != nil || errB != nil {
		return false
	}
	return ak.Type == bk.Type && av.Type == bv.Type &&
		a.Properties[PropKVEncoding] == b.Properties[PropKVEncoding] &&
		sameSchema(ak, bk) && sameSchema(av, bv)
}
