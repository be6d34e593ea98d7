package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

// payload is a record's deterministic content, so replay can check every byte.
func payload(ledgerID, entryID int64, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(int64(i)*7 + ledgerID*31 + entryID)
	}
	return b
}

type key struct{ ledgerID, entryID int64 }

// collect replays dir from `from` and returns the records by key (and in order).
func collect(t *testing.T, opts Options, from Position) (map[key]Record, []key, *Journal) {
	t.Helper()
	got := map[key]Record{}
	var order []key
	j, err := Open(opts, from, func(r Record) error {
		k := key{r.LedgerID, r.EntryID}
		r.Data = bytes.Clone(r.Data)
		got[k] = r
		order = append(order, k)
		return nil
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return got, order, j
}

// addAll adds the records and waits for every callback, failing on any error. Every
// other record is added as a header and data (the ledger client's way), which replay
// must return joined.
func addAll(t *testing.T, j *Journal, ledgerID int64, first, n int64, size int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for e := first; e < first+n; e++ {
		wg.Add(1)
		p := payload(ledgerID, e, size)
		var hdr []byte
		if e%2 == 1 {
			hdr, p = p[:min(len(p), 36)], p[min(len(p), 36):]
		}
		j.Add(Entry{LedgerID: ledgerID, EntryID: e, LastAddConfirmed: e - 1, Header: hdr, Data: p, DataCRC: crc32c.Checksum(p)}, func(err error) {
			if err != nil {
				errs <- err
			}
			wg.Done()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("add: %v", err)
	}
}

func checkRecords(t *testing.T, got map[key]Record, ledgerID, first, n int64, size int) {
	t.Helper()
	for e := first; e < first+n; e++ {
		r, ok := got[key{ledgerID, e}]
		if !ok {
			t.Fatalf("entry %d/%d missing after replay", ledgerID, e)
		}
		if !bytes.Equal(r.Data, payload(ledgerID, e, size)) {
			t.Fatalf("entry %d/%d: payload differs", ledgerID, e)
		}
		if r.LastAddConfirmed != e-1 {
			t.Fatalf("entry %d/%d: lac %d, want %d", ledgerID, e, r.LastAddConfirmed, e-1)
		}
	}
}

func TestConcurrentAddsReplayInOrder(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentSize: 256 << 10}
	j, err := Open(opts, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 8, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addAll(t, j, int64(w+1), 0, perWriter, 100+w*50)
		}()
	}
	wg.Wait()
	st := j.Stats()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Records != writers*perWriter {
		t.Fatalf("stats: %d records, want %d", st.Records, writers*perWriter)
	}
	if st.Rounds >= st.Records {
		t.Fatalf("no group commit: %d fsync rounds for %d records", st.Rounds, st.Records)
	}
	t.Logf("%d records in %d group commits", st.Records, st.Rounds)
	seqs, _ := listSegments(dir)
	if len(seqs) < 3 {
		t.Fatalf("expected rollover into several segments, got %d", len(seqs))
	}

	got, order, j2 := collect(t, opts, Position{})
	defer j2.Close()
	for w := range writers {
		checkRecords(t, got, int64(w+1), 0, perWriter, 100+w*50)
	}
	// One ledger's entries were queued in order by one goroutine and the queue is FIFO,
	// so replay must return them in that order.
	last := map[int64]int64{}
	for _, k := range order {
		if prev, ok := last[k.ledgerID]; ok && k.entryID != prev+1 {
			t.Fatalf("ledger %d: entry %d replayed after %d", k.ledgerID, k.entryID, prev)
		}
		last[k.ledgerID] = k.entryID
	}
}

func TestCallbackErrors(t *testing.T) {
	j, err := Open(Options{Dir: t.TempDir(), MaxPayload: 1000}, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	j.Add(Entry{LedgerID: 1, LastAddConfirmed: -1, Data: make([]byte, 1001)}, func(err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized add: %v, want ErrTooLarge", err)
	}
	j.Add(Entry{LedgerID: 1, LastAddConfirmed: -1, Header: make([]byte, 36), Data: make([]byte, 1000-35)}, func(err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrTooLarge) {
		t.Fatalf("add oversized by its header: %v, want ErrTooLarge", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j.Add(Entry{LedgerID: 1, LastAddConfirmed: -1, Data: []byte("x")}, func(err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("add after close: %v, want ErrClosed", err)
	}
}

func TestTornTail(t *testing.T) {
	const size = 500
	rec := int64(RecordOverhead + size)
	// Each case damages the last of 20 records (or what follows it) after a clean close;
	// the journal must keep the intact records and drop the rest.
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, dataEnd int64)
		keep   int64
	}{
		{"cut in header", func(t *testing.T, p string, end int64) { truncate(t, p, end-rec+3) }, 19},
		{"cut in body", func(t *testing.T, p string, end int64) { truncate(t, p, end-rec/2) }, 19},
		{"cut one byte short", func(t *testing.T, p string, end int64) { truncate(t, p, end-1) }, 19},
		{"cut at record boundary", func(t *testing.T, p string, end int64) { truncate(t, p, end-rec) }, 19},
		{"flipped payload byte", func(t *testing.T, p string, end int64) { flip(t, p, end-10) }, 19},
		{"flipped length", func(t *testing.T, p string, end int64) { flip(t, p, end-rec+2) }, 19},
		{"garbage after last record", func(t *testing.T, p string, end int64) { writeAt(t, p, end, []byte("garbage!")) }, 20},
		{"clean", func(t *testing.T, p string, end int64) {}, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir}
			j, err := Open(opts, Position{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for e := int64(0); e < 20; e++ { // one at a time: each its own round
				addAll(t, j, 7, e, 1, size)
			}
			end := j.Position()
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			path := segmentName(dir, end.Segment)
			tc.damage(t, path, end.Offset)

			got, _, j2 := collect(t, opts, Position{})
			if int64(len(got)) != tc.keep {
				t.Fatalf("replayed %d records, want %d", len(got), tc.keep)
			}
			checkRecords(t, got, 7, 0, tc.keep, size)
			// The repair ends the data right after the last whole record: a zero length
			// field or the end of the file follows it.
			dataEnd := headerSize + tc.keep*rec
			if b, _ := os.ReadFile(path); int64(len(b)) < dataEnd || (int64(len(b)) >= dataEnd+4 && binary.BigEndian.Uint32(b[dataEnd:]) != 0) {
				t.Fatalf("repaired segment of %d bytes does not end its data at %d", len(b), dataEnd)
			}
			// The repaired journal takes new adds, and both survive another restart.
			addAll(t, j2, 7, 100, 5, size)
			if err := j2.Close(); err != nil {
				t.Fatal(err)
			}
			got, _, j3 := collect(t, opts, Position{})
			defer j3.Close()
			checkRecords(t, got, 7, 0, tc.keep, size)
			checkRecords(t, got, 7, 100, 5, size)
		})
	}
}

func TestCorruptionBeforeTailFailsOpen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir}
	j, err := Open(opts, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, j, 1, 0, 10, 100)
	first := j.Position()
	j.Close()
	j, err = Open(opts, Position{}, nil) // a second segment follows the first
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, j, 1, 10, 10, 100)
	j.Close()
	flip(t, segmentName(dir, first.Segment), headerSize+50)
	if _, err := Open(opts, Position{}, nil); err == nil {
		t.Fatal("open succeeded over a corrupt segment that is not the last")
	}
}

func TestReplayFromCheckpointAndDelete(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentSize: 8 << 10}
	j, err := Open(opts, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, j, 3, 0, 100, 200)
	cp := j.Position()
	addAll(t, j, 3, 100, 50, 200)
	if err := j.DeleteBefore(cp); err != nil {
		t.Fatal(err)
	}
	seqs, _ := listSegments(dir)
	if seqs[0] != cp.Segment {
		t.Fatalf("after DeleteBefore(%v) the oldest segment is %d", cp, seqs[0])
	}
	j.Close()

	got, _, j2 := collect(t, opts, cp)
	defer j2.Close()
	if len(got) != 50 {
		t.Fatalf("replay from %v returned %d records, want the 50 after it", cp, len(got))
	}
	checkRecords(t, got, 3, 100, 50, 200)
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(fmt.Errorf("read %s at %d: %w", path, off, err))
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// A callback may add again (as a ledger client resending does) without deadlocking the
// journal.
func TestCallbackMayAdd(t *testing.T) {
	j, err := Open(Options{Dir: t.TempDir()}, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	done := make(chan error, 1)
	j.Add(Entry{LedgerID: 1, Data: []byte("first")}, func(err error) {
		if err != nil {
			done <- err
			return
		}
		j.Add(Entry{LedgerID: 1, EntryID: 1, Data: []byte("second")}, func(err error) { done <- err })
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an add from a callback never completed")
	}
}
