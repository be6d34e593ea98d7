package standalone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/magnetar/magnetar/broker"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// TestPartitionedTopic: a partitioned topic's partitions each get messages, a consumer of
// the topic receives all of them, and the HTTP lookup reports the partition count.
func TestPartitionedTopic(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	name := uniqueTopic("parts")
	tn, _ := topicname.Parse(name)
	if err := in.srv.Resources.CreatePartitionedTopic(testContext(t), tn, resources.PartitionedTopicMetadata{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	c := in.client()
	parts, err := c.TopicPartitions(name)
	if err != nil || len(parts) != 3 {
		t.Fatalf("partitions = %v, %v; want 3", parts, err)
	}
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: name, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: name, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	ctx := testContext(t)
	for i := range n {
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Key: fmt.Sprintf("k%d", i), Payload: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	perPartition := map[string]int{}
	for _, m := range receiveN(t, cons, n, 10*time.Second) {
		perPartition[m.Topic()]++
		cons.Ack(m)
	}
	if len(perPartition) != 3 {
		t.Errorf("messages came from %d partitions: %v; want 3", len(perPartition), perPartition)
	}

	var body struct{ Partitions int }
	getJSON(t, in.srv.WebURL+"/admin/v2/persistent/public/default/"+name+"/partitions", &body)
	if body.Partitions != 3 {
		t.Errorf("HTTP partitions = %d; want 3", body.Partitions)
	}
}

// TestAutoCreatePartitioned: with allowAutoTopicCreationType=partitioned a new topic is
// created with defaultNumPartitions partitions.
func TestAutoCreatePartitioned(t *testing.T) {
	cfg := broker.DefaultConfig()
	cfg.AllowAutoTopicCreationType = "partitioned"
	cfg.DefaultNumPartitions = 2
	in := startStandalone(t, t.TempDir(), &cfg)
	c := in.client()
	name := uniqueTopic("autoparts")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: name})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	parts, err := c.TopicPartitions(name)
	if err != nil || len(parts) != 2 {
		t.Fatalf("partitions = %v, %v; want 2", parts, err)
	}
}

// TestAutoCreationDisabled: with allowAutoTopicCreation=false an unknown topic is refused.
func TestAutoCreationDisabled(t *testing.T) {
	cfg := broker.DefaultConfig()
	cfg.AllowAutoTopicCreation = false
	in := startStandalone(t, t.TempDir(), &cfg)
	c := in.client()
	_, err := c.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic("nope")})
	if err == nil || !strings.Contains(err.Error(), "TopicNotFound") {
		t.Fatalf("producer on a new topic: err = %v; want TopicNotFound", err)
	}
}

// TestTopicsOfNamespace: persistent topics (partitions included) are listed, not
// non-persistent ones; an unknown namespace has none.
func TestTopicsOfNamespace(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	names := []string{uniqueTopic("listed"), uniqueTopic("listed")}
	for _, n := range names {
		p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: n})
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	np, err := c.CreateProducer(pulsar.ProducerOptions{Topic: "non-persistent://public/default/" + uniqueTopic("hidden")})
	if err != nil {
		t.Fatal(err)
	}
	np.Close()
	var got []string
	getJSON(t, in.srv.WebURL+"/admin/v2/namespaces/public/default/topics", &got)
	want := []string{"persistent://public/default/" + names[0], "persistent://public/default/" + names[1]}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("topics = %v; want %v", got, want)
	}
	resp, err := http.Get(in.srv.WebURL + "/admin/v2/namespaces/public/nothing-here/topics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("topics of an unknown namespace over HTTP: status %d; want 404", resp.StatusCode)
	}
}

// TestRestartKeepsData: messages and subscription positions survive a clean restart.
func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	in := startStandalone(t, dir, nil)
	topic := uniqueTopic("restart")
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: in.url(), Logger: clientLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("m", 10)...)
	for _, m := range receiveN(t, cons, 4, 10*time.Second) {
		cons.Ack(m)
	}
	cons.Close()
	p.Close()
	c.Close()
	in.stop()

	in = startStandalone(t, dir, nil)
	c2 := in.client()
	cons2, err := c2.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons2.Close()
	for i, m := range receiveN(t, cons2, 6, 10*time.Second) {
		if want := fmt.Sprintf("m-%d", i+4); string(m.Payload()) != want {
			t.Fatalf("after restart got %q; want %q", m.Payload(), want)
		}
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestBacklogQuota: when a subscription's backlog passes the namespace's backlog quota
// (producer_request_hold), producers are closed and new ones refused.
func TestBacklogQuota(t *testing.T) {
	cfg := broker.DefaultConfig()
	cfg.BacklogQuotaCheckIntervalInSeconds = 1
	in := startStandalone(t, t.TempDir(), &cfg)
	ns := topicname.Namespace{Tenant: "public", Name: "default"}
	err := in.srv.Resources.UpdatePolicies(testContext(t), ns, func(p *resources.Policies) error {
		p.BacklogQuotaMap = map[resources.BacklogQuotaType]resources.BacklogQuota{
			resources.DestinationStorage: {LimitSize: 10 * 1024, LimitTime: -1, Policy: resources.ProducerRequestHold},
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := in.client()
	topic := uniqueTopic("quota")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "idle"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	noRetry := uint(0)
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true,
		SendTimeout: 2 * time.Second, MaxReconnectToBroker: &noRetry})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 20 {
		produce(t, p, &pulsar.ProducerMessage{Payload: make([]byte, 1024)})
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := p.Send(testContext(t), &pulsar.ProducerMessage{Payload: []byte("over")}); err == nil {
		t.Error("send over the quota succeeded")
	}
	_, err = c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err == nil || !strings.Contains(err.Error(), "ProducerBlockedQuotaExceededError") {
		t.Errorf("new producer over the quota: err = %v; want ProducerBlockedQuotaExceededError", err)
	}
}

// TestTerminate: terminating a topic through the admin API stops its producer with
// ErrTopicTerminated, and the topic refuses new producers.
func TestTerminate(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("terminate")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, SendTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errs := make(chan error, 1)
	go func() {
		for {
			if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: make([]byte, 100)}); err != nil {
				errs <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	resp, err := http.Post(in.srv.WebURL+"/admin/v2/persistent/public/default/"+topic+"/terminate", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("terminate: status %d", resp.StatusCode)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, pulsar.ErrTopicTerminated) && !errors.Is(err, pulsar.ErrProducerClosed) {
			t.Fatalf("send after terminate: %v; want ErrTopicTerminated", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("producer kept sending to a terminated topic")
	}
	_, err = c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err == nil || !strings.Contains(err.Error(), "TopicTerminatedError") {
		t.Fatalf("new producer on a terminated topic: err = %v", err)
	}
}
