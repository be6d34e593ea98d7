package broker

import (
	"fmt"
	"sort"

	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// noKey is what Pulsar hashes for a message without ordering or partition key.
var noKey = []byte("NONE_KEY")

// keySlot is the Key_Shared hash slot of a message's sticky key.
func keySlot(key []byte) int {
	if len(key) == 0 {
		key = noKey
	}
	return int(wire.KeyHash(key) % wire.KeyHashRange)
}

// rangeOwner assigns the slots start..end (inclusive) to a consumer.
type rangeOwner struct {
	start, end int
	c          *consumer
}

// keySharedSelector maps hash slots to Key_Shared consumers. In AUTO_SPLIT mode (Pulsar's
// HashRangeAutoSplitStickyKeyConsumerSelector) the first consumer owns every slot, each
// new one takes the upper half of the largest range, and a leaving consumer's ranges go
// to a neighbour. In STICKY mode consumers bring their own ranges, which must not overlap.
type keySharedSelector struct {
	sticky bool
	ranges []rangeOwner // sorted by start, disjoint
}

func newKeySharedSelector(meta *pb.KeySharedMeta) *keySharedSelector {
	return &keySharedSelector{sticky: meta.GetKeySharedMode() == pb.KeySharedMode_STICKY}
}

// add assigns slots to c, or fails with ConsumerAssignError.
func (k *keySharedSelector) add(c *consumer, meta *pb.KeySharedMeta) error {
	mode := meta.GetKeySharedMode()
	if (mode == pb.KeySharedMode_STICKY) != k.sticky {
		return errorf(pb.ServerError_ConsumerAssignError, "Key_Shared mode %v differs from the subscription's", mode)
	}
	if k.sticky {
		return k.addSticky(c, meta.GetHashRanges())
	}
	if len(k.ranges) == 0 {
		k.ranges = []rangeOwner{{0, wire.KeyHashRange - 1, c}}
		return nil
	}
	big := 0
	for i, r := range k.ranges {
		if r.end-r.start > k.ranges[big].end-k.ranges[big].start {
			big = i
		}
	}
	r := k.ranges[big]
	if r.start == r.end {
		return errorf(pb.ServerError_ConsumerAssignError, "no hash range left to split for another consumer")
	}
	mid := r.start + (r.end-r.start+1)/2
	k.ranges[big].end = mid - 1
	k.ranges = append(k.ranges, rangeOwner{mid, r.end, c})
	k.sort()
	return nil
}

func (k *keySharedSelector) addSticky(c *consumer, ranges []*pb.IntRange) error {
	if len(ranges) == 0 {
		return errorf(pb.ServerError_ConsumerAssignError, "a STICKY Key_Shared consumer must give hash ranges")
	}
	var add []rangeOwner
	for _, r := range ranges {
		s, e := int(r.GetStart()), int(r.GetEnd())
		if s < 0 || e >= wire.KeyHashRange || s > e {
			return errorf(pb.ServerError_ConsumerAssignError, "invalid hash range [%d, %d]", s, e)
		}
		for _, o := range append(k.ranges, add...) {
			if s <= o.end && o.start <= e {
				return errorf(pb.ServerError_ConsumerAssignError, "Range conflict: [%d, %d] overlaps [%d, %d] of another consumer", s, e, o.start, o.end)
			}
		}
		add = append(add, rangeOwner{s, e, c})
	}
	k.ranges = append(k.ranges, add...)
	k.sort()
	return nil
}

// remove takes c's slots away; in AUTO_SPLIT mode they go to the next range (or the
// previous one for the last range).
func (k *keySharedSelector) remove(c *consumer) {
	for i := 0; i < len(k.ranges); {
		if k.ranges[i].c != c {
			i++
			continue
		}
		r := k.ranges[i]
		k.ranges = append(k.ranges[:i], k.ranges[i+1:]...)
		if k.sticky || len(k.ranges) == 0 {
			continue
		}
		if i < len(k.ranges) {
			k.ranges[i].start = r.start
		} else {
			k.ranges[i-1].end = r.end
		}
	}
}

// pick returns the consumer owning slot, or nil.
func (k *keySharedSelector) pick(slot int) *consumer {
	i := sort.Search(len(k.ranges), func(i int) bool { return k.ranges[i].end >= slot })
	if i < len(k.ranges) && k.ranges[i].start <= slot {
		return k.ranges[i].c
	}
	return nil
}

func (k *keySharedSelector) sort() {
	sort.Slice(k.ranges, func(i, j int) bool { return k.ranges[i].start < k.ranges[j].start })
}

func (k *keySharedSelector) String() string {
	s := ""
	for _, r := range k.ranges {
		s += fmt.Sprintf("[%d,%d]=%s ", r.start, r.end, r.c.name)
	}
	return s
}
