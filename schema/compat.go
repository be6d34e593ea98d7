package schema

import (
	"fmt"
	"slices"
)

// checkCompatible decides whether next may follow history (oldest first, no tombstones)
// under strategy s, as Pulsar's SchemaRegistryServiceImpl does: non-transitive strategies
// look at the latest version only and accept an identical one outright; transitive ones
// look at every version, newest first. Types must match throughout, except under
// ALWAYS_COMPATIBLE, which accepts anything.
func checkCompatible(history []SchemaInfo, next SchemaInfo, s Strategy) error {
	s = s.Effective()
	if s == AlwaysCompatible || len(history) == 0 {
		return nil
	}
	against := []SchemaInfo{history[len(history)-1]}
	if s.transitive() {
		against = slices.Clone(history)
		slices.Reverse(against)
	}
	for _, old := range against {
		if old.Type != next.Type {
			return incompatible(fmt.Sprintf("Incompatible schema: exists schema type %s, new schema type %s",
				old.Type, next.Type))
		}
	}
	if !s.transitive() && sameSchema(against[0], next) {
		return nil
	}
	return checkByType(against, next, s)
}

// checkByType applies the type's own rules to schemas of the same type.
func checkByType(existing []SchemaInfo, next SchemaInfo, s Strategy) error {
	switch next.Type {
	case Avro, Protobuf:
		return checkAvro(existing, next, s)
	case JSON:
		return checkJSON(existing, next, s)
	case ProtobufNative:
		return checkProtoNative(existing, next, s)
	case KeyValue:
		return checkKeyValue(existing, next, s)
	}
	// Primitive and other types: the type match is all there is to check.
	if s == AlwaysIncompatible && len(existing) > 0 {
		return incompatible("Schema compatibility strategy is ALWAYS_INCOMPATIBLE")
	}
	return nil
}

// checkKeyValue checks key and value schemas apart; their types must not change.
func checkKeyValue(existing []SchemaInfo, next SchemaInfo, s Strategy) error {
	if s == AlwaysCompatible {
		return nil
	}
	nextKey, nextValue, err := SplitKeyValue(next)
	if err != nil {
		return err
	}
	var keys, values []SchemaInfo
	for _, old := range existing {
		if old.Type != KeyValue {
			return incompatible("From schema is not a KEY_VALUE schema.")
		}
		oldKey, oldValue, err := SplitKeyValue(old)
		if err != nil {
			return err
		}
		if oldKey.Type != nextKey.Type || oldValue.Type != nextValue.Type {
			return incompatible(fmt.Sprintf("Key schemas or Value schemas are different schema type, "+
				"from key schema type is %s and to key schema is %s, from value schema is %s and to value schema is %s",
				oldKey.Type, nextKey.Type, oldValue.Type, nextValue.Type))
		}
		keys = append(keys, oldKey)
		values = append(values, oldValue)
	}
	if err := checkByType(keys, nextKey, s); err != nil {
		return err
	}
	return checkByType(values, nextValue, s)
}

// checkConsumer decides whether a consumer with schema next may read a topic whose schema
// history is history, as Pulsar's checkConsumerCompatibility does: under BACKWARD, FORWARD,
// FORWARD_TRANSITIVE and FULL the consumer must read the latest version (a BACKWARD check);
// under the other strategies it is checked against every version with the topic's strategy.
func checkConsumer(history []SchemaInfo, next SchemaInfo, s Strategy) error {
	s = s.Effective()
	switch s {
	case AlwaysCompatible:
		return nil
	case Backward, Forward, ForwardTransitive, Full:
		return checkCompatible(history[len(history)-1:], next, Backward)
	}
	against := slices.Clone(history)
	slices.Reverse(against)
	for _, old := range against {
		if old.Type != next.Type {
			return incompatible(fmt.Sprintf("Incompatible schema: exists schema type %s, new schema type %s",
				old.Type, next.Type))
		}
	}
	return checkByType(against, next, s)
}
