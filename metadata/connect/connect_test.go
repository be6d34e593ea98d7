package connect_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/metadata/testservers"
)

func TestMain(m *testing.M) { testservers.Main(m) }

func TestParse(t *testing.T) {
	cases := []struct {
		url, dataDir string
		want         connect.Spec
		wantErr      bool
	}{
		{url: "", dataDir: "/var/lib/magnetar", want: connect.Spec{Kind: "embedded", Dir: "/var/lib/magnetar/metadata"}},
		{url: "  ", dataDir: "/d", want: connect.Spec{Kind: "embedded", Dir: "/d/metadata"}},
		{url: "", dataDir: "", wantErr: true},
		{url: "embedded:///srv/meta/", want: connect.Spec{Kind: "embedded", Dir: "/srv/meta"}},
		{url: "embedded://", dataDir: "/d", want: connect.Spec{Kind: "embedded", Dir: "/d/metadata"}},
		{url: "embedded://relative/dir", wantErr: true},
		{url: "etcd://h1:2379", want: connect.Spec{Kind: "etcd", Hosts: []string{"h1:2379"}}},
		{url: "etcd://h1:2379,h2:2380/pulsar/east", want: connect.Spec{Kind: "etcd", Hosts: []string{"h1:2379", "h2:2380"}, Root: "/pulsar/east"}},
		{url: "etcd://h1:2379/", want: connect.Spec{Kind: "etcd", Hosts: []string{"h1:2379"}}},
		{url: "etcd:http://h1:2379,http://h2:2379", want: connect.Spec{Kind: "etcd", Hosts: []string{"http://h1:2379", "http://h2:2379"}}},
		{url: "metadata-store:etcd:http://h1:2379/p", want: connect.Spec{Kind: "etcd", Hosts: []string{"http://h1:2379"}, Root: "/p"}},
		{url: "zk://z1:2181,z2:2181,z3:2181", want: connect.Spec{Kind: "zk", Hosts: []string{"z1:2181", "z2:2181", "z3:2181"}}},
		{url: "zk://z1:2181/chroot/x", want: connect.Spec{Kind: "zk", Hosts: []string{"z1:2181"}, Root: "/chroot/x"}},
		{url: "zk:z1:2181,[::1]:2182/c", want: connect.Spec{Kind: "zk", Hosts: []string{"z1:2181", "[::1]:2182"}, Root: "/c"}},
		{url: "metadata-store:zk:z1:2181", want: connect.Spec{Kind: "zk", Hosts: []string{"z1:2181"}}},
		{url: "zk://z1", wantErr: true},               // no port
		{url: "zk://", wantErr: true},                 // no host
		{url: "zk://z1:2181,,z2:2181", wantErr: true}, // empty host
		{url: "zk://z1:2181/a/,z2:1", wantErr: true},  // path before the last host
		{url: "zk://z1:2181/bad//root", wantErr: true},
		{url: "zk:http://z1:2181", wantErr: true}, // schemes are etcd's
		{url: "consul://c:8500", wantErr: true},
		{url: "/just/a/path", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			got, err := connect.Parse(c.url, c.dataDir)
			if c.wantErr {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", c.url, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.url, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Parse(%q) = %+v, want %+v", c.url, got, c.want)
			}
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestOpen opens a real store of every kind by URL, writes through it, and reads the
// key back through a second store opened on the same URL; a store opened without the
// URL's prefix or chroot finds the key under it.
func TestOpen(t *testing.T) {
	cases := []struct {
		name string
		url  func(t *testing.T) (url, unrooted, root string)
	}{
		{"embedded", func(t *testing.T) (string, string, string) {
			dir := t.TempDir()
			return "embedded://" + dir, "", ""
		}},
		{"etcd", func(t *testing.T) (string, string, string) {
			eps, root := testservers.SharedEtcd(t)
			return "etcd://" + eps[0] + root, "etcd://" + eps[0], root
		}},
		{"zk", func(t *testing.T) (string, string, string) {
			servers, root := testservers.SharedZooKeeper(t)
			return "zk://" + servers[0] + root, "zk://" + servers[0], root
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, unrooted, root := c.url(t)
			s := open(t, url)
			if _, err := s.Put(ctx(t), "/clusters/standalone", []byte("conf"), metadata.NotExists); err != nil {
				t.Fatalf("Put via %s: %v", url, err)
			}
			if c.name == "embedded" {
				if _, ok := s.(*embedded.Store); !ok {
					t.Fatalf("embedded URL opened a %T, want *embedded.Store", s)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if v, _, err := open(t, url).Get(ctx(t), "/clusters/standalone"); err != nil || string(v) != "conf" {
				t.Fatalf("Get via a second store on %s: %q %v", url, v, err)
			}
			if unrooted != "" {
				if v, _, err := open(t, unrooted).Get(ctx(t), root+"/clusters/standalone"); err != nil || string(v) != "conf" {
					t.Fatalf("Get of %s/clusters/standalone via %s: %q %v", root, unrooted, v, err)
				}
			}
		})
	}
}

// TestOpenDefaultEmbedded: the empty URL is the embedded store under dataDir/metadata.
func TestOpenDefaultEmbedded(t *testing.T) {
	dir := t.TempDir()
	s, err := connect.Open(ctx(t), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx(t), "/k", []byte("v"), metadata.NotExists); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	direct, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if v, _, err := direct.Get(ctx(t), "/k"); err != nil || string(v) != "v" {
		t.Fatalf("Get from %s/metadata: %q %v", dir, v, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	if _, err := connect.Open(ctx(t), "consul://x:1", ""); err == nil {
		t.Fatal("Open of an unknown scheme succeeded")
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	s, err := connect.Open(c, "zk://127.0.0.1:1", "")
	if err == nil || s != nil {
		t.Fatalf("Open of an unreachable ZooKeeper = %v, %v; want nil and an error", s, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open took %v with a 2s context", d)
	}
}

func open(t *testing.T, url string) metadata.Store {
	t.Helper()
	s, err := connect.Open(ctx(t), url, t.TempDir())
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
