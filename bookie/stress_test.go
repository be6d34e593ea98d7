package bookie

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestConcurrentWorkload runs adds, reads and deletions while flushes and GC (with
// compaction) run in the background every few milliseconds, then checks that every
// acknowledged entry of a live ledger reads back, before and after a restart.
func TestConcurrentWorkload(t *testing.T) {
	cfg := testConfig(t)
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.GCInterval = 20 * time.Millisecond
	cfg.EntryLogSize = 32 << 10
	cfg.WriteCacheBytes = 64 << 10
	cfg.ReadCacheBytes = 32 << 10
	b := openBookie(t, cfg)
	c := b.LocalClient()
	ctx := context.Background()

	const ledgers, entries = 12, 300
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for l := int64(1); l <= ledgers; l++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := int64(0); e < entries; e++ {
				err := add(c, AddRequest{LedgerID: l, EntryID: e, LastAddConfirmed: e - 1, MasterKey: key, Data: data(l, e)})
				if doomed(l) && errors.Is(err, ErrNoSuchLedger) {
					return // deleted under us: expected for these ledgers
				}
				if err != nil {
					report(err)
					return
				}
				// Read back an earlier entry: it may come from either cache or a log
				// that is being compacted.
				if e > 0 {
					back := e / 2
					res, err := c.ReadEntry(ctx, l, back, 0, nil)
					if doomed(l) && errors.Is(err, ErrNoSuchLedger) {
						return
					}
					if err != nil || !bytes.Equal(res.Data, data(l, back)) {
						report(errors.Join(errors.New("read back"), err))
						return
					}
				}
				if doomed(l) && e == entries/2 {
					go func() {
						if err := b.DeleteLedger(l); err != nil {
							report(err)
						}
					}()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	live := []int64{}
	for l := int64(1); l <= ledgers; l++ {
		if !doomed(l) {
			live = append(live, l)
		}
	}
	checkEntries(t, c, live, entries)
	if st, err := b.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("final gc: %+v; %d entry logs", st, len(b.logs.IDs()))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openBookie(t, cfg)
	defer b.Close()
	checkEntries(t, b.LocalClient(), live, entries)
	for l := int64(1); l <= ledgers; l++ {
		if !doomed(l) {
			continue
		}
		if err := read(b.LocalClient(), l, 0); !errors.Is(err, ErrNoSuchLedger) {
			t.Fatalf("deleted ledger %d after restart: %v", l, err)
		}
	}
}

// doomed ledgers are deleted halfway through: two in three, so that the logs they
// share with live ledgers fall below the compaction threshold.
func doomed(l int64) bool { return l%3 != 1 }
