#!/usr/bin/env bash
# kv-benchmark against redis-benchmark, side by side against one redis-server 7.0 started
# here: for each configuration both tools run with the same parameters, alternating (the
# order flips every round), ROUNDS times. Prints, per configuration, the median throughput
# (requests over the summed test times of SET and GET) and the median client CPU time
# (user + system) per request, and the ratios kv-benchmark / redis-benchmark.
# The goal (issue 8): throughput ratio >= 1.0 and CPU-per-request ratio <= 1.0.
#
#   bench/kv-benchmark.sh                 N=200000 requests per test, 3 rounds
#   N=1000000 ROUNDS=5 bench/kv-benchmark.sh
#   CONFIGS='-c 50 --threads 2' bench/kv-benchmark.sh      (';'-separated flag sets)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
CONFIGS=${CONFIGS:--c 50;-c 50 -P 16;-c 50 --threads 2}
for p in redis-server redis-cli redis-benchmark; do
	command -v "$p" >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/kv-benchmark ./cmd/kv-benchmark
KVB=$PWD/bin/kv-benchmark

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# A free port: the first in a range where nothing answers.
port=
for p in $(seq 21000 21999); do
	if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port in 21000-21999" >&2; exit 1; }
(cd "$tmp" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/redis.log" 2>&1) &
pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null || { echo "redis-server did not start:"; cat "$tmp/redis.log"; exit 1; } >&2

# run TOOL ARGS...: prints "throughput cpu_us_per_request" for one run of -t set,get.
run() {
	local tool=$1; shift
	local TIMEFORMAT='%U %S'
	{ time "$tool" -p "$port" --csv -t set,get -n "$N" "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
	awk -v n="$N" -F'"' -v t="$(cat "$tmp/time")" '
		$2 == "SET" || $2 == "GET" { secs += n / $4; reqs += n }
		END {
			split(t, c, " ")
			if (reqs == 0) { print "no result" > "/dev/stderr"; exit 1 }
			printf "%.2f %.4f\n", reqs / secs, (c[1] + c[2]) * 1e6 / reqs
		}' "$tmp/out" || { echo "$tool $*:"; cat "$tmp/out" "$tmp/err"; exit 1; } >&2
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port; -t set,get -n $N; $ROUNDS rounds, alternating; $(nproc) cores"
echo
echo "| configuration | redis-benchmark req/s | kv-benchmark req/s | throughput ratio | redis-benchmark CPU µs/req | kv-benchmark CPU µs/req | CPU ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
IFS=';' read -r -a configs <<<"$CONFIGS"
for cfg in "${configs[@]}"; do
	: >"$tmp/rb" && : >"$tmp/kv"
	for r in $(seq "$ROUNDS"); do
		# shellcheck disable=SC2086
		if [ $((r % 2)) -eq 1 ]; then
			run redis-benchmark $cfg >>"$tmp/rb"; run "$KVB" $cfg >>"$tmp/kv"
		else
			run "$KVB" $cfg >>"$tmp/kv"; run redis-benchmark $cfg >>"$tmp/rb"
		fi
	done
	rb_t=$(cut -d' ' -f1 "$tmp/rb" | median); kv_t=$(cut -d' ' -f1 "$tmp/kv" | median)
	rb_c=$(cut -d' ' -f2 "$tmp/rb" | median); kv_c=$(cut -d' ' -f2 "$tmp/kv" | median)
	awk -v cfg="$cfg" -v rt="$rb_t" -v kt="$kv_t" -v rc="$rb_c" -v kc="$kv_c" 'BEGIN {
		printf "| `%s` | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", cfg, rt, kt, kt / rt, rc, kc, kc / rc }'
done
