package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/apipb"

	"github.com/magnetar/magnetar/metadata/embedded"
)

// openRegistry returns a registry over a real embedded metadata store in dir.
func openRegistry(t *testing.T, dir string) (*Registry, *embedded.Store) {
	t.Helper()
	store, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := New(store)
	r.now = func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	return r, store
}

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	r, store := openRegistry(t, t.TempDir())
	t.Cleanup(func() { store.Close() })
	return r
}

func mustRegister(t *testing.T, r *Registry, topic string, info SchemaInfo, s Strategy) int64 {
	t.Helper()
	v, err := r.AddOrGet(context.Background(), topic, info, s, false)
	if err != nil {
		t.Fatalf("register on %s: %v", topic, err)
	}
	return v
}

func TestVersioning(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	const topic = "persistent://public/default/users"
	v1 := avroInfo(fName)
	v1.Name, v1.Properties = "users", map[string]string{"owner": "team-a"}
	if v := mustRegister(t, r, topic, v1, Full); v != 0 {
		t.Fatalf("first version = %d, want 0", v)
	}
	// The same definition again, also reformatted, with other properties: the same version.
	reformatted := SchemaInfo{Type: Avro, Data: []byte(`{ "namespace": "magnetar.test", "name": "User",
		"fields": [ {"type": "string", "name": "name"} ], "type": "record" }`)}
	for _, again := range []SchemaInfo{v1, reformatted} {
		if v := mustRegister(t, r, topic, again, Full); v != 0 {
			t.Fatalf("re-registration got version %d, want 0", v)
		}
	}
	// A compatible change from another partition of the same topic.
	if v := mustRegister(t, r, "persistent://public/default/users-partition-3", avroInfo(fName, fAgeIntDef), Full); v != 1 {
		t.Fatalf("second version = %d, want 1", v)
	}

	latest, err := r.GetLatest(ctx, "users")
	if err != nil || latest.Version != 1 || string(latest.Data) != string(avroRecord("User", fName, fAgeIntDef)) {
		t.Fatalf("GetLatest = %+v, %v", latest, err)
	}
	first, err := r.GetByVersion(ctx, "non-persistent://public/default/users", 0)
	if err != nil || first.Name != "users" || first.Properties["owner"] != "team-a" ||
		first.Timestamp != 1_700_000_000_000 || first.Type != Avro {
		t.Fatalf("GetByVersion(0) = %+v, %v", first, err)
	}
	if _, err := r.GetByVersion(ctx, topic, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetByVersion(2) = %v, want ErrNotFound", err)
	}
	all, err := r.AllVersions(ctx, topic)
	if err != nil || len(all) != 2 || all[0].Version != 0 || all[1].Version != 1 {
		t.Fatalf("AllVersions = %+v, %v", all, err)
	}
	if v, err := r.FindVersion(ctx, topic, reformatted); err != nil || v != 0 {
		t.Fatalf("FindVersion = %d, %v; want 0", v, err)
	}
	if _, err := r.FindVersion(ctx, topic, avroInfo(fName, fEmailDef)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FindVersion of unknown schema = %v, want ErrNotFound", err)
	}
	// Another topic is independent.
	if _, err := r.GetLatest(ctx, "persistent://public/default/other"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeleted) {
		t.Fatalf("other topic: %v, want ErrNotFound", err)
	}
}

func TestRefusalsStoreNothing(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	const topic = "t/ns/orders"
	mustRegister(t, r, topic, avroInfo(fName, fAgeInt), Full)
	cases := []struct {
		name string
		info SchemaInfo
		p    Policy
		want error
	}{
		{"field without default, FULL", avroInfo(fName, fAgeInt, `{"name":"x","type":"int"}`), Policy{Strategy: Full}, ErrIncompatible},
		{"int to long, FORWARD", avroInfo(fName, fAgeLong), Policy{Strategy: Forward}, ErrIncompatible},
		{"type change, BACKWARD", SchemaInfo{Type: String}, Policy{Strategy: Backward}, ErrIncompatible},
		{"any change, ALWAYS_INCOMPATIBLE", avroInfo(fName, fAgeInt, fEmailDef), Policy{Strategy: AlwaysIncompatible}, ErrIncompatible},
		{"compatible but auto update disabled", avroInfo(fName, fAgeInt, fEmailDef), Policy{Strategy: Full, AutoUpdateDisabled: true}, ErrIncompatible},
		{"broken Avro", SchemaInfo{Type: Avro, Data: []byte(`{"type":"record","name":"User"`)}, Policy{}, ErrInvalidSchema},
		{"AUTO_CONSUME producer", SchemaInfo{Type: AutoConsume}, Policy{}, ErrInvalidSchema},
		{"no schema, validation enforced", SchemaInfo{Type: None}, Policy{ValidationEnforced: true}, ErrIncompatible},
		{"BYTES, validation enforced", SchemaInfo{Type: Bytes}, Policy{ValidationEnforced: true}, ErrIncompatible},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := r.Register(ctx, topic, c.info, c.p)
			if !errors.Is(err, c.want) || v != NoVersion {
				t.Fatalf("Register = %d, %v; want NoVersion, %v", v, err, c.want)
			}
			if all, _ := r.AllVersions(ctx, topic); len(all) != 1 {
				t.Fatalf("a refused schema was stored: %d versions", len(all))
			}
		})
	}
	msg := func(p Policy, info SchemaInfo) string {
		_, err := r.Register(ctx, topic, info, p)
		return err.Error()
	}
	if got := msg(Policy{Strategy: Full, AutoUpdateDisabled: true}, avroInfo(fName, fEmailDef)); got != "Schema not found and schema auto updating is disabled." {
		t.Errorf("auto-update message %q", got)
	}
	if got := msg(Policy{ValidationEnforced: true}, SchemaInfo{}); got != "Producers cannot connect or send message without a schema to topics with a schema" {
		t.Errorf("enforcement message %q", got)
	}
}

func TestSchemalessProducers(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	// No schema on the topic: everyone without a schema is welcome, enforced or not.
	for _, typ := range []Type{None, Bytes, AutoPublish} {
		if v, err := r.Register(ctx, "t/ns/raw", SchemaInfo{Type: typ}, Policy{ValidationEnforced: true}); err != nil || v != NoVersion {
			t.Errorf("%s on a schemaless topic: %d, %v", typ, v, err)
		}
	}
	mustRegister(t, r, "t/ns/raw", avroInfo(fName), Full)
	mustRegister(t, r, "t/ns/raw", avroInfo(fName, fEmailDef), Full)
	// Not enforced: a producer without schema may still publish; AUTO_PUBLISH adopts the latest.
	if v, err := r.Register(ctx, "t/ns/raw", SchemaInfo{Type: Bytes}, Policy{}); err != nil || v != NoVersion {
		t.Errorf("BYTES, not enforced: %d, %v", v, err)
	}
	if v, err := r.Register(ctx, "t/ns/raw", SchemaInfo{Type: AutoPublish}, Policy{ValidationEnforced: true}); err != nil || v != 1 {
		t.Errorf("AUTO_PUBLISH: %d, %v; want the latest version 1", v, err)
	}
	if all, _ := r.AllVersions(ctx, "t/ns/raw"); len(all) != 2 {
		t.Errorf("schemaless producers registered something: %d versions", len(all))
	}
}

// TestAutoUpdateDisabled: known schemas keep working, the first one included only if it
// came through the admin API.
func TestAutoUpdateDisabled(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	off := Policy{Strategy: Full, AutoUpdateDisabled: true}
	if _, err := r.Register(ctx, "t/ns/locked", avroInfo(fName), off); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("first schema with auto update disabled: %v, want ErrIncompatible", err)
	}
	mustRegister(t, r, "t/ns/locked", avroInfo(fName), Full) // the admin uploads it
	if v, err := r.Register(ctx, "t/ns/locked", avroInfo(fName), off); err != nil || v != 0 {
		t.Fatalf("known schema with auto update disabled: %d, %v", v, err)
	}
}

func TestDeleteAndRecreate(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	const topic = "persistent://t/ns/events"
	mustRegister(t, r, topic, avroInfo(fName), Full)
	mustRegister(t, r, topic, avroInfo(fName, fAgeIntDef), Full)

	v, err := r.Delete(ctx, topic, false)
	if err != nil || v != 2 {
		t.Fatalf("Delete = %d, %v; want tombstone version 2", v, err)
	}
	if _, err := r.GetLatest(ctx, topic); !errors.Is(err, ErrDeleted) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetLatest after delete: %v, want ErrDeleted", err)
	}
	if _, err := r.GetByVersion(ctx, topic, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old version after delete: %v, want ErrNotFound", err)
	}
	if all, err := r.AllVersions(ctx, topic); err != nil || len(all) != 0 {
		t.Fatalf("AllVersions after delete = %v, %v", all, err)
	}
	if v, err := r.Delete(ctx, topic, false); err != nil || v != 2 {
		t.Fatalf("second Delete = %d, %v; want the same tombstone", v, err)
	}
	if err := r.IsCompatibleForConsumer(ctx, topic, avroInfo(fName), Full); !errors.Is(err, ErrNotFound) {
		t.Fatalf("consumer check after delete: %v, want ErrNotFound", err)
	}
	// A schema of another type is not checked against the deleted ones, and counts on.
	if v := mustRegister(t, r, topic, SchemaInfo{Type: String}, Full); v != 3 {
		t.Fatalf("version after delete = %d, want 3", v)
	}
	if latest, err := r.GetLatest(ctx, topic); err != nil || latest.Version != 3 || latest.Type != String {
		t.Fatalf("GetLatest = %+v, %v", latest, err)
	}

	// A forced delete erases the history: versions start over.
	if v, err := r.Delete(ctx, topic, true); err != nil || v != 3 {
		t.Fatalf("forced Delete = %d, %v; want 3", v, err)
	}
	if _, err := r.GetLatest(ctx, topic); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeleted) {
		t.Fatalf("after forced delete: %v, want plain ErrNotFound", err)
	}
	if v := mustRegister(t, r, topic, avroInfo(fName), Full); v != 0 {
		t.Fatalf("version after forced delete = %d, want 0", v)
	}
	if v, err := r.Delete(ctx, "t/ns/never", false); err != nil || v != NoVersion {
		t.Fatalf("Delete of nothing = %d, %v", v, err)
	}
}

// TestDurable: schemas survive closing and reopening the store (real files, fsynced).
func TestDurable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, store := openRegistry(t, dir)
	mustRegister(t, r, "t/ns/d", avroInfo(fName), Full)
	mustRegister(t, r, "t/ns/d", avroInfo(fName, fEmailDef), Full)
	if _, err := r.Delete(ctx, "t/ns/gone", false); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	r, store = openRegistry(t, dir)
	defer store.Close()
	all, err := r.AllVersions(ctx, "t/ns/d")
	if err != nil || len(all) != 2 || string(all[1].Data) != string(avroRecord("User", fName, fEmailDef)) {
		t.Fatalf("after reopen: %+v, %v", all, err)
	}
	if v := mustRegister(t, r, "t/ns/d", avroInfo(fName, fEmailDef, fAgeIntDef), Full); v != 2 {
		t.Fatalf("next version after reopen = %d, want 2", v)
	}
}

// TestConcurrentRegistration: registries sharing a store (as brokers share etcd) race to
// append; compare-and-set must give every schema its own version and lose none.
func TestConcurrentRegistration(t *testing.T) {
	ctx := context.Background()
	base := newRegistry(t)
	const n = 8
	var wg sync.WaitGroup
	versions := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := New(base.store)
			info := avroInfo(fName, fmt.Sprintf(`{"name":"f%d","type":"int","default":%d}`, i, i))
			versions[i], errs[i] = r.AddOrGet(ctx, "t/ns/race", info, AlwaysCompatible, false)
		}()
	}
	// Meanwhile, everyone registering the same schema must agree on one version.
	same := make([]int64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			same[i], _ = New(base.store).AddOrGet(ctx, "t/ns/same", avroInfo(fName), Full, false)
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if seen[versions[i]] {
			t.Fatalf("version %d given twice: %v", versions[i], versions)
		}
		seen[versions[i]] = true
		if same[i] != 0 {
			t.Fatalf("identical registrations got versions %v, want all 0", same)
		}
	}
	all, err := base.AllVersions(ctx, "t/ns/race")
	if err != nil || len(all) != n {
		t.Fatalf("stored %d versions, %v; want %d", len(all), err, n)
	}
	for i, v := range all {
		if v.Version != int64(i) {
			t.Fatalf("versions out of order: %d at %d", v.Version, i)
		}
	}
}

func TestConsumerOnTopic(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	const topic = "t/ns/c"
	if err := r.IsCompatibleForConsumer(ctx, topic, avroInfo(fName), Full); !errors.Is(err, ErrNotFound) {
		t.Fatalf("consumer on schemaless topic: %v, want ErrNotFound", err)
	}
	mustRegister(t, r, topic, avroInfo(fName, fAgeInt), Full)
	cases := []struct {
		name string
		info SchemaInfo
		want error
	}{
		{"same schema", avroInfo(fName, fAgeInt), nil},
		{"reader without age", avroInfo(fName), nil},
		{"AUTO_CONSUME", SchemaInfo{Type: AutoConsume}, nil},
		{"no schema", SchemaInfo{Type: None}, nil},
		{"needs a field the topic lacks", avroInfo(fName, fAgeInt, `{"name":"x","type":"int"}`), ErrIncompatible},
		{"other type", SchemaInfo{Type: String}, ErrIncompatible},
		{"broken definition", SchemaInfo{Type: Avro, Data: []byte("{")}, ErrInvalidSchema},
	}
	for _, c := range cases {
		err := r.IsCompatibleForConsumer(ctx, topic, c.info, Full)
		if (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestCheckCompatibility(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	const topic = "t/ns/chk"
	// A topic without a schema accepts anything (Pulsar #22720).
	if err := r.CheckCompatibility(ctx, topic, avroInfo(fName), FullTransitive); err != nil {
		t.Fatalf("check on schemaless topic: %v", err)
	}
	mustRegister(t, r, topic, avroInfo(fName), BackwardTransitive)
	mustRegister(t, r, topic, avroInfo(fName, fAgeIntDef), BackwardTransitive)
	next := avroInfo(fName, fAgeInt)
	if err := r.CheckCompatibility(ctx, topic, next, Backward); err != nil {
		t.Fatalf("BACKWARD: %v", err)
	}
	if err := r.CheckCompatibility(ctx, topic, next, BackwardTransitive); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("BACKWARD_TRANSITIVE: %v, want ErrIncompatible", err)
	}
	if all, _ := r.AllVersions(ctx, topic); len(all) != 2 {
		t.Fatalf("CheckCompatibility stored something: %d versions", len(all))
	}
}

func TestKeyValueRegistration(t *testing.T) {
	r := newRegistry(t)
	str := SchemaInfo{Type: String}
	separated := kv(t, str, avroInfo(fName))
	inline, err := NewKeyValue("kv", str, avroInfo(fName), KVEncodingInline)
	if err != nil {
		t.Fatal(err)
	}
	if v := mustRegister(t, r, "t/ns/kv", separated, Full); v != 0 {
		t.Fatalf("v = %d", v)
	}
	if v := mustRegister(t, r, "t/ns/kv", separated, AlwaysIncompatible); v != 0 {
		t.Fatalf("same KEY_VALUE again: v = %d", v)
	}
	// Same data, other encoding: a new definition.
	if v := mustRegister(t, r, "t/ns/kv", inline, Full); v != 1 {
		t.Fatalf("other encoding: v = %d, want 1", v)
	}
	if _, err := r.AddOrGet(context.Background(), "t/ns/kv", kv(t, SchemaInfo{Type: Int32}, avroInfo(fName)), Full, false); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("key type change: %v, want ErrIncompatible", err)
	}
}

func TestVersionBytes(t *testing.T) {
	for _, v := range []int64{0, 1, 255, 1 << 40} {
		b := VersionBytes(v)
		got, err := ParseVersion(b)
		if len(b) != 8 || err != nil || got != v {
			t.Errorf("version %d: bytes %x, back %d, %v", v, b, got, err)
		}
	}
	if b := VersionBytes(NoVersion); len(b) != 0 {
		t.Errorf("NoVersion encodes as %x", b)
	}
	if v, err := ParseVersion(nil); err != nil || v != NoVersion {
		t.Errorf("empty version = %d, %v", v, err)
	}
	if _, err := ParseVersion([]byte{1, 2, 3}); err == nil {
		t.Error("3-byte version accepted")
	}
}

// TestProtoNativeFileOrder: the Go client lists a message's files in map order; the same
// message must not register a new version each time the order changes.
func TestProtoNativeFileOrder(t *testing.T) {
	a := protoNative(&apipb.Api{})
	var d protoNativeData
	if err := json.Unmarshal(a.Data, &d); err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(d.FileDescriptorSet, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.File) < 3 {
		t.Fatalf("api.proto came with %d files, want its imports too", len(set.File))
	}
	slices.Reverse(set.File)
	var err error
	if d.FileDescriptorSet, err = proto.Marshal(&set); err != nil {
		t.Fatal(err)
	}
	b := a
	if b.Data, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	if string(a.Data) == string(b.Data) {
		t.Fatal("reordering changed nothing")
	}
	r := newRegistry(t)
	if v := mustRegister(t, r, "t/ns/pn", a, Full); v != 0 {
		t.Fatalf("v = %d", v)
	}
	if v := mustRegister(t, r, "t/ns/pn", b, AlwaysIncompatible); v != 0 {
		t.Fatalf("same message, files reordered: v = %d, want 0", v)
	}
	// A changed file is a new definition (same root: compatible under FULL).
	c := protoNativeVariant(t, a)
	if v := mustRegister(t, r, "t/ns/pn", c, Full); v != 1 {
		t.Fatalf("changed file: v = %d, want 1", v)
	}
}
