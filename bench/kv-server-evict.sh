#!/usr/bin/env bash
# kv-server's maxmemory eviction against redis-server 7.0, side by side in one run
# (make bench). Needs redis-server, redis-cli, redis-benchmark.
#
# 1. Write load ten times maxmemory: each server is started with --maxmemory $MAXMEM
#    --maxmemory-policy allkeys-lru and takes `redis-benchmark -t set -r 10000000 -d 100
#    -c 50 -P 16` with enough requests for ten times maxmemory (a key costs about 190 bytes
#    as Redis counts it). Reported: throughput, peak RSS (VmHWM) and its ratio to maxmemory,
#    used_memory, evicted_keys, OOM errors, and whether the server is still alive.
# 2. Hit rate: each server is started with --maxmemory $HITMEM and each of allkeys-lru and
#    allkeys-lfu; kv-benchmark runs the same seeded Zipf-keyed (exponent 1) SET:GET 1:4 mix
#    over 1,000,000 keys of 100 bytes (-n $HITN -c 10 -P 16 --seed 1
#    --distinct-client-seed). Hit rate is keyspace_hits / (hits + misses) from INFO.
#
#   bench/kv-server-evict.sh                       MAXMEM=100mb HITMEM=10mb HITN=2000000
#   MAXMEM=20mb HITN=500000 bench/kv-server-evict.sh   (a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
MAXMEM=${MAXMEM:-100mb}
HITMEM=${HITMEM:-10mb}
HITN=${HITN:-2000000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server ./cmd/kv-benchmark
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start BINARY ARGS... -> sets port and pid (one server at a time)
start() {
	local bin=$1
	shift
	port=$(freeport)
	rm -rf "$tmp/srv" && mkdir -p "$tmp/srv"
	(cd "$tmp/srv" && exec "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no "$@" >"$tmp/srv.log" 2>&1) &
	pid=$!
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; }
info() { redis-cli -p "$port" info "$1" | tr -d '\r' | awk -F: -v f="$2" '$1==f{print $2}'; }

# maxmemory in bytes, as redis-server parses $MAXMEM.
start "$(command -v redis-server)" --maxmemory "$MAXMEM"
maxbytes=$(redis-cli -p "$port" config get maxmemory | tail -1)
stop
writes=$((maxbytes * 10 / 190))

printf '### Write load ten times maxmemory %s (%d SETs of 100 bytes, allkeys-lru)\n\n' "$MAXMEM" "$writes"
printf '| server | SET ops/s | peak RSS (MB) | peak RSS / maxmemory | used_memory (MB) | evicted_keys | keys | OOM errors | alive |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for s in kv-server redis-server; do
	bin=$PWD/bin/kv-server
	[ $s = redis-server ] && bin=$(command -v redis-server)
	start "$bin" --maxmemory "$MAXMEM" --maxmemory-policy allkeys-lru
	ops=$(redis-benchmark -p "$port" -t set -r 10000000 -d 100 -n "$writes" -c 50 -P 16 --csv | awk -F'","' 'NR==2{print $2}')
	hwm=$(awk '/VmHWM/{print $2*1024}' "/proc/$pid/status")
	alive=no
	redis-cli -p "$port" ping >/dev/null 2>&1 && alive=yes
	used=$(info memory used_memory)
	oom=$(info errorstats errorstat_OOM | sed 's/count=//')
	awk -v s=$s -v o="$ops" -v h="$hwm" -v m="$maxbytes" -v u="$used" -v e="$(info stats evicted_keys)" \
		-v k="$(redis-cli -p "$port" dbsize)" -v oom="${oom:-0}" -v a=$alive 'BEGIN{
		printf "| %s | %.0f | %.1f | %.2f | %.1f | %d | %d | %d | %s |\n", s, o, h/1048576, h/m, u/1048576, e, k, oom, a }'
	stop
done

printf '\n### Hit rate under a Zipf GET/SET load, maxmemory %s\n\n' "$HITMEM"
printf '| policy | kv-server hit rate | redis-server hit rate | ratio | kv-server evicted | redis-server evicted |\n'
printf '|---|---|---|---|---|---|\n'
for policy in allkeys-lru allkeys-lfu; do
	row=()
	for s in kv-server redis-server; do
		bin=$PWD/bin/kv-server
		[ $s = redis-server ] && bin=$(command -v redis-server)
		start "$bin" --maxmemory "$HITMEM" --maxmemory-policy "$policy"
		bin/kv-benchmark -p "$port" --ratio 1:4 --key-pattern Z:Z -r 1000000 -d 100 -n "$HITN" -c 10 -P 16 \
			--seed 1 --distinct-client-seed -q >/dev/null
		row+=("$(info stats keyspace_hits) $(info stats keyspace_misses) $(info stats evicted_keys)")
		stop
	done
	read -r kh km ke <<<"${row[0]}"
	read -r rh rm re <<<"${row[1]}"
	awk -v p=$policy -v kh="$kh" -v km="$km" -v rh="$rh" -v rm="$rm" -v ke="$ke" -v re="$re" 'BEGIN{
		k = kh/(kh+km); r = rh/(rh+rm)
		printf "| %s | %.4f | %.4f | %.3f | %d | %d |\n", p, k, r, k/r, ke, re }'
done
