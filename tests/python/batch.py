"""Batches with the Python client. Message metadata round-trips through a batch: each
message's properties, partition key, ordering key and event timestamp come back, and its
publish timestamp lies between the send and the receive. Acknowledging messages of a
batch one by one and negatively acknowledging one (3) while another (6) stays pending:
the entry is the unit of redelivery. With batch index acknowledgement
(batch_index_ack_enabled) the broker sends the entry again with the acked indexes in
CommandMessage.ack_set (Pulsar's PIP-54) and the client filters them, so 3 and 6 come back;
without it the C++ client acks the entry only when every index is acked, the broker knows
of no index acks, and the whole batch comes back, as with Pulsar.

Usage: batch.py <service URL> <topic prefix>; prints "metadata round trip N",
"batch index ack: redelivered <values>", "entry ack: redelivered <values>",
"acked after redelivery" and "OK"."""

import sys
import time

import pulsar

from common import check, client, fail, nothing_more, receive, say

N = 10
NACK_DELAY_MS = 300


def send_batch(producer, tag, meta=False):
    """Sends N messages as one batch; with meta each carries properties, keys and an event time."""
    for i in range(N):
        kw = {}
        if meta:
            kw = dict(properties={"i": str(i), "tag": tag}, partition_key="pk-%d" % i,
                      ordering_key="ok-%d" % i, event_timestamp=1700000000000 + i)
        producer.send_async(("%s-%d" % (tag, i)).encode(), None, **kw)
    producer.flush()


def metadata(c, topic):
    consumer = c.subscribe(topic, "py-batch-meta", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=True, batching_max_messages=N,
                                 batching_max_publish_delay_ms=1000)
    before = int(time.time() * 1000)
    send_batch(producer, "meta", meta=True)
    entries = set()
    for i in range(N):
        m = receive(consumer, "batched message %d" % i)
        after = int(time.time() * 1000)
        v = "meta-%d" % i
        check(m.data() == v.encode(), "got %r, want %s" % (m.data(), v))
        check(m.properties() == {"i": str(i), "tag": "meta"}, "%s properties %s" % (v, m.properties()))
        check(m.partition_key() == "pk-%d" % i, "%s partition key %r" % (v, m.partition_key()))
        check(m.ordering_key() in ("ok-%d" % i, ("ok-%d" % i).encode()), "%s ordering key %r" % (v, m.ordering_key()))
        check(m.event_timestamp() == 1700000000000 + i, "%s event timestamp %d" % (v, m.event_timestamp()))
        check(before - 5 <= m.publish_timestamp() <= after + 5, "%s publish timestamp %d outside [%d, %d]"
              % (v, m.publish_timestamp(), before, after))
        mid = m.message_id()
        check(mid.batch_index() == i, "%s has batch index %d" % (v, mid.batch_index()))
        entries.add((mid.ledger_id(), mid.entry_id()))
        consumer.acknowledge(m)
    check(len(entries) == 1, "the batch came as %d entries" % len(entries))
    say("metadata round trip", N)
    producer.close()
    consumer.close()


def partial_ack(c, topic, index_acks):
    what = "batch index ack" if index_acks else "entry ack"
    consumer = c.subscribe(topic, "py-batch-ack", consumer_type=pulsar.ConsumerType.Shared,
                           initial_position=pulsar.InitialPosition.Earliest,
                           negative_ack_redelivery_delay_ms=NACK_DELAY_MS,
                           batch_index_ack_enabled=index_acks)
    producer = c.create_producer(topic, batching_enabled=True, batching_max_messages=N,
                                 batching_max_publish_delay_ms=1000)
    send_batch(producer, "b")
    msgs = [receive(consumer, "%s: batched message %d" % (what, i)) for i in range(N)]
    check([m.data() for m in msgs] == [("b-%d" % i).encode() for i in range(N)],
          "%s: batch came as %s" % (what, [m.data() for m in msgs]))
    # Acknowledge all but 3 and 6; negatively acknowledge 3; leave 6 pending.
    for i, m in enumerate(msgs):
        if i not in (3, 6):
            consumer.acknowledge(m)
    consumer.negative_acknowledge(msgs[3])
    back = []
    deadline = time.time() + 3 * NACK_DELAY_MS / 1000.0 + 2
    while time.time() < deadline:
        try:
            m = consumer.receive(timeout_millis=200)
        except pulsar.Timeout:
            if back:
                break
            continue
        back.append(m)
    values = [m.data().decode() for m in back]
    say("%s: redelivered %s" % (what, ",".join(values) or "nothing"))
    for m in back:
        consumer.acknowledge(m)
    consumer.acknowledge(msgs[6])
    check(nothing_more(consumer, NACK_DELAY_MS + 700), "%s: more came after acknowledging all" % what)
    consumer.close()
    # Everything acknowledged: a new consumer of the subscription gets nothing.
    consumer = c.subscribe(topic, "py-batch-ack", consumer_type=pulsar.ConsumerType.Shared,
                           batch_index_ack_enabled=index_acks)
    check(nothing_more(consumer, 700), "%s: the subscription redelivered after all were acknowledged" % what)
    consumer.close()
    producer.close()


def main(url, prefix):
    c = client(url)
    metadata(c, prefix + "-meta")
    partial_ack(c, prefix + "-index-ack", True)
    partial_ack(c, prefix + "-entry-ack", False)
    say("acked after redelivery")
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: batch.py <service URL> <topic prefix>")
    main(sys.argv[1], sys.argv[2])
