"""Key_Shared and Failover subscriptions with two Python consumers. Key_Shared: every
message reaches exactly one consumer, each key stays on one consumer, and each consumer
gets a key's messages in the order sent. Failover: one consumer is active and gets every
message; when it closes, delivery moves to the other.

Usage: subscriptions.py <service URL> <topic prefix> <messages>; prints "key_shared delivered N once",
"key_shared keys split A/B", "key_shared per-key order kept", "failover active got N",
"failover moved N" and "OK"."""

import sys
import time

import pulsar

from common import check, client, fail, nothing_more, say


def drain(consumers, want, what, timeout_s=20):
    """Receives from all consumers round robin until want messages came in total; returns
    [(consumer index, message)] in order of arrival, acknowledging each."""
    got = []
    deadline = time.time() + timeout_s
    while len(got) < want:
        check(time.time() < deadline, "%s: %d of %d messages within %ds" % (what, len(got), want, timeout_s))
        for i, c in enumerate(consumers):
            while len(got) < want:
                try:
                    m = c.receive(timeout_millis=50)
                except pulsar.Timeout:
                    break
                got.append((i, m))
                c.acknowledge(m)
    return got


def key_shared(c, topic, n):
    a = c.subscribe(topic, "py-ks", consumer_type=pulsar.ConsumerType.KeyShared, consumer_name="ks-a",
                    initial_position=pulsar.InitialPosition.Earliest)
    b = c.subscribe(topic, "py-ks", consumer_type=pulsar.ConsumerType.KeyShared, consumer_name="ks-b",
                    initial_position=pulsar.InitialPosition.Earliest)
    # Batches would carry several keys: send each message alone so each key routes itself.
    producer = c.create_producer(topic, batching_enabled=False)
    keys = ["key-%d" % k for k in range(16)]
    for i in range(n):
        producer.send_async(("%s:%d" % (keys[i % len(keys)], i)).encode(), None,
                            partition_key=keys[i % len(keys)])
    producer.flush()
    got = drain([a, b], n, "key_shared")
    check(nothing_more(a, 300) and nothing_more(b, 300), "key_shared: more than %d messages" % n)
    values = [m.data().decode() for _, m in got]
    check(sorted(values) == sorted("%s:%d" % (keys[i % len(keys)], i) for i in range(n)),
          "key_shared: delivered set differs from what was sent (%d values, %d distinct)"
          % (len(values), len(set(values))))
    say("key_shared delivered", n, "once")
    owner = {}
    last = {}
    per = [0, 0]
    for i, m in got:
        k, seq = m.data().decode().split(":")
        check(m.partition_key() == k, "key_shared: %s carries key %r" % (m.data(), m.partition_key()))
        check(owner.setdefault(k, i) == i, "key_shared: key %s went to both consumers" % k)
        check(int(seq) > last.get(k, -1), "key_shared: %s:%s after %s:%d" % (k, seq, k, last.get(k, -1)))
        last[k] = int(seq)
        per[i] += 1
    check(per[0] > 0 and per[1] > 0, "key_shared: one consumer got every message (%d/%d)" % tuple(per))
    say("key_shared keys split %d/%d" % tuple(sorted(per)))
    say("key_shared per-key order kept")
    producer.close()
    a.close()
    b.close()


def failover(c, topic, n):
    a = c.subscribe(topic, "py-fo", consumer_type=pulsar.ConsumerType.Failover, consumer_name="fo-a",
                    initial_position=pulsar.InitialPosition.Earliest)
    b = c.subscribe(topic, "py-fo", consumer_type=pulsar.ConsumerType.Failover, consumer_name="fo-b",
                    initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=False)
    for i in range(n):
        producer.send(("f-%d" % i).encode())
    got = drain([a, b], n, "failover first half")
    who = {i for i, _ in got}
    check(len(who) == 1, "failover: both consumers received messages")
    check([m.data().decode() for _, m in got] == ["f-%d" % i for i in range(n)],
          "failover: messages out of order")
    active = who.pop()
    say("failover active got", n)
    [a, b][active].close()
    other = [a, b][1 - active]
    for i in range(n, 2 * n):
        producer.send(("f-%d" % i).encode())
    got = drain([other], n, "failover after the active consumer closed")
    check([m.data().decode() for _, m in got] == ["f-%d" % i for i in range(n, 2 * n)],
          "failover: after the switch got %s..." % [m.data() for _, m in got][:3])
    check(nothing_more(other, 300), "failover: more messages after the switch")
    say("failover moved", n)
    producer.close()
    other.close()


def main(url, prefix, n):
    c = client(url)
    key_shared(c, prefix + "-key-shared", n)
    failover(c, prefix + "-failover", n)
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: subscriptions.py <service URL> <topic prefix> <messages>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
