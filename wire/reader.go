package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

// keepBufLimit bounds the buffers a Reader keeps between frames, so one
// large frame does not pin megabytes per idle connection.
const keepBufLimit = 64 * 1024

// Reader decodes frames from a stream (normally a bufio.Reader over a
// net.Conn). It is not safe for concurrent use.
//
// Ownership: everything ReadFrame puts in a Frame (Cmd, and Payload) is
// valid only until the next ReadFrame or ReadFrameOwned call on the same
// Reader; copy or proto.Clone what must live longer. ReadFrameOwned instead
// gives a freshly allocated Payload that the caller owns, which is how the
// broker receives SEND payloads it will store, without a second copy.
//
// After any error other than io.EOF the stream position is undefined: the
// connection should be closed.
type Reader struct {
	r        io.Reader
	maxFrame int

	hdr [frameHeaderLen]byte
	cmd []byte // command bytes, reused
	pay []byte // payload bytes for ReadFrame, reused

	// Reused storage for the SEND fast path (see decodeSend).
	sendCmd pb.BaseCommand
	send    pb.CommandSend
	sendVal sendValues
}

// NewReader returns a Reader that rejects frames whose totalSize exceeds
// maxFrameSize (normally max_message_size + FramePadding).
func NewReader(r io.Reader, maxFrameSize int) *Reader {
	return &Reader{r: r, maxFrame: maxFrameSize}
}

// SetMaxFrameSize changes the frame size limit, e.g. once the handshake
// has settled max_message_size.
func (r *Reader) SetMaxFrameSize(n int) { r.maxFrame = n }

// ReadFrame reads the next frame into f. f.Payload aliases the Reader's
// buffer. At a clean frame boundary end of stream it returns io.EOF.
func (r *Reader) ReadFrame(f *Frame) error {
	return r.read(f, false)
}

// ReadFrameOwned is ReadFrame but f.Payload (when non-empty) is a new slice
// of exactly the payload's length that the caller owns. f.Cmd follows the
// same rule as for ReadFrame.
func (r *Reader) ReadFrameOwned(f *Frame) error {
	return r.read(f, true)
}

func (r *Reader) read(f *Frame, owned bool) error {
	f.Cmd, f.Payload = nil, nil
	if n, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("wire: read frame header: %w", unexpected(err))
	}
	total := binary.BigEndian.Uint32(r.hdr[0:4])
	cmdSize := binary.BigEndian.Uint32(r.hdr[4:8])
	if uint64(total) > uint64(r.maxFrame) {
		return fmt.Errorf("%w: totalSize %d > limit %d", ErrFrameTooLarge, total, r.maxFrame)
	}
	if total < 4 {
		return fmt.Errorf("%w: totalSize %d leaves no room for cmdSize", ErrMalformed, total)
	}
	if cmdSize == 0 || cmdSize > total-4 {
		return fmt.Errorf("%w: cmdSize %d with totalSize %d", ErrMalformed, cmdSize, total)
	}
	r.cmd = grow(r.cmd, int(cmdSize))
	if _, err := io.ReadFull(r.r, r.cmd); err != nil {
		return fmt.Errorf("wire: read command (%d bytes): %w", cmdSize, unexpected(err))
	}
	if payLen := int(total - 4 - cmdSize); payLen > 0 {
		var buf []byte
		if owned {
			buf = make([]byte, payLen)
		} else {
			r.pay = grow(r.pay, payLen)
			buf = r.pay
		}
		if _, err := io.ReadFull(r.r, buf); err != nil {
			return fmt.Errorf("wire: read payload (%d bytes): %w", payLen, unexpected(err))
		}
		f.Payload = buf
	}
	cmd, err := r.decodeCommand(r.cmd)
	if err != nil {
		return err
	}
	f.Cmd = cmd
	r.shrink()
	return nil
}

// decodeCommand decodes a BaseCommand, taking the allocation-free path for
// SEND and proto.Unmarshal for everything else.
func (r *Reader) decodeCommand(b []byte) (*pb.BaseCommand, error) {
	if r.decodeSend(b) {
		return &r.sendCmd, nil
	}
	return DecodeCommand(b)
}

// DecodeCommand unmarshals a BaseCommand, rejecting missing required fields
// and a type whose sub-message is absent.
func DecodeCommand(b []byte) (*pb.BaseCommand, error) {
	cmd := new(pb.BaseCommand)
	if err := proto.Unmarshal(b, cmd); err != nil {
		return nil, fmt.Errorf("%w: command: %v", ErrMalformed, err)
	}
	if err := checkBody(cmd); err != nil {
		return nil, err
	}
	return cmd, nil
}

// checkBody verifies that the sub-message named by the command type is
// present (its field number equals the type's value), so handlers can rely
// on it. PING and PONG carry no data and are accepted without one.
func checkBody(cmd *pb.BaseCommand) error {
	t := cmd.GetType()
	if t == pb.BaseCommand_PING || t == pb.BaseCommand_PONG {
		return nil
	}
	m := cmd.ProtoReflect()
	fd := m.Descriptor().Fields().ByNumber(protowire.Number(t))
	if fd == nil || !m.Has(fd) {
		return fmt.Errorf("%w: command %v without its body", ErrMalformed, t)
	}
	return nil
}

// shrink drops buffers that grew past keepBufLimit. The slices handed out
// stay valid: they are only no longer reused.
func (r *Reader) shrink() {
	if cap(r.cmd) > keepBufLimit {
		r.cmd = nil
	}
	if cap(r.pay) > keepBufLimit {
		r.pay = nil
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
