package entrylog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

func entry(l, e int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(int64(i) + l*3 + e*5)
	}
	return b
}

type written struct {
	ledger, entry int64
	loc           Location
	size          int
}

func writeSome(t *testing.T, logs *Logs, n int) (*Writer, []written) {
	t.Helper()
	w, err := logs.Create()
	if err != nil {
		t.Fatal(err)
	}
	var out []written
	for i := range n {
		l, e, size := int64(i%3+1), int64(i/3), 10+i*13
		data := entry(l, e, size)
		var hdr []byte
		if i%2 == 1 { // as the ledger client's frames come: header, then data
			hdr, data = data[:5], data[5:]
		}
		loc, err := w.Append(l, e, hdr, data, crc32c.Checksum(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, written{l, e, loc, size})
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	return w, out
}

func TestWriteReadReopen(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	logs, err := Open(dirs)
	if err != nil {
		t.Fatal(err)
	}
	w, recs := writeSome(t, logs, 50)
	for _, r := range recs {
		got, err := logs.Read(r.loc, r.ledger, r.entry)
		if err != nil {
			t.Fatalf("read %d/%d: %v", r.ledger, r.entry, err)
		}
		if !bytes.Equal(got, entry(r.ledger, r.entry, r.size)) {
			t.Fatalf("read %d/%d: wrong payload", r.ledger, r.entry)
		}
	}
	if _, err := logs.Read(recs[0].loc, recs[0].ledger, recs[0].entry+1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read with the wrong entry id: %v, want ErrCorrupt", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	logs.Close()

	logs, err = Open(dirs)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	if ids := logs.IDs(); len(ids) != 1 || ids[0] != w.ID() {
		t.Fatalf("after reopen logs are %v, want [%d]", ids, w.ID())
	}
	last := recs[len(recs)-1]
	if got, err := logs.Read(last.loc, last.ledger, last.entry); err != nil || !bytes.Equal(got, entry(last.ledger, last.entry, last.size)) {
		t.Fatalf("read after reopen: %v", err)
	}
	w2, err := logs.Create()
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if w2.ID() <= w.ID() {
		t.Fatalf("new log id %d not after %d", w2.ID(), w.ID())
	}
}

func TestCorruptionDetected(t *testing.T) {
	logs, err := Open([]string{t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	w, recs := writeSome(t, logs, 5)
	w.Close()
	r := recs[2]
	path := logs.files[w.ID()].path
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, r.loc.Offset+int64(r.loc.Size)-1)
	f.Close()
	if _, err := logs.Read(r.loc, r.ledger, r.entry); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read of a flipped record: %v, want ErrCorrupt", err)
	}
	if _, err := logs.Read(recs[1].loc, recs[1].ledger, recs[1].entry); err != nil {
		t.Fatalf("neighbour of the corrupt record: %v", err)
	}
	// Scan stops at the corrupt record: it yields only what precedes it.
	var n int
	if err := logs.Scan(w.ID(), func(Location, int64, int64, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("scan yielded %d records before the corrupt one, want 2", n)
	}
}

func TestScanTornTailAndRemove(t *testing.T) {
	dir := t.TempDir()
	logs, err := Open([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	w, recs := writeSome(t, logs, 20)
	w.Close()
	path := filepath.Join(dir, filepath.Base(logs.files[w.ID()].path))
	last := recs[len(recs)-1]
	if err := os.Truncate(path, last.loc.Offset+10); err != nil {
		t.Fatal(err)
	}
	var got []written
	err = logs.Scan(w.ID(), func(loc Location, l, e int64, data []byte) error {
		if !bytes.Equal(data, entry(l, e, len(data))) {
			t.Fatalf("scan %d/%d: wrong payload", l, e)
		}
		got = append(got, written{l, e, loc, len(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 19 {
		t.Fatalf("scan of a torn log yielded %d records, want 19", len(got))
	}
	for i, g := range got {
		if g.loc != recs[i].loc {
			t.Fatalf("scan location %+v, written at %+v", g.loc, recs[i].loc)
		}
	}
	if err := logs.Remove(w.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("removed log still exists: %v", err)
	}
	if _, err := logs.Read(recs[0].loc, recs[0].ledger, recs[0].entry); !errors.Is(err, ErrNoSuchLog) {
		t.Fatalf("read of a removed log: %v, want ErrNoSuchLog", err)
	}
}
