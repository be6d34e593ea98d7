package schemacli

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/schema"
)

// run executes `schemas args...` against url and returns stdout and the error.
func run(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--admin-url", url))
	err := cmd.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSchemasCommands(t *testing.T) {
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(schema.Handler(schema.New(store), nil))
	defer srv.Close()

	const topic = "persistent://public/default/covid19"
	v0 := `{"type":"record","name":"Covid19","fields":[{"name":"date","type":"string"}]}`
	v1 := `{"type":"record","name":"Covid19","fields":[{"name":"date","type":"string"},{"name":"deaths","type":"int","default":0}]}`
	bad := `{"type":"record","name":"Covid19","fields":[{"name":"date","type":"int"}]}`
	file := func(def string) string {
		b, _ := json.Marshal(map[string]any{"type": "AVRO", "schema": def, "properties": map[string]string{"owner": "demo"}})
		return writeFile(t, string(b))
	}

	if _, err := run(t, srv.URL, "get", topic); err == nil || !strings.Contains(err.Error(), "Schema not found (HTTP 404)") {
		t.Fatalf("get before upload: %v", err)
	}
	for _, def := range []string{v0, v1} {
		if out, err := run(t, srv.URL, "upload", topic, "--filename", file(def)); err != nil || out != "" {
			t.Fatalf("upload: %q, %v", out, err)
		}
	}
	out, err := run(t, srv.URL, "get", "covid19")
	if err != nil {
		t.Fatal(err)
	}
	var latest struct {
		Version    int64
		SchemaInfo struct {
			Name       string
			Schema     map[string]any
			Type       string
			Properties map[string]string
		}
	}
	if err := json.Unmarshal([]byte(out), &latest); err != nil {
		t.Fatalf("get output %s: %v", out, err)
	}
	if latest.Version != 1 || latest.SchemaInfo.Name != "covid19" || latest.SchemaInfo.Type != "AVRO" ||
		latest.SchemaInfo.Schema["name"] != "Covid19" || latest.SchemaInfo.Properties["owner"] != "demo" {
		t.Fatalf("get printed %s", out)
	}
	if out, err := run(t, srv.URL, "get", topic, "--version", "0"); err != nil || strings.Contains(out, "deaths") || !strings.Contains(out, `"date"`) {
		t.Fatalf("get --version 0: %s, %v", out, err)
	}
	out, err = run(t, srv.URL, "get", topic, "--all-version")
	var all []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &all) != nil || len(all) != 2 {
		t.Fatalf("get --all-version: %s, %v", out, err)
	}

	out, err = run(t, srv.URL, "compatibility", topic, "-f", file(bad))
	if err != nil || !strings.Contains(out, `"compatibility": false`) || !strings.Contains(out, `"schemaCompatibilityStrategy": "FULL"`) {
		t.Fatalf("compatibility of an incompatible schema: %s, %v", out, err)
	}
	if out, err = run(t, srv.URL, "compatibility", topic, "-f", file(v1)); err != nil || !strings.Contains(out, `"compatibility": true`) {
		t.Fatalf("compatibility of the latest schema: %s, %v", out, err)
	}
	if _, err := run(t, srv.URL, "upload", topic, "-f", file(bad)); err == nil || !strings.Contains(err.Error(), "(HTTP 409)") {
		t.Fatalf("incompatible upload: %v", err)
	}
	if _, err := run(t, srv.URL, "upload", topic, "-f", writeFile(t, `{"type":"AVRO","data":"x"}`)); err == nil || !strings.Contains(err.Error(), `unknown field "data"`) {
		t.Fatalf("file with GET's field names: %v", err)
	}

	if _, err := run(t, srv.URL, "delete", topic); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, srv.URL, "get", topic); err == nil || !strings.Contains(err.Error(), "Schema is deleted (HTTP 404)") {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := run(t, srv.URL, "delete", topic, "--force"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, srv.URL, "upload", topic, "-f", file(bad)); err != nil {
		t.Fatalf("upload after forced delete: %v", err)
	}
	if out, err := run(t, srv.URL, "get", topic); err != nil || !strings.Contains(out, `"version": 0`) {
		t.Fatalf("versions did not start over: %s, %v", out, err)
	}
}
