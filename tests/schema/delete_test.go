package schemae2e

import (
	"fmt"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// TestDeleteSchema: after pulsaradmin deletes a topic's schema, the registry shows none, a
// producer whose schema the old one would have refused is accepted, and its version comes
// after the deletion's (soft delete); a forced delete erases the history and versions
// start again at 0.
func TestDeleteSchema(t *testing.T) {
	s := startServer(t)
	topic := fmt.Sprintf("persistent://public/default/%s", unique("delete"))
	old := s.mustProducer(topic, evolveSchema(t, "name"))
	s.mustProducer(topic, evolveSchema(t, "name+age=0"))
	_, err := s.producer(topic, evolveSchema(t, "name:int"))
	wantIncompatible(t, "type change before the delete", err)
	old.Close()

	if err := s.admin.Schemas().DeleteSchema(topic); err != nil {
		t.Fatalf("delete schema: %v", err)
	}
	if reg, ok := s.latestSchema(topic); ok {
		t.Fatalf("registry still shows %+v after the delete", reg)
	}
	if _, err := s.admin.Schemas().GetSchemaInfo(topic); err == nil {
		t.Error("pulsaradmin reads a schema after the delete")
	}
	if all := s.allSchemas(topic); len(all) != 0 {
		t.Errorf("versions after the delete: %+v", all)
	}

	p := s.mustProducer(topic, evolveSchema(t, "name:int"))
	reg, ok := s.latestSchema(topic)
	// versions 0 and 1, the delete took 2
	if !ok || reg.Version != 3 || reg.Type != "AVRO" {
		t.Fatalf("after the delete the new schema is %+v, %v; want AVRO version 3", reg, ok)
	}
	if all := s.allSchemas(topic); len(all) != 1 || all[0].Version != 3 {
		t.Errorf("versions: %+v; want only 3", all)
	}
	c := s.mustConsumer(topic, "after-delete", evolveSchema(t, "name:int"))
	send(t, p, &pulsar.ProducerMessage{Value: &struct {
		Name int `avro:"name"`
	}{7}})
	var got struct {
		Name int `avro:"name"`
	}
	m := receive(t, c)
	if err := m.GetSchemaValue(&got); err != nil || got.Name != 7 {
		t.Errorf("decoded %+v, %v", got, err)
	}
	// The old versions are gone for the client too.
	if _, err := s.admin.Schemas().GetSchemaInfoByVersion(topic, 0); err == nil {
		t.Error("version 0 still readable after the delete")
	}

	if err := s.admin.Schemas().ForceDeleteSchema(topic); err != nil {
		t.Fatalf("force delete: %v", err)
	}
	s.mustProducer(topic, pulsar.NewStringSchema(nil))
	if reg, ok := s.latestSchema(topic); !ok || reg.Version != 0 || reg.Type != "STRING" {
		t.Errorf("after a forced delete: %+v, %v; want STRING version 0", reg, ok)
	}
}

// TestDeleteTopicDeletesSchema: deleting a topic through the admin API erases its schema, as
// Pulsar does, so a topic created again under the name takes a schema the old one would have
// refused — for a non-partitioned and for a partitioned topic.
func TestDeleteTopicDeletesSchema(t *testing.T) {
	s := startServer(t)
	for _, partitions := range []int{0, 2} {
		t.Run(fmt.Sprintf("partitions=%d", partitions), func(t *testing.T) {
			topic := fmt.Sprintf("persistent://public/default/%s", unique("deltopic"))
			tn, err := utils.GetTopicName(topic)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.admin.Topics().Create(*tn, partitions); err != nil {
				t.Fatalf("create topic: %v", err)
			}
			p := s.mustProducer(topic, evolveSchema(t, "name"))
			_, err = s.producer(topic, evolveSchema(t, "name:int"))
			wantIncompatible(t, "type change while the topic exists", err)
			p.Close()

			if err := s.admin.Topics().Delete(*tn, true, partitions == 0); err != nil {
				t.Fatalf("delete topic: %v", err)
			}
			if reg, ok := s.latestSchema(topic); ok {
				t.Fatalf("schema %+v survives the topic's deletion", reg)
			}
			if partitions > 0 {
				if err := s.admin.Topics().Create(*tn, partitions); err != nil {
					t.Fatalf("re-create topic: %v", err)
				}
			}
			s.mustProducer(topic, evolveSchema(t, "name:int")).Close()
			if reg, ok := s.latestSchema(topic); !ok || reg.Version != 0 {
				t.Errorf("re-created topic's schema %+v, %v; want version 0", reg, ok)
			}
		})
	}
}
