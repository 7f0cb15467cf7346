#!/usr/bin/env bash
# Hashes: kv-server against redis-server 7.0, side by side in one run (make bench).
# redis-benchmark -t hset (-n N -c 50, without and with -P 16) runs against each
# server alternately, three times (medians of throughput and server CPU time
# per operation shown); then each server is loaded with the same 200,000 hashes of
# 10 fields (listpack encoded), and then 1,000 hashes of 1,000 fields
# (hashtable encoded), and its RSS (VmRSS) and used_memory are shown before
# and after. Needs redis-server, redis-benchmark, redis-cli.
# Usage: bench/kv-server-hash.sh [requests]   (default 300000, as the issue asks)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

used() { redis-cli -p "$1" info memory | awk -F: '/^used_memory:/{print $2+0}'; }

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

# Each row runs three times, alternating servers; the table shows the medians
# of throughput and of server CPU time per operation (utime+stime of the
# server process from /proc over the run): the machine is shared, and CPU
# time per operation moves much less with its load than throughput does.
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
hz=$(getconf CLK_TCK)
run() { # port pid args... -> appends "ops cpu_us_per_op"
	local port=$1 pid=$2 before after ops
	shift 2
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv "$@" | awk -F'","' 'NR==2{print $2}')
	after=$(cputicks "$pid")
	echo "$ops $(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.2f", t/hz*1e6/n}')"
}
printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for P in 1 16; do
	: >"$tmp/kv.runs"
	: >"$tmp/redis.runs"
	for _ in 1 2 3; do
		run "$PORT_kv" "$PID_kv" -t hset -n "$N" -c 50 -P $P >>"$tmp/kv.runs"
		run "$PORT_redis" "$PID_redis" -t hset -n "$N" -c 50 -P $P >>"$tmp/redis.runs"
	done
	awk -v P=$P -v ko="$(cut -d' ' -f1 "$tmp/kv.runs" | median)" -v ro="$(cut -d' ' -f1 "$tmp/redis.runs" | median)" \
		-v kc="$(cut -d' ' -f2 "$tmp/kv.runs" | median)" -v rc="$(cut -d' ' -f2 "$tmp/redis.runs" | median)" 'BEGIN{
		printf "| hset | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", P, ko, ro, ko/ro, kc, rc, (rc>0?kc/rc:0) }'
done

# load hashes fields -> a table of RSS and used_memory of a new server of each
# kind, before and after it loaded, through redis-cli --pipe, the
# same HSET h:<i> field0 <10 bytes> ... field<fields-1> <10 bytes> for each
# i < hashes.
load() {
	local hashes=$1 fields=$2 s port pid
	awk -v hashes="$hashes" -v fields="$fields" 'BEGIN{
		for (i = 0; i < hashes; i++) {
			k = "h:" i
			printf "*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", 2 + 2 * fields, length(k), k
			for (f = 0; f < fields; f++) printf "$%d\r\nfield%d\r\n$10\r\nv%09d\r\n", length("field" f), f, i * fields + f
		}
	}' >"$tmp/data.resp"
	start kvload "$PWD/bin/kv-server"
	start redisload "$(command -v redis-server)"
	for s in kv redis; do
		eval "port=\$PORT_${s}load pid=\$PID_${s}load"
		eval "RSS0_$s=$(rss "$pid")"
		redis-cli -p "$port" --pipe <"$tmp/data.resp" >/dev/null
		eval "RSS_$s=$(rss "$pid") USED_$s=$(used "$port") KEYS_$s=$(redis-cli -p "$port" dbsize) ENC_$s=$(redis-cli -p "$port" object encoding h:1)"
	done
	kill "$PID_kvload" "$PID_redisload"
	printf '\n| %d hashes of %d fields | kv-server | redis-server | ratio |\n|---|---|---|---|\n' "$hashes" "$fields"
	awk -v k0="$RSS0_kv" -v r0="$RSS0_redis" -v k="$RSS_kv" -v r="$RSS_redis" -v ku="$USED_kv" -v ru="$USED_redis" \
		-v kk="$KEYS_kv" -v rk="$KEYS_redis" -v ke="$ENC_kv" -v re="$ENC_redis" 'BEGIN{
		printf "| keys, encoding | %d, %s | %d, %s | |\n", kk, ke, rk, re
		printf "| RSS before (MB) | %.1f | %.1f | %.2f |\n", k0/1048576, r0/1048576, k0/r0
		printf "| RSS after (MB) | %.1f | %.1f | %.2f |\n", k/1048576, r/1048576, k/r
		printf "| used_memory (MB) | %.1f | %.1f | %.2f |\n", ku/1048576, ru/1048576, ku/ru }'
}
load 200000 10   # listpack encoded
load 1000 1000   # hashtable encoded
