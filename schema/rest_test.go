package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func newServer(t *testing.T, policies PolicyLookup) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(newRegistry(t), policies))
	t.Cleanup(srv.Close)
	return srv
}

func payload(typ, schema string, props map[string]string) string {
	b, _ := json.Marshal(map[string]any{"type": typ, "schema": schema, "properties": props})
	return string(b)
}

// TestRESTConversation drives the API as pulsar-admin would, one request after another,
// checking status codes and bodies.
func TestRESTConversation(t *testing.T) {
	srv := newServer(t, nil)
	base := "/admin/v2/schemas/public/default/users/"
	v0 := string(avroRecord("User", fName))
	v1 := string(avroRecord("User", fName, fAgeIntDef))
	steps := []struct {
		name, method, path, body string
		status                   int
		want                     string // substring of the response body; "=..." for the exact body
	}{
		{"no schema yet", "GET", "schema", "", 404, `={"reason":"Schema not found"}`},
		{"no versions yet", "GET", "schemas", "", 200, `={"getSchemaResponses":[]}`},
		{"check on empty topic", "POST", "compatibility", payload("AVRO", v0, nil), 202,
			`={"compatibility":true,"schemaCompatibilityStrategy":"FULL"}`},
		{"upload", "POST", "schema", payload("AVRO", v0, map[string]string{"k": "v"}), 200, `={"version":{"version":0}}`},
		{"upload again", "POST", "schema", payload("AVRO", v0, nil), 200, `={"version":{"version":0}}`},
		{"get latest", "GET", "schema", "", 200, `"version":0,"type":"AVRO","timestamp":1700000000000,"data":` + jsonString(v0) + `,"properties":{"k":"v"}`},
		{"incompatible upload", "POST", "schema", payload("AVRO", string(avroRecord("User", fName, fAgeInt)), nil), 409,
			"Error during schema compatibility check with strategy FULL"},
		{"type change", "POST", "schema", payload("STRING", "", nil), 409,
			"Incompatible schema: exists schema type AVRO, new schema type STRING"},
		{"broken definition", "POST", "schema", payload("AVRO", `{"type":"record"`, nil), 422, "Invalid schema definition data for AVRO schema"},
		{"BYTES upload", "POST", "schema", payload("BYTES", "", nil), 406, "Do not upload a BYTES schema"},
		{"unknown type", "POST", "schema", payload("XML", "", nil), 400, "Invalid schema type"},
		{"not JSON", "POST", "schema", "{", 400, "Invalid schema payload"},
		{"compatible check", "POST", "compatibility", payload("AVRO", v1, nil), 202, `"compatibility":true`},
		{"incompatible check", "POST", "compatibility", payload("AVRO", string(avroRecord("User", fName, fAgeInt)), nil), 202,
			`={"compatibility":false,"schemaCompatibilityStrategy":"FULL"}`},
		{"upload v1", "POST", "schema", payload("AVRO", v1, nil), 200, `={"version":{"version":1}}`},
		{"version of v0", "POST", "version", payload("AVRO", v0, nil), 200, `={"version":0}`},
		{"version of unknown", "POST", "version", payload("AVRO", string(avroRecord("User")), nil), 200, `={"version":-1}`},
		{"get version 0", "GET", "schema/0", "", 200, `"version":0,`},
		{"get version 1", "GET", "schema/1", "", 200, `"data":` + jsonString(v1)},
		{"get version 7", "GET", "schema/7", "", 404, `={"reason":"Schema not found"}`},
		{"get version abc", "GET", "schema/abc", "", 400, "Invalid schema version"},
		{"all versions", "GET", "schemas", "", 200, `"version":1,"type":"AVRO"`},
		{"delete", "DELETE", "schema", "", 200, `={"version":2}`},
		{"deleted", "GET", "schema", "", 404, `={"reason":"Schema is deleted"}`},
		{"deleted version", "GET", "schema/1", "", 404, `={"reason":"Schema not found"}`},
		{"after delete, another type", "POST", "schema", payload("STRING", "", nil), 200, `={"version":{"version":3}}`},
		{"force delete", "DELETE", "schema?force=true", "", 200, `={"version":3}`},
		{"gone for good", "GET", "schema", "", 404, `={"reason":"Schema not found"}`},
		{"starts over", "POST", "schema", payload("INT32", "", nil), 200, `={"version":{"version":0}}`},
		{"bad topic name", "GET", "/admin/v2/schemas/a%2Fb/default/x/schema", "", 412, "Topic name is not valid"},
		{"partition shares the schema", "GET", "/admin/v2/schemas/public/default/users-partition-1/schema", "", 200, `"type":"INT32"`},
		{"wrong method", "PUT", "schema", "", 405, ""},
	}
	for _, s := range steps {
		path := s.path
		if !strings.HasPrefix(path, "/") {
			path = base + path
		}
		status, body := do(t, srv, s.method, path, s.body)
		if status != s.status {
			t.Fatalf("%s: %s %s = %d %s; want %d", s.name, s.method, path, status, body, s.status)
		}
		if exact, ok := strings.CutPrefix(s.want, "="); ok {
			if strings.TrimSpace(body) != exact {
				t.Fatalf("%s: body %s; want %s", s.name, body, exact)
			}
		} else if !strings.Contains(body, s.want) {
			t.Fatalf("%s: body %s; want it to contain %s", s.name, body, s.want)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type lookupFunc func(TopicID) (Policy, error)

func (f lookupFunc) SchemaPolicy(_ context.Context, id TopicID) (Policy, error) { return f(id) }

// TestRESTPolicies: uploads and checks use the topic's strategy from the lookup, and a
// missing namespace is a 404.
func TestRESTPolicies(t *testing.T) {
	srv := newServer(t, lookupFunc(func(id TopicID) (Policy, error) {
		switch id.Namespace {
		case "open":
			return Policy{Strategy: AlwaysCompatible, AutoUpdateDisabled: true}, nil
		case "strict":
			return Policy{Strategy: AlwaysIncompatible}, nil
		}
		return Policy{}, fmt.Errorf("namespace t/%s: %w", id.Namespace, ErrNotFound)
	}))
	steps := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/admin/v2/schemas/t/open/x/schema", payload("AVRO", string(avroRecord("A", fName)), nil), 200, `"version":0`},
		// Auto update is for producers: the admin may still add versions.
		{"/admin/v2/schemas/t/open/x/schema", payload("STRING", "", nil), 200, `"version":1`},
		{"/admin/v2/schemas/t/open/x/compatibility", payload("INT8", "", nil), 202, `"schemaCompatibilityStrategy":"ALWAYS_COMPATIBLE"`},
		{"/admin/v2/schemas/t/strict/x/schema", payload("AVRO", string(avroRecord("A", fName)), nil), 200, `"version":0`},
		{"/admin/v2/schemas/t/strict/x/schema", payload("AVRO", string(avroRecord("A", fName, fEmailDef)), nil), 409, "ALWAYS_INCOMPATIBLE"},
		{"/admin/v2/schemas/t/missing/x/schema", payload("STRING", "", nil), 404, "Schema not found"},
	}
	for _, s := range steps {
		status, body := do(t, srv, "POST", s.path, s.body)
		if status != s.status || !strings.Contains(body, s.want) {
			t.Fatalf("POST %s = %d %s; want %d with %s", s.path, status, body, s.status, s.want)
		}
	}
}

// TestRESTKeyValue: KEY_VALUE definitions travel as {"key":...,"value":...} JSON both ways.
func TestRESTKeyValue(t *testing.T) {
	srv := newServer(t, nil)
	value := string(avroRecord("User", fName))
	props := map[string]string{PropKeyType: "STRING", PropValType: "AVRO", PropKVEncoding: KVEncodingSeparate}
	def := `{"key":"","value":` + value + `}`
	path := "/admin/v2/schemas/public/default/kv/schema"
	if status, body := do(t, srv, "POST", path, payload("KEY_VALUE", def, props)); status != 200 {
		t.Fatalf("upload: %d %s", status, body)
	}
	status, body := do(t, srv, "GET", path, "")
	var got getSchemaResponse
	if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("get: %d %s", status, body)
	}
	if got.Type != "KEY_VALUE" || got.Data != def || got.Properties[PropValType] != "AVRO" {
		t.Fatalf("got %+v; want data %s", got, def)
	}
	// The same definition registers as the same version.
	if status, body := do(t, srv, "POST", path, payload("KEY_VALUE", def, props)); status != 200 || !strings.Contains(body, `"version":0`) {
		t.Fatalf("re-upload: %d %s", status, body)
	}
	// A value with a broken Avro definition is refused.
	if status, body := do(t, srv, "POST", path, payload("KEY_VALUE", `{"key":"","value":{"type":"record"}}`, props)); status != 422 {
		t.Fatalf("broken value: %d %s", status, body)
	}
}

// TestPulsarAdminClient runs the official Go admin client against the handler.
func TestPulsarAdminClient(t *testing.T) {
	srv := newServer(t, nil)
	admin, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := admin.Schemas()
	const topic = "persistent://public/default/covid19"
	v0 := utils.PostSchemaPayload{SchemaType: "AVRO", Schema: string(avroRecord("Covid19", fName)), Properties: map[string]string{}}
	if err := s.CreateSchemaByPayload(topic, v0); err != nil {
		t.Fatal(err)
	}
	v1 := utils.PostSchemaPayload{SchemaType: "AVRO", Schema: string(avroRecord("Covid19", fName, fAgeIntDef))}
	if err := s.CreateSchemaByPayload(topic, v1); err != nil {
		t.Fatal(err)
	}
	latest, err := s.GetSchemaInfoWithVersion(topic)
	if err != nil || latest.Version != 1 || latest.SchemaInfo.Type != "AVRO" || string(latest.SchemaInfo.Schema) != v1.Schema ||
		latest.SchemaInfo.Name != "covid19" {
		t.Fatalf("GetSchemaInfoWithVersion = %+v, %v", latest, err)
	}
	first, err := s.GetSchemaInfoByVersion(topic, 0)
	if err != nil || string(first.Schema) != v0.Schema {
		t.Fatalf("GetSchemaInfoByVersion(0) = %+v, %v", first, err)
	}
	all, err := s.GetAllSchemas(topic)
	if err != nil || len(all) != 2 || all[1].Version != 1 {
		t.Fatalf("GetAllSchemas = %v, %v", all, err)
	}
	if v, err := s.GetVersionByPayload(topic, v0); err != nil || v != 0 {
		t.Fatalf("GetVersionByPayload = %d, %v", v, err)
	}
	bad := utils.PostSchemaPayload{SchemaType: "AVRO", Schema: string(avroRecord("Covid19", fName, fAgeString))}
	res, err := s.TestCompatibilityWithPostSchemaPayload(topic, bad)
	if err != nil || res.IsCompatibility || res.SchemaCompatibilityStrategy != utils.SchemaCompatibilityStrategyFull {
		t.Fatalf("TestCompatibility = %+v, %v", res, err)
	}
	var restErr rest.Error
	if err := s.CreateSchemaByPayload(topic, bad); !errors.As(err, &restErr) || restErr.Code != 409 ||
		!strings.Contains(restErr.Reason, "Unable to read schema") {
		t.Fatalf("incompatible upload: %v", err)
	}
	if err := s.DeleteSchema(topic); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSchemaInfo(topic); !errors.As(err, &restErr) || restErr.Code != 404 || restErr.Reason != "Schema is deleted" {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.ForceDeleteSchema(topic); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSchemaInfo(topic); !errors.As(err, &restErr) || restErr.Code != 404 || restErr.Reason != "Schema not found" {
		t.Fatalf("after forced delete: %v", err)
	}
}

// TestRegisterHTTPBesideWildcards: the routes share a mux with the broker's wildcard admin
// patterns without a registration conflict, and each request reaches its own handler.
func TestRegisterHTTPBesideWildcards(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/v2/{domain}/{tenant}/{namespace}/{topic}/partitions", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partitions of "+r.PathValue("topic"))
	})
	RegisterHTTP(mux, newRegistry(t), nil)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if status, body := do(t, srv, "GET", "/admin/v2/persistent/public/default/x/partitions", ""); status != 200 || body != "partitions of x" {
		t.Fatalf("broker route: %d %s", status, body)
	}
	if status, body := do(t, srv, "GET", "/admin/v2/schemas/public/default/x/schema", ""); status != 404 || !strings.Contains(body, "Schema not found") {
		t.Fatalf("schema route: %d %s", status, body)
	}
}
