// Package entrylog stores entries in append-only log files spread over the ledger
// directories. Entries of many ledgers share a log; the bookie's index says where each
// entry is, and garbage collection deletes or compacts logs whose ledgers are gone.
//
// A log file is a 16-byte header followed by records:
//
//	header: "MGELOG" 0x00 0x01, 8 reserved bytes
//	record: [len u32][crc u32][ledgerID i64][entryID i64][payload]
//
// len counts the bytes after the crc field; crc is CRC-32C over the len field and those
// bytes. Integers are big-endian. Every read checks the record's crc and ids.
package entrylog

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

const (
	headerSize  = 16
	frameHeader = 8
	idsSize     = 16
	// RecordOverhead is what a record adds to its payload.
	RecordOverhead = frameHeader + idsSize
)

var magic = [8]byte{'M', 'G', 'E', 'L', 'O', 'G', 0, 1}

// ErrCorrupt is returned for a record that fails its checks.
var ErrCorrupt = errors.New("entrylog: corrupt record")

// Location is where an entry's record is: the index stores it.
type Location struct {
	LogID  uint64
	Offset int64
	Size   uint32 // whole record, header included
}

// putRecord encodes a record of the payload hdr+data into rec, which is exactly
// RecordOverhead+len(hdr)+len(data) long. dataCRC is the CRC-32C of data: the record's
// checksum is derived from it, so data is copied without being read again.
func putRecord(rec []byte, ledgerID, entryID int64, hdr, data []byte, dataCRC uint32) {
	binary.BigEndian.PutUint32(rec, uint32(idsSize+len(hdr)+len(data)))
	binary.BigEndian.PutUint64(rec[frameHeader:], uint64(ledgerID))
	binary.BigEndian.PutUint64(rec[frameHeader+8:], uint64(entryID))
	n := RecordOverhead + copy(rec[RecordOverhead:], hdr)
	copy(rec[n:], data)
	crc := crc32c.Update(crc32c.Checksum(rec[:4]), rec[frameHeader:n])
	binary.BigEndian.PutUint32(rec[4:], crc32c.Combine(crc, dataCRC, int64(len(data))))
}

func recordCRC(rec []byte) uint32 {
	return crc32c.Update(crc32c.Checksum(rec[:4]), rec[frameHeader:])
}

// decodeRecord checks a whole record and returns its ids and payload (aliasing rec).
func decodeRecord(rec []byte) (ledgerID, entryID int64, data []byte, err error) {
	if len(rec) < RecordOverhead {
		return 0, 0, nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(rec))
	}
	n := int(binary.BigEndian.Uint32(rec))
	if n != len(rec)-frameHeader {
		return 0, 0, nil, fmt.Errorf("%w: length %d, record of %d bytes", ErrCorrupt, n, len(rec))
	}
	if recordCRC(rec) != binary.BigEndian.Uint32(rec[4:]) {
		return 0, 0, nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	ledgerID = int64(binary.BigEndian.Uint64(rec[frameHeader:]))
	entryID = int64(binary.BigEndian.Uint64(rec[frameHeader+8:]))
	return ledgerID, entryID, rec[RecordOverhead:], nil
}
