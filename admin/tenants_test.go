package admin

import (
	"net/http"
	"slices"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func TestClusters(t *testing.T) {
	e := newEnv(t)
	c := e.admin.Clusters()
	names, err := c.List()
	noErr(t, "List", err)
	if !slices.Equal(names, []string{"standalone"}) {
		t.Fatalf("clusters = %v", names)
	}
	sa, err := c.Get("standalone")
	noErr(t, "Get", err)
	if sa.ServiceURL != "http://localhost:8080" || sa.BrokerServiceURL != "pulsar://localhost:6650" {
		t.Fatalf("standalone = %+v", sa)
	}
	noErr(t, "Create", c.Create(utils.ClusterData{Name: "east", ServiceURL: "http://east:8080", BrokerServiceURL: "pulsar://east:6650"}))
	restErr(t, "Create again", c.Create(utils.ClusterData{Name: "east"}), http.StatusConflict, "Cluster already exists")
	restErr(t, "Get missing", func() error { _, err := c.Get("west"); return err }(), http.StatusNotFound, "Cluster does not exist")
	noErr(t, "Update", c.Update(utils.ClusterData{Name: "east", ServiceURL: "http://east2:8080"}))
	east, err := c.Get("east")
	noErr(t, "Get east", err)
	if east.ServiceURL != "http://east2:8080" {
		t.Fatalf("updated east = %+v", east)
	}
	noErr(t, "UpdatePeerClusters", c.UpdatePeerClusters("east", []string{"standalone"}))
	peers, err := c.GetPeerClusters("east")
	noErr(t, "GetPeerClusters", err)
	if !slices.Equal(peers, []string{"standalone"}) {
		t.Fatalf("peers = %v", peers)
	}
	restErr(t, "peer missing", c.UpdatePeerClusters("east", []string{"nowhere"}), http.StatusPreconditionFailed, "Peer cluster nowhere does not exist")
	restErr(t, "delete in use", c.Delete("standalone"), http.StatusPreconditionFailed, "Cluster not empty")
	noErr(t, "Delete", c.Delete("east"))
	restErr(t, "Delete again", c.Delete("east"), http.StatusNotFound, "Cluster does not exist")
}

func TestTenants(t *testing.T) {
	e := newEnv(t)
	tn := e.admin.Tenants()
	noErr(t, "Create", tn.Create(utils.TenantData{Name: "acme", AdminRoles: []string{"boss"}, AllowedClusters: []string{"standalone"}}))
	got, err := tn.Get("acme")
	noErr(t, "Get", err)
	if !slices.Equal(got.AdminRoles, []string{"boss"}) || !slices.Equal(got.AllowedClusters, []string{"standalone"}) {
		t.Fatalf("acme = %+v", got)
	}
	list, err := tn.List()
	noErr(t, "List", err)
	if !slices.Equal(list, []string{"acme", "public", "pulsar"}) {
		t.Fatalf("tenants = %v", list)
	}
	tests := []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"create again", tn.Create(utils.TenantData{Name: "acme", AllowedClusters: []string{"standalone"}}), 409, "Tenant already exists"},
		{"no clusters", tn.Create(utils.TenantData{Name: "t2"}), 412, "Clusters can not be empty"},
		{"unknown cluster", tn.Create(utils.TenantData{Name: "t2", AllowedClusters: []string{"mars"}}), 412, "Clusters do not exist"},
		{"bad name", tn.Create(utils.TenantData{Name: "a%b", AllowedClusters: []string{"standalone"}}), 412, "Tenant name is not valid"},
		{"get missing", func() error { _, err := tn.Get("nobody"); return err }(), 404, "Tenant does not exist"},
		{"update missing", tn.Update(utils.TenantData{Name: "nobody", AllowedClusters: []string{"standalone"}}), 404, "Tenant does not exist"},
		{"delete missing", tn.Delete("nobody"), 404, "Tenant does not exist"},
	}
	for _, tt := range tests {
		restErr(t, tt.name, tt.err, tt.code, tt.reason)
	}
	noErr(t, "Update", tn.Update(utils.TenantData{Name: "acme", AdminRoles: []string{"a", "b"}, AllowedClusters: []string{"standalone"}}))
	if got, _ := tn.Get("acme"); !slices.Equal(got.AdminRoles, []string{"a", "b"}) {
		t.Fatalf("after update = %+v", got)
	}

	// A tenant with a namespace is deleted only with force; force also deletes its topics.
	noErr(t, "CreateNamespace", e.admin.Namespaces().CreateNamespace("acme/ns"))
	e.broker.addTopic("persistent://acme/ns/t1")
	restErr(t, "delete non-empty", tn.Delete("acme"), 409, "The tenant still has active namespaces")
	if r := e.do("DELETE", "/admin/v2/tenants/acme?force=true", ""); r.code != http.StatusNoContent {
		t.Fatalf("force delete: %d %s", r.code, r.body)
	}
	if calls := e.broker.Calls(); !slices.Contains(calls, "DeleteTopic persistent://acme/ns/t1 force=true") {
		t.Fatalf("force delete did not delete the topic: %v", calls)
	}
	restErr(t, "gone", func() error { _, err := tn.Get("acme"); return err }(), 404, "Tenant does not exist")
}
