package standalone

import (
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestSubscriptionRates: a subscription's and its consumer's msgRateOut and
// msgThroughputOut in topic stats measure what was delivered since the previous stats
// request, and fall to 0 when nothing is.
func TestSubscriptionRates(t *testing.T) {
	e := startPolicyEnv(t)
	topic := "persistent://public/default/" + uniqueTopic("rates")
	c, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.stats(t, topic) // starts the interval
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
}
