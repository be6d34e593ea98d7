package wire

import (
	"bytes"
	stdzlib "compress/zlib"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/magnetar/magnetar/wire/pb"
)

// The compressors below do what pulsar-client-go v0.19.0 does, with the
// same libraries, so Decompress is tested against the client's output.

func clientLZ4(t testing.TB, src []byte) []byte {
	dst := make([]byte, lz4.CompressBlockBound(len(src)))
	n, err := lz4.CompressBlock(src, dst, make([]int, 1<<16))
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		return dst[:n]
	}
	// Incompressible: a block of one literal run (LZ4 block format: token
	// with the literal length in its high nibble, 255-byte extensions).
	out := []byte{0}
	if len(src) < 15 {
		out[0] = byte(len(src) << 4)
	} else {
		out[0] = 0xf0
		l := len(src) - 15
		for ; l >= 255; l -= 255 {
			out = append(out, 255)
		}
		out = append(out, byte(l))
	}
	return append(out, src...)
}

func clientZlib(t testing.TB, src []byte) []byte {
	var b bytes.Buffer
	w := stdzlib.NewWriter(&b)
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func clientZstd(t testing.TB, src []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(src, nil)
}

func clientSnappy(_ testing.TB, src []byte) []byte { return snappy.Encode(nil, src) }

var clientCompressors = map[pb.CompressionType]func(testing.TB, []byte) []byte{
	pb.CompressionType_LZ4:    clientLZ4,
	pb.CompressionType_ZLIB:   clientZlib,
	pb.CompressionType_ZSTD:   clientZstd,
	pb.CompressionType_SNAPPY: clientSnappy,
}

func testInputs() map[string][]byte {
	random := make([]byte, 70_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return map[string][]byte{
		"empty":         {},
		"short":         []byte("hi"),
		"text":          bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog "), 3000),
		"random":        random,
		"random 14":     random[:14],
		"random 15":     random[:15],
		"random 300":    random[:300],
		"batch payload": batchPayload(&testing.T{}, []string{"a", "b"}, [][]byte{[]byte("one"), bytes.Repeat([]byte{7}, 5000)}),
	}
}

func TestDecompressClientOutput(t *testing.T) {
	for codec, compress := range clientCompressors {
		for name, in := range testInputs() {
			t.Run(codec.String()+"/"+name, func(t *testing.T) {
				c := compress(t, in)
				out, err := Decompress(codec, c, len(in))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, in) {
					t.Fatalf("round trip differs (%d vs %d bytes)", len(out), len(in))
				}
				if len(in) > 0 {
					if _, err := Decompress(codec, c, len(in)-1); !errors.Is(err, ErrMalformed) {
						t.Errorf("short uncompressed_size: %v", err)
					}
				}
				if _, err := Decompress(codec, c, len(in)+1); !errors.Is(err, ErrMalformed) {
					t.Errorf("long uncompressed_size: %v", err)
				}
			})
		}
	}
}

func TestDecompressErrors(t *testing.T) {
	text := bytes.Repeat([]byte("abcdefgh"), 500)
	for codec, compress := range clientCompressors {
		c := compress(t, text)
		corrupt := append([]byte{}, c...)
		for i := len(corrupt) / 3; i < len(corrupt); i += 7 {
			corrupt[i] ^= 0xa5
		}
		for name, in := range map[string][]byte{"garbage": []byte("not compressed at all"), "corrupt": corrupt, "truncated": c[:len(c)/2]} {
			out, err := Decompress(codec, in, len(text))
			if err == nil && bytes.Equal(out, text) {
				t.Errorf("%v/%s: decoded to the original", codec, name)
			} else if err == nil {
				t.Errorf("%v/%s: no error", codec, name)
			}
		}
		if _, err := Decompress(codec, c, MaxUncompressedSize+1); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: oversize accepted: %v", codec, err)
		}
		if _, err := Decompress(codec, c, -1); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: negative size accepted: %v", codec, err)
		}
	}
	if out, err := Decompress(pb.CompressionType_NONE, text, 0); err != nil || &out[0] != &text[0] {
		t.Errorf("NONE should return src itself: %v", err)
	}
	if _, err := Decompress(pb.CompressionType(9), text, len(text)); !errors.Is(err, ErrUnsupportedCompression) {
		t.Errorf("unknown codec: %v", err)
	}
}

// TestCompressedBatchEndToEnd is the broker's path for a compressed batch:
// scan, verify, decompress, walk.
func TestCompressedBatchEndToEnd(t *testing.T) {
	bodies := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 2000), []byte("c")}
	raw := batchPayload(t, []string{"x", "y", "z"}, bodies)
	for codec, compress := range clientCompressors {
		meta := sampleMeta()
		meta.Compression = codec.Enum()
		meta.UncompressedSize = nil
		meta.UncompressedSize = new(uint32)
		*meta.UncompressedSize = uint32(len(raw))
		hp := mustPayload(t, meta, compress(t, raw))
		if err := VerifyChecksum(hp); err != nil {
			t.Fatal(err)
		}
		s, err := ScanMetadata(hp)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Decompress(s.Compression, hp[s.PayloadOffset:], int(s.UncompressedSize))
		if err != nil {
			t.Fatalf("%v: %v", codec, err)
		}
		var got [][]byte
		if err := s.ForEachInBatch(plain, func(i int, _, data []byte) error { got = append(got, data); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !bytes.Equal(got[1], bodies[1]) {
			t.Fatalf("%v: got %d messages", codec, len(got))
		}
	}
}
