package resources

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/connect"
	"github.com/magnetar/magnetar/metadata/testservers"
)

func TestMain(m *testing.M) { testservers.Main(m) }

// TestOnEveryStore runs the life of a tenant — bootstrap, namespace, concurrent policy
// edits, a partitioned topic, a watch, deletion — on the embedded store and on real
// etcd and ZooKeeper servers, so the layout holds whatever the cluster uses.
func TestOnEveryStore(t *testing.T) {
	stores := []struct {
		name string
		url  func(t testing.TB) string
	}{
		{"embedded", func(t testing.TB) string { return "embedded://" + t.TempDir() }},
		{"etcd", testservers.EtcdURL},
		{"zk", testservers.ZooKeeperURL},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			store, err := connect.Open(ctx, sc.url(t), t.TempDir())
			if err != nil {
				t.Fatalf("open %s: %v", sc.name, err)
			}
			defer store.Close()
			lifeOfATenant(ctx, t, store)
		})
	}
}

func lifeOfATenant(ctx context.Context, t *testing.T, store metadata.Store) {
	r := New(store, BrokerDefaults())
	for range 2 {
		if err := r.Bootstrap(ctx, "standalone", standaloneURLs); err != nil {
			t.Fatalf("Bootstrap: %v", err)
		}
	}
	changes, err := r.WatchPolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "tenant", r.CreateTenant(ctx, "acme", TenantInfo{AllowedClusters: []string{"standalone"}}), nil, "")
	wantErr(t, "namespace", r.CreateNamespace(ctx, ns("acme/orders"), nil), nil, "")
	wantErr(t, "namespace again", r.CreateNamespace(ctx, ns("acme/orders"), nil), ErrExists, "Namespace already exists")
	select {
	case c := <-changes:
		if c.Kind != NamespacePoliciesChanged || c.Namespace != ns("acme/orders") {
			t.Fatalf("first change = %+v", c)
		}
	case <-ctx.Done():
		t.Fatal("no change event for the new namespace")
	}

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.UpdatePolicies(ctx, ns("acme/orders"), func(p *Policies) error {
				p.Properties[fmt.Sprint(i)] = "x"
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := r.GetPolicies(ctx, ns("acme/orders"))
	if err != nil || len(p.Properties) != 20 || p.Bundles.NumBundles != 4 {
		t.Fatalf("policies after concurrent edits: %d properties, bundles %+v, %v", len(p.Properties), p.Bundles, err)
	}

	tp := topic("persistent://acme/orders/t")
	wantErr(t, "partitioned", r.CreatePartitionedTopic(ctx, tp, PartitionedTopicMetadata{Partitions: 3}), nil, "")
	if m, err := r.PartitionedTopicMetadata(ctx, tp); err != nil || m.Partitions != 3 {
		t.Fatalf("metadata = %+v, %v", m, err)
	}
	wantErr(t, "delete tenant with namespace", r.DeleteTenant(ctx, "acme"), ErrNotEmpty, "")
	wantErr(t, "delete namespace with topic", r.DeleteNamespace(ctx, ns("acme/orders"), false), ErrNotEmpty, "")
	wantErr(t, "force delete namespace", r.DeleteNamespace(ctx, ns("acme/orders"), true), nil, "")
	wantErr(t, "delete tenant", r.DeleteTenant(ctx, "acme"), nil, "")
	tenants, err := r.ListTenants(ctx)
	if err != nil || !slices.Equal(tenants, []string{"public", "pulsar"}) {
		t.Fatalf("tenants = %v, %v", tenants, err)
	}
	for _, root := range []string{PoliciesPath + "/acme", PartitionedTopicsPath + "/acme", TopicPoliciesPath + "/acme"} {
		if _, _, err := store.Get(ctx, root); err == nil {
			t.Errorf("%s left behind", root)
		}
	}
}
