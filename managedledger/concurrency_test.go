package managedledger_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

// Producers add concurrently across many rollovers while a consumer tails the log through
// NewEntries and acknowledges in a shuffled order: every entry is read once, and at the
// end the mark-delete position is the last entry.
func TestConcurrentProducersAndTailingConsumer(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/busy", ml.Config{MaxEntriesPerLedger: 37})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Latest)
	if err != nil {
		t.Fatal(err)
	}
	const producers, each = 4, 250
	total := producers * each

	seen := map[string]bool{}
	consumed := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for len(seen) < total {
			wake := m.NewEntries()
			es, err := c.Read(ctx, 50, 0)
			if err != nil {
				consumed <- err
				return
			}
			if len(es) == 0 {
				select {
				case <-wake:
				case <-ctx.Done():
					consumed <- ctx.Err()
					return
				}
				continue
			}
			ps := make([]ml.Position, len(es))
			for i, e := range es {
				if seen[string(e.Data)] {
					consumed <- errors.New("entry read twice: " + string(e.Data))
					return
				}
				seen[string(e.Data)] = true
				ps[i] = e.Pos
			}
			rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
			if err := c.Delete(ps...); err != nil {
				consumed <- err
				return
			}
		}
		consumed <- nil
	}()

	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addAll(t, m, p*each, each)
		}()
	}
	wg.Wait()
	if err := <-consumed; err != nil {
		t.Fatal(err)
	}
	if c.MarkDeleted() != m.LastConfirmed() || c.Backlog() != 0 {
		t.Errorf("after acking everything: mark-delete %v, last %v, backlog %d", c.MarkDeleted(), m.LastConfirmed(), c.Backlog())
	}
	if st := m.Stats(); st.AddedEntries != int64(total) {
		t.Errorf("added %d, want %d", st.AddedEntries, total)
	}
}

// With no bookie to create a ledger on, adds fail (in order, each once); once a bookie is
// back, adds succeed again and the acknowledged entries are all there.
func TestAddsFailWithoutBookiesThenRecover(t *testing.T) {
	s := mltest.NewStack(t, t.TempDir(), 1)
	m := openML(t, s, "public/default/persistent/nobookie", ml.Config{})
	c, err := m.OpenCursor(testCtx(t), "sub", ml.Earliest)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, m, 0, 5)
	if err := s.StopBookie(0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		m.AddEntry([]byte("lost"), func(_ ml.Position, err error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			if err == nil {
				t.Errorf("add %d without bookies succeeded", i)
			}
			wg.Done()
		})
	}
	waitGroup(t, &wg)
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Errorf("failure callbacks ran as %v, want [0 1 2]", order)
	}
	if err := s.StartBookie(0); err != nil {
		t.Fatal(err)
	}
	addAll(t, m, 5, 5)
	wantPayloads(t, readAll(t, c), 0, 10)
}
