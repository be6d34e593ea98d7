package ledger

import (
	"bytes"
	"errors"
	"testing"
)

func TestFrameRoundTripAndDamage(t *testing.T) {
	good := frameEntry(7, 42, 41, 1000, []byte("hello"))
	f, err := parseFrame(7, 42, good)
	if err != nil || !bytes.Equal(f.data, []byte("hello")) || f.lac != 41 || f.length != 1000 || !bytes.Equal(f.raw, good) {
		t.Fatalf("round trip: %+v %v", f, err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name     string
		lid, eid int64
		buf      []byte
	}{
		{"data bit", 7, 42, flip(len(good) - 1)},
		{"lac bit", 7, 42, flip(20)},
		{"length bit", 7, 42, flip(30)},
		{"crc bit", 7, 42, flip(33)},
		{"other entry", 7, 43, good},
		{"other ledger", 8, 42, good},
		{"truncated data", 7, 42, good[:len(good)-1]},
		{"short header", 7, 42, good[:frameHeaderSize-1]},
		{"empty", 7, 42, nil},
	}
	for _, tc := range tests {
		if _, err := parseFrame(tc.lid, tc.eid, tc.buf); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: %v, want errCorrupt", tc.name, err)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(frameEntry(1, 2, 1, 3, []byte("abc")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, buf []byte) {
		fr, err := parseFrame(1, 2, buf)
		if err != nil {
			return
		}
		// Anything accepted re-frames to the same bytes.
		if again := frameEntry(1, 2, fr.lac, fr.length, fr.data); !bytes.Equal(again, buf) {
			t.Fatalf("accepted %x, re-framed %x", buf, again)
		}
	})
}
