#!/usr/bin/env bash
# Runs every test of Magnetar: installs what the tests need (etcd and ZooKeeper servers from
# Debian's packages), then vets and tests all packages. Safe to run on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-test-deps.sh

echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 30m ./... 2>&1 | tee /tmp/magnetar-test.log
