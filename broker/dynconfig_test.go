package broker

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/resources"
)

func TestWithOverrides(t *testing.T) {
	base := DefaultConfig()
	tests := []struct {
		name      string
		overrides map[string]string
		check     func(c *Config, d resources.Defaults) bool
		wantErr   string
	}{
		{name: "boolean", overrides: map[string]string{"allowAutoTopicCreation": "false"},
			check: func(c *Config, d resources.Defaults) bool {
				return !c.AllowAutoTopicCreation && !d.AllowAutoTopicCreation
			}},
		{name: "boolean as Java reads it: anything but true is false",
			overrides: map[string]string{"allowAutoSubscriptionCreation": `{"key/123":"https://example.com/"}`},
			check:     func(c *Config, d resources.Defaults) bool { return !c.AllowAutoSubscriptionCreation }},
		{name: "TRUE", overrides: map[string]string{"allowAutoSubscriptionCreation": "TRUE"},
			check: func(c *Config, d resources.Defaults) bool { return c.AllowAutoSubscriptionCreation }},
		{name: "integer", overrides: map[string]string{"dispatcherMaxReadBatchSize": "7"},
			check: func(c *Config, d resources.Defaults) bool { return c.DispatcherMaxReadBatchSize == 7 }},
		{name: "policy default only", overrides: map[string]string{"maxNumPartitionsPerPartitionedTopic": "3"},
			check: func(c *Config, d resources.Defaults) bool { return d.MaxNumPartitionsPerPartitionedTopic == 3 }},
		{name: "dynamic key Magnetar has no setting for", overrides: map[string]string{"maxTenants": "5"},
			check: func(c *Config, d resources.Defaults) bool { return true }},
		{name: "non-dynamic key is ignored", overrides: map[string]string{"maxMessageSize": "1"},
			check: func(c *Config, d resources.Defaults) bool { return c.MaxMessageSize == base.MaxMessageSize }},
		{name: "not an integer", overrides: map[string]string{"dispatcherMaxReadBatchSize": "many"}, wantErr: "dispatcherMaxReadBatchSize"},
		{name: "bad topic type", overrides: map[string]string{"allowAutoTopicCreationType": "sharded"}, wantErr: "allowAutoTopicCreationType"},
		{name: "bad delete mode", overrides: map[string]string{"brokerDeleteInactiveTopicsMode": "never"}, wantErr: "brokerDeleteInactiveTopicsMode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := withOverrides(&base, tt.overrides)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(&c, c.ResourceDefaults()) {
				t.Fatalf("overrides %v not applied as expected", tt.overrides)
			}
		})
	}
	if !slices.IsSorted(pulsarDynamicKeys) {
		t.Fatal("pulsarDynamicKeys must be sorted (binary search)")
	}
	for _, k := range appliedLive {
		if !isDynamicKey(k) {
			t.Errorf("appliedLive key %s is not one of Pulsar's dynamic keys", k)
		}
	}
}

// TestDynamicConfigurationApplies changes allowAutoTopicCreation at run time: a producer
// on a new topic is refused while it is false and accepted after the override is deleted;
// the override is stored in the metadata store.
func TestDynamicConfigurationApplies(t *testing.T) {
	tb := startBroker(t, nil)
	api := tb.AdminAPI()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := tb.client(t)

	if err := api.UpdateDynamicConfig(ctx, "allowAutoTopicCreation", "false"); err != nil {
		t.Fatal(err)
	}
	values, err := api.DynamicConfigValues(ctx)
	if err != nil || !maps.Equal(values, map[string]string{"allowAutoTopicCreation": "false"}) {
		t.Fatalf("stored values = %v, %v", values, err)
	}
	if got := api.RuntimeConfig()["allowAutoTopicCreation"]; got != "false" {
		t.Fatalf("runtime allowAutoTopicCreation = %q; want false", got)
	}
	_, err = client.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/default/dyn-refused", SendTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "TopicNotFound") {
		t.Fatalf("producer on a new topic with auto-creation off: err = %v; want TopicNotFound", err)
	}

	if err := api.DeleteDynamicConfig(ctx, "allowAutoTopicCreation"); err != nil {
		t.Fatal(err)
	}
	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/default/dyn-accepted"})
	if err != nil {
		t.Fatalf("producer after the override was deleted: %v", err)
	}
	p.Close()

	var re *resources.Error
	if err := api.UpdateDynamicConfig(ctx, "clusterName", "x"); !errors.As(err, &re) || re.Kind != resources.ErrInvalid {
		t.Fatalf("update of a non-dynamic key: %v; want ErrInvalid", err)
	}
	if err := api.UpdateDynamicConfig(ctx, "dispatcherMaxReadBatchSize", "lots"); !errors.As(err, &re) || re.Kind != resources.ErrInvalid {
		t.Fatalf("update with a bad integer: %v; want ErrInvalid", err)
	}
	if values, _ := api.DynamicConfigValues(ctx); len(values) != 0 {
		t.Fatalf("refused updates were stored: %v", values)
	}
}

// TestDynamicConfigurationFromAnotherBroker: an override written to the metadata store
// by someone else (another broker's admin API) reaches this broker through its watch.
func TestDynamicConfigurationFromAnotherBroker(t *testing.T) {
	tb := startBroker(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := tb.res.UpdateDynamicConfiguration(ctx, func(m map[string]string) error {
		m["dispatcherMaxReadBatchSize"] = "3"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for tb.liveConfig().DispatcherMaxReadBatchSize != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("dispatcherMaxReadBatchSize = %d after 5s; want 3", tb.liveConfig().DispatcherMaxReadBatchSize)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
