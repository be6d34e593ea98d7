package admin

import (
	"context"
	"net/http"
	"slices"
	"testing"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func TestTopicPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tp := e.admin.Topics()
	name := topicName(t, "persistent://public/default/pol")
	noErr(t, "Create", tp.Create(name, 4))
	local, err := pa.TopicPoliciesOf(e.admin, false)
	noErr(t, "TopicPoliciesOf", err)

	// Unset: nil at topic level, broker/namespace values when applied.
	if v, err := local.GetMessageTTL(ctx, name, false); err != nil || v != nil {
		t.Fatalf("unset TTL = %v, %v", v, err)
	}
	if v, err := tp.GetMessageTTL(name); err != nil || v != -1 {
		t.Fatalf("legacy unset TTL = %d, %v", v, err)
	}
	noErr(t, "namespace TTL", e.admin.Namespaces().SetNamespaceMessageTTL("public/default", 300))
	if v, err := local.GetMessageTTL(ctx, name, true); err != nil || v == nil || *v != 300 {
		t.Fatalf("applied TTL from the namespace = %v, %v", v, err)
	}
	// pulsaradmin sets the topic TTL as a query parameter.
	noErr(t, "SetMessageTTL", tp.SetMessageTTL(name, 60))
	if v, _ := tp.GetMessageTTL(name); v != 60 {
		t.Fatalf("topic TTL = %d", v)
	}
	if v, _ := local.GetMessageTTL(ctx, name, true); v == nil || *v != 60 {
		t.Fatalf("applied TTL = %v (topic over namespace)", v)
	}
	noErr(t, "RemoveMessageTTL", tp.RemoveMessageTTL(name))
	if v, _ := local.GetMessageTTL(ctx, name, false); v != nil {
		t.Fatalf("TTL after remove = %v", *v)
	}

	noErr(t, "SetMaxProducers", tp.SetMaxProducers(name, 2))
	if v, err := tp.GetMaxProducers(name); err != nil || v != 2 {
		t.Fatalf("max producers = %d, %v", v, err)
	}
	restErr(t, "negative max consumers", tp.SetMaxConsumers(name, -1), http.StatusPreconditionFailed, "maxConsumers must be 0 or more")
	if v, _ := local.GetMaxConsumers(ctx, name, true); v == nil || *v != 0 {
		t.Fatalf("applied max consumers = %v (broker default 0)", v)
	}

	noErr(t, "SetRetention", tp.SetRetention(name, utils.RetentionPolicies{RetentionTimeInMinutes: 10, RetentionSizeInMB: 20}))
	if r, err := tp.GetRetention(name, false); err != nil || r == nil || r.RetentionSizeInMB != 20 {
		t.Fatalf("retention = %+v, %v", r, err)
	}
	noErr(t, "SetDelayedDelivery", tp.SetDelayedDelivery(name, utils.DelayedDeliveryData{Active: true, TickTime: 1000, MaxDelayInMillis: 60000}))
	dd, err := tp.GetDelayedDelivery(name)
	if err != nil || dd == nil || !dd.Active || dd.TickTime != 1000 || dd.MaxDelayInMillis != 60000 {
		t.Fatalf("delayed delivery = %+v, %v", dd, err)
	}
	noErr(t, "RemoveDelayedDelivery", tp.RemoveDelayedDelivery(name))
	if dd, _ := tp.GetDelayedDelivery(name); dd != nil {
		t.Fatalf("delayed delivery after remove = %+v", dd)
	}

	// Schema strategy: applied falls back to the broker's FULL while unset.
	if s, err := tp.GetSchemaCompatibilityStrategyApplied(name, true); err != nil || s != utils.SchemaCompatibilityStrategyFull {
		t.Fatalf("applied strategy = %s, %v", s, err)
	}
	noErr(t, "SetSchemaCompatibilityStrategy", tp.SetSchemaCompatibilityStrategy(name, utils.SchemaCompatibilityStrategyBackward))
	if s, _ := tp.GetSchemaCompatibilityStrategyApplied(name, true); s != utils.SchemaCompatibilityStrategyBackward {
		t.Fatalf("strategy = %s", s)
	}

	noErr(t, "SetBacklogQuota", tp.SetBacklogQuota(name, utils.NewBacklogQuota(1<<20, -1, utils.ProducerException), utils.DestinationStorage))
	m, err := tp.GetBacklogQuotaMap(name, false)
	if err != nil || m[utils.DestinationStorage].Policy != utils.ProducerException {
		t.Fatalf("quota map = %+v, %v", m, err)
	}
	noErr(t, "SetPublishRate", tp.SetPublishRate(name, utils.PublishRateData{PublishThrottlingRateInMsg: 1, PublishThrottlingRateInByte: 1000}))
	noErr(t, "SetReplicationClusters", tp.SetReplicationClusters(name, []string{"standalone"}))
	if c, err := tp.GetReplicationClusters(name); err != nil || !slices.Equal(c, []string{"standalone"}) {
		t.Fatalf("replication = %v, %v", c, err)
	}

	// What the broker sees: topic over namespace over broker defaults, for a partition too.
	eff, err := e.res.EffectivePolicies(e.ctx(), mustTopic(t, "persistent://public/default/pol-partition-3"))
	noErr(t, "EffectivePolicies", err)
	if eff.MessageTTLSeconds != 300 || eff.MaxProducersPerTopic != 2 || eff.Retention.RetentionSizeInMB != 20 ||
		eff.PublishRate == nil || eff.PublishRate.PublishThrottlingRateInMsg != 1 ||
		eff.BacklogQuotas["destination_storage"].LimitSize != 1<<20 {
		t.Fatalf("effective = %+v", eff)
	}

	ghost := topicName(t, "persistent://public/default/ghost")
	restErr(t, "policy of a missing topic", tp.SetMaxProducers(ghost, 1), 404, "Topic not found")
	restErr(t, "policy of a partition", tp.SetMaxProducers(topicName(t, "persistent://public/default/pol-partition-1"), 1), 412, "")
	// Deleting the topic deletes its policies.
	noErr(t, "Delete", tp.Delete(name, true, false))
	noErr(t, "Create again", tp.Create(name, 1))
	if v, _ := tp.GetMaxProducers(name); v != -1 {
		t.Fatalf("max producers of the re-created topic = %d", v)
	}
}
