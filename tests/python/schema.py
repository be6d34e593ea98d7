"""Schemas with the Python client (pulsar.schema): a STRING producer and consumer and a
JSON producer and consumer of a Record round-trip their values; the topic's schema has a
version the messages carry; a producer of another schema type on the JSON topic is
refused with IncompatibleSchema.

Usage: schema.py <service URL> <topic prefix> <messages>; prints "string round trip N",
"json round trip N", "incompatible refused" and "OK"."""

import sys

import pulsar
from pulsar.schema import Integer, JsonSchema, Record, String, StringSchema

from common import check, client, fail, receive, say


class Reading(Record):
    sensor = String()
    value = Integer()


def main(url, prefix, n):
    c = client(url)

    topic = prefix + "-string"
    consumer = c.subscribe(topic, "py-string", schema=StringSchema(),
                           initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, schema=StringSchema())
    for i in range(n):
        producer.send("héllo-%d" % i)
    for i in range(n):
        m = receive(consumer, "string message %d" % i)
        check(m.value() == "héllo-%d" % i, "string message %d is %r" % (i, m.value()))
        consumer.acknowledge(m)
    check(m.schema_version(), "string messages carry no schema version")
    say("string schema version", repr(m.schema_version()))
    say("string round trip", n)
    producer.close()
    consumer.close()

    topic = prefix + "-json"
    consumer = c.subscribe(topic, "py-json", schema=JsonSchema(Reading),
                           initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, schema=JsonSchema(Reading), batching_enabled=True,
                                 batching_max_publish_delay_ms=5)
    for i in range(n):
        producer.send_async(Reading(sensor="s-%d" % (i % 3), value=i), None)
    producer.flush()
    for i in range(n):
        m = receive(consumer, "json message %d" % i)
        r = m.value()
        check(isinstance(r, Reading), "json message %d decoded as %r" % (i, r))
        check((r.sensor, r.value) == ("s-%d" % (i % 3), i),
              "json message %d is %s/%s" % (i, r.sensor, r.value))
        consumer.acknowledge(m)
    check(m.schema_version(), "json messages carry no schema version")
    say("json schema version", repr(m.schema_version()))
    say("json round trip", n)

    try:
        other = c.create_producer(topic, schema=StringSchema())
    except pulsar.IncompatibleSchema:
        say("incompatible refused")
    else:
        other.close()
        fail("a STRING producer was accepted on a topic with a JSON schema")
    producer.close()
    consumer.close()
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: schema.py <service URL> <topic prefix> <messages>")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
