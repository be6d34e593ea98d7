package broker

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

func autoSplit() *pb.KeySharedMeta {
	return &pb.KeySharedMeta{KeySharedMode: pb.KeySharedMode_AUTO_SPLIT.Enum()}
}

func sticky(ranges ...[2]int32) *pb.KeySharedMeta {
	m := &pb.KeySharedMeta{KeySharedMode: pb.KeySharedMode_STICKY.Enum()}
	for _, r := range ranges {
		m.HashRanges = append(m.HashRanges, &pb.IntRange{Start: proto.Int32(r[0]), End: proto.Int32(r[1])})
	}
	return m
}

// TestAutoSplitSelector: the first consumer owns every slot; each newcomer takes half of
// the largest range; a leaver's slots go to a neighbour, so every slot always has an owner.
func TestAutoSplitSelector(t *testing.T) {
	a, b, c := &consumer{name: "a"}, &consumer{name: "b"}, &consumer{name: "c"}
	k := newKeySharedSelector(autoSplit())
	if err := k.add(a, autoSplit()); err != nil {
		t.Fatal(err)
	}
	for _, slot := range []int{0, 30051, 65535} {
		if k.pick(slot) != a {
			t.Fatalf("slot %d owned by %v with one consumer", slot, k.pick(slot))
		}
	}
	if err := k.add(b, autoSplit()); err != nil {
		t.Fatal(err)
	}
	// The Go client suite's keys: key-shared-0/1/2 hash to 30051, 9321, 34195.
	if k.pick(30051) != a || k.pick(9321) != a || k.pick(34195) != b {
		t.Errorf("after split: %s", k)
	}
	if err := k.add(c, autoSplit()); err != nil {
		t.Fatal(err)
	}
	owners := map[*consumer]int{}
	for slot := 0; slot < 65536; slot++ {
		o := k.pick(slot)
		if o == nil {
			t.Fatalf("slot %d has no owner: %s", slot, k)
		}
		owners[o]++
	}
	if len(owners) != 3 {
		t.Fatalf("owners %v; want 3 consumers: %s", owners, k)
	}
	k.remove(b)
	for slot := 0; slot < 65536; slot++ {
		if o := k.pick(slot); o == nil || o == b {
			t.Fatalf("slot %d owned by %v after b left: %s", slot, o, k)
		}
	}
	if err := k.add(a, sticky([2]int32{0, 10})); err == nil {
		t.Error("a STICKY consumer joined an AUTO_SPLIT subscription")
	}
}

func TestStickySelector(t *testing.T) {
	a, b := &consumer{name: "a"}, &consumer{name: "b"}
	k := newKeySharedSelector(sticky())
	if err := k.add(a, sticky([2]int32{0, 99}, [2]int32{200, 299})); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		meta *pb.KeySharedMeta
		ok   bool
	}{
		{"overlap", sticky([2]int32{50, 150}), false},
		{"inside another's range", sticky([2]int32{210, 220}), false},
		{"out of bounds", sticky([2]int32{65000, 70000}), false},
		{"reversed", sticky([2]int32{500, 400}), false},
		{"no ranges", sticky(), false},
		{"free range", sticky([2]int32{100, 199}), true},
	}
	for _, tt := range tests {
		if err := k.add(b, tt.meta); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v; want ok=%v", tt.name, err, tt.ok)
		}
	}
	cases := map[int]*consumer{0: a, 99: a, 100: b, 199: b, 250: a, 300: nil}
	for slot, want := range cases {
		if got := k.pick(slot); got != want {
			t.Errorf("slot %d owned by %v; want %v", slot, got, want)
		}
	}
	k.remove(a)
	if k.pick(50) != nil || k.pick(150) != b {
		t.Errorf("after a left: %s", k)
	}
}
