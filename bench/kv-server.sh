#!/usr/bin/env bash
# kv-server against redis-server 7.0, side by side in one run (make bench).
# For each row, redis-benchmark runs against each server alternately; the table
# shows throughput, server CPU time per operation (utime+stime of the server
# process from /proc, over the run) and the kvkit/Redis ratio, then RSS after a
# 2M-SET run of 16-byte values over 1M keys. Needs redis-server, redis-benchmark.
# Usage: bench/kv-server.sh [requests]   (default 500000, as the issue asks)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"
hz=$(getconf CLK_TCK)

# run name port pid args... -> prints "ops cpu_us_per_op" for the one test
run() {
	local port=$1 pid=$2; shift 2
	local before after ops
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv "$@" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}

printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	for t in set get incr mset; do
		read -r kops kcpu <<<"$(run "$PORT_kv" "$PID_kv" -t $t -n "$N" -c 50 -P $P)"
		read -r rops rcpu <<<"$(run "$PORT_redis" "$PID_redis" -t $t -n "$N" -c 50 -P $P)"
		awk -v t=$t -v P=$P -v ko="$kops" -v ro="$rops" -v kc="$kcpu" -v rc="$rcpu" 'BEGIN{
			printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", t, P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
	done
done
for s in kv redis; do
	eval "port=\$PORT_$s pid=\$PID_$s"
	redis-cli -p "$port" flushall >/dev/null
	redis-benchmark -p "$port" -t set -r 1000000 -n 2000000 -d 16 -c 50 -P 16 -q >/dev/null
	eval "RSS_$s=$(rss "$pid") KEYS_$s=$(redis-cli -p "$port" dbsize)"
done
printf '\n| RSS after `-t set -r 1000000 -n 2000000 -d 16` | kv-server | redis-server | ratio |\n|---|---|---|---|\n'
awk -v k="$RSS_kv" -v r="$RSS_redis" -v kk="$KEYS_kv" -v rk="$KEYS_redis" 'BEGIN{
	printf "| RSS (MB), %d / %d keys | %.1f | %.1f | %.2f |\n", kk, rk, k/1048576, r/1048576, k/r }'
