package managedledger

import "sort"

// posRange is a closed range [From, To] of positions: every stored entry p with
// From <= p <= To. Stored ranges use this convention too (not Pulsar's open-closed one).
type posRange struct{ From, To Position }

// rangeSet is a sorted list of disjoint ranges: a cursor's individually deleted entries
// after its mark-delete position. Ranges that touch (the next slot after one range is
// the first of the next) are merged when either is inserted; ranges that became adjacent
// only because a ledger was closed later may stay apart, which changes nothing but the
// count of stored ranges.
type rangeSet struct{ r []posRange }

// find returns the index of the first range whose To is >= p.
func (s *rangeSet) find(p Position) int {
	return sort.Search(len(s.r), func(i int) bool { return s.r[i].To.Compare(p) >= 0 })
}

// containing returns the range that contains p.
func (s *rangeSet) containing(p Position) (posRange, bool) {
	i := s.find(p)
	if i < len(s.r) && s.r[i].From.Compare(p) <= 0 {
		return s.r[i], true
	}
	return posRange{}, false
}

func (s *rangeSet) contains(p Position) bool {
	_, ok := s.containing(p)
	return ok
}

// add inserts p and merges it with touching neighbours; false if p was present.
func (s *rangeSet) add(p Position, l layout) bool {
	i := s.find(p)
	if i < len(s.r) && s.r[i].From.Compare(p) <= 0 {
		return false
	}
	joinPrev := i > 0 && l.succ(s.r[i-1].To) == p
	joinNext := i < len(s.r) && l.succ(p) == s.r[i].From
	switch {
	case joinPrev && joinNext:
		s.r[i-1].To = s.r[i].To
		s.r = append(s.r[:i], s.r[i+1:]...)
	case joinPrev:
		s.r[i-1].To = p
	case joinNext:
		s.r[i].From = p
	default:
		s.r = append(s.r, posRange{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = posRange{p, p}
	}
	return true
}

// dropThrough removes everything at or before p.
func (s *rangeSet) dropThrough(p Position, l layout) {
	i := s.find(p)
	if i < len(s.r) && s.r[i].From.Compare(p) <= 0 {
		if s.r[i].To == p {
			i++
		} else {
			s.r[i].From = l.succ(p)
		}
	}
	s.r = s.r[:copy(s.r, s.r[i:])]
}

// popTouching removes and returns the first range if it starts at the slot after md.
func (s *rangeSet) popTouching(md Position, l layout) (posRange, bool) {
	if len(s.r) == 0 || l.succ(md).Compare(s.r[0].From) < 0 {
		return posRange{}, false
	}
	r := s.r[0]
	s.r = s.r[:copy(s.r, s.r[1:])]
	return r, true
}

// count is the number of stored entries in the ranges, up to and including upTo.
func (s *rangeSet) count(l layout, upTo Position) int64 {
	var n int64
	for _, r := range s.r {
		if r.From.Compare(upTo) > 0 {
			break
		}
		to := r.To
		if to.Compare(upTo) > 0 {
			to = upTo
		}
		n += l.count(Position{r.From.LedgerID, r.From.EntryID - 1}, to)
	}
	return n
}

func (s *rangeSet) len() int { return len(s.r) }

func (s *rangeSet) clear() { s.r = nil }
