"""Unsubscribing, and topics of namespaces that do not exist, with the Python client.
A consumer that unsubscribes deletes its subscription: subscribed again under the same
name from the latest position it gets only what is sent after. A consumer that is one of
two on a Shared subscription cannot unsubscribe it. A producer, a consumer and a reader
of a topic in a namespace (or tenant) that does not exist get an error well before the
client's operation timeout.

Usage: lifecycle.py <service URL> <topic> <missing namespace topic> <missing tenant topic>;
prints "unsubscribed", "resubscribed from latest", "shared unsubscribe refused <error>",
"<what> on missing <namespace|tenant> refused" (then "  with <error> in <s>s") and "OK"."""

import sys
import time

import pulsar

from common import check, client, fail, nothing_more, receive, say

# The client's operation timeout is 15 s (common.client); a clear error comes much sooner.
QUICK_S = 5


def unsubscribe(c, topic):
    consumer = c.subscribe(topic, "py-unsub", initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(topic, batching_enabled=False)
    producer.send(b"old")
    m = receive(consumer, "the first message")
    check(m.data() == b"old", "got %r" % m.data())
    # Unacknowledged, then unsubscribed: the subscription and its backlog go.
    consumer.unsubscribe()
    say("unsubscribed")
    consumer.close()
    consumer = c.subscribe(topic, "py-unsub", initial_position=pulsar.InitialPosition.Latest)
    check(nothing_more(consumer, 500), "the unsubscribed subscription kept its backlog")
    producer.send(b"new")
    m = receive(consumer, "the message after resubscribing")
    check(m.data() == b"new", "after resubscribing got %r, want new" % m.data())
    consumer.acknowledge(m)
    say("resubscribed from latest")
    consumer.close()

    a = c.subscribe(topic, "py-unsub-shared", consumer_type=pulsar.ConsumerType.Shared)
    b = c.subscribe(topic, "py-unsub-shared", consumer_type=pulsar.ConsumerType.Shared)
    try:
        a.unsubscribe()
    except pulsar.PulsarException as e:
        say("shared unsubscribe refused", type(e).__name__)
    else:
        fail("one of two Shared consumers unsubscribed the subscription")
    a.close()
    b.unsubscribe()
    b.close()
    producer.close()


def refused(what, action):
    """Runs action, which must raise soon; returns the exception's name."""
    start = time.time()
    try:
        h = action()
    except pulsar.PulsarException as e:
        took = time.time() - start
        check(took < QUICK_S, "%s took %.1fs to fail with %s" % (what, took, type(e).__name__))
        return "%s in %.0fs" % (type(e).__name__, took)
    h.close()
    fail("%s succeeded" % what)


def missing(c, topic, where):
    for what, action in (("producer", lambda: c.create_producer(topic)),
                         ("consumer", lambda: c.subscribe(topic, "py-missing")),
                         ("reader", lambda: c.create_reader(topic, pulsar.MessageId.earliest))):
        detail = refused("%s on missing %s" % (what, where), action)
        say("%s on missing %s refused" % (what, where))
        say("  with", detail)


def main(url, topic, no_namespace, no_tenant):
    c = client(url)
    unsubscribe(c, topic)
    missing(c, no_namespace, "namespace")
    missing(c, no_tenant, "tenant")
    c.close()
    say("OK")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        fail("usage: lifecycle.py <service URL> <topic> <missing namespace topic> <missing tenant topic>")
    main(*sys.argv[1:])
