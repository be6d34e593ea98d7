package schemae2e

import (
	"fmt"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// TestValidationEnforced: with schema_validation_enforced on the namespace, a producer
// without a schema (none, or the client's BYTES) is refused on a topic that has a schema,
// and let in once the policy is off; a topic-level setting overrides the namespace's.
// Consumers without a schema are never refused.
func TestValidationEnforced(t *testing.T) {
	s := startServer(t)
	ns := s.newNamespace("enforced")
	nsName, err := utils.GetNamespaceName(ns)
	if err != nil {
		t.Fatal(err)
	}
	setEnforced := func(on bool) {
		t.Helper()
		if err := s.admin.Namespaces().SetSchemaValidationEnforced(*nsName, on); err != nil {
			t.Fatalf("set schemaValidationEnforced %v: %v", on, err)
		}
		if got, err := s.admin.Namespaces().GetSchemaValidationEnforced(*nsName); err != nil || got != on {
			t.Fatalf("schemaValidationEnforced reads back %v, %v; want %v", got, err, on)
		}
	}
	typed := fmt.Sprintf("persistent://%s/%s", ns, unique("typed"))
	untyped := fmt.Sprintf("persistent://%s/%s", ns, unique("untyped"))
	setEnforced(true)
	s.mustProducer(typed, pulsar.NewStringSchema(nil))

	for _, schema := range []pulsar.Schema{nil, pulsar.NewBytesSchema(nil)} {
		_, err := s.producer(typed, schema)
		wantIncompatible(t, fmt.Sprintf("producer with %s on a STRING topic, validation enforced", schemaName(schema)), err)
	}
	// A topic without a schema takes schemaless producers whatever the policy.
	p := s.mustProducer(untyped, nil)
	send(t, p, &pulsar.ProducerMessage{Payload: []byte("raw")})
	// Consumers without a schema read a typed topic even when validation is enforced.
	s.mustConsumer(typed, "raw-reader", nil)

	setEnforced(false)
	raw := s.mustProducer(typed, nil)
	send(t, raw, &pulsar.ProducerMessage{Payload: []byte("not checked")})
	s.mustProducer(typed, pulsar.NewBytesSchema(nil))

	// Topic level: enforced on the topic, though not on its namespace.
	tn, err := utils.GetTopicName(typed)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.admin.Topics().SetSchemaValidationEnforced(*tn, true); err != nil {
		t.Fatalf("set the topic's schemaValidationEnforced: %v", err)
	}
	if got, err := s.admin.Topics().GetSchemaValidationEnforced(*tn); err != nil || !got {
		t.Fatalf("topic's schemaValidationEnforced reads back %v, %v", got, err)
	}
	_, err = s.producer(typed, nil)
	wantIncompatible(t, "schemaless producer, validation enforced on the topic", err)
	other := fmt.Sprintf("persistent://%s/%s", ns, unique("typed-other"))
	s.mustProducer(other, pulsar.NewStringSchema(nil))
	s.mustProducer(other, nil) // the namespace's setting (off) still holds for other topics

	if err := s.admin.Topics().RemoveSchemaValidationEnforced(*tn); err != nil {
		t.Fatalf("remove the topic's schemaValidationEnforced: %v", err)
	}
	s.mustProducer(typed, nil)
}

// TestAutoUpdateDisabled: with is_allow_auto_update_schema false on the namespace,
// producers may use only schemas already registered: a new compatible version (or a first
// schema) is refused, the registered ones are accepted, and a version uploaded through the
// admin API becomes usable.
func TestAutoUpdateDisabled(t *testing.T) {
	s := startServer(t)
	ns := s.newNamespace("no-auto-update")
	nsName, err := utils.GetNamespaceName(ns)
	if err != nil {
		t.Fatal(err)
	}
	topic := fmt.Sprintf("persistent://%s/%s", ns, unique("pinned"))
	fresh := fmt.Sprintf("persistent://%s/%s", ns, unique("fresh"))
	s.mustProducer(topic, evolveSchema(t, "name")) // registered while auto-update is on

	if err := s.admin.Namespaces().SetIsAllowAutoUpdateSchema(*nsName, false); err != nil {
		t.Fatalf("set isAllowAutoUpdateSchema: %v", err)
	}
	if got, err := s.admin.Namespaces().GetIsAllowAutoUpdateSchema(*nsName); err != nil || got {
		t.Fatalf("isAllowAutoUpdateSchema reads back %v, %v; want false", got, err)
	}

	_, err = s.producer(topic, evolveSchema(t, "name+age=0"))
	wantIncompatible(t, "producer with a new compatible version, auto-update disabled", err)
	_, err = s.producer(fresh, evolveSchema(t, "name"))
	wantIncompatible(t, "producer with a first schema, auto-update disabled", err)
	s.mustProducer(topic, evolveSchema(t, "name"))

	// The admin API registers what producers may not.
	v2 := evolveSchema(t, "name+age=0").GetSchemaInfo()
	err = s.admin.Schemas().CreateSchemaByPayload(topic, utils.PostSchemaPayload{SchemaType: "AVRO", Schema: v2.Schema})
	if err != nil {
		t.Fatalf("upload v2 through the admin API: %v", err)
	}
	p := s.mustProducer(topic, evolveSchema(t, "name+age=0"))
	id := send(t, p, &pulsar.ProducerMessage{Value: &struct {
		Name string `avro:"name"`
		Age  int    `avro:"age"`
	}{"ada", 36}})
	if id == nil {
		t.Fatal("no message id")
	}
	if n := len(s.allSchemas(topic)); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}

	if err := s.admin.Namespaces().SetIsAllowAutoUpdateSchema(*nsName, true); err != nil {
		t.Fatalf("set isAllowAutoUpdateSchema: %v", err)
	}
	s.mustProducer(fresh, evolveSchema(t, "name"))
}

// TestAutoUpdateStrategy: the deprecated schema_auto_update_compatibility_strategy still
// governs a namespace whose schema_compatibility_strategy is not set, as in Pulsar
// (AutoUpdateDisabled refuses every new version); a set schema_compatibility_strategy
// wins over it.
func TestAutoUpdateStrategy(t *testing.T) {
	s := startServer(t)
	ns := s.newNamespace("legacy-auto-update")
	nsName, err := utils.GetNamespaceName(ns)
	if err != nil {
		t.Fatal(err)
	}
	topic := fmt.Sprintf("persistent://%s/%s", ns, unique("legacy"))
	s.mustProducer(topic, evolveSchema(t, "name"))

	set := func(st utils.SchemaAutoUpdateCompatibilityStrategy) {
		t.Helper()
		if err := s.admin.Namespaces().SetSchemaAutoUpdateCompatibilityStrategy(*nsName, st); err != nil {
			t.Fatalf("set schemaAutoUpdateCompatibilityStrategy %s: %v", st, err)
		}
		if got, err := s.admin.Namespaces().GetSchemaAutoUpdateCompatibilityStrategy(*nsName); err != nil || got != st {
			t.Fatalf("schemaAutoUpdateCompatibilityStrategy reads back %q, %v; want %s", got, err, st)
		}
	}
	set(utils.AutoUpdateDisabled)
	_, err = s.producer(topic, evolveSchema(t, "name+age=0"))
	wantIncompatible(t, "new version under AutoUpdateDisabled", err)

	set(utils.Forward)
	_, err = s.producer(topic, evolveSchema(t, "nick=''"))
	wantIncompatible(t, "dropping a field without default under Forward", err)
	s.mustProducer(topic, evolveSchema(t, "name+age"))

	s.setNamespaceStrategy(ns, utils.SchemaCompatibilityStrategyAlwaysCompatible)
	set(utils.AutoUpdateDisabled)
	s.mustProducer(topic, evolveSchema(t, "name:int"))
}
