package broker

import (
	"sort"

	"github.com/magnetar/magnetar/managedledger"
)

// replaySet holds the entries a Shared or Key_Shared dispatcher must deliver (again)
// before reading new ones: negatively acknowledged, left unacknowledged by a consumer that
// went away, read while no consumer could take them, or delayed and now due. Positions
// are kept sorted so redelivery goes in log order. For Key_Shared it also counts entries
// per hash slot, so a newer message of a key never overtakes one waiting here.
type replaySet struct {
	pos   []managedledger.Position // sorted, unique
	slot  map[managedledger.Position]int
	slots map[int]int // slot -> entries waiting
}

func (r *replaySet) len() int { return len(r.pos) }

// add inserts pos; slot < 0 when unknown (not Key_Shared).
func (r *replaySet) add(p managedledger.Position, slot int) {
	i := sort.Search(len(r.pos), func(i int) bool { return r.pos[i].Compare(p) >= 0 })
	if i < len(r.pos) && r.pos[i] == p {
		return
	}
	r.pos = append(r.pos, managedledger.Position{})
	copy(r.pos[i+1:], r.pos[i:])
	r.pos[i] = p
	if slot >= 0 {
		if r.slot == nil {
			r.slot, r.slots = map[managedledger.Position]int{}, map[int]int{}
		}
		r.slot[p] = slot
		r.slots[slot]++
	}
}

// remove deletes pos if present.
func (r *replaySet) remove(p managedledger.Position) {
	i := sort.Search(len(r.pos), func(i int) bool { return r.pos[i].Compare(p) >= 0 })
	if i == len(r.pos) || r.pos[i] != p {
		return
	}
	r.pos = append(r.pos[:i], r.pos[i+1:]...)
	if s, ok := r.slot[p]; ok {
		delete(r.slot, p)
		if r.slots[s]--; r.slots[s] == 0 {
			delete(r.slots, s)
		}
	}
}

// removeUpTo deletes every position <= p (cumulative ack).
func (r *replaySet) removeUpTo(p managedledger.Position) {
	for len(r.pos) > 0 && r.pos[0].Compare(p) <= 0 {
		r.remove(r.pos[0])
	}
}

// first returns up to n positions, smallest first (a copy).
func (r *replaySet) first(n int) []managedledger.Position {
	n = min(n, len(r.pos))
	return append([]managedledger.Position(nil), r.pos[:n]...)
}

// waiting tells whether an entry of slot is waiting for redelivery.
func (r *replaySet) waiting(slot int) bool { return r.slots[slot] > 0 }

func (r *replaySet) clear() { *r = replaySet{} }
