package standalone

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func readN(t *testing.T, r pulsar.Reader, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for len(out) < n {
		m, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("read %d of %d: %v", len(out), n, err)
		}
		out = append(out, string(m.Payload()))
	}
	return out
}

// TestReaders: readers start at earliest, latest, or a message id (inclusive or not),
// also inside a batch, and HasNext tells whether more is stored.
func TestReaders(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("reader")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := produce(t, p, payloads("m", 10)...)

	tests := []struct {
		name      string
		start     pulsar.MessageID
		inclusive bool
		want      []string
	}{
		{"earliest", pulsar.EarliestMessageID(), false, []string{"m-0", "m-1"}},
		{"exclusive", ids[4], false, []string{"m-5", "m-6"}},
		{"inclusive", ids[4], true, []string{"m-4", "m-5"}},
		{"last inclusive", ids[9], true, []string{"m-9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: tt.start, StartMessageIDInclusive: tt.inclusive})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := readN(t, r, len(tt.want)); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("read %v; want %v", got, tt.want)
			}
		})
	}

	t.Run("latest waits for new messages", func(t *testing.T) {
		r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.LatestMessageID()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.HasNext() {
			t.Error("HasNext at latest = true; want false")
		}
		produce(t, p, &pulsar.ProducerMessage{Payload: []byte("fresh")})
		if got := readN(t, r, 1); got[0] != "fresh" {
			t.Errorf("read %v; want fresh", got)
		}
	})

	t.Run("HasNext", func(t *testing.T) {
		r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n := 0
		for r.HasNext() {
			readN(t, r, 1)
			n++
		}
		if n != 11 {
			t.Errorf("HasNext loop read %d messages; want 11", n)
		}
	})

	t.Run("empty topic", func(t *testing.T) {
		r, err := c.CreateReader(pulsar.ReaderOptions{Topic: uniqueTopic("empty"), StartMessageID: pulsar.EarliestMessageID()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.HasNext() {
			t.Error("HasNext on an empty topic = true")
		}
	})
}

// TestReaderInsideBatch: a reader started at a message inside a batch skips the batch's
// earlier messages.
func TestReaderInsideBatch(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("reader-batch")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatchingMaxPublishDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	ids := make([]pulsar.MessageID, 5)
	done := make(chan struct{}, 5)
	for i := range 5 {
		p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("b-%d", i))},
			func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				if err != nil {
					t.Errorf("send: %v", err)
				}
				ids[i] = id
				done <- struct{}{}
			})
	}
	p.Flush()
	for range 5 {
		<-done
	}
	if ids[2].BatchIdx() != 2 {
		t.Fatalf("message 2 has batch index %d; want a batch", ids[2].BatchIdx())
	}
	r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: ids[2], StartMessageIDInclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readN(t, r, 3); fmt.Sprint(got) != "[b-2 b-3 b-4]" {
		t.Errorf("read %v; want [b-2 b-3 b-4]", got)
	}
	if r.HasNext() {
		t.Error("HasNext after the batch's last message = true")
	}
}

// TestSeek: a consumer seeks back by message id and by publish time and receives from
// there; seeking a reader works too.
func TestSeek(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("seek")
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := produce(t, p, payloads("m", 5)...)
	time.Sleep(20 * time.Millisecond)
	mid := time.Now()
	time.Sleep(20 * time.Millisecond)
	produce(t, p, payloads("n", 5)...)
	for _, m := range receiveN(t, cons, 10, 10*time.Second) {
		cons.Ack(m)
	}

	if err := cons.Seek(ids[2]); err != nil {
		t.Fatal(err)
	}
	// The Go client treats the seek id as an exclusive start (it drops m-2 itself).
	got := receiveN(t, cons, 7, 10*time.Second)
	if first := string(got[0].Payload()); first != "m-3" {
		t.Fatalf("after seek to m-2 the first message is %q; want m-3", first)
	}
	for _, m := range got {
		cons.Ack(m)
	}

	if err := cons.SeekByTime(mid); err != nil {
		t.Fatal(err)
	}
	got = receiveN(t, cons, 5, 10*time.Second)
	for i, m := range got {
		if want := fmt.Sprintf("n-%d", i); string(m.Payload()) != want {
			t.Fatalf("after seek by time got %q at %d; want %q", m.Payload(), i, want)
		}
		cons.Ack(m)
	}
	expectNone(t, cons, 300*time.Millisecond)

	r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.LatestMessageID()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Seek(ids[3]); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, r, 2); fmt.Sprint(got) != "[m-4 n-0]" {
		t.Errorf("reader after seek read %v; want [m-4 n-0]", got)
	}
}

// TestReaderSeekByTimeToEnd: a reader that seeks to the last message's publish time
// receives only messages published afterwards (as in Pulsar, a message published at the
// seek time itself is skipped; the non-durable subscription keeps the new position while
// the client reconnects).
func TestReaderSeekByTimeToEnd(t *testing.T) {
	in := startStandalone(t, t.TempDir(), nil)
	c := in.client()
	topic := uniqueTopic("reader-seek-time")
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, p, payloads("old", 5)...)
	r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var last time.Time
	for range 5 {
		m, err := r.Next(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		last = m.PublishTime()
	}
	if err := r.SeekByTime(last); err != nil {
		t.Fatal(err)
	}
	if r.HasNext() {
		t.Error("HasNext after seeking to now = true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if m, err := r.Next(ctx); err == nil {
		t.Fatalf("read %q after seeking past the end", m.Payload())
	}
	produce(t, p, payloads("new", 2)...)
	if got := readN(t, r, 2); fmt.Sprint(got) != "[new-0 new-1]" {
		t.Errorf("read %v; want [new-0 new-1]", got)
	}
}
