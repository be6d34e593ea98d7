package ledger

import (
	"errors"
	"fmt"
	"testing"
)

func bookies(spec ...string) []bookieInfo {
	var out []bookieInfo
	for i, rack := range spec {
		b := bookieInfo{ID: fmt.Sprintf("b%d", i), Rack: rack}
		if rack[0] == '!' { // read-only
			b.Rack, b.ReadOnly = rack[1:], true
		}
		out = append(out, b)
	}
	return out
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name      string
		cands     []bookieInfo
		n         int
		keep      []bookieInfo
		exclude   []string
		wantRacks int // distinct racks among the chosen
		wantErr   error
	}{
		{name: "one per rack", cands: bookies("/a", "/b", "/c"), n: 3, wantRacks: 3},
		{name: "spread before doubling", cands: bookies("/a", "/a", "/a", "/b", "/c"), n: 3, wantRacks: 3},
		{name: "two racks for three", cands: bookies("/a", "/a", "/b", "/b"), n: 3, wantRacks: 2},
		{name: "single rack", cands: bookies("/a", "/a", "/a"), n: 2, wantRacks: 1},
		{name: "read-only skipped", cands: bookies("/a", "!/b", "/c", "/a"), n: 3, wantRacks: 2},
		{name: "too few writable", cands: bookies("/a", "!/b", "/c"), n: 3, wantErr: ErrNotEnoughBooks},
		{name: "excluded skipped", cands: bookies("/a", "/b", "/c", "/d"), n: 2, exclude: []string{"b0", "b1"}, wantRacks: 2},
		{name: "excluded leave too few", cands: bookies("/a", "/b", "/c"), n: 2, exclude: []string{"b0", "b1"}, wantErr: ErrNotEnoughBooks},
		{name: "replacement avoids kept racks", cands: bookies("/a", "/a", "/b", "/c"), n: 1, keep: []bookieInfo{{ID: "x", Rack: "/a"}, {ID: "y", Rack: "/b"}}, wantRacks: 1},
		{name: "none available", cands: nil, n: 1, wantErr: ErrNotEnoughBooks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exclude := map[string]bool{}
			for _, id := range tc.exclude {
				exclude[id] = true
			}
			rackOf := map[string]bookieInfo{}
			for _, b := range tc.cands {
				rackOf[b.ID] = b
			}
			for range 50 { // the choice is random: check the rules hold every time
				got, err := choose(tc.cands, tc.n, tc.keep, exclude)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("err %v, want %v", err, tc.wantErr)
					}
					return
				}
				if err != nil || len(got) != tc.n {
					t.Fatalf("chose %v, %v; want %d bookies", got, err, tc.n)
				}
				racks, seen := map[string]bool{}, map[string]bool{}
				for _, id := range got {
					b := rackOf[id]
					if seen[id] || b.ReadOnly || exclude[id] {
						t.Fatalf("chose %v: %s duplicate, read-only or excluded", got, id)
					}
					seen[id], racks[b.Rack] = true, true
				}
				if len(racks) != tc.wantRacks {
					t.Fatalf("chose %v over %d racks, want %d", got, len(racks), tc.wantRacks)
				}
				if tc.name == "replacement avoids kept racks" && !racks["/c"] {
					t.Fatalf("chose %v, want the bookie of the unused rack /c", got)
				}
			}
		})
	}
}

// Consecutive ensemble positions (the members of a write set) sit on different racks
// whenever there are enough racks.
func TestChooseStripesRacks(t *testing.T) {
	cands := bookies("/a", "/a", "/a", "/b", "/b", "/b")
	rack := map[string]string{}
	for _, b := range cands {
		rack[b.ID] = b.Rack
	}
	for range 50 {
		got, err := choose(cands, 4, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if rack[got[i]] == rack[got[(i+1)%len(got)]] {
				t.Fatalf("ensemble %v puts positions %d and %d on one rack", got, i, (i+1)%len(got))
			}
		}
	}
}
