package admin

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestBrokersHealthAndLookup(t *testing.T) {
	e := newEnv(t)
	b := e.admin.Brokers()
	list, err := b.GetListActiveBrokers()
	if err != nil || !slices.Equal(list, []string{"localhost:8080"}) {
		t.Fatalf("GetListActiveBrokers = %v, %v", list, err)
	}
	if list, err := b.GetActiveBrokers("standalone"); err != nil || len(list) != 1 {
		t.Fatalf("GetActiveBrokers = %v, %v", list, err)
	}
	restErr(t, "brokers of an unknown cluster", func() error { _, err := b.GetActiveBrokers("mars"); return err }(), 404, "Cluster does not exist")
	leader, err := b.GetLeaderBroker()
	if err != nil || leader.BrokerID != "localhost:8080" {
		t.Fatalf("GetLeaderBroker = %+v, %v", leader, err)
	}
	noErr(t, "HealthCheck", b.HealthCheck())
	e.broker.mu.Lock()
	e.broker.healthy = errors.New("bookie unreachable")
	e.broker.mu.Unlock()
	if err := b.HealthCheck(); err == nil {
		t.Fatal("HealthCheck passed on an unhealthy broker")
	}
	if r := e.do("GET", "/status.html", ""); r.code != 200 || r.body != "OK" {
		t.Fatalf("/status.html: %d %q", r.code, r.body)
	}

	topic := topicName(t, "persistent://public/default/looked")
	data, err := e.admin.Topics().Lookup(topic)
	if err != nil || data.BrokerURL != "pulsar://localhost:6650" || data.HTTPURL != "http://localhost:8080" {
		t.Fatalf("Lookup = %+v, %v", data, err)
	}
	if r := e.do("GET", "/lookup/v2/topic/persistent/public/nope/x", ""); r.code != 404 || r.reason() != "Namespace does not exist" {
		t.Fatalf("lookup in a missing namespace: %d %s", r.code, r.body)
	}
	if r := e.do("GET", "/lookup/v2/topic/durable/public/default/x", ""); r.code != 400 {
		t.Fatalf("lookup with a bad domain: %d %s", r.code, r.body)
	}

	// Another broker owns the topic: 307 to the same path there.
	e.broker.mu.Lock()
	e.broker.redirect = "http://other:8080"
	e.broker.mu.Unlock()
	e.broker.addTopic("persistent://public/default/elsewhere")
	for _, path := range []string{
		"/lookup/v2/topic/persistent/public/default/looked?listenerName=internal",
		"/admin/v2/persistent/public/default/elsewhere/stats",
	} {
		r := e.do("GET", path, "")
		if r.code != http.StatusTemporaryRedirect || r.header.Get("Location") != "http://other:8080"+path {
			t.Fatalf("GET %s: %d Location %q", path, r.code, r.header.Get("Location"))
		}
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/admin/v2/nothing", ""); r.code != 404 {
		t.Fatalf("unknown path: %d", r.code)
	}
	if r := e.do("PATCH", "/admin/v2/tenants/public", "{}"); r.code != 405 {
		t.Fatalf("unknown method: %d", r.code)
	}
}

func TestDynamicConfigurationRoutes(t *testing.T) {
	e := newEnv(t)
	b := e.admin.Brokers()
	if names, err := b.GetDynamicConfigurationNames(); err != nil || !slices.Equal(names, testDynamicKeys) {
		t.Fatalf("GetDynamicConfigurationNames = %v, %v; want %v", names, err, testDynamicKeys)
	}
	if values, err := b.GetAllDynamicConfigurations(); err != nil || len(values) != 0 {
		t.Fatalf("values before any update = %v, %v; want empty", values, err)
	}
	noErr(t, "UpdateDynamicConfiguration", b.UpdateDynamicConfiguration("maxTenants", "7"))
	// A value with '/' in it, escaped as one path segment (the official suite's case) or not.
	value := `{"key/123":"https://example.com/"}`
	if r := e.do("POST", "/admin/v2/brokers/configuration/allowAutoSubscriptionCreation/"+url.QueryEscape(value), ""); r.code != http.StatusOK {
		t.Fatalf("update with an escaped '/': %d %s", r.code, r.body)
	}
	want := map[string]string{"maxTenants": "7", "allowAutoSubscriptionCreation": value}
	if values, err := b.GetAllDynamicConfigurations(); err != nil || !maps.Equal(values, want) {
		t.Fatalf("values = %v, %v; want %v", values, err, want)
	}
	if r := e.do("POST", "/admin/v2/brokers/configuration/allowAutoSubscriptionCreation/a/b", ""); r.code != http.StatusOK {
		t.Fatalf("update with a bare '/': %d %s", r.code, r.body)
	}
	if values, _ := b.GetAllDynamicConfigurations(); values["allowAutoSubscriptionCreation"] != "a/b" {
		t.Fatalf("value with a bare '/' = %q; want a/b", values["allowAutoSubscriptionCreation"])
	}
	runtime, err := b.GetRuntimeConfigurations()
	if err != nil || runtime["maxTenants"] != "7" || runtime["clusterName"] != "standalone" {
		t.Fatalf("GetRuntimeConfigurations = %v, %v", runtime, err)
	}
	restErr(t, "update of a non-dynamic key", b.UpdateDynamicConfiguration("clusterName", "x"), 412, "Can't update non-dynamic configuration clusterName")
	noErr(t, "DeleteDynamicConfiguration", b.DeleteDynamicConfiguration("maxTenants"))
	if values, _ := b.GetAllDynamicConfigurations(); len(values) != 1 {
		t.Fatalf("values after delete = %v; want only allowAutoSubscriptionCreation", values)
	}
	restErr(t, "delete of a non-dynamic key", b.DeleteDynamicConfiguration("clusterName"), 412, "Can't delete non-dynamic configuration clusterName")
}
