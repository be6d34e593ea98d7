package standalone

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestSchemas: a producer's schema is registered and consumers decode with it, through
// the binary lookup and through HTTP lookup (which fetches schemas over REST); an
// incompatible schema is refused.
func TestSchemas(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	for _, url := range []string{in.url(), in.srv.WebURL} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			c, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, OperationTimeout: 5 * time.Second, Logger: clientLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			topic := uniqueTopic("schema")
			cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Schema: pulsar.NewStringSchema(nil)})
			if err != nil {
				t.Fatal(err)
			}
			defer cons.Close()
			p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewStringSchema(nil)})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			produce(t, p, &pulsar.ProducerMessage{Value: "hello"})
			m := receiveN(t, cons, 1, 10*time.Second)[0]
			if len(m.SchemaVersion()) != 8 {
				t.Errorf("schema version %v; want 8 bytes", m.SchemaVersion())
			}
			var s *string
			if err := m.GetSchemaValue(&s); err != nil {
				t.Fatalf("decode with the topic's schema: %v", err)
			}
			if *s != "hello" {
				t.Errorf("decoded %q", *s)
			}
			_, err = c.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewInt64Schema(nil)})
			if err == nil || !strings.Contains(err.Error(), "IncompatibleSchema") {
				t.Errorf("INT64 producer on a STRING topic: err = %v; want IncompatibleSchema", err)
			}
		})
	}
}
