package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestStandaloneKill9: `magnetar standalone` is killed with SIGKILL at a random moment
// while a producer writes, and started again on the same data directory with no repair
// step. The producer's client reconnects by itself; every acknowledged message must read
// back in order (messages in flight at the kill may appear twice), and producing goes on.
func TestStandaloneKill9(t *testing.T) {
	s := startStandalone(t, t.TempDir())
	client := newClient(t, s.serviceURL())
	topic := "persistent://public/default/standalone-kill"
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const first, more = 1000, 200
	killAfter := 100 + rand.IntN(first/2)
	rec := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, first, 100, 3*time.Millisecond, nil) }()

	rec.waitAcked(t, killAfter, 30*time.Second)
	s.kill9()
	mayRepeat := rec.inFlight()
	t.Logf("killed standalone after %d acknowledgements; %d messages in flight", killAfter, len(mayRepeat))

	began := time.Now()
	s.start(t)
	t.Logf("standalone ready again after %v", time.Since(began).Round(time.Millisecond))
	<-produced
	rec.wait(t, sendTimeout+5*time.Second)
	rec.produce(ctx, producer, first, first+more, 100, 0, nil)
	rec.wait(t, 20*time.Second)
	acked, failed := rec.results()
	if len(failed) > 0 {
		t.Errorf("%d of %d sends failed across the restart; e.g. %v", len(failed), first+more, firstErr(failed))
	}
	got := checkTopic(t, client, topic, acked, mayRepeat)
	t.Logf("%d sent, %d acknowledged, %d read back", first+more, len(acked), len(got))
}
