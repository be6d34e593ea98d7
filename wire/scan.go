package wire

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/magnetar/magnetar/wire/pb"
)

// MetaSummary is what the broker needs from an entry's MessageMetadata,
// read without unmarshalling. Byte-slice fields alias the scanned buffer.
// Field semantics follow proto.Unmarshal: the last occurrence of a field
// wins, enum values are kept even if unknown (Go enums are open), fields with an unexpected wire
// type are skipped as unknown.
type MetaSummary struct {
	ProducerName []byte
	SequenceID   uint64
	PublishTime  uint64 // ms since epoch

	// HasNumMessagesInBatch marks a batch entry (even a batch of one).
	HasNumMessagesInBatch bool
	NumMessagesInBatch    int32 // 1 unless present

	HighestSequenceID uint64
	EventTime         uint64
	HasDeliverAtTime  bool
	DeliverAtTime     int64 // ms since epoch; delayed delivery
	HasMarkerType     bool
	MarkerType        int32

	PartitionKey           []byte
	PartitionKeyB64Encoded bool
	NullPartitionKey       bool
	OrderingKey            []byte
	NullValue              bool
	ReplicatedFrom         []byte
	SchemaVersion          []byte

	Compression      pb.CompressionType
	UncompressedSize uint32

	// Chunking: HasChunk is set when uuid or any chunk field is present.
	HasChunk          bool
	UUID              []byte
	NumChunksFromMsg  int32
	TotalChunkMsgSize int32
	ChunkID           int32

	HasTxn         bool
	TxnidLeastBits uint64
	TxnidMostBits  uint64

	NumProperties int
	Encrypted     bool // encryption_keys or encryption_param present

	// Layout of the scanned headersAndPayload.
	BrokerEntryMetadata []byte // raw, nil if absent
	Checksum            uint32 // as stored; not verified by ScanMetadata
	MetadataOffset      int    // where the MessageMetadata bytes start
	MetadataSize        int
	PayloadOffset       int // where the (possibly compressed) payload starts
}

// Batched reports whether the entry is a batch.
func (s *MetaSummary) Batched() bool { return s.HasNumMessagesInBatch }

// NumMessages is the message count of the entry: NumMessagesInBatch for a
// batch, else 1 (the producer's value, not validated).
func (s *MetaSummary) NumMessages() int {
	if s.HasNumMessagesInBatch {
		return int(s.NumMessagesInBatch)
	}
	return 1
}

// StickyKey is the key Key_Shared routes by: the ordering key if set, else
// the partition key (nil if neither).
func (s *MetaSummary) StickyKey() []byte {
	if len(s.OrderingKey) > 0 {
		return s.OrderingKey
	}
	return s.PartitionKey
}

// ScanMetadata reads the MessageMetadata of headersAndPayload (optionally
// preceded by broker entry metadata) without allocating. It checks the
// magic, sizes and required fields (producer_name, sequence_id,
// publish_time) but not the CRC: call VerifyChecksum for that.
func ScanMetadata(headersAndPayload []byte) (MetaSummary, error) {
	var s MetaSummary
	sec, err := splitSection(headersAndPayload)
	if err != nil {
		return s, err
	}
	if hasMagic(headersAndPayload, MagicBrokerEntryMetadata) {
		s.BrokerEntryMetadata, _, _ = SplitBrokerEntryMetadata(headersAndPayload)
	}
	s.Checksum = sec.checksum
	s.MetadataOffset, s.MetadataSize = sec.metaOff, len(sec.meta)
	s.PayloadOffset = sec.metaOff + len(sec.meta)
	s.NumMessagesInBatch = 1
	if err := s.scan(sec.meta); err != nil {
		return MetaSummary{}, err
	}
	return s, nil
}

// Field numbers of MessageMetadata.
const (
	mmProducerName      = 1
	mmSequenceID        = 2
	mmPublishTime       = 3
	mmProperties        = 4
	mmReplicatedFrom    = 5
	mmPartitionKey      = 6
	mmCompression       = 8
	mmUncompressedSize  = 9
	mmNumMessages       = 11
	mmEventTime         = 12
	mmEncryptionKeys    = 13
	mmEncryptionParam   = 15
	mmSchemaVersion     = 16
	mmPartitionKeyB64   = 17
	mmOrderingKey       = 18
	mmDeliverAtTime     = 19
	mmMarkerType        = 20
	mmTxnLeast          = 22
	mmTxnMost           = 23
	mmHighestSequenceID = 24
	mmNullValue         = 25
	mmUUID              = 26
	mmNumChunks         = 27
	mmTotalChunkSize    = 28
	mmChunkID           = 29
	mmNullPartitionKey  = 30
)

func (s *MetaSummary) scan(b []byte) error {
	var haveName, haveSeq, haveTime bool
	for len(b) > 0 {
		num, wt, n, err := consumeTag(b)
		if err != nil {
			return fmt.Errorf("%w: message metadata tag: %v", ErrMalformed, err)
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch wt {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: message metadata field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		isVarint, isBytes := wt == protowire.VarintType, wt == protowire.BytesType
		switch {
		case num == mmProducerName && isBytes:
			s.ProducerName, haveName = bs, true
		case num == mmSequenceID && isVarint:
			s.SequenceID, haveSeq = v, true
		case num == mmPublishTime && isVarint:
			s.PublishTime, haveTime = v, true
		case num == mmProperties && isBytes:
			if err := checkPair(bs, false); err != nil {
				return fmt.Errorf("message metadata property: %w", err)
			}
			s.NumProperties++
		case num == mmReplicatedFrom && isBytes:
			s.ReplicatedFrom = bs
		case num == mmPartitionKey && isBytes:
			s.PartitionKey = bs
		case num == mmCompression && isVarint:
			s.Compression = pb.CompressionType(int32(v)) // may be unknown: Decompress rejects it
		case num == mmUncompressedSize && isVarint:
			s.UncompressedSize = uint32(v)
		case num == mmNumMessages && isVarint:
			s.NumMessagesInBatch, s.HasNumMessagesInBatch = int32(v), true
		case num == mmEventTime && isVarint:
			s.EventTime = v
		case num == mmEncryptionKeys && isBytes:
			if err := checkPair(bs, true); err != nil {
				return fmt.Errorf("message metadata encryption key: %w", err)
			}
			s.Encrypted = true
		case num == mmEncryptionParam && isBytes:
			s.Encrypted = true
		case num == mmSchemaVersion && isBytes:
			s.SchemaVersion = bs
		case num == mmPartitionKeyB64 && isVarint:
			s.PartitionKeyB64Encoded = protowire.DecodeBool(v)
		case num == mmOrderingKey && isBytes:
			s.OrderingKey = bs
		case num == mmDeliverAtTime && isVarint:
			s.DeliverAtTime, s.HasDeliverAtTime = int64(v), true
		case num == mmMarkerType && isVarint:
			s.MarkerType, s.HasMarkerType = int32(v), true
		case num == mmTxnLeast && isVarint:
			s.TxnidLeastBits, s.HasTxn = v, true
		case num == mmTxnMost && isVarint:
			s.TxnidMostBits, s.HasTxn = v, true
		case num == mmHighestSequenceID && isVarint:
			s.HighestSequenceID = v
		case num == mmNullValue && isVarint:
			s.NullValue = protowire.DecodeBool(v)
		case num == mmUUID && isBytes:
			s.UUID, s.HasChunk = bs, true
		case num == mmNumChunks && isVarint:
			s.NumChunksFromMsg, s.HasChunk = int32(v), true
		case num == mmTotalChunkSize && isVarint:
			s.TotalChunkMsgSize, s.HasChunk = int32(v), true
		case num == mmChunkID && isVarint:
			s.ChunkID, s.HasChunk = int32(v), true
		case num == mmNullPartitionKey && isVarint:
			s.NullPartitionKey = protowire.DecodeBool(v)
		}
	}
	if !haveName || !haveSeq || !haveTime {
		return fmt.Errorf("%w: message metadata lacks a required field (producer_name %v, sequence_id %v, publish_time %v)",
			ErrMalformed, haveName, haveSeq, haveTime)
	}
	return nil
}

// SingleSummary is what ScanSingleMetadata reads from one batched
// message's SingleMessageMetadata. Byte slices alias the scanned buffer.
type SingleSummary struct {
	PayloadSize            int32
	PartitionKey           []byte
	PartitionKeyB64Encoded bool
	NullPartitionKey       bool
	OrderingKey            []byte
	CompactedOut           bool
	EventTime              uint64
	HasSequenceID          bool
	SequenceID             uint64
	NullValue              bool
	NumProperties          int
}

// StickyKey is the Key_Shared routing key of one batched message.
func (s *SingleSummary) StickyKey() []byte {
	if len(s.OrderingKey) > 0 {
		return s.OrderingKey
	}
	return s.PartitionKey
}

// Field numbers of SingleMessageMetadata.
const (
	smProperties       = 1
	smPartitionKey     = 2
	smPayloadSize      = 3
	smCompactedOut     = 4
	smEventTime        = 5
	smPartitionKeyB64  = 6
	smOrderingKey      = 7
	smSequenceID       = 8
	smNullValue        = 9
	smNullPartitionKey = 10
)

// ScanSingleMetadata reads a raw SingleMessageMetadata without allocating,
// requiring payload_size as proto.Unmarshal would.
func ScanSingleMetadata(b []byte) (SingleSummary, error) {
	var s SingleSummary
	havePayloadSize := false
	for len(b) > 0 {
		num, wt, n, err := consumeTag(b)
		if err != nil {
			return SingleSummary{}, fmt.Errorf("%w: single message metadata tag: %v", ErrMalformed, err)
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch wt {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return SingleSummary{}, fmt.Errorf("%w: single message metadata field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		isVarint, isBytes := wt == protowire.VarintType, wt == protowire.BytesType
		switch {
		case num == smProperties && isBytes:
			if err := checkPair(bs, false); err != nil {
				return SingleSummary{}, fmt.Errorf("single message metadata property: %w", err)
			}
			s.NumProperties++
		case num == smPartitionKey && isBytes:
			s.PartitionKey = bs
		case num == smPayloadSize && isVarint:
			s.PayloadSize, havePayloadSize = int32(v), true
		case num == smCompactedOut && isVarint:
			s.CompactedOut = protowire.DecodeBool(v)
		case num == smEventTime && isVarint:
			s.EventTime = v
		case num == smPartitionKeyB64 && isVarint:
			s.PartitionKeyB64Encoded = protowire.DecodeBool(v)
		case num == smOrderingKey && isBytes:
			s.OrderingKey = bs
		case num == smSequenceID && isVarint:
			s.SequenceID, s.HasSequenceID = v, true
		case num == smNullValue && isVarint:
			s.NullValue = protowire.DecodeBool(v)
		case num == smNullPartitionKey && isVarint:
			s.NullPartitionKey = protowire.DecodeBool(v)
		}
	}
	if !havePayloadSize {
		return SingleSummary{}, fmt.Errorf("%w: single message metadata lacks payload_size", ErrMalformed)
	}
	return s, nil
}

// checkPair validates a nested KeyValue (or, with nestedKV, EncryptionKeys,
// whose field 3 repeats KeyValue) the way proto.Unmarshal would: well-formed
// fields and the required fields 1 and 2 present.
func checkPair(b []byte, nestedKV bool) error {
	var have1, have2 bool
	for len(b) > 0 {
		num, wt, n, err := consumeTag(b)
		if err != nil {
			return fmt.Errorf("%w: tag: %v", ErrMalformed, err)
		}
		b = b[n:]
		if wt != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, wt, b); n < 0 {
				return fmt.Errorf("%w: field %d: %v", ErrMalformed, num, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		bs, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1:
			have1 = true
		case num == 2:
			have2 = true
		case num == 3 && nestedKV:
			if err := checkPair(bs, false); err != nil {
				return err
			}
		}
	}
	if !have1 || !have2 {
		return fmt.Errorf("%w: key/value lacks a required field", ErrMalformed)
	}
	return nil
}

// consumeTag is protowire.ConsumeTag that also rejects field numbers above
// protowire.MaxValidNumber, as proto.Unmarshal does.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int, error) {
	num, wt, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, n, protowire.ParseError(n)
	}
	if num > protowire.MaxValidNumber {
		return 0, 0, -1, fmt.Errorf("field number %d out of range", num)
	}
	return num, wt, n, nil
}
