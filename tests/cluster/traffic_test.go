package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/backoff"
	pulsarlog "github.com/apache/pulsar-client-go/pulsar/log"
)

// sendTimeout is how long the client keeps retrying a message before failing it; long
// enough to ride out a broker restart.
const sendTimeout = 40 * time.Second

// newClient connects the official Pulsar Go client to serviceURL. Its log goes to a
// buffer that is shown if the test fails. If rec is not nil, it learns of every
// connection of a producer that drops (see recorder.connectionDropped).
func newClient(t testing.TB, serviceURL string, rec *recorder) pulsar.Client {
	t.Helper()
	buf := &lockedBuffer{}
	var h slog.Handler = slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	if rec != nil {
		h = dropHook{Handler: h, dropped: rec.connectionDropped}
	}
	c, err := pulsar.NewClient(pulsar.ClientOptions{
		URL:               serviceURL,
		ConnectionTimeout: 5 * time.Second,
		OperationTimeout:  30 * time.Second,
		Logger:            pulsarlog.NewLoggerWithSlog(slog.New(h)),
	})
	if err != nil {
		t.Fatalf("pulsar client for %s: %v", serviceURL, err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			t.Logf("--- pulsar client log (last lines):\n%s", buf.tail(150))
		}
	})
	return c
}

// producerConnClosed is what the Go client logs when a producer's connection closes
// (the broker died, closed it, or answered a send with an error): the client then
// reconnects and sends every unacknowledged message again.
const producerConnClosed = "Connection was closed"

// dropHook watches the client's log for producerConnClosed.
type dropHook struct {
	slog.Handler
	dropped func()
}

func (h dropHook) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == producerConnClosed {
		h.dropped()
	}
	return h.Handler.Handle(ctx, r)
}

func (h dropHook) WithAttrs(as []slog.Attr) slog.Handler {
	return dropHook{Handler: h.Handler.WithAttrs(as), dropped: h.dropped}
}

func (h dropHook) WithGroup(name string) slog.Handler {
	return dropHook{Handler: h.Handler.WithGroup(name), dropped: h.dropped}
}

// newProducer creates a producer without batching (one message, one entry) that
// reconnects quickly after a broker restart.
func newProducer(t testing.TB, c pulsar.Client, topic string) pulsar.Producer {
	t.Helper()
	p, err := c.CreateProducer(pulsar.ProducerOptions{
		Topic:              topic,
		DisableBatching:    true,
		SendTimeout:        sendTimeout,
		MaxPendingMessages: 500,
		BackOffPolicyFunc:  func() backoff.Policy { return &quickBackoff{} },
	})
	if err != nil {
		t.Fatalf("create producer on %s: %v", topic, err)
	}
	t.Cleanup(p.Close)
	return p
}

// quickBackoff retries reconnection every 100ms doubling up to 1s, so a test does not
// wait out the client's default 60s ceiling after a restart.
type quickBackoff struct{ d time.Duration }

func (b *quickBackoff) Next() time.Duration {
	b.d = min(max(2*b.d, 100*time.Millisecond), time.Second)
	return b.d
}
func (b *quickBackoff) IsMaxBackoffReached() bool { return false }
func (b *quickBackoff) Reset()                    { b.d = 0 }

// msgPos is where a message is stored: a MessageID without its partition.
type msgPos struct {
	Ledger, Entry int64
	Batch         int32
}

// posOf returns where id points; a message outside a batch has batch index 0, however
// the client spells it (-1 or 0).
func posOf(id pulsar.MessageID) msgPos {
	return msgPos{Ledger: id.LedgerID(), Entry: id.EntryID(), Batch: max(id.BatchIdx(), 0)}
}

func (p msgPos) String() string { return fmt.Sprintf("%d:%d:%d", p.Ledger, p.Entry, p.Batch) }

// payload is message seq: its number in 8 digits, padded to size bytes.
func payload(seq, size int) []byte {
	b := []byte(fmt.Sprintf("%08d", seq))
	for len(b) < size {
		b = append(b, 'x')
	}
	return b
}

func seqOf(p []byte) (int, error) {
	if len(p) < 8 {
		return 0, fmt.Errorf("payload %q too short", p)
	}
	return strconv.Atoi(string(p[:8]))
}

// recorder produces numbered messages and records the fate of each: acknowledged (with
// the MessageID the broker gave it) or failed.
type recorder struct {
	mu      sync.Mutex
	sent    int // messages 0..sent-1 were handed to the client
	acked   map[int]msgPos
	failed  map[int]error
	resent  map[int]bool  // unacknowledged when a connection dropped: may be stored twice
	changed chan struct{} // closed and replaced on every callback
	pending sync.WaitGroup
}

func newRecorder() *recorder {
	return &recorder{acked: map[int]msgPos{}, failed: map[int]error{}, resent: map[int]bool{},
		changed: make(chan struct{})}
}

// produce sends messages from..to-1 with SendAsync as fast as the client takes them (up
// to its MaxPendingMessages in flight) and returns once all are handed to the client
// (stop ends it early). wait waits for their callbacks.
func (r *recorder) produce(ctx context.Context, p pulsar.Producer, from, to, size int, stop <-chan struct{}) {
	for seq := from; seq < to; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		r.mu.Lock()
		r.sent = seq + 1
		r.mu.Unlock()
		r.pending.Add(1)
		p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: payload(seq, size)},
			func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				defer r.pending.Done()
				r.mu.Lock()
				defer r.mu.Unlock()
				if err != nil {
					r.failed[seq] = err
				} else {
					r.acked[seq] = posOf(id)
				}
				close(r.changed)
				r.changed = make(chan struct{})
			})
	}
}

// wait waits until every message handed to the client has been acknowledged or failed.
func (r *recorder) wait(t testing.TB, timeout time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("after %v, %d of %d sends still have no answer", timeout, r.sent-len(r.acked)-len(r.failed), r.sent)
	}
}

// waitAcked waits until at least n messages are acknowledged.
func (r *recorder) waitAcked(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got, changed := len(r.acked), r.changed
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("only %d of %d messages acknowledged after %v", got, n, timeout)
		}
	}
}

// connectionDropped notes that the producer's connection dropped: every message handed
// to the client and not yet acknowledged may have been stored without its
// acknowledgement arriving, and the client sends it again (Pulsar without deduplication
// is at-least-once for exactly these messages).
func (r *recorder) connectionDropped() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for seq := 0; seq < r.sent; seq++ {
		if _, ok := r.acked[seq]; !ok {
			r.resent[seq] = true
		}
	}
}

// mayRepeat returns the messages that were unacknowledged when a connection dropped.
func (r *recorder) mayRepeat() map[int]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int]bool, len(r.resent))
	for k := range r.resent {
		out[k] = true
	}
	return out
}

// inFlight counts the messages handed to the client and not yet answered.
func (r *recorder) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent - len(r.acked) - len(r.failed)
}

// results returns copies of the acknowledged and failed messages.
func (r *recorder) results() (acked map[int]msgPos, failed map[int]error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	acked, failed = make(map[int]msgPos, len(r.acked)), make(map[int]error, len(r.failed))
	for k, v := range r.acked {
		acked[k] = v
	}
	for k, v := range r.failed {
		failed[k] = v
	}
	return acked, failed
}

// received is a message read back.
type received struct {
	Seq int
	Pos msgPos
}

// auditSub is the durable subscription a test creates before producing: it keeps every
// message of the topic (with no subscription, Pulsar may trim ledgers that no cursor
// needs, so a reader from the earliest position proves nothing) and reads them back.
const auditSub = "audit"

// subscribe creates the audit subscription on topic, positioned at the earliest message.
func subscribe(t testing.TB, c pulsar.Client, topic string) {
	t.Helper()
	consumer := newAuditConsumer(t, c, topic)
	consumer.Close()
}

func newAuditConsumer(t testing.TB, c pulsar.Client, topic string) pulsar.Consumer {
	t.Helper()
	consumer, err := c.Subscribe(pulsar.ConsumerOptions{
		Topic:                       topic,
		SubscriptionName:            auditSub,
		Type:                        pulsar.Exclusive,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err != nil {
		t.Fatalf("subscribe %s to %s: %v", auditSub, topic, err)
	}
	return consumer
}

// readAll receives everything the audit subscription holds, without acknowledging. It
// stops once every acknowledged message has arrived and nothing more comes for a moment
// (only unacknowledged extras can follow), or when nothing comes for 10s.
func readAll(t testing.TB, c pulsar.Client, topic string, acked map[int]msgPos) []received {
	t.Helper()
	consumer := newAuditConsumer(t, c, topic)
	defer consumer.Close()
	var out []received
	want := len(acked)
	seen := map[int]bool{}
	for {
		idle := 10 * time.Second
		if want == 0 {
			idle = 1500 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		m, err := consumer.Receive(ctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return out // idle: nothing more to read
			}
			t.Fatalf("receive %s after %d messages: %v", topic, len(out), err)
		}
		seq, err := seqOf(m.Payload())
		if err != nil {
			t.Fatalf("receive %s: message %v: %v", topic, m.ID(), err)
		}
		out = append(out, received{Seq: seq, Pos: posOf(m.ID())})
		if _, ok := acked[seq]; ok && !seen[seq] {
			seen[seq] = true
			want--
		}
	}
}

// verify checks what was read against what was acknowledged, as a user auditing the
// topic would: every acknowledged message is there, at the position its acknowledgement
// named; messages appear in the order they were sent; nothing is stored twice except a
// message in mayRepeat (stored before a crash but unacknowledged, then sent again by the
// client), and no stored message is delivered twice (the final read has no faults, so
// the subscription has no reason to redeliver). It returns the problems found, at most a
// few of each kind.
func verify(acked map[int]msgPos, mayRepeat map[int]bool, got []received) []string {
	var problems []string
	report := func(kind string, count *int, format string, args ...any) {
		*count++
		if *count <= 5 {
			problems = append(problems, kind+": "+fmt.Sprintf(format, args...))
		} else if *count == 6 {
			problems = append(problems, kind+": ... (more)")
		}
	}
	var dups, redelivered, disorder, missing, moved int
	seen := map[int][]msgPos{}
	last := -1
	for i, m := range got {
		if prev := seen[m.Seq]; len(prev) > 0 {
			switch {
			case containsPos(prev, m.Pos):
				report("delivered twice", &redelivered, "message %d at %v (read #%d)", m.Seq, m.Pos, i)
			case !mayRepeat[m.Seq]:
				report("duplicate", &dups, "message %d at %v, already read at %v", m.Seq, m.Pos, prev)
			}
		} else if m.Seq <= last {
			report("out of order", &disorder, "message %d (at %v, read #%d) after message %d", m.Seq, m.Pos, i, last)
		} else {
			last = m.Seq
		}
		seen[m.Seq] = append(seen[m.Seq], m.Pos)
	}
	seqs := make([]int, 0, len(acked))
	for seq := range acked {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		pos := acked[seq]
		copies := seen[seq]
		switch {
		case len(copies) == 0:
			report("lost", &missing, "acknowledged message %d (at %v) not read back", seq, pos)
		case !containsPos(copies, pos):
			report("moved", &moved, "acknowledged message %d at %v, read back at %v", seq, pos, copies)
		}
	}
	return problems
}

func containsPos(ps []msgPos, p msgPos) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// checkTopic reads topic back and fails the test with verify's findings.
func checkTopic(t testing.TB, c pulsar.Client, topic string, acked map[int]msgPos, mayRepeat map[int]bool) []received {
	t.Helper()
	got := readAll(t, c, topic, acked)
	if problems := verify(acked, mayRepeat, got); len(problems) > 0 {
		t.Errorf("topic %s: %d acknowledged, %d read back:\n  %s\nread back, as runs of consecutive messages at consecutive entries:\n  %s",
			topic, len(acked), len(got), strings.Join(problems, "\n  "), strings.Join(runs(got), "\n  "))
	}
	return got
}

// runs describes a read compactly: each run is consecutive messages stored at
// consecutive entries of one ledger, "messages 0-99 at 1:0-1:99".
func runs(got []received) []string {
	var out []string
	for i := 0; i < len(got); {
		j := i + 1
		for j < len(got) && got[j].Seq == got[j-1].Seq+1 &&
			got[j].Pos.Ledger == got[j-1].Pos.Ledger && got[j].Pos.Entry == got[j-1].Pos.Entry+1 {
			j++
		}
		out = append(out, fmt.Sprintf("messages %d-%d at %v-%v", got[i].Seq, got[j-1].Seq, got[i].Pos, got[j-1].Pos))
		i = j
	}
	return out
}

// lockedBuffer collects a log written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

var _ io.Writer = (*lockedBuffer)(nil)

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

// tail returns the last n lines.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.sb.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
