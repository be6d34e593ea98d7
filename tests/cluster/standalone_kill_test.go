package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestStandaloneKill9: `magnetar standalone` is killed with SIGKILL at a random moment
// while a producer writes, and started again on the same data directory with no repair
// step. The producer's client reconnects by itself and no send fails; every
// acknowledged message must read back in order (only messages unacknowledged when the
// connection dropped may be stored twice), and producing goes on.
func TestStandaloneKill9(t *testing.T) {
	s := startStandalone(t, t.TempDir())
	rec := newRecorder()
	client := newClient(t, s.serviceURL(), rec)
	topic := "persistent://public/default/standalone-kill"
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const first, more = 3000, 300
	killAfter := 200 + rand.IntN(first/2)
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, first, 100, nil) }()

	rec.waitAcked(t, killAfter, 30*time.Second)
	s.kill9()
	t.Logf("killed standalone after %d acknowledgements, %d messages in flight", killAfter, rec.inFlight())

	began := time.Now()
	s.start(t)
	t.Logf("standalone ready again after %v", time.Since(began).Round(time.Millisecond))
	<-produced
	rec.wait(t, sendTimeout+5*time.Second)
	rec.produce(ctx, producer, first, first+more, 100, nil)
	rec.wait(t, 20*time.Second)
	acked, failed := rec.results()
	if len(failed) > 0 {
		t.Errorf("%d of %d sends failed across the restart; e.g. %v", len(failed), first+more, firstErr(failed))
	}
	mayRepeat := rec.mayRepeat()
	got := checkTopic(t, client, topic, acked, mayRepeat)
	t.Logf("%d sent, %d acknowledged, %d read back; %d were unacknowledged when a connection dropped",
		first+more, len(acked), len(got), len(mayRepeat))
}
