package cluster

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestBookieKilledDuringProduce: a producer writes through a broker to ledgers with
// E=3, Qw=2, Qa=2; a bookie of the ensemble being written is killed with SIGKILL a third
// of the way through. The ledger client must replace it (ensemble change) without the
// producer noticing: every send succeeds, the producer's connection never drops, the
// ledger is written to an ensemble without the dead bookie, and the topic reads back
// every message once, in order, at the position its acknowledgement named. A spare
// fourth bookie is running: with E=3, a replacement needs a bookie outside the ensemble
// (as in BookKeeper).
func TestBookieKilledDuringProduce(t *testing.T) {
	for _, kind := range []string{etcdKind, zkKind} {
		t.Run(kind, func(t *testing.T) { bookieKilledDuringProduce(t, kind) })
	}
}

func bookieKilledDuringProduce(t *testing.T, kind string) {
	url := startMetadata(t, kind)
	store := openStore(t, url)
	byID := map[string]*bookieNode{}
	for range 4 {
		b := startBookie(t, store, url, "")
		byID[b.id] = b
	}
	broker := startBroker(t, url, quorum(3, 2, 2))
	rec := newRecorder()
	client := newClient(t, broker.serviceURL(), rec)
	topic := "persistent://public/default/bookie-kill-" + kind
	subscribe(t, client, topic)
	producer := newProducer(t, client, topic)

	const total = 3000
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	produced := make(chan struct{})
	go func() { defer close(produced); rec.produce(ctx, producer, 0, total, 100, nil) }()

	rec.waitAcked(t, total/3, 30*time.Second)
	before := openLedger(t, store)
	victim := byID[before.lastEnsemble()[0]]
	if victim == nil {
		t.Fatalf("ledger %d is written to %v, not to the bookies started (%v)", before.ID, before.lastEnsemble(), keys(byID))
	}
	victim.kill9()
	t.Logf("killed bookie %s (ledger %d ensemble %v) with %d messages in flight", victim.id, before.ID, before.lastEnsemble(), rec.inFlight())

	<-produced
	rec.wait(t, 45*time.Second)
	acked, failed := rec.results()
	if len(failed) > 0 {
		t.Errorf("%d of %d sends failed after the bookie died; e.g. %v", len(failed), total, firstErr(failed))
	}
	mayRepeat := rec.mayRepeat()
	if len(mayRepeat) > 0 {
		t.Errorf("the producer's connection dropped with %d messages unacknowledged: the bookie's death was not hidden from it", len(mayRepeat))
	}
	after := openLedger(t, store)
	if slices.Contains(after.lastEnsemble(), victim.id) {
		t.Errorf("ledger %d is still written to the dead bookie %s: ensemble %v", after.ID, victim.id, after.lastEnsemble())
	}
	got := checkTopic(t, client, topic, acked, mayRepeat)
	t.Logf("%d sent, %d acknowledged, %d read back; ledger %d fragments %+v", total, len(acked), len(got), after.ID, after.Ensembles)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// firstErr returns the failure of the lowest-numbered message.
func firstErr(failed map[int]error) error {
	first := -1
	for seq := range failed {
		if first < 0 || seq < first {
			first = seq
		}
	}
	return failed[first]
}
