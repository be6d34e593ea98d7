package resources

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"
)

func TestDynamicConfiguration(t *testing.T) {
	r := newBootstrapped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := r.DynamicConfiguration(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("DynamicConfiguration before any update = %v, %v; want empty", got, err)
	}
	// Concurrent writers of different keys lose nothing (compare-and-set).
	var wg sync.WaitGroup
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.UpdateDynamicConfiguration(ctx, func(m map[string]string) error { m[k] = "v-" + k; return nil }); err != nil {
				t.Errorf("update %s: %v", k, err)
			}
		}()
	}
	wg.Wait()
	want := map[string]string{}
	for _, k := range keys {
		want[k] = "v-" + k
	}
	if got, err = r.DynamicConfiguration(ctx); err != nil || !maps.Equal(got, want) {
		t.Fatalf("after updates = %v, %v; want %v", got, err, want)
	}
	if err := r.UpdateDynamicConfiguration(ctx, func(m map[string]string) error { delete(m, "a"); return nil }); err != nil {
		t.Fatal(err)
	}
	delete(want, "a")
	if got, _ = r.DynamicConfiguration(ctx); !maps.Equal(got, want) {
		t.Fatalf("after delete = %v; want %v", got, want)
	}
}

func TestSetDefaults(t *testing.T) {
	r := newBootstrapped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tp := topic("persistent://public/default/t")
	e, err := r.EffectivePolicies(ctx, tp)
	if err != nil || !e.AutoTopicCreation.AllowAutoTopicCreation {
		t.Fatalf("effective before = %+v, %v; want auto-creation allowed", e.AutoTopicCreation, err)
	}
	d := r.Defaults()
	d.AllowAutoTopicCreation = false
	d.MaxProducersPerTopic = 3
	r.SetDefaults(d)
	if e, _ = r.EffectivePolicies(ctx, tp); e.AutoTopicCreation.AllowAutoTopicCreation || e.MaxProducersPerTopic != 3 {
		t.Fatalf("effective after SetDefaults: auto-creation %v, max producers %d; want false, 3",
			e.AutoTopicCreation.AllowAutoTopicCreation, e.MaxProducersPerTopic)
	}
}
