package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

// Seed corpora live in testdata/fuzz/<FuzzName>: real frames, payloads,
// metadata and batches as the Go client writes them, plus damaged ones.

// FuzzReadFrame reads frames from arbitrary bytes: no panics, errors are
// typed, every frame read re-encodes to a frame that reads back equal, and
// the SEND fast path agrees with proto.Unmarshal on the same bytes.
func FuzzReadFrame(f *testing.F) {
	ping, _ := AppendCommand(nil, NewPing())
	f.Add(ping)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1<<16)
		for {
			var fr Frame
			err := r.ReadFrame(&fr)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("untyped error: %v", err)
				}
				break
			}
			cmd := proto.Clone(fr.Cmd).(*pb.BaseCommand)
			payload := append([]byte(nil), fr.Payload...)
			out, err := AppendPayloadCommand(nil, fr.Cmd, fr.Payload)
			if err != nil {
				t.Fatalf("re-encode of a frame we accepted: %v", err)
			}
			var back Frame
			if err := NewReader(bytes.NewReader(out), 1<<20).ReadFrameOwned(&back); err != nil {
				t.Fatalf("read back: %v", err)
			}
			if !proto.Equal(back.Cmd, cmd) || !bytes.Equal(back.Payload, payload) {
				t.Fatalf("round trip changed the frame: %v vs %v", back.Cmd, cmd)
			}
		}

		fast, ferr := NewReader(nil, 0).decodeCommand(data)
		slow, serr := DecodeCommand(data)
		if (ferr == nil) != (serr == nil) || !proto.Equal(fast, slow) {
			t.Fatalf("fast path %v (%v), unmarshal %v (%v)", fast, ferr, slow, serr)
		}
	})
}

// FuzzParsePayload checks ParsePayload, VerifyChecksum and ScanMetadata
// agree on arbitrary headersAndPayload.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte{0x0e, 0x01, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, hp []byte) {
		meta, payload, perr := ParsePayload(hp)
		cerr := VerifyChecksum(hp)
		sum, serr := ScanMetadata(hp)
		if perr == nil {
			if cerr != nil || serr != nil {
				t.Fatalf("parse ok but verify %v, scan %v", cerr, serr)
			}
			if err := sameSummary(sum, summaryOf(meta)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hp[sum.PayloadOffset:], payload) {
				t.Fatal("PayloadOffset disagrees with ParsePayload")
			}
			return
		}
		if !errors.Is(perr, ErrMalformed) && !errors.Is(perr, ErrChecksum) {
			t.Fatalf("untyped error: %v", perr)
		}
		if cerr == nil && serr == nil {
			t.Fatalf("parse failed (%v) though checksum and scan passed", perr)
		}
	})
}

// FuzzScanMetadata treats the input as raw MessageMetadata bytes and checks
// ScanMetadata against proto.Unmarshal, both ways.
func FuzzScanMetadata(f *testing.F) {
	f.Add([]byte{0x0a, 0x01, 'p', 0x10, 0x01, 0x18, 0x02})
	f.Fuzz(func(t *testing.T, meta []byte) {
		sum, serr := ScanMetadata(withCRC(meta, []byte("payload")))
		var m pb.MessageMetadata
		uerr := proto.Unmarshal(meta, &m)
		if (serr == nil) != (uerr == nil) {
			t.Fatalf("scan error %v, unmarshal error %v", serr, uerr)
		}
		if serr != nil {
			if !errors.Is(serr, ErrMalformed) {
				t.Fatalf("untyped error: %v", serr)
			}
			return
		}
		if err := sameSummary(sum, summaryOf(&m)); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzForEachInBatch walks arbitrary batch payloads: no panics, every
// message handed out is well-formed and within bounds, and
// ScanSingleMetadata agrees with proto.Unmarshal.
func FuzzForEachInBatch(f *testing.F) {
	f.Add(int32(1), true, []byte{0, 0, 0, 2, 0x18, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, n int32, batched bool, payload []byte) {
		meta := &pb.MessageMetadata{}
		if batched {
			meta.NumMessagesInBatch = proto.Int32(n)
		}
		total := 0
		err := ForEachInBatch(meta, payload, func(i int, smm, data []byte) error {
			total += len(smm) + len(data)
			if !batched {
				if smm != nil || !bytes.Equal(data, payload) {
					t.Fatal("non-batched entry not handed out whole")
				}
				return nil
			}
			total += 4
			var s pb.SingleMessageMetadata
			if err := proto.Unmarshal(smm, &s); err != nil {
				t.Fatalf("message %d: handed out bad metadata: %v", i, err)
			}
			if int(s.GetPayloadSize()) != len(data) {
				t.Fatalf("message %d: payload_size %d, data %d", i, s.GetPayloadSize(), len(data))
			}
			return nil
		})
		if total > len(payload) {
			t.Fatalf("handed out %d bytes of %d", total, len(payload))
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error: %v", err)
		}

		ss, serr := ScanSingleMetadata(payload)
		var s pb.SingleMessageMetadata
		uerr := proto.Unmarshal(payload, &s)
		if (serr == nil) != (uerr == nil) {
			t.Fatalf("scan single %v, unmarshal %v", serr, uerr)
		}
		if serr == nil && (ss.PayloadSize != s.GetPayloadSize() || ss.SequenceID != s.GetSequenceId() ||
			string(ss.PartitionKey) != s.GetPartitionKey() || !bytes.Equal(ss.OrderingKey, s.OrderingKey) ||
			ss.CompactedOut != s.GetCompactedOut() || ss.NumProperties != len(s.Properties) || ss.EventTime != s.GetEventTime()) {
			t.Fatalf("scan single %+v, unmarshal %v", ss, &s)
		}
	})
}
