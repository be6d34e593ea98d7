package managedledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ml "github.com/magnetar/magnetar/managedledger"
	"github.com/magnetar/magnetar/managedledger/mltest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openML(t testing.TB, s *mltest.Stack, name string, cfg ml.Config) *ml.ManagedLedger {
	t.Helper()
	m, err := s.Factory.Open(testCtx(t), name, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return m
}

func payload(i int) []byte { return []byte(fmt.Sprintf("entry-%05d", i)) }

// addAll adds n entries without waiting between them and returns their positions; it
// fails the test unless every callback ran once, in call order, without error, with
// strictly increasing positions.
func addAll(t testing.TB, m *ml.ManagedLedger, from, n int) []ml.Position {
	t.Helper()
	var mu sync.Mutex
	var order []int
	pos := make([]ml.Position, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		m.AddEntry(payload(from+i), func(p ml.Position, err error) {
			mu.Lock()
			order = append(order, i)
			pos[i], errs[i] = p, err
			mu.Unlock()
			wg.Done()
		})
	}
	waitGroup(t, &wg)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("add %d: %v", from+i, errs[i])
		}
		if order[i] != i {
			t.Fatalf("callback %d ran for add %d: callbacks out of order", i, order[i])
		}
		if i > 0 && pos[i].Compare(pos[i-1]) <= 0 {
			t.Fatalf("position of add %d (%v) not after add %d (%v)", i, pos[i], i-1, pos[i-1])
		}
	}
	return pos
}

func waitGroup(t testing.TB, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for callbacks")
	}
}

// readAll reads a cursor until it returns nothing.
func readAll(t testing.TB, c *ml.Cursor) []ml.Entry {
	t.Helper()
	var out []ml.Entry
	for {
		es, err := c.Read(testCtx(t), 7, 0)
		if err != nil {
			t.Fatalf("read cursor %s: %v", c.Name(), err)
		}
		if len(es) == 0 {
			return out
		}
		out = append(out, es...)
	}
}

// payloadsOf returns the entries' payloads as strings.
func payloadsOf(es []ml.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e.Data)
	}
	return out
}

// wantPayloads checks es holds exactly the payloads of adds from..to-1, in order.
func wantPayloads(t testing.TB, es []ml.Entry, from, to int) {
	t.Helper()
	if len(es) != to-from {
		t.Fatalf("got %d entries %v, want %d (adds %d..%d)", len(es), payloadsOf(es), to-from, from, to-1)
	}
	for i, e := range es {
		if want := string(payload(from + i)); string(e.Data) != want {
			t.Fatalf("entry %d at %v = %q, want %q", i, e.Pos, e.Data, want)
		}
	}
}
