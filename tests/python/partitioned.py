"""A partitioned topic with the Python client: the client sees its partitions, a
round-robin producer without batching spreads unkeyed messages evenly over them, keyed
messages of one key all go to one partition and arrive in order, and one consumer of the
partitioned topic receives every message, each from the partition it was sent to.

Usage: partitioned.py <service URL> <topic> <partitions> <messages>; prints
"partitions N", "received N", "spread A/B/C", "message ids carry their partition",
"partition reader read all" and "OK"."""

import sys
from collections import defaultdict

import pulsar

from common import check, client, fail, nothing_more, receive, say


def main(url, topic, partitions, n):
    c = client(url)
    names = c.get_topic_partitions(topic)
    want = ["%s-partition-%d" % (topic, i) for i in range(partitions)]
    check(sorted(names) == want, "partitions %s, want %s" % (names, want))
    say("partitions", len(names))

    consumer = c.subscribe(topic, "py-partitioned", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=False,
                                 message_routing_mode=pulsar.PartitionsRoutingMode.RoundRobinDistribution)
    sent_to = {}
    for i in range(n):
        msg_id = producer.send(("u-%d" % i).encode())
        sent_to["u-%d" % i] = msg_id.partition()
    keys = ["k%d" % j for j in range(4)]
    for i in range(n):
        k = keys[i % len(keys)]
        msg_id = producer.send(("%s-%d" % (k, i)).encode(), partition_key=k)
        sent_to["%s-%d" % (k, i)] = msg_id.partition()

    unkeyed = defaultdict(int)
    key_partition = {}
    last = {}
    id_partitions = defaultdict(int)  # the partition each received message id names
    for k in range(2 * n):
        m = receive(consumer, "message %d of %d" % (k + 1, 2 * n))
        v = m.data().decode()
        check(v in sent_to, "unexpected message %s" % v)
        p = sent_to[v]
        check(m.topic_name() == "%s-partition-%d" % (topic, p),
              "%s has topic %s, sent to partition %d" % (v, m.topic_name(), p))
        id_partitions[m.message_id().partition() == p] += 1
        prefix, i = v.rsplit("-", 1)
        i = int(i)
        if prefix == "u":
            unkeyed[p] += 1
        else:
            check(m.partition_key() == prefix, "%s has key %r" % (v, m.partition_key()))
            check(key_partition.setdefault(prefix, p) == p,
                  "key %s on partitions %d and %d" % (prefix, key_partition[prefix], p))
        prev = last.get((prefix, p), -1)
        check(i > prev, "%s after %s-%d on partition %d" % (v, prefix, prev, p))
        last[(prefix, p)] = i
        consumer.acknowledge(m)
    check(nothing_more(consumer), "more than %d messages" % (2 * n))
    say("received", 2 * n)
    spread = [unkeyed[p] for p in range(partitions)]
    check(all(s == n // partitions for s in spread), "round robin spread %s unevenly" % spread)
    say("spread", "/".join(str(s) for s in spread))
    # The C++ client takes a received message's partition from the broker's
    # CommandMessage.message_id; MessageId equality includes it.
    if id_partitions[False]:
        say("message ids lack their partition: %d of %d" % (id_partitions[False], 2 * n))
    else:
        say("message ids carry their partition")

    # A reader of one partition reads what was sent there and then has nothing available
    # (the client compares the last id it read with GetLastMessageId's answer).
    on0 = sorted((v for v, p in sent_to.items() if p == 0), key=lambda v: (v[0] != "u", int(v.rsplit("-", 1)[1])))
    reader = c.create_reader("%s-partition-0" % topic, pulsar.MessageId.earliest)
    got = []
    while reader.has_message_available():
        check(len(got) <= len(on0), "reader of partition 0 read more than %d messages" % len(on0))
        try:
            got.append(reader.read_next(timeout_millis=3000).data().decode())
        except pulsar.Timeout:
            fail("reader of partition 0: a message is available after %d of %d, yet none comes "
                 "(does GetLastMessageId name the partition as the received ids do?)" % (len(got), len(on0)))
    check(got == on0, "reader of partition 0 read %d messages %s..., want %d %s..."
          % (len(got), got[:3], len(on0), on0[:3]))
    say("partition reader read %d of %d" % (len(got), len(on0)))
    say("partition reader read all")
    reader.close()

    producer.close()
    consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        fail("usage: partitioned.py <service URL> <topic> <partitions> <messages>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
