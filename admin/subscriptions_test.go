package admin

import (
	"encoding/binary"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/wire/pb"
)

func TestSubscriptionOperations(t *testing.T) {
	e := newEnv(t)
	subs := e.admin.Subscriptions()
	plain := topicName(t, "persistent://public/default/plain")
	noErr(t, "Create topic", e.admin.Topics().Create(plain, 0))
	e.broker.Calls()

	noErr(t, "Create", subs.Create(plain, "s1", utils.Latest))
	noErr(t, "Create earliest", subs.Create(plain, "s2", utils.Earliest))
	restErr(t, "Create again", subs.Create(plain, "s1", utils.Latest), http.StatusConflict, "Subscription already exists for topic")
	noErr(t, "SkipMessages", subs.SkipMessages(plain, "s1", 5))
	noErr(t, "ClearBacklog", subs.ClearBacklog(plain, "s1"))
	noErr(t, "ExpireMessages", subs.ExpireMessages(plain, "s1", 30))
	noErr(t, "ExpireAllMessages", subs.ExpireAllMessages(plain, 40))
	noErr(t, "ResetCursorToTimestamp", subs.ResetCursorToTimestamp(plain, "s2", 1700000000000))
	noErr(t, "ResetCursorToMessageID", subs.ResetCursorToMessageID(plain, "s2", utils.MessageID{LedgerID: 3, EntryID: 4, PartitionIndex: -1}))
	restErr(t, "missing subscription", subs.SkipMessages(plain, "nope", 1), http.StatusNotFound, "Subscription not found")
	noErr(t, "Delete", subs.Delete(plain, "s1"))
	noErr(t, "ForceDelete", subs.ForceDelete(plain, "s2"))
	want := []string{
		"CreateSubscription persistent://public/default/plain s1 9223372036854775807:9223372036854775807",
		"CreateSubscription persistent://public/default/plain s2 -1:-1",
		"CreateSubscription persistent://public/default/plain s1 9223372036854775807:9223372036854775807",
		"Skip persistent://public/default/plain s1 5",
		"Skip persistent://public/default/plain s1 -1",
		"Expire persistent://public/default/plain s1 30",
		"Expire persistent://public/default/plain s1 40",
		"Expire persistent://public/default/plain s2 40",
		"ResetToTime persistent://public/default/plain s2 1700000000000",
		"ResetToID persistent://public/default/plain s2 3:4 excluded=false",
		"Skip persistent://public/default/plain nope 1",
		"DeleteSubscription persistent://public/default/plain s1 force=false",
		"DeleteSubscription persistent://public/default/plain s2 force=true",
	}
	if got := e.broker.Calls(); !slices.Equal(got, want) {
		t.Fatalf("broker calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A partitioned topic: subscription operations fan out to every partition.
	parted := topicName(t, "persistent://public/default/parted")
	noErr(t, "Create partitioned", e.admin.Topics().Create(parted, 2))
	e.broker.Calls()
	noErr(t, "Create on partitioned", subs.Create(parted, "s", utils.Earliest))
	noErr(t, "ClearBacklog on partitioned", subs.ClearBacklog(parted, "s"))
	want = []string{
		"CreateSubscription persistent://public/default/parted-partition-0 s -1:-1",
		"CreateSubscription persistent://public/default/parted-partition-1 s -1:-1",
		"Skip persistent://public/default/parted-partition-0 s -1",
		"Skip persistent://public/default/parted-partition-1 s -1",
	}
	if got := e.broker.Calls(); !slices.Equal(got, want) {
		t.Fatalf("partitioned fan-out:\n%s", strings.Join(got, "\n"))
	}
	// A subscription name with characters that need escaping (pulsaradmin escapes twice).
	noErr(t, "odd name", subs.Create(plain, "a b/c%d", utils.Latest))
	if got := e.broker.Calls(); len(got) != 1 || got[0] != "CreateSubscription persistent://public/default/plain a b/c%d 9223372036854775807:9223372036854775807" {
		t.Fatalf("escaped subscription name arrived as %v", got)
	}
}

// TestPeekAndGetMessages: stored messages come back with their metadata in X-Pulsar-*
// headers and pulsaradmin splits batches and reads properties.
func TestPeekAndGetMessages(t *testing.T) {
	e := newEnv(t)
	plain := topicName(t, "persistent://public/default/msgs")
	tt := e.broker.addTopic("persistent://public/default/msgs", "sub")
	props := []*pb.KeyValue{{Key: proto.String("key-1"), Value: proto.String("pulsar-1")}}
	tt.messages = []*Message{
		{ID: MessageID{LedgerID: 7, EntryID: 0, PartitionIndex: -1}, Payload: []byte("hello-0"),
			Metadata: &pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(0),
				PublishTime: proto.Uint64(1700000000000), Properties: props, PartitionKey: proto.String("k")}},
		{ID: MessageID{LedgerID: 7, EntryID: 1, PartitionIndex: -1}, Payload: batchOf(t, "b-0", "b-1", "b-2"),
			Metadata: &pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1),
				PublishTime: proto.Uint64(1700000000001), NumMessagesInBatch: proto.Int32(3)}},
	}
	msgs, err := e.admin.Subscriptions().PeekMessages(plain, "sub", 4)
	noErr(t, "PeekMessages", err)
	if len(msgs) != 4 {
		t.Fatalf("peeked %d messages, want 4 (one plus three of a batch)", len(msgs))
	}
	if string(msgs[0].Payload) != "hello-0" || msgs[0].Properties["key-1"] != "pulsar-1" ||
		msgs[0].MessageID.LedgerID != 7 || msgs[0].MessageID.EntryID != 0 {
		t.Fatalf("first message = %+v", msgs[0])
	}
	for i, m := range msgs[1:] {
		if string(m.Payload) != "b-"+string(rune('0'+i)) || m.MessageID.EntryID != 1 || m.MessageID.BatchIndex != i {
			t.Fatalf("batch message %d = %+v (%q)", i, m.MessageID, m.Payload)
		}
	}
	r := e.do("GET", "/admin/v2/persistent/public/default/msgs/subscription/sub/position/1", "")
	if r.code != 200 || r.header.Get("X-Pulsar-Message-ID") != "7:0" || r.header.Get("X-Pulsar-producer-name") != "p" ||
		r.header.Get("X-Pulsar-partition-key") != "k" || !strings.HasPrefix(r.header.Get("X-Pulsar-publish-time"), "2023-11-1") {
		t.Fatalf("peek headers: %d %v", r.code, r.header)
	}
	if r := e.do("GET", "/admin/v2/persistent/public/default/msgs/subscription/sub/position/3", ""); r.code != 404 || r.reason() != "Message not found" {
		t.Fatalf("peek past the end: %d %s", r.code, r.body)
	}
	m, err := e.admin.Subscriptions().GetMessageByID(plain, 7, 0)
	if err != nil || string(m.Payload) != "hello-0" {
		t.Fatalf("GetMessageByID = %+v, %v", m, err)
	}
	r = e.do("GET", "/admin/v2/persistent/public/default/msgs/examinemessage?initialPosition=earliest&messagePosition=2", "")
	if r.code != 200 || r.header.Get("X-Pulsar-Message-ID") != "7:1" || r.header.Get("X-Pulsar-num-batch-message") != "3" {
		t.Fatalf("examine: %d %v", r.code, r.header)
	}
	noErr(t, "Create partitioned", e.admin.Topics().Create(topicName(t, "persistent://public/default/parted"), 2))
	if r := e.do("GET", "/admin/v2/persistent/public/default/parted/subscription/sub/position/1", ""); r.code != 405 ||
		r.reason() != "Peek messages on a partitioned topic is not allowed" {
		t.Fatalf("peek on a partitioned topic: %d %s", r.code, r.body)
	}
}

// batchOf builds a batch payload: [4-byte size][SingleMessageMetadata][payload] per message.
func batchOf(t *testing.T, payloads ...string) []byte {
	t.Helper()
	var out []byte
	for _, p := range payloads {
		md, err := proto.Marshal(&pb.SingleMessageMetadata{PayloadSize: proto.Int32(int32(len(p)))})
		if err != nil {
			t.Fatal(err)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(md)))
		out = append(out, md...)
		out = append(out, p...)
	}
	return out
}
