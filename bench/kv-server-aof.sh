#!/usr/bin/env bash
# kv-server's append-only file against redis-server 7.0, alternately in one
# run (make bench): redis-benchmark -t set with appendonly yes and
# appendfsync everysec, then always; 3 alternate rounds per policy, median
# requests per second, ratio kv-server / redis-server.
# Usage: bench/kv-server-aof.sh [requests]   (default 200000; always uses a quarter)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bin_kv="$PWD/bin/kv-server"
bin_redis="$(command -v redis-server)"

# start name dir fsync -> PORT, PID
start() {
	local name=$1 dir=$2 fsync=$3 bin
	eval "bin=\$bin_$name"
	PORT=$(freeport)
	(cd "$dir" && exec "$bin" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync "$fsync" \
		--daemonize no --dir "$dir" --logfile "$dir/server.log" >/dev/null 2>&1) &
	PID=$!
	pids+=("$PID")
	for _ in $(seq 200); do
		[ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "$name did not start" >&2
	exit 1
}
stop() { redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; wait "$PID" 2>/dev/null || true; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "| redis-benchmark -t set -c 50, appendonly yes | kv-server (req/s) | redis-server (req/s) | ratio |"
echo "|---|---|---|---|"
for fsync in everysec always; do
	n=$N
	[ "$fsync" = always ] && n=$((N / 4))
	declare -A rps=()
	for round in 1 2 3; do
		for s in kv redis; do
			d="$tmp/$fsync-$s-$round"
			mkdir -p "$d"
			start $s "$d" $fsync
			r=$(redis-benchmark -p "$PORT" -t set -n "$n" -c 50 -r 100000 --csv | tail -1 | cut -d, -f2 | tr -d '"')
			rps[$s]+="$r "
			stop
		done
	done
	k=$(echo "${rps[kv]}" | median)
	r=$(echo "${rps[redis]}" | median)
	echo "| appendfsync $fsync, $n SETs (median of 3) | $k | $r | $(awk -v a="$k" -v b="$r" 'BEGIN{printf "%.2f", a/b}') |"
	unset rps
done
