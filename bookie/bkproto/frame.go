// Package bkproto is the bookie protocol over TCP (see PROTOCOL.md): a Server that
// exposes a *bookie.Bookie, and Dial, whose client implements bookie.Client with many
// requests in flight per connection, timeouts and reconnection.
package bkproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version this package speaks.
const Version = 1

// Request and response types.
const (
	TypeAdd      uint8 = 0x01
	TypeRead     uint8 = 0x02
	TypeReadLAC  uint8 = 0x03
	TypeWriteLAC uint8 = 0x04
	TypePing     uint8 = 0x05
	respBit      uint8 = 0x80
)

// Request flags.
const (
	FlagRecovery uint8 = 1 << 0 // ADD
	FlagFence    uint8 = 1 << 0 // READ
)

const (
	helloSize = 8
	// minBody is type + request id.
	minBody = 9
	// FrameOverhead is room for the fixed fields around an entry's data.
	FrameOverhead = 64 << 10
)

var helloMagic = [4]byte{'M', 'G', 'B', 'K'}

// ErrMalformed is a framing or field error: the connection is closed.
var ErrMalformed = errors.New("bkproto: malformed frame")

// Request is a decoded request; its byte slices alias the frame.
type Request struct {
	Type              uint8
	ID                uint64
	Flags             uint8
	LedgerID, EntryID int64
	LAC               int64 // ADD: piggybacked LAC; WRITE_LAC: the LAC
	MasterKey         []byte
	Data              []byte
	// Header is encoded (ADD only) before Data, as the entry's first bytes; decoding
	// returns the whole entry in Data.
	Header []byte
}

// Response is a decoded response; Data aliases the frame.
type Response struct {
	Type    uint8
	ID      uint64
	Status  Status
	LAC     int64
	Data    []byte
	Message string
}

func appendHello(buf []byte) []byte {
	buf = append(buf, helloMagic[:]...)
	buf = binary.BigEndian.AppendUint16(buf, Version)
	return binary.BigEndian.AppendUint16(buf, 0)
}

func checkHello(h []byte) error {
	if len(h) != helloSize || [4]byte(h[:4]) != helloMagic {
		return fmt.Errorf("%w: not a bkproto hello", ErrMalformed)
	}
	if v := binary.BigEndian.Uint16(h[4:]); v != Version {
		return fmt.Errorf("bkproto: peer speaks version %d, want %d", v, Version)
	}
	return nil
}

// ReadFrame reads one frame's body (freshly allocated: an ADD's data is kept by the
// bookie) of at most max bytes.
func ReadFrame(r *bufio.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < minBody || n > max {
		return nil, fmt.Errorf("%w: length %d outside [%d, %d]", ErrMalformed, n, minBody, max)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}

// fields reads big-endian fields from a body, remembering the first shortfall.
type fields struct {
	b   []byte
	bad bool
}

func (f *fields) u8() uint8 {
	if len(f.b) < 1 {
		f.bad = true
		return 0
	}
	v := f.b[0]
	f.b = f.b[1:]
	return v
}

func (f *fields) u64() uint64 {
	if len(f.b) < 8 {
		f.bad = true
		return 0
	}
	v := binary.BigEndian.Uint64(f.b)
	f.b = f.b[8:]
	return v
}

func (f *fields) bytes16() []byte {
	if len(f.b) < 2 {
		f.bad = true
		return nil
	}
	n := int(binary.BigEndian.Uint16(f.b))
	if len(f.b) < 2+n {
		f.bad = true
		return nil
	}
	v := f.b[2 : 2+n : 2+n]
	f.b = f.b[2+n:]
	return v
}

// rest returns the remaining bytes (capacity clipped, so appends never touch the frame).
func (f *fields) rest() []byte {
	v := f.b[:len(f.b):len(f.b)]
	f.b = nil
	return v
}

// DecodeRequest decodes a request body. An unknown type is not an error (the server
// answers BAD_REQUEST); missing fields are ErrMalformed.
func DecodeRequest(body []byte) (Request, error) {
	f := fields{b: body}
	r := Request{Type: f.u8(), ID: f.u64()}
	switch r.Type {
	case TypeAdd:
		r.Flags = f.u8()
		r.LedgerID, r.EntryID, r.LAC = int64(f.u64()), int64(f.u64()), int64(f.u64())
		r.MasterKey = f.bytes16()
		if !f.bad {
			r.Data = f.rest()
		}
	case TypeRead:
		r.Flags = f.u8()
		r.LedgerID, r.EntryID = int64(f.u64()), int64(f.u64())
		r.MasterKey = f.bytes16()
	case TypeReadLAC:
		r.LedgerID = int64(f.u64())
	case TypeWriteLAC:
		r.LedgerID, r.LAC = int64(f.u64()), int64(f.u64())
		r.MasterKey = f.bytes16()
	}
	if f.bad {
		return Request{}, fmt.Errorf("%w: request type %#x of %d bytes is cut short", ErrMalformed, r.Type, len(body))
	}
	return r, nil
}

// AppendRequest appends r as a whole frame (length included).
func AppendRequest(buf []byte, r *Request) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, r.Type)
	buf = binary.BigEndian.AppendUint64(buf, r.ID)
	switch r.Type {
	case TypeAdd:
		buf = append(buf, r.Flags)
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LedgerID))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.EntryID))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LAC))
		buf = appendBytes16(buf, r.MasterKey)
		buf = append(buf, r.Header...)
		buf = append(buf, r.Data...)
	case TypeRead:
		buf = append(buf, r.Flags)
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LedgerID))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.EntryID))
		buf = appendBytes16(buf, r.MasterKey)
	case TypeReadLAC:
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LedgerID))
	case TypeWriteLAC:
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LedgerID))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.LAC))
		buf = appendBytes16(buf, r.MasterKey)
	}
	binary.BigEndian.PutUint32(buf[start:], uint32(len(buf)-start-4))
	return buf
}

func appendBytes16(buf, b []byte) []byte {
	if len(b) > 0xffff {
		b = b[:0xffff] // master keys are digests; callers never come near this
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(b)))
	return append(buf, b...)
}

// DecodeResponse decodes a response body.
func DecodeResponse(body []byte) (Response, error) {
	f := fields{b: body}
	r := Response{Type: f.u8(), ID: f.u64(), Status: Status(f.u8())}
	if f.bad || r.Type&respBit == 0 {
		return Response{}, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(body))
	}
	if r.Status != StatusOK {
		r.Message = string(f.rest())
		return r, nil
	}
	switch r.Type &^ respBit {
	case TypeRead:
		r.LAC = int64(f.u64())
		if !f.bad {
			r.Data = f.rest()
		}
	case TypeReadLAC:
		r.LAC = int64(f.u64())
	}
	if f.bad {
		return Response{}, fmt.Errorf("%w: response type %#x of %d bytes is cut short", ErrMalformed, r.Type, len(body))
	}
	return r, nil
}

// appendResponseHeader appends a response frame without its data (for a READ_RESP the
// data follows as a separate buffer; the length covers it).
func appendResponseHeader(buf []byte, r *Response) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, r.Type)
	buf = binary.BigEndian.AppendUint64(buf, r.ID)
	buf = append(buf, byte(r.Status))
	extra := 0
	if r.Status != StatusOK {
		buf = append(buf, r.Message...)
	} else {
		switch r.Type &^ respBit {
		case TypeRead:
			buf = binary.BigEndian.AppendUint64(buf, uint64(r.LAC))
			extra = len(r.Data)
		case TypeReadLAC:
			buf = binary.BigEndian.AppendUint64(buf, uint64(r.LAC))
		}
	}
	binary.BigEndian.PutUint32(buf[start:], uint32(len(buf)-start-4+extra))
	return buf
}

// AppendResponse appends r as a whole frame.
func AppendResponse(buf []byte, r *Response) []byte {
	buf = appendResponseHeader(buf, r)
	if r.Status == StatusOK && r.Type&^respBit == TypeRead {
		buf = append(buf, r.Data...)
	}
	return buf
}
