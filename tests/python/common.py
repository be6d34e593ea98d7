"""Helpers shared by the programs run.sh runs: a client with short timeouts, printing
results for the Go test to check, and failing loudly."""

import os
import sys

import pulsar

# How long a receive waits for a message that should come (ms).
RECEIVE_MS = 15000


def client(url):
    """A client whose operations give up after 15 s and whose C++ log goes to stderr
    (debug level when MAGNETAR_TEST_DEBUG is set): stdout is left to the results (the
    client's ConsoleLogger writes to stdout)."""
    level = pulsar.LoggerLevel.Debug if os.environ.get("MAGNETAR_TEST_DEBUG") else pulsar.LoggerLevel.Info
    return pulsar.Client(url, operation_timeout_seconds=15,
                         logger=pulsar.FileLogger(level, "/dev/stderr"))


def say(*parts):
    """Prints one result line for the Go test."""
    print(*parts, flush=True)


def fail(msg):
    """Reports a failed check on stderr and exits non-zero."""
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def receive(consumer, what, timeout_ms=RECEIVE_MS):
    """The next message, or a failure naming what was awaited."""
    try:
        return consumer.receive(timeout_millis=timeout_ms)
    except pulsar.Timeout:
        fail("timed out waiting for " + what)


def nothing_more(consumer, wait_ms=1000):
    """Whether no further message arrives within wait_ms."""
    try:
        m = consumer.receive(timeout_millis=wait_ms)
    except pulsar.Timeout:
        return True
    say("unexpected message", m.data(), m.message_id())
    return False
