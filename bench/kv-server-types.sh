#!/usr/bin/env bash
# kv-server's list, hash, set and sorted-set commands against redis-server 7.0,
# side by side in one run (make bench; issue 3's table). For each row
# redis-benchmark runs against each server alternately and the table shows
# both throughputs and their ratio; then each server is loaded with the same
# data (200,000 hashes of 10 fields, 100,000 sets of 5 integers, 100,000 sets
# of 5 strings, 100,000 sorted sets of 100 members) and RSS is compared.
# Needs redis-server, redis-benchmark, redis-cli, python3.
# Usage: bench/kv-server-types.sh [requests]   (default 300000, as the issue asks)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
for p in redis-server redis-benchmark redis-cli python3; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools python3" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

ops() { redis-benchmark -p "$1" --csv "${@:2}" | awk -F'","' 'NR==2{print $2}'; }

printf '| test | pipeline | kv-server ops/s | redis ops/s | ratio |\n|---|---|---|---|---|\n'
for P in 1 16; do
	for t in lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange_100 lrange_600; do
		# Each test starts from the same state on both servers.
		redis-cli -p "$PORT_kv" flushall >/dev/null
		redis-cli -p "$PORT_redis" flushall >/dev/null
		k=$(ops "$PORT_kv" -t "$t" -n "$N" -c 50 -P "$P")
		r=$(ops "$PORT_redis" -t "$t" -n "$N" -c 50 -P "$P")
		awk -v t="$t" -v P="$P" -v k="$k" -v r="$r" 'BEGIN{printf "| %s | %d | %.0f | %.0f | %.2f |\n", t, P, k, r, k/r}'
	done
done

# The data set, as RESP for redis-cli --pipe: same bytes to both servers.
python3 - "$tmp/load.resp" <<'PY'
import sys
out = open(sys.argv[1], "wb")
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
for i in range(200000):
    args = ["HSET", "hash:%d" % i]
    for f in range(10):
        args += ["field:%d" % f, "value:%d:%d" % (i, f)]
    cmd(*args)
for i in range(100000):
    cmd("SADD", "iset:%d" % i, *[i * 10 + m for m in range(5)])
    cmd("SADD", "sset:%d" % i, *["member:%d:%d" % (i, m) for m in range(5)])
for i in range(100000):
    args = ["ZADD", "zset:%d" % i]
    for m in range(100):
        args += [m * 1.5, "m:%d" % m]
    cmd(*args)
PY
# Fresh servers, so that the throughput runs leave nothing behind.
start kvm "$PWD/bin/kv-server"
start redism "$(command -v redis-server)"
for s in kvm redism; do
	eval "port=\$PORT_$s pid=\$PID_$s"
	redis-cli -p "$port" --pipe <"$tmp/load.resp" >/dev/null
	sleep 3 # RSS once the server is idle: both allocators return free pages then
	eval "RSS_$s=$(rss "$pid") KEYS_$s=$(redis-cli -p "$port" dbsize)"
	eval "ENC_$s=\"$(for k in hash:1 iset:1 sset:1 zset:1; do redis-cli -p "$port" object encoding $k; done | tr '\n' ' ')\""
done
printf '\n| RSS after loading | kv-server | redis-server | ratio |\n|---|---|---|---|\n'
awk -v k="$RSS_kvm" -v r="$RSS_redism" -v kk="$KEYS_kvm" -v rk="$KEYS_redism" 'BEGIN{
	printf "| RSS (MB), %d / %d keys | %.1f | %.1f | %.2f |\n", kk, rk, k/1048576, r/1048576, k/r }'
printf '\nencodings (hash, int set, string set, zset): kv-server %s; redis-server %s\n' "$ENC_kvm" "$ENC_redism"
