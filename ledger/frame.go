package ledger

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
)

// An entry travels to bookies framed by the ledger client:
//
//	ledgerID u64 | entryID u64 | lastAddConfirmed u64 | length u64 | crc32c u32 | data
//
// length is the ledger's size in bytes up to and including this entry, so the last
// entry found by recovery gives the ledger's length. The CRC32C covers the data, then the
// four fields: a reader detects a corrupted or misplaced entry and tries another replica.
// Data first lets Append checksum the data before it takes the writer's lock and add
// the 32 header bytes once the entry has its id.
const frameHeaderSize = 8 + 8 + 8 + 8 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("ledger: corrupt entry")

// sealFrame writes the header, with the checksum of dataCRC (the data's CRC) and the
// header fields, into buf[:frameHeaderSize].
func sealFrame(buf []byte, dataCRC uint32, ledgerID, entryID, lac, length int64) {
	binary.BigEndian.PutUint64(buf[0:], uint64(ledgerID))
	binary.BigEndian.PutUint64(buf[8:], uint64(entryID))
	binary.BigEndian.PutUint64(buf[16:], uint64(lac))
	binary.BigEndian.PutUint64(buf[24:], uint64(length))
	binary.BigEndian.PutUint32(buf[32:], crc32.Update(dataCRC, castagnoli, buf[:32]))
}

// frameEntry returns a new buffer holding the framed entry.
func frameEntry(ledgerID, entryID, lac, length int64, data []byte) []byte {
	buf := make([]byte, frameHeaderSize+len(data))
	copy(buf[frameHeaderSize:], data)
	sealFrame(buf, crc32.Update(0, castagnoli, data), ledgerID, entryID, lac, length)
	return buf
}

// frame is a decoded, verified entry; data aliases the frame's buffer.
type frame struct {
	lac, length int64
	data        []byte
	raw         []byte // the whole frame, as stored on bookies
}

// parseFrame verifies that buf is entry entryID of ledger ledgerID with a good checksum.
func parseFrame(ledgerID, entryID int64, buf []byte) (frame, error) {
	if len(buf) < frameHeaderSize {
		return frame{}, fmt.Errorf("entry %d/%d: %d bytes, shorter than a header: %w", ledgerID, entryID, len(buf), errCorrupt)
	}
	crc := crc32.Update(crc32.Update(0, castagnoli, buf[frameHeaderSize:]), castagnoli, buf[:32])
	if want := binary.BigEndian.Uint32(buf[32:]); crc != want {
		return frame{}, fmt.Errorf("entry %d/%d: checksum %08x, want %08x: %w", ledgerID, entryID, crc, want, errCorrupt)
	}
	lid, eid := int64(binary.BigEndian.Uint64(buf[0:])), int64(binary.BigEndian.Uint64(buf[8:]))
	if lid != ledgerID || eid != entryID {
		return frame{}, fmt.Errorf("entry %d/%d: frame says %d/%d: %w", ledgerID, entryID, lid, eid, errCorrupt)
	}
	return frame{
		lac:    int64(binary.BigEndian.Uint64(buf[16:])),
		length: int64(binary.BigEndian.Uint64(buf[24:])),
		data:   buf[frameHeaderSize:],
		raw:    buf,
	}, nil
}

// masterKey derives the key bookies check on adds and fencing reads from the ledger's
// password, as BookKeeper does: SHA-1 of "ledger" followed by the password.
func masterKey(password []byte) []byte {
	h := sha1.New()
	h.Write([]byte("ledger"))
	h.Write(password)
	return h.Sum(nil)
}

// passwordDigest is stored in the metadata so Open can reject a wrong password before
// talking to bookies; it is a hash of the master key, not the key itself.
func passwordDigest(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])
}
