package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magnetar/magnetar/bookie/crc32c"
)

// files counts the segment and spare files in dir.
func files(t *testing.T, dir string) (segments, spares int) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), segmentSuffix):
			segments++
		case strings.HasSuffix(e.Name(), spareSuffix):
			spares++
		}
	}
	return segments, spares
}

// copyDir copies the files of src to a new directory: what a crash would leave, since
// the journal writes around the page cache.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// Checkpointed segments are written again, and replay returns only the records of a
// segment's current life, never those its file held before. Records of 512 bytes fill
// blocks exactly, so the new data of a recycled segment is followed by an old record
// rather than by zero padding: only its checksum (seeded by the segment's sequence
// number) tells it apart.
func TestRecycledSegmentsReplayOnlyTheirRecords(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentSize: 16 << 10}
	j, err := Open(opts, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const size = 512 - RecordOverhead
	e := int64(0)
	seg := j.Position().Segment
	for {
		addAll(t, j, 1, e, 1, size) // one record per group commit
		e++
		p := j.Position()
		if p.Segment != seg { // rolled over: the old segment is checkpointed at once
			seg = p.Segment
			if err := j.DeleteBefore(p); err != nil {
				t.Fatal(err)
			}
			if segs, spares := files(t, dir); segs > 1 || spares > 2 {
				t.Fatalf("%d segments and %d spares on disk", segs, spares)
			}
		}
		if j.Stats().Recycled > 0 && p.Offset == headerSize+8*512 {
			break
		}
		if e > 1000 {
			t.Fatalf("no segment was recycled after %d records: %+v", e, j.Stats())
		}
	}
	first := e - 8 // the records of the current segment's life
	for _, tc := range []struct {
		name string
		dir  func() string
	}{
		{"crash", func() string { return copyDir(t, dir) }},
		{"clean close", func() string { j.Close(); return dir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, j2 := collect(t, Options{Dir: tc.dir(), SegmentSize: 16 << 10}, Position{Segment: seg})
			defer j2.Close()
			if len(got) != 8 {
				t.Fatalf("replay of the recycled segment returned %d records, want its 8", len(got))
			}
			checkRecords(t, got, 1, first, 8, size)
		})
	}
}

// A crash after a spare was renamed to the next segment but before its first write
// leaves a segment with a header of its previous life: it holds no records.
func TestRenamedSpareWithoutNewHeader(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentSize: 16 << 10}
	j, err := Open(opts, Position{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, j, 2, 0, 100, 300)
	cp := j.Position()
	if err := j.DeleteBefore(cp); err != nil {
		t.Fatal(err)
	}
	addAll(t, j, 2, 100, 10, 300)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if len(j.spares) == 0 {
		t.Fatal("no spare segment to rename")
	}
	if err := os.Rename(j.spares[0], segmentName(dir, j.Position().Segment+1)); err != nil {
		t.Fatal(err)
	}
	got, _, j2 := collect(t, opts, cp)
	if len(got) != 10 {
		t.Fatalf("replay returned %d records, want 10", len(got))
	}
	checkRecords(t, got, 2, 100, 10, 300)
	addAll(t, j2, 2, 110, 10, 300)
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, j3 := collect(t, opts, cp)
	defer j3.Close()
	checkRecords(t, got, 2, 100, 20, 300)
}

// A segment from before headers and recycling (records from offset 0, CRCs unseeded)
// replays, and is deleted rather than recycled.
func TestLegacySegment(t *testing.T) {
	dir := t.TempDir()
	var buf []byte
	for e := int64(0); e < 10; e++ {
		p := payload(4, e, 200)
		rec := make([]byte, RecordOverhead+len(p))
		putRecord(rec, 0, &Entry{LedgerID: 4, EntryID: e, LastAddConfirmed: e - 1, Data: p, DataCRC: crc32c.Checksum(p)})
		buf = append(buf, rec...)
	}
	if err := os.WriteFile(segmentName(dir, 1), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, j := collect(t, Options{Dir: dir}, Position{})
	defer j.Close()
	if len(got) != 10 {
		t.Fatalf("legacy segment replayed %d records, want 10", len(got))
	}
	checkRecords(t, got, 4, 0, 10, 200)
	if err := j.DeleteBefore(j.Position()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segmentName(dir, 1)); !os.IsNotExist(err) {
		t.Fatalf("legacy segment still there: %v", err)
	}
	if _, spares := files(t, dir); spares != 0 {
		t.Fatalf("a legacy segment became a spare")
	}
}
