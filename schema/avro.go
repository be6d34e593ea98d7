package schema

import (
	"encoding/json"
	"fmt"

	"github.com/hamba/avro/v2"
)

// parseAvro parses an Avro definition on its own: each parse gets a fresh name cache, so two
// versions of a record with the same name never see each other (avro.Parse would share its
// global cache across all topics).
func parseAvro(data []byte) (avro.Schema, error) {
	if !json.Valid(data) {
		return nil, fmt.Errorf("not a JSON document")
	}
	return avro.ParseBytesWithCache(data, "", &avro.SchemaCache{})
}

// checkAvro applies an Avro-resolution strategy between the new schema and existing ones
// (newest first). It assumes both sides parse; the caller validated them.
func checkAvro(existing []SchemaInfo, next SchemaInfo, s Strategy) error {
	if s == AlwaysCompatible || len(existing) == 0 {
		return nil
	}
	newSchema, err := parseAvro(next.Data)
	if err != nil {
		return incompatible("org.apache.avro.SchemaParseException: " + err.Error())
	}
	newReadsOld, oldReadsNew := s.directions()
	if !newReadsOld && !oldReadsNew { // ALWAYS_INCOMPATIBLE
		return avroRefusal(s, next, next, "the strategy refuses every new schema")
	}
	for _, old := range existing {
		oldSchema, err := parseAvro(old.Data)
		if err != nil {
			return incompatible("org.apache.avro.SchemaParseException: " + err.Error())
		}
		if newReadsOld {
			if err := avroReads(newSchema, oldSchema); err != nil {
				return avroRefusal(s, old, next, err.Error())
			}
		}
		if oldReadsNew {
			if err := avroReads(oldSchema, newSchema); err != nil {
				return avroRefusal(s, next, old, err.Error())
			}
		}
	}
	return nil
}

// avroReads reports whether reader can read data written with writer. Each check gets a
// fresh checker: hamba's caches results by canonical fingerprint, which ignores defaults, so
// a shared one would take {age:int} for {age:int, default 0}.
func avroReads(reader, writer avro.Schema) error {
	return avro.NewSchemaCompatibility().Compatible(reader, writer)
}

// avroRefusal words an Avro incompatibility as Pulsar does (AvroSchemaBasedCompatibilityCheck
// around Avro's SchemaValidationException), with the resolver's reason at the end.
func avroRefusal(s Strategy, writer, reader SchemaInfo, reason string) error {
	return incompatible(fmt.Sprintf("Error during schema compatibility check with strategy %s: "+
		"org.apache.avro.SchemaValidationException: Unable to read schema: \n%s\nusing schema:\n%s\n(%s)",
		s, writer.Data, reader.Data, reason))
}

// legacyJSONSchema reports a JSON schema in the format of Pulsar clients before 2.1 (a
// JSON-Schema document, not an Avro definition), and returns its "id".
func legacyJSONSchema(data []byte) (id string, ok bool) {
	var doc map[string]any
	if json.Unmarshal(data, &doc) != nil {
		return "", false
	}
	if _, err := parseAvro(data); err == nil {
		return "", false
	}
	if _, hasType := doc["type"]; !hasType {
		return "", false
	}
	id, _ = doc["id"].(string)
	return id, true
}

// checkJSON is checkAvro with Pulsar's allowance for legacy JSON-Schema definitions: moving
// between the legacy and the Avro format is allowed either way, and two legacy definitions
// are compatible when their ids match.
func checkJSON(existing []SchemaInfo, next SchemaInfo, s Strategy) error {
	if s == AlwaysCompatible {
		return nil
	}
	nextID, nextLegacy := legacyJSONSchema(next.Data)
	var avroOnes []SchemaInfo
	for _, old := range existing {
		oldID, oldLegacy := legacyJSONSchema(old.Data)
		switch {
		case oldLegacy && nextLegacy:
			if oldID != nextID {
				return incompatible(fmt.Sprintf("Incompatible Schema from %s + to %s", old.Data, next.Data))
			}
		case oldLegacy || nextLegacy:
			// a format change: Pulsar lets the new one overwrite the old
		default:
			avroOnes = append(avroOnes, old)
		}
	}
	if nextLegacy {
		return nil
	}
	return checkAvro(avroOnes, next, s)
}
