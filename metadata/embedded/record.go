package embedded

import (
	"encoding/binary"
	"fmt"

	"github.com/magnetar/magnetar/metadata"
)

// recordHeader is the size of a record's fixed part: version, created and modified
// times (Unix ms) and the owning session (0 for a persistent key), 8 bytes each, big
// endian; the value follows.
const recordHeader = 32

// record is one key's stored state.
type record struct {
	version  int64
	created  int64
	modified int64
	session  uint64
	value    []byte
}

func (r record) encode() []byte {
	b := make([]byte, recordHeader, recordHeader+len(r.value))
	binary.BigEndian.PutUint64(b[0:], uint64(r.version))
	binary.BigEndian.PutUint64(b[8:], uint64(r.created))
	binary.BigEndian.PutUint64(b[16:], uint64(r.modified))
	binary.BigEndian.PutUint64(b[24:], r.session)
	return append(b, r.value...)
}

// decodeRecord copies b (pebble owns it) into a record.
func decodeRecord(b []byte) (record, error) {
	if len(b) < recordHeader {
		return record{}, fmt.Errorf("corrupt record: %d bytes, want at least %d", len(b), recordHeader)
	}
	return record{
		version:  int64(binary.BigEndian.Uint64(b[0:])),
		created:  int64(binary.BigEndian.Uint64(b[8:])),
		modified: int64(binary.BigEndian.Uint64(b[16:])),
		session:  binary.BigEndian.Uint64(b[24:]),
		value:    append([]byte{}, b[recordHeader:]...),
	}, nil
}

func (r record) stat() metadata.Stat {
	return metadata.Stat{
		Version:    r.version,
		CreatedMs:  r.created,
		ModifiedMs: r.modified,
		Ephemeral:  r.session != 0,
	}
}
