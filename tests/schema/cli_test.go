package schemae2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/examples/covid19"
)

// schemaFile writes a pulsar-admin schema file ({"type", "schema", "properties"}).
func schemaFile(t *testing.T, typ, def string, props map[string]string) string {
	t.Helper()
	if props == nil {
		props = map[string]string{}
	}
	b, err := json.Marshal(map[string]any{"type": typ, "schema": def, "properties": props})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameJSON reports whether two JSON texts hold the same document.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// cliSchema is what `magnetar admin schemas get` prints (pulsar-admin's SchemaInfoWithVersion).
type cliSchema struct {
	Version    int64 `json:"version"`
	SchemaInfo struct {
		Name       string            `json:"name"`
		Schema     json.RawMessage   `json:"schema"`
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
	} `json:"schemaInfo"`
}

// TestAdminSchemasCLI drives `magnetar admin schemas upload / get / compatibility / delete`
// as a user does, the real binary against `magnetar standalone` running as its own process,
// and checks that what the CLI registers governs the official client's producers.
func TestAdminSchemasCLI(t *testing.T) {
	magnetar, _, _ := buildBinaries(t)
	proc := startStandaloneProc(t, magnetar)
	admin := func(args ...string) (string, string, error) {
		t.Helper()
		return run(t, 30*time.Second, magnetar, append([]string{"admin", "--admin-url", proc.webURL, "schemas"}, args...)...)
	}
	mustAdmin := func(args ...string) string {
		t.Helper()
		out, errOut, err := admin(args...)
		if err != nil {
			t.Fatalf("magnetar admin schemas %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	def := func(version string) string { return evolveSchema(t, version).GetSchemaInfo().Schema }
	topic := "persistent://public/default/" + unique("cli")
	v1, v2, bad := schemaFile(t, "AVRO", def("name"), nil), schemaFile(t, "AVRO", def("name+age=0"), nil),
		schemaFile(t, "AVRO", def("name:int"), nil)

	compatible := func(file string) bool {
		t.Helper()
		var res map[string]any
		out := mustAdmin("compatibility", topic, "-f", file)
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("compatibility output %q: %v", out, err)
		}
		c, ok := res["compatibility"].(bool)
		if !ok {
			t.Fatalf("compatibility output without a verdict: %s", out)
		}
		return c
	}
	if !compatible(bad) {
		t.Error("a topic without a schema is compatible with anything; the CLI says not")
	}

	mustAdmin("upload", topic, "-f", v1)
	var got cliSchema
	out := mustAdmin("get", topic)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get output %q: %v", out, err)
	}
	if got.Version != 0 || got.SchemaInfo.Type != "AVRO" || !sameJSON(got.SchemaInfo.Schema, []byte(def("name"))) {
		t.Errorf("get after upload: %s", out)
	}

	if compatible(bad) {
		t.Error("compatibility: a field's type change passes FULL")
	}
	if !compatible(v2) {
		t.Error("compatibility: a field added with a default fails FULL")
	}
	if out, errOut, err := admin("upload", topic, "-f", bad); err == nil || !strings.Contains(errOut, "HTTP 409") {
		t.Errorf("upload of an incompatible schema: err %v, output %s%s; want a failure with HTTP 409", err, out, errOut)
	}
	mustAdmin("upload", topic, "-f", v2)

	var one cliSchema
	out = mustAdmin("get", topic, "--version", "1")
	if err := json.Unmarshal([]byte(out), &one.SchemaInfo); err != nil || !sameJSON(one.SchemaInfo.Schema, []byte(def("name+age=0"))) {
		t.Errorf("get --version 1: %s (%v)", out, err)
	}
	var all []cliSchema
	out = mustAdmin("get", topic, "--all-version")
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 2 || all[0].Version != 0 || all[1].Version != 1 {
		t.Errorf("get --all-version: %s (%v)", out, err)
	}

	// What the CLI registered governs producers of the official client.
	client := newClient(t, proc.brokerURL)
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: evolveSchema(t, "name+age=0")})
	if err != nil {
		t.Fatalf("producer with the uploaded v2: %v", err)
	}
	p.Close()
	_, err = client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: evolveSchema(t, "name:int")})
	wantIncompatible(t, "producer with a schema the CLI's compatibility check refused", err)

	mustAdmin("delete", topic)
	if out, errOut, err := admin("get", topic); err == nil || !strings.Contains(errOut, "Schema is deleted") {
		t.Errorf("get after delete: err %v, output %s%s; want \"Schema is deleted\"", err, out, errOut)
	}
	mustAdmin("upload", topic, "-f", bad)
	out = mustAdmin("get", topic)
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Version != 3 || !sameJSON(got.SchemaInfo.Schema, []byte(def("name:int"))) {
		t.Errorf("get after delete and upload: %s (%v); want the type-changed schema as version 3", out, err)
	}

	// KEY_VALUE definitions travel as {"key": ..., "value": ...}.
	kvTopic := "persistent://public/default/" + unique("cli-kv")
	kvDef := fmt.Sprintf(`{"key":"","value":%s}`, def("name"))
	mustAdmin("upload", kvTopic, "-f", schemaFile(t, "KEY_VALUE", kvDef, map[string]string{
		"key.schema.type": "STRING", "value.schema.type": "AVRO", "kv.encoding.type": "SEPARATED",
	}))
	out = mustAdmin("get", kvTopic)
	var kvGot cliSchema
	if err := json.Unmarshal([]byte(out), &kvGot); err != nil || kvGot.SchemaInfo.Type != "KEY_VALUE" ||
		!sameJSON(kvGot.SchemaInfo.Schema, []byte(kvDef)) || kvGot.SchemaInfo.Properties["kv.encoding.type"] != "SEPARATED" {
		t.Errorf("KEY_VALUE get: %s (%v)", out, err)
	}
}

// TestCovid19Binaries runs the talk's pipeline as a user would: `magnetar standalone` as a
// process, the example's producer loading the shipped time series, its consumer printing
// the highest confirmed count per country, and `magnetar admin schemas get` showing the
// Avro schema the producer registered.
func TestCovid19Binaries(t *testing.T) {
	magnetar, producer, consumer := buildBinaries(t)
	proc := startStandaloneProc(t, magnetar)
	const file = "examples/covid19/testdata/timeseries.json"
	f, err := os.Open(filepath.Join(repoRoot(t), file))
	if err != nil {
		t.Fatal(err)
	}
	records, err := covid19.ReadRecords(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := covid19.MaxConfirmed{}
	for _, r := range records {
		want.Add(r)
	}
	topic := "persistent://public/default/" + unique("covid19")

	out, errOut, err := run(t, 60*time.Second, producer, "-url", proc.brokerURL, "-topic", topic, "-file", file)
	if err != nil {
		t.Fatalf("producer: %v\n%s%s", err, out, errOut)
	}
	if loaded := fmt.Sprintf("%d Covid19 Records Loaded into Magnetar!", len(records)); !strings.Contains(out, loaded) {
		t.Errorf("producer printed %q, want %q", out, loaded)
	}

	out, errOut, err = run(t, 60*time.Second, consumer, "-url", proc.brokerURL, "-topic", topic,
		"-count", strconv.Itoa(len(records)), "-timeout", "30s")
	if err != nil {
		t.Fatalf("consumer: %v\n%s%s", err, out, errOut)
	}
	got, n, err := parseAggregate(out)
	if err != nil {
		t.Fatalf("consumer output %q: %v", out, err)
	}
	if n != len(records) || !reflect.DeepEqual(got, want) {
		t.Errorf("consumer read %d records and printed %v; want %d records and %v", n, got, len(records), want)
	}

	out, errOut, err = run(t, 30*time.Second, magnetar, "admin", "--admin-url", proc.webURL, "schemas", "get", topic)
	if err != nil {
		t.Fatalf("magnetar admin schemas get: %v\n%s%s", err, out, errOut)
	}
	var reg cliSchema
	if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.SchemaInfo.Type != "AVRO" || reg.Version != 0 ||
		!sameJSON(reg.SchemaInfo.Schema, []byte(covid19.NewSchema().GetSchemaInfo().Schema)) {
		t.Errorf("registered schema: %s (%v); want the example's Avro record as version 0", out, err)
	}
}

// parseAggregate reads the consumer's output: "<country> <max confirmed>" lines (countries
// may contain spaces) and "(<n> records)".
func parseAggregate(out string) (covid19.MaxConfirmed, int, error) {
	agg := covid19.MaxConfirmed{}
	n := -1
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.TrimSpace(line)
		if _, err := fmt.Sscanf(line, "(%d records)", &n); err == nil {
			continue
		}
		i := strings.LastIndex(line, " ")
		if i < 0 {
			return nil, 0, fmt.Errorf("line %q", line)
		}
		v, err := strconv.Atoi(line[i+1:])
		if err != nil {
			return nil, 0, fmt.Errorf("line %q: %w", line, err)
		}
		agg[strings.TrimSpace(line[:i])] = v
	}
	if n < 0 {
		return nil, 0, fmt.Errorf("no record count")
	}
	return agg, n, nil
}
