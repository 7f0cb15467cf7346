#!/usr/bin/env bash
# Sorted sets: kv-server against redis-server 7.0, side by side in one run (make bench).
# 1. redis-benchmark -t zadd,zpopmin -n N -c 50, without and with -P 16, against each
#    server alternately; throughput and the kvkit/Redis ratio.
# 2. RSS after loading the same 100,000 sorted sets of 100 members (listpack encoded, as
#    in Redis) into each server through redis-cli --pipe, and the ratio.
# Needs redis-server, redis-cli, redis-benchmark.
# Usage: bench/zset.sh [requests] [sets]   (defaults 300000 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
SETS=${2:-100000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # name binary -> sets PORT_name PID_name
	local name=$1 bin=$2 port
	port=$(freeport)
	mkdir -p "$tmp/$name"
	(cd "$tmp/$name" && exec "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/$name.log" 2>&1) &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
	eval "PORT_$name=$port PID_$name=$pid"
}
rss() { awk '/VmRSS/{print $2*1024}' "/proc/$1/status"; }

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

ops() { redis-benchmark -p "$1" --csv -t "$2" -n "$N" -c 50 -P "$3" | awk -F'","' 'NR==2{print $2}'; }

echo "redis-benchmark -n $N -c 50; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio |\n|---|---|---|---|---|\n'
for P in 1 16; do
	for t in zadd zpopmin; do
		k=$(ops "$PORT_kv" $t $P)
		r=$(ops "$PORT_redis" $t $P)
		awk -v t=$t -v P=$P -v k="$k" -v r="$r" 'BEGIN{ printf "| %s | %d | %.0f | %.0f | %.2f |\n", t, P, k, r, k/r }'
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
