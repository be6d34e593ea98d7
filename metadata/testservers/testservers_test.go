package testservers

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestEnvHosts(t *testing.T) {
	cases := []struct {
		env, scheme, value string
		want               []string
	}{
		{EtcdURLEnv, "etcd://", "", nil},
		{EtcdURLEnv, "etcd://", "etcd://h1:1,h2:2", []string{"h1:1", "h2:2"}},
		{EtcdURLEnv, "etcd://", "http://h1:1,http://h2:2", []string{"http://h1:1", "http://h2:2"}},
		{EtcdURLEnv, "etcd://", "h1:1/some/prefix", []string{"h1:1"}},
		{ZKURLEnv, "zk://", "zk://a:2181,b:2181/chroot", []string{"a:2181", "b:2181"}},
		{ZKURLEnv, "zk://", " a:2181 ", []string{"a:2181"}},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			if got := envHosts(c.env, c.scheme); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("envHosts(%q) = %q, want %q", c.value, got, c.want)
			}
		})
	}
}

func TestUniqueRoot(t *testing.T) {
	a, b := UniqueRoot(t), UniqueRoot(t)
	if a == b || !strings.HasPrefix(a, "/magnetar-test/TestUniqueRoot-") {
		t.Fatalf("UniqueRoot gave %q and %q", a, b)
	}
}

// TestStartEtcd: the server answers while the test runs and is gone after it.
func TestStartEtcd(t *testing.T) {
	t.Setenv(EtcdURLEnv, "")
	var addr string
	t.Run("running", func(t *testing.T) {
		addr = StartEtcd(t)
		if err := etcdHealthy("http://" + addr); err != nil {
			t.Fatalf("etcd at %s: %v", addr, err)
		}
	})
	waitDown(t, func() error { return etcdHealthy("http://" + addr) })
}

// TestStartZooKeeper: the server answers while the test runs and is gone after it.
func TestStartZooKeeper(t *testing.T) {
	t.Setenv(ZKURLEnv, "")
	var addr string
	start := time.Now()
	t.Run("running", func(t *testing.T) {
		addr = StartZooKeeper(t)
		t.Logf("ZooKeeper at %s serving after %v", addr, time.Since(start).Round(time.Millisecond))
		if err := zkServing(addr); err != nil {
			t.Fatalf("ZooKeeper at %s: %v", addr, err)
		}
	})
	waitDown(t, func() error { return zkServing(addr) })
}

func TestSharedURLs(t *testing.T) {
	t.Setenv(EtcdURLEnv, "")
	u1, u2 := EtcdURL(t), EtcdURL(t)
	if !strings.HasPrefix(u1, "etcd://127.0.0.1:") || u1 == u2 {
		t.Fatalf("EtcdURL gave %q and %q", u1, u2)
	}
	eps, _ := SharedEtcd(t)
	if err := etcdHealthy("http://" + eps[0]); err != nil {
		t.Fatalf("shared etcd: %v", err)
	}
	t.Setenv(ZKURLEnv, "zk://elsewhere:2181")
	if u := ZooKeeperURL(t); !strings.HasPrefix(u, "zk://elsewhere:2181/magnetar-test/TestSharedURLs-") {
		t.Fatalf("ZooKeeperURL with %s set = %q", ZKURLEnv, u)
	}
}

func waitDown(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for check() == nil {
		if time.Now().After(deadline) {
			t.Fatal("server still answering after its test ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
