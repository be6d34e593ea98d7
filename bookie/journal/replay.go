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
// tail: the last segment is truncated after its last whole record (a record cut short or
// failing its checksum there was never acknowledged, since every acknowledgement follows
// an fsync that would have made it whole). A bad record in an earlier segment is
// corruption of acknowledged data and fails the replay. It returns the last segment's
// sequence number (0 if there is none).
func replay(opts *Options, from Position, fn func(Record) error) (last uint64, err error) {
	seqs, err := listSegments(opts.Dir)
	if err != nil {
		return 0, err
	}
	for i, seq := range seqs {
		path := segmentName(opts.Dir, seq)
		if seq < from.Segment {
			// Wholly before the checkpoint: a deletion that did not finish.
			if err := os.Remove(path); err != nil {
				return 0, fmt.Errorf("journal: remove checkpointed segment: %w", err)
			}
			continue
		}
		start := int64(0)
		if seq == from.Segment {
			start = from.Offset
		}
		isLast := i == len(seqs)-1
		end, torn, err := scanSegment(path, seq, start, opts.MaxPayload, fn)
		if err != nil {
			return 0, err
		}
		if torn && !isLast {
			return 0, fmt.Errorf("journal: segment %s is corrupt at offset %d and is not the last one", path, end)
		}
		if isLast {
			if err := truncateTail(path, end, torn); err != nil {
				return 0, err
			}
		}
		last = seq
	}
	return last, nil
}

// truncateTail cuts the last segment after its last whole record: a torn record and the
// zeros padding the last block go, so that nothing after `end` can ever be read as data.
func truncateTail(path string, end int64, torn bool) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("journal: open %s for repair: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: stat %s: %w", path, err)
	}
	if st.Size() <= end {
		return nil
	}
	if torn {
		slog.Warn("journal: truncating torn tail", "segment", path, "offset", end, "dropped_bytes", st.Size()-end)
	}
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("journal: truncate %s at %d: %w", path, end, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: sync %s after truncate: %w", path, err)
	}
	return nil
}

// scanSegment reads one segment from start. It returns the offset after the last whole
// record and whether the data ended in a torn or corrupt record rather than cleanly (at
// the end of the file or at the zeros padding its last block).
func scanSegment(path string, seq uint64, start int64, maxPayload int, fn func(Record) error) (end int64, torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, fmt.Errorf("journal: open %s: %w", path, err)
	}
	defer f.Close()
	s := scanner{f: f, off: start, buf: make([]byte, 1<<20)}
	maxBody := bodyHeader + maxPayload
	for {
		if err := s.fill(frameHeader); err != nil {
			return 0, false, fmt.Errorf("journal: read %s: %w", path, err)
		}
		n := 0
		if win := s.window(); len(win) >= 4 {
			n = int(binary.BigEndian.Uint32(win))
		}
		if n > 0 && n <= maxBody {
			if err := s.fill(frameHeader + n); err != nil {
				return 0, false, fmt.Errorf("journal: read %s: %w", path, err)
			}
		}
		win := s.window()
		r, size, derr := decodeRecord(win, maxBody)
		switch {
		case len(win) == 0 || errors.Is(derr, errEndOfData):
			return s.off, false, nil
		case derr != nil:
			return s.off, true, nil
		}
		r.Pos = Position{Segment: seq, Offset: s.off}
		r.End = Position{Segment: seq, Offset: s.off + int64(size)}
		if err := fn(r); err != nil {
			return 0, false, fmt.Errorf("journal: replay record at %s: %w", r.Pos, err)
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
