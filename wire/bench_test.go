package wire

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/magnetar/magnetar/wire/pb"
)

// sendStream is n SEND frames carrying a batch of 10 messages of 100 bytes.
func sendStream(b *testing.B, n int) (stream []byte, frameLen int) {
	bodies := make([][]byte, 10)
	keys := make([]string, 10)
	for i := range bodies {
		bodies[i] = bytes.Repeat([]byte{byte(i)}, 100)
	}
	meta := sampleMeta()
	meta.Compression = nil
	meta.NumMessagesInBatch = new(int32)
	*meta.NumMessagesInBatch = 10
	hp := mustPayload(b, meta, batchPayload(b, keys, bodies))
	one, err := AppendPayloadCommand(nil, sendCmd(1, 41), hp)
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Repeat(one, n), len(one)
}

// loopReader replays the same bytes forever, so the benchmark measures
// decoding and not the source.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.off == len(l.data) {
		l.off = 0
	}
	n := copy(p, l.data[l.off:])
	l.off += n
	return n, nil
}

func benchRead(b *testing.B, owned bool) {
	stream, frameLen := sendStream(b, 64)
	r := NewReader(bufio.NewReaderSize(&loopReader{data: stream}, 64<<10), 1<<20)
	var f Frame
	b.SetBytes(int64(frameLen))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if owned {
			err = r.ReadFrameOwned(&f)
		} else {
			err = r.ReadFrame(&f)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if f.Type() != pb.BaseCommand_SEND {
		b.Fatal(f.Type())
	}
}

func BenchmarkReadFrameSend(b *testing.B)      { benchRead(b, false) }
func BenchmarkReadFrameSendOwned(b *testing.B) { benchRead(b, true) }

func BenchmarkReadFrameFlow(b *testing.B) {
	one, _ := AppendCommand(nil, Wrap(&pb.CommandFlow{ConsumerId: new(uint64), MessagePermits: new(uint32)}))
	r := NewReader(bufio.NewReader(&loopReader{data: bytes.Repeat(one, 1000)}), 1<<20)
	var f Frame
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ReadFrame(&f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPayloadCommand(b *testing.B) {
	stream, _ := sendStream(b, 1)
	var f Frame
	if err := NewReader(bytes.NewReader(stream), 1<<20).ReadFrameOwned(&f); err != nil {
		b.Fatal(err)
	}
	cmd := NewMessage(7, NewMessageID(123456, 789), 0)
	buf := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(f.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendPayloadCommand(buf[:0], cmd, f.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanMetadata(b *testing.B) {
	stream, _ := sendStream(b, 1)
	var f Frame
	if err := NewReader(bytes.NewReader(stream), 1<<20).ReadFrameOwned(&f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := ScanMetadata(f.Payload)
		if err != nil || s.NumMessagesInBatch != 10 {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyChecksum(b *testing.B) {
	stream, _ := sendStream(b, 1)
	var f Frame
	if err := NewReader(bytes.NewReader(stream), 1<<20).ReadFrameOwned(&f); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(f.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyChecksum(f.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePayload(b *testing.B) {
	stream, _ := sendStream(b, 1)
	var f Frame
	if err := NewReader(bytes.NewReader(stream), 1<<20).ReadFrameOwned(&f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParsePayload(f.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForEachInBatch(b *testing.B) {
	stream, _ := sendStream(b, 1)
	var f Frame
	if err := NewReader(bytes.NewReader(stream), 1<<20).ReadFrameOwned(&f); err != nil {
		b.Fatal(err)
	}
	s, _ := ScanMetadata(f.Payload)
	payload := f.Payload[s.PayloadOffset:]
	n := 0
	count := func(int, []byte, []byte) error { n++; return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ForEachInBatch(payload, count); err != nil {
			b.Fatal(err)
		}
	}
}

var _ io.Reader = (*loopReader)(nil)
