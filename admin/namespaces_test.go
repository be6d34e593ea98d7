package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func TestNamespaceLifecycle(t *testing.T) {
	e := newEnv(t)
	ns := e.admin.Namespaces()
	noErr(t, "CreateNamespace", ns.CreateNamespace("public/a"))
	noErr(t, "CreateNsWithNumBundles", ns.CreateNsWithNumBundles("public/b", 8))
	list, err := ns.GetNamespaces("public")
	noErr(t, "GetNamespaces", err)
	if !slices.Equal(list, []string{"public/a", "public/b", "public/default", "public/functions"}) {
		t.Fatalf("namespaces = %v", list)
	}
	p, err := ns.GetPolicies("public/a")
	noErr(t, "GetPolicies", err)
	if p.Bundles == nil || p.Bundles.NumBundles != 4 || len(p.Bundles.Boundaries) != 5 ||
		!slices.Equal(p.ReplicationClusters, []string{"standalone"}) ||
		p.SchemaCompatibilityStrategy != utils.SchemaCompatibilityStrategyUndefined || p.OffloadThreshold != -1 {
		t.Fatalf("policies of public/a = %+v", p)
	}
	if p, _ := ns.GetPolicies("public/b"); p.Bundles.NumBundles != 8 {
		t.Fatalf("public/b bundles = %+v", p.Bundles)
	}
	// The body the official client's own tests send (helper createNamespace).
	r := e.do("PUT", "/admin/v2/namespaces/public/c",
		`{"auth_policies":{"namespace_auth":{"anonymous":["produce","consume"]}},"replication_clusters":["standalone"]}`)
	if r.code != http.StatusNoContent {
		t.Fatalf("PUT with policies: %d %s", r.code, r.body)
	}
	perms, err := ns.GetNamespacePermissions(mustNS(t, "public/c"))
	noErr(t, "GetNamespacePermissions", err)
	if len(perms["anonymous"]) != 2 {
		t.Fatalf("permissions = %v", perms)
	}

	tests := []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"exists", ns.CreateNamespace("public/a"), 409, "Namespace already exists"},
		{"no tenant", ns.CreateNamespace("nobody/a"), 404, "Tenant does not exist"},
		{"get missing", func() error { _, err := ns.GetPolicies("public/zz"); return err }(), 404, "Namespace does not exist"},
		{"delete missing", ns.DeleteNamespace("public/zz"), 404, "Namespace does not exist"},
		{"list of missing tenant", func() error { _, err := ns.GetNamespaces("nobody"); return err }(), 404, "Tenant does not exist"},
	}
	for _, tt := range tests {
		restErr(t, tt.name, tt.err, tt.code, tt.reason)
	}
	if r := e.do("PUT", "/admin/v2/namespaces/public/bad%20name", ""); r.code != 412 || r.reason() != "Namespace name is not valid" {
		t.Fatalf("invalid namespace name: %d %s", r.code, r.body)
	}

	// Topics keep a namespace alive: a live topic, or a partitioned topic.
	e.broker.addTopic("persistent://public/a/live")
	restErr(t, "delete with a topic", ns.DeleteNamespace("public/a"), 409, "Cannot delete non empty namespace")
	topics, err := ns.GetTopics("public/a")
	noErr(t, "GetTopics", err)
	if !slices.Equal(topics, []string{"persistent://public/a/live"}) {
		t.Fatalf("topics = %v", topics)
	}
	if r := e.do("DELETE", "/admin/v2/namespaces/public/a?force=true", ""); r.code != 204 {
		t.Fatalf("force delete: %d %s", r.code, r.body)
	}
	if ok, _ := e.broker.TopicExists(e.ctx(), mustTopic(t, "persistent://public/a/live")); ok {
		t.Fatal("forced namespace delete left its topic")
	}
	noErr(t, "DeleteNamespace", ns.DeleteNamespace("public/b"))
	list, _ = ns.GetNamespaces("public")
	if slices.Contains(list, "public/a") || slices.Contains(list, "public/b") {
		t.Fatalf("deleted namespaces still listed: %v", list)
	}
}

// TestNamespacePolicies follows the official client's own namespace tests
// (pulsaradmin/pkg/admin/namespace_test.go), against Magnetar.
func TestNamespacePolicies(t *testing.T) {
	e := newEnv(t)
	ns := e.admin.Namespaces()
	def := mustNS(t, "public/default")
	ptr := func(n int) *int { return &n }

	t.Run("topic auto creation", func(t *testing.T) {
		tests := []struct {
			ns     string
			config utils.TopicAutoCreationConfig
			reason string
		}{
			{"public/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.Partitioned, Partitions: ptr(3)}, ""},
			{"public/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.Partitioned},
				"Invalid configuration for autoTopicCreationOverride. the detail is [defaultNumPartitions] cannot be null when the type is partitioned."},
			{"public/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.Partitioned, Partitions: ptr(-1)},
				"Invalid configuration for autoTopicCreationOverride. the detail is [defaultNumPartitions] cannot be less than 1 for partition type."},
			{"public/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}, ""},
			{"public/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned, Partitions: ptr(3)},
				"Invalid configuration for autoTopicCreationOverride. the detail is [defaultNumPartitions] is not allowed to be set when the type is non-partition."},
			{"public/default", utils.TopicAutoCreationConfig{Allow: false}, ""},
			{"public/nonexist", utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}, "Namespace does not exist"},
			{"non-exist/default", utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}, "Tenant does not exist"},
		}
		for _, tt := range tests {
			n := mustNS(t, tt.ns)
			err := ns.SetTopicAutoCreation(n, tt.config)
			if tt.reason == "" {
				noErr(t, "SetTopicAutoCreation", err)
				got, err := ns.GetTopicAutoCreation(n)
				noErr(t, "GetTopicAutoCreation", err)
				if got == nil || got.Allow != tt.config.Allow || got.Type != tt.config.Type {
					t.Fatalf("GetTopicAutoCreation = %+v, want %+v", got, tt.config)
				}
				noErr(t, "RemoveTopicAutoCreation", ns.RemoveTopicAutoCreation(n))
				if got, err := ns.GetTopicAutoCreation(n); err != nil || got != nil {
					t.Fatalf("after remove: %+v, %v", got, err)
				}
				continue
			}
			re, isRest := err.(rest.Error)
			if !isRest || re.Reason != tt.reason {
				t.Fatalf("SetTopicAutoCreation(%s, %+v) = %v, want reason %q", tt.ns, tt.config, err, tt.reason)
			}
		}
	})

	t.Run("subscription expiration", func(t *testing.T) {
		restErr(t, "negative", ns.SetSubscriptionExpirationTime(def, -60), 412, "Invalid value for subscription expiration time")
		noErr(t, "set", ns.SetSubscriptionExpirationTime(def, 60))
		v, err := ns.GetSubscriptionExpirationTime(def)
		if err != nil || v != 60 {
			t.Fatalf("get = %d, %v", v, err)
		}
		noErr(t, "remove", ns.RemoveSubscriptionExpirationTime(def))
		if v, err := ns.GetSubscriptionExpirationTime(def); err != nil || v != -1 {
			t.Fatalf("after remove = %d, %v (want -1: unset)", v, err)
		}
	})

	t.Run("offload thresholds", func(t *testing.T) {
		if v, err := ns.GetOffloadThreshold(def); err != nil || v != -1 {
			t.Fatalf("default offload threshold = %d, %v", v, err)
		}
		restErr(t, "negative seconds", ns.SetOffloadThresholdInSeconds(def, -60), 412, "Invalid value for offloadThresholdInSecond")
		noErr(t, "set seconds", ns.SetOffloadThresholdInSeconds(def, 60))
		if v, err := ns.GetOffloadThresholdInSeconds(def); err != nil || v != 60 {
			t.Fatalf("seconds = %d, %v", v, err)
		}
		if v, err := ns.GetOffloadDeleteLag(def); err != nil || v != -1 {
			t.Fatalf("default delete lag = %d, %v", v, err)
		}
		noErr(t, "set lag 0", ns.SetOffloadDeleteLag(def, 0))
		if v, _ := ns.GetOffloadDeleteLag(def); v != 0 {
			t.Fatalf("lag = %d, want 0", v)
		}
		noErr(t, "set lag", ns.SetOffloadDeleteLag(def, 1000))
		if v, _ := ns.GetOffloadDeleteLag(def); v != 1000 {
			t.Fatalf("lag = %d", v)
		}
	})

	t.Run("schema compatibility strategy", func(t *testing.T) {
		for _, s := range []utils.SchemaCompatibilityStrategy{utils.SchemaCompatibilityStrategyFull,
			utils.SchemaCompatibilityStrategyBackward, utils.SchemaCompatibilityStrategyForwardTransitive,
			utils.SchemaCompatibilityStrategyAlwaysCompatible, utils.SchemaCompatibilityStrategyUndefined} {
			noErr(t, "set "+string(s), ns.SetSchemaCompatibilityStrategy(def, s))
			got, err := ns.GetSchemaCompatibilityStrategy(def)
			if err != nil || got != s {
				t.Fatalf("get = %s, %v; want %s", got, err, s)
			}
		}
		restErr(t, "missing ns", ns.SetSchemaCompatibilityStrategy(mustNS(t, "public/nonexist"), utils.SchemaCompatibilityStrategyFull),
			404, "Namespace does not exist")
		restErr(t, "missing tenant", ns.SetSchemaCompatibilityStrategy(mustNS(t, "non-exist/default"), utils.SchemaCompatibilityStrategyFull),
			404, "Tenant does not exist")
		restErr(t, "invalid", ns.SetSchemaCompatibilityStrategy(def, "SOMETIMES"), 400, "")
		noErr(t, "auto update", ns.SetSchemaAutoUpdateCompatibilityStrategy(def, utils.BackwardTransitive))
		if got, err := ns.GetSchemaAutoUpdateCompatibilityStrategy(def); err != nil || got != utils.BackwardTransitive {
			t.Fatalf("auto update = %s, %v", got, err)
		}
		noErr(t, "validation", ns.SetSchemaValidationEnforced(def, true))
		if got, err := ns.GetSchemaValidationEnforced(def); err != nil || !got {
			t.Fatalf("validation enforced = %v, %v", got, err)
		}
	})

	t.Run("properties", func(t *testing.T) {
		noErr(t, "update", ns.UpdateProperties(def, map[string]string{"key-1": "value-1"}))
		noErr(t, "update more", ns.UpdateProperties(def, map[string]string{"key-2": "value-2"}))
		got, err := ns.GetProperties(def)
		noErr(t, "get", err)
		if len(got) != 2 || got["key-1"] != "value-1" || got["key-2"] != "value-2" {
			t.Fatalf("properties = %v", got)
		}
		noErr(t, "remove", ns.RemoveProperties(def))
		if got, err := ns.GetProperties(def); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("after remove = %#v, %v (want an empty map)", got, err)
		}
	})

	t.Run("limits", func(t *testing.T) {
		restErr(t, "max topics", ns.SetMaxTopicsPerNamespace(def, -1), 412, "maxTopicsPerNamespace must be 0 or more")
		noErr(t, "max topics", ns.SetMaxTopicsPerNamespace(def, 100))
		if v, _ := ns.GetMaxTopicsPerNamespace(def); v != 100 {
			t.Fatalf("max topics = %d", v)
		}
		noErr(t, "remove max topics", ns.RemoveMaxTopicsPerNamespace(def))
		if v, err := ns.GetMaxTopicsPerNamespace(def); err != nil || v != 0 {
			t.Fatalf("max topics after remove = %d, %v", v, err)
		}
		type limit struct {
			name   string
			set    func(int) error
			get    func() (int, error)
			remove func() error
		}
		for _, l := range []limit{
			{"maxProducersPerTopic", func(v int) error { return ns.SetMaxProducersPerTopic(def, v) },
				func() (int, error) { return ns.GetMaxProducersPerTopic(def) }, func() error { return ns.RemoveMaxProducersPerTopic(def) }},
			{"maxConsumersPerTopic", func(v int) error { return ns.SetMaxConsumersPerTopic(def, v) },
				func() (int, error) { return ns.GetMaxConsumersPerTopic(def) }, func() error { return ns.RemoveMaxConsumersPerTopic(def) }},
			{"maxConsumersPerSubscription", func(v int) error { return ns.SetMaxConsumersPerSubscription(def, v) },
				func() (int, error) { return ns.GetMaxConsumersPerSubscription(def) },
				func() error { return ns.RemoveMaxConsumersPerSubscription(def) }},
		} {
			initial, err := l.get()
			noErr(t, l.name+" initial", err)
			restErr(t, l.name+" negative", l.set(-1), 412, l.name+" must be 0 or more")
			noErr(t, l.name+" set", l.set(50))
			if v, err := l.get(); err != nil || v != 50 {
				t.Fatalf("%s = %d, %v", l.name, v, err)
			}
			noErr(t, l.name+" remove", l.remove())
			if v, _ := l.get(); v != initial {
				t.Fatalf("%s after remove = %d, want %d", l.name, v, initial)
			}
		}
		if v, _ := ns.GetCompactionThreshold(def); v != -1 {
			t.Fatalf("default compaction threshold = %d", v)
		}
		noErr(t, "compaction 0", ns.SetCompactionThreshold(def, 0))
		if v, _ := ns.GetCompactionThreshold(def); v != 0 {
			t.Fatalf("compaction threshold = %d", v)
		}
		restErr(t, "compaction negative", ns.SetCompactionThreshold(def, -5), 412, "compactionThreshold must be 0 or more")
	})

	t.Run("message ttl", func(t *testing.T) {
		initial, err := ns.GetNamespaceMessageTTL("public/default")
		noErr(t, "get", err)
		noErr(t, "set", ns.SetNamespaceMessageTTL("public/default", 3600))
		if v, _ := ns.GetNamespaceMessageTTL("public/default"); v != 3600 {
			t.Fatalf("ttl = %d", v)
		}
		restErr(t, "negative", ns.SetNamespaceMessageTTL("public/default", -1), 412, "Invalid value for message TTL")
		noErr(t, "remove", ns.RemoveNamespaceMessageTTL("public/default"))
		if v, _ := ns.GetNamespaceMessageTTL("public/default"); v != initial {
			t.Fatalf("ttl after remove = %d, want %d", v, initial)
		}
	})

	t.Run("retention and backlog quota", func(t *testing.T) {
		if r, err := ns.GetRetention("public/default"); err != nil || r != nil {
			t.Fatalf("initial retention = %+v, %v (want unset)", r, err)
		}
		noErr(t, "set retention", ns.SetRetention("public/default", utils.RetentionPolicies{RetentionTimeInMinutes: 60, RetentionSizeInMB: 1024}))
		r, err := ns.GetRetention("public/default")
		if err != nil || r == nil || r.RetentionSizeInMB != 1024 || r.RetentionTimeInMinutes != 60 {
			t.Fatalf("retention = %+v, %v", r, err)
		}
		restErr(t, "quota above retention", ns.SetBacklogQuota("public/default",
			utils.NewBacklogQuota(2<<30, -1, utils.ProducerException), utils.DestinationStorage), 412,
			"Backlog Quota exceeds configured retention quota for namespace. Please increase retention quota and retry")
		noErr(t, "set quota", ns.SetBacklogQuota("public/default", utils.NewBacklogQuota(100<<20, -1, utils.ProducerException), utils.DestinationStorage))
		noErr(t, "set age quota", ns.SetBacklogQuota("public/default", utils.NewBacklogQuota(-1, 600, utils.ConsumerBacklogEviction), utils.MessageAge))
		m, err := ns.GetBacklogQuotaMap("public/default")
		noErr(t, "GetBacklogQuotaMap", err)
		if m[utils.DestinationStorage] != utils.NewBacklogQuota(100<<20, -1, utils.ProducerException) ||
			m[utils.MessageAge] != utils.NewBacklogQuota(-1, 600, utils.ConsumerBacklogEviction) {
			t.Fatalf("quota map = %+v", m)
		}
		restErr(t, "retention below quota", ns.SetRetention("public/default", utils.RetentionPolicies{RetentionTimeInMinutes: 60, RetentionSizeInMB: 10}),
			412, "Retention Quota must exceed configured backlog quota for namespace.")
		noErr(t, "remove quota", ns.RemoveBacklogQuota("public/default"))
		if m, _ := ns.GetBacklogQuotaMap("public/default"); len(m) != 1 {
			t.Fatalf("after removing destination_storage: %+v", m)
		}
		noErr(t, "remove retention", ns.RemoveRetention("public/default"))
		if r, err := ns.GetRetention("public/default"); err != nil || r != nil {
			t.Fatalf("retention after remove = %+v, %v", r, err)
		}
	})

	t.Run("persistence and bookie affinity", func(t *testing.T) {
		if p, err := ns.GetPersistence("public/default"); err != nil || p != nil {
			t.Fatalf("initial persistence = %+v, %v", p, err)
		}
		restErr(t, "bad quorum", ns.SetPersistence("public/default", utils.NewPersistencePolicies(1, 2, 1, 0)), 412, "")
		noErr(t, "set", ns.SetPersistence("public/default", utils.NewPersistencePolicies(3, 2, 2, 10)))
		if p, _ := ns.GetPersistence("public/default"); p == nil || p.BookkeeperEnsemble != 3 || p.ManagedLedgerMaxMarkDeleteRate != 10 {
			t.Fatalf("persistence = %+v", p)
		}
		noErr(t, "remove", ns.RemovePersistence("public/default"))
		if p, _ := ns.GetPersistence("public/default"); p != nil {
			t.Fatalf("after remove = %+v", p)
		}
		if g, err := ns.GetBookieAffinityGroup("public/default"); err != nil || g != nil {
			t.Fatalf("initial affinity = %+v, %v", g, err)
		}
		noErr(t, "affinity", ns.SetBookieAffinityGroup("public/default", utils.BookieAffinityGroupData{
			BookkeeperAffinityGroupPrimary: "p", BookkeeperAffinityGroupSecondary: "s"}))
		if g, _ := ns.GetBookieAffinityGroup("public/default"); g == nil || g.BookkeeperAffinityGroupPrimary != "p" {
			t.Fatalf("affinity = %+v", g)
		}
		noErr(t, "remove affinity", ns.DeleteBookieAffinityGroup("public/default"))
		if g, _ := ns.GetBookieAffinityGroup("public/default"); g != nil {
			t.Fatalf("affinity after remove = %+v", g)
		}
	})

	t.Run("permissions", func(t *testing.T) {
		actions := []utils.AuthAction{"produce", "consume"}
		noErr(t, "grant", ns.GrantNamespacePermission(def, "app", actions))
		perms, err := ns.GetNamespacePermissions(def)
		if err != nil || !slices.Equal(perms["app"], actions) {
			t.Fatalf("permissions = %v, %v", perms, err)
		}
		noErr(t, "revoke", ns.RevokeNamespacePermission(def, "app"))
		if perms, _ := ns.GetNamespacePermissions(def); perms["app"] != nil {
			t.Fatalf("after revoke = %v", perms)
		}
		noErr(t, "grant sub", ns.GrantSubPermission(def, "subscription", []string{"user"}))
		sp, err := ns.GetSubPermissions(def)
		if err != nil || !slices.Equal(sp["subscription"], []string{"user"}) {
			t.Fatalf("sub permissions = %v, %v", sp, err)
		}
		noErr(t, "revoke sub", ns.RevokeSubPermission(def, "subscription", "user"))
		if sp, _ := ns.GetSubPermissions(def); len(sp["subscription"]) != 0 {
			t.Fatalf("after revoke = %v", sp)
		}
		if r := e.do("POST", "/admin/v2/namespaces/public/default/permissions/app", `["fly"]`); r.code != 400 {
			t.Fatalf("bad action: %d %s", r.code, r.body)
		}
	})

	t.Run("replication, dedup, rates", func(t *testing.T) {
		noErr(t, "replication", ns.SetNamespaceReplicationClusters("public/default", []string{"standalone"}))
		c, err := ns.GetNamespaceReplicationClusters("public/default")
		if err != nil || !slices.Equal(c, []string{"standalone"}) {
			t.Fatalf("replication = %v, %v", c, err)
		}
		restErr(t, "unknown cluster", ns.SetNamespaceReplicationClusters("public/default", []string{"mars"}), 412, "Invalid cluster id: mars")
		noErr(t, "dedup", ns.SetDeduplicationStatus("public/default", true))
		p, _ := ns.GetPolicies("public/default")
		if p.DeduplicationEnabled == nil || !*p.DeduplicationEnabled {
			t.Fatalf("deduplicationEnabled = %v", p.DeduplicationEnabled)
		}
		noErr(t, "publish rate", ns.SetPublishRate(def, utils.PublishRate{PublishThrottlingRateInMsg: 10, PublishThrottlingRateInByte: 1000}))
		pr, err := ns.GetPublishRate(def)
		if err != nil || pr.PublishThrottlingRateInMsg != 10 {
			t.Fatalf("publish rate = %+v, %v", pr, err)
		}
		noErr(t, "encryption", ns.SetEncryptionRequiredStatus(def, true))
		if p, _ := ns.GetPolicies("public/default"); !p.EncryptionRequired {
			t.Fatal("encryption_required not set")
		}
	})

	// The whole record still decodes, with Pulsar's names, after all of the above.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.storedPolicies("public/default")), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["encryption_required"]) != "true" || string(raw["deduplicationEnabled"]) != "true" {
		t.Fatalf("stored record: %s", e.storedPolicies("public/default"))
	}
}

func mustNS(t *testing.T, s string) utils.NameSpaceName {
	t.Helper()
	n, err := utils.GetNamespaceName(s)
	if err != nil {
		t.Fatal(err)
	}
	return *n
}
