package admin

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

func topicName(t *testing.T, s string) utils.TopicName {
	t.Helper()
	n, err := utils.GetTopicName(s)
	if err != nil {
		t.Fatal(err)
	}
	return *n
}

func TestPartitionedTopics(t *testing.T) {
	e := newEnv(t)
	tp := e.admin.Topics()
	orders := topicName(t, "persistent://public/default/orders")
	// pulsaradmin sends {"properties":...,"partitions":3} as application/vnd.partitioned-topic-metadata+json.
	noErr(t, "Create", tp.CreateWithProperties(orders, 3, map[string]string{"team": "a"}))
	if got := e.broker.Calls(); !slices.Equal(got, []string{
		"CreateTopic persistent://public/default/orders-partition-0",
		"CreateTopic persistent://public/default/orders-partition-1",
		"CreateTopic persistent://public/default/orders-partition-2"}) {
		t.Fatalf("partitions created on the broker: %v", got)
	}
	m, err := tp.GetMetadata(orders)
	if err != nil || m.Partitions != 3 {
		t.Fatalf("GetMetadata = %+v, %v", m, err)
	}
	restErr(t, "create again", tp.Create(orders, 3), http.StatusConflict, "Partitioned topic already exists")
	// The bare-int body Pulsar's raw helpers send.
	if r := e.do("PUT", "/admin/v2/persistent/public/default/raw/partitions", "5"); r.code != 204 {
		t.Fatalf("bare int body: %d %s", r.code, r.body)
	}
	noErr(t, "Update", tp.Update(orders, 5))
	if m, _ := tp.GetMetadata(orders); m.Partitions != 5 {
		t.Fatalf("after update: %+v", m)
	}
	restErr(t, "shrink", tp.Update(orders, 2), http.StatusPreconditionFailed, "")
	props, err := tp.GetProperties(orders)
	if err != nil || props["team"] != "a" {
		t.Fatalf("properties = %v, %v", props, err)
	}
	// A topic that is not partitioned has metadata {partitions: 0}.
	if m, err := tp.GetMetadata(topicName(t, "persistent://public/default/nope")); err != nil || m.Partitions != 0 {
		t.Fatalf("metadata of a non-partitioned topic = %+v, %v", m, err)
	}
	partitioned, nonPartitioned, err := tp.List(mustNS(t, "public/default"))
	noErr(t, "List", err)
	if !slices.Equal(partitioned, []string{"persistent://public/default/orders", "persistent://public/default/raw"}) {
		t.Fatalf("partitioned = %v", partitioned)
	}
	if len(nonPartitioned) != 10 || !slices.Contains(nonPartitioned, "persistent://public/default/orders-partition-4") {
		t.Fatalf("non-partitioned (partitions) = %v", nonPartitioned)
	}
	// Deleting with a busy partition needs force.
	e.broker.mu.Lock()
	e.broker.topics["persistent://public/default/orders-partition-1"].busy = true
	e.broker.mu.Unlock()
	e.broker.Calls()
	restErr(t, "delete busy", tp.Delete(orders, false, false), http.StatusPreconditionFailed, "Topic has active producers/subscriptions")
	noErr(t, "force delete", tp.Delete(orders, true, false))
	if m, _ := tp.GetMetadata(orders); m.Partitions != 0 {
		t.Fatalf("metadata after delete: %+v", m)
	}
	topics, _ := e.admin.Namespaces().GetTopics("public/default")
	for _, s := range topics {
		if s == "persistent://public/default/orders-partition-0" {
			t.Fatalf("partition still listed: %v", topics)
		}
	}
	restErr(t, "delete missing", tp.Delete(orders, false, false), http.StatusNotFound, "")
}

func TestNonPartitionedTopics(t *testing.T) {
	e := newEnv(t)
	tp := e.admin.Topics()
	name := topicName(t, "persistent://public/default/plain")
	noErr(t, "Create", tp.CreateWithProperties(name, 0, map[string]string{"key1": "value1"}))
	topics, err := e.admin.Namespaces().GetTopics("public/default")
	if err != nil || !slices.Equal(topics, []string{"persistent://public/default/plain"}) {
		t.Fatalf("GetTopics = %v, %v", topics, err)
	}
	restErr(t, "create again", tp.Create(name, 0), http.StatusConflict, "This topic already exists")
	restErr(t, "partitioned over it", tp.Create(name, 2), http.StatusConflict, "This topic already exists")

	// Properties, as the official client's internalTestTopicsProperties checks them.
	check := func(want map[string]string) {
		t.Helper()
		got, err := tp.GetProperties(name)
		noErr(t, "GetProperties", err)
		if len(got) != len(want) {
			t.Fatalf("properties = %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("properties = %v, want %v", got, want)
			}
		}
	}
	check(map[string]string{"key1": "value1"})
	noErr(t, "UpdateProperties", tp.UpdateProperties(name, map[string]string{"key1": "value1-updated", "key2": "value2"}))
	noErr(t, "UpdateProperties", tp.UpdateProperties(name, map[string]string{"key3": "value3"}))
	check(map[string]string{"key1": "value1-updated", "key2": "value2", "key3": "value3"})
	noErr(t, "RemoveProperty", tp.RemoveProperty(name, "key1"))
	check(map[string]string{"key2": "value2", "key3": "value3"})
	restErr(t, "properties of a missing topic", func() error {
		_, err := tp.GetProperties(topicName(t, "persistent://public/default/ghost"))
		return err
	}(), http.StatusNotFound, "Topic not found")

	id, err := tp.GetLastMessageID(name)
	if err != nil || id.LedgerID != 3 || id.EntryID != 9 {
		t.Fatalf("GetLastMessageID = %+v, %v", id, err)
	}
	id, err = tp.GetMessageID(name, 1234)
	if err != nil || id.EntryID != 4 {
		t.Fatalf("GetMessageID = %+v, %v", id, err)
	}
	noErr(t, "Unload", tp.Unload(name))
	tid, err := tp.Terminate(name)
	if err != nil || tid.LedgerID != 3 {
		t.Fatalf("Terminate = %+v, %v", tid, err)
	}
	is, err := tp.GetInternalStats(name)
	if err != nil || is.State != "LedgerOpened" || is.LastConfirmedEntry != "3:9" || len(is.Ledgers) != 1 {
		t.Fatalf("GetInternalStats = %+v, %v", is, err)
	}
	calls := e.broker.Calls()
	for _, want := range []string{"Unload persistent://public/default/plain", "Terminate persistent://public/default/plain"} {
		if !slices.Contains(calls, want) {
			t.Fatalf("broker calls %v lack %q", calls, want)
		}
	}
	noErr(t, "Delete", tp.Delete(name, false, true))
	if topics, _ := e.admin.Namespaces().GetTopics("public/default"); len(topics) != 0 {
		t.Fatalf("topics after delete = %v", topics)
	}
	// The deleted topic's properties went with it: a new topic of that name starts clean.
	noErr(t, "Create again", tp.Create(name, 0))
	check(map[string]string{})
	restErr(t, "create in missing namespace", tp.Create(topicName(t, "persistent://public/nope/x"), 0), 404, "Namespace does not exist")
	restErr(t, "stats of missing topic", func() error {
		_, err := tp.GetStats(topicName(t, "persistent://public/default/ghost"))
		return err
	}(), 404, "Topic not found")
}

func TestStats(t *testing.T) {
	e := newEnv(t)
	tp := e.admin.Topics()
	noErr(t, "Create", tp.Create(topicName(t, "persistent://public/default/s"), 2))
	for i, rate := range []float64{10, 5} {
		part := e.broker.topics["persistent://public/default/s-partition-"+string(rune('0'+i))]
		part.stats = &TopicStats{
			MsgRateIn: rate, MsgInCounter: int64(i + 1), BytesInCounter: 100, StorageSize: 1000,
			Publishers: []PublisherStats{{ProducerName: "p" + string(rune('0'+i)), AccessMode: "Shared", Address: "/127.0.0.1:1"}},
			Subscriptions: map[string]SubscriptionStats{"sub": {
				MsgBacklog: 7, Type: "Shared", IsDurable: true,
				Consumers: []ConsumerStats{{ConsumerName: "c" + string(rune('0'+i)), AvailablePermits: 100}},
			}},
			LastPublishTimeStamp: int64(1000 + i),
		}
	}
	st, err := tp.GetStats(topicName(t, "persistent://public/default/s-partition-0"))
	noErr(t, "GetStats", err)
	if st.MsgRateIn != 10 || len(st.Publishers) != 1 || st.Publishers[0].ProducerName != "p0" ||
		st.Subscriptions["sub"].MsgBacklog != 7 || !st.Subscriptions["sub"].IsDurable || st.LastPublishTimestamp != 1000 {
		t.Fatalf("GetStats = %+v", st)
	}
	trimmed, err := tp.GetStatsWithOption(topicName(t, "persistent://public/default/s-partition-0"),
		utils.GetStatsOptions{ExcludePublishers: true, ExcludeConsumers: true})
	noErr(t, "GetStatsWithOption", err)
	if len(trimmed.Publishers) != 0 || len(trimmed.Subscriptions["sub"].Consumers) != 0 || trimmed.Subscriptions["sub"].MsgBacklog != 7 {
		t.Fatalf("trimmed stats = %+v", trimmed)
	}
	ps, err := tp.GetPartitionedStats(topicName(t, "persistent://public/default/s"), true)
	noErr(t, "GetPartitionedStats", err)
	if ps.Metadata.Partitions != 2 || ps.MsgRateIn != 15 || len(ps.Publishers) != 2 || ps.StorageSize != 2000 ||
		ps.Subscriptions["sub"].MsgBacklog != 14 || len(ps.Subscriptions["sub"].Consumers) != 2 || len(ps.Partitions) != 2 ||
		ps.Partitions["persistent://public/default/s-partition-1"].MsgRateIn != 5 || ps.LastPublishTimestamp != 1001 {
		t.Fatalf("partitioned stats = %+v", ps)
	}
	// Aggregation must not change what each partition reports.
	if c := ps.Partitions["persistent://public/default/s-partition-0"].Subscriptions["sub"].Consumers; len(c) != 1 {
		t.Fatalf("partition 0 consumers = %+v", c)
	}
	subs, err := e.admin.Subscriptions().List(topicName(t, "persistent://public/default/s"))
	if err != nil || !slices.Equal(subs, []string{"sub"}) {
		t.Fatalf("subscriptions = %v, %v", subs, err)
	}
	// Both spellings Pulsar emits are present in the raw JSON.
	r := e.do("GET", "/admin/v2/persistent/public/default/s-partition-0/stats", "")
	for _, key := range []string{`"isDurable":true`, `"durable":true`, `"chuckedMessageRate"`, `"lastPublishTimeStamp":1000`,
		`"lastPublishTimestamp":1000`, `"replication":{}`} {
		if !strings.Contains(r.body, key) {
			t.Errorf("stats JSON lacks %s: %s", key, r.body)
		}
	}
}
