package wire

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/magnetar/magnetar/wire/pb"
)

// MaxUncompressedSize bounds the uncompressed_size Decompress accepts, so a
// hostile entry cannot make the broker allocate without limit.
const MaxUncompressedSize = 128 << 20

// Decompress returns the uncompressed payload of an entry compressed with
// codec, as the Go client compresses: LZ4 raw block, ZLIB stream, ZSTD
// frame, Snappy block. For NONE it returns src itself. The result must be
// exactly uncompressedSize bytes.
func Decompress(codec pb.CompressionType, src []byte, uncompressedSize int) ([]byte, error) {
	if codec == pb.CompressionType_NONE {
		return src, nil
	}
	if uncompressedSize < 0 || uncompressedSize > MaxUncompressedSize {
		return nil, fmt.Errorf("%w: uncompressed size %d out of range", ErrMalformed, uncompressedSize)
	}
	var (
		out []byte
		err error
	)
	switch codec {
	case pb.CompressionType_LZ4:
		out, err = decompressLZ4(src, uncompressedSize)
	case pb.CompressionType_ZLIB:
		out, err = decompressZlib(src, uncompressedSize)
	case pb.CompressionType_ZSTD:
		out, err = decompressZstd(src, uncompressedSize)
	case pb.CompressionType_SNAPPY:
		out, err = decompressSnappy(src, uncompressedSize)
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedCompression, codec)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decompress %v: %v", ErrMalformed, codec, err)
	}
	if len(out) != uncompressedSize {
		return nil, fmt.Errorf("%w: decompress %v: got %d bytes, metadata says %d", ErrMalformed, codec, len(out), uncompressedSize)
	}
	return out, nil
}

func decompressLZ4(src []byte, size int) ([]byte, error) {
	dst := make([]byte, size)
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// zlibReaders pools zlib readers: each holds a sizeable inflate state.
var zlibReaders sync.Pool

func decompressZlib(src []byte, size int) ([]byte, error) {
	br := bytes.NewReader(src)
	var zr io.ReadCloser
	if pooled, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := pooled.(zlib.Resetter).Reset(br, nil); err != nil {
			return nil, err
		}
		zr = pooled
	} else {
		r, err := zlib.NewReader(br)
		if err != nil {
			return nil, err
		}
		zr = r
	}
	dst := make([]byte, size)
	_, err := io.ReadFull(zr, dst)
	if err == nil {
		// The stream must end here; reading to EOF also checks its Adler-32.
		var one [1]byte
		if n, rerr := zr.Read(one[:]); n > 0 {
			err = fmt.Errorf("zlib stream holds more than %d bytes", size)
		} else if rerr != io.EOF {
			err = rerr
		}
	}
	if err == nil {
		err = zr.Close()
	}
	zlibReaders.Put(zr)
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// zstdDecoder is shared: DecodeAll is safe for concurrent use.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxUncompressedSize))
})

func decompressZstd(src []byte, size int) ([]byte, error) {
	d, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	return d.DecodeAll(src, make([]byte, 0, size))
}

func decompressSnappy(src []byte, size int) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, fmt.Errorf("snappy block holds %d bytes", n)
	}
	return snappy.Decode(make([]byte, size), src)
}
