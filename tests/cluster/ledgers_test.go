package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// ledgersPath holds one key per ledger, /ledgers/<id>, whose JSON value names the
// ledger's state and the ensembles (bookie ids) of its fragments.
const ledgersPath = "/ledgers"

// ledgerInfo is the part of a ledger's metadata the tests look at.
type ledgerInfo struct {
	ID        int64
	State     string `json:"state"`
	Ensembles []struct {
		FirstEntryID int64    `json:"firstEntryId"`
		Bookies      []string `json:"bookies"`
	} `json:"ensembles"`
}

// lastEnsemble returns the bookies the ledger's newest fragment is written to.
func (l ledgerInfo) lastEnsemble() []string {
	if len(l.Ensembles) == 0 {
		return nil
	}
	return l.Ensembles[len(l.Ensembles)-1].Bookies
}

// listLedgers reads every ledger's metadata, oldest first.
func listLedgers(t testing.TB, store metadata.Store) []ledgerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names, err := store.Children(ctx, ledgersPath)
	if err != nil {
		t.Fatalf("list %s: %v", ledgersPath, err)
	}
	var out []ledgerInfo
	for _, n := range names {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			continue // not a ledger
		}
		val, _, err := store.Get(ctx, ledgersPath+"/"+n)
		if err != nil {
			t.Fatalf("read ledger %d metadata: %v", id, err)
		}
		l := ledgerInfo{ID: id}
		if err := json.Unmarshal(val, &l); err != nil {
			t.Fatalf("ledger %d metadata %q: %v", id, val, err)
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b ledgerInfo) int { return int(a.ID - b.ID) })
	return out
}

// openLedger returns the newest ledger in state OPEN: the one a topic's only writer is
// appending to.
func openLedger(t testing.TB, store metadata.Store) ledgerInfo {
	t.Helper()
	ls := listLedgers(t, store)
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].State == "OPEN" {
			return ls[i]
		}
	}
	t.Fatalf("no OPEN ledger among %+v", ls)
	return ledgerInfo{}
}

// findLedger returns the ledger with id.
func findLedger(t testing.TB, store metadata.Store, id int64) ledgerInfo {
	t.Helper()
	for _, l := range listLedgers(t, store) {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("ledger %d is gone from %s", id, ledgersPath)
	return ledgerInfo{}
}
