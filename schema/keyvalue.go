package schema

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// KeyValue schemas carry two schemas in one: Data is [keyLen][key][valueLen][value] with
// big-endian int32 lengths (-1 or 0 for none), and the properties name each side's type,
// name and properties. The encoding property says whether the key travels inside the
// payload (INLINE) or as the message key (SEPARATED).
const (
	PropKVEncoding     = "kv.encoding.type"
	PropKeyName        = "key.schema.name"
	PropKeyType        = "key.schema.type"
	PropKeyProperties  = "key.schema.properties"
	PropValName        = "value.schema.name"
	PropValType        = "value.schema.type"
	PropValProperties  = "value.schema.properties"
	KVEncodingInline   = "INLINE"
	KVEncodingSeparate = "SEPARATED"
)

// NewKeyValue builds a KEY_VALUE schema from its key and value schemas, as Pulsar's
// KeyValueSchemaInfo.encodeKeyValueSchemaInfo does. encoding is KVEncodingInline or
// KVEncodingSeparate.
func NewKeyValue(name string, key, value SchemaInfo, encoding string) (SchemaInfo, error) {
	kp, err := json.Marshal(nonNil(key.Properties))
	if err != nil {
		return SchemaInfo{}, fmt.Errorf("schema: key properties: %w", err)
	}
	vp, err := json.Marshal(nonNil(value.Properties))
	if err != nil {
		return SchemaInfo{}, fmt.Errorf("schema: value properties: %w", err)
	}
	return SchemaInfo{
		Name: name,
		Type: KeyValue,
		Data: encodeKV(key.Data, value.Data),
		Properties: map[string]string{
			PropKVEncoding: encoding,
			PropKeyName:    key.Name, PropKeyType: key.Type.String(), PropKeyProperties: string(kp),
			PropValName: value.Name, PropValType: value.Type.String(), PropValProperties: string(vp),
		},
	}, nil
}

// SplitKeyValue returns the key and value schemas of a KEY_VALUE schema. A side whose type
// property is missing is BYTES, as in Pulsar.
func SplitKeyValue(info SchemaInfo) (key, value SchemaInfo, err error) {
	if info.Type != KeyValue {
		return key, value, invalid(fmt.Sprintf("schema type %s is not KEY_VALUE", info.Type))
	}
	kd, vd, err := decodeKV(info.Data)
	if err != nil {
		return key, value, invalid("Invalid KeyValue schema data: " + err.Error())
	}
	if key, err = kvSide(info.Properties, PropKeyName, PropKeyType, PropKeyProperties, kd); err != nil {
		return key, value, err
	}
	value, err = kvSide(info.Properties, PropValName, PropValType, PropValProperties, vd)
	return key, value, err
}

func kvSide(props map[string]string, nameKey, typeKey, propsKey string, data []byte) (SchemaInfo, error) {
	side := SchemaInfo{Name: props[nameKey], Type: Bytes, Data: data}
	if s := props[typeKey]; s != "" {
		t, err := ParseType(s)
		if err != nil {
			return side, invalid(fmt.Sprintf("Invalid KeyValue schema: %s %q", typeKey, s))
		}
		side.Type = t
	}
	if s := props[propsKey]; s != "" {
		if err := json.Unmarshal([]byte(s), &side.Properties); err != nil {
			return side, invalid(fmt.Sprintf("Invalid KeyValue schema: %s is not a JSON object", propsKey))
		}
	}
	return side, nil
}

func encodeKV(key, value []byte) []byte {
	out := make([]byte, 0, 8+len(key)+len(value))
	out = binary.BigEndian.AppendUint32(out, uint32(len(key)))
	out = append(out, key...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(value)))
	return append(out, value...)
}

func decodeKV(data []byte) (key, value []byte, err error) {
	key, rest, err := kvPart(data)
	if err != nil {
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	value, rest, err = kvPart(rest)
	if err != nil {
		return nil, nil, fmt.Errorf("value: %w", err)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%d trailing bytes", len(rest))
	}
	return key, value, nil
}

func kvPart(b []byte) (part, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("truncated length")
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n <= 0 { // -1 marks an absent schema
		return nil, b, nil
	}
	if int64(n) > int64(len(b)) {
		return nil, nil, fmt.Errorf("length %d exceeds the %d bytes left", n, len(b))
	}
	return b[:n], b[n:], nil
}

// kvToREST renders KEY_VALUE data the way Pulsar's REST API shows it: a JSON object whose
// "key" and "value" are the sides' JSON definitions, or "" for primitive sides.
func kvToREST(info SchemaInfo) (string, error) {
	key, value, err := SplitKeyValue(info)
	if err != nil {
		return "", err
	}
	doc := struct {
		Key   json.RawMessage `json:"key"`
		Value json.RawMessage `json:"value"`
	}{restSide(key), restSide(value)}
	b, err := json.Marshal(doc)
	return string(b), err
}

func restSide(side SchemaInfo) json.RawMessage {
	if side.Type.IsPrimitive() || len(side.Data) == 0 {
		return json.RawMessage(`""`)
	}
	if json.Valid(side.Data) {
		var buf bytes.Buffer
		if json.Compact(&buf, side.Data) == nil {
			return buf.Bytes()
		}
	}
	s, _ := json.Marshal(string(side.Data))
	return s
}

// kvFromREST turns an uploaded KEY_VALUE definition, {"key": <def>, "value": <def>}, into
// the binary encoding. A side that is "" or null is empty; a side given as a JSON string is
// taken as the definition's text.
func kvFromREST(s string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, invalid("Invalid KeyValue schema definition: want {\"key\":...,\"value\":...}: " + err.Error())
	}
	k, err := restSideData(doc["key"])
	if err != nil {
		return nil, err
	}
	v, err := restSideData(doc["value"])
	if err != nil {
		return nil, err
	}
	return encodeKV(k, v), nil
}

func restSideData(raw json.RawMessage) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, invalid("Invalid KeyValue schema definition: " + err.Error())
		}
		return []byte(s), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, invalid("Invalid KeyValue schema definition: " + err.Error())
	}
	return buf.Bytes(), nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
