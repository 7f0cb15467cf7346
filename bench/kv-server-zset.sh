#!/usr/bin/env bash
# Sorted sets: kv-server against redis-server 7.0, side by side in one run (make bench).
# 1. redis-benchmark -t zadd,zpopmin -n N -c 50, without and with -P 16, against each
#    server alternately, three times; medians of throughput and of server CPU time per
#    operation (utime+stime from /proc over the run), and the kvkit/Redis ratios.
# 2. RSS after loading the same 100,000 sorted sets of 100 members (listpack encoded, as
#    in Redis) into each server through redis-cli --pipe, and the ratio.
# Needs redis-server, redis-cli, redis-benchmark.
# Usage: bench/kv-server-zset.sh [requests] [sets]   (defaults 300000 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
SETS=${2:-100000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

hz=$(getconf CLK_TCK)
run() { # port pid test pipeline -> "ops cpu_us_per_op"
	local port=$1 pid=$2 before after ops
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv -t "$3" -n "$N" -c 50 -P "$4" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "redis-benchmark -n $N -c 50, 3 alternating runs per row (medians); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	for t in zadd zpopmin; do
		: >"$tmp/kv.runs"
		: >"$tmp/redis.runs"
		for _ in 1 2 3; do
			run "$PORT_kv" "$PID_kv" $t $P >>"$tmp/kv.runs"
			run "$PORT_redis" "$PID_redis" $t $P >>"$tmp/redis.runs"
		done
		awk -v t=$t -v P=$P -v ko="$(cut -d' ' -f1 "$tmp/kv.runs" | median)" -v ro="$(cut -d' ' -f1 "$tmp/redis.runs" | median)" \
			-v kc="$(cut -d' ' -f2 "$tmp/kv.runs" | median)" -v rc="$(cut -d' ' -f2 "$tmp/redis.runs" | median)" 'BEGIN{
			printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", t, P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
	done
done

# SETS sorted sets "zset:<i>" of 100 members "member:<j>", scores with one decimal.
awk -v n="$SETS" 'BEGIN {
	for (i = 0; i < n; i++) {
		key = "zset:" i
		printf "*202\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", length(key), key
		for (j = 0; j < 100; j++) {
			s = sprintf("%.1f", ((i * 31 + j * 17) % 10000) / 10)
			m = "member:" j
			printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
		}
	}
}' >"$tmp/load.resp"
for s in kv redis; do
	eval "port=\$PORT_$s pid=\$PID_$s"
	redis-cli -p "$port" flushall >/dev/null
	redis-cli -p "$port" --pipe <"$tmp/load.resp" >/dev/null
	sleep 2
	eval "RSS_$s=$(rss "$pid") KEYS_$s=$(redis-cli -p "$port" dbsize) ENC_$s=$(redis-cli -p "$port" object encoding zset:0)"
	eval "MEM_$s=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/{print $2+0}')"
done
printf '\n| %d sorted sets of 100 members | kv-server | redis-server | ratio |\n|---|---|---|---|\n' "$SETS"
awk -v k="$RSS_kv" -v r="$RSS_redis" -v kk="$KEYS_kv" -v rk="$KEYS_redis" -v ke="$ENC_kv" -v re="$ENC_redis" -v km="$MEM_kv" -v rm="$MEM_redis" 'BEGIN{
	printf "| keys, encoding | %d, %s | %d, %s | |\n", kk, ke, rk, re
	printf "| used_memory (MB) | %.1f | %.1f | %.2f |\n", km/1048576, rm/1048576, km/rm
	printf "| RSS (MB) | %.1f | %.1f | %.2f |\n", k/1048576, r/1048576, k/r }'
