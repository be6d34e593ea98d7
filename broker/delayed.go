package broker

import (
	"container/heap"

	"github.com/magnetar/magnetar/managedledger"
)

// delayedQueue holds entries whose deliver_at_time is in the future (delayed delivery on
// Shared and Key_Shared subscriptions), ordered by due time. Positions are unique.
type delayedQueue struct {
	h   delayedHeap
	set map[managedledger.Position]struct{}
}

type delayedItem struct {
	at  int64 // ms since epoch
	pos managedledger.Position
}

type delayedHeap []delayedItem

func (h delayedHeap) Len() int { return len(h) }
func (h delayedHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].pos.Compare(h[j].pos) < 0
}
func (h delayedHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayedHeap) Push(x any)   { *h = append(*h, x.(delayedItem)) }
func (h *delayedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (q *delayedQueue) add(at int64, pos managedledger.Position) {
	if q.set == nil {
		q.set = map[managedledger.Position]struct{}{}
	}
	if _, ok := q.set[pos]; ok {
		return
	}
	q.set[pos] = struct{}{}
	heap.Push(&q.h, delayedItem{at, pos})
}

// due removes and returns the positions due at nowMs.
func (q *delayedQueue) due(nowMs int64) []managedledger.Position {
	var out []managedledger.Position
	for len(q.h) > 0 && q.h[0].at <= nowMs {
		it := heap.Pop(&q.h).(delayedItem)
		delete(q.set, it.pos)
		out = append(out, it.pos)
	}
	return out
}

// next is the earliest due time, ok=false when empty.
func (q *delayedQueue) next() (int64, bool) {
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].at, true
}

func (q *delayedQueue) len() int { return len(q.h) }

func (q *delayedQueue) clear() {
	q.h, q.set = nil, nil
}
