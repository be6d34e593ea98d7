package schemae2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// TestPartitionedTopic: the partitions of a partitioned topic share one schema, shown
// under the topic's name; a producer over every partition registers it once, and one
// partition cannot take a schema the others refuse.
func TestPartitionedTopic(t *testing.T) {
	s := startServer(t)
	topic := "persistent://public/default/" + unique("partitioned")
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.admin.Topics().Create(*tn, 3); err != nil {
		t.Fatalf("create partitioned topic: %v", err)
	}
	p, err := s.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: evolveSchema(t, "name"),
		MessageRouter: func(m *pulsar.ProducerMessage, _ pulsar.TopicMetadata) int { return int(m.Value.(*evolvedUser).Age) }})
	if err != nil {
		t.Fatalf("producer on 3 partitions: %v", err)
	}
	t.Cleanup(p.Close)
	c := s.mustConsumer(topic, "all", evolveSchema(t, "name"))
	for i := range 3 {
		send(t, p, &pulsar.ProducerMessage{Value: &evolvedUser{Name: fmt.Sprint("p", i), Age: i}})
	}
	for range 3 {
		m := receive(t, c)
		var got evolvedUser
		if err := m.GetSchemaValue(&got); err != nil || string(m.SchemaVersion()) != string(versionBytes(0)) {
			t.Errorf("message on %s: %+v, %v, version %x", m.Topic(), got, err, m.SchemaVersion())
		}
	}
	reg, ok := s.latestSchema(topic)
	if !ok || reg.Version != 0 || reg.Type != "AVRO" {
		t.Fatalf("partitioned topic's schema: %+v, %v", reg, ok)
	}
	if n := len(s.allSchemas(topic)); n != 1 {
		t.Errorf("%d versions after one producer on 3 partitions, want 1", n)
	}
	if part, ok := s.latestSchema(topic + "-partition-2"); !ok || part.Version != 0 {
		t.Errorf("partition 2's schema: %+v, %v; want the topic's", part, ok)
	}
	_, err = s.producer(topic+"-partition-1", evolveSchema(t, "name:int"))
	wantIncompatible(t, "producer on one partition with a schema the topic's refuses", err)
}

// TestNonPersistentTopic: non-persistent topics have schemas too, checked the same way.
func TestNonPersistentTopic(t *testing.T) {
	s := startServer(t)
	topic := "non-persistent://public/default/" + unique("non-persistent")
	c := s.mustConsumer(topic, "live", pulsar.NewInt32Schema(nil))
	p := s.mustProducer(topic, pulsar.NewInt32Schema(nil))
	send(t, p, &pulsar.ProducerMessage{Value: int32(7)})
	var got int32
	if err := receive(t, c).GetSchemaValue(&got); err != nil || got != 7 {
		t.Errorf("decoded %d, %v", got, err)
	}
	if reg, ok := s.latestSchema(topic); !ok || reg.Type != "INT32" {
		t.Errorf("registry: %+v, %v; want INT32", reg, ok)
	}
	_, err := s.producer(topic, pulsar.NewStringSchema(nil))
	wantIncompatible(t, "STRING producer on an INT32 non-persistent topic", err)
}

// TestConsumerFirst: a consumer with a schema on an idle topic without one registers its
// schema, which then governs producers; a consumer with a schema on a topic that has data
// but no schema is refused.
func TestConsumerFirst(t *testing.T) {
	s := startServer(t)
	idle := "persistent://public/default/" + unique("consumer-first")
	s.mustConsumer(idle, "first", evolveSchema(t, "name"))
	reg, ok := s.latestSchema(idle)
	if !ok || reg.Type != "AVRO" || reg.Version != 0 {
		t.Fatalf("after the first consumer: %+v, %v; want its AVRO schema as version 0", reg, ok)
	}
	s.mustProducer(idle, evolveSchema(t, "name"))
	_, err := s.producer(idle, evolveSchema(t, "name:int"))
	wantIncompatible(t, "producer against the schema a consumer registered", err)
	if n := len(s.allSchemas(idle)); n != 1 {
		t.Errorf("%d versions, want 1", n)
	}

	used := "persistent://public/default/" + unique("schemaless-data")
	raw := s.mustProducer(used, nil)
	send(t, raw, &pulsar.ProducerMessage{Payload: []byte("untyped")})
	raw.Close()
	_, err = s.consumer(used, "typed", evolveSchema(t, "name"))
	wantIncompatible(t, "consumer with a schema on a topic with data and no schema", err)
	if reg, ok := s.latestSchema(used); ok {
		t.Errorf("the refused consumer registered %+v", reg)
	}
}

// TestSchemasSurviveRestart: schemas are stored durably: after a clean restart of the
// standalone from the same data directory, the registry shows every version and still
// refuses what it refused before.
func TestSchemasSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	topic := "persistent://public/default/" + unique("restart")
	func() {
		s, stop := launch(t, dir)
		defer stop()
		s.mustProducer(topic, evolveSchema(t, "name"))
		p := s.mustProducer(topic, evolveSchema(t, "name+age=0"))
		send(t, p, &pulsar.ProducerMessage{Value: &evolvedUser{"before", 1}})
		p.Close()
	}()
	s, stop := launch(t, dir)
	defer stop()
	all := s.allSchemas(topic)
	if len(all) != 2 || all[0].Version != 0 || all[1].Version != 1 {
		t.Fatalf("after restart: %+v; want versions 0 and 1", all)
	}
	_, err := s.producer(topic, evolveSchema(t, "name:int"))
	wantIncompatible(t, "incompatible producer after restart", err)
	c := s.mustConsumer(topic, "after-restart", autoConsumeSchema())
	var got evolvedUser
	if err := receive(t, c).GetSchemaValue(&got); err != nil || got != (evolvedUser{"before", 1}) {
		t.Errorf("message from before the restart: %+v, %v", got, err)
	}
}

// TestConcurrentProducers: producers that connect at once with the same new schema share
// one version, and producers with different compatible schemas each get their own: the
// registry's compare-and-set loses no registration and makes no duplicate.
func TestConcurrentProducers(t *testing.T) {
	s := startServer(t)
	same := "persistent://public/default/" + unique("concurrent-same")
	mixed := "persistent://public/default/" + unique("concurrent-mixed")
	s.mustProducer(mixed, evolveSchema(t, "name"))
	fields := []string{"a", "b", "c", "d", "e", "f"}
	nameSchema := evolveSchema(t, "name")
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(fields))
	for _, f := range fields {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p, err := s.client.CreateProducer(pulsar.ProducerOptions{Topic: same, Schema: nameSchema})
			if err != nil {
				errs <- fmt.Errorf("same schema: %w", err)
				return
			}
			p.Close()
		}()
		go func() {
			defer wg.Done()
			def := `{"type":"record","name":"User","namespace":"magnetar.evolve","fields":[{"name":"name","type":"string"},` +
				`{"name":"` + f + `","type":"int","default":0}]}`
			p, err := s.client.CreateProducer(pulsar.ProducerOptions{Topic: mixed, Schema: pulsar.NewAvroSchema(def, nil)})
			if err != nil {
				errs <- fmt.Errorf("schema with field %s: %w", f, err)
				return
			}
			p.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(s.allSchemas(same)); n != 1 {
		t.Errorf("%d versions after %d producers with one schema, want 1", n, len(fields))
	}
	all := s.allSchemas(mixed)
	if len(all) != 1+len(fields) {
		t.Errorf("%d versions after %d compatible new schemas, want %d", len(all), len(fields), 1+len(fields))
	}
	for i, v := range all {
		if v.Version != int64(i) {
			t.Errorf("version %d at position %d: versions must count up without gaps", v.Version, i)
		}
	}
}
