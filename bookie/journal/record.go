package journal

import (
	"encoding/binary"
	"errors"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

// A record on disk:
//
//	[len u32][crc u32][ledgerID i64][entryID i64][lac i64][payload]
//
// len counts everything after the crc field (so it is never below bodyHeader, and a zero
// length is the end of a segment's data: its seal, or the zeros padding its last block);
// crc is CRC-32C over the segment's sequence number (see recordSeed; nothing in legacy
// segments), the len field and the body. All integers are big-endian.
const (
	frameHeader = 8  // len + crc
	bodyHeader  = 24 // ledgerID + entryID + lac
	// RecordOverhead is the number of bytes a record adds to its payload.
	RecordOverhead = frameHeader + bodyHeader
)

// Errors of decoding; replay stops at the first record that fails.
var (
	errEndOfData = errors.New("journal: end of data")
	errTorn      = errors.New("journal: torn or corrupt record")
)

// Record is one journaled entry as replay returns it.
type Record struct {
	LedgerID, EntryID, LastAddConfirmed int64
	// Data is only valid during the replay callback; copy it to keep it.
	Data []byte
	// Pos is where the record starts; End is where the next one would start.
	Pos, End Position
}

// putRecord encodes e as one record into b, which is exactly e.size() long; seed is the
// segment's CRC seed. The data is copied, not read again: its CRC extends the checksum.
func putRecord(b []byte, seed uint32, e *Entry) {
	binary.BigEndian.PutUint32(b, uint32(bodyHeader+len(e.Header)+len(e.Data)))
	binary.BigEndian.PutUint64(b[frameHeader:], uint64(e.LedgerID))
	binary.BigEndian.PutUint64(b[frameHeader+8:], uint64(e.EntryID))
	binary.BigEndian.PutUint64(b[frameHeader+16:], uint64(e.LastAddConfirmed))
	n := RecordOverhead + copy(b[RecordOverhead:], e.Header)
	copy(b[n:], e.Data)
	crc := crc32c.Update(seed, b[:4])
	crc = crc32c.Update(crc, b[frameHeader:n])
	binary.BigEndian.PutUint32(b[4:], crc32c.Combine(crc, e.DataCRC, int64(len(e.Data))))
}

// decodeRecord decodes the record at the start of b, in a segment whose CRC seed is seed.
// It returns the record's size, errEndOfData at a zero length (the unwritten tail of a
// segment, or its seal), and errTorn if the record is cut short, longer than maxBody,
// or fails its checksum.
func decodeRecord(b []byte, seed uint32, maxBody int) (r Record, size int, err error) {
	if len(b) < frameHeader {
		if allZero(b) {
			return r, 0, errEndOfData
		}
		return r, 0, errTorn
	}
	n := int(binary.BigEndian.Uint32(b))
	if n == 0 {
		return r, 0, errEndOfData
	}
	if n < bodyHeader || n > maxBody || len(b) < frameHeader+n {
		return r, 0, errTorn
	}
	body := b[frameHeader : frameHeader+n]
	crc := crc32c.Update(seed, b[:4])
	crc = crc32c.Update(crc, body)
	if crc != binary.BigEndian.Uint32(b[4:]) {
		return r, 0, errTorn
	}
	r.LedgerID = int64(binary.BigEndian.Uint64(body))
	r.EntryID = int64(binary.BigEndian.Uint64(body[8:]))
	r.LastAddConfirmed = int64(binary.BigEndian.Uint64(body[16:]))
	r.Data = body[bodyHeader:]
	return r, frameHeader + n, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
