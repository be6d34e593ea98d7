package etcdstore_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/etcdstore"
	"github.com/magnetar/magnetar/metadata/testservers"
)

// sessionTTL is short so that expiry tests finish quickly; etcd's minimum is 2s.
const sessionTTL = 2 * time.Second

// TestEphemeralKeyOfKilledProcess: a process holding an ephemeral key dies by SIGKILL
// (no Close, no lease revoke). Once its lease runs out, etcd deletes the key and
// another session sees the delete.
func TestEphemeralKeyOfKilledProcess(t *testing.T) {
	if testservers.IsChild() {
		holdKeys(os.Getenv("HOLDER_ENDPOINTS"), os.Getenv("HOLDER_PREFIX"))
		return
	}
	eps, prefix := testservers.SharedEtcd(t)
	observer := open(t, eps, etcdstore.Options{Prefix: prefix})
	child := testservers.StartChild(t, t.Name(), "HOLDER_ENDPOINTS="+strings.Join(eps, ","), "HOLDER_PREFIX="+prefix)

	if _, st, err := observer.Get(ctx(t), "/owners/bundle-1"); err != nil || !st.Ephemeral {
		t.Fatalf("holder's key: %+v %v, want an ephemeral key", st, err)
	}
	events, err := observer.Watch(ctx(t), "/owners")
	if err != nil {
		t.Fatal(err)
	}
	child.Kill()
	killed := time.Now()
	waitDelete(t, events, "/owners/bundle-1", 15*time.Second)
	t.Logf("ephemeral key deleted %v after its holder was killed (TTL %v)", time.Since(killed).Round(10*time.Millisecond), sessionTTL)
	if _, _, err := observer.Get(ctx(t), "/owners/bundle-1"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("Get after expiry: err = %v, want ErrNotFound", err)
	}
	if v, _, err := observer.Get(ctx(t), "/owners/persistent"); err != nil || string(v) != "stays" {
		t.Fatalf("holder's persistent key: %q %v, want stays", v, err)
	}
}

// holdKeys is the child's part: take an ephemeral key, then wait to be killed.
func holdKeys(endpoints, prefix string) {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := etcdstore.Open(c, strings.Split(endpoints, ","), etcdstore.Options{Prefix: prefix, SessionTTL: sessionTTL})
	if err != nil {
		panic(err)
	}
	if _, err := s.Put(c, "/owners/bundle-1", []byte("holder"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		panic(err)
	}
	if _, err := s.Put(c, "/owners/persistent", []byte("stays"), metadata.NotExists); err != nil {
		panic(err)
	}
	testservers.Ready()
}

// TestSessionExpiredWhenPartitioned: cut off from etcd for longer than the TTL, the
// store reports SessionExpired, its ephemeral key is gone, and once etcd is reachable
// again it has a new session that can take ephemeral keys.
func TestSessionExpiredWhenPartitioned(t *testing.T) {
	eps, prefix := testservers.SharedEtcd(t)
	proxy := testservers.StartProxy(t, eps[0])
	s := open(t, []string{proxy.Addr()}, etcdstore.Options{Prefix: prefix, SessionTTL: sessionTTL, DialTimeout: time.Second})
	observer := open(t, eps, etcdstore.Options{Prefix: prefix})
	if _, err := s.Put(ctx(t), "/owners/b", []byte("s"), metadata.NotExists, metadata.Ephemeral()); err != nil {
		t.Fatal(err)
	}
	events, err := observer.Watch(ctx(t), "/owners")
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	cut := time.Now()
	select {
	case ev := <-s.SessionEvents():
		if ev != metadata.SessionExpired {
			t.Fatalf("session event %v, want SessionExpired", ev)
		}
		t.Logf("SessionExpired %v after the partition", time.Since(cut).Round(10*time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("no SessionExpired within 15s of the partition")
	}
	waitDelete(t, events, "/owners/b", 15*time.Second)

	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := s.Put(ctx(t), "/owners/b", []byte("again"), metadata.NotExists, metadata.Ephemeral())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ephemeral Put after the partition healed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, st, err := observer.Get(ctx(t), "/owners/b"); err != nil || !st.Ephemeral {
		t.Fatalf("new ephemeral key: %+v %v", st, err)
	}
	// The new session is live: closing the store deletes the key.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitDelete(t, events, "/owners/b", 5*time.Second)
}

func waitDelete(t *testing.T, events <-chan metadata.Event, key string, timeout time.Duration) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("watch closed before the delete of %s", key)
			}
			if ev.Type == metadata.EventDelete && ev.Key == key {
				return
			}
		case <-timer.C:
			t.Fatalf("no delete of %s within %v", key, timeout)
		}
	}
}
