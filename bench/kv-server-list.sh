#!/usr/bin/env bash
# kv-server's lists against redis-server 7.0, side by side in one run (make bench):
# redis-benchmark -t lpush,rpush,lpop,rpop,lrange_100,lrange_600 -n N -c 50, with and
# without -P 16, against each server alternately. The table shows throughput, the
# server's CPU time per operation (utime+stime from /proc over the run) and the
# kvkit/Redis ratios. Needs redis-server, redis-benchmark, redis-cli.
# Usage: bench/kv-server-list.sh [requests]   (default 300000, as the issue asks)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"
hz=$(getconf CLK_TCK)

# run port pid args... -> prints "ops cpu_us_per_op" for the test (the last CSV row:
# the lrange tests first fill the list with an LPUSH row of their own).
run() {
	local port=$1 pid=$2; shift 2
	local before after ops
	redis-cli -p "$port" flushall >/dev/null
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv "$@" | awk -F'","' 'NR>1{ops=$2} END{print ops}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}

printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	for t in lpush rpush lpop rpop lrange_100 lrange_600; do
		read -r kops kcpu <<<"$(run "$PORT_kv" "$PID_kv" -t $t -n "$N" -c 50 -P $P)"
		read -r rops rcpu <<<"$(run "$PORT_redis" "$PID_redis" -t $t -n "$N" -c 50 -P $P)"
		awk -v t=$t -v P=$P -v ko="$kops" -v ro="$rops" -v kc="$kcpu" -v rc="$rcpu" 'BEGIN{
			printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", t, P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
	done
done
