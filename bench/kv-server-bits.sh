#!/usr/bin/env bash
# Bitmap and HyperLogLog commands: kv-server against redis-server 7.0, side by
# side in one run (make bench). For each row redis-benchmark runs against one
# server, then the other, and again in the other order; the table shows the
# mean throughput of the two runs on each server and the kvkit/Redis ratio.
# Rows: PFADD of random elements into one HLL (dense after the first few
# thousand), PFCOUNT of three HLLs (a union: no cached cardinality, a tenth of
# the requests), SETBIT, BITCOUNT of a 128 KB random bitmap, BITFIELD INCRBY.
# redis-benchmark's __rand_int__ is a zero-padded 12-digit number, which Redis
# (and kvkit) refuse as a bit offset ("000000012345" is not a canonical
# integer): random offsets are not possible with it, so SETBIT and BITFIELD
# randomize the key (10000 bitmaps of 1001 bytes) at a fixed offset.
# Needs redis-server, redis-benchmark, redis-cli, python3.
# Usage: bench/kv-server-bits.sh [requests]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
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

python3 -c 'import os,sys; sys.stdout.buffer.write(os.urandom(131072))' >"$tmp/bits"
for s in kv redis; do
	eval "port=\$PORT_$s"
	for k in hll1 hll2 hll3; do
		redis-benchmark -p "$port" -n 20000 -r 1000000 -c 10 PFADD $k __rand_int__ >/dev/null
	done
	redis-cli -p "$port" -x SET bits <"$tmp/bits" >/dev/null
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
	row '`PFADD hll1 __rand_int__` (-r 1000000)' "$P" "$N" -r 1000000 PFADD hll1 __rand_int__
	row '`PFCOUNT hll1 hll2 hll3`' "$P" $((N / 10)) PFCOUNT hll1 hll2 hll3
	row '`SETBIT bits:__rand_int__ 8000 1` (-r 10000)' "$P" "$N" -r 10000 SETBIT bits:__rand_int__ 8000 1
	row '`BITCOUNT bits` (128 KB)' "$P" "$N" BITCOUNT bits
	row '`BITFIELD bf:__rand_int__ INCRBY u8 8000 1` (-r 10000)' "$P" "$N" -r 10000 BITFIELD bf:__rand_int__ INCRBY u8 8000 1
done
