package conformance

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// eventTimeout bounds every wait for a watch event or a closed channel. ZooKeeper
// re-arms watches one round trip at a time, so it is generous.
const eventTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s metadata.Store, key string, value []byte, expected int64, opts ...metadata.PutOption) metadata.Stat {
	t.Helper()
	st, err := s.Put(testContext(t), key, value, expected, opts...)
	if err != nil {
		t.Fatalf("Put(%s, expected %d): %v", key, expected, err)
	}
	return st
}

func mustGet(t *testing.T, s metadata.Store, key string) ([]byte, metadata.Stat) {
	t.Helper()
	v, st, err := s.Get(testContext(t), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return v, st
}

func wantValue(t *testing.T, s metadata.Store, key string, value []byte, version int64) {
	t.Helper()
	v, st := mustGet(t, s, key)
	if !bytes.Equal(v, value) {
		t.Fatalf("Get(%s) = %q, want %q", key, trim(v), trim(value))
	}
	if st.Version != version {
		t.Fatalf("Get(%s) version = %d, want %d", key, st.Version, version)
	}
}

func wantNotFound(t *testing.T, s metadata.Store, key string) {
	t.Helper()
	_, _, err := s.Get(testContext(t), key)
	if !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("Get(%s) err = %v, want ErrNotFound", key, err)
	}
}

func wantChildren(t *testing.T, s metadata.Store, key string, want ...string) {
	t.Helper()
	got, err := s.Children(testContext(t), key)
	if err != nil {
		t.Fatalf("Children(%s): %v", key, err)
	}
	if len(got) != len(want) {
		t.Fatalf("Children(%s) = %q, want %q", key, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Children(%s) = %q, want %q", key, got, want)
		}
	}
}

// waitEvent reads events until one satisfies match. Events it skips are returned too, so
// callers can assert what must not have happened before it.
func waitEvent(t *testing.T, ch <-chan metadata.Event, what string, match func(metadata.Event) bool) (metadata.Event, []metadata.Event) {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	var skipped []metadata.Event
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("watch channel closed while waiting for %s (saw %v)", what, skipped)
			}
			if match(ev) {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-timer.C:
			t.Fatalf("no %s within %v (saw %v)", what, eventTimeout, skipped)
		}
	}
}

func isPut(key string) func(metadata.Event) bool {
	return func(ev metadata.Event) bool { return ev.Type == metadata.EventPut && ev.Key == key }
}

func isDelete(key string) func(metadata.Event) bool {
	return func(ev metadata.Event) bool { return ev.Type == metadata.EventDelete && ev.Key == key }
}

// waitClosed drains ch until it is closed.
func waitClosed[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timer.C:
			t.Fatalf("%s not closed within %v", what, eventTimeout)
		}
	}
}

func trim(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
