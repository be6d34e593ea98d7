"""Compression with the Python client: a producer of each codec (LZ4, ZLib, ZSTD, SNAPPY),
batched and not, sends compressible and incompressible payloads; a consumer receives each
payload byte for byte.

Usage: compression.py <service URL> <topic prefix> <messages>; prints "<codec> <batched|single> N"
for each codec and mode, and "OK"."""

import os
import sys

import pulsar

from common import check, client, fail, nothing_more, receive, say

CODECS = [("LZ4", pulsar.CompressionType.LZ4), ("ZLib", pulsar.CompressionType.ZLib),
          ("ZSTD", pulsar.CompressionType.ZSTD), ("SNAPPY", pulsar.CompressionType.SNAPPY)]


def payloads(n):
    """Alternating compressible (repetitive text, some above the 64 KiB of one LZ4 block)
    and random payloads."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append((("payload-%d-" % i) * (10 + 1000 * (i % 7))).encode())
        else:
            out.append(os.urandom(1 + 997 * i))
    return out


def main(url, prefix, n):
    c = client(url)
    for name, codec in CODECS:
        for batched in (True, False):
            mode = "batched" if batched else "single"
            topic = "%s-%s-%s" % (prefix, name.lower(), mode)
            consumer = c.subscribe(topic, "py-compression", initial_position=pulsar.InitialPosition.Earliest)
            producer = c.create_producer(topic, compression_type=codec, batching_enabled=batched,
                                         batching_max_publish_delay_ms=10)
            want = payloads(n)
            if batched:
                for p in want:
                    producer.send_async(p, None)
                producer.flush()
            else:
                for p in want:
                    producer.send(p)
            in_batch = 0
            for k, w in enumerate(want):
                m = receive(consumer, "%s %s message %d" % (name, mode, k))
                d = m.data()
                check(d == w, "%s %s message %d: got %d bytes %r..., want %d bytes %r..."
                      % (name, mode, k, len(d), d[:20], len(w), w[:20]))
                if m.message_id().batch_index() >= 0:
                    in_batch += 1
                consumer.acknowledge(m)
            check(nothing_more(consumer, 300), "%s %s: more than %d messages" % (name, mode, n))
            if batched:
                check(in_batch > 0, "%s batched: no message came in a batch" % name)
            say(name, mode, n)
            producer.close()
            consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: compression.py <service URL> <topic prefix> <messages>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
