package schema

import (
	"encoding/binary"
	"fmt"
)

// VersionBytes encodes a version as the protocol carries it (schema_version in
// CommandProducerSuccess, MessageMetadata and CommandGetSchema): 8 bytes big-endian, as
// Pulsar's LongSchemaVersion, and the Go client's HTTP lookup decodes them. NoVersion (or any
// negative version) is empty.
func VersionBytes(v int64) []byte {
	if v < 0 {
		return nil
	}
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

// ParseVersion decodes protocol version bytes; empty bytes are NoVersion (for GetSchema:
// "the latest").
func ParseVersion(b []byte) (int64, error) {
	switch len(b) {
	case 0:
		return NoVersion, nil
	case 8:
		v := int64(binary.BigEndian.Uint64(b))
		if v < 0 {
			return NoVersion, fmt.Errorf("schema: negative version %d", v)
		}
		return v, nil
	}
	return NoVersion, fmt.Errorf("schema: version is %d bytes, want 8", len(b))
}
