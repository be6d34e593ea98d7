#!/usr/bin/env bash
# bench-pulsar-perf.sh measures Magnetar's durable publish latency with Apache Pulsar's own
# benchmark client, pulsar-perf (PerformanceProducer of org.apache.pulsar:pulsar-testclient,
# the version tests/perf-java/pom.xml names), as a second opinion beside bench-publish.sh,
# which uses `magnetar perf produce` and the Go client.
#
#   1. installs a JDK and Maven if missing (scripts/install-test-deps.sh) and has Maven
#      resolve pulsar-perf's classpath (downloads go to ~/.m2);
#   2. builds magnetar;
#   3. for each rate in RATE: starts `magnetar standalone` afresh on free ports with a new
#      data directory, and runs pulsar-perf produce against it: 1 KiB messages, one producer,
#      pulsar-perf's default batching (1 ms window), a persistent topic, RATE msg/s for
#      DURATION seconds;
#   4. prints pulsar-perf's aggregated throughput and latency lines (send to ack, in the
#      client) and the broker's own publish latency quantiles (received to stored).
#
# Usage: scripts/bench-pulsar-perf.sh        (from the repository, needs Go and bash)
# Environment: RATE       msg/s, or several separated by spaces (default 122000 = 125 MB/s)
#              DURATION   seconds per run (default 20)
#              PERF_ARGS  extra pulsar-perf produce flags (e.g. "-b 0.5" or "-o 5000")
#              JAVA_OPTS  JVM settings of the client (default below: 1 GiB heap, G1)
#              LOAD_MAX   wait, up to QUIET_WAIT seconds (default 300), until the 1-minute
#                         load average is at most this before each run (default 1)
#              MAGNETAR_BIN  measure this magnetar binary instead of building the repository's
#              BENCH_DIR  where binaries, data and logs go (default: a new dir in $TMPDIR)
#              KEEP=1     keep BENCH_DIR
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
RATES=${RATE:-122000}
DURATION=${DURATION:-20}
LOAD_MAX=${LOAD_MAX:-1}
QUIET_WAIT=${QUIET_WAIT:-300}
JAVA_OPTS=${JAVA_OPTS:--Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -XX:+UseG1GC}
WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/magnetar-pulsar-perf.XXXXXX")}
mkdir -p "$WORK"
BIN=${MAGNETAR_BIN:-$WORK/magnetar}
LOG=$WORK/standalone.log
# shellcheck source=lib/bench.sh
source scripts/lib/bench.sh
trap cleanup EXIT

echo "== tools"
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
	scripts/install-test-deps.sh
fi
# Maven's output only on failure: Debian's Maven prints colour codes even with -q -B.
if ! mvn_out=$(cd tests/perf-java && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/classpath.txt" 2>&1); then
	echo "$mvn_out"
	exit 1
fi
CP=$(cat "$WORK/classpath.txt")
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$CP" tests/perf-java/PulsarPerfProduce.java
PERF_VERSION=$(grep -o 'pulsar-testclient/[^/]*/' "$WORK/classpath.txt" | cut -d/ -f2)
echo "pulsar-perf: pulsar-testclient $PERF_VERSION; $(java -version 2>&1 | head -1)"

echo "== build"
if [[ -z ${MAGNETAR_BIN:-} ]]; then
	go build -o "$BIN" ./cmd/magnetar
	echo "$BIN ($(go version | cut -d' ' -f3)) from $(git rev-parse --short HEAD), $(nproc) CPUs"
else
	echo "given $BIN, $(nproc) CPUs"
fi


# The JVM flags bin/pulsar-perf passes besides memory and GC (IPv4, Netty's reflection and
# allocator settings), then JAVA_OPTS; SLF4J's simple logger prints pulsar-perf's reports.
JVM=(-Djava.net.preferIPv4Stack=true
	-Dio.netty.tryReflectionSetAccessible=true
	-Dio.netty.recycler.maxCapacityPerThread=4096 -Dio.netty.allocator.maxOrder=10
	--add-opens java.base/sun.net=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED
	--add-opens java.base/java.util.zip=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED
	--add-opens java.base/jdk.internal.misc=ALL-UNNAMED
	-Dorg.slf4j.simpleLogger.logFile=System.out -Dorg.slf4j.simpleLogger.showDateTime=true
	-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS
	$JAVA_OPTS)
echo "client JVM: ${JVM[*]}"

SUMMARY=()
for rate in $RATES; do
	topic=persistent://public/default/perf-java-$rate
	echo
	echo "== pulsar-perf produce at $rate msg/s for ${DURATION}s"
	rm -rf "$WORK/data"
	LOG=$WORK/standalone-$rate.log
	start_standalone "$WORK/data"
	wait_quiet
	args=(-u "$URL" -r "$rate" -s 1024 -time "$DURATION" ${PERF_ARGS:-} "$topic")
	echo "-- pulsar-perf produce ${args[*]} (load before $(load))"
	t0=$(cpu_ticks "$SERVER")
	TIMEFORMAT='%U %S'
	rc=0
	# A client stuck on a failed producer creation never reaches its -time limit by itself.
	{ time timeout -k 10 $((DURATION + 60)) java "${JVM[@]}" -cp "$WORK/classes:$CP" PulsarPerfProduce "${args[@]}" >"$WORK/perf-$rate.log" 2>&1; } 2>"$WORK/perf.time" || rc=$?
	cpu_server=$(awk -v a="$t0" -v b="$(cpu_ticks "$SERVER")" -v hz="$HZ" 'BEGIN {printf "%.1f", (b - a) / hz}')
	cpu_client=$(awk '{printf "%.1f", $1 + $2}' "$WORK/perf.time")
	# The periodic reports, errors and the aggregated lines; the rest (client INFO) stays in the log.
	grep -E 'Throughput produced|DONE|Aggregated|WARN|ERROR|Exception' "$WORK/perf-$rate.log" |
		sed -E 's/^[0-9:.]+ \[[^]]*\] [A-Z]+ org\.apache\.pulsar\.testclient\.PerformanceProducer - //' | head -60 || true
	if grep -q "Field 'schema_version' is not set" "$WORK/perf-$rate.log"; then
		echo "FAILED: the Java client could not create its producer: the broker's ProducerSuccess"
		echo "        has no schema_version, which the Java client reads unconditionally (Pulsar sends"
		echo "        an empty one for a topic without schema)"
		exit 1
	fi
	[[ $rc == 0 ]] || { echo "pulsar-perf exited $rc; log:"; tail -40 "$WORK/perf-$rate.log"; exit 1; }
	thr=$(grep -o 'Aggregated throughput stats.*' "$WORK/perf-$rate.log" | tail -1) || true
	lat=$(grep -o 'Aggregated latency stats.*' "$WORK/perf-$rate.log" | tail -1) || true
	[[ -n $lat ]] || { echo "no aggregated latency line from pulsar-perf; log:"; tail -40 "$WORK/perf-$rate.log"; exit 1; }
	broker=$(broker_latency)
	echo "   load after $(load); CPU seconds: standalone $cpu_server, pulsar-perf $cpu_client"
	echo "   broker publish latency ms (received to stored):$broker"
	# pulsar-perf's aggregated msg/s divides by the time since it started, client start-up and
	# shutdown included; records sent over DURATION is the rate it kept while sending.
	sent=$(sed -E 's/.*--- ([0-9]+) records sent.*/\1/' <<<"$thr")
	got=$(awk -v n="$sent" -v d="$DURATION" 'BEGIN {printf "%.0f", n / d}')
	echo "   sent $sent messages in ${DURATION}s = $got msg/s = $(awk -v r="$got" 'BEGIN {printf "%.1f", r * 1024 / 1e6}') MB/s"
	if awk -v g="$got" -v w="$rate" 'BEGIN {exit !(g < 0.9 * w)}'; then
		echo "WARNING: reached only $got of $rate msg/s: the latency figures are not those of the rate asked"
	fi
	SUMMARY+=("rate $rate msg/s asked, $got msg/s sent over ${DURATION}s; load after $(load); CPU s standalone $cpu_server / client $cpu_client"
		"  pulsar-perf: $thr"
		"  pulsar-perf: $lat"
		"  broker publish latency ms:$broker")
done

echo
echo "== summary (pulsar-testclient $PERF_VERSION, 1 KiB messages, 1 producer, batching 1 ms, ${DURATION}s; latency ms)"
printf '%s\n' "${SUMMARY[@]}"
