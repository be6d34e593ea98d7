package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/conformance"
	"github.com/magnetar/magnetar/metadata/etcdstore"
	"github.com/magnetar/magnetar/metadata/testservers"
)

func TestMain(m *testing.M) { testservers.Main(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T, endpoints []string, opts etcdstore.Options) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(ctx(t), endpoints, opts)
	if err != nil {
		t.Fatalf("Open(%v): %v", endpoints, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the shared suite on the package's etcd, each test under its own
// key prefix.
func TestConformance(t *testing.T) {
	prefix := conformance.PerTest(func(t *testing.T) string {
		_, p := testservers.SharedEtcd(t)
		return p
	})
	conformance.Run(t, func(t *testing.T) metadata.Store {
		eps, _ := testservers.SharedEtcd(t)
		return open(t, eps, etcdstore.Options{Prefix: prefix(t)})
	})
}
