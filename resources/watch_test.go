package resources

import (
	"context"
	"testing"
	"time"
)

func TestWatchPolicies(t *testing.T) {
	r := newBootstrapped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes, err := r.WatchPolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ttl := 5
	tp := topic("persistent://public/default/w t")
	steps := []func() error{
		func() error {
			return r.UpdatePolicies(ctx, ns("public/default"), func(p *Policies) error { p.MessageTTLInSeconds = &ttl; return nil })
		},
		func() error {
			return r.UpdateTopicPolicies(ctx, tp, func(p *TopicPolicies) error { p.MessageTTLInSeconds = &ttl; return nil })
		},
		func() error { return r.CreatePartitionedTopic(ctx, tp, PartitionedTopicMetadata{Partitions: 2}) },
		func() error { return r.DeletePartitionedTopic(ctx, tp) }, // also deletes the topic policies
		func() error {
			return r.UpdateTenant(ctx, "public", TenantInfo{AllowedClusters: []string{"standalone"}})
		}, // not a policy change
		func() error { return r.DeleteNamespace(ctx, ns("public/functions"), false) },
		func() error {
			return r.UpdateDynamicConfiguration(ctx, func(m map[string]string) error { m["allowAutoTopicCreation"] = "false"; return nil })
		},
	}
	want := []Change{
		{Kind: NamespacePoliciesChanged, Namespace: ns("public/default")},
		{Kind: TopicPoliciesChanged, Namespace: ns("public/default"), Topic: tp},
		{Kind: PartitionedTopicChanged, Namespace: ns("public/default"), Topic: tp},
		{Kind: PartitionedTopicChanged, Namespace: ns("public/default"), Topic: tp, Deleted: true},
		{Kind: TopicPoliciesChanged, Namespace: ns("public/default"), Topic: tp, Deleted: true},
		{Kind: NamespacePoliciesChanged, Namespace: ns("public/functions"), Deleted: true},
		{Kind: DynamicConfigChanged},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	for i, w := range want {
		select {
		case got := <-changes:
			if got != w {
				t.Fatalf("change %d = %+v, want %+v", i, got, w)
			}
		case <-ctx.Done():
			t.Fatalf("change %d (%+v) never came", i, w)
		}
	}
	select {
	case extra := <-changes:
		t.Fatalf("unexpected change %+v", extra)
	case <-time.After(100 * time.Millisecond):
	}
}
