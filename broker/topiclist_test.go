package broker

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

const watchPattern = "persistent://public/default/watch-.*"

func TestTopicListWatch(t *testing.T) {
	tb := startBroker(t, nil)
	client := tb.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// What the namespace holds before anyone watches.
	produceOneTo(t, client, "persistent://public/default/watch-a")
	produceOneTo(t, client, "persistent://public/default/other-a")
	if err := tb.res.CreatePartitionedTopic(ctx, mustTopicName(t, "persistent://public/default/watch-p"),
		resources.PartitionedTopicMetadata{Partitions: 2}); err != nil {
		t.Fatal(err)
	}

	// A watching client (the Java client's CONNECT: it does not set supports_topic_watchers
	// itself; the broker advertises it to every client).
	rc := tb.dial(t)
	if got := rc.connectWithFlags(&pb.FeatureFlags{SupportsAuthRefresh: proto.Bool(true)}); !got.GetSupportsTopicWatchers() {
		t.Fatalf("CONNECTED feature flags %v; want supports_topic_watchers", got)
	}
	// A bystander connection with the Go client's CONNECT, which never watches.
	by := tb.dial(t)
	by.connectWithFlags(&pb.FeatureFlags{SupportsAuthRefresh: proto.Bool(true), SupportsBrokerEntryMetadata: proto.Bool(true)})

	rc.send(wire.Wrap(&pb.CommandWatchTopicList{RequestId: proto.Uint64(1), WatcherId: proto.Uint64(7),
		Namespace: proto.String("public/default"), TopicsPattern: proto.String(watchPattern)}))
	ok := rc.expect(pb.BaseCommand_WATCH_TOPIC_LIST_SUCCESS).GetWatchTopicListSuccess()
	initial := []string{
		"persistent://public/default/watch-a",
		"persistent://public/default/watch-p-partition-0",
		"persistent://public/default/watch-p-partition-1",
	}
	if ok.GetRequestId() != 1 || ok.GetWatcherId() != 7 || !slices.Equal(sortedCopy(ok.GetTopic()), initial) {
		t.Fatalf("WATCH_TOPIC_LIST_SUCCESS %v; want request 1, watcher 7, topics %q", ok, initial)
	}
	if ok.GetTopicsHash() != topicListHash(initial) {
		t.Fatalf("topics_hash %q; want %q", ok.GetTopicsHash(), topicListHash(initial))
	}

	// A reconnecting client that has the list already gets the hash alone.
	rc.send(wire.Wrap(&pb.CommandWatchTopicList{RequestId: proto.Uint64(2), WatcherId: proto.Uint64(8),
		Namespace: proto.String("public/default"), TopicsPattern: proto.String(watchPattern),
		TopicsHash: proto.String(topicListHash(initial))}))
	again := rc.expect(pb.BaseCommand_WATCH_TOPIC_LIST_SUCCESS).GetWatchTopicListSuccess()
	if again.GetWatcherId() != 8 || len(again.GetTopic()) != 0 || again.GetTopicsHash() != topicListHash(initial) {
		t.Fatalf("WATCH_TOPIC_LIST_SUCCESS with the client's hash: %v; want no topics and the same hash", again)
	}
	rc.send(wire.Wrap(&pb.CommandWatchTopicListClose{RequestId: proto.Uint64(3), WatcherId: proto.Uint64(8)}))
	if s := rc.expect(pb.BaseCommand_SUCCESS).GetSuccess(); s.GetRequestId() != 3 {
		t.Fatalf("close answered %v; want SUCCESS for request 3", s)
	}

	// A topic that does not match is not reported: the next update is the matching one
	// created after it.
	produceOneTo(t, client, "persistent://public/default/nomatch-b")
	produceOneTo(t, client, "persistent://public/default/watch-b")
	cur := append(slices.Clone(initial), "persistent://public/default/watch-b")
	rc.expectUpdate(7, []string{"persistent://public/default/watch-b"}, nil, cur)

	// Partitions of a partitioned topic created through the admin API.
	if err := tb.res.CreatePartitionedTopic(ctx, mustTopicName(t, "persistent://public/default/watch-q"),
		resources.PartitionedTopicMetadata{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	q := []string{"persistent://public/default/watch-q-partition-0", "persistent://public/default/watch-q-partition-1"}
	cur = append(cur, q...)
	rc.expectUpdate(7, q, nil, cur)

	// Deleting a topic.
	if err := tb.AdminAPI().DeleteTopic(ctx, mustTopicName(t, "persistent://public/default/watch-b"), true); err != nil {
		t.Fatal(err)
	}
	cur = slices.DeleteFunc(cur, func(s string) bool { return s == "persistent://public/default/watch-b" })
	rc.expectUpdate(7, nil, []string{"persistent://public/default/watch-b"}, cur)

	// The Go client's connection saw none of this and still works.
	produceOneTo(t, client, "persistent://public/default/watch-a")
	by.send(wire.NewPing())
	by.expect(pb.BaseCommand_PONG)

	// Closed watchers hear nothing more; a watcher on another connection shows the
	// changes happened (two of them, so anything queued for the closed one came first).
	other := tb.dial(t)
	other.connectWithFlags(nil)
	other.send(wire.Wrap(&pb.CommandWatchTopicList{RequestId: proto.Uint64(1), WatcherId: proto.Uint64(1),
		Namespace: proto.String("public/default"), TopicsPattern: proto.String(watchPattern)}))
	other.expect(pb.BaseCommand_WATCH_TOPIC_LIST_SUCCESS)
	rc.send(wire.Wrap(&pb.CommandWatchTopicListClose{RequestId: proto.Uint64(4), WatcherId: proto.Uint64(7)}))
	if s := rc.expect(pb.BaseCommand_SUCCESS).GetSuccess(); s.GetRequestId() != 4 {
		t.Fatalf("close answered %v; want SUCCESS for request 4", s)
	}
	produceOneTo(t, client, "persistent://public/default/watch-c")
	other.expectUpdate(1, []string{"persistent://public/default/watch-c"}, nil, append(slices.Clone(cur), "persistent://public/default/watch-c"))
	if err := tb.AdminAPI().DeleteTopic(ctx, mustTopicName(t, "persistent://public/default/watch-c"), true); err != nil {
		t.Fatal(err)
	}
	other.expectUpdate(1, nil, []string{"persistent://public/default/watch-c"}, cur)
	rc.send(wire.NewPing())
	rc.expect(pb.BaseCommand_PONG)
	by.send(wire.NewPing())
	by.expect(pb.BaseCommand_PONG)

	// Watchers die with their connection, and the namespace's watch with its last one.
	other.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for tb.watchedNamespaces() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d namespaces still watched after every watcher's connection closed", tb.watchedNamespaces())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTopicListWatchRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		disabled bool
		ns       string
		pattern  string
		code     pb.ServerError
	}{
		{"disabled", true, "public/default", watchPattern, pb.ServerError_NotAllowedError},
		{"too long", false, "public/default", "persistent://public/default/" + strings.Repeat("a", 40), pb.ServerError_NotAllowedError},
		{"java-only regex", false, "public/default", "persistent://public/default/(?=a).*", pb.ServerError_InvalidTopicName},
		{"bad domain", false, "public/default", "http://public/default/a", pb.ServerError_InvalidTopicName},
		{"bad namespace", false, "public", watchPattern, pb.ServerError_InvalidTopicName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := startBroker(t, func(c *Config) { c.EnableBrokerSideSubscriptionPatternEvaluation = !tc.disabled })
			rc := tb.dial(t)
			if got := rc.connectWithFlags(nil).GetSupportsTopicWatchers(); got == tc.disabled {
				t.Fatalf("CONNECTED supports_topic_watchers = %v with the evaluation enabled=%v", got, !tc.disabled)
			}
			rc.send(wire.Wrap(&pb.CommandWatchTopicList{RequestId: proto.Uint64(5), WatcherId: proto.Uint64(1),
				Namespace: proto.String(tc.ns), TopicsPattern: proto.String(tc.pattern)}))
			e := rc.expect(pb.BaseCommand_ERROR).GetError()
			if e.GetRequestId() != 5 || e.GetError() != tc.code {
				t.Fatalf("answer %v; want ERROR %v for request 5", e, tc.code)
			}
			if n := tb.watchedNamespaces(); n != 0 {
				t.Fatalf("%d namespaces watched after a refused watch", n)
			}
		})
	}
}

// connectWithFlags does the handshake with CONNECT's feature flags and returns
// CONNECTED's.
func (rc *rawConn) connectWithFlags(flags *pb.FeatureFlags) *pb.FeatureFlags {
	rc.t.Helper()
	rc.send(wire.Wrap(&pb.CommandConnect{ClientVersion: proto.String("raw-test"),
		ProtocolVersion: proto.Int32(20), FeatureFlags: flags}))
	f := rc.read()
	if f.Type() != pb.BaseCommand_CONNECTED {
		rc.t.Fatalf("handshake answer %v; want CONNECTED", f.Type())
	}
	return f.Cmd.GetConnected().GetFeatureFlags()
}

// expect reads the next frame and fails unless it is of type typ.
func (rc *rawConn) expect(typ pb.BaseCommand_Type) *pb.BaseCommand {
	rc.t.Helper()
	f := rc.read()
	if f.Type() != typ {
		rc.t.Fatalf("got %v %v; want %v", f.Type(), f.Cmd, typ)
	}
	return f.Cmd
}

// expectUpdate reads the next frame and fails unless it is the update described; all is
// the watcher's whole list after it, whose hash the update must carry.
func (rc *rawConn) expectUpdate(watcher uint64, added, deleted, all []string) {
	rc.t.Helper()
	u := rc.expect(pb.BaseCommand_WATCH_TOPIC_UPDATE).GetWatchTopicUpdate()
	if u.GetWatcherId() != watcher || !slices.Equal(sortedCopy(u.GetNewTopics()), sortedCopy(added)) ||
		!slices.Equal(sortedCopy(u.GetDeletedTopics()), sortedCopy(deleted)) {
		rc.t.Fatalf("WATCH_TOPIC_UPDATE %v; want watcher %d, new %q, deleted %q", u, watcher, added, deleted)
	}
	if want := topicListHash(all); u.GetTopicsHash() != want {
		rc.t.Fatalf("update's topics_hash %q; want %q (of %q)", u.GetTopicsHash(), want, all)
	}
}

// produceOneTo creates topic (if need be) by publishing one message with the Go client.
func produceOneTo(t *testing.T, c pulsar.Client, topic string) {
	t.Helper()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatalf("producer on %s: %v", topic, err)
	}
	defer p.Close()
	if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: []byte("x")}); err != nil {
		t.Fatalf("send to %s: %v", topic, err)
	}
}

func (tb *testBroker) watchedNamespaces() int {
	tb.topicLists.mu.Lock()
	defer tb.topicLists.mu.Unlock()
	return len(tb.topicLists.ns)
}

func mustTopicName(t *testing.T, s string) topicname.Name {
	t.Helper()
	n, err := topicname.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
