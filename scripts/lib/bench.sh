# Shared by the benchmark scripts (bench-publish.sh, bench-pulsar-perf.sh): source it after
# setting WORK (the scratch directory), BIN (the magnetar binary) and LOG (standalone's log).
# KEEP=1 keeps WORK; LOAD_MAX and QUIET_WAIT tune wait_quiet.

SERVER=
HZ=$(getconf CLK_TCK)
LOAD_MAX=${LOAD_MAX:-1}
QUIET_WAIT=${QUIET_WAIT:-300}

stop_standalone() {
	if [[ -n $SERVER ]] && kill -0 "$SERVER" 2>/dev/null; then
		kill -TERM "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
	fi
	SERVER=
}

cleanup() {
	stop_standalone
	if [[ ${KEEP:-0} != 1 ]]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK"
	fi
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; } # bytes sent to storage

# wait_quiet: waits until the 1-minute load average is at most LOAD_MAX (another benchmark
# on this machine's cores would skew the figures), at most QUIET_WAIT seconds.
wait_quiet() {
	local waited=0
	while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v m="$LOAD_MAX" 'BEGIN {exit !(l > m)}'; do
		if ((waited >= QUIET_WAIT)); then
			echo "WARNING: load still $(load) after ${QUIET_WAIT}s; measuring anyway"
			return
		fi
		((waited % 30 == 0)) && echo "   load $(load) > $LOAD_MAX: waiting for a quiet machine"
		sleep 5
		waited=$((waited + 5))
	done
}

# start_standalone DATA: (re)starts standalone on free ports; sets SERVER, URL, WEB.
start_standalone() {
	stop_standalone
	: >"$LOG"
	"$BIN" standalone --data-dir "$1" --broker-port -1 --web-port -1 >>"$LOG" 2>&1 &
	SERVER=$!
	local ready=
	for _ in $(seq 100); do
		ready=$(grep -o 'ready: pulsar://[^ ]* http://[^ ]*' "$LOG" | head -1) || true
		[[ -n $ready ]] && break
		kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; exit 1; }
		sleep 0.1
	done
	[[ -n $ready ]] || { echo "standalone did not get ready:"; cat "$LOG"; exit 1; }
	local pulsar=${ready#ready: } web=${ready##* }
	pulsar=${pulsar%% *}
	URL=pulsar://127.0.0.1:${pulsar##*:}
	WEB=http://127.0.0.1:${web##*:}
	echo "standalone pid $SERVER at $URL $WEB, data in $1"
}

# broker_latency: the broker's own publish latency quantiles (entry received to entry
# stored, ms) from /metrics, over the runs since standalone started.
broker_latency() {
	curl -fsS "$WEB/metrics" | awk -F'[{}]' '/^pulsar_broker_publish_latency\{/ {
		split($2, kv, "quantile=\""); q = kv[2]; sub(/".*/, "", q); split($3, v, " ")
		if (q == "0.5" || q == "0.95" || q == "0.99" || q == "0.999" || q == "1") printf " %s %s", (q == "1" ? "max" : "p" q * 100), v[1]
	}'
}
