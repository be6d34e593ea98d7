"""Chunking and the maximum message size with the Python client: a producer with chunking
enabled (batching off) sends a message of 12 MiB, over the broker's 5 MiB maximum, and a
consumer receives it intact; a producer without chunking gets an error for a 6 MiB message
and stays usable for the next, small one.

Usage: chunking.py <service URL> <topic prefix>; prints "chunked sent", "chunked received N bytes",
"oversized refused <result>", "producer usable after refusal" and "OK"."""

import os
import sys

import pulsar

from common import check, client, fail, nothing_more, receive, say

MIB = 1024 * 1024


def main(url, prefix):
    c = client(url)

    topic = prefix + "-chunked"
    consumer = c.subscribe(topic, "py-chunks", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, chunking_enabled=True, batching_enabled=False)
    big = os.urandom(12 * MIB)
    producer.send(b"before")
    producer.send(big, properties={"kind": "big"})
    producer.send(b"after")
    say("chunked sent")
    m = receive(consumer, "the message before the chunked one")
    check(m.data() == b"before", "first message %r" % m.data()[:20])
    consumer.acknowledge(m)
    m = receive(consumer, "the chunked message", 30000)
    d = m.data()
    check(len(d) == len(big), "chunked message has %d bytes, want %d" % (len(d), len(big)))
    check(d == big, "chunked message of %d bytes differs from what was sent" % len(d))
    check(m.properties() == {"kind": "big"}, "chunked message properties %s" % m.properties())
    consumer.acknowledge(m)
    say("chunked received", len(d), "bytes")
    m = receive(consumer, "the message after the chunked one")
    check(m.data() == b"after", "message after the chunked one %r" % m.data()[:20])
    consumer.acknowledge(m)
    check(nothing_more(consumer, 500), "more messages after the chunked one")
    producer.close()
    consumer.close()

    topic = prefix + "-plain"
    consumer = c.subscribe(topic, "py-plain", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=False)
    try:
        producer.send(os.urandom(6 * MIB))
    except pulsar.PulsarException as e:
        say("oversized refused", type(e).__name__)
    else:
        fail("a 6 MiB message without chunking was accepted")
    producer.send(b"small")
    m = receive(consumer, "the small message after the refused one")
    check(m.data() == b"small", "got %r, want small" % m.data()[:20])
    consumer.acknowledge(m)
    check(nothing_more(consumer, 500), "the refused message arrived after all")
    say("producer usable after refusal")
    producer.close()
    consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: chunking.py <service URL> <topic prefix>")
    main(sys.argv[1], sys.argv[2])
