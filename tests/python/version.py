"""Prints the installed Pulsar Python client's version (run first: it makes run.sh install
the client before the timed programs)."""

import importlib.metadata

print("pulsar-client", importlib.metadata.version("pulsar-client"), flush=True)
