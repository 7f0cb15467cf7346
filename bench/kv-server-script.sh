#!/usr/bin/env bash
# Scripting: kv-server against redis-server 7.0, side by side in one run
# (make bench). redis-benchmark runs EVALSHA of small scripts (a read, and an
# INCR of a key passed in KEYS) and FCALL of a function doing the same INCR,
# -n N -c 50, without and with -P 16, against each server alternately, three
# times; the table shows the medians of throughput and of server CPU time per
# operation. Needs redis-server, redis-benchmark, redis-cli.
# Usage: bench/kv-server-script.sh [requests]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

READ="return redis.call('get', KEYS[1])"
INCR="return redis.call('incr', KEYS[1])"
LIB=$'#!lua name=benchlib\nredis.register_function(\'bincr\', function(keys) return redis.call(\'incr\', keys[1]) end)'
for port in "$PORT_kv" "$PORT_redis"; do
	redis-cli -p "$port" set key:rd value >/dev/null
	redis-cli -p "$port" script load "$READ" >/dev/null
	redis-cli -p "$port" script load "$INCR" >/dev/null
	redis-cli -p "$port" function load replace "$LIB" >/dev/null
done
SHA_READ=$(redis-cli -p "$PORT_kv" script load "$READ")
SHA_INCR=$(redis-cli -p "$PORT_kv" script load "$INCR")

median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
hz=$(getconf CLK_TCK)
run() { # port pid args... -> appends "ops cpu_us_per_op"
	local port=$1 pid=$2 before after ops
	shift 2
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv -n "$N" -c 50 "$@" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}
row() { # name pipeline args...
	local name=$1 P=$2
	shift 2
	: >"$tmp/kv.runs"
	: >"$tmp/redis.runs"
	for _ in 1 2 3; do
		run "$PORT_kv" "$PID_kv" -P "$P" "$@" >>"$tmp/kv.runs"
		run "$PORT_redis" "$PID_redis" -P "$P" "$@" >>"$tmp/redis.runs"
	done
	awk -v name="$name" -v P="$P" -v ko="$(cut -d' ' -f1 "$tmp/kv.runs" | median)" -v ro="$(cut -d' ' -f1 "$tmp/redis.runs" | median)" \
		-v kc="$(cut -d' ' -f2 "$tmp/kv.runs" | median)" -v rc="$(cut -d' ' -f2 "$tmp/redis.runs" | median)" 'BEGIN{
		printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", name, P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
}
printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	row "EVALSHA get" "$P" evalsha "$SHA_READ" 1 key:rd
	row "EVALSHA incr" "$P" evalsha "$SHA_INCR" 1 key:__rand_int__ -r 100000
	row "FCALL incr" "$P" fcall bincr 1 key:__rand_int__ -r 100000
done
