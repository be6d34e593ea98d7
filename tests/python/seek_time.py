"""Seeking by time, message availability and the last message id with the Python client:
after a consumer acknowledged everything, a seek to a publish time between two rounds of
messages gets the second round again; a seek to a time before all gets everything; a
reader of an empty topic has no message available, after a send it has, and after
reading everything it has none; get_last_message_id names the last message sent.

Usage: seek_time.py <service URL> <topic> <messages per round>; prints "seek time redelivered N",
"seek time zero redelivered N", "empty topic unavailable", "available after send",
"unavailable after reading all", "latest readers agree", "last message id matches", "empty last message id <id>", "batched availability right" and "OK"."""

import sys
import time

import pulsar

from common import check, client, fail, nothing_more, receive, say


def expect(consumer, want, what):
    for k, w in enumerate(want):
        m = receive(consumer, "%s: message %d" % (what, k))
        check(m.data().decode() == w, "%s: got %s, want %s" % (what, m.data(), w))
        consumer.acknowledge(m)
    check(nothing_more(consumer, 500), "%s: more than %d messages" % (what, len(want)))


def batched(c, topic):
    """Availability counts the messages within a batch: the last id carries its batch index."""
    producer = c.create_producer(topic, batching_enabled=True, batching_max_messages=10,
                                 batching_max_publish_delay_ms=1000)
    for i in range(10):
        producer.send_async(("b-%d" % i).encode(), None)
    producer.flush()
    reader = c.create_reader(topic, pulsar.MessageId.earliest)
    got = []
    while reader.has_message_available():
        check(len(got) < 10, "batched reader: more than 10 messages available")
        got.append(reader.read_next(timeout_millis=15000).data().decode())
    check(got == ["b-%d" % i for i in range(10)], "batched reader read %s" % got)
    reader.close()
    reader = c.create_reader(topic, pulsar.MessageId.latest, start_message_id_inclusive=True)
    check(reader.has_message_available(), "inclusive reader from latest of a batch has nothing available")
    m = reader.read_next(timeout_millis=15000)
    check(m.data() == b"b-9", "inclusive reader from latest of a batch read %r, want b-9" % m.data())
    check(not reader.has_message_available(), "inclusive reader from latest of a batch has more after b-9")
    reader.close()
    producer.close()
    say("batched availability right")


def main(url, topic, n):
    c = client(url)

    # Availability on an empty topic.
    reader = c.create_reader(topic, pulsar.MessageId.earliest)
    check(not reader.has_message_available(), "a reader of an empty topic has a message available")
    say("empty topic unavailable")
    consumer = c.subscribe(topic, "py-seek-time", initial_position=pulsar.InitialPosition.Earliest)
    empty_last = consumer.get_last_message_id()
    say("empty last message id", empty_last)

    producer = c.create_producer(topic, batching_enabled=False)
    first = ["r1-%d" % i for i in range(n)]
    second = ["r2-%d" % i for i in range(n)]
    for v in first:
        producer.send(v.encode())
    time.sleep(0.1)
    between = int(time.time() * 1000)
    time.sleep(0.1)
    last_id = None
    for v in second:
        last_id = producer.send(v.encode())

    check(reader.has_message_available(), "no message available after %d sends" % (2 * n))
    say("available after send")
    for k, w in enumerate(first + second):
        try:
            m = reader.read_next(timeout_millis=15000)
        except pulsar.Timeout:
            fail("reader: timed out after %d of %d" % (k, 2 * n))
        check(m.data().decode() == w, "reader got %s, want %s" % (m.data(), w))
    check(not reader.has_message_available(), "a message available after reading all %d" % (2 * n))
    say("unavailable after reading all")
    reader.close()

    # A reader from the latest position has nothing until the next send.
    latest = c.create_reader(topic, pulsar.MessageId.latest)
    check(not latest.has_message_available(), "a reader from latest has a message available")
    last_id = producer.send(b"r3-0")
    check(latest.has_message_available(), "a reader from latest has nothing after a send")
    m = latest.read_next(timeout_millis=15000)
    check(m.data() == b"r3-0", "reader from latest read %r" % m.data())
    check(not latest.has_message_available(), "a reader from latest has more after reading the new one")
    latest.close()
    # An inclusive reader from latest starts at the last message.
    latest = c.create_reader(topic, pulsar.MessageId.latest, start_message_id_inclusive=True)
    check(latest.has_message_available(), "an inclusive reader from latest has no message available")
    m = latest.read_next(timeout_millis=15000)
    check(m.data() == b"r3-0", "inclusive reader from latest read %r, want the last message" % m.data())
    check(not latest.has_message_available(), "an inclusive reader from latest has more after the last")
    latest.close()
    say("latest readers agree")
    second.append("r3-0")

    got_last = consumer.get_last_message_id()
    check((got_last.ledger_id(), got_last.entry_id()) == (last_id.ledger_id(), last_id.entry_id()),
          "get_last_message_id %s, last sent %s" % (got_last, last_id))
    say("last message id matches")

    expect(consumer, first + second, "subscribing")
    consumer.seek(between)
    expect(consumer, second, "seek to a time between the rounds")
    say("seek time redelivered", len(second))
    consumer.seek(0)
    expect(consumer, first + second, "seek to time 0")
    say("seek time zero redelivered", len(first + second))

    consumer.close()
    producer.close()
    batched(c, topic + "-batched")
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: seek_time.py <service URL> <topic> <messages per round>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
