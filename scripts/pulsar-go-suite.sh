#!/usr/bin/env bash
# Runs the official Pulsar Go client's own integration suite (its `pulsar` and
# `pulsaradmin/pkg/admin` package tests) against
# `magnetar standalone`, configured as the suite's integration-tests/conf/standalone.conf expects
# (maxMessageSize 1 MiB, auto topic creation, batch-index acks), and prints pass/fail counts split
# into tests that need TLS or authentication (not yet served) and the rest.
#
#   scripts/pulsar-go-suite.sh            # whole package
#   RUN='TestProducer|TestConsumer' PKGS=pulsar scripts/pulsar-go-suite.sh
#
# The five tests that start their own Pulsar in Docker (testcontainers) are skipped: they cannot
# run here. Output: $WORK/suite.log (go test -v) and $WORK/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suite needs the fixed ports 6650/8080: one run at a time on a machine.
exec 9>/tmp/magnetar-suite.lock
flock 9
ver=v0.19.0
work=${WORK:-/tmp/magnetar-go-suite}
mod=$(go env GOMODCACHE)/github.com/apache/pulsar-client-go@$ver
[ -d "$mod" ] || go mod download github.com/apache/pulsar-client-go@$ver
rm -rf "$work"; mkdir -p "$work"
cp -r "$mod" "$work/pcg"; chmod -R u+w "$work/pcg"
go build -o "$work/magnetar" ./cmd/magnetar

cat >"$work/standalone.conf" <<CONF
clusterName=standalone
advertisedAddress=localhost
maxMessageSize=1048576
allowAutoTopicCreation=true
allowAutoTopicCreationType=non-partitioned
allowAutoSubscriptionCreation=true
acknowledgmentAtBatchIndexLevelEnabled=true
subscriptionKeySharedUseConsistentHashing=false
brokerDeleteInactiveTopicsEnabled=true
keepAliveIntervalSeconds=30
maxUnackedMessagesPerConsumer=50000
backlogQuotaCheckIntervalInSeconds=5
CONF
"$work/magnetar" standalone --data-dir "$work/data" --config "$work/standalone.conf" >"$work/standalone.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://localhost:8080/metrics >/dev/null && break; sleep 0.1; done
curl -sf http://localhost:8080/metrics >/dev/null || { echo "standalone did not start"; cat "$work/standalone.log"; exit 1; }

docker='TestConsumerKeepReconnectingAndThenCallClose|TestProducerKeepReconnectingAndThenCallClose|TestSendAsyncCouldTimeoutWhileReconnecting|TestReconnectConsumer|TestReconnectedBrokerSendPermits'
# One test binary per package, each test in its own process: a test that panics (several
# index into admin responses) must not abort the rest of the package.
: >"$work/suite.log"
for pkg in ${PKGS:-pulsar pulsaradmin/pkg/admin}; do
  bin="$work/$(echo "$pkg" | tr / _).test"
  (cd "$work/pcg" && go test -c -o "$bin" "./$pkg")
  "$bin" -test.list "${RUN:-.}" | grep -E '^Test' | grep -vxE "$docker" >"$work/tests.txt" || true
  while read -r t; do
    (cd "$work/pcg/$pkg" && timeout "${TEST_TIMEOUT:-180}" "$bin" -test.run "^${t}\$" -test.v -test.count=1) >>"$work/suite.log" 2>&1 \
      || grep -qE "^--- (FAIL|PASS|SKIP): ${t} " "$work/suite.log" || echo "--- FAIL: ${t} (crashed or timed out)" >>"$work/suite.log"
  done <"$work/tests.txt"
done

# Tests that need TLS listeners, token/basic/OAuth2/TLS authentication or authorization, or
# transactions (which the suite drives over TLS with client-certificate auth).
secure='TLS|HTTPS|Auth|Token|OAuth2|Basic|Transaction|Txn'
grep -E '^--- (PASS|FAIL|SKIP)' "$work/suite.log" | awk -v secure="$secure" '
  { status=$2; name=$3; kind = (name ~ secure) ? "tls/auth" : "plain"; n[kind" "status]++ }
  status=="FAIL:" { print "FAIL", kind, name > "/dev/stderr" }
  END { for (k in n) print k, n[k] }' 2>"$work/failures.txt" | sort >"$work/summary.txt"
cat "$work/summary.txt"
echo "failures: $work/failures.txt; log: $work/suite.log"
