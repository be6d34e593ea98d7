package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnetar/magnetar/admin"
	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// cliBroker is the admin API's Broker seam with just what these commands reach: topics
// kept in a set. Any other method panics through the nil embedded interface.
type cliBroker struct {
	admin.Broker
	mu     sync.Mutex
	topics map[string]bool
	config map[string]string
}

func (b *cliBroker) Topics(_ context.Context, ns topicname.Namespace, d topicname.Domain) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for t := range b.topics {
		if strings.HasPrefix(t, string(d)+"://"+ns.String()+"/") {
			out = append(out, t)
		}
	}
	return out, nil
}

func (b *cliBroker) TopicExists(_ context.Context, t topicname.Name) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.topics[t.String()], nil
}

func (b *cliBroker) CreateTopic(_ context.Context, t topicname.Name) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.topics[t.String()] {
		return admin.ErrTopicExists
	}
	b.topics[t.String()] = true
	return nil
}

// DeleteTopicSchema: these tests register no schemas.
func (b *cliBroker) DeleteTopicSchema(context.Context, topicname.Name) error { return nil }

func (b *cliBroker) DeleteTopic(_ context.Context, t topicname.Name, _ bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.topics[t.String()] {
		return admin.ErrTopicNotFound
	}
	delete(b.topics, t.String())
	return nil
}

func (b *cliBroker) ActiveBrokers(context.Context) ([]string, error) {
	return []string{"localhost:8080"}, nil
}
func (b *cliBroker) HealthCheck(context.Context) error { return nil }

func (b *cliBroker) DynamicConfigNames() []string { return []string{"allowAutoTopicCreation"} }
func (b *cliBroker) DynamicConfigValues(context.Context) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.config), nil
}
func (b *cliBroker) UpdateDynamicConfig(_ context.Context, name, value string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name != "allowAutoTopicCreation" {
		return &resources.Error{Kind: resources.ErrInvalid, Reason: "Can't update non-dynamic configuration " + name}
	}
	b.config[name] = value
	return nil
}
func (b *cliBroker) DeleteDynamicConfig(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.config, name)
	return nil
}
func (b *cliBroker) RuntimeConfig() map[string]string {
	return map[string]string{"clusterName": "standalone"}
}
func (b *cliBroker) Lookup(context.Context, topicname.Name, string) (admin.LookupData, error) {
	return admin.LookupData{BrokerURL: "pulsar://localhost:6650"}, nil
}

// server is the real admin API over a real embedded store.
func server(t *testing.T) string {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	res := resources.New(store, resources.BrokerDefaults())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := res.Bootstrap(ctx, "standalone", resources.ClusterData{ServiceURL: "http://localhost:8080"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.New(res, &cliBroker{topics: map[string]bool{}, config: map[string]string{}}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// run executes `magnetar admin args...` against url and returns what it printed.
func run(url string, args ...string) (string, error) {
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"--admin-url", url}, args...))
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestCommands(t *testing.T) {
	url := server(t)
	steps := []struct {
		args []string
		out  string // exact output ("" for changes), or a JSON document if it starts with { or [
		err  string // substring of the error
	}{
		{[]string{"clusters", "list"}, "standalone\n", ""},
		{[]string{"tenants", "create", "acme", "-r", "boss", "-c", "standalone"}, "", ""},
		{[]string{"tenants", "list"}, "acme\npublic\npulsar\n", ""},
		{[]string{"tenants", "get", "acme"}, `{"adminRoles":["boss"],"allowedClusters":["standalone"]}`, ""},
		{[]string{"tenants", "list", "-o", "json"}, `["acme","public","pulsar"]`, ""},
		{[]string{"tenants", "create", "acme", "-c", "standalone"}, "", "Tenant already exists (HTTP 409)"},
		{[]string{"tenants", "get", "nobody"}, "", "Tenant does not exist (HTTP 404)"},
		{[]string{"namespaces", "create", "acme/ns", "-b", "8"}, "", ""},
		{[]string{"namespaces", "list", "acme"}, "acme/ns\n", ""},
		{[]string{"namespaces", "set-retention", "acme/ns", "--size", "1G", "--time", "3h"}, "", ""},
		{[]string{"namespaces", "get-retention", "acme/ns"}, `{"retentionTimeInMinutes":180,"retentionSizeInMB":1024}`, ""},
		{[]string{"namespaces", "set-message-ttl", "acme/ns", "-t", "3600"}, "", ""},
		{[]string{"namespaces", "get-message-ttl", "acme/ns"}, "3600\n", ""},
		{[]string{"namespaces", "set-message-ttl", "acme/ns", "-t", "-5"}, "", "Invalid value for message TTL (HTTP 412)"},
		{[]string{"namespaces", "set-backlog-quota", "acme/ns", "--limit", "10M", "--policy", "producer_exception"}, "", ""},
		{[]string{"namespaces", "get-backlog-quotas", "acme/ns"},
			`{"destination_storage":{"limitTime":-1,"limitSize":10485760,"policy":"producer_exception"}}`, ""},
		{[]string{"namespaces", "set-backlog-quota", "acme/ns", "--limit", "2G", "--policy", "producer_exception"}, "",
			"Backlog Quota exceeds configured retention quota"},
		{[]string{"namespaces", "set-max-producers-per-topic", "acme/ns", "--max-producers-per-topic", "3"}, "", ""},
		{[]string{"namespaces", "get-max-producers-per-topic", "acme/ns"}, "3\n", ""},
		{[]string{"namespaces", "set-schema-compatibility-strategy", "acme/ns", "--compatibility", "backward"}, "", ""},
		{[]string{"namespaces", "get-schema-compatibility-strategy", "acme/ns"}, "BACKWARD\n", ""},
		{[]string{"namespaces", "set-deduplication", "acme/ns", "--enable"}, "", ""},
		{[]string{"namespaces", "grant-permission", "acme/ns", "--role", "app", "--actions", "produce,consume"}, "", ""},
		{[]string{"namespaces", "permissions", "acme/ns"}, `{"app":["produce","consume"]}`, ""},
		{[]string{"topics", "create-partitioned-topic", "persistent://acme/ns/orders", "-p", "3"}, "", ""},
		{[]string{"topics", "get-partitioned-topic-metadata", "persistent://acme/ns/orders"}, `{"partitions":3}`, ""},
		{[]string{"topics", "list-partitioned-topics", "acme/ns"}, "persistent://acme/ns/orders\n", ""},
		{[]string{"topics", "create", "persistent://acme/ns/plain"}, "", ""},
		{[]string{"topics", "set-message-ttl", "persistent://acme/ns/plain", "-t", "60"}, "", ""},
		{[]string{"topics", "get-message-ttl", "persistent://acme/ns/plain"}, "60\n", ""},
		{[]string{"topics", "lookup", "persistent://acme/ns/plain"}, "pulsar://localhost:6650\n", ""},
		{[]string{"namespaces", "delete", "acme/ns"}, "", "Cannot delete non empty namespace (HTTP 409)"},
		{[]string{"topics", "delete-partitioned-topic", "persistent://acme/ns/orders"}, "", ""},
		{[]string{"namespaces", "delete", "acme/ns", "-f"}, "", ""},
		{[]string{"tenants", "delete", "acme"}, "", ""},
		{[]string{"brokers", "list"}, "localhost:8080\n", ""},
		{[]string{"brokers", "healthcheck"}, "ok\n", ""},
		{[]string{"brokers", "list-dynamic-config"}, "allowAutoTopicCreation\n", ""},
		{[]string{"brokers", "update-dynamic-config", "--config", "allowAutoTopicCreation", "--value", "false"}, "", ""},
		{[]string{"brokers", "get-all-dynamic-config"}, `{"allowAutoTopicCreation":"false"}`, ""},
		{[]string{"brokers", "update-dynamic-config", "--config", "clusterName", "--value", "x"}, "",
			"Can't update non-dynamic configuration clusterName (HTTP 412)"},
		{[]string{"brokers", "delete-dynamic-config", "--config", "allowAutoTopicCreation"}, "", ""},
		{[]string{"brokers", "get-all-dynamic-config", "-o", "json"}, `{}`, ""},
		{[]string{"brokers", "get-runtime-config"}, `{"clusterName":"standalone"}`, ""},
		{[]string{"tenants", "list", "-o", "yaml"}, "", "unknown output format"},
		{[]string{"namespaces", "set-retention", "public/default", "--size", "ten", "--time", "1h"}, "", "invalid size"},
	}
	for _, s := range steps {
		out, err := run(url, s.args...)
		name := strings.Join(s.args, " ")
		if s.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.err) {
				t.Fatalf("%s: error %v, want %q (output %q)", name, err, s.err, out)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v (output %q)", name, err, out)
		}
		if strings.HasPrefix(s.out, "{") || strings.HasPrefix(s.out, "[") {
			if !sameJSON(t, out, s.out) {
				t.Fatalf("%s: output %s, want %s", name, out, s.out)
			}
		} else if out != s.out {
			t.Fatalf("%s: output %q, want %q", name, out, s.out)
		}
	}
	// The namespace, tenant and topics are gone.
	if out, err := run(url, "tenants", "list"); err != nil || out != "public\npulsar\n" {
		t.Fatalf("tenants after delete: %q, %v", out, err)
	}
	if _, err := run("http://127.0.0.1:1", "tenants", "list"); err == nil {
		t.Fatal("no error from an unreachable admin URL")
	}
}

// sameJSON compares got's fields with want's (got may carry more fields).
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	return subset(w, g)
}

func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return want == got
}

func TestUnits(t *testing.T) {
	sizes := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"512", 512, false}, {"10k", 10 << 10, false}, {"10M", 10 << 20, false}, {"2G", 2 << 30, false},
		{"1t", 1 << 40, false}, {"-1", -1, false}, {"0", 0, false}, {"ten", 0, true}, {"-2", 0, true}, {"", 0, true},
	}
	for _, s := range sizes {
		got, err := parseSize(s.in)
		if (err != nil) != s.bad || (!s.bad && got != s.want) {
			t.Errorf("parseSize(%q) = %d, %v", s.in, got, err)
		}
	}
	times := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"30", 30, false}, {"30s", 30, false}, {"10m", 600, false}, {"3h", 10800, false}, {"2d", 172800, false},
		{"1w", 604800, false}, {"-1", -1, false}, {"x", 0, true}, {"5y", 0, true}, {"-3m", 0, true},
	}
	for _, s := range times {
		got, err := parseSeconds(s.in)
		if (err != nil) != s.bad || (!s.bad && got != s.want) {
			t.Errorf("parseSeconds(%q) = %d, %v", s.in, got, err)
		}
	}
}

// TestSchemasUnderAdmin: `magnetar admin schemas` is the schema tool, and the admin URL
// given to `magnetar admin` reaches it.
func TestSchemasUnderAdmin(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"reason":"Schema not found"}`))
	}))
	defer srv.Close()
	out, err := run(srv.URL, "schemas", "get", "persistent://public/default/t")
	if err == nil || !strings.Contains(err.Error(), "Schema not found") {
		t.Fatalf("schemas get: %v (output %q)", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || !strings.HasPrefix(paths[0], "/admin/v2/schemas/public/default/t") {
		t.Fatalf("requests reaching --admin-url: %v", paths)
	}
}
