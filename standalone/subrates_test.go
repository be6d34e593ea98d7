package standalone

import (
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestSubscriptionRates: a subscription's and its consumer's msgRateOut and
// msgThroughputOut in topic stats measure what was delivered since the previous stats
// request, and fall to 0 when nothing is; /metrics has its own window.
func TestSubscriptionRates(t *testing.T) {
	e := startPolicyEnv(t)
	topic := "persistent://public/default/" + uniqueTopic("rates")
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared,
		NackRedeliveryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.stats(t, topic)                 // starts the admin stats' interval
	e.in.srv.Broker.MetricsSnapshot() // and the /metrics one, which is apart
	e.produce(t, topic, "m", 50, 100)
	for _, m := range receiveN(t, c, 50, 10*time.Second) {
		if err := c.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	st := e.stats(t, topic).Subscriptions["s"]
	if st.MsgRateOut <= 0 || st.MsgThroughputOut < 100*st.MsgRateOut {
		t.Errorf("subscription msgRateOut %v, msgThroughputOut %v: want > 0, with 100+ bytes a message", st.MsgRateOut, st.MsgThroughputOut)
	}
	if len(st.Consumers) != 1 || st.Consumers[0].MsgRateOut <= 0 || st.Consumers[0].MsgThroughputOut <= 0 {
		t.Errorf("consumer stats %+v: want a positive msgRateOut and msgThroughputOut", st.Consumers)
	}
	if st := e.stats(t, topic).Subscriptions["s"]; st.MsgRateOut != 0 {
		t.Errorf("nothing delivered since the last stats: msgRateOut %v, want 0", st.MsgRateOut)
	}
	// /metrics: pulsar_subscription_msg_rate_out and _msg_throughput_out over the time
	// since the previous scrape, untouched by the admin stats requests in between.
	var found bool
	for _, m := range e.in.srv.Broker.MetricsSnapshot().Topics {
		for _, sm := range m.Subscriptions {
			if m.Name != topic || sm.Name != "s" {
				continue
			}
			found = true
			if sm.MsgRateOut <= 0 || sm.ThroughputOut < 100*sm.MsgRateOut || sm.OutMessagesTotal != 50 || sm.LastAckedMs == 0 {
				t.Errorf("scraped subscription: rate out %v, throughput %v, out %d, last acked %d; want rates > 0, 50 out, an ack time",
					sm.MsgRateOut, sm.ThroughputOut, sm.OutMessagesTotal, sm.LastAckedMs)
			}
		}
	}
	if !found {
		t.Errorf("subscription s of %s not in the metrics snapshot", topic)
	}

	// Negative acks: msgRateRedeliver counts the messages given back, in both windows.
	e.produce(t, topic, "n", 10, 10)
	for _, m := range receiveN(t, c, 10, 10*time.Second) {
		c.Nack(m)
	}
	for _, m := range receiveN(t, c, 10, 10*time.Second) { // redelivered after the nack delay
		if err := c.Ack(m); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.stats(t, topic).Subscriptions["s"]; st.MsgRateRedeliver <= 0 {
		t.Errorf("after 10 nacked messages: msgRateRedeliver %v, want > 0", st.MsgRateRedeliver)
	}
	for _, m := range e.in.srv.Broker.MetricsSnapshot().Topics {
		for _, sm := range m.Subscriptions {
			if m.Name == topic && sm.Name == "s" && sm.RateRedeliver <= 0 {
				t.Errorf("after 10 nacked messages: scraped rate redeliver %v, want > 0", sm.RateRedeliver)
			}
		}
	}
}
