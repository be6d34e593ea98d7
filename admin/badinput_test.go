package admin

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInputChangesNothing: malformed bodies, out-of-range values, unknown tenants and
// invalid names are answered 4xx with a JSON reason, and the stored policies stay
// byte-for-byte as they were.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/admin/v2/namespaces/public/default/retention", `{"retentionTimeInMinutes":60,"retentionSizeInMB":100}`); r.code != 204 {
		t.Fatalf("setup: %d %s", r.code, r.body)
	}
	const ns = "/admin/v2/namespaces/public/default"
	tests := []struct {
		method, path, body string
		code               int
		reason             string // substring
	}{
		{"POST", ns + "/messageTTL", `{"ttl":`, 400, "Invalid request body"},
		{"POST", ns + "/messageTTL", `"abc"`, 400, "not an integer"},
		{"POST", ns + "/messageTTL", ``, 400, "Request body is required"},
		{"POST", ns + "/messageTTL", `-5`, 412, "Invalid value for message TTL"},
		{"POST", ns + "/retention", `{"retentionTimeInMinutes":"x"}`, 400, "Invalid request body"},
		{"POST", ns + "/retention", `{"retentionTimeInMinutes":-7,"retentionSizeInMB":-1}`, 412, "time limit must be >= -1"},
		{"POST", ns + "/retention", `{"retentionTimeInMinutes":0,"retentionSizeInMB":10}`, 412, "Setting a single time or size limit to 0"},
		{"POST", ns + "/backlogQuota", `{"limitSize":1,"policy":"drop_it"}`, 400, "Invalid backlog quota policy"},
		{"POST", ns + "/backlogQuota?backlogQuotaType=weird", `{"limitSize":1,"policy":"producer_exception"}`, 400, "Invalid backlog quota type"},
		{"POST", ns + "/backlogQuota", `{"limitSize":-9,"policy":"producer_exception"}`, 412, "limitSize must be >= -1"},
		{"POST", ns + "/backlogQuota", `{"limitSize":209715200,"policy":"producer_exception"}`, 412, "exceeds configured retention"},
		{"POST", ns + "/maxProducersPerTopic", `-1`, 412, "maxProducersPerTopic must be 0 or more"},
		{"POST", ns + "/maxConsumersPerSubscription", `-2`, 412, "maxConsumersPerSubscription must be 0 or more"},
		{"POST", ns + "/maxUnackedMessagesPerConsumer", `-2`, 412, "maxUnackedMessagesPerConsumer must be 0 or more"},
		{"POST", ns + "/persistence", `{"bookkeeperEnsemble":1,"bookkeeperWriteQuorum":3,"bookkeeperAckQuorum":1}`, 412, "Ensemble"},
		{"POST", ns + "/persistence", `{"bookkeeperEnsemble":0,"bookkeeperWriteQuorum":0,"bookkeeperAckQuorum":0}`, 412, "greater than 0"},
		{"PUT", ns + "/schemaCompatibilityStrategy", `"SOMETIMES"`, 400, "Invalid schema compatibility strategy"},
		{"POST", ns + "/autoTopicCreation", `{"allowAutoTopicCreation":true,"topicType":"sideways"}`, 412, "Unknown topic type"},
		{"POST", ns + "/subscriptionExpirationTime", `-1`, 412, "Invalid value for subscription expiration time"},
		{"POST", ns + "/deduplication", `"maybe"`, 400, "not a boolean"},
		{"POST", ns + "/inactiveTopicPolicies", `{"inactiveTopicDeleteMode":"never"}`, 400, "Invalid inactive topic delete mode"},
		{"POST", ns + "/permissions/app", `["produce","fly"]`, 400, "Invalid auth action"},
		{"POST", ns + "/replication", `["mars"]`, 412, "Invalid cluster id: mars"},
		{"POST", ns + "/replication", `[]`, 412, "ClusterIds should not be null or empty"},
		{"POST", ns + "/subscriptionTypesEnabled", `["Sometimes"]`, 400, "Invalid subscription type"},
		{"PUT", ns + "/properties", `{"a":1}`, 400, "Invalid request body"},
		{"POST", ns + "/offloadPolicies", `[1,2]`, 400, "Invalid request body"},
		{"PUT", ns + "/offloadThresholdInSeconds", `-60`, 412, "Invalid value for offloadThresholdInSecond"},
		{"POST", "/admin/v2/namespaces/nobody/default/messageTTL", `10`, 404, "Tenant does not exist"},
		{"POST", "/admin/v2/namespaces/public/nothere/messageTTL", `10`, 404, "Namespace does not exist"},
		{"POST", "/admin/v2/namespaces/public/bad%20ns/messageTTL", `10`, 412, "Namespace name is not valid"},
		{"PUT", "/admin/v2/namespaces/public/x", `{"bundles":{"numBundles":-3,"boundaries":["0x1"]}}`, 412, "Bundle boundaries"},
		{"PUT", "/admin/v2/namespaces/public/x", `{"bundles":`, 400, "Invalid policies"},
		{"PUT", "/admin/v2/tenants/t1", `{"adminRoles":"boss"}`, 400, "Invalid request body"},
		{"PUT", "/admin/v2/persistent/public/default/t/partitions", `"many"`, 400, "number of partitions expected"},
		{"PUT", "/admin/v2/persistent/public/default/t/partitions", `0`, 406, "Number of partitions should be more than 0"},
		{"PUT", "/admin/v2/persistent/public/default/t-partition-1/partitions", `2`, 412, "should not contain '-partition-'"},
		{"PUT", "/admin/v2/persistent/nobody/default/t/partitions", `2`, 404, "Tenant does not exist"},
	}
	before := e.storedPolicies("public/default")
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body)
			if r.code != tt.code || !strings.Contains(r.reason(), tt.reason) {
				t.Fatalf("got %d %s, want %d with reason containing %q", r.code, r.body, tt.code, tt.reason)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("error Content-Type = %q", ct)
			}
			if after := e.storedPolicies("public/default"); after != before {
				t.Fatalf("refused request changed the policies:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// Nothing was created either.
	for _, path := range []string{"/admin/v2/namespaces/public/x", "/admin/v2/tenants/t1"} {
		if r := e.do("GET", path, ""); r.code != http.StatusNotFound {
			t.Errorf("GET %s after refused create: %d %s", path, r.code, r.body)
		}
	}
	if r := e.do("GET", "/admin/v2/persistent/public/default/partitioned", ""); r.body != "[]" {
		t.Errorf("partitioned topics after refused creates: %s", r.body)
	}
	if calls := e.broker.Calls(); len(calls) != 0 {
		t.Errorf("refused requests reached the broker: %v", calls)
	}
}
