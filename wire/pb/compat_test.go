package pb_test

import (
	"testing"

	// Linking the official client registers its pulsar.proto.* descriptors,
	// which is both what we compare against and proof that both
	// definitions coexist in one binary without a registry conflict.
	_ "github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/magnetar/magnetar/wire/pb"
)

// TestWireCompatibleWithOfficialClient checks, for every message and enum of
// the client's PulsarApi.proto, that ours has the same field numbers, types,
// labels, defaults and enum values, and that we define nothing extra.
func TestWireCompatibleWithOfficialClient(t *testing.T) {
	theirs, err := protoregistry.GlobalFiles.FindFileByPath("PulsarApi.proto")
	if err != nil {
		t.Fatalf("client descriptor not registered: %v", err)
	}
	ours := pb.File_wire_pb_pulsar_proto

	if got, want := ours.Messages().Len(), theirs.Messages().Len(); got != want {
		t.Errorf("top-level messages: ours %d, client %d", got, want)
	}
	if got, want := ours.Enums().Len(), theirs.Enums().Len(); got != want {
		t.Errorf("top-level enums: ours %d, client %d", got, want)
	}
	for i := 0; i < theirs.Messages().Len(); i++ {
		tm := theirs.Messages().Get(i)
		om := ours.Messages().ByName(tm.Name())
		if om == nil {
			t.Errorf("message %s missing", tm.Name())
			continue
		}
		compareMessage(t, om, tm)
	}
	for i := 0; i < theirs.Enums().Len(); i++ {
		te := theirs.Enums().Get(i)
		oe := ours.Enums().ByName(te.Name())
		if oe == nil {
			t.Errorf("enum %s missing", te.Name())
			continue
		}
		compareEnum(t, oe, te)
	}
}

func compareMessage(t *testing.T, ours, theirs protoreflect.MessageDescriptor) {
	t.Helper()
	name := theirs.Name()
	if ours.Fields().Len() != theirs.Fields().Len() {
		t.Errorf("%s: ours has %d fields, client %d", name, ours.Fields().Len(), theirs.Fields().Len())
	}
	for i := 0; i < theirs.Fields().Len(); i++ {
		tf := theirs.Fields().Get(i)
		of := ours.Fields().ByNumber(tf.Number())
		if of == nil {
			t.Errorf("%s: field %d (%s) missing", name, tf.Number(), tf.Name())
			continue
		}
		if of.Name() != tf.Name() {
			t.Errorf("%s.%d: name %s, client %s", name, tf.Number(), of.Name(), tf.Name())
		}
		if of.Kind() != tf.Kind() {
			t.Errorf("%s.%s: kind %v, client %v", name, tf.Name(), of.Kind(), tf.Kind())
		}
		if of.Cardinality() != tf.Cardinality() {
			t.Errorf("%s.%s: cardinality %v, client %v", name, tf.Name(), of.Cardinality(), tf.Cardinality())
		}
		if of.IsPacked() != tf.IsPacked() {
			t.Errorf("%s.%s: packed %v, client %v", name, tf.Name(), of.IsPacked(), tf.IsPacked())
		}
		if of.HasDefault() != tf.HasDefault() {
			t.Errorf("%s.%s: has default %v, client %v", name, tf.Name(), of.HasDefault(), tf.HasDefault())
		} else if of.HasDefault() && !sameDefault(of, tf) {
			t.Errorf("%s.%s: default %v, client %v", name, tf.Name(), of.Default(), tf.Default())
		}
		switch tf.Kind() {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			if of.Message().Name() != tf.Message().Name() {
				t.Errorf("%s.%s: type %s, client %s", name, tf.Name(), of.Message().Name(), tf.Message().Name())
			}
		case protoreflect.EnumKind:
			if of.Enum().Name() != tf.Enum().Name() {
				t.Errorf("%s.%s: enum %s, client %s", name, tf.Name(), of.Enum().Name(), tf.Enum().Name())
			}
		}
	}
	if ours.Enums().Len() != theirs.Enums().Len() {
		t.Errorf("%s: ours has %d nested enums, client %d", name, ours.Enums().Len(), theirs.Enums().Len())
	}
	for i := 0; i < theirs.Enums().Len(); i++ {
		te := theirs.Enums().Get(i)
		oe := ours.Enums().ByName(te.Name())
		if oe == nil {
			t.Errorf("%s: nested enum %s missing", name, te.Name())
			continue
		}
		compareEnum(t, oe, te)
	}
	if ours.Messages().Len() != theirs.Messages().Len() {
		t.Errorf("%s: ours has %d nested messages, client %d", name, ours.Messages().Len(), theirs.Messages().Len())
	}
}

func sameDefault(a, b protoreflect.FieldDescriptor) bool {
	if a.Kind() == protoreflect.EnumKind {
		return a.Default().Enum() == b.Default().Enum()
	}
	return a.Default().Equal(b.Default())
}

func compareEnum(t *testing.T, ours, theirs protoreflect.EnumDescriptor) {
	t.Helper()
	if ours.Values().Len() != theirs.Values().Len() {
		t.Errorf("enum %s: ours has %d values, client %d", theirs.Name(), ours.Values().Len(), theirs.Values().Len())
	}
	for i := 0; i < theirs.Values().Len(); i++ {
		tv := theirs.Values().Get(i)
		ov := ours.Values().ByName(tv.Name())
		if ov == nil {
			t.Errorf("enum %s: value %s missing", theirs.Name(), tv.Name())
			continue
		}
		if ov.Number() != tv.Number() {
			t.Errorf("enum %s.%s: %d, client %d", theirs.Name(), tv.Name(), ov.Number(), tv.Number())
		}
	}
}
