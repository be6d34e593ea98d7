// Package covid19 is the COVID-19 pipeline of the event streaming talk Magnetar's scope comes
// from, in Go with the official Pulsar client: a producer reads a time series
// (country -> [{date, confirmed, deaths, recovered}], the shape of the public
// covid19 timeseries.json), normalises the dates and publishes one Avro record per day and
// country, keyed by date; a consumer keeps the highest confirmed count per country.
//
// The broker stores the records' Avro schema in its schema registry, so a producer or
// consumer with an incompatible schema is refused.
package covid19

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// SchemaDef is the Avro schema of a record, the talk's Python Record class:
// date, confirmed, deaths, recovered, country.
const SchemaDef = `{"type":"record","name":"Covid19","namespace":"magnetar.examples","fields":[` +
	`{"name":"date","type":"string"},` +
	`{"name":"confirmed","type":"int"},` +
	`{"name":"deaths","type":"int"},` +
	`{"name":"recovered","type":"int"},` +
	`{"name":"country","type":"string"}]}`

// Record is one country's counts on one day.
type Record struct {
	Date      string `avro:"date"`
	Confirmed int    `avro:"confirmed"`
	Deaths    int    `avro:"deaths"`
	Recovered int    `avro:"recovered"`
	Country   string `avro:"country"`
}

// Day is an entry of the time-series file.
type Day struct {
	Date      string `json:"date"`
	Confirmed int    `json:"confirmed"`
	Deaths    int    `json:"deaths"`
	Recovered int    `json:"recovered"`
}

// NewSchema returns the Avro schema producers and consumers of the pipeline use.
func NewSchema() pulsar.Schema { return pulsar.NewAvroSchema(SchemaDef, nil) }

// NormaliseDate writes a date as YYYY-MM-DD: the source writes "2020-1-2", and two streams
// only merge when "2020-01-02" is spelled one way.
func NormaliseDate(s string) (string, error) {
	t, err := time.Parse("2006-1-2", s)
	if err != nil {
		return "", fmt.Errorf("covid19: date %q: %w", s, err)
	}
	return t.Format("2006-01-02"), nil
}

// ReadRecords reads a time-series file and returns its records with normalised dates,
// countries in alphabetical order and each country's days in file order.
func ReadRecords(r io.Reader) ([]Record, error) {
	var series map[string][]Day
	if err := json.NewDecoder(r).Decode(&series); err != nil {
		return nil, fmt.Errorf("covid19: time series: %w", err)
	}
	countries := make([]string, 0, len(series))
	for c := range series {
		countries = append(countries, c)
	}
	sort.Strings(countries)
	var out []Record
	for _, c := range countries {
		for _, d := range series[c] {
			date, err := NormaliseDate(d.Date)
			if err != nil {
				return nil, fmt.Errorf("covid19: %s: %w", c, err)
			}
			out = append(out, Record{Date: date, Confirmed: d.Confirmed, Deaths: d.Deaths,
				Recovered: d.Recovered, Country: c})
		}
	}
	return out, nil
}

// Produce publishes records to topic with the Avro schema, keyed by date, and returns how
// many the broker acknowledged.
func Produce(ctx context.Context, client pulsar.Client, topic string, records []Record) (int, error) {
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: NewSchema()})
	if err != nil {
		return 0, fmt.Errorf("covid19: producer on %s: %w", topic, err)
	}
	defer p.Close()
	var (
		mu      sync.Mutex
		acked   int
		sendErr error
	)
	for i := range records {
		rec := records[i]
		p.SendAsync(ctx, &pulsar.ProducerMessage{Key: rec.Date, Value: &rec},
			func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					sendErr = errors.Join(sendErr, err)
					return
				}
				acked++
			})
	}
	flushErr := p.FlushWithCtx(ctx)
	mu.Lock()
	defer mu.Unlock()
	if err := errors.Join(sendErr, flushErr); err != nil {
		return acked, fmt.Errorf("covid19: send to %s: %w", topic, err)
	}
	return acked, nil
}

// MaxConfirmed is the consumer's aggregate: the highest confirmed count seen per country
// (the talk's dashboard: max of confirmed, by country).
type MaxConfirmed map[string]int

// Add folds a record into the aggregate.
func (m MaxConfirmed) Add(r Record) {
	if cur, ok := m[r.Country]; !ok || r.Confirmed > cur {
		m[r.Country] = r.Confirmed
	}
}

// Countries returns the aggregate's countries in alphabetical order.
func (m MaxConfirmed) Countries() []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Consume subscribes to topic with the Avro schema, reads want records (from the earliest
// message if the subscription is new) and returns their aggregate. It stops early, with
// the aggregate so far, when ctx ends.
func Consume(ctx context.Context, client pulsar.Client, topic, subscription string, want int) (MaxConfirmed, int, error) {
	c, err := client.Subscribe(pulsar.ConsumerOptions{
		Topic:                       topic,
		SubscriptionName:            subscription,
		Schema:                      NewSchema(),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("covid19: subscribe to %s: %w", topic, err)
	}
	defer c.Close()
	agg := MaxConfirmed{}
	n := 0
	for n < want {
		msg, err := c.Receive(ctx)
		if err != nil {
			return agg, n, fmt.Errorf("covid19: receive from %s after %d records: %w", topic, n, err)
		}
		var rec Record
		if err := msg.GetSchemaValue(&rec); err != nil {
			return agg, n, fmt.Errorf("covid19: decode message %v: %w", msg.ID(), err)
		}
		if msg.Key() != rec.Date {
			return agg, n, fmt.Errorf("covid19: message %v keyed %q carries date %q", msg.ID(), msg.Key(), rec.Date)
		}
		agg.Add(rec)
		n++
		if err := c.Ack(msg); err != nil {
			return agg, n, fmt.Errorf("covid19: ack %v: %w", msg.ID(), err)
		}
	}
	return agg, n, nil
}
