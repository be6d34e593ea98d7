package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

// Marshalling checks required fields (AllowPartial is false): a frame the
// client would reject and drop the connection over becomes an error here.
var marshalCached = proto.MarshalOptions{UseCachedSize: true}

// AppendCommand appends a simple frame carrying cmd to dst.
func AppendCommand(dst []byte, cmd *pb.BaseCommand) ([]byte, error) {
	return AppendPayloadCommand(dst, cmd, nil)
}

// AppendPayloadCommand appends a frame carrying cmd followed by
// headersAndPayload, which is copied through untouched (for MESSAGE, the
// stored entry as the producer framed it).
func AppendPayloadCommand(dst []byte, cmd *pb.BaseCommand, headersAndPayload []byte) ([]byte, error) {
	return appendFrame(dst, cmd, nil, headersAndPayload)
}

// AppendMessage appends a MESSAGE-style frame: cmd, then (if bem is not nil)
// the broker entry metadata section [0x0e02][size][bem], then the stored
// headersAndPayload untouched. A payload that already carries broker entry
// metadata is refused when bem is given, since clients read only one.
func AppendMessage(dst []byte, cmd *pb.BaseCommand, bem *pb.BrokerEntryMetadata, headersAndPayload []byte) ([]byte, error) {
	if bem != nil && hasMagic(headersAndPayload, MagicBrokerEntryMetadata) {
		return dst, fmt.Errorf("wire: append message: payload already has broker entry metadata")
	}
	return appendFrame(dst, cmd, bem, headersAndPayload)
}

func appendFrame(dst []byte, cmd *pb.BaseCommand, bem *pb.BrokerEntryMetadata, rest []byte) ([]byte, error) {
	if cmd == nil {
		return dst, fmt.Errorf("wire: append frame: nil command")
	}
	cmdSize := proto.Size(cmd)
	bemSize := 0
	if bem != nil {
		bemSize = proto.Size(bem)
	}
	total := 4 + cmdSize + len(rest)
	if bem != nil {
		total += 2 + 4 + bemSize
	}
	if total > math.MaxUint32 {
		return dst, fmt.Errorf("%w: frame of %d bytes does not fit a uint32", ErrFrameTooLarge, total)
	}
	start := len(dst)
	dst = slices.Grow(dst, 4+total)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(cmdSize))
	var err error
	if dst, err = marshalCached.MarshalAppend(dst, cmd); err != nil {
		return dst[:start], fmt.Errorf("wire: marshal %v: %w", cmd.GetType(), err)
	}
	if bem != nil {
		dst = binary.BigEndian.AppendUint16(dst, MagicBrokerEntryMetadata)
		dst = binary.BigEndian.AppendUint32(dst, uint32(bemSize))
		if dst, err = marshalCached.MarshalAppend(dst, bem); err != nil {
			return dst[:start], fmt.Errorf("wire: marshal broker entry metadata: %w", err)
		}
	}
	dst = append(dst, rest...)
	if got := len(dst) - start - 4; got != total {
		// Only possible if cmd was mutated concurrently with marshalling.
		return dst[:start], fmt.Errorf("wire: frame size changed while marshalling (%d != %d)", got, total)
	}
	return dst, nil
}

func hasMagic(b []byte, magic uint16) bool {
	return len(b) >= 2 && binary.BigEndian.Uint16(b) == magic
}
