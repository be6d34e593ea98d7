package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/magnetar/magnetar/metadata"
)

var sessionCases = []testCase{
	{"ephemeral_vanish_on_close", testEphemeralVanishOnClose},
	{"ephemeral_owner_kept_on_update", testEphemeralOwnerKept},
	{"ephemeral_no_children", testEphemeralNoChildren},
	{"session_events_closed_on_close", testSessionEventsClosed},
	{"closed_store_errors", testClosedStoreErrors},
}

func testEphemeralVanishOnClose(t *testing.T, newStore NewStore, root string) {
	holder, other := newStore(t), newStore(t)
	eph, kept := root+"/owners/bundle-1", root+"/owners/persistent"
	st := mustPut(t, holder, eph, []byte("broker-1"), metadata.NotExists, metadata.Ephemeral())
	if !st.Ephemeral || st.Version != 1 {
		t.Fatalf("ephemeral put stat %+v, want ephemeral version 1", st)
	}
	mustPut(t, holder, kept, []byte("stays"), metadata.NotExists)

	v, ost := mustGet(t, other, eph)
	if string(v) != "broker-1" || !ost.Ephemeral {
		t.Fatalf("other session sees %q %+v, want broker-1 and ephemeral", v, ost)
	}
	// A second session cannot take the key while the holder lives.
	if _, err := other.Put(testContext(t), eph, []byte("broker-2"), metadata.NotExists, metadata.Ephemeral()); !errors.Is(err, metadata.ErrBadVersion) {
		t.Fatalf("second claim: err = %v, want ErrBadVersion", err)
	}

	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ch, err := other.Watch(ctx, root+"/owners")
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if err := holder.Close(); err != nil {
		t.Fatalf("Close holder: %v", err)
	}
	waitEvent(t, ch, "delete of the closed session's ephemeral key", isDelete(eph))
	wantNotFound(t, other, eph)
	wantValue(t, other, kept, []byte("stays"), 1)
	wantChildren(t, other, root+"/owners", "persistent")

	// Now the other session can claim it.
	mustPut(t, other, eph, []byte("broker-2"), metadata.NotExists, metadata.Ephemeral())
	if err := holder.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testEphemeralOwnerKept(t *testing.T, newStore NewStore, root string) {
	holder, other := newStore(t), newStore(t)
	key := root + "/lock"
	mustPut(t, holder, key, []byte("a"), metadata.NotExists, metadata.Ephemeral())
	// An update by another session, with or without the option, keeps the key tied to
	// the session that created it.
	if st := mustPut(t, other, key, []byte("b"), 1); !st.Ephemeral || st.Version != 2 {
		t.Fatalf("update stat %+v, want ephemeral version 2", st)
	}
	mustPut(t, holder, key, []byte("c"), metadata.AnyVersion)
	wantValue(t, other, key, []byte("c"), 3)
	if err := holder.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantNotFound(t, other, key)

	// And a persistent key stays persistent when updated with the option.
	mustPut(t, other, key, []byte("p"), metadata.NotExists)
	third := newStore(t)
	if st := mustPut(t, third, key, []byte("q"), metadata.AnyVersion, metadata.Ephemeral()); st.Ephemeral {
		t.Fatalf("persistent key became ephemeral: %+v", st)
	}
	if err := third.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantValue(t, other, key, []byte("q"), 2)
}

func testEphemeralNoChildren(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	mustPut(t, s, root+"/e", nil, metadata.NotExists, metadata.Ephemeral())
	for _, key := range []string{root + "/e/child", root + "/e/deep/child"} {
		_, err := s.Put(testContext(t), key, nil, metadata.AnyVersion)
		if !errors.Is(err, metadata.ErrEphemeralParent) {
			t.Fatalf("Put(%s) under an ephemeral key: err = %v, want ErrEphemeralParent", key, err)
		}
	}
	wantChildren(t, s, root+"/e")
}

func testSessionEventsClosed(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	ch := s.SessionEvents()
	if ch == nil {
		t.Fatal("SessionEvents() = nil")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitClosed(t, ch, "session events channel after Close")
}

func testClosedStoreErrors(t *testing.T, newStore NewStore, root string) {
	s := newStore(t)
	mustPut(t, s, root+"/k", []byte("v"), metadata.AnyVersion)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := testContext(t)
	checks := []struct {
		op  string
		err error
	}{
		{"Get", func() error { _, _, err := s.Get(ctx, root+"/k"); return err }()},
		{"Put", func() error { _, err := s.Put(ctx, root+"/k", nil, metadata.AnyVersion); return err }()},
		{"Delete", s.Delete(ctx, root+"/k", metadata.AnyVersion)},
		{"Children", func() error { _, err := s.Children(ctx, root); return err }()},
		{"Watch", func() error { _, err := s.Watch(ctx, root); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, metadata.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", c.op, c.err)
		}
	}
	// The data stays for other sessions.
	wantValue(t, newStore(t), root+"/k", []byte("v"), 1)
}
