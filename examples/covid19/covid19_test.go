package covid19

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"

	"github.com/magnetar/magnetar/schema"
	"github.com/magnetar/magnetar/standalone"
	"github.com/magnetar/magnetar/standalone/standalonetest"
)

func TestNormaliseDate(t *testing.T) {
	good := map[string]string{
		"2020-1-22":  "2020-01-22",
		"2020-01-02": "2020-01-02",
		"2020-12-1":  "2020-12-01",
		"2021-2-28":  "2021-02-28",
	}
	for in, want := range good {
		if got, err := NormaliseDate(in); err != nil || got != want {
			t.Errorf("NormaliseDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2020-13-1", "22/1/2020", "2021-2-29", "2020-1-22T00:00"} {
		if got, err := NormaliseDate(bad); err == nil {
			t.Errorf("NormaliseDate(%q) = %q, want an error", bad, got)
		}
	}
}

func readTestdata(t *testing.T) []Record {
	t.Helper()
	f, err := os.Open("testdata/timeseries.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := ReadRecords(f)
	if err != nil {
		t.Fatal(err)
	}
	return records
}

func TestReadRecords(t *testing.T) {
	records := readTestdata(t)
	if len(records) != 37 {
		t.Fatalf("%d records, want 37", len(records))
	}
	iso := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, r := range records {
		if !iso.MatchString(r.Date) {
			t.Errorf("date %q of %s not normalised", r.Date, r.Country)
		}
	}
	first := Record{Date: "2020-01-22", Country: "Brazil"}
	if records[0] != first {
		t.Errorf("first record %+v, want %+v", records[0], first)
	}
	last := Record{Date: "2020-04-01", Confirmed: 213372, Deaths: 4757, Recovered: 8474, Country: "US"}
	if records[36] != last {
		t.Errorf("last record %+v, want %+v", records[36], last)
	}
	// "2020-02-26" was already padded in the file; it reads the same as its neighbours.
	if records[33].Date != "2020-02-26" || records[33].Country != "US" {
		t.Errorf("record 33 = %+v", records[33])
	}

	for _, bad := range []string{`[]`, `{"X":[{"date":"1/22/20","confirmed":1}]}`, `{"X":`} {
		if _, err := ReadRecords(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadRecords(%s) accepted", bad)
		}
	}
}

// TestMaxConfirmed: the highest count, not the last one — Luxembourg's last figure is a
// downward correction.
func TestMaxConfirmed(t *testing.T) {
	agg := MaxConfirmed{}
	for _, r := range readTestdata(t) {
		agg.Add(r)
	}
	want := MaxConfirmed{"Brazil": 6836, "Germany": 77872, "Italy": 110574, "Korea, South": 9887,
		"Luxembourg": 81, "US": 213372}
	if !reflect.DeepEqual(agg, want) {
		t.Fatalf("aggregate %v, want %v", agg, want)
	}
	if got := agg.Countries(); !reflect.DeepEqual(got, []string{"Brazil", "Germany", "Italy", "Korea, South", "Luxembourg", "US"}) {
		t.Fatalf("countries %v", got)
	}
	zero := MaxConfirmed{}
	zero.Add(Record{Country: "Nowhere"})
	if v, ok := zero["Nowhere"]; !ok || v != 0 {
		t.Fatalf("a country with zero cases is missing: %v", zero)
	}
}

// TestSchema: the client's Avro schema encodes and decodes records, and Magnetar's
// registry accepts its definition.
func TestSchema(t *testing.T) {
	s := NewSchema()
	in := Record{Date: "2020-03-15", Confirmed: 24747, Deaths: 1809, Recovered: 2335, Country: "Italy"}
	b, err := s.Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := s.Decode(b, &out); err != nil || out != in {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	info := s.GetSchemaInfo()
	if err := schema.Validate(schema.SchemaInfo{Type: schema.Avro, Data: []byte(info.Schema)}); err != nil {
		t.Fatalf("registry refuses the example's schema: %v", err)
	}
}

// startStandalone runs standalone in this process on free ports until the test ends.
func startStandalone(t *testing.T) *standalone.Server {
	t.Helper()
	return standalonetest.Start(t, t.TempDir())
}

func newClient(t *testing.T, url string) pulsar.Client {
	t.Helper()
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, Logger: plog.DefaultNopLogger(),
		OperationTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestPipelineOnStandalone runs the talk's pipeline end to end: the producer loads the
// shipped time series as Avro records keyed by date, the consumer reads them all back
// through the broker and storage and aggregates the highest count per country.
func TestPipelineOnStandalone(t *testing.T) {
	srv := startStandalone(t)
	client := newClient(t, srv.BrokerURL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "persistent://public/default/covid19"
	records := readTestdata(t)
	n, err := Produce(ctx, client, topic, records)
	if err != nil || n != len(records) {
		t.Fatalf("Produce = %d, %v; want %d", n, err, len(records))
	}
	agg, got, err := Consume(ctx, client, topic, "dashboard", len(records))
	if err != nil || got != len(records) {
		t.Fatalf("Consume read %d, %v; want %d", got, err, len(records))
	}
	want := MaxConfirmed{}
	for _, r := range records {
		want.Add(r)
	}
	if !reflect.DeepEqual(agg, want) {
		t.Fatalf("aggregate %v, want %v", agg, want)
	}
}

// TestSchemaOnStandalone: the broker registers the pipeline's schema when the producer
// connects, shows it through the admin API, and refuses producers and consumers whose
// schemas break FULL compatibility.
func TestSchemaOnStandalone(t *testing.T) {
	srv := startStandalone(t)
	client := newClient(t, srv.BrokerURL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "persistent://public/default/covid19-typed"
	if _, err := Produce(ctx, client, topic, readTestdata(t)[:3]); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.WebURL + "/admin/v2/schemas/public/default/covid19-typed/schema")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Version int64
		Type    string
		Data    string
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got.Version != 0 || got.Type != "AVRO" || got.Data != NewSchema().GetSchemaInfo().Schema {
		t.Fatalf("registered schema: %d %s", resp.StatusCode, body)
	}

	// confirmed as a string: neither side can read the other's data.
	broken := strings.Replace(SchemaDef, `{"name":"confirmed","type":"int"}`, `{"name":"confirmed","type":"string"}`, 1)
	_, err = client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewAvroSchema(broken, nil)})
	if err == nil || !strings.Contains(err.Error(), "IncompatibleSchema") {
		t.Fatalf("incompatible producer: %v, want IncompatibleSchema", err)
	}
	_, err = client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "typed",
		Schema: pulsar.NewAvroSchema(broken, nil)})
	if err == nil || !strings.Contains(err.Error(), "IncompatibleSchema") {
		t.Fatalf("incompatible consumer: %v, want IncompatibleSchema", err)
	}
}
