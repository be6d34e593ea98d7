package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/magnetar/magnetar/wire/pb"
)

// BatchFunc receives message i of an entry: its raw SingleMessageMetadata
// (nil for a non-batched entry) and its data. Both alias the payload.
type BatchFunc func(i int, smm []byte, data []byte) error

// ForEachInBatch calls fn for each message of an uncompressed payload (see
// Decompress). A non-batched entry (num_messages_in_batch absent) is one
// message with no SingleMessageMetadata. A batch is
//
//	num_messages_in_batch × [uint32 smmSize][SingleMessageMetadata][payload_size bytes]
//
// Bytes after the last message are ignored, as clients do. An error from fn
// stops the walk and is returned as is.
func ForEachInBatch(meta *pb.MessageMetadata, payload []byte, fn BatchFunc) error {
	return forEachInBatch(meta.NumMessagesInBatch != nil, meta.GetNumMessagesInBatch(), payload, fn)
}

// ForEachInBatch is ForEachInBatch for a scanned entry.
func (s *MetaSummary) ForEachInBatch(payload []byte, fn BatchFunc) error {
	return forEachInBatch(s.HasNumMessagesInBatch, s.NumMessagesInBatch, payload, fn)
}

func forEachInBatch(batched bool, n int32, payload []byte, fn BatchFunc) error {
	if !batched {
		return fn(0, nil, payload)
	}
	if n < 0 {
		return fmt.Errorf("%w: num_messages_in_batch %d", ErrMalformed, n)
	}
	b := payload
	for i := 0; i < int(n); i++ {
		if len(b) < 4 {
			return fmt.Errorf("%w: batch message %d of %d: size truncated", ErrMalformed, i, n)
		}
		size := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(size) > uint64(len(b)) {
			return fmt.Errorf("%w: batch message %d of %d: metadata size %d > %d remaining", ErrMalformed, i, n, size, len(b))
		}
		smm := b[:size]
		b = b[size:]
		ss, err := ScanSingleMetadata(smm)
		if err != nil {
			return fmt.Errorf("batch message %d of %d: %w", i, n, err)
		}
		if ss.PayloadSize < 0 || int64(ss.PayloadSize) > int64(len(b)) {
			return fmt.Errorf("%w: batch message %d of %d: payload_size %d with %d remaining", ErrMalformed, i, n, ss.PayloadSize, len(b))
		}
		data := b[:ss.PayloadSize]
		b = b[ss.PayloadSize:]
		if err := fn(i, smm, data); err != nil {
			return err
		}
	}
	return nil
}
