package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/magnetar/magnetar/bookie/appendfile"
	"github.com/magnetar/magnetar/bookie/crc32c"
)

// A segment starts with a header block:
//
//	"MGJRNL" 0x00 0x02 | seq u64 | crc u32 (CRC-32C of the 16 bytes before it) | zeros
//
// and its records start at headerSize, with CRCs seeded by the segment's sequence number
// (recordSeed). A recycled segment is a checkpointed one written again from its start
// (see recycle.go): the records of its previous life that lie beyond the new ones then
// fail their checksums and read as the end of the data, as zeros would.
//
// A segment without the header is a legacy one, from before recycling: its records start
// at offset 0 with unseeded CRCs. It is replayed as such and deleted, never recycled.
const headerSize = appendfile.Align

var segmentMagic = [8]byte{'M', 'G', 'J', 'R', 'N', 'L', 0, 2}

// errBadHeader: the segment has a header of another life (a recycled segment that was
// renamed but never written) or a torn one.
var errBadHeader = errors.New("journal: segment header does not match")

// putHeader writes seq's header into b, headerSize bytes.
func putHeader(b []byte, seq uint64) {
	clear(b)
	copy(b, segmentMagic[:])
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint32(b[16:], crc32c.Checksum(b[:16]))
}

// recordSeed is the CRC every record of segment seq starts from.
func recordSeed(seq uint64) uint32 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return crc32c.Checksum(b[:])
}

// segmentFormat reads the start of segment seq: where its records start and their CRC
// seed (legacy: 0 and 0), or errBadHeader.
func segmentFormat(f *os.File, seq uint64) (dataStart int64, seed uint32, err error) {
	var b [20]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, 0, fmt.Errorf("journal: read header of segment %d: %w", seq, err)
	}
	if n < len(segmentMagic) || [8]byte(b[:8]) != segmentMagic {
		return 0, 0, nil // legacy (or empty)
	}
	if n < len(b) || binary.BigEndian.Uint32(b[16:]) != crc32c.Checksum(b[:16]) ||
		binary.BigEndian.Uint64(b[8:]) != seq {
		return 0, 0, errBadHeader
	}
	return headerSize, recordSeed(seq), nil
}

// recyclable tells whether the segment file at path has a header (legacy segments are
// deleted instead).
func recyclable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [8]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == len(b) && b == segmentMagic
}
