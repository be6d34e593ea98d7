package wire

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/magnetar/magnetar/wire/pb"
)

// sendValues backs the pointers of the Reader's reused CommandSend, so a
// SEND frame decodes without allocating.
type sendValues struct {
	typ                      pb.BaseCommand_Type
	producerID, sequenceID   uint64
	numMessages              int32
	txnLeast, txnMost        uint64
	highestSeq               uint64
	isChunk, marker          bool
	hasNum, hasLeast         bool
	hasMost, hasHighest      bool
	hasChunk, hasMarker      bool
	hasProducer, hasSequence bool
}

// decodeSend decodes a BaseCommand holding exactly {type=SEND, send{fields
// 1-8}} into the Reader's reused storage. It reports false, leaving the job
// to proto.Unmarshal, for anything else (other commands, a message_id,
// unknown or repeated sub-messages, odd wire types or bad varints), so its
// result is always what proto.Unmarshal would produce.
func (r *Reader) decodeSend(b []byte) bool {
	var body []byte
	typ, haveType, haveBody := int64(-1), false, false
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return false
			}
			b = b[n:]
			typ, haveType = int64(int32(v)), true
		case num == 6 && wt == protowire.BytesType && !haveBody:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return false
			}
			b = b[n:]
			body, haveBody = v, true
		default:
			return false
		}
	}
	if !haveType || !haveBody || typ != int64(pb.BaseCommand_SEND) {
		return false
	}
	v := &r.sendVal
	*v = sendValues{typ: pb.BaseCommand_SEND}
	for len(body) > 0 {
		num, wt, n := protowire.ConsumeTag(body)
		if n < 0 || wt != protowire.VarintType || num < 1 || num > 8 {
			return false
		}
		body = body[n:]
		x, n := protowire.ConsumeVarint(body)
		if n < 0 {
			return false
		}
		body = body[n:]
		switch num {
		case 1:
			v.producerID, v.hasProducer = x, true
		case 2:
			v.sequenceID, v.hasSequence = x, true
		case 3:
			v.numMessages, v.hasNum = int32(x), true
		case 4:
			v.txnLeast, v.hasLeast = x, true
		case 5:
			v.txnMost, v.hasMost = x, true
		case 6:
			v.highestSeq, v.hasHighest = x, true
		case 7:
			v.isChunk, v.hasChunk = protowire.DecodeBool(x), true
		case 8:
			v.marker, v.hasMarker = protowire.DecodeBool(x), true
		}
	}
	if !v.hasProducer || !v.hasSequence {
		return false // let proto.Unmarshal report the missing required field
	}
	s := &r.send
	s.Reset()
	s.ProducerId, s.SequenceId = &v.producerID, &v.sequenceID
	if v.hasNum {
		s.NumMessages = &v.numMessages
	}
	if v.hasLeast {
		s.TxnidLeastBits = &v.txnLeast
	}
	if v.hasMost {
		s.TxnidMostBits = &v.txnMost
	}
	if v.hasHighest {
		s.HighestSequenceId = &v.highestSeq
	}
	if v.hasChunk {
		s.IsChunk = &v.isChunk
	}
	if v.hasMarker {
		s.Marker = &v.marker
	}
	c := &r.sendCmd
	c.Reset()
	c.Type, c.Send = &v.typ, s
	return true
}
