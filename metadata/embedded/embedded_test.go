package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/conformance"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// TestConformance runs the shared suite; every test gets its own database and each
// newStore call a session on it.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	dbs := map[*testing.T]*embedded.Store{}
	conformance.Run(t, func(t *testing.T) metadata.Store {
		mu.Lock()
		defer mu.Unlock()
		db, ok := dbs[t]
		if !ok {
			var err error
			if db, err = embedded.Open(t.TempDir()); err != nil {
				t.Fatalf("Open: %v", err)
			}
			dbs[t] = db
			t.Cleanup(func() {
				if err := db.Close(); err != nil {
					t.Errorf("close database: %v", err)
				}
			})
		}
		s := db.NewSession()
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close session: %v", err)
			}
		})
		return s
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

// TestSurvivesRestart: what was acknowledged is there after Close and Open, with its
// version; a closed session's ephemeral keys are not.
func TestSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	for i := 1; i <= 3; i++ {
		if _, err := s.Put(ctx(t), "/ledgers/7", []byte(fmt.Sprint("v", i)), metadata.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx(t), "/ledgers/8", []byte{0, 1, 2}, metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx(t), "/owners/b", []byte("me"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := s.Get(ctx(t), "/ledgers/7"); !errors.Is(err, metadata.ErrClosed) {
		t.Fatalf("Get after Close: err = %v, want ErrClosed", err)
	}

	s = open(t, dir)
	defer s.Close()
	v, st, err := s.Get(ctx(t), "/ledgers/7")
	if err != nil || string(v) != "v3" || st.Version != 3 {
		t.Fatalf("after reopen: %q %+v %v, want v3 at version 3", v, st, err)
	}
	names, err := s.Children(ctx(t), "/ledgers")
	if err != nil || fmt.Sprint(names) != "[7 8]" {
		t.Fatalf("children after reopen: %v %v, want [7 8]", names, err)
	}
	if _, _, err := s.Get(ctx(t), "/owners/b"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("ephemeral key after reopen: err = %v, want ErrNotFound", err)
	}
}

// TestEphemeralKeysOfCrashedProcess: a process holding ephemeral keys is killed (SIGKILL,
// no Close); the next Open removes its ephemeral keys and keeps its persistent ones.
func TestEphemeralKeysOfCrashedProcess(t *testing.T) {
	if testservers.IsChild() {
		holdKeys(t, os.Getenv("HOLDER_DIR"))
		return
	}
	dir := t.TempDir()
	testservers.StartChild(t, t.Name(), "HOLDER_DIR="+dir).Kill()

	s := open(t, dir)
	defer s.Close()
	if _, _, err := s.Get(ctx(t), "/owners/bundle-1"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("ephemeral key of the dead process: err = %v, want ErrNotFound", err)
	}
	if v, _, err := s.Get(ctx(t), "/kept"); err != nil || string(v) != "durable" {
		t.Fatalf("persistent key of the dead process: %q %v, want durable", v, err)
	}
	if names, err := s.Children(ctx(t), "/owners"); err != nil || len(names) != 0 {
		t.Fatalf("children of /owners: %v %v, want none", names, err)
	}
}

// holdKeys is the child's part: write from two sessions, then wait to be killed.
func holdKeys(t *testing.T, dir string) {
	s := open(t, dir)
	if _, err := s.Put(ctx(t), "/owners/bundle-1", []byte("me"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewSession().Put(ctx(t), "/kept", []byte("durable"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	testservers.Ready()
}

// TestSessionsAreIndependent: closing one session leaves another's ephemeral keys;
// closing the database ends them all.
func TestSessionsAreIndependent(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	a, b := db.NewSession(), db.NewSession()
	if _, err := a.Put(ctx(t), "/e/a", nil, metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx(t), "/e/b", nil, metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if names, err := db.Children(ctx(t), "/e"); err != nil || fmt.Sprint(names) != "[b]" {
		t.Fatalf("after closing a: %v %v, want [b]", names, err)
	}
	events := b.SessionEvents()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-events; ok {
		t.Fatal("session events of b still open after the database closed")
	}
	if _, err := b.Put(ctx(t), "/x", nil, metadata.AnyVersion); !errors.Is(err, metadata.ErrClosed) {
		t.Fatalf("Put on a session of a closed database: err = %v, want ErrClosed", err)
	}
	db = open(t, dir)
	defer db.Close()
	if names, err := db.Children(ctx(t), "/e"); err != nil || len(names) != 0 {
		t.Fatalf("after reopen: %v %v, want none", names, err)
	}
}

func TestKeyWithNULRejected(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	if _, err := s.Put(ctx(t), "/a\x00b", nil, metadata.AnyVersion); err == nil {
		t.Fatal("Put of a key with a NUL byte succeeded")
	}
}
