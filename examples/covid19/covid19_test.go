package covid19

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/magnetar/magnetar/schema"
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
