package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/magnetar/magnetar/metadata"
)

// defaultRack is the rack of a bookie that registered none.
const defaultRack = "/default-rack"

// bookieInfo is a bookie's registration under /bookies/available/<id>.
type bookieInfo struct {
	ID       string `json:"-"`
	Rack     string `json:"rack"`
	ReadOnly bool   `json:"readOnly"`
	Address  string `json:"address"`
}

// availableBookies lists the registered bookies; a registration that vanishes while it is
// read (its bookie just died) is skipped.
func availableBookies(ctx context.Context, s metadata.Store) ([]bookieInfo, error) {
	names, err := s.Children(ctx, availablePath)
	if err != nil {
		return nil, fmt.Errorf("list bookies: %w", err)
	}
	out := make([]bookieInfo, 0, len(names))
	for _, name := range names {
		val, _, err := s.Get(ctx, availablePath+"/"+name)
		if errors.Is(err, metadata.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read bookie %s: %w", name, err)
		}
		b := bookieInfo{ID: name}
		if len(val) > 0 {
			if err := json.Unmarshal(val, &b); err != nil {
				return nil, fmt.Errorf("decode bookie %s: %w", name, err)
			}
		}
		if b.Rack == "" {
			b.Rack = defaultRack
		}
		out = append(out, b)
	}
	return out, nil
}

// choose picks n writable bookies from cands, none of them in exclude. It spreads them
// over as many racks as it can, preferring racks that hold the fewest of keep (the
// ensemble members that stay), and picks at random within a rack. Consecutive picks come
// from different racks where possible, so each striped write set spans racks too.
func choose(cands []bookieInfo, n int, keep []bookieInfo, exclude map[string]bool) ([]string, error) {
	byRack := map[string][]string{}
	total := 0
	for _, b := range cands {
		if b.ReadOnly || exclude[b.ID] {
			continue
		}
		byRack[b.Rack] = append(byRack[b.Rack], b.ID)
		total++
	}
	if total < n {
		return nil, fmt.Errorf("want %d bookies, %d writable and unused: %w", n, total, ErrNotEnoughBooks)
	}
	used := map[string]int{}
	for _, b := range keep {
		used[b.Rack]++
	}
	racks := make([]string, 0, len(byRack))
	for r, ids := range byRack {
		racks = append(racks, r)
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	rand.Shuffle(len(racks), func(i, j int) { racks[i], racks[j] = racks[j], racks[i] })
	sort.SliceStable(racks, func(i, j int) bool { return used[racks[i]] < used[racks[j]] })

	out := make([]string, 0, n)
	for len(out) < n {
		for _, r := range racks {
			if len(out) == n {
				break
			}
			if ids := byRack[r]; len(ids) > 0 {
				out = append(out, ids[0])
				byRack[r] = ids[1:]
			}
		}
	}
	return out, nil
}
