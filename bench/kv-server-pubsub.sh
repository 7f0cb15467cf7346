#!/usr/bin/env bash
# kv-server's PUBLISH against redis-server 7.0, side by side in one run (make bench).
# Both servers run at once (--save '' --appendonly no); for each row
# `redis-benchmark -n $N -c 50 [-P 16] --csv PUBLISH ch msg` runs against kv-server,
# then against redis-server, with 0 and with $SUBS subscribers (`redis-cli subscribe ch`,
# output to /dev/null) on each server. Reported: throughput, and the messages the
# subscribers received per second of the run (PUBLISH's reply counts the deliveries),
# and the server's CPU time per PUBLISH (utime+stime from /proc over the run), steadier
# than throughput on a shared machine.
# Needs redis-server, redis-cli, redis-benchmark.
# Usage: bench/kv-server-pubsub.sh [requests]   (default 200000; SUBS=4)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
SUBS=${SUBS:-4}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
tmp=$(mktemp -d)
pids=()
subpids=()
cleanup() {
	for p in "${subpids[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # name binary -> sets PORT_name PID_name
	local name=$1 bin=$2 port
	port=$(freeport)
	mkdir -p "$tmp/$name"
	(cd "$tmp/$name" && exec "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/$name.log" 2>&1) &
	pids+=("$!")
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
	eval "PORT_$name=$port PID_$name=$!"
}
cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

subscribe() { # port count: start count subscribers and wait until they are subscribed
	local port=$1 n=$2
	for _ in $(seq "$n"); do
		redis-cli -p "$port" subscribe ch >/dev/null &
		subpids+=("$!")
	done
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$port" pubsub numsub ch | tail -1)" = "$n" ] && return
		sleep 0.05
	done
	echo "subscribers did not subscribe on port $port" >&2
	exit 1
}
unsubscribe() {
	for p in "${subpids[@]}"; do kill "$p" 2>/dev/null || true; done
	subpids=()
	sleep 0.2
}
# run port pid args... -> "ops/s cpu_µs_per_op"
run() {
	local port=$1 pid=$2 before after ops
	shift 2
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv "$@" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}

printf '| subscribers | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio | kv-server msgs/s delivered | redis msgs/s delivered |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for S in 0 "$SUBS"; do
	if [ "$S" -gt 0 ]; then
		subscribe "$PORT_kv" "$S"
		subscribe "$PORT_redis" "$S"
	fi
	for P in 1 16; do
		read -r k kc <<<"$(run "$PORT_kv" "$PID_kv" -n "$N" -c 50 -P "$P" PUBLISH ch msg)"
		read -r r rc <<<"$(run "$PORT_redis" "$PID_redis" -n "$N" -c 50 -P "$P" PUBLISH ch msg)"
		awk -v s="$S" -v P="$P" -v k="$k" -v r="$r" -v kc="$kc" -v rc="$rc" 'BEGIN{
			printf "| %d | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f |\n", s, P, k, r, k/r, kc, rc, (rc>0?kc/rc:0), k*s, r*s }'
	done
	[ "$S" -gt 0 ] && unsubscribe
done
