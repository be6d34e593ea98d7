package ledger

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"sync"

	"github.com/magnetar/magnetar/bookie"
)

// The writer pipelines appends: each entry is framed, given the next entry id and sent to
// its write set at once, without waiting for earlier entries. Bookie callbacks record
// acknowledgements in the entry's pendingAdd; the entries at the head of the queue that
// reached the ack quorum are completed, in entry order, by whichever callback got them
// there. No goroutine is started per entry: callbacks run on the bookie clients'
// goroutines and hand user callbacks over through a ready list that one goroutine at a
// time delivers (see unlockAndDeliver), so they are never called concurrently or out of
// order, and never under the writer's lock.

// slot is a bookie at one ensemble position. A replacement gets a new slot, so a
// callback can tell by pointer whether the bookie it came from is still in the ensemble.
type slot struct {
	id string
	cl bookie.Client
}

// send is one add of an entry to one bookie. Its callback is created once per send value
// and reused with the pendingAdd that owns it.
type send struct {
	pa  *pendingAdd
	idx int // ensemble position
	bk  *slot
	req bookie.AddRequest
	cb  func(error)
}

// pendingAdd is an entry from Append until its callback has been handed over and every
// send of it has called back; only then is it reused.
type pendingAdd struct {
	w           *writer
	entryID     int64
	hdr, data   []byte // the frame: its header, then the caller's data (not copied)
	dataCRC     uint32 // of data, passed on so bookies need not compute it again
	size        int
	cb          func(int64, error)
	wset        uint64 // ensemble positions of the write set
	acked       uint64 // positions whose current bookie acknowledged
	sent        bool   // false while queued behind an ensemble change
	done        bool   // callback handed over
	outstanding int    // sends whose callback has not run
	sentTick    int64
	sends       []send // the first send to each write set member
}

// completion is a user callback ready to run.
type completion struct {
	cb  func(int64, error)
	id  int64
	err error
}

type writer struct {
	c          *client
	lid        int64
	key        []byte
	ensSize    int
	wq, aq     int
	timeoutTks int64

	mu        sync.Mutex
	meta      *ledgerMeta // replaced, never modified, on ensemble change
	version   int64
	ens       []*slot
	pending   queue
	nextEntry int64
	lacV      int64
	lengthV   int64 // acknowledged bytes
	appended  int64 // bytes of every entry appended
	err       error // terminal: every later append fails with it
	closing   bool
	closed    bool
	changing  bool   // an ensemble change is under way; completions wait for it
	failed    uint64 // ensemble positions waiting for a replacement
	bad       map[string]bool
	tick      int64
	free      []*pendingAdd

	ready, spare []completion
	delivering   bool
	drained      []chan struct{}
}

func newWriter(c *client, id int64, m *ledgerMeta, version int64, key []byte, ens []*slot) *writer {
	w := &writer{
		c: c, lid: id, key: key,
		ensSize: m.EnsembleSize, wq: m.WriteQuorum, aq: m.AckQuorum,
		timeoutTks: c.timeoutTicks(),
		meta:       m, version: version,
		ens:  ens,
		lacV: -1,
		bad:  map[string]bool{},
	}
	c.register(w)
	return w
}

func (w *writer) id() int64 { return w.lid }

func (w *writer) lac() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lacV
}

func (w *writer) length() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lengthV
}

func (w *writer) append(data []byte, cb func(int64, error)) {
	// Checksum outside the lock. The frame is the header and the caller's data, sent to
	// bookies as two parts, so the data is never copied here.
	dataCRC := crc32.Update(0, castagnoli, data)
	hdr := make([]byte, frameHeaderSize)
	w.mu.Lock()
	if w.err != nil || w.closing {
		err := w.err
		if err == nil {
			err = fmt.Errorf("append to ledger %d: %w", w.lid, ErrLedgerClosed)
		}
		w.ready = append(w.ready, completion{cb: cb, id: -1, err: err})
		w.unlockAndDeliver()
		return
	}
	pa := w.newPending()
	pa.entryID = w.nextEntry
	w.nextEntry++
	w.appended += int64(len(data))
	pa.cb, pa.size = cb, len(data)
	sealFrame(hdr, dataCRC, w.lid, pa.entryID, w.lacV, w.appended)
	pa.hdr, pa.data, pa.dataCRC = hdr, data, dataCRC
	pa.wset = writeSetMask(pa.entryID, w.ensSize, w.wq)
	w.pending.push(pa)
	if w.changing {
		w.mu.Unlock() // sent once the new ensemble is in place
		return
	}
	w.prepareSends(pa)
	w.mu.Unlock()
	for i := range pa.sends {
		s := &pa.sends[i]
		s.bk.cl.AddEntry(&s.req, s.cb)
	}
}

// newPending takes a pendingAdd from the free list or makes one.
func (w *writer) newPending() *pendingAdd {
	if n := len(w.free); n > 0 {
		pa := w.free[n-1]
		w.free = w.free[:n-1]
		return pa
	}
	pa := &pendingAdd{w: w, sends: make([]send, w.wq)}
	for i := range pa.sends {
		s := &pa.sends[i]
		s.pa, s.cb = pa, s.done
	}
	return pa
}

// recycle returns a finished pendingAdd to the free list.
func (w *writer) recycle(pa *pendingAdd) {
	pa.hdr, pa.data, pa.cb = nil, nil, nil
	pa.acked, pa.sent, pa.done = 0, false, false
	for i := range pa.sends {
		pa.sends[i].bk, pa.sends[i].req.Header, pa.sends[i].req.Data = nil, nil, nil
	}
	w.free = append(w.free, pa)
}

// prepareSends fills pa's sends to its write set in the current ensemble; the caller
// issues them after unlocking.
func (w *writer) prepareSends(pa *pendingAdd) {
	pa.sent, pa.sentTick = true, w.tick
	pa.outstanding += len(pa.sends)
	for i := range pa.sends {
		s := &pa.sends[i]
		s.idx = int((pa.entryID + int64(i)) % int64(w.ensSize))
		s.bk = w.ens[s.idx]
		s.req = bookie.AddRequest{LedgerID: w.lid, EntryID: pa.entryID, LastAddConfirmed: w.lacV, MasterKey: w.key,
			Header: pa.hdr, Data: pa.data, DataCRC: pa.dataCRC, HasDataCRC: true}
	}
}

// done is a bookie's answer to one send.
func (s *send) done(err error) {
	pa := s.pa
	w := pa.w
	if err != nil {
		w.c.connFailed(s.bk.id, s.bk.cl, err)
	}
	w.mu.Lock()
	pa.outstanding--
	current := w.ens[s.idx] == s.bk
	switch {
	case err != nil && current:
		w.sendFailed(s.idx, err)
	case err == nil && current && !pa.done:
		pa.acked |= 1 << uint(s.idx)
	}
	if pa.done {
		if pa.outstanding == 0 {
			w.recycle(pa)
		}
	} else {
		w.advance()
	}
	w.unlockAndDeliver()
}

// sendFailed reacts to a bookie's error: fencing ends the writer, a bookie failure
// replaces the bookie.
func (w *writer) sendFailed(idx int, err error) {
	switch {
	case errors.Is(err, bookie.ErrFenced):
		w.fail(fmt.Errorf("ledger %d: bookie %s: %w", w.lid, w.ens[idx].id, ErrFenced))
	case errors.Is(err, bookie.ErrUnauthorized), errors.Is(err, bookie.ErrTooLarge):
		w.fail(fmt.Errorf("ledger %d: bookie %s: %w", w.lid, w.ens[idx].id, err))
	default:
		w.bookieFailed(idx)
	}
}

// advance completes the head entries that reached the ack quorum. During an ensemble
// change nothing completes, so the new fragment can start at LAC+1.
func (w *writer) advance() {
	for !w.changing && w.pending.len() > 0 {
		pa := w.pending.front()
		if bits.OnesCount64(pa.acked) < w.aq {
			return
		}
		w.pending.pop()
		w.lacV = pa.entryID
		w.lengthV += int64(pa.size)
		w.ready = append(w.ready, completion{cb: pa.cb, id: pa.entryID})
		pa.done = true
		if pa.outstanding == 0 {
			w.recycle(pa)
		}
	}
}

// fail makes err terminal: every pending entry fails with it, in order.
func (w *writer) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = err
	w.c.unregister(w) // lock order: w.mu, then c.mu
	for w.pending.len() > 0 {
		pa := w.pending.pop()
		w.ready = append(w.ready, completion{cb: pa.cb, id: pa.entryID, err: err})
		pa.done = true
		if pa.outstanding == 0 {
			w.recycle(pa)
		}
	}
}

// unlockAndDeliver releases w.mu and runs the ready callbacks, unless another goroutine
// is already running them (it will pick up the new ones too).
func (w *writer) unlockAndDeliver() {
	if w.delivering || len(w.ready) == 0 {
		w.signalDrained()
		w.mu.Unlock()
		return
	}
	w.delivering = true
	for len(w.ready) > 0 {
		batch := w.ready
		w.ready = w.spare[:0]
		w.mu.Unlock()
		for i := range batch {
			batch[i].cb(batch[i].id, batch[i].err)
			batch[i] = completion{}
		}
		w.mu.Lock()
		w.spare = batch[:0]
	}
	w.delivering = false
	w.signalDrained()
	w.mu.Unlock()
}

// signalDrained wakes Close once nothing is pending, being delivered or being changed.
func (w *writer) signalDrained() {
	if len(w.drained) == 0 || !w.isDrained() {
		return
	}
	for _, ch := range w.drained {
		close(ch)
	}
	w.drained = nil
}

func (w *writer) isDrained() bool {
	return w.pending.len() == 0 && len(w.ready) == 0 && !w.delivering && !w.changing
}

func (w *writer) read(ctx context.Context, first, last int64) ([]Entry, error) {
	w.mu.Lock()
	lac, m := w.lacV, w.meta
	w.mu.Unlock()
	if err := checkRange(first, last, lac); err != nil {
		return nil, fmt.Errorf("ledger %d: %w", w.lid, err)
	}
	return w.c.readEntries(ctx, w.lid, m, first, last)
}
