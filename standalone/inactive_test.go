package standalone

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/broker"
)

// startInactiveEnv runs standalone with the inactivity monitor every second and the
// broker's own maximum inactive time at 1 s.
func startInactiveEnv(t *testing.T) *policyEnv {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.BrokerDeleteInactiveTopicsFrequencySeconds = 1
	cfg.BrokerDeleteInactiveTopicsMaxInactiveDurationSeconds = 1
	return startPolicyEnvWith(t, &cfg)
}

// listed reports which of topics the namespace public/default lists.
func (e *policyEnv) listed(t *testing.T, topics ...string) map[string]bool {
	t.Helper()
	var all []string
	getJSON(t, e.in.srv.WebURL+"/admin/v2/namespaces/public/default/topics", &all)
	list := strings.Join(all, " ")
	out := map[string]bool{}
	for _, tp := range topics {
		out[tp] = strings.Contains(list, tp)
	}
	return out
}

// publishOnce creates a topic with one message and closes its producer.
func (e *policyEnv) publishOnce(t *testing.T, topic string) {
	t.Helper()
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("x")})
	p.Close()
}

// TestInactiveTopicDeleted: a topic without producers and subscriptions is deleted after
// brokerDeleteInactiveTopicsMaxInactiveDurationSeconds, with its schema; one with a
// subscription is kept.
func TestInactiveTopicDeleted(t *testing.T) {
	e := startInactiveEnv(t)
	gone, kept := uniqueTopic("inactive"), uniqueTopic("kept")
	p, err := e.client.CreateProducer(pulsar.ProducerOptions{Topic: gone, Schema: pulsar.NewStringSchema(nil)})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, &pulsar.ProducerMessage{Value: "x"})
	p.Close()
	schemaURL := e.in.srv.WebURL + "/admin/v2/schemas/public/default/" + gone + "/schema"
	if code := httpStatus(t, schemaURL); code != http.StatusOK {
		t.Fatalf("GET the new topic's schema: status %d, want 200", code)
	}
	e.publishOnce(t, kept)
	cons, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: kept, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	cons.Close()
	waitFor(t, 10*time.Second, "the inactive topic deleted, the subscribed one kept", func() (bool, string) {
		l := e.listed(t, gone, kept)
		if !l[kept] {
			t.Fatalf("topic with a subscription was deleted")
		}
		return !l[gone], "inactive topic still listed"
	})
	if code := httpStatus(t, schemaURL); code != http.StatusNotFound {
		t.Errorf("GET the deleted topic's schema: status %d, want 404 (deleted with the topic)", code)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestInactiveTopicPolicies: the namespace's and the topic's inactive-topic policies
// override the broker's settings, as in Pulsar: deleteWhileInactive=false keeps a topic,
// and delete_when_subscriptions_caught_up deletes a topic whose subscriptions have no
// backlog but keeps one with a backlog.
func TestInactiveTopicPolicies(t *testing.T) {
	e := startInactiveEnv(t)
	ns := e.namespace(t) // deleteWhileInactive=false there
	e.post(t, "/admin/v2/namespaces/"+ns+"/inactiveTopicPolicies",
		`{"inactiveTopicDeleteMode":"delete_when_no_subscriptions","maxInactiveDurationSeconds":1,"deleteWhileInactive":false}`)
	keptByNS := "persistent://" + ns + "/" + uniqueTopic("ns-keeps")
	e.publishOnce(t, keptByNS)

	caughtUp, backlogged := uniqueTopic("caught-up"), uniqueTopic("backlogged")
	for _, tp := range []string{caughtUp, backlogged} {
		cons, err := e.client.Subscribe(pulsar.ConsumerOptions{Topic: tp, SubscriptionName: "s"})
		if err != nil {
			t.Fatal(err)
		}
		e.publishOnce(t, tp)
		if tp == caughtUp {
			for _, m := range receiveN(t, cons, 1, 10*time.Second) {
				if err := cons.Ack(m); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 10*time.Second, "the ack stored", func() (bool, string) {
				st := e.stats(t, tp)
				return st.Subscriptions["s"].MsgBacklog == 0, "backlog not 0 yet"
			})
		}
		cons.Close()
		e.post(t, "/admin/v2/persistent/public/default/"+tp+"/inactiveTopicPolicies",
			`{"inactiveTopicDeleteMode":"delete_when_subscriptions_caught_up","maxInactiveDurationSeconds":1,"deleteWhileInactive":true}`)
	}

	waitFor(t, 15*time.Second, "the caught-up topic deleted", func() (bool, string) {
		l := e.listed(t, caughtUp, backlogged)
		if !l[backlogged] {
			t.Fatalf("a topic whose subscription has a backlog was deleted")
		}
		return !l[caughtUp], "caught-up topic still listed"
	})
	time.Sleep(2500 * time.Millisecond) // two more monitor rounds past the 1 s limit
	if l := e.listed(t, backlogged); !l[backlogged] {
		t.Errorf("a topic whose subscription has a backlog was deleted")
	}
	var nsTopics []string
	getJSON(t, e.in.srv.WebURL+"/admin/v2/namespaces/"+ns+"/topics", &nsTopics)
	if !strings.Contains(strings.Join(nsTopics, " "), keptByNS) {
		t.Errorf("topic of a namespace with deleteWhileInactive=false was deleted: %v", nsTopics)
	}
}
