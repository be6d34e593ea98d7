package ledger

import "math/bits"

// Entries are striped round-robin: entry e goes to the write set of wq bookies at
// ensemble positions e, e+1, ..., e+wq-1 (mod the ensemble size).

// writeSetMask returns the ensemble positions of entry e's write set as a bit mask.
func writeSetMask(e int64, ensemble, wq int) uint64 {
	var m uint64
	start := int(e % int64(ensemble))
	for i := 0; i < wq; i++ {
		m |= 1 << uint((start+i)%ensemble)
	}
	return m
}

// covered tells whether the bookies in responded leave no write set with an ack quorum
// of bookies that did not respond: every write set has at least wq-aq+1 responders. Once
// the responders are fenced, no add can be acknowledged any more; once they all said an
// entry is absent, it cannot have been acknowledged.
func covered(responded uint64, ensemble, wq, aq int) bool {
	sets := ensemble
	if wq == ensemble {
		sets = 1
	}
	for s := 0; s < sets; s++ {
		if bits.OnesCount64(responded&writeSetMask(int64(s), ensemble, wq)) < wq-aq+1 {
			return false
		}
	}
	return true
}
