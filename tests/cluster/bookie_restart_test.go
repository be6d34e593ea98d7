package cluster

import (
	"context"
	"testing"
	"time"
)

// TestBookieKill9Restart: with a single bookie and E=Qw=Qa=1, that bookie holds the only
// copy of every entry. It is killed with SIGKILL while a producer writes and started
// again from its data and journal directories. Every acknowledged message must then read
// back through a broker that has no entry cached (it is restarted, so every read goes to
// the bookie), in order; messages in flight at the kill may appear twice (the client sends
// them again); and producing works again once the bookie is back.
func TestBookieKill9Restart(t *testing.T) {
	url := startMetadata(t, etcdKind)
	store := openStore(t, url)
	bookie := startBookie(t, store, url, "")
	broker := startBroker(t, url, quorum(1, 1, 1))
	client := newClient(t, broker.serviceURL())
	topic := "persistent://public/default/bookie-restart"
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const first, more = 600, 200
	rec := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	stop := make(chan struct{})
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, first, 100, 3*time.Millisecond, stop) }()

	rec.waitAcked(t, first/3, 30*time.Second)
	bookie.kill9()
	close(stop)
	<-produced
	mayRepeat := rec.inFlight()
	t.Logf("killed the bookie; %d messages in flight", len(mayRepeat))

	bookie.restart(t)
	rec.wait(t, sendTimeout+5*time.Second)
	rec.produce(ctx, producer, first, first+more, 100, 0, nil)
	rec.wait(t, 20*time.Second)
	acked, failed := rec.results()
	if len(failed) > 0 {
		t.Errorf("%d sends failed; e.g. %v", len(failed), firstErr(failed))
	}
	for seq := first; seq < first+more; seq++ {
		if _, ok := acked[seq]; !ok {
			t.Fatalf("message %d, sent after the bookie came back, was not acknowledged", seq)
		}
	}

	// A fresh broker process: nothing is served from an entry cache.
	if !broker.stop(10 * time.Second) {
		t.Logf("broker ignored SIGTERM for 10s and was killed")
	}
	broker.start(t)
	reader := newClient(t, broker.serviceURL())
	got := checkTopic(t, reader, topic, acked, mayRepeat)
	t.Logf("%d acknowledged, %d read back after the bookie restart", len(acked), len(got))
}
