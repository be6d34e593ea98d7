package bkproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	cases := []Request{
		{Type: TypeAdd, ID: 1, Flags: FlagRecovery, LedgerID: 7, EntryID: 9, LAC: 8, MasterKey: []byte("key"), Data: []byte("payload")},
		{Type: TypeAdd, ID: 2, LedgerID: 1 << 40, EntryID: 0, LAC: -1, MasterKey: []byte{}, Data: []byte{}},
		{Type: TypeRead, ID: 3, Flags: FlagFence, LedgerID: 7, EntryID: -1, MasterKey: []byte("key")},
		{Type: TypeReadLAC, ID: 1<<64 - 1, LedgerID: 42},
		{Type: TypeWriteLAC, ID: 5, LedgerID: 42, LAC: 100, MasterKey: []byte("k")},
		{Type: TypePing, ID: 6},
	}
	for _, want := range cases {
		frame := AppendRequest(nil, &want)
		body, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), 1<<20)
		if err != nil {
			t.Fatalf("%+v: read frame: %v", want, err)
		}
		got, err := DecodeRequest(body)
		if err != nil {
			t.Fatalf("%+v: decode: %v", want, err)
		}
		normalize(&got)
		normalize(&want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

// An add's header goes on the wire before its data; the bookie receives one entry.
func TestRequestHeaderPrecedesData(t *testing.T) {
	frame := AppendRequest(nil, &Request{Type: TypeAdd, ID: 1, LedgerID: 7, EntryID: 9, LAC: 8,
		MasterKey: []byte("key"), Header: []byte("head|"), Data: []byte("payload")})
	body, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "head|payload" || got.Header != nil || got.EntryID != 9 {
		t.Fatalf("decoded %+v, want Data \"head|payload\" and no Header", got)
	}
}

// normalize makes empty and nil slices compare equal.
func normalize(r *Request) {
	if len(r.MasterKey) == 0 {
		r.MasterKey = nil
	}
	if len(r.Data) == 0 {
		r.Data = nil
	}
}

func TestResponseRoundTrip(t *testing.T) {
	cases := []Response{
		{Type: TypeAdd | respBit, ID: 1},
		{Type: TypeRead | respBit, ID: 2, LAC: 41, Data: []byte("entry")},
		{Type: TypeRead | respBit, ID: 3, LAC: -1},
		{Type: TypeReadLAC | respBit, ID: 4, LAC: 99},
		{Type: TypeAdd | respBit, ID: 5, Status: StatusFenced, Message: "ledger 7: fenced"},
		{Type: TypeRead | respBit, ID: 6, Status: StatusNoSuchEntry},
	}
	for _, want := range cases {
		frame := AppendResponse(nil, &want)
		body, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Data) == 0 {
			got.Data = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	full := AppendRequest(nil, &Request{Type: TypeRead, ID: 1, LedgerID: 1, EntryID: 2, MasterKey: []byte("key")})
	cases := []struct {
		name  string
		frame []byte
	}{
		{"length below minimum", []byte{0, 0, 0, 3, 1, 2, 3}},
		{"length above maximum", []byte{0, 0x10, 0, 0, 1}},
		{"read cut short", append([]byte{0, 0, 0, byte(len(full) - 4 - 3)}, full[4:len(full)-3]...)},
		{"key length past the end", func() []byte {
			b := bytes.Clone(full)
			b[len(b)-5] = 0xff // key length high byte
			return b
		}()},
	}
	for _, tc := range cases {
		body, err := ReadFrame(bufio.NewReader(bytes.NewReader(tc.frame)), 1<<16)
		if err == nil {
			_, err = DecodeRequest(body)
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
	// An unknown type is well-formed (the server answers BAD_REQUEST).
	if r, err := DecodeRequest([]byte{0x7f, 0, 0, 0, 0, 0, 0, 0, 1}); err != nil || r.Type != 0x7f || r.ID != 1 {
		t.Fatalf("unknown type: %+v, %v", r, err)
	}
	if _, err := DecodeResponse([]byte{TypeAdd, 0, 0, 0, 0, 0, 0, 0, 1, 0}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("response without the response bit: %v", err)
	}
}

// FuzzDecodeRequest: no input makes the decoder panic, and what it accepts re-encodes
// to a frame that decodes the same.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{Type: TypeAdd, ID: 1, LedgerID: 2, EntryID: 3, LAC: 2, MasterKey: []byte("k"), Data: []byte("d")})[4:])
	f.Add(AppendRequest(nil, &Request{Type: TypeRead, ID: 1, Flags: FlagFence, LedgerID: 2, EntryID: -1})[4:])
	f.Add(AppendRequest(nil, &Request{Type: TypeWriteLAC, ID: 9, LedgerID: 2, LAC: 5})[4:])
	f.Add([]byte{TypeReadLAC, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			return
		}
		if r.Type < TypeAdd || r.Type > TypePing {
			return // unknown types carry no fields to re-encode
		}
		again, err := DecodeRequest(AppendRequest(nil, &r)[4:])
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		normalize(&r)
		normalize(&again)
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("re-encoding changed the request:\n%+v\n%+v", r, again)
		}
	})
}

// FuzzReadFrame feeds arbitrary streams to the frame reader and both decoders.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{Type: TypeAdd, ID: 1, Data: []byte("x")}))
	f.Add(AppendResponse(nil, &Response{Type: TypeRead | respBit, ID: 1, LAC: 3, Data: []byte("x")}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := bufio.NewReader(bytes.NewReader(stream))
		for {
			body, err := ReadFrame(r, 1<<16)
			if err != nil {
				return
			}
			if len(body) < minBody || len(body) > 1<<16 {
				t.Fatalf("frame of %d bytes accepted", len(body))
			}
			DecodeRequest(body)
			DecodeResponse(body)
		}
	})
}

func newReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
