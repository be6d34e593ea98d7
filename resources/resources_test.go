package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/metadata"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/resources/topicname"
)

var standaloneURLs = ClusterData{
	ServiceURL:       "http://localhost:8080",
	BrokerServiceURL: "pulsar://localhost:6650",
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens a real embedded metadata store in dir.
func openStore(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatalf("embedded.Open: %v", err)
	}
	return s
}

// newBootstrapped returns Resources over a fresh embedded store, bootstrapped as a
// standalone.
func newBootstrapped(t *testing.T) *Resources {
	t.Helper()
	s := openStore(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	r := New(s, BrokerDefaults())
	if err := r.Bootstrap(testCtx(t), "standalone", standaloneURLs); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	return r
}

func ns(s string) topicname.Namespace {
	n, err := topicname.ParseNamespace(s)
	if err != nil {
		panic(err)
	}
	return n
}

func topic(s string) topicname.Name {
	n, err := topicname.Parse(s)
	if err != nil {
		panic(err)
	}
	return n
}

// wantErr checks err is of kind (nil: no error) and carries reason (if not empty).
func wantErr(t *testing.T, what string, err, kind error, reason string) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: error %v, want kind %v", what, err, kind)
	}
	if reason != "" && ReasonOf(err) != reason {
		t.Fatalf("%s: reason %q, want %q", what, ReasonOf(err), reason)
	}
}

func TestBootstrapIsIdempotentAndDurable(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	r := New(s, BrokerDefaults())
	for i := range 2 {
		if err := r.Bootstrap(ctx, "standalone", standaloneURLs); err != nil {
			t.Fatalf("Bootstrap #%d: %v", i+1, err)
		}
	}
	// A user's change survives a second bootstrap.
	ttl := 60
	if err := r.UpdatePolicies(ctx, ns("public/default"), func(p *Policies) error { p.MessageTTLInSeconds = &ttl; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Bootstrap(ctx, "standalone", ClusterData{ServiceURL: "http://localhost:9090", BrokerServiceURL: "pulsar://localhost:6651"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openStore(t, dir)
	defer s.Close()
	r = New(s, BrokerDefaults())
	clusters, err := r.ListClusters(ctx)
	if err != nil || !slices.Equal(clusters, []string{"standalone"}) {
		t.Fatalf("ListClusters = %v, %v", clusters, err)
	}
	c, err := r.GetCluster(ctx, "standalone")
	if err != nil || c.ServiceURL != "http://localhost:9090" || c.BrokerServiceURL != "pulsar://localhost:6651" {
		t.Fatalf("GetCluster = %+v, %v (URLs refreshed by the last bootstrap)", c, err)
	}
	tenants, err := r.ListTenants(ctx)
	if err != nil || !slices.Equal(tenants, []string{"public", "pulsar"}) {
		t.Fatalf("ListTenants = %v, %v", tenants, err)
	}
	nss, err := r.ListNamespaces(ctx, "public")
	if err != nil || fmt.Sprint(nss) != "[public/default public/functions]" {
		t.Fatalf("ListNamespaces(public) = %v, %v", nss, err)
	}
	if ok, err := r.NamespaceExists(ctx, ns("pulsar/system")); err != nil || !ok {
		t.Fatalf("pulsar/system exists = %v, %v", ok, err)
	}
	p, err := r.GetPolicies(ctx, ns("public/default"))
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageTTLInSeconds == nil || *p.MessageTTLInSeconds != 60 {
		t.Fatalf("message TTL lost across bootstrap/restart: %v", p.MessageTTLInSeconds)
	}
	want := &BundlesData{NumBundles: 4, Boundaries: []string{"0x00000000", "0x40000000", "0x80000000", "0xc0000000", "0xffffffff"}}
	if !reflect.DeepEqual(p.Bundles, want) {
		t.Fatalf("bundles = %+v, want %+v", p.Bundles, want)
	}
	if !slices.Equal(p.ReplicationClusters, []string{"standalone"}) {
		t.Fatalf("replication_clusters = %v", p.ReplicationClusters)
	}
}

// TestStoredJSONUsesPulsarNames reads the raw record a Pulsar tool would see.
func TestStoredJSONUsesPulsarNames(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	b, _, err := r.Store().Get(ctx, "/admin/policies/public/default")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"auth_policies", "replication_clusters", "bundles", "backlog_quota_map",
		"retention_policies", "message_ttl_in_seconds", "deduplicationEnabled", "max_producers_per_topic",
		"max_consumers_per_topic", "max_consumers_per_subscription", "max_unacked_messages_per_consumer",
		"max_unacked_messages_per_subscription", "schema_compatibility_strategy", "schema_validation_enforced",
		"subscription_expiration_time_minutes", "delayed_delivery_policies", "autoTopicCreationOverride",
		"offload_threshold", "subscription_auth_mode", "properties"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stored policies lack %q: %s", k, b)
		}
	}
	if got := string(raw["schema_compatibility_strategy"]); got != `"UNDEFINED"` {
		t.Errorf("schema_compatibility_strategy = %s", got)
	}
	if got := string(raw["bundles"]); got != `{"boundaries":["0x00000000","0x40000000","0x80000000","0xc0000000","0xffffffff"],"numBundles":4}` {
		t.Errorf("bundles = %s", got)
	}
	tb, _, err := r.Store().Get(ctx, "/admin/policies/public")
	if err != nil || string(tb) != `{"adminRoles":[],"allowedClusters":["standalone"]}` {
		t.Errorf("tenant record = %s, %v", tb, err)
	}
	cb, _, err := r.Store().Get(ctx, "/admin/clusters/standalone")
	if err != nil || !strings.Contains(string(cb), `"serviceUrl":"http://localhost:8080"`) ||
		!strings.Contains(string(cb), `"brokerServiceUrl":"pulsar://localhost:6650"`) {
		t.Errorf("cluster record = %s, %v", cb, err)
	}
}

func TestTenants(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	if err := r.CreateCluster(ctx, "other", ClusterData{ServiceURL: "http://o:8080"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		do     func() error
		kind   error
		reason string
	}{
		{"create", func() error {
			return r.CreateTenant(ctx, "acme", TenantInfo{AdminRoles: []string{"boss"}, AllowedClusters: []string{"standalone"}})
		}, nil, ""},
		{"create again", func() error { return r.CreateTenant(ctx, "acme", TenantInfo{AllowedClusters: []string{"standalone"}}) },
			ErrExists, "Tenant already exists"},
		{"bad name", func() error { return r.CreateTenant(ctx, "ac me", TenantInfo{AllowedClusters: []string{"standalone"}}) },
			ErrInvalid, "Tenant name is not valid"},
		{"no clusters", func() error { return r.CreateTenant(ctx, "t2", TenantInfo{}) }, ErrInvalid, "Clusters can not be empty"},
		{"unknown cluster", func() error { return r.CreateTenant(ctx, "t2", TenantInfo{AllowedClusters: []string{"nope"}}) },
			ErrInvalid, "Clusters do not exist"},
		{"update missing", func() error { return r.UpdateTenant(ctx, "t2", TenantInfo{AllowedClusters: []string{"standalone"}}) },
			ErrNotFound, "Tenant does not exist"},
		{"namespace", func() error { return r.CreateNamespace(ctx, ns("acme/ns1"), nil) }, nil, ""},
		{"drop a cluster in use", func() error { return r.UpdateTenant(ctx, "acme", TenantInfo{AllowedClusters: []string{"other"}}) },
			ErrInvalid, ""},
		{"add a cluster", func() error {
			return r.UpdateTenant(ctx, "acme", TenantInfo{AdminRoles: []string{"boss2"}, AllowedClusters: []string{"standalone", "other"}})
		}, nil, ""},
		{"delete non-empty", func() error { return r.DeleteTenant(ctx, "acme") }, ErrNotEmpty, "The tenant still has active namespaces"},
		{"delete cluster in use", func() error { return r.DeleteCluster(ctx, "other") }, ErrInvalid, "Cluster not empty"},
		{"delete namespace", func() error { return r.DeleteNamespace(ctx, ns("acme/ns1"), false) }, nil, ""},
		{"delete", func() error { return r.DeleteTenant(ctx, "acme") }, nil, ""},
		{"delete missing", func() error { return r.DeleteTenant(ctx, "acme") }, ErrNotFound, "Tenant does not exist"},
		{"delete unused cluster", func() error { return r.DeleteCluster(ctx, "other") }, nil, ""},
	}
	for _, s := range steps {
		wantErr(t, s.name, s.do(), s.kind, s.reason)
		if s.name == "add a cluster" {
			info, err := r.GetTenant(ctx, "acme")
			if err != nil || !slices.Equal(info.AdminRoles, []string{"boss2"}) || len(info.AllowedClusters) != 2 {
				t.Fatalf("after update: %+v, %v", info, err)
			}
		}
	}
	if tenants, _ := r.ListTenants(ctx); slices.Contains(tenants, "acme") {
		t.Fatalf("acme still listed: %v", tenants)
	}
	if _, err := r.GetTenant(ctx, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTenant after delete: %v", err)
	}
	// A namespace can be created under the same name again (no leftovers).
	wantErr(t, "recreate", r.CreateTenant(ctx, "acme", TenantInfo{AllowedClusters: []string{"standalone"}}), nil, "")
	nss, err := r.ListNamespaces(ctx, "acme")
	if err != nil || len(nss) != 0 {
		t.Fatalf("recreated tenant has namespaces %v, %v", nss, err)
	}
}

func TestNamespaces(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	if err := r.CreateCluster(ctx, "other", ClusterData{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ns      string
		p       string // JSON body, "" = none
		kind    error
		reason  string
		bundles int
	}{
		{"defaults", "public/a", "", nil, "", 4},
		{"exists", "public/a", "", ErrExists, "Namespace already exists", 0},
		{"no tenant", "nobody/a", "", ErrNotFound, "Tenant does not exist", 0},
		{"bad name", "public/a b", "", ErrInvalid, "Namespace name is not valid", 0},
		{"numBundles", "public/b", `{"bundles":{"numBundles":16}}`, nil, "", 16},
		{"boundaries", "public/c", `{"bundles":{"boundaries":["0x00000000","0x7fffffff","0xffffffff"]}}`, nil, "", 2},
		{"bad boundaries", "public/d", `{"bundles":{"boundaries":["0x00000000","0x7fffffff"]}}`, ErrInvalid, "", 0},
		{"unsorted boundaries", "public/d", `{"bundles":{"boundaries":["0x00000000","0x9fffffff","0x7fffffff","0xffffffff"]}}`, ErrInvalid, "", 0},
		{"cluster not allowed", "public/d", `{"replication_clusters":["other"]}`, ErrDenied,
			"Cluster [other] is not in the list of allowed clusters list for tenant [public]", 0},
		{"unknown cluster", "public/d", `{"replication_clusters":["nope"]}`, ErrInvalid, "Invalid cluster id: nope", 0},
		{"negative ttl", "public/d", `{"message_ttl_in_seconds":-1}`, ErrInvalid, "Invalid value for message TTL", 0},
		{"client test body", "public/e",
			`{"auth_policies":{"namespace_auth":{"anonymous":["produce","consume"]}},"replication_clusters":["standalone"]}`, nil, "", 4},
		{"bad action", "public/d", `{"auth_policies":{"namespace_auth":{"anonymous":["fly"]}}}`, ErrBadInput, "", 0},
		{"bad json", "public/d", `{"bundles":`, ErrBadInput, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *Policies
			var err error
			if tt.p != "" {
				p, err = DecodePolicies([]byte(tt.p))
			}
			if err == nil {
				n := topicname.Namespace{Tenant: strings.Split(tt.ns, "/")[0], Name: strings.Split(tt.ns, "/")[1]}
				err = r.CreateNamespace(ctx, n, p)
			}
			wantErr(t, "CreateNamespace", err, tt.kind, tt.reason)
			if tt.kind != nil {
				if tt.ns == "public/d" {
					if ok, _ := r.NamespaceExists(ctx, ns("public/d")); ok {
						t.Fatal("a refused namespace was created")
					}
				}
				return
			}
			got, err := r.GetPolicies(ctx, ns(tt.ns))
			if err != nil {
				t.Fatal(err)
			}
			if got.Bundles.NumBundles != tt.bundles || len(got.Bundles.Boundaries) != tt.bundles+1 {
				t.Fatalf("bundles = %+v, want %d", got.Bundles, tt.bundles)
			}
			if !slices.Equal(got.ReplicationClusters, []string{"standalone"}) {
				t.Fatalf("replication clusters = %v", got.ReplicationClusters)
			}
		})
	}
	p, _ := r.GetPolicies(ctx, ns("public/e"))
	if !slices.Equal(p.AuthPolicies.NamespaceAuth["anonymous"], []AuthAction{"produce", "consume"}) {
		t.Fatalf("auth policies = %+v", p.AuthPolicies)
	}

	// Deleting: a namespace with a partitioned topic is refused unless forced.
	if err := r.CreatePartitionedTopic(ctx, topic("persistent://public/a/t"), PartitionedTopicMetadata{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete non-empty", r.DeleteNamespace(ctx, ns("public/a"), false), ErrNotEmpty, "Cannot delete non empty namespace")
	wantErr(t, "force delete", r.DeleteNamespace(ctx, ns("public/a"), true), nil, "")
	wantErr(t, "delete again", r.DeleteNamespace(ctx, ns("public/a"), false), ErrNotFound, "Namespace does not exist")
	// Recreating it starts clean: the partitioned topic went with it.
	wantErr(t, "recreate", r.CreateNamespace(ctx, ns("public/a"), nil), nil, "")
	if m, err := r.PartitionedTopicMetadata(ctx, topic("persistent://public/a/t")); err != nil || m.Partitions != 0 {
		t.Fatalf("partitioned topic survived its namespace: %+v, %v", m, err)
	}
}

// TestInvalidUpdatesChangeNothing: every refused update leaves the stored record as it was.
func TestInvalidUpdatesChangeNothing(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	n := ns("public/default")
	neg, big := -5, 10
	quota := BacklogQuota{LimitSize: 200 << 20, LimitTime: -1, Policy: ProducerRequestHold}
	if err := r.UpdatePolicies(ctx, n, func(p *Policies) error {
		p.RetentionPolicies = &RetentionPolicies{RetentionTimeInMinutes: 60, RetentionSizeInMB: 1024}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fn     func(p *Policies) error
		kind   error
		reason string
	}{
		{"ttl", func(p *Policies) error { p.MessageTTLInSeconds = &neg; return nil }, ErrInvalid, "Invalid value for message TTL"},
		{"max producers", func(p *Policies) error { p.MaxProducersPerTopic = &neg; return nil }, ErrInvalid, "maxProducersPerTopic must be 0 or more"},
		{"max consumers", func(p *Policies) error { p.MaxConsumersPerTopic = &neg; return nil }, ErrInvalid, "maxConsumersPerTopic must be 0 or more"},
		{"max topics", func(p *Policies) error { p.MaxTopicsPerNamespace = &neg; return nil }, ErrInvalid, "maxTopicsPerNamespace must be 0 or more"},
		{"sub expiration", func(p *Policies) error { p.SubscriptionExpirationTimeMinutes = &neg; return nil }, ErrInvalid,
			"Invalid value for subscription expiration time"},
		{"retention single zero", func(p *Policies) error {
			p.RetentionPolicies = &RetentionPolicies{RetentionTimeInMinutes: 0, RetentionSizeInMB: int64(big)}
			return nil
		}, ErrInvalid, ""},
		{"retention below -1", func(p *Policies) error {
			p.RetentionPolicies = &RetentionPolicies{RetentionTimeInMinutes: -2, RetentionSizeInMB: -1}
			return nil
		}, ErrInvalid, "Invalid retention policy: time limit must be >= -1"},
		{"persistence", func(p *Policies) error {
			p.Persistence = &PersistencePolicies{BookkeeperEnsemble: 1, BookkeeperWriteQuorum: 2, BookkeeperAckQuorum: 1}
			return nil
		}, ErrInvalid, ""},
		{"auto topic creation", func(p *Policies) error {
			p.AutoTopicCreationOverride = &AutoTopicCreationOverride{AllowAutoTopicCreation: true, TopicType: TopicTypePartitioned}
			return nil
		}, ErrInvalid, "Invalid configuration for autoTopicCreationOverride. the detail is [defaultNumPartitions] cannot be null when the type is partitioned."},
		{"quota policy", func(p *Policies) error {
			p.BacklogQuotaMap[DestinationStorage] = BacklogQuota{LimitSize: 1, LimitTime: -1, Policy: "drop_everything"}
			return nil
		}, ErrBadInput, ""},
		{"caller refuses", func(p *Policies) error {
			if !QuotaWithinRetention(quota, p.RetentionPolicies) {
				return &Error{ErrInvalid, "Backlog Quota exceeds configured retention quota for namespace. Please increase retention quota and retry"}
			}
			return nil
		}, nil, ""},
		{"quota above retention", func(p *Policies) error {
			q := quota
			q.LimitSize = 2 << 30
			if !QuotaWithinRetention(q, p.RetentionPolicies) {
				return &Error{ErrInvalid, "over"}
			}
			p.BacklogQuotaMap[DestinationStorage] = q
			return nil
		}, ErrInvalid, "over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, st1, err := r.Store().Get(ctx, "/admin/policies/public/default")
			if err != nil {
				t.Fatal(err)
			}
			err = r.UpdatePolicies(ctx, n, tt.fn)
			wantErr(t, "UpdatePolicies", err, tt.kind, tt.reason)
			after, st2, _ := r.Store().Get(ctx, "/admin/policies/public/default")
			if tt.kind != nil && (string(before) != string(after) || st1.Version != st2.Version) {
				t.Fatalf("refused update changed the record:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	wantErr(t, "missing namespace", r.UpdatePolicies(ctx, ns("public/nope"), func(*Policies) error { return nil }),
		ErrNotFound, "Namespace does not exist")
	wantErr(t, "missing tenant", r.UpdatePolicies(ctx, ns("nope/default"), func(*Policies) error { return nil }),
		ErrNotFound, "Tenant does not exist")
}

// TestConcurrentUpdatesAllLand: CAS retries make concurrent writers compose.
func TestConcurrentUpdatesAllLand(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- r.UpdatePolicies(ctx, ns("public/default"), func(p *Policies) error {
					p.Properties[fmt.Sprintf("w%d-%d", w, i)] = "x"
					return nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := r.GetPolicies(ctx, ns("public/default"))
	if err != nil || len(p.Properties) != writers*each {
		t.Fatalf("properties = %d entries, want %d (%v)", len(p.Properties), writers*each, err)
	}
}

func TestPartitionedTopics(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	tp := topic("persistent://public/default/orders")
	steps := []struct {
		name   string
		do     func() error
		kind   error
		reason string
	}{
		{"create", func() error { return r.CreatePartitionedTopic(ctx, tp, PartitionedTopicMetadata{Partitions: 4}) }, nil, ""},
		{"again", func() error { return r.CreatePartitionedTopic(ctx, tp, PartitionedTopicMetadata{Partitions: 4}) },
			ErrExists, "Partitioned topic already exists"},
		{"zero", func() error {
			return r.CreatePartitionedTopic(ctx, topic("public/default/z"), PartitionedTopicMetadata{Partitions: 0})
		}, ErrNotAcceptable, "Number of partitions should be more than 0"},
		{"partition name", func() error {
			return r.CreatePartitionedTopic(ctx, topic("public/default/x-partition-1"), PartitionedTopicMetadata{Partitions: 2})
		}, ErrInvalid, "Partitioned Topic Name should not contain '-partition-'"},
		{"no namespace", func() error {
			return r.CreatePartitionedTopic(ctx, topic("public/nope/x"), PartitionedTopicMetadata{Partitions: 2})
		}, ErrNotFound, "Namespace does not exist"},
		{"shrink", func() error { return r.UpdatePartitionedTopic(ctx, tp, 2) }, ErrInvalid, ""},
		{"grow", func() error { return r.UpdatePartitionedTopic(ctx, tp, 6) }, nil, ""},
		{"grow missing", func() error { return r.UpdatePartitionedTopic(ctx, topic("public/default/none"), 6) }, ErrNotFound, ""},
		{"non-persistent", func() error {
			return r.CreatePartitionedTopic(ctx, topic("non-persistent://public/default/np"), PartitionedTopicMetadata{Partitions: 1})
		}, nil, ""},
		{"odd name", func() error {
			return r.CreatePartitionedTopic(ctx, topic("persistent://public/default/a b:c"), PartitionedTopicMetadata{Partitions: 1})
		}, nil, ""},
	}
	for _, s := range steps {
		wantErr(t, s.name, s.do(), s.kind, s.reason)
	}
	for _, tt := range []struct {
		topic string
		want  int
	}{
		{"persistent://public/default/orders", 6},
		{"persistent://public/default/orders-partition-1", 0},
		{"persistent://public/default/unknown", 0},
		{"non-persistent://public/default/orders", 0},
		{"non-persistent://public/default/np", 1},
	} {
		m, err := r.PartitionedTopicMetadata(ctx, topic(tt.topic))
		if err != nil || m.Partitions != tt.want {
			t.Errorf("PartitionedTopicMetadata(%s) = %+v, %v; want %d", tt.topic, m, err, tt.want)
		}
	}
	list, err := r.ListPartitionedTopics(ctx, ns("public/default"), topicname.Persistent)
	if err != nil || fmt.Sprint(list) != "[persistent://public/default/a b:c persistent://public/default/orders]" {
		t.Fatalf("ListPartitionedTopics = %v, %v", list, err)
	}
	// Topic policies go with the topic.
	ttl := 5
	if err := r.UpdateTopicPolicies(ctx, tp, func(p *TopicPolicies) error { p.MessageTTLInSeconds = &ttl; return nil }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete", r.DeletePartitionedTopic(ctx, tp), nil, "")
	wantErr(t, "delete again", r.DeletePartitionedTopic(ctx, tp), ErrNotFound, "")
	if got, err := r.TopicPolicies(ctx, tp); err != nil || got != nil {
		t.Fatalf("topic policies survived the topic: %+v, %v", got, err)
	}
}

func TestEffectivePolicies(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	n := ns("public/default")
	tp := topic("persistent://public/default/t")
	i := func(v int) *int { return &v }

	e, err := r.EffectivePolicies(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	d := BrokerDefaults()
	if e.MessageTTLSeconds != 0 || e.MaxUnackedMessagesPerConsumer != 50000 || e.MaxMessageSize != d.MaxMessageSize ||
		e.SchemaCompatibilityStrategy != SchemaFull || e.Persistence.BookkeeperEnsemble != 2 ||
		!e.DelayedDelivery.Active || e.DelayedDelivery.TickTime != 1000 || e.BacklogQuotas[DestinationStorage].LimitSize != -1 ||
		!e.AutoTopicCreation.AllowAutoTopicCreation || e.AutoTopicCreation.TopicType != TopicTypeNonPartitioned {
		t.Fatalf("broker defaults not applied: %+v", e)
	}

	// Namespace level over the broker.
	if err := r.UpdatePolicies(ctx, n, func(p *Policies) error {
		p.MessageTTLInSeconds = i(100)
		p.MaxProducersPerTopic = i(3)
		p.SchemaCompatibilityStrategy = SchemaBackward
		p.BacklogQuotaMap[DestinationStorage] = BacklogQuota{LimitSize: 1 << 20, LimitTime: -1, Policy: ProducerException}
		p.RetentionPolicies = &RetentionPolicies{RetentionTimeInMinutes: -1, RetentionSizeInMB: -1}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Topic level over the namespace, for the topic and each of its partitions.
	strategy := SchemaUndefined
	if err := r.UpdateTopicPolicies(ctx, tp, func(p *TopicPolicies) error {
		p.MessageTTLInSeconds = i(7)
		p.SchemaCompatibilityStrategy = &strategy // UNDEFINED falls through to the namespace
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"persistent://public/default/t", "persistent://public/default/t-partition-2"} {
		e, err := r.EffectivePolicies(ctx, topic(name))
		if err != nil {
			t.Fatal(err)
		}
		if e.MessageTTLSeconds != 7 || e.MaxProducersPerTopic != 3 || e.SchemaCompatibilityStrategy != SchemaBackward ||
			e.BacklogQuotas[DestinationStorage].Policy != ProducerException || e.Retention.RetentionSizeInMB != -1 {
			t.Fatalf("%s: effective = %+v", name, e)
		}
	}
	other, err := r.EffectivePolicies(ctx, topic("persistent://public/default/other"))
	if err != nil || other.MessageTTLSeconds != 100 {
		t.Fatalf("other topic ttl = %d, %v (namespace value)", other.MessageTTLSeconds, err)
	}
	if _, err := r.EffectivePolicies(ctx, topic("persistent://public/none/x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EffectivePolicies in a missing namespace: %v", err)
	}
	wantErr(t, "topic policy out of range",
		r.UpdateTopicPolicies(ctx, tp, func(p *TopicPolicies) error { p.MaxConsumerPerTopic = i(-1); return nil }),
		ErrInvalid, "maxConsumers must be 0 or more")
}

func TestDecodeBodies(t *testing.T) {
	// What pulsaradmin sends for CreateNsWithNumBundles: a whole Policies with zero values.
	p, err := DecodePolicies([]byte(`{"bundles":{"boundaries":null,"numBundles":8},"schema_compatibility_strategy":"",
		"subscription_auth_mode":"","schema_auto_update_compatibility_strategy":"","auth_policies":{"namespace_auth":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.SchemaCompatibilityStrategy != SchemaUndefined || p.SubscriptionAuthMode != "None" || p.Bundles.NumBundles != 8 ||
		p.AuthPolicies.NamespaceAuth == nil || p.OffloadThreshold != -1 {
		t.Fatalf("decoded %+v", p)
	}
	var q BacklogQuota
	if err := json.Unmarshal([]byte(`{"limit": "10240", "policy": "producer_request_hold"}`), &q); err != nil {
		t.Fatal(err)
	}
	if q != (BacklogQuota{LimitSize: 10240, LimitTime: -1, Policy: ProducerRequestHold}) {
		t.Fatalf("quota = %+v", q)
	}
	out, _ := json.Marshal(q)
	if string(out) != `{"limit":10240,"limitSize":10240,"limitTime":-1,"policy":"producer_request_hold"}` {
		t.Fatalf("quota JSON = %s", out)
	}
	for _, bad := range []string{`{"limit":"ten"}`, `{"policy":"drop"}`} {
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("quota %s accepted", bad)
		}
	}
	var dd DelayedDeliveryPolicies
	if err := json.Unmarshal([]byte(`{"tickTime":1000.0,"active":true,"maxDelayInMillis":60000}`), &dd); err != nil ||
		dd != (DelayedDeliveryPolicies{TickTime: 1000, Active: true, MaxDeliveryDelayInMillis: 60000}) {
		t.Fatalf("delayed delivery = %+v, %v", dd, err)
	}
	if _, err := DecodePolicies([]byte(`{"schema_compatibility_strategy":"SOMETIMES"}`)); !errors.Is(err, ErrBadInput) {
		t.Fatalf("bad strategy: %v", err)
	}
}

// Keep the metadata import honest: a raw implicit parent is not a tenant.
func TestImplicitParentIsNotARecord(t *testing.T) {
	r := newBootstrapped(t)
	ctx := testCtx(t)
	if _, err := r.Store().Put(ctx, "/admin/policies/ghost/ns", []byte(`{}`), metadata.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.TenantExists(ctx, "ghost"); ok {
		t.Fatal("an implicit parent counts as a tenant")
	}
	tenants, _ := r.ListTenants(ctx)
	if slices.Contains(tenants, "ghost") {
		t.Fatalf("ListTenants = %v", tenants)
	}
	wantErr(t, "create over implicit parent", r.CreateTenant(ctx, "ghost", TenantInfo{AllowedClusters: []string{"standalone"}}), nil, "")
	if info, err := r.GetTenant(ctx, "ghost"); err != nil || !slices.Equal(info.AllowedClusters, []string{"standalone"}) {
		t.Fatalf("GetTenant = %+v, %v", info, err)
	}
}
