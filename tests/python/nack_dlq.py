"""Negative acknowledgement and dead-lettering with the Python client: a message a
consumer negatively acknowledges comes back with its redelivery count raised; with a
dead-letter policy (max_redeliver_count=1) a message negatively acknowledged twice goes
to the dead-letter topic, with its properties, and is not delivered again.

Usage: nack_dlq.py <service URL> <topic prefix>; prints "nack redelivered",
"dlq received", "dlq not redelivered" and "OK"."""

import sys

import pulsar

from common import check, client, fail, nothing_more, receive, say

NACK_DELAY_MS = 300


def main(url, prefix):
    c = client(url)

    topic = prefix + "-nack"
    consumer = c.subscribe(topic, "py-nack", consumer_type=pulsar.ConsumerType.Shared,
                           initial_position=pulsar.InitialPosition.Earliest,
                           negative_ack_redelivery_delay_ms=NACK_DELAY_MS)
    producer = c.create_producer(topic)
    producer.send(b"retry-me")
    producer.send(b"keep-me")
    first = receive(consumer, "the first message")
    check(first.data() == b"retry-me", "first message %r" % first.data())
    check(first.redelivery_count() == 0, "first delivery has redelivery count %d" % first.redelivery_count())
    consumer.negative_acknowledge(first)
    second = receive(consumer, "the second message")
    check(second.data() == b"keep-me", "second message %r" % second.data())
    consumer.acknowledge(second)
    again = receive(consumer, "the negatively acknowledged message again")
    check(again.data() == b"retry-me", "redelivered %r, want retry-me" % again.data())
    check(again.message_id() == first.message_id(), "redelivered under another id %s, want %s"
          % (again.message_id(), first.message_id()))
    check(again.redelivery_count() == 1, "redelivery count %d, want 1" % again.redelivery_count())
    consumer.acknowledge(again)
    check(nothing_more(consumer), "a message came after all were acknowledged")
    say("nack redelivered")
    producer.close()
    consumer.close()

    topic = prefix + "-dlq-source"
    dlq = prefix + "-dlq"
    dlq_consumer = c.subscribe(dlq, "py-dlq-reader", initial_position=pulsar.InitialPosition.Earliest)
    consumer = c.subscribe(topic, "py-dlq", consumer_type=pulsar.ConsumerType.Shared,
                           initial_position=pulsar.InitialPosition.Earliest,
                           negative_ack_redelivery_delay_ms=NACK_DELAY_MS,
                           dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(
                               max_redeliver_count=1, dead_letter_topic=dlq))
    producer = c.create_producer(topic)
    producer.send(b"poison", properties={"why": "test"})
    producer.send(b"fine")
    counts = []
    fine = 0
    while len(counts) < 2 or fine < 1:
        m = receive(consumer, "delivery %d of poison" % (len(counts) + 1))
        if m.data() == b"fine":
            consumer.acknowledge(m)
            fine += 1
            continue
        check(m.data() == b"poison", "unexpected message %r" % m.data())
        counts.append(m.redelivery_count())
        consumer.negative_acknowledge(m)
    check(counts == [0, 1], "poison delivered with redelivery counts %s, want [0, 1]" % counts)

    d = receive(dlq_consumer, "the poison message on the dead-letter topic")
    check(d.data() == b"poison", "dead-letter topic got %r" % d.data())
    check(d.properties().get("why") == "test", "dead-lettered properties %s lack why=test" % d.properties())
    dlq_consumer.acknowledge(d)
    say("dlq received")
    check(nothing_more(consumer, 2 * NACK_DELAY_MS + 1000), "poison delivered again after dead-lettering")
    check(nothing_more(dlq_consumer, 200), "the dead-letter topic got more than one message")
    say("dlq not redelivered")

    producer.close()
    consumer.close()
    dlq_consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: nack_dlq.py <service URL> <topic prefix>")
    main(sys.argv[1], sys.argv[2])
