package schemae2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// Versions of one Avro record, magnetar.evolve.User, as a user evolves it. Avro's
// resolution rules decide which can read which: a reader fills a field the writer lacks
// only from a default, ignores fields it does not know, and cannot read an int as a string.
var evolve = map[string]string{
	"name":             `[{"name":"name","type":"string"}]`,
	"name+age=0":       `[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]`,
	"name+age":         `[{"name":"name","type":"string"},{"name":"age","type":"int"}]`,
	"nick=''":          `[{"name":"nick","type":"string","default":""}]`,
	"name:int":         `[{"name":"name","type":"int"}]`,
	"name:int=0":       `[{"name":"name","type":"int","default":0}]`,
	"name='' +age":     `[{"name":"name","type":"string","default":""},{"name":"age","type":"int"}]`,
	"age":              `[{"name":"age","type":"int"}]`,
	"name='x'":         `[{"name":"name","type":"string","default":"x"}]`,
	"age=0":            `[{"name":"age","type":"int","default":0}]`,
	"name (reordered)": `[ {"type":"string", "name":"name"} ]`,
}

func evolveSchema(t *testing.T, version string) pulsar.Schema {
	t.Helper()
	fields, ok := evolve[version]
	if !ok {
		t.Fatalf("no schema version %q", version)
	}
	def := `{"type":"record","name":"User","namespace":"magnetar.evolve","fields":` + fields + `}`
	s, err := pulsar.NewAvroSchemaWithValidation(def, nil)
	if err != nil {
		t.Fatalf("schema %q: %v", version, err)
	}
	return s
}

var strategies = []utils.SchemaCompatibilityStrategy{
	utils.SchemaCompatibilityStrategyAlwaysCompatible,
	utils.SchemaCompatibilityStrategyAlwaysIncompatible,
	utils.SchemaCompatibilityStrategyBackward,
	utils.SchemaCompatibilityStrategyForward,
	utils.SchemaCompatibilityStrategyFull,
	utils.SchemaCompatibilityStrategyBackwardTransitive,
	utils.SchemaCompatibilityStrategyForwardTransitive,
	utils.SchemaCompatibilityStrategyFullTransitive,
}

// Short names for the expectation table.
const (
	AC  = utils.SchemaCompatibilityStrategyAlwaysCompatible
	AI  = utils.SchemaCompatibilityStrategyAlwaysIncompatible
	B   = utils.SchemaCompatibilityStrategyBackward
	F   = utils.SchemaCompatibilityStrategyForward
	FU  = utils.SchemaCompatibilityStrategyFull
	BT  = utils.SchemaCompatibilityStrategyBackwardTransitive
	FT  = utils.SchemaCompatibilityStrategyForwardTransitive
	FUT = utils.SchemaCompatibilityStrategyFullTransitive
)

// evolutions are chains of schema versions producers bring to a new topic, one after the
// other. want gives, per strategy, the fate of every version after the first: '+' a
// producer with it is accepted (a new version is registered), '-' it is refused with
// IncompatibleSchema (and the chain stops there).
var evolutions = []struct {
	name  string
	chain []string
	want  map[utils.SchemaCompatibilityStrategy]string
}{
	{"same schema again", []string{"name", "name"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "+", B: "+", F: "+", FU: "+", BT: "+", FT: "+", FUT: "+"}},
	{"same schema, other spelling", []string{"name", "name (reordered)"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "+", B: "+", F: "+", FU: "+", BT: "+", FT: "+", FUT: "+"}},
	{"add field with default", []string{"name", "name+age=0"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "-", B: "+", F: "+", FU: "+", BT: "+", FT: "+", FUT: "+"}},
	{"add field without default", []string{"name", "name+age"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "-", B: "-", F: "+", FU: "-", BT: "-", FT: "+", FUT: "-"}},
	{"drop field without default", []string{"name", "nick=''"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "-", B: "+", F: "-", FU: "-", BT: "+", FT: "-", FUT: "-"}},
	{"change field type", []string{"name", "name:int"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "+", AI: "-", B: "-", F: "-", FU: "-", BT: "-", FT: "-", FUT: "-"}},
	// v3 reads v2's data but not v1's: only the transitive check sees v1.
	{"backward, not transitively", []string{"name", "nick=''", "name:int=0"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "++", AI: "-", B: "++", F: "-", FU: "-", BT: "+-", FT: "-", FUT: "-"}},
	// v2 reads v3's data, v1 does not.
	{"forward, not transitively", []string{"name", "name='' +age", "age"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "++", AI: "-", B: "-", F: "++", FU: "-", BT: "-", FT: "+-", FUT: "-"}},
	// v2 and v3 read each other; v1 cannot read v3.
	{"full, not transitively", []string{"name", "name='x'", "age=0"},
		map[utils.SchemaCompatibilityStrategy]string{AC: "++", AI: "-", B: "++", F: "++", FU: "++", BT: "++", FT: "+-", FUT: "+-"}},
}

// TestStrategies sets each compatibility strategy on a namespace through pulsaradmin and
// brings the versions of every evolution to a topic of it as producers: each must be
// accepted (and registered as the next version) or refused with IncompatibleSchema, as
// Pulsar decides.
func TestStrategies(t *testing.T) {
	s := startServer(t)
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			s := *s
			s.t = t
			ns := s.newNamespace("strategy")
			s.setNamespaceStrategy(ns, strategy)
			for _, ev := range evolutions {
				topic := fmt.Sprintf("persistent://%s/%s", ns, unique(strings.ReplaceAll(ev.name, " ", "-")))
				runEvolution(&s, strategy, topic, ev.chain, ev.want[strategy])
			}
		})
	}
}

// runEvolution brings the chain's versions to topic as producers and checks each outcome
// against want (one '+' or '-' per version after the first).
func runEvolution(s *server, strategy utils.SchemaCompatibilityStrategy, topic string, chain []string, want string) {
	t := s.t
	t.Helper()
	if len(want) > len(chain)-1 {
		t.Fatalf("%s: expectation %q for %d versions", topic, want, len(chain))
	}
	s.mustProducer(topic, evolveSchema(t, chain[0]))
	registered := 1
	for i, w := range want {
		version := chain[i+1]
		what := fmt.Sprintf("%s: producer with %q after %q", topic, version, chain[:i+1])
		// The admin API's compatibility check answers what the producer will meet.
		res, err := s.admin.Schemas().TestCompatibilityWithPostSchemaPayload(topic, utils.PostSchemaPayload{
			SchemaType: "AVRO", Schema: evolveSchema(t, version).GetSchemaInfo().Schema})
		if err != nil {
			t.Errorf("%s: compatibility check: %v", what, err)
		} else if res.IsCompatibility != (w == '+') || res.SchemaCompatibilityStrategy != strategy {
			t.Errorf("%s: compatibility check says %v under %s; want %v under %s",
				what, res.IsCompatibility, res.SchemaCompatibilityStrategy, w == '+', strategy)
		}
		p, err := s.producer(topic, evolveSchema(t, version))
		if w == '-' {
			wantIncompatible(t, what, err)
			if n := len(s.allSchemas(topic)); n != registered {
				t.Errorf("%s: %d versions registered after a refusal, want %d", what, n, registered)
			}
			return
		}
		if err != nil {
			t.Errorf("%s: %v; want accepted", what, err)
			return
		}
		p.Close()
		if !sameFields(version, chain[i]) {
			registered++
		}
		if n := len(s.allSchemas(topic)); n != registered {
			t.Errorf("%s: %d versions registered, want %d", what, n, registered)
		}
	}
}

// sameFields: two spellings of one definition register one version.
func sameFields(a, b string) bool {
	return strings.TrimSuffix(a, " (reordered)") == strings.TrimSuffix(b, " (reordered)")
}

// TestConsumerStrategies: under each strategy a consumer whose schema cannot read the
// topic's is refused with IncompatibleSchema, and one with the topic's own schema is let
// in, as Pulsar's checkConsumerCompatibility decides (ALWAYS_COMPATIBLE lets everyone in;
// ALWAYS_INCOMPATIBLE's validator refuses every schema, the topic's own included).
func TestConsumerStrategies(t *testing.T) {
	s := startServer(t)
	cases := []struct {
		consumer string
		// refusedBy lists the strategies that refuse this consumer.
		refusedBy []utils.SchemaCompatibilityStrategy
	}{
		{"name", []utils.SchemaCompatibilityStrategy{AI}},
		// can read v2 (age has a default): accepted where only the latest counts,
		// and it reads v1 as well.
		{"name+age=0", []utils.SchemaCompatibilityStrategy{AI}},
		// cannot read v1 or v2 (no default for age).
		{"name+age", []utils.SchemaCompatibilityStrategy{AI, B, F, FU, BT, FT, FUT}},
		{"name:int", []utils.SchemaCompatibilityStrategy{AI, B, F, FU, BT, FT, FUT}},
	}
	for _, strategy := range strategies {
		t.Run(string(strategy), func(t *testing.T) {
			s := *s
			s.t = t
			ns := s.newNamespace("consumers")
			s.setNamespaceStrategy(ns, strategy)
			for _, tc := range cases {
				topic := fmt.Sprintf("persistent://%s/%s", ns, unique("consumer"))
				s.mustProducer(topic, evolveSchema(t, "name"))
				_, err := s.consumer(topic, "sub", evolveSchema(t, tc.consumer))
				what := fmt.Sprintf("consumer with %q on a topic of %q", tc.consumer, "name")
				if contains(tc.refusedBy, strategy) {
					wantIncompatible(t, what, err)
				} else if err != nil {
					t.Errorf("%s: %v; want accepted", what, err)
				}
				if n := len(s.allSchemas(topic)); n != 1 {
					t.Errorf("%s: %d versions registered; a consumer must not register on a topic with a schema", what, n)
				}
			}
		})
	}
}

// TestTopicStrategyOverride: a topic-level strategy set through pulsaradmin overrides the
// namespace's, and removing it brings the namespace's back.
func TestTopicStrategyOverride(t *testing.T) {
	s := startServer(t)
	ns := s.newNamespace("override")
	s.setNamespaceStrategy(ns, utils.SchemaCompatibilityStrategyAlwaysIncompatible)
	topic := fmt.Sprintf("persistent://%s/%s", ns, unique("override"))
	s.mustProducer(topic, evolveSchema(t, "name"))
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		t.Fatal(err)
	}

	_, err = s.producer(topic, evolveSchema(t, "name+age=0"))
	wantIncompatible(t, "new version under the namespace's ALWAYS_INCOMPATIBLE", err)

	if err := s.admin.Topics().SetSchemaCompatibilityStrategy(*tn, utils.SchemaCompatibilityStrategyBackward); err != nil {
		t.Fatalf("set topic strategy: %v", err)
	}
	if got, err := s.admin.Topics().GetSchemaCompatibilityStrategy(*tn); err != nil || got != utils.SchemaCompatibilityStrategyBackward {
		t.Fatalf("topic strategy reads back %q, %v", got, err)
	}
	if _, err := s.producer(topic, evolveSchema(t, "name+age=0")); err != nil {
		t.Fatalf("compatible new version under the topic's BACKWARD: %v", err)
	}
	_, err = s.producer(topic, evolveSchema(t, "name:int"))
	wantIncompatible(t, "type change under the topic's BACKWARD", err)

	if err := s.admin.Topics().SetSchemaCompatibilityStrategy(*tn, utils.SchemaCompatibilityStrategyAlwaysCompatible); err != nil {
		t.Fatalf("set topic strategy: %v", err)
	}
	if _, err := s.producer(topic, evolveSchema(t, "name:int")); err != nil {
		t.Fatalf("type change under the topic's ALWAYS_COMPATIBLE: %v", err)
	}

	if err := s.admin.Topics().RemoveSchemaCompatibilityStrategy(*tn); err != nil {
		t.Fatalf("remove topic strategy: %v", err)
	}
	_, err = s.producer(topic, evolveSchema(t, "age=0"))
	wantIncompatible(t, "new version after the topic's strategy was removed (namespace: ALWAYS_INCOMPATIBLE)", err)
	if n := len(s.allSchemas(topic)); n != 3 {
		t.Errorf("%d versions registered, want 3", n)
	}
}

func contains[T comparable](list []T, v T) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}
