package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// replay calls fn for every record from `from` on, in journal order, and repairs a torn
// tail: the last segment's data is ended after its last whole record (a record cut short
// or failing its checksum there was never acknowledged, since every acknowledgement
// follows an fsync that would have made it whole). A bad record in an earlier segment is
// corruption of acknowledged data and fails the replay. Segments wholly before `from` go
// to release. It returns the last segment's sequence number (0 if there is none).
func replay(opts *Options, from Position, fn func(Record) error, release func(seq uint64) error) (last uint64, err error) {
	seqs, err := listSegments(opts.Dir)
	if err != nil {
		return 0, err
	}
	for i, seq := range seqs {
		path := segmentName(opts.Dir, seq)
		if seq < from.Segment {
			// Wholly before the checkpoint: a deletion that did not finish.
			if err := release(seq); err != nil {
				return 0, err
			}
			continue
		}
		start := int64(0)
		if seq == from.Segment {
			start = from.Offset
		}
		isLast := i == len(seqs)-1
		sc, err := scanSegment(path, seq, start, opts.MaxPayload, fn)
		if err != nil {
			return 0, err
		}
		if sc.torn && !isLast {
			return 0, fmt.Errorf("journal: segment %s is corrupt at offset %d and is not the last one", path, sc.end)
		}
		if isLast {
			if err := repairTail(path, sc); err != nil {
				return 0, err
			}
		}
		last = seq
	}
	if err := syncDir(opts.Dir); err != nil {
		return 0, err
	}
	return last, nil
}

// repairTail ends the last segment's data after its last whole record, so that nothing
// after it can ever be read as data once segments follow: a legacy segment is truncated
// there; a segment with a header is sealed there (zeros written over the length field
// that follows), keeping its blocks for recycling; one with a header of another life
// (renamed from a spare, crashed before its first write) is emptied.
func repairTail(path string, sc segmentScan) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("journal: open %s for repair: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: stat %s: %w", path, err)
	}
	if st.Size() <= sc.end {
		return nil
	}
	if sc.torn {
		slog.Warn("journal: dropping torn tail", "segment", path, "offset", sc.end, "bad_header", sc.badHeader)
	}
	if sc.dataStart > 0 && !sc.torn {
		return nil // it ends at a zero length field already
	}
	if sc.dataStart == 0 || sc.badHeader {
		if err := f.Truncate(sc.end); err != nil {
			return fmt.Errorf("journal: truncate %s at %d: %w", path, sc.end, err)
		}
	} else if _, err := f.WriteAt(make([]byte, frameHeader), sc.end); err != nil {
		return fmt.Errorf("journal: seal %s at %d: %w", path, sc.end, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: sync %s after repair: %w", path, err)
	}
	return nil
}

// segmentScan is what scanSegment found: end is the offset after the last whole record;
// torn tells whether the data ended in a torn or corrupt record (or header) rather than
// cleanly, at a zero length field or the end of the file.
type segmentScan struct {
	end       int64
	dataStart int64 // 0 for a legacy segment
	torn      bool
	badHeader bool
}

// scanSegment reads one segment from start.
func scanSegment(path string, seq uint64, start int64, maxPayload int, fn func(Record) error) (segmentScan, error) {
	f, err := os.Open(path)
	if err != nil {
		return segmentScan{}, fmt.Errorf("journal: open %s: %w", path, err)
	}
	defer f.Close()
	dataStart, seed, err := segmentFormat(f, seq)
	if errors.Is(err, errBadHeader) {
		return segmentScan{torn: true, badHeader: true}, nil
	}
	if err != nil {
		return segmentScan{}, err
	}
	s := scanner{f: f, off: max(start, dataStart), buf: make([]byte, 1<<20)}
	maxBody := bodyHeader + maxPayload
	for {
		if err := s.fill(frameHeader); err != nil {
			return segmentScan{}, fmt.Errorf("journal: read %s: %w", path, err)
		}
		n := 0
		if win := s.window(); len(win) >= 4 {
			n = int(binary.BigEndian.Uint32(win))
		}
		if n > 0 && n <= maxBody {
			if err := s.fill(frameHeader + n); err != nil {
				return segmentScan{}, fmt.Errorf("journal: read %s: %w", path, err)
			}
		}
		win := s.window()
		r, size, derr := decodeRecord(win, seed, maxBody)
		switch {
		case len(win) == 0 || errors.Is(derr, errEndOfData):
			return segmentScan{end: s.off, dataStart: dataStart}, nil
		case derr != nil:
			return segmentScan{end: s.off, dataStart: dataStart, torn: true}, nil
		}
		r.Pos = Position{Segment: seq, Offset: s.off}
		r.End = Position{Segment: seq, Offset: s.off + int64(size)}
		if err := fn(r); err != nil {
			return segmentScan{}, fmt.Errorf("journal: replay record at %s: %w", r.Pos, err)
		}
		s.advance(size)
	}
}

// scanner is a window over a file: buf[r:w] holds the bytes from file offset off on.
type scanner struct {
	f    *os.File
	off  int64
	buf  []byte
	r, w int
	eof  bool
}

// window returns the unread bytes.
func (s *scanner) window() []byte { return s.buf[s.r:s.w] }

// fill makes the window hold at least k bytes unless the file ends first.
func (s *scanner) fill(k int) error {
	for s.w-s.r < k && !s.eof {
		if s.r > 0 { // slide the unread bytes to the front
			s.w = copy(s.buf, s.buf[s.r:s.w])
			s.r = 0
		}
		if len(s.buf) < k {
			nb := make([]byte, k+k/2)
			copy(nb, s.buf[:s.w])
			s.buf = nb
		}
		n, err := s.f.ReadAt(s.buf[s.w:], s.off+int64(s.w))
		s.w += n
		if errors.Is(err, io.EOF) {
			s.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

// advance consumes n bytes of the window.
func (s *scanner) advance(n int) {
	s.r += n
	s.off += int64(n)
}
