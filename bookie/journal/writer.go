package journal

import (
	"fmt"
	"os"
	"time"

	"github.com/magnetar/magnetar/bookie/appendfile"
)

// segmentWriter appends to the segment being written. Only the writer goroutine uses it.
type segmentWriter struct {
	a    *appendfile.File
	seq  uint64
	seed uint32 // of the records' CRCs
}

// createSegment starts segment seq, in a spare segment file if there is one. Its header
// goes out with its first records.
func (j *Journal) createSegment(seq uint64) (*segmentWriter, error) {
	path := segmentName(j.opts.Dir, seq)
	var a *appendfile.File
	// The buffer holds a whole group commit (MaxBatchBytes; one larger record grows it
	// until the next write).
	spare, ok := j.takeSpare()
	if ok {
		err := os.Rename(spare, path)
		if err == nil {
			a, err = appendfile.Overwrite(path, j.opts.MaxBatchBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("journal: recycle segment: %w", err)
		}
		j.stats.recycled.Add(1)
	} else {
		var err error
		if a, err = appendfile.Create(path, j.opts.MaxBatchBytes); err != nil {
			return nil, fmt.Errorf("journal: create segment: %w", err)
		}
	}
	if err := syncDir(j.opts.Dir); err != nil {
		a.Close()
		return nil, err
	}
	putHeader(a.Next(headerSize), seq)
	return &segmentWriter{a: a, seq: seq, seed: recordSeed(seq)}, nil
}

// off is where the next record goes.
func (w *segmentWriter) off() int64 { return w.a.Offset() }

// empty tells whether the segment has no record yet.
func (w *segmentWriter) empty() bool { return w.a.Offset() <= headerSize }

// seal ends the segment's data explicitly: a zero length field reads as its end even
// where a recycled file's old records follow.
func (w *segmentWriter) seal() { clear(w.a.Next(frameHeader)) }

// flush writes the buffered records.
func (w *segmentWriter) flush() error {
	if err := w.a.Flush(); err != nil {
		return fmt.Errorf("journal: write segment %d: %w", w.seq, err)
	}
	return nil
}

func (w *segmentWriter) sync() error {
	if err := w.a.Sync(); err != nil {
		return fmt.Errorf("journal: sync segment %d: %w", w.seq, err)
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
	defer func() {
		if j.closeErr == nil {
			j.w.seal()
		}
		if err := j.w.a.Close(); err != nil && j.closeErr == nil {
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
				err = j.writeBatch(ops)
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

// writeBatch encodes ops into the segment's buffer, writes them (every MaxBatchBytes,
// and rolling over to a new segment where one fills up) and syncs once at the end.
func (j *Journal) writeBatch(ops []op) error {
	start := time.Now()
	for i := range ops {
		o := &ops[i]
		size := o.size()
		if !j.w.empty() && j.w.off()+int64(size+frameHeader) > j.opts.SegmentSize {
			if err := j.roll(); err != nil {
				return err
			}
		}
		if size > j.w.a.Available() && j.w.a.Buffered() > 0 { // write first rather than grow the buffer
			if err := j.flush(); err != nil {
				return err
			}
		}
		putRecord(j.w.a.Next(size), j.w.seed, &o.Entry)
		j.stats.bytes.Add(int64(size))
		if j.w.a.Buffered() >= j.opts.MaxBatchBytes {
			if err := j.flush(); err != nil {
				return err
			}
		}
	}
	if err := j.flush(); err != nil {
		return err
	}
	if err := j.w.sync(); err != nil {
		return err
	}
	j.syncLatency.Record(time.Since(start))
	j.stats.rounds.Add(1)
	j.stats.records.Add(int64(len(ops)))
	return nil
}

// flush writes the buffered records to the current segment and publishes the new end
// position.
func (j *Journal) flush() error {
	if err := j.w.flush(); err != nil {
		return err
	}
	j.posMu.Lock()
	j.pos = Position{Segment: j.w.seq, Offset: j.w.off()}
	j.posMu.Unlock()
	return nil
}

// roll seals, writes and syncs the full segment, closes it, and starts the next one. The
// old segment is durable before the new one exists, so only the last segment can ever
// hold a torn record.
func (j *Journal) roll() error {
	j.w.seal()
	if err := j.flush(); err != nil {
		return err
	}
	old := j.w
	if err := old.a.Close(); err != nil { // syncs
		return fmt.Errorf("journal: close segment %d: %w", old.seq, err)
	}
	next, err := j.createSegment(old.seq + 1)
	if err != nil {
		return err
	}
	j.w = next
	j.posMu.Lock()
	j.pos = Position{Segment: next.seq}
	j.posMu.Unlock()
	return nil
}

// callbacks runs each written batch's callbacks and recycles the batch.
func (j *Journal) callbacks() {
	defer close(j.stopped)
	for b := range j.done {
		for i := range b.ops {
			if b.err == nil {
				j.addLatency.Record(time.Since(b.ops[i].added))
			}
			b.ops[i].cb(b.err)
			b.ops[i] = op{}
		}
		select {
		case j.free <- b.ops[:0]:
		default:
		}
	}
}
