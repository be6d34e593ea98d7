package managedledger

import (
	"errors"
	"time"

	"github.com/magnetar/magnetar/ledger"
)

// The write path. Every AddEntry becomes an addOp queued in call order in pending. An op
// is sent to the current ledger at once when there is one that takes writes; otherwise
// (no ledger yet, a rollover running) it waits and the rollover sends it. Ledger
// callbacks push results onto a queue; one completer goroutine per managed ledger applies
// them under mu, pops the done prefix of pending (advancing the last confirmed position,
// filling the cache, waking tailing readers) and then runs the producers' callbacks
// outside any lock, so they run in call order and may call AddEntry again.
//
// When a ledger fails an append, the ledger is sealed, a new one is created, and every
// op that is not done is sent again, in order, to the new ledger: ops acknowledged before
// the failure keep their positions, none is lost, reordered or stored twice in the log
// (the failed ledger's entry count in the metadata stops at the last acknowledged entry,
// so a partially written entry there is never read).

// writeLedger is a ledger this managed ledger writes to.
type writeLedger struct {
	h                      *ledger.WriteHandle
	id                     int64
	created                time.Time
	sentEntries, sentBytes int64
	inflight               int  // appends sent and not yet called back
	sealed                 bool // no more appends: being rolled over
	failed                 bool // an append failed; later successes are ignored
	drained                chan struct{}
}

func newWriteLedger(h *ledger.WriteHandle) *writeLedger {
	return &writeLedger{h: h, id: h.ID(), created: time.Now(), drained: make(chan struct{})}
}

// addOp is one AddEntry call.
type addOp struct {
	data []byte
	cb   func(Position, error)
	gen  uint64       // bumped per send; results of older sends are ignored
	lh   *writeLedger // ledger of the latest send
	done bool
	pos  Position
	err  error
}

// addResult is a ledger callback, queued for the completer.
type addResult struct {
	op      *addOp
	lh      *writeLedger
	gen     uint64
	entryID int64
	err     error
}

func (m *managedLedger) addEntry(data []byte, cb func(Position, error)) {
	if cb == nil {
		cb = func(Position, error) {}
	}
	op := &addOp{data: data, cb: cb}
	m.mu.Lock()
	if err := m.addErr; err != nil {
		if m.stopped {
			m.mu.Unlock()
			cb(Position{}, err)
			return
		}
		op.done, op.err = true, err
		m.pending = append(m.pending, op)
		m.mu.Unlock()
		m.wakeCompleter()
		return
	}
	m.pending = append(m.pending, op)
	m.notDone++
	switch {
	case m.rolling:
		// The running rollover sends it.
	case m.cur != nil && !m.cur.sealed && !m.cur.failed && !m.fullLocked(m.cur):
		m.sendLocked(op)
	default:
		m.startRolloverLocked()
	}
	m.mu.Unlock()
}

// fullLocked tells whether the ledger must be rolled over before the next append.
func (m *managedLedger) fullLocked(w *writeLedger) bool {
	if w.sentEntries == 0 {
		return false
	}
	age := time.Since(w.created)
	if age < m.cfg.MinLedgerRolloverTime {
		return false
	}
	return w.sentEntries >= int64(m.cfg.MaxEntriesPerLedger) ||
		w.sentBytes >= m.cfg.MaxSizePerLedgerBytes ||
		age >= m.cfg.MaxLedgerRolloverTime
}

// sendLocked appends op to the current ledger.
func (m *managedLedger) sendLocked(op *addOp) {
	w := m.cur
	op.gen++
	gen := op.gen
	op.lh = w
	w.sentEntries++
	w.sentBytes += int64(len(op.data))
	w.inflight++
	w.h.Append(op.data, func(entryID int64, err error) {
		m.pushResult(addResult{op: op, lh: w, gen: gen, entryID: entryID, err: err})
	})
}

func (m *managedLedger) pushResult(r addResult) {
	m.resMu.Lock()
	m.results = append(m.results, r)
	m.resMu.Unlock()
	m.wakeCompleter()
}

func (m *managedLedger) wakeCompleter() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// completer applies ledger results and runs callbacks in order until the managed
// ledger is closed and every callback ran.
func (m *managedLedger) completer() {
	for {
		<-m.wake
		for {
			batch, exit := m.process()
			for _, op := range batch {
				op.cb(op.pos, op.err)
			}
			if exit {
				return
			}
			if len(batch) == 0 {
				break
			}
		}
	}
}

// process applies queued results and pops the ops whose callbacks may run now.
func (m *managedLedger) process() (batch []*addOp, exit bool) {
	m.resMu.Lock()
	rs := m.results
	m.results = nil
	m.resMu.Unlock()

	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rs {
		m.applyLocked(r)
	}
	batch = m.popDoneLocked()
	if (m.state == stateClosed || m.state == stateDeleted) && m.pendingHead == len(m.pending) {
		m.stopped = true
		return batch, true
	}
	return batch, false
}

func (m *managedLedger) applyLocked(r addResult) {
	w, op := r.lh, r.op
	w.inflight--
	if w.sealed && w.inflight == 0 {
		close(w.drained)
	}
	if op.gen != r.gen || op.done {
		return
	}
	if r.err == nil {
		if w.failed {
			return // sent again after the failure
		}
		op.done, op.pos = true, Position{w.id, r.entryID}
		m.notDone--
		return
	}
	if errors.Is(r.err, ledger.ErrFenced) {
		m.log.Warn("ledger fenced: another broker took over", "ledger", w.id)
		m.fenceLocked()
		return
	}
	if !w.failed {
		w.failed = true
		m.log.Warn("ledger append failed; rolling over", "ledger", w.id, "err", r.err)
		if !m.rolling && m.cur == w {
			m.startRolloverLocked()
		}
	}
}

// popDoneLocked removes the done prefix of pending and returns it.
func (m *managedLedger) popDoneLocked() []*addOp {
	var batch []*addOp
	added := false
	for m.pendingHead < len(m.pending) && m.pending[m.pendingHead].done {
		op := m.pending[m.pendingHead]
		m.pending[m.pendingHead] = nil
		m.pendingHead++
		batch = append(batch, op)
		if op.err != nil {
			continue
		}
		m.lac = op.pos
		if i := m.ledgers.index(op.pos.LedgerID); i < len(m.ledgers) && m.ledgers[i].ID == op.pos.LedgerID {
			m.ledgers[i].Entries = op.pos.EntryID + 1
			m.ledgers[i].Size += int64(len(op.data))
		}
		if len(m.durable)+len(m.nonDurable) > 0 {
			// Without cursors nobody tails the log: new cursors start at the end or
			// catch up from the bookies.
			m.cache.put(op.pos, op.data)
		}
		m.addedEntries++
		added = true
	}
	if len(batch) == 0 {
		return nil
	}
	if m.pendingHead == len(m.pending) {
		m.pending, m.pendingHead = m.pending[:0], 0
	} else if m.pendingHead > 1024 && m.pendingHead > len(m.pending)/2 {
		k := copy(m.pending, m.pending[m.pendingHead:])
		clear(m.pending[k:])
		m.pending, m.pendingHead = m.pending[:k], 0
	}
	if added && m.state != stateClosed && m.state != stateDeleted {
		close(m.notify)
		m.notify = make(chan struct{})
	}
	if m.notDone == 0 {
		m.signalChangedLocked()
	}
	return batch
}

// fenceLocked gives up writing: another owner recovered the current ledger or changed
// the metadata.
func (m *managedLedger) fenceLocked() {
	if m.state == stateOpen || m.state == stateTerminated {
		m.state = stateFenced
	}
	m.addErr = ErrFenced
	m.failNotDoneLocked(ErrFenced)
}

// failNotDoneLocked completes every op that is not done with err.
func (m *managedLedger) failNotDoneLocked(err error) {
	for _, op := range m.pending[m.pendingHead:] {
		if !op.done {
			op.gen++
			op.done, op.err = true, err
			m.notDone--
		}
	}
	m.signalChangedLocked()
	m.wakeCompleter()
}
