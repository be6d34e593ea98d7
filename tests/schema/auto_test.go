package schemae2e

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
)

// evolvedUser decodes every version of magnetar.evolve.User used here.
type evolvedUser struct {
	Name string `avro:"name"`
	Age  int    `avro:"age"`
}

// TestAutoConsume: an AUTO_CONSUME consumer subscribes to whatever the topic has (a typed
// topic, an evolved one, one without a schema, an empty one) without registering anything,
// and decodes each message with the version it was written with.
func TestAutoConsume(t *testing.T) {
	s := startServer(t)

	t.Run("evolved AVRO topic", func(t *testing.T) {
		s := *s
		s.t = t
		topic := "persistent://public/default/" + unique("auto-avro")
		v1 := s.mustProducer(topic, evolveSchema(t, "name"))
		send(t, v1, &pulsar.ProducerMessage{Value: &struct {
			Name string `avro:"name"`
		}{"ada"}})
		v2 := s.mustProducer(topic, evolveSchema(t, "name+age=0"))
		send(t, v2, &pulsar.ProducerMessage{Value: &evolvedUser{"grace", 85}})

		c := s.mustConsumer(topic, "auto", autoConsumeSchema())
		for i, want := range []evolvedUser{{"ada", 0}, {"grace", 85}} {
			m := receive(t, c)
			if !bytes.Equal(m.SchemaVersion(), versionBytes(int64(i))) {
				t.Errorf("message %d carries schema version %x, want %x", i, m.SchemaVersion(), versionBytes(int64(i)))
			}
			var got evolvedUser
			if err := m.GetSchemaValue(&got); err != nil {
				t.Fatalf("message %d: decode with its writer's schema: %v", i, err)
			}
			if got != want {
				t.Errorf("message %d decoded %+v, want %+v", i, got, want)
			}
		}
		if n := len(s.allSchemas(topic)); n != 2 {
			t.Errorf("%d versions after an AUTO_CONSUME subscription, want 2", n)
		}
	})

	t.Run("STRING topic", func(t *testing.T) {
		s := *s
		s.t = t
		topic := "persistent://public/default/" + unique("auto-string")
		p := s.mustProducer(topic, pulsar.NewStringSchema(nil))
		send(t, p, &pulsar.ProducerMessage{Value: "typed text"})
		c := s.mustConsumer(topic, "auto", autoConsumeSchema())
		var got *string
		if err := receive(t, c).GetSchemaValue(&got); err != nil || *got != "typed text" {
			t.Fatalf("decoded %v, %v", got, err)
		}
	})

	t.Run("topic without schema", func(t *testing.T) {
		s := *s
		s.t = t
		topic := "persistent://public/default/" + unique("auto-raw")
		p := s.mustProducer(topic, nil)
		send(t, p, &pulsar.ProducerMessage{Payload: []byte("raw bytes")})
		c := s.mustConsumer(topic, "auto", autoConsumeSchema())
		m := receive(t, c)
		if string(m.Payload()) != "raw bytes" || len(m.SchemaVersion()) != 0 {
			t.Errorf("read %q with schema version %x", m.Payload(), m.SchemaVersion())
		}
		if reg, ok := s.latestSchema(topic); ok {
			t.Errorf("AUTO_CONSUME registered %+v", reg)
		}
	})

	t.Run("empty topic, then a producer", func(t *testing.T) {
		s := *s
		s.t = t
		topic := "persistent://public/default/" + unique("auto-empty")
		c := s.mustConsumer(topic, "auto", autoConsumeSchema())
		if reg, ok := s.latestSchema(topic); ok {
			t.Fatalf("AUTO_CONSUME registered %+v on an idle topic", reg)
		}
		// The topic takes the first producer's schema, whatever it is.
		p := s.mustProducer(topic, pulsar.NewInt64Schema(nil))
		send(t, p, &pulsar.ProducerMessage{Value: int64(42)})
		var got int64
		if err := receive(t, c).GetSchemaValue(&got); err != nil || got != 42 {
			t.Fatalf("decoded %d, %v", got, err)
		}
		if reg, ok := s.latestSchema(topic); !ok || reg.Type != "INT64" {
			t.Errorf("registry: %+v, %v; want INT64", reg, ok)
		}
	})
}

// TestAutoPublish: Pulsar's AUTO_PUBLISH (AUTO_PRODUCE_BYTES) is a client-side schema: the
// Java client fetches the topic's latest schema and creates its producer with it, then sends
// bytes the caller encoded. The Go client has no such schema, so the test does what the Java
// client does, through the admin API: the producer gets the topic's latest version, its
// messages carry it, and a typed consumer decodes them.
func TestAutoPublish(t *testing.T) {
	s := startServer(t)
	topic := "persistent://public/default/" + unique("auto-publish")
	s.mustProducer(topic, evolveSchema(t, "name"))
	s.mustProducer(topic, evolveSchema(t, "name+age=0"))
	c := s.mustConsumer(topic, "typed", evolveSchema(t, "name+age=0"))

	latest, ok := s.latestSchema(topic)
	if !ok || latest.Version != 1 {
		t.Fatalf("latest schema %+v, %v; want version 1", latest, ok)
	}
	fetched, err := pulsar.NewSchema(pulsar.AVRO, []byte(latest.Data), latest.Properties)
	if err != nil {
		t.Fatalf("schema from the registry: %v", err)
	}
	p := s.mustProducer(topic, fetched)
	encoded, err := evolveSchema(t, "name+age=0").Encode(&evolvedUser{"alan", 41})
	if err != nil {
		t.Fatal(err)
	}
	send(t, p, &pulsar.ProducerMessage{Payload: encoded})
	m := receive(t, c)
	if !bytes.Equal(m.SchemaVersion(), versionBytes(1)) {
		t.Errorf("message carries schema version %x, want version 1", m.SchemaVersion())
	}
	var got evolvedUser
	if err := m.GetSchemaValue(&got); err != nil || got != (evolvedUser{"alan", 41}) {
		t.Errorf("decoded %+v, %v", got, err)
	}
	if n := len(s.allSchemas(topic)); n != 2 {
		t.Errorf("%d versions, want 2: the fetched schema is the latest, not a new one", n)
	}
}

// TestClientSideTypeNumbers: the Go client puts its client-side types on the wire as
// Pulsar's negative SchemaType numbers (AUTO_CONSUME -3, AUTO_PUBLISH -4), values the
// protocol's Schema.Type enum does not have. The broker answers them as the types they
// name: the consumer is let in without a check, and the producer publishes with the topic's
// latest version, registering nothing.
func TestClientSideTypeNumbers(t *testing.T) {
	s := startServer(t)
	topic := "persistent://public/default/" + unique("negative-types")
	p := s.mustProducer(topic, pulsar.NewStringSchema(nil))
	send(t, p, &pulsar.ProducerMessage{Value: "typed"})
	goAutoConsume := &customSchema{
		info:   &pulsar.SchemaInfo{Name: "AutoConsume", Type: pulsar.AutoConsume},
		encode: func(any) ([]byte, error) { return nil, fmt.Errorf("does not encode") },
		decode: func([]byte, any) error { return nil },
	}
	c := s.mustConsumer(topic, "go-auto", goAutoConsume)
	ap := s.mustProducer(topic, autoPublishSchema())
	send(t, ap, &pulsar.ProducerMessage{Value: []byte("published by AUTO_PUBLISH")})
	for _, want := range []string{"typed", "published by AUTO_PUBLISH"} {
		m := receive(t, c)
		var got *string
		if err := m.GetSchemaValue(&got); err != nil || *got != want {
			t.Errorf("decoded %v, %v; want %q", got, err, want)
		}
		if !bytes.Equal(m.SchemaVersion(), versionBytes(0)) {
			t.Errorf("message %q carries schema version %x, want the STRING version 0", want, m.SchemaVersion())
		}
	}
	if n := len(s.allSchemas(topic)); n != 1 {
		t.Errorf("%d versions, want 1", n)
	}
}
