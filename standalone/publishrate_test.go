package standalone

import (
	"context"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// TestPublishRate: a namespace's and a topic's publish-rate policies (pulsar-admin
// namespaces set-publish-rate, topics set-publish-rate) hold producers to the rate: the
// broker stops reading from a producer's connection while the topic is over it, and
// counts those times in the topic stats' publishRateLimitedTimes.
func TestPublishRate(t *testing.T) {
	e := startPolicyEnv(t)
	ns := e.namespace(t)
	// 20 msg/s over the namespace, set before its topics load.
	e.post(t, "/admin/v2/namespaces/"+ns+"/publishRate", `{"publishThrottlingRateInMsg":20,"publishThrottlingRateInByte":-1}`)
	byNS := "persistent://" + ns + "/" + uniqueTopic("rate-ns")

	// 5 KB/s on one topic of public/default, set on the topic once it exists.
	byTopic := "persistent://public/default/" + uniqueTopic("rate-topic")
	e.publishOnce(t, byTopic)
	e.post(t, "/admin/v2/persistent/public/default/"+topicLocal(byTopic)+"/publishRate",
		`{"publishThrottlingRateInMsg":-1,"publishThrottlingRateInByte":5000}`)
	time.Sleep(500 * time.Millisecond) // the loaded topic picks its policies up through a watch

	tests := []struct {
		topic   string
		n, size int
		atLeast time.Duration // what the rate allows beyond a full first second's bucket
	}{
		{byNS, 60, 10, 1900 * time.Millisecond},      // 20 at once, then 40 at 20/s
		{byTopic, 20, 1000, 2900 * time.Millisecond}, // 5 KB at once, then 15 KB at 5 KB/s
	}
	for _, tt := range tests {
		p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: tt.topic, DisableBatching: true})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i := range tt.n {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: make([]byte, tt.size)})
			cancel()
			if err != nil {
				t.Fatalf("%s: send %d: %v", tt.topic, i, err)
			}
		}
		took := time.Since(start)
		p.Close()
		if took < tt.atLeast {
			t.Errorf("%s: %d sends of %d bytes took %v; the publish rate allows no less than %v", tt.topic, tt.n, tt.size, took, tt.atLeast)
		}
		var st struct {
			PublishRateLimitedTimes int64 `json:"publishRateLimitedTimes"`
			MsgInCounter            int64 `json:"msgInCounter"`
		}
		getJSON(t, e.in.srv.WebURL+"/admin/v2/persistent/"+tt.topic[len("persistent://"):]+"/stats", &st)
		if st.PublishRateLimitedTimes == 0 || st.MsgInCounter < int64(tt.n) {
			t.Errorf("%s: stats publishRateLimitedTimes %d, msgInCounter %d; want > 0 and >= %d", tt.topic,
				st.PublishRateLimitedTimes, st.MsgInCounter, tt.n)
		}
	}
}

// topicLocal is the local name of a full topic name.
func topicLocal(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '/' {
			return full[i+1:]
		}
	}
	return full
}
