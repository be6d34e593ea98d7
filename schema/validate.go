package schema

import "fmt"

// Validate checks that a schema's definition is well formed for its type, as Pulsar's
// SchemaDataValidator does before storing or comparing it. The error is ErrInvalidSchema
// with Pulsar's message.
func Validate(info SchemaInfo) error {
	switch t := info.Type; {
	case t.isAvroBased():
		if _, err := parseAvro(info.Data); err != nil {
			if _, legacy := legacyJSONSchema(info.Data); t == JSON && legacy {
				return nil
			}
			return invalid(fmt.Sprintf("Invalid schema definition data for %s schema: %v", t, err))
		}
	case t == ProtobufNative:
		if _, err := protoNativeRoot(info.Data); err != nil {
			return invalid(fmt.Sprintf("Invalid schema definition data for ProtobufNative schema: %v", err))
		}
	case t == String:
		// Pulsar's Python client sends "null" as the definition of a string schema.
		if len(info.Data) > 0 && string(info.Data) != "null" {
			return invalid(fmt.Sprintf("Invalid schema definition data for string schema : '%s'", info.Data))
		}
	case t == KeyValue:
		key, value, err := SplitKeyValue(info)
		if err != nil {
			return err
		}
		if err := Validate(key); err != nil {
			return err
		}
		return Validate(value)
	case t.carriesNoSchema():
		// NONE and BYTES are never stored.
	case t.IsPrimitive():
		if len(info.Data) > 0 {
			return invalid(fmt.Sprintf("Invalid schema definition data for primitive schemas : "+
				"length of schema data should be zero, but %d bytes is found", len(info.Data)))
		}
	case t == AutoConsume || t == AutoPublish:
		return invalid(fmt.Sprintf("Schema %s is a client-side schema type", t))
	case t == External:
	default:
		return invalid(fmt.Sprintf("Unknown schema type : %s", t))
	}
	return nil
}
