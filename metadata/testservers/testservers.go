// Package testservers gives tests real etcd and ZooKeeper servers: the Debian-packaged
// binaries, started on free loopback ports with their data in temporary directories.
//
// StartEtcd and StartZooKeeper start a server for one test. SharedEtcd and
// SharedZooKeeper (and the URL forms EtcdURL and ZooKeeperURL) hand every test of a
// package one server started on first use, each test under its own key prefix or
// chroot: ZooKeeper's JVM takes seconds to start. A package using them should stop
// them in TestMain with Main; if it does not, they still die with the test binary.
//
// If MAGNETAR_ETCD_URL or MAGNETAR_ZK_URL is set ("etcd://h1:p1,h2:p2",
// "zk://h1:p1,h2:p2", or just the host list), that server is used instead of starting
// one; tests then must keep to the key root the Shared functions give them.
package testservers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Environment variables naming servers to use instead of starting them.
const (
	EtcdURLEnv = "MAGNETAR_ETCD_URL"
	ZKURLEnv   = "MAGNETAR_ZK_URL"
)

// StartEtcd starts an etcd server for this test, stopped when the test ends, and returns
// its client endpoint ("127.0.0.1:port"). With MAGNETAR_ETCD_URL set it returns that
// server's first endpoint instead.
func StartEtcd(t testing.TB) string {
	t.Helper()
	if eps := envHosts(EtcdURLEnv, "etcd://"); eps != nil {
		return eps[0]
	}
	p, addr, err := startEtcd(t.TempDir())
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(p.stop)
	return addr
}

// StartZooKeeper starts a ZooKeeper server for this test, stopped when the test ends,
// and returns its client address ("127.0.0.1:port"). With MAGNETAR_ZK_URL set it
// returns that server's first address instead.
func StartZooKeeper(t testing.TB) string {
	t.Helper()
	if hosts := envHosts(ZKURLEnv, "zk://"); hosts != nil {
		return hosts[0]
	}
	p, addr, err := startZooKeeper(t.TempDir())
	if err != nil {
		t.Fatalf("start ZooKeeper: %v", err)
	}
	t.Cleanup(p.stop)
	return addr
}

// SharedEtcd returns the endpoints of the package's shared etcd server and a key prefix
// ("/magnetar-test/<test>-<random>") no other test uses.
func SharedEtcd(t testing.TB) (endpoints []string, prefix string) {
	t.Helper()
	return sharedEtcd.get(t), UniqueRoot(t)
}

// SharedZooKeeper returns the addresses of the package's shared ZooKeeper server and a
// chroot ("/magnetar-test/<test>-<random>") no other test uses.
func SharedZooKeeper(t testing.TB) (servers []string, chroot string) {
	t.Helper()
	return sharedZK.get(t), UniqueRoot(t)
}

// EtcdURL is SharedEtcd as a metadata store URL: "etcd://host:port/<prefix>".
func EtcdURL(t testing.TB) string {
	t.Helper()
	eps, prefix := SharedEtcd(t)
	return "etcd://" + strings.Join(eps, ",") + prefix
}

// ZooKeeperURL is SharedZooKeeper as a metadata store URL: "zk://host:port/<chroot>".
func ZooKeeperURL(t testing.TB) string {
	t.Helper()
	servers, chroot := SharedZooKeeper(t)
	return "zk://" + strings.Join(servers, ",") + chroot
}

// Main runs a package's tests and then stops the shared servers:
//
//	func TestMain(m *testing.M) { testservers.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	sharedEtcd.stop()
	sharedZK.stop()
	os.Exit(code)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// UniqueRoot returns a key root for this test that no other test (or run) uses.
func UniqueRoot(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "/magnetar-test/" + unsafeChars.ReplaceAllString(t.Name(), "_") + "-" + hex.EncodeToString(b[:])
}

// envHosts returns the host list of the URL in env, without scheme or path; nil if unset.
func envHosts(env, scheme string) []string {
	u := strings.TrimSpace(os.Getenv(env))
	if u == "" {
		return nil
	}
	u = strings.TrimPrefix(u, scheme)
	var hosts []string
	for _, h := range strings.Split(u, ",") {
		// Keep "http://host:port" endpoints whole; drop a trailing path.
		rest := h
		scheme := ""
		if i := strings.Index(h, "://"); i >= 0 {
			scheme, rest = h[:i+3], h[i+3:]
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i]
		}
		if rest != "" {
			hosts = append(hosts, scheme+rest)
		}
	}
	return hosts
}

// shared is a server started once per test binary.
type shared struct {
	name   string
	env    string
	scheme string
	start  func(dir string) (*proc, string, error)

	mu    sync.Mutex
	addrs []string
	proc  *proc
	dir   string
	err   error
}

var (
	sharedEtcd = &shared{name: "etcd", env: EtcdURLEnv, scheme: "etcd://", start: startEtcd}
	sharedZK   = &shared{name: "ZooKeeper", env: ZKURLEnv, scheme: "zk://", start: startZooKeeper}
)

func (s *shared) get(t testing.TB) []string {
	t.Helper()
	if hosts := envHosts(s.env, s.scheme); hosts != nil {
		return hosts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addrs == nil && s.err == nil {
		s.addrs, s.err = s.launch()
	}
	if s.err != nil {
		t.Fatalf("shared %s: %v", s.name, s.err)
	}
	return s.addrs
}

func (s *shared) launch() ([]string, error) {
	dir, err := os.MkdirTemp("", "magnetar-"+strings.ToLower(s.name)+"-")
	if err != nil {
		return nil, err
	}
	p, addr, err := s.start(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start: %w", err)
	}
	s.proc, s.dir = p, dir
	return []string{addr}, nil
}

func (s *shared) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		os.RemoveAll(s.dir)
		s.proc = nil
	}
}
