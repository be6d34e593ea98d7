package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

var watchCases = []testCase{
	{"watch_prefix", testWatchPrefix},
	{"watch_across_stores", testWatchAcrossStores},
	{"watch_closed_with_store", testWatchClosedWithStore},
	{"watch_converges", testWatchConverges},
}

func testWatchPrefix(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	w := root + "/w"
	// Something existing before the watch starts must not be reported as a change.
	mustPut(t, s, w+"/old", []byte("old"), metadata.AnyVersion)

	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ch, err := s.Watch(ctx, w)
	if err != nil {
		t.Fatalf("Watch(%s): %v", w, err)
	}

	mustPut(t, s, w+"/a", []byte("one"), metadata.AnyVersion)
	ev, skipped := waitEvent(t, ch, "put of /w/a", isPut(w+"/a"))
	if !bytes.Equal(ev.Value, []byte("one")) || ev.Version != 1 {
		t.Fatalf("put event %+v, want value one version 1", ev)
	}
	for _, e := range skipped {
		if e.Key == w+"/old" {
			t.Fatalf("watch reported pre-existing key: %+v", e)
		}
	}

	mustPut(t, s, w+"/a", []byte("two"), 1)
	ev, _ = waitEvent(t, ch, "update of /w/a", isPut(w+"/a"))
	if !bytes.Equal(ev.Value, []byte("two")) || ev.Version != 2 {
		t.Fatalf("update event %+v, want value two version 2", ev)
	}

	// Descendants at any depth, with their created parents.
	mustPut(t, s, w+"/a/b/c", []byte("deep"), metadata.AnyVersion)
	waitEvent(t, ch, "put of created parent /w/a/b", isPut(w+"/a/b"))
	ev, _ = waitEvent(t, ch, "put of /w/a/b/c", isPut(w+"/a/b/c"))
	if !bytes.Equal(ev.Value, []byte("deep")) {
		t.Fatalf("deep put event %+v, want value deep", ev)
	}

	// The prefix key itself.
	mustPut(t, s, w, []byte("self"), metadata.AnyVersion)
	waitEvent(t, ch, "put of the prefix key", isPut(w))

	// Keys outside the prefix, even sharing its leading bytes, are not reported.
	mustPut(t, s, w+"x", []byte("outside"), metadata.AnyVersion)
	mustPut(t, s, root+"/other", []byte("outside"), metadata.AnyVersion)

	if err := s.Delete(testContext(t), w+"/a/b/c", metadata.AnyVersion); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	ev, skipped = waitEvent(t, ch, "delete of /w/a/b/c", isDelete(w+"/a/b/c"))
	if ev.Value != nil || ev.Version != 0 {
		t.Fatalf("delete event %+v, want no value and version 0", ev)
	}
	mustPut(t, s, w+"/marker", nil, metadata.AnyVersion)
	_, more := waitEvent(t, ch, "put of marker", isPut(w+"/marker"))
	for _, e := range append(skipped, more...) {
		if e.Key == w+"x" || e.Key == root+"/other" {
			t.Fatalf("watch on %s reported %+v", w, e)
		}
	}

	cancel()
	waitClosed(t, ch, "watch channel after ctx cancel")
}

func testWatchAcrossStores(t *testing.T, newStore NewStore, root string) {
	writer, watcher := newStore(t), newStore(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ch, err := watcher.Watch(ctx, root)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	mustPut(t, writer, root+"/k", []byte("v"), metadata.NotExists)
	waitEvent(t, ch, "put by the other store", isPut(root+"/k"))
	if err := writer.Delete(testContext(t), root+"/k", 1); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	waitEvent(t, ch, "delete by the other store", isDelete(root+"/k"))

	// A second watch on the same prefix sees the same changes.
	ch2, err := watcher.Watch(ctx, root+"/k")
	if err != nil {
		t.Fatalf("second Watch: %v", err)
	}
	mustPut(t, writer, root+"/k", []byte("again"), metadata.NotExists)
	waitEvent(t, ch, "put seen by the first watch", isPut(root+"/k"))
	waitEvent(t, ch2, "put seen by the second watch", isPut(root+"/k"))
}

func testWatchClosedWithStore(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	ch, err := s.Watch(testContext(t), root)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitClosed(t, ch, "watch channel after store Close")
}

// testWatchConverges: whatever the interleaving of changes, replaying a watch's events on
// a snapshot taken before it started gives the final contents of the subtree. (ZooKeeper
// may coalesce changes, so only the end state is compared.)
func testWatchConverges(t *testing.T, newStore NewStore, root string) {
	writer, watcher := newStore(t), newStore(t)
	keys := []string{"/a", "/a/x", "/a/y", "/a/x/deep", "/b", "/b/1", "/b/2", "/c"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range keys[:4] {
		mustPut(t, writer, root+k, []byte("initial"), metadata.AnyVersion)
	}
	state := snapshot(t, watcher, root)

	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ch, err := watcher.Watch(ctx, root)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	for i := 0; i < 120; i++ {
		k := root + keys[rng.IntN(len(keys))]
		if rng.IntN(3) == 0 {
			err := writer.Delete(testContext(t), k, metadata.AnyVersion)
			if err != nil && !errors.Is(err, metadata.ErrNotFound) && !errors.Is(err, metadata.ErrNotEmpty) {
				t.Fatalf("Delete(%s): %v", k, err)
			}
			continue
		}
		mustPut(t, writer, k, []byte(fmt.Sprint("v", i)), metadata.AnyVersion)
	}
	want := snapshot(t, writer, root)

	deadline := time.Now().Add(eventTimeout)
	for !reflect.DeepEqual(state, want) {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("watch closed early")
			}
			if ev.Type == metadata.EventDelete {
				delete(state, ev.Key)
			} else {
				state[ev.Key] = versioned{string(ev.Value), ev.Version}
			}
		case <-time.After(time.Until(deadline)):
			t.Fatalf("replayed events give\n%v\nwant\n%v", state, want)
		}
	}
}

type versioned struct {
	value   string
	version int64
}

// snapshot reads the subtree under root (root included) into a map.
func snapshot(t *testing.T, s metadata.Store, root string) map[string]versioned {
	t.Helper()
	out := map[string]versioned{}
	var walk func(key string)
	walk = func(key string) {
		v, st, err := s.Get(testContext(t), key)
		if errors.Is(err, metadata.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Get(%s): %v", key, err)
		}
		out[key] = versioned{string(v), st.Version}
		children, err := s.Children(testContext(t), key)
		if err != nil {
			t.Fatalf("Children(%s): %v", key, err)
		}
		for _, c := range children {
			walk(key + "/" + c)
		}
	}
	walk(root)
	return out
}
