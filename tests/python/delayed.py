"""Delayed delivery with the Python client on a Shared subscription: a message sent with
deliver_after, and one with deliver_at, does not arrive before its time and arrives after
it; an undelayed message sent after them arrives at once.

Usage: delayed.py <service URL> <topic>; prints "undelayed first", "deliver_after held",
"deliver_after delivered", "deliver_at held", "deliver_at delivered" and "OK"."""

import sys
import time
from datetime import timedelta

import pulsar

from common import check, client, fail, nothing_more, receive, say

DELAY_S = 2.0


def main(url, topic):
    c = client(url)
    consumer = c.subscribe(topic, "py-delayed", consumer_type=pulsar.ConsumerType.Shared,
                           initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=False)
    start = time.time()
    producer.send(b"after", deliver_after=timedelta(seconds=DELAY_S))
    at_ms = int((start + 2 * DELAY_S) * 1000)
    producer.send(b"at", deliver_at=at_ms)
    producer.send(b"now")

    m = receive(consumer, "the undelayed message", 3000)
    check(m.data() == b"now", "first message %r, want the undelayed one" % m.data())
    check(time.time() - start < DELAY_S, "the undelayed message took %.1fs" % (time.time() - start))
    consumer.acknowledge(m)
    say("undelayed first")

    # Nothing else until the first delay is nearly up.
    wait_ms = int((start + DELAY_S - 0.3 - time.time()) * 1000)
    check(wait_ms > 0 and nothing_more(consumer, wait_ms), "a delayed message came before its time")
    say("deliver_after held")
    m = receive(consumer, "the deliver_after message", 10000)
    got = time.time() - start
    check(m.data() == b"after", "got %r, want the deliver_after message" % m.data())
    check(got >= DELAY_S - 0.05, "deliver_after message came after %.2fs, before its %.1fs" % (got, DELAY_S))
    consumer.acknowledge(m)
    say("deliver_after delivered")

    wait_ms = int((at_ms / 1000.0 - 0.3 - time.time()) * 1000)
    check(wait_ms > 0 and nothing_more(consumer, wait_ms), "the deliver_at message came before its time")
    say("deliver_at held")
    m = receive(consumer, "the deliver_at message", 10000)
    got = time.time()
    check(m.data() == b"at", "got %r, want the deliver_at message" % m.data())
    check(got * 1000 >= at_ms - 50, "deliver_at message came %.2fs early" % (at_ms / 1000.0 - got))
    consumer.acknowledge(m)
    say("deliver_at delivered")
    check(nothing_more(consumer, 500), "more messages after the delayed ones")

    producer.close()
    consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: delayed.py <service URL> <topic>")
    main(sys.argv[1], sys.argv[2])
