package cluster

import (
	"context"
	"testing"
	"time"
)

// TestBookieKill9Restart: with a single bookie and E=Qw=Qa=1, that bookie holds the only
// copy of every entry. It is killed with SIGKILL while a producer writes and started
// again from its data and journal directories. The producer's pending messages must get
// through once it is back (none may fail), producing works again, and every acknowledged
// message reads back in order through a broker that has nothing cached (it is restarted,
// so every read goes to the bookie). Only messages unacknowledged when the producer's
// connection dropped may be stored twice.
func TestBookieKill9Restart(t *testing.T) {
	url := startMetadata(t, etcdKind)
	store := openStore(t, url)
	bookie := startBookie(t, store, url, "")
	broker := startBroker(t, url, quorum(1, 1, 1))
	rec := newRecorder()
	client := newClient(t, broker.serviceURL(), rec)
	topic := "persistent://public/default/bookie-restart"
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const first, more = 3000, 300
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	stop := make(chan struct{})
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, first, 100, stop) }()

	rec.waitAcked(t, first/3, 30*time.Second)
	bookie.kill9()
	close(stop) // the producer may be blocked on a full queue until the bookie is back
	t.Logf("killed the bookie with %d messages in flight", rec.inFlight())

	began := time.Now()
	bookie.restart(t)
	t.Logf("bookie registered again after %v", time.Since(began).Round(time.Millisecond))
	<-produced
	rec.wait(t, sendTimeout+5*time.Second)
	rec.produce(ctx, producer, first, first+more, 100, nil)
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
	reader := newClient(t, broker.serviceURL(), nil)
	mayRepeat := rec.mayRepeat()
	got := checkTopic(t, reader, topic, acked, mayRepeat)
	t.Logf("%d acknowledged, %d read back after the bookie restart; %d were unacknowledged when a connection dropped",
		len(acked), len(got), len(mayRepeat))
}
