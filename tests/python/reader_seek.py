"""Readers and seeks: a reader from MessageId.earliest reads every message in order and
then has none available; a reader from a message id starts after it, or at it when the
start is inclusive; a consumer that acknowledged everything and seeks to the earliest
position gets every message again; after a seek to a message id a consumer gets the
message after it, or that message first when its start is inclusive.

Usage: reader_seek.py <service URL> <topic> <messages>; prints "reader read N",
"reader after id read N", "inclusive reader read N", "seek earliest redelivered N",
"seek id redelivered N", "inclusive seek id redelivered N" and "OK"."""

import sys

import pulsar

from common import check, client, fail, nothing_more, receive, say


def read_all(reader, want, what):
    """Reads want in order from reader, then checks nothing more is available."""
    for k, w in enumerate(want):
        try:
            m = reader.read_next(timeout_millis=15000)
        except pulsar.Timeout:
            fail("%s: timed out after %d of %d messages" % (what, k, len(want)))
        v = m.data().decode()
        check(v == w, "%s: got %s, want %s" % (what, v, w))
    check(not reader.has_message_available(), "%s: more messages available after %d" % (what, len(want)))
    return len(want)


def expect_from(consumer, values, first, what):
    """Receives and acknowledges values[first:] in order, then checks nothing follows."""
    for k in range(first, len(values)):
        m = receive(consumer, "message %d after %s" % (k, what))
        v = m.data().decode()
        check(v == values[k], "after %s got %s, want %s" % (what, v, values[k]))
        consumer.acknowledge(m)
    check(nothing_more(consumer, 500), "more messages after %s" % what)


def main(url, topic, n):
    c = client(url)
    producer = c.create_producer(topic, batching_enabled=False)
    values = ["m-%d" % i for i in range(n)]
    ids = [producer.send(v.encode()) for v in values]
    say("sent", n)

    r = c.create_reader(topic, pulsar.MessageId.earliest)
    say("reader read", read_all(r, values, "reader from earliest"))
    r.close()

    mid = n // 2
    r = c.create_reader(topic, ids[mid])
    say("reader after id read", read_all(r, values[mid + 1:], "reader after message %d" % mid))
    r.close()
    r = c.create_reader(topic, ids[mid], start_message_id_inclusive=True)
    say("inclusive reader read", read_all(r, values[mid:], "inclusive reader from message %d" % mid))
    r.close()

    consumer = c.subscribe(topic, "py-seek", initial_position=pulsar.InitialPosition.Earliest)
    expect_from(consumer, values, 0, "subscribing")
    consumer.seek(pulsar.MessageId.earliest)
    expect_from(consumer, values, 0, "seek to earliest")
    say("seek earliest redelivered", n)

    # The C++ client drops the sought message itself unless the consumer's start is
    # inclusive (ConsumerImpl::isPrior), so a plain consumer resumes after it ...
    consumer.seek(ids[mid])
    expect_from(consumer, values, mid + 1, "seek to message %d" % mid)
    say("seek id redelivered", n - mid - 1)
    consumer.close()

    # ... and an inclusive one gets it first: the broker resumes at the sought entry.
    consumer = c.subscribe(topic, "py-seek-inclusive", initial_position=pulsar.InitialPosition.Earliest,
                           start_message_id_inclusive=True)
    expect_from(consumer, values, 0, "inclusive consumer")
    consumer.seek(ids[mid])
    expect_from(consumer, values, mid, "inclusive seek to message %d" % mid)
    say("inclusive seek id redelivered", n - mid)

    consumer.close()
    producer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: reader_seek.py <service URL> <topic> <messages>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
