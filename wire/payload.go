package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the Castagnoli CRC Pulsar uses for payload checksums.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// SplitBrokerEntryMetadata separates an optional leading broker entry
// metadata section ([0x0e02][uint32 size][BrokerEntryMetadata]) from the
// rest. Without one, bem is nil and rest is headersAndPayload.
func SplitBrokerEntryMetadata(headersAndPayload []byte) (bem, rest []byte, err error) {
	if !hasMagic(headersAndPayload, MagicBrokerEntryMetadata) {
		return nil, headersAndPayload, nil
	}
	b := headersAndPayload[2:]
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: broker entry metadata size truncated", ErrMalformed)
	}
	size := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(size) > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: broker entry metadata size %d > %d remaining", ErrMalformed, size, len(b))
	}
	return b[:size], b[size:], nil
}

// ParseBrokerEntryMetadata decodes the broker entry metadata of
// headersAndPayload, or returns nil if it has none.
func ParseBrokerEntryMetadata(headersAndPayload []byte) (*pb.BrokerEntryMetadata, error) {
	if !hasMagic(headersAndPayload, MagicBrokerEntryMetadata) {
		return nil, nil
	}
	raw, _, err := SplitBrokerEntryMetadata(headersAndPayload)
	if err != nil {
		return nil, err
	}
	m := new(pb.BrokerEntryMetadata)
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("%w: broker entry metadata: %v", ErrMalformed, err)
	}
	return m, nil
}

// section is the checksummed part of headersAndPayload, split up.
type section struct {
	checksum uint32 // as stored
	covered  []byte // bytes the checksum covers: [metaSize][meta][payload]
	meta     []byte
	payload  []byte
	metaOff  int // offset of meta within headersAndPayload
}

// splitSection parses [bem?][0x0e01][crc][metaSize][meta][payload] without
// checking the CRC.
func splitSection(headersAndPayload []byte) (section, error) {
	_, b, err := SplitBrokerEntryMetadata(headersAndPayload)
	if err != nil {
		return section{}, err
	}
	if len(b) < 2+4+4 {
		return section{}, fmt.Errorf("%w: payload header truncated (%d bytes)", ErrMalformed, len(b))
	}
	if m := binary.BigEndian.Uint16(b); m != MagicCRC32C {
		return section{}, fmt.Errorf("%w: magic 0x%04x, want 0x%04x", ErrMalformed, m, MagicCRC32C)
	}
	s := section{checksum: binary.BigEndian.Uint32(b[2:]), covered: b[6:]}
	size := binary.BigEndian.Uint32(b[6:])
	rest := b[10:]
	if uint64(size) > uint64(len(rest)) {
		return section{}, fmt.Errorf("%w: metadata size %d > %d remaining", ErrMalformed, size, len(rest))
	}
	s.meta, s.payload = rest[:size], rest[size:]
	s.metaOff = len(headersAndPayload) - len(rest)
	return s, nil
}

// VerifyChecksum checks the magic and CRC32C of headersAndPayload (after
// any broker entry metadata), as a consumer will.
func VerifyChecksum(headersAndPayload []byte) error {
	s, err := splitSection(headersAndPayload)
	if err != nil {
		return err
	}
	return s.verify()
}

func (s section) verify() error {
	if got := CRC32C(s.covered); got != s.checksum {
		return fmt.Errorf("%w: stored 0x%08x, computed 0x%08x", ErrChecksum, s.checksum, got)
	}
	return nil
}

// ParsePayload verifies magic and CRC32C and decodes the MessageMetadata.
// payload aliases headersAndPayload and may be compressed and/or a batch.
func ParsePayload(headersAndPayload []byte) (meta *pb.MessageMetadata, payload []byte, err error) {
	s, err := splitSection(headersAndPayload)
	if err != nil {
		return nil, nil, err
	}
	if err := s.verify(); err != nil {
		return nil, nil, err
	}
	meta = new(pb.MessageMetadata)
	if err := proto.Unmarshal(s.meta, meta); err != nil {
		return nil, nil, fmt.Errorf("%w: message metadata: %v", ErrMalformed, err)
	}
	return meta, s.payload, nil
}

// AppendPayload appends the producer-side section
// [0x0e01][crc32c][metaSize][meta][payload] to dst, computing the checksum.
// It is what a client writes after a SEND command.
func AppendPayload(dst []byte, meta *pb.MessageMetadata, payload []byte) ([]byte, error) {
	size := proto.Size(meta)
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, MagicCRC32C)
	dst = binary.BigEndian.AppendUint32(dst, 0) // checksum, filled below
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	var err error
	if dst, err = marshalCached.MarshalAppend(dst, meta); err != nil {
		return dst[:start], fmt.Errorf("wire: marshal message metadata: %w", err)
	}
	dst = append(dst, payload...)
	binary.BigEndian.PutUint32(dst[start+2:], CRC32C(dst[start+6:]))
	return dst, nil
}

// NumMessages is the number of messages an entry holds: the batch size if
// num_messages_in_batch is present, else 1. The value is the producer's and
// is not validated; callers accounting permits must treat <= 0 themselves.
func NumMessages(meta *pb.MessageMetadata) int {
	if meta.NumMessagesInBatch != nil {
		return int(meta.GetNumMessagesInBatch())
	}
	return 1
}
