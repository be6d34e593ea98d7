// Package journal is the bookie's write-ahead log: every add is appended here and
// fdatasynced before it is acknowledged. One writer goroutine does group commit: it takes
// every add queued since its last round, writes them with one write and one fdatasync,
// then hands their callbacks to a second goroutine, so the next round's write overlaps
// the callbacks of the last.
//
// The log is a directory of segment files (<seq>.jnl) that roll over at SegmentSize,
// written with direct I/O (see package appendfile): the records are encoded straight
// into the writer's aligned buffer, the only copy of an entry the journal makes. A
// checkpoint Position, kept by the bookie once the entries before it are safe in its
// entry logs, is where replay starts; segments wholly before it are recycled (written
// again as later segments, see recycle.go) or deleted.
package journal

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magnetar/magnetar/metrics"
)

// Errors Add reports through its callback.
var (
	ErrClosed   = errors.New("journal: closed")
	ErrTooLarge = errors.New("journal: record too large")
)

// Options configure a journal; zero fields take the defaults.
type Options struct {
	// Dir holds the segment files; ideally its own disk.
	Dir string
	// SegmentSize is where a segment rolls over; default 512 MiB.
	SegmentSize int64
	// MaxPayload bounds one record's payload; default 16 MiB. Replay treats a longer
	// length field as corruption.
	MaxPayload int
	// MaxBatchBytes bounds the bytes one group commit takes from the queue; default 8 MiB.
	MaxBatchBytes int
	// MaxSpareSegments is how many checkpointed segments are kept to be written again
	// instead of new files; default 2, negative for none.
	MaxSpareSegments int
}

func (o *Options) ensureDefaults() {
	if o.SegmentSize <= 0 {
		o.SegmentSize = 512 << 20
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 16 << 20
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 8 << 20
	}
	if o.MaxSpareSegments == 0 {
		o.MaxSpareSegments = 2
	}
}

// Entry is what Add journals: its payload is Header (may be empty) followed by Data.
type Entry struct {
	LedgerID, EntryID, LastAddConfirmed int64
	Header, Data                        []byte
	// DataCRC is the CRC-32C of Data: the record's checksum is derived from it (see
	// package crc32c), so the journal copies Data without reading it again.
	DataCRC uint32
}

// size is the entry's record size.
func (e *Entry) size() int { return RecordOverhead + len(e.Header) + len(e.Data) }

// op is one queued add, kept by value in the queue so that queuing allocates nothing.
type op struct {
	Entry
	cb    func(error)
	added time.Time
}

// Journal is an open journal. Add is safe for concurrent use.
type Journal struct {
	opts Options

	mu      sync.Mutex
	queue   []op // adds waiting for the writer, guarded by mu
	closed  bool
	failErr error         // set when a write or sync failed: the journal is unusable
	wake    chan struct{} // cap 1: the writer has work
	free    chan []op     // recycled batches

	posMu sync.Mutex
	pos   Position // end of the data written so far, guarded by posMu

	spareMu sync.Mutex
	spares  []string // spare segment files, guarded by spareMu

	w        *segmentWriter // owned by the writer goroutine
	done     chan batch     // written batches whose callbacks are due
	stopped  chan struct{}  // closed when both goroutines have exited
	closeErr error

	stats struct{ rounds, records, bytes, failed, recycled atomic.Int64 }
	// addLatency is each add's time from Add to its callback; syncLatency each round's
	// write plus fdatasync (BookKeeper's JOURNAL_ADD_ENTRY and JOURNAL_SYNC).
	addLatency, syncLatency metrics.LatencyWindow
}

// Stats counts the journal's work since Open.
type Stats struct {
	Rounds  int64 // group commits, i.e. fdatasyncs of batches
	Records int64 // records made durable
	Bytes   int64 // bytes written, record headers included
	Failed  int64 // adds that failed (I/O error, closed, too large)
	Queued  int   // adds waiting for the writer now
	// Recycled counts segments written in a spare file rather than a new one.
	Recycled int64
	// AddLatency is the time from Add to the callback of successful adds; SyncLatency
	// that of each group commit's write and fdatasync.
	AddLatency, SyncLatency metrics.Summary
}

// Stats returns the counters; Records/Rounds is the mean group-commit size.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	queued := len(j.queue)
	j.mu.Unlock()
	now := time.Now()
	return Stats{
		Rounds: j.stats.rounds.Load(), Records: j.stats.records.Load(), Bytes: j.stats.bytes.Load(),
		Failed: j.stats.failed.Load(), Queued: queued, Recycled: j.stats.recycled.Load(),
		AddLatency: j.addLatency.Summary(now), SyncLatency: j.syncLatency.Summary(now),
	}
}

// Open replays the journal from `from` (calling replay for every record, in order, with
// a torn tail repaired) and then starts a new segment for writing.
func Open(opts Options, from Position, replayFn func(Record) error) (*Journal, error) {
	opts.ensureDefaults()
	if opts.Dir == "" {
		return nil, errors.New("journal: no directory")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: create %s: %w", opts.Dir, err)
	}
	if replayFn == nil {
		replayFn = func(Record) error { return nil }
	}
	j := &Journal{
		opts:    opts,
		wake:    make(chan struct{}, 1),
		free:    make(chan []op, 4),
		done:    make(chan batch, 2),
		stopped: make(chan struct{}),
	}
	if err := j.adoptSpares(); err != nil {
		return nil, err
	}
	last, err := replay(&j.opts, from, replayFn, j.release)
	if err != nil {
		return nil, err
	}
	seq := max(last, from.Segment) + 1
	if j.w, err = j.createSegment(seq); err != nil {
		return nil, err
	}
	j.pos = Position{Segment: seq}
	go j.callbacks()
	go j.writeLoop()
	return j, nil
}

// Add queues a record of e; cb runs once it is durable (nil) or failed. cb runs on the
// journal's callback goroutine and must not block long. e's slices are not retained
// after cb.
func (j *Journal) Add(e Entry, cb func(error)) {
	if n := len(e.Header) + len(e.Data); n > j.opts.MaxPayload {
		j.stats.failed.Add(1)
		cb(fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, j.opts.MaxPayload))
		return
	}
	added := time.Now()
	j.mu.Lock()
	if j.closed || j.failErr != nil {
		err := j.failErr
		j.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		j.stats.failed.Add(1)
		cb(err)
		return
	}
	j.queue = append(j.queue, op{Entry: e, cb: cb, added: added})
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// Position returns the end of the data written so far: every record added before the
// call that has reached the writer lies before it. The bookie takes it as a checkpoint
// candidate before flushing its write cache.
func (j *Journal) Position() Position {
	j.posMu.Lock()
	defer j.posMu.Unlock()
	return j.pos
}

// DeleteBefore recycles or removes the segments that lie wholly before p (never the one
// being written).
func (j *Journal) DeleteBefore(p Position) error {
	seqs, err := listSegments(j.opts.Dir)
	if err != nil {
		return err
	}
	cur := j.Position().Segment
	removed := false
	for _, seq := range seqs {
		if seq >= p.Segment || seq >= cur {
			break
		}
		if err := j.release(seq); err != nil {
			return err
		}
		removed = true
	}
	if removed {
		return syncDir(j.opts.Dir)
	}
	return nil
}

// Close stops taking adds, writes and syncs the queued ones, runs their callbacks and
// closes the segment.
func (j *Journal) Close() error {
	j.mu.Lock()
	already := j.closed
	j.closed = true
	j.mu.Unlock()
	if !already {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
	<-j.stopped
	return j.closeErr
}
