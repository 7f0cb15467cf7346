#!/usr/bin/env bash
# Geo commands: kv-server against redis-server 7.0, side by side in one run
# (make bench). For each row redis-benchmark runs against one server, then the
# other, and again in the other order; the table shows the mean throughput of
# the two runs on each server and the kvkit/Redis ratio, and each server's CPU
# time per operation over its two runs.
# Data: 100000 members at random positions over Europe (longitude -10..30,
# latitude 35..60, seed 1), written with GEOADD through redis-cli --pipe.
# Rows: GEOADD of a random member (a new one or an update) into that set;
# GEOSEARCH by radius (50 km, about 90 members in range) sorted, COUNT 10,
# WITHDIST; GEOSEARCH by box (100 x 100 km, about 120 members) unsorted.
# Needs redis-server, redis-benchmark, redis-cli, python3.
# Usage: bench/kv-server-geo.sh [requests]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
for p in redis-server redis-benchmark redis-cli python3; do
	command -v $p >/dev/null || { echo "$p not found: apt-get install redis-server redis-tools python3" >&2; exit 1; }
done
go build -o bin/ ./cmd/kv-server
. bench/lib/servers.bash

start kv "$PWD/bin/kv-server"
start redis "$(command -v redis-server)"

# ops name requests args... -> "ops/s cputicks" of one redis-benchmark run
ops() {
	local name=$1 n=$2 port pid before ops; shift 2
	eval "port=\$PORT_$name pid=\$PID_$name"
	before=$(cputicks "$pid")
	ops=$(redis-benchmark -p "$port" --csv -n "$n" -c 50 "$@" | awk -F'","' 'NR==2{print $2}')
	echo "$ops $(($(cputicks "$pid") - before))"
}
hz=$(getconf CLK_TCK)

python3 - >"$tmp/load.resp" <<'PY'
import random, sys
r = random.Random(1)
out = []
for i in range(100000):
    a = ["GEOADD", "geo", "%.6f" % r.uniform(-10, 30), "%.6f" % r.uniform(35, 60), "m:%012d" % i]
    out.append("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a))
sys.stdout.write("".join(out))
PY
for s in kv redis; do
	eval "port=\$PORT_$s"
	redis-cli -p "$port" --pipe <"$tmp/load.resp" >/dev/null
done

printf '| command | pipeline | kv-server ops/s | redis ops/s | ratio | kv-server CPU µs/op | redis CPU µs/op | ratio |\n'
printf '|---|---|---|---|---|---|---|---|\n'
row() { # label pipeline requests args...
	local label=$1 P=$2 n=$3; shift 3
	local k1 r1 r2 k2 kt1 rt1 rt2 kt2
	read -r k1 kt1 <<<"$(ops kv "$n" -P "$P" "$@")"
	read -r r1 rt1 <<<"$(ops redis "$n" -P "$P" "$@")"
	read -r r2 rt2 <<<"$(ops redis "$n" -P "$P" "$@")"
	read -r k2 kt2 <<<"$(ops kv "$n" -P "$P" "$@")"
	awk -v l="$label" -v P="$P" -v n="$n" -v hz="$hz" -v k1="$k1" -v k2="$k2" -v r1="$r1" -v r2="$r2" \
		-v kt=$((kt1 + kt2)) -v rt=$((rt1 + rt2)) 'BEGIN{
		k=(k1+k2)/2; r=(r1+r2)/2; kc=kt/hz*1e6/(2*n); rc=rt/hz*1e6/(2*n)
		printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", l, P, k, r, k/r, kc, rc, (rc>0?kc/rc:0) }'
}
for P in 1 16; do
	row '`GEOADD geo 13.361389 38.115556 m:__rand_int__` (-r 200000)' "$P" "$N" -r 200000 GEOADD geo 13.361389 38.115556 m:__rand_int__
	row '`GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 50 km ASC COUNT 10 WITHDIST`' "$P" $((N / 2)) GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 50 km ASC COUNT 10 WITHDIST
	row '`GEOSEARCH geo FROMLONLAT 5 45 BYBOX 100 100 km`' "$P" $((N / 2)) GEOSEARCH geo FROMLONLAT 5 45 BYBOX 100 100 km
done
