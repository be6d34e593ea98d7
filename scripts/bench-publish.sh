#!/usr/bin/env bash
# bench-publish.sh measures Magnetar's durable publish path against the disk under it
# (issue 3, "Tests and figures"): 1 KiB messages, one producer with batching, acks after
# the journal's fdatasync.
#
#   1. builds magnetar;
#   2. measures the raw disk: fsynced sequential appends (write + fdatasync, written as
#      the journal writes them) at the journal's write sizes, in the data directory's file
#      system (BenchmarkRawSync of bookie/journal), and dd with oflag=dsync for reference;
#   3. starts `magnetar standalone` on free ports with a fresh data directory;
#   4. runs `magnetar perf produce` at full speed, then at half the rate it reached
#      (standalone restarted, so that its latency figures are that run's), then at the
#      same half rate on a non-persistent topic: nothing is stored and the broker answers
#      at once, so that run's latency is the floor of the client, the loopback and the
#      shared CPUs, to set the durable run's against;
#   5. prints the results, with the broker's own publish latency (received to stored,
#      from /metrics), their ratio to the raw disk rate and the load average.
#
# Usage: scripts/bench-publish.sh            (from the repository, needs Go and bash)
# Environment: BENCH_DIR  where the data directory goes (default: a new dir in $TMPDIR)
#              DURATION   seconds per perf run (default 20)
#              RATE       msg/s of the second run (default: half the first run's rate)
#              PERF_ARGS  extra perf produce flags for both runs (e.g. --max-outstanding 2000)
#              HALF_PRODUCERS  producers sharing the half-rate run (default 1)
#              LOAD_MAX   each run waits, up to QUIET_WAIT seconds (default 300), until the
#                         1-minute load average is at most this (default 1)
#              KEEP=1     keep the data directory and logs
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-20}
WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/magnetar-bench.XXXXXX")}
mkdir -p "$WORK"
BIN=$WORK/magnetar
DATA=$WORK/data
LOG=$WORK/standalone.log
# shellcheck source=lib/bench.sh
source scripts/lib/bench.sh
trap cleanup EXIT

echo "== build"
go build -o "$BIN" ./cmd/magnetar
echo "$BIN ($(go version | cut -d' ' -f3)), $(nproc) CPUs"

echo "== raw disk: fsynced sequential appends in $WORK (load $(load))"
raw_out=$(TMPDIR=$WORK go test ./bookie/journal -run '^$' -bench '^BenchmarkRawSync$' -benchtime 2s -count 1)
echo "$raw_out" | grep '^BenchmarkRawSync' | awk '{printf "  %-32s %8s MB/s\n", $1, $5}'
RAW=$(echo "$raw_out" | awk '/^BenchmarkRawSync/ {if ($5 > m) m = $5} END {printf "%.0f", m}')
dd_out=$(dd if=/dev/zero of="$WORK/dd.test" bs=1M count=1024 oflag=dsync 2>&1 | tail -1)
rm -f "$WORK/dd.test"
echo "  dd bs=1M count=1024 oflag=dsync: ${dd_out##*, }"
echo "raw disk: $RAW MB/s (best of the journal write sizes)"

echo "== standalone"
start_standalone "$DATA"
# produce NAME TOPIC [perf flags]: one perf run; sets RESULT, CPU_SERVER, CPU_CLIENT, WRITTEN.
produce() {
	local name=$1 topic=$2
	shift 2
	local t0 w0 out
	wait_quiet
	echo "-- $name: perf produce $topic -s 1024 -d $DURATION ${PERF_ARGS:-} $* (load before $(load))"
	t0=$(cpu_ticks "$SERVER")
	w0=$(written "$SERVER")
	TIMEFORMAT='%U %S'
	{ time "$BIN" perf produce "$topic" -u "$URL" -s 1024 -d "$DURATION" ${PERF_ARGS:-} "$@" >"$WORK/perf.out" 2>&1; } 2>"$WORK/perf.time"
	cat "$WORK/perf.out"
	RESULT=$(grep '^produce:' "$WORK/perf.out") || { echo "perf produce failed"; exit 1; }
	CPU_SERVER=$(awk -v a="$t0" -v b="$(cpu_ticks "$SERVER")" -v hz="$HZ" 'BEGIN {printf "%.1f", (b - a) / hz}')
	CPU_CLIENT=$(awk '{printf "%.1f", $1 + $2}' "$WORK/perf.time")
	WRITTEN=$(($(written "$SERVER") - w0))
	BROKER_LAT=$(broker_latency)
	echo "   load after $(load); CPU seconds: standalone $CPU_SERVER, perf client $CPU_CLIENT"
	echo "   broker publish latency ms (received to stored):$BROKER_LAT"
}

# field NAME: a number from RESULT ("... 123 msg/s, 125.9 MB/s ... p50 1.234 ...").
field() {
	case $1 in
	msgps) sed -E 's/.* ([0-9.]+) msg\/s.*/\1/' <<<"$RESULT" ;;
	mbps) sed -E 's/.* ([0-9.]+) MB\/s.*/\1/' <<<"$RESULT" ;;
	msgs) sed -E 's/^produce: ([0-9]+) msgs.*/\1/' <<<"$RESULT" ;;
	*) sed -E "s/.* $1 ([0-9.]+).*/\1/" <<<"$RESULT" ;;
	esac
}

echo "== publish at full speed"
produce "full speed" "persistent://public/default/bench-full"
FULL=$RESULT
FULL_MSGPS=$(field msgps)
FULL_MBPS=$(field mbps)
FULL_LOAD=$(load)
AMP=$(awk -v w="$WRITTEN" -v n="$(field msgs)" 'BEGIN {if (n > 0) printf "%.2f", w / (n * 1024); else print "?"}')
FULL_CPU="standalone $CPU_SERVER s, client $CPU_CLIENT s"
FULL_BROKER=$BROKER_LAT

RATE=${RATE:-$(awk -v r="$FULL_MSGPS" 'BEGIN {printf "%d", r / 2}')}
echo "== publish at half that rate: $RATE msg/s (standalone restarted, so that its latency figures are this run's)"
start_standalone "$DATA"
produce "half rate" "persistent://public/default/bench-half" --rate "$RATE" -n "${HALF_PRODUCERS:-1}"
HALF=$RESULT
HALF_LOAD=$(load)
HALF_BROKER=$BROKER_LAT
HALF_SUMMARY="$RATE msg/s asked (${HALF_PRODUCERS:-1} producers): $(field mbps) MB/s, p50 $(field p50) ms, p99 $(field p99) ms = $(awk -v p="$(field mbps)" -v r="$RAW" 'BEGIN {printf "%.2f", p / r}') x raw disk; load $HALF_LOAD"
if awk -v got="$(field msgps)" -v want="$RATE" 'BEGIN {exit !(got < 0.9 * want)}'; then
	echo "WARNING: the half-rate run reached only $(field msgps) of $RATE msg/s: its latency"
	echo "         figures are not those of the rate asked (CPU-bound client or broker?)"
fi

echo "== client floor: the same rate on a non-persistent topic (nothing stored)"
start_standalone "$DATA"
produce "floor" "non-persistent://public/default/bench-floor" --rate "$RATE" -n "${HALF_PRODUCERS:-1}"
FLOOR=$RESULT

echo
echo "== summary ($(nproc) CPUs; load average = 1, 5, 15 min, after each run)"
echo "raw disk, fsynced sequential appends:  $RAW MB/s"
echo "full speed:  $FULL_MBPS MB/s, $FULL_MSGPS msg/s = $(awk -v p="$FULL_MBPS" -v r="$RAW" 'BEGIN {printf "%.2f", p / r}') x raw disk; load $FULL_LOAD; CPU $FULL_CPU"
echo "             disk writes per published byte: $AMP (journal + entry logs + index)"
echo "             $FULL"
echo "             broker, received to stored:$FULL_BROKER"
echo "half rate:   $HALF_SUMMARY"
echo "             $HALF"
echo "             broker, received to stored:$HALF_BROKER"
echo "floor:       the same rate, non-persistent (no storage): p50 $(field p50) ms, p99 $(field p99) ms"
echo "             $FLOOR"
