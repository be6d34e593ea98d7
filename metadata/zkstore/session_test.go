package zkstore_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/testservers"
	"github.com/magnetar/magnetar/metadata/zkstore"
)

// sessionTimeout is short so that expiry tests finish quickly (the test server allows
// down to 1s).
const sessionTimeout = 2 * time.Second

// TestEphemeralKeyOfKilledProcess: a process holding an ephemeral znode dies by SIGKILL
// (no Close). Once its session times out the server deletes the znode and another
// session sees the delete.
func TestEphemeralKeyOfKilledProcess(t *testing.T) {
	if testservers.IsChild() {
		holdKeys(t, os.Getenv("HOLDER_SERVERS"), os.Getenv("HOLDER_CHROOT"))
		return
	}
	servers, chroot := testservers.SharedZooKeeper(t)
	observer := open(t, servers, zkstore.Options{Chroot: chroot})
	child := testservers.StartChild(t, t.Name(), "HOLDER_SERVERS="+strings.Join(servers, ","), "HOLDER_CHROOT="+chroot)

	if _, st, err := observer.Get(ctx(t), "/owners/bundle-1"); err != nil || !st.Ephemeral {
		t.Fatalf("holder's key: %+v %v, want an ephemeral key", st, err)
	}
	events, err := observer.Watch(ctx(t), "/owners")
	if err != nil {
		t.Fatal(err)
	}
	child.Kill()
	killed := time.Now()
	waitEvent(t, events, metadata.EventDelete, "/owners/bundle-1", 15*time.Second)
	t.Logf("ephemeral key deleted %v after its holder was killed (session timeout %v)", time.Since(killed).Round(10*time.Millisecond), sessionTimeout)
	if _, _, err := observer.Get(ctx(t), "/owners/bundle-1"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("Get after expiry: err = %v, want ErrNotFound", err)
	}
	if v, _, err := observer.Get(ctx(t), "/owners/persistent"); err != nil || string(v) != "stays" {
		t.Fatalf("holder's persistent key: %q %v, want stays", v, err)
	}
}

// holdKeys is the child's part: take an ephemeral key, then wait to be killed.
func holdKeys(t *testing.T, servers, chroot string) {
	s, err := zkstore.Open(ctx(t), strings.Split(servers, ","), zkstore.Options{Chroot: chroot, SessionTimeout: sessionTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx(t), "/owners/bundle-1", []byte("holder"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx(t), "/owners/persistent", []byte("stays"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	testservers.Ready()
}

// TestSessionExpiredWhenPartitioned: cut off from ZooKeeper past the session timeout,
// the store reports SessionExpired once it reaches the server again; its ephemeral key
// is gone, its watch catches up with what changed meanwhile and keeps working, and the
// new session can take ephemeral keys.
func TestSessionExpiredWhenPartitioned(t *testing.T) {
	servers, chroot := testservers.SharedZooKeeper(t)
	proxy := testservers.StartProxy(t, servers[0])
	s := open(t, []string{proxy.Addr()}, zkstore.Options{Chroot: chroot, SessionTimeout: sessionTimeout})
	observer := open(t, servers, zkstore.Options{Chroot: chroot})
	if _, err := s.Put(ctx(t), "/owners/b", []byte("s"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx(t), "/w/before", []byte("1"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	sWatch, err := s.Watch(ctx(t), "/w")
	if err != nil {
		t.Fatal(err)
	}
	ownerEvents, err := observer.Watch(ctx(t), "/owners")
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	cut := time.Now()
	waitEvent(t, ownerEvents, metadata.EventDelete, "/owners/b", 15*time.Second)
	t.Logf("server expired the session %v after the partition", time.Since(cut).Round(10*time.Millisecond))
	// Changes while s is cut off.
	if _, err := observer.Put(ctx(t), "/w/during", []byte("2"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	if _, err := observer.Put(ctx(t), "/w/before", []byte("1b"), 1); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()

	select {
	case ev := <-s.SessionEvents():
		if ev != metadata.SessionExpired {
			t.Fatalf("session event %v, want SessionExpired", ev)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no SessionExpired within 15s of the partition healing")
	}
	ev := waitEvent(t, sWatch, metadata.EventPut, "/w/during", 15*time.Second)
	if string(ev.Value) != "2" {
		t.Fatalf("missed put reported as %+v", ev)
	}
	if _, err := observer.Put(ctx(t), "/w/after", []byte("3"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sWatch, metadata.EventPut, "/w/after", 15*time.Second)

	if _, err := s.Put(ctx(t), "/owners/b", []byte("again"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatalf("ephemeral Put in the new session: %v", err)
	}
	waitEvent(t, ownerEvents, metadata.EventPut, "/owners/b", 5*time.Second)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ownerEvents, metadata.EventDelete, "/owners/b", 5*time.Second)
}

// TestSessionReconnected: a short disconnection keeps the session and its keys.
func TestSessionReconnected(t *testing.T) {
	servers, chroot := testservers.SharedZooKeeper(t)
	proxy := testservers.StartProxy(t, servers[0])
	s := open(t, []string{proxy.Addr()}, zkstore.Options{Chroot: chroot, SessionTimeout: 4 * time.Second})
	if _, err := s.Put(ctx(t), "/owners/b", []byte("s"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	time.Sleep(300 * time.Millisecond)
	proxy.Restore()
	select {
	case ev := <-s.SessionEvents():
		if ev != metadata.SessionReconnected {
			t.Fatalf("session event %v, want SessionReconnected", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no SessionReconnected within 10s")
	}
	if _, st, err := s.Get(ctx(t), "/owners/b"); err != nil || !st.Ephemeral {
		t.Fatalf("ephemeral key after reconnection: %+v %v", st, err)
	}
}

func waitEvent(t *testing.T, events <-chan metadata.Event, typ metadata.EventType, key string, timeout time.Duration) metadata.Event {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("watch closed before the %v of %s", typ, key)
			}
			if ev.Type == typ && ev.Key == key {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %v of %s within %v", typ, key, timeout)
		}
	}
}
