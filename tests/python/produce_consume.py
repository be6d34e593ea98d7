"""The Python client's producers and consumers, end to end: a batching producer sends
asynchronously and a non-batching one synchronously, each message with properties and a
key; a Shared consumer receives every message in order of each producer with its
properties and key and acknowledges it, and after that its subscription has nothing
left; a fresh subscription from the earliest position re-reads every message.

Usage: produce_consume.py <service URL> <topic> <messages per producer>; prints
"sent N", "received N", "acked backlog empty", "re-read N" and "OK"."""

import sys
import threading

import pulsar

from common import check, client, fail, nothing_more, receive, say


def main(url, topic, n):
    c = client(url)
    consumer = c.subscribe(topic, "py-sub", consumer_type=pulsar.ConsumerType.Shared,
                           initial_position=pulsar.InitialPosition.Earliest)
    batched = c.create_producer(topic, producer_name="py-batched", batching_enabled=True,
                                batching_max_publish_delay_ms=5)
    single = c.create_producer(topic, producer_name="py-single", batching_enabled=False)

    # Asynchronous sends on the batching producer; the callbacks count the acks.
    done = threading.Event()
    results = []
    lock = threading.Lock()

    def sent(res, msg_id):
        with lock:
            results.append(res)
            if len(results) == n:
                done.set()

    for i in range(n):
        batched.send_async(("b-%d" % i).encode(), sent,
                           properties={"producer": "batched", "i": str(i)},
                           partition_key="bk-%d" % (i % 7))
    batched.flush()
    for i in range(n):
        single.send(("s-%d" % i).encode(), properties={"producer": "single", "i": str(i)},
                    partition_key="sk-%d" % (i % 5))
    check(done.wait(30), "batched sends not all acknowledged: %d of %d" % (len(results), n))
    bad = [r for r in results if r != pulsar.Result.Ok]
    check(not bad, "batched sends failed: %s" % bad[:3])
    say("sent", 2 * n)

    nxt = {"b": 0, "s": 0}
    batched_ids = 0
    for k in range(2 * n):
        m = receive(consumer, "message %d of %d" % (k + 1, 2 * n))
        v = m.data().decode()
        p = v[0]
        want = "%s-%d" % (p, nxt.get(p, -1))
        check(v == want, "got %s, want %s" % (v, want))
        i = nxt[p]
        props = m.properties()
        wprops = {"producer": "batched" if p == "b" else "single", "i": str(i)}
        check(props == wprops, "%s has properties %s, want %s" % (v, props, wprops))
        wkey = "bk-%d" % (i % 7) if p == "b" else "sk-%d" % (i % 5)
        check(m.partition_key() == wkey, "%s has key %r, want %r" % (v, m.partition_key(), wkey))
        wname = "py-batched" if p == "b" else "py-single"
        check(m.producer_name() == wname, "%s from producer %r, want %r" % (v, m.producer_name(), wname))
        if p == "b" and m.message_id().batch_index() >= 0:
            batched_ids += 1
        consumer.acknowledge(m)
        nxt[p] += 1
    say("received", nxt["b"] + nxt["s"])
    # A batching producer that sent 200 messages within 5 ms windows made real batches.
    check(batched_ids > 0, "no message of the batching producer came in a batch")
    say("batched messages", batched_ids)

    # Every message acknowledged: the subscription has nothing to redeliver.
    consumer.close()
    consumer = c.subscribe(topic, "py-sub", consumer_type=pulsar.ConsumerType.Shared)
    check(nothing_more(consumer), "the acknowledged subscription redelivered a message")
    say("acked backlog empty")
    consumer.close()

    again = c.subscribe(topic, "py-sub-again", initial_position=pulsar.InitialPosition.Earliest)
    seen = 0
    for k in range(2 * n):
        m = receive(again, "re-read message %d of %d" % (k + 1, 2 * n))
        again.acknowledge(m)
        seen += 1
    check(nothing_more(again), "the fresh subscription read more than %d messages" % (2 * n))
    say("re-read", seen)
    again.close()
    batched.close()
    single.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: produce_consume.py <service URL> <topic> <messages per producer>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
