package managedledger

import "sort"

// ledgerMeta is one ledger of the log as stored in the managed ledger's metadata. For the
// ledger being written, Entries and Size grow in memory as adds are confirmed; they are
// stored when the ledger is rolled over, closed or terminated.
type ledgerMeta struct {
	ID          int64 `json:"ledgerId"`
	Entries     int64 `json:"entries"`
	Size        int64 `json:"size"`
	TimestampMs int64 `json:"timestampMs"`
}

// layout is the ordered list of ledgers (ids strictly increasing) and the position
// arithmetic over it. Positions are (ledger, entry); entry ids run 0..Entries-1 in every
// ledger. A "slot" is either a stored entry or the end slot, the position the next
// appended entry will take (or would take, in the last ledger).
//
// Positions such as {L, -1} ("before L's first entry") or positions in ledgers that were
// trimmed or dropped are valid inputs: normalize maps them onto the next slot.
type layout []ledgerMeta

// index returns the index of the first ledger whose id is >= id.
func (l layout) index(id int64) int {
	return sort.Search(len(l), func(i int) bool { return l[i].ID >= id })
}

// end is the slot after the last stored entry.
func (l layout) end() Position {
	if len(l) == 0 {
		return Position{0, 0}
	}
	last := l[len(l)-1]
	return Position{last.ID, last.Entries}
}

// normalize returns the first slot at or after p.
func (l layout) normalize(p Position) Position {
	for i := l.index(p.LedgerID); i < len(l); i++ {
		lg := l[i]
		if lg.ID != p.LedgerID {
			if lg.Entries > 0 || i == len(l)-1 {
				return Position{lg.ID, 0}
			}
			continue
		}
		e := max(p.EntryID, 0)
		if e < lg.Entries {
			return Position{lg.ID, e}
		}
		if i == len(l)-1 {
			return l.end()
		}
	}
	return l.end()
}

// succ is the first slot after p.
func (l layout) succ(p Position) Position {
	return l.normalize(Position{p.LedgerID, p.EntryID + 1})
}

// last is the last stored entry, ok=false if none.
func (l layout) last() (Position, bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].Entries > 0 {
			return Position{l[i].ID, l[i].Entries - 1}, true
		}
	}
	return Position{}, false
}

// first is the first stored entry, ok=false if none.
func (l layout) first() (Position, bool) {
	for _, lg := range l {
		if lg.Entries > 0 {
			return Position{lg.ID, 0}, true
		}
	}
	return Position{}, false
}

// exists tells whether p is a stored entry.
func (l layout) exists(p Position) bool {
	i := l.index(p.LedgerID)
	return i < len(l) && l[i].ID == p.LedgerID && p.EntryID >= 0 && p.EntryID < l[i].Entries
}

// count is the number of stored entries p with a < p <= b.
func (l layout) count(a, b Position) int64 {
	if b.Compare(a) <= 0 {
		return 0
	}
	var n int64
	for i := l.index(a.LedgerID); i < len(l) && l[i].ID <= b.LedgerID; i++ {
		lg := l[i]
		lo, hi := int64(0), lg.Entries-1
		if lg.ID == a.LedgerID {
			lo = a.EntryID + 1
		}
		if lg.ID == b.LedgerID {
			hi = min(hi, b.EntryID)
		}
		if hi >= lo {
			n += hi - lo + 1
		}
	}
	return n
}

// bytes estimates the size of the entries p with a < p <= b from each ledger's average
// entry size.
func (l layout) bytes(a, b Position) int64 {
	if b.Compare(a) <= 0 {
		return 0
	}
	var n int64
	for i := l.index(a.LedgerID); i < len(l) && l[i].ID <= b.LedgerID; i++ {
		lg := l[i]
		if lg.Entries == 0 {
			continue
		}
		c := l[i:i+1].count(a, b)
		n += c * lg.Size / lg.Entries
	}
	return n
}

// advance returns the k-th stored entry after p (k >= 1), or the last stored entry if
// fewer than k follow p (ok=false if none follows).
func (l layout) advance(p Position, k int64) (Position, bool) {
	found := false
	var out Position
	for i := l.index(p.LedgerID); i < len(l) && k > 0; i++ {
		lg := l[i]
		lo := int64(0)
		if lg.ID == p.LedgerID {
			lo = max(p.EntryID+1, 0)
		}
		avail := lg.Entries - lo
		if avail <= 0 {
			continue
		}
		found = true
		if k <= avail {
			return Position{lg.ID, lo + k - 1}, true
		}
		k -= avail
		out = Position{lg.ID, lg.Entries - 1}
	}
	return out, found
}

// total is the number of stored entries and their size.
func (l layout) total() (entries, size int64) {
	for _, lg := range l {
		entries += lg.Entries
		size += lg.Size
	}
	return entries, size
}

// at returns the i-th stored entry (0-based over all ledgers).
func (l layout) at(i int64) (Position, bool) {
	for _, lg := range l {
		if i < lg.Entries {
			return Position{lg.ID, i}, true
		}
		i -= lg.Entries
	}
	return Position{}, false
}

func (l layout) clone() layout { return append(layout(nil), l...) }
