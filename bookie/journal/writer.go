package journal

import (
	"fmt"
	"os"
)

// segmentWriter appends to the segment being written. Only the writer goroutine uses it.
type segmentWriter struct {
	opts     *Options
	f        *os.File
	seq      uint64
	off      int64 // where the next record goes
	zeroedTo int64 // the file is zero-filled up to here
}

var zeros = make([]byte, 1<<20)

func createSegment(opts *Options, seq uint64) (*segmentWriter, error) {
	path := segmentName(opts.Dir, seq)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: create segment: %w", err)
	}
	if err := syncDir(opts.Dir); err != nil {
		f.Close()
		return nil, err
	}
	return &segmentWriter{opts: opts, f: f, seq: seq}, nil
}

// write appends b, zero-filling ahead first when the writer would pass the filled part.
func (w *segmentWriter) write(b []byte) error {
	end := w.off + int64(len(b))
	for w.zeroedTo < end {
		limit := min(max(w.zeroedTo+w.opts.PreallocSize, end), max(w.opts.SegmentSize, end))
		for w.zeroedTo < limit {
			n := min(int64(len(zeros)), limit-w.zeroedTo)
			if _, err := w.f.WriteAt(zeros[:n], w.zeroedTo); err != nil {
				return fmt.Errorf("journal: preallocate segment %d: %w", w.seq, err)
			}
			w.zeroedTo += n
		}
	}
	if _, err := w.f.WriteAt(b, w.off); err != nil {
		return fmt.Errorf("journal: write segment %d: %w", w.seq, err)
	}
	w.off = end
	return nil
}

func (w *segmentWriter) sync() error {
	if err := datasync(w.f); err != nil {
		return fmt.Errorf("journal: fdatasync segment %d: %w", w.seq, err)
	}
	return nil
}

// batch is one group commit's adds and their common outcome.
type batch struct {
	ops []op
	err error
}

// writeLoop is the one writer: each round takes the whole queue, writes it and syncs once.
func (j *Journal) writeLoop() {
	var buf []byte
	defer func() {
		if err := j.w.f.Close(); err != nil && j.closeErr == nil {
			j.closeErr = fmt.Errorf("journal: close segment: %w", err)
		}
		close(j.done)
	}()
	for range j.wake {
		for {
			j.mu.Lock()
			if len(j.queue) == 0 {
				closed := j.closed
				j.mu.Unlock()
				if closed {
					return
				}
				break
			}
			ops := j.queue
			j.queue = j.spare()
			failErr := j.failErr
			j.mu.Unlock()

			err := failErr
			if err == nil {
				buf, err = j.writeBatch(ops, buf)
				if err != nil {
					j.mu.Lock()
					j.failErr = err
					j.mu.Unlock()
					j.closeErr = err
				}
			}
			if err != nil {
				j.stats.failed.Add(int64(len(ops)))
			}
			j.done <- batch{ops: ops, err: err}
		}
	}
}

func (j *Journal) spare() []op {
	select {
	case s := <-j.free:
		return s
	default:
		return make([]op, 0, 64)
	}
}

// writeBatch encodes ops into buf (reused across rounds), writes them, rolling over to a
// new segment where one fills up, and syncs once at the end.
func (j *Journal) writeBatch(ops []op, buf []byte) ([]byte, error) {
	buf = buf[:0]
	w := j.w
	for i := range ops {
		o := &ops[i]
		size := int64(RecordOverhead + len(o.data))
		if pending := w.off + int64(len(buf)); pending > 0 && pending+size > j.opts.SegmentSize {
			if err := j.roll(buf); err != nil {
				return buf, err
			}
			buf = buf[:0]
			w = j.w
		}
		buf = appendRecord(buf, o.ledgerID, o.entryID, o.lac, o.data)
		j.stats.bytes.Add(size)
		if len(buf) >= j.opts.MaxBatchBytes {
			if err := j.flushBuf(buf); err != nil {
				return buf, err
			}
			buf = buf[:0]
		}
	}
	if err := j.flushBuf(buf); err != nil {
		return buf, err
	}
	if err := j.w.sync(); err != nil {
		return buf, err
	}
	j.stats.rounds.Add(1)
	j.stats.records.Add(int64(len(ops)))
	return buf[:0], nil
}

// flushBuf writes buf to the current segment and publishes the new end position.
func (j *Journal) flushBuf(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if err := j.w.write(buf); err != nil {
		return err
	}
	j.posMu.Lock()
	j.pos = Position{Segment: j.w.seq, Offset: j.w.off}
	j.posMu.Unlock()
	return nil
}

// roll writes buf to the full segment, syncs and closes it, and starts the next one.
// The old segment is durable before the new one exists, so only the last segment can
// ever hold a torn record.
func (j *Journal) roll(buf []byte) error {
	if err := j.flushBuf(buf); err != nil {
		return err
	}
	if err := j.w.sync(); err != nil {
		return err
	}
	next, err := createSegment(&j.opts, j.w.seq+1)
	if err != nil {
		return err
	}
	old := j.w
	j.w = next
	j.posMu.Lock()
	j.pos = Position{Segment: next.seq}
	j.posMu.Unlock()
	if err := old.f.Close(); err != nil {
		return fmt.Errorf("journal: close segment %d: %w", old.seq, err)
	}
	return nil
}

// callbacks runs each written batch's callbacks and recycles the batch.
func (j *Journal) callbacks() {
	defer close(j.stopped)
	for b := range j.done {
		for i := range b.ops {
			b.ops[i].cb(b.err)
			b.ops[i] = op{}
		}
		select {
		case j.free <- b.ops[:0]:
		default:
		}
	}
}
