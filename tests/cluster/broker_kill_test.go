package cluster

import (
	"context"
	"testing"
	"time"
)

// TestBrokerKill9Restart: the broker is killed with SIGKILL while a producer writes; a new
// broker process on the same metadata store and address takes the topic over. Recovering
// the managed ledger fences and closes the ledger the dead broker was writing, and the
// producer's pending messages are sent again to the new broker. Every acknowledged
// message must read back in order (only messages unacknowledged when the connection
// dropped may be stored twice), no send may fail, and producing goes on.
func TestBrokerKill9Restart(t *testing.T) {
	url := startMetadata(t, etcdKind)
	store := openStore(t, url)
	for range 2 {
		startBookie(t, store, url, "")
	}
	conf := quorum(2, 2, 2)
	broker := startBroker(t, url, conf)
	rec := newRecorder()
	client := newClient(t, broker.serviceURL(), rec)
	topic := "persistent://public/default/broker-kill"
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const first, more = 3000, 300
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, first, 100, nil) }()

	rec.waitAcked(t, first/3, 30*time.Second)
	written := openLedger(t, store)
	broker.kill9()
	t.Logf("killed the broker; ledger %d was open, %d messages in flight", written.ID, rec.inFlight())

	began := time.Now()
	startBrokerOn(t, url, broker.port, conf)
	t.Logf("new broker ready after %v", time.Since(began).Round(time.Millisecond))
	<-produced
	rec.wait(t, sendTimeout+5*time.Second)
	if _, failed := rec.results(); len(failed) > 0 {
		t.Errorf("%d of %d sends failed across the broker restart; e.g. %v", len(failed), first, firstErr(failed))
	}
	if l := findLedger(t, store, written.ID); l.State != "CLOSED" {
		t.Errorf("ledger %d the dead broker wrote is %s after the takeover, want CLOSED (fenced and recovered)", l.ID, l.State)
	}

	// Producing goes on through the new broker.
	rec.produce(ctx, producer, first, first+more, 100, nil)
	rec.wait(t, 20*time.Second)
	acked, failed := rec.results()
	if len(failed) > 0 {
		t.Errorf("%d sends failed in all; e.g. %v", len(failed), firstErr(failed))
	}
	mayRepeat := rec.mayRepeat()
	got := checkTopic(t, client, topic, acked, mayRepeat)
	t.Logf("%d sent, %d acknowledged, %d read back; %d were unacknowledged when a connection dropped",
		first+more, len(acked), len(got), len(mayRepeat))
}
