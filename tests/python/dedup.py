"""Deduplication with the Python client, on a namespace with deduplication enabled: a
producer of a fixed name sends with its own sequence ids; recreated under the same name it
learns the last sequence id the broker stored (last_sequence_id()); a resend of an id
already stored is acknowledged but not stored again; a producer recreated without its own
ids continues after the last one; after the topic is unloaded
and the producer reconnects, a resend is still recognised; a consumer reads each message exactly once.

Usage: dedup.py <service URL> <web URL> <topic>; prints "last sequence id N", "recreated last sequence id N",
"reconnected last sequence id N",
"resend not stored", "auto sequence continues at N", "stored once N" and "OK"."""

import sys
import urllib.request

import pulsar

from common import check, client, fail, nothing_more, receive, say

NAME = "py-dedup-producer"


def unload(web, topic):
    """Unloads the topic through the admin API (pulsar-admin topics unload)."""
    path = topic.replace("persistent://", "persistent/")
    req = urllib.request.Request("%s/admin/v2/%s/unload" % (web.rstrip("/"), path), method="PUT")
    with urllib.request.urlopen(req, timeout=15) as resp:
        check(resp.status // 100 == 2, "unload %s: %s" % (topic, resp.status))


def main(url, web, topic):
    c = client(url)
    consumer = c.subscribe(topic, "py-dedup", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, producer_name=NAME, batching_enabled=False)
    check(producer.last_sequence_id() == -1, "a new producer has last sequence id %d" % producer.last_sequence_id())
    for i in range(5):
        producer.send(("m-%d" % i).encode(), sequence_id=i)
    check(producer.last_sequence_id() == 4, "last sequence id %d after ids 0..4" % producer.last_sequence_id())
    say("last sequence id", producer.last_sequence_id())
    producer.close()

    producer = c.create_producer(topic, producer_name=NAME, batching_enabled=False)
    say("recreated last sequence id", producer.last_sequence_id())
    check(producer.last_sequence_id() == 4, "recreated producer has last sequence id %d, want 4"
          % producer.last_sequence_id())
    dup = producer.send(b"m-3-again", sequence_id=3)
    say("resend acknowledged as", dup)
    producer.send(b"m-5", sequence_id=5)
    # The topic unloaded, the producer reconnects; the reloaded topic still knows id 5.
    unload(web, topic)
    producer.send(b"m-5-again", sequence_id=5)
    check(producer.last_sequence_id() == 5, "after reconnect last sequence id %d, want 5" % producer.last_sequence_id())
    say("reconnected last sequence id", producer.last_sequence_id())
    producer.close()

    producer = c.create_producer(topic, producer_name=NAME, batching_enabled=False)
    producer.send(b"m-6")
    check(producer.last_sequence_id() == 6, "a producer without its own ids sent as %d, want 6"
          % producer.last_sequence_id())
    say("auto sequence continues at", producer.last_sequence_id())
    producer.close()

    got = []
    for k in range(7):
        m = receive(consumer, "message %d" % k)
        got.append(m.data().decode())
        consumer.acknowledge(m)
    check(nothing_more(consumer, 500), "more than 7 messages stored")
    want = ["m-%d" % i for i in range(7)]
    check(got == want, "stored %s, want %s (a resend stored again?)" % (got, want))
    say("resend not stored")
    say("stored once", len(got))
    consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: dedup.py <service URL> <web URL> <topic>")
    main(sys.argv[1], sys.argv[2], sys.argv[3])
