package zkstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/conformance"
	"github.com/magnetar/magnetar/metadata/testservers"
	"github.com/magnetar/magnetar/metadata/zkstore"
)

// One ZooKeeper serves the whole package (its JVM is slow to start); tests keep apart
// by chroot.
func TestMain(m *testing.M) { testservers.Main(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T, servers []string, opts zkstore.Options) *zkstore.Store {
	t.Helper()
	s, err := zkstore.Open(ctx(t), servers, opts)
	if err != nil {
		t.Fatalf("Open(%v): %v", servers, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	chroot := conformance.PerTest(func(t *testing.T) string {
		_, c := testservers.SharedZooKeeper(t)
		return c
	})
	conformance.Run(t, func(t *testing.T) metadata.Store {
		servers, _ := testservers.SharedZooKeeper(t)
		return open(t, servers, zkstore.Options{Chroot: chroot(t)})
	})
}
