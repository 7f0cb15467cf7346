#!/usr/bin/env bash
# Streams: XADD throughput of kv-server against redis-server 7.0, side by side in one run
# (make bench). redis-benchmark's arbitrary command `XADD s * f v` (and `XADD s MAXLEN ~ 1000 * f v`)
# runs against each server alternately, ROUNDS times; the table shows the median throughput, the
# server CPU time per operation (utime+stime from /proc over the run) and the kvkit/Redis ratios,
# then MEMORY USAGE of the resulting streams.
# Usage: bench/kv-server-stream.sh [requests]   (default 500000; ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
set -f # the commands hold a literal *
N=${1:-500000}
ROUNDS=${ROUNDS:-3}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"
hz=$(getconf CLK_TCK)

# run port pid args... -> prints "ops cpu_us_per_op" for one run of the command in args
run() {
	local port=$1 pid=$2; shift 2
	local before after ops
	redis-cli -p "$port" del s >/dev/null
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv -n "$N" "$@" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '| command | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	for cmd in "XADD s * f v" "XADD s MAXLEN ~ 1000 * f v"; do
		: >"$tmp/kv.out" && : >"$tmp/redis.out"
		for r in $(seq "$ROUNDS"); do
			# shellcheck disable=SC2086
			if [ $((r % 2)) -eq 1 ]; then
				run "$PORT_kv" "$PID_kv" -c 50 -P $P $cmd >>"$tmp/kv.out"
				run "$PORT_redis" "$PID_redis" -c 50 -P $P $cmd >>"$tmp/redis.out"
			else
				run "$PORT_redis" "$PID_redis" -c 50 -P $P $cmd >>"$tmp/redis.out"
				run "$PORT_kv" "$PID_kv" -c 50 -P $P $cmd >>"$tmp/kv.out"
			fi
		done
		awk -v c="$cmd" -v P=$P -v ko="$(cut -d' ' -f1 "$tmp/kv.out" | median)" -v ro="$(cut -d' ' -f1 "$tmp/redis.out" | median)" \
			-v kc="$(cut -d' ' -f2 "$tmp/kv.out" | median)" -v rc="$(cut -d' ' -f2 "$tmp/redis.out" | median)" 'BEGIN{
			printf "| `%s` | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", c, P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
	done
done
for s in kv redis; do
	eval "port=\$PORT_$s"
	redis-cli -p "$port" del s >/dev/null
	redis-benchmark -p "$port" -n "$N" -c 50 -P 16 XADD s '*' f v >/dev/null
	eval "MEM_$s=$(redis-cli -p "$port" memory usage s) LEN_$s=$(redis-cli -p "$port" xlen s)"
done
printf '\n| MEMORY USAGE after %d `XADD s * f v` | kv-server | redis-server | ratio |\n|---|---|---|---|\n' "$N"
awk -v k="$MEM_kv" -v r="$MEM_redis" -v kl="$LEN_kv" -v rl="$LEN_redis" 'BEGIN{
	printf "| bytes (%d / %d entries) | %d | %d | %.2f |\n", kl, rl, k, r, k/r }'
