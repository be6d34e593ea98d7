package wire

import (
	"errors"

	"github.com/magnetar/magnetar/wire/pb"
)

// Frame is one decoded protocol frame.
type Frame struct {
	Cmd *pb.BaseCommand
	// Payload is the raw headersAndPayload after the command; empty for
	// simple commands. Stored entries are passed on verbatim.
	Payload []byte
}

// Type returns the command type, or 0 if the frame has no command.
func (f *Frame) Type() pb.BaseCommand_Type {
	if f.Cmd == nil {
		return 0
	}
	return f.Cmd.GetType()
}

const (
	// MagicCRC32C starts the checksummed metadata+payload section.
	MagicCRC32C uint16 = 0x0e01
	// MagicBrokerEntryMetadata starts the optional broker entry metadata
	// section that a broker may place before MagicCRC32C on delivery.
	MagicBrokerEntryMetadata uint16 = 0x0e02

	// DefaultMaxMessageSize is what clients assume when the broker
	// advertises no max_message_size (5 MiB).
	DefaultMaxMessageSize = 5 * 1024 * 1024
	// FramePadding is the allowance clients add to max_message_size for
	// the command and headers when checking an incoming frame's totalSize.
	FramePadding = 10 * 1024

	// KeyHashRange is the number of Key_Shared hash slots; a key's slot is
	// KeyHash(key) % KeyHashRange.
	KeyHashRange = 65536

	frameHeaderLen = 8 // totalSize + cmdSize
)

var (
	// ErrFrameTooLarge reports a frame whose totalSize exceeds the limit.
	ErrFrameTooLarge = errors.New("wire: frame too large")
	// ErrMalformed reports bytes that do not follow the protocol; errors
	// returned by decoders wrap it with details.
	ErrMalformed = errors.New("wire: malformed")
	// ErrChecksum reports a CRC32C mismatch over metadata and payload.
	ErrChecksum = errors.New("wire: checksum mismatch")
	// ErrUnsupportedCompression reports an unknown compression codec.
	ErrUnsupportedCompression = errors.New("wire: unsupported compression")
)
