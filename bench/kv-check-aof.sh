#!/usr/bin/env bash
# bench/kv-check-aof.sh - kv-check-aof against redis-check-aof 7.0 on a large
# multi-part AOF written by redis-server, run alternately in one run.
#
# Environment:
#   AOF_MB          approximate size of the AOF to generate (default 1024)
#   ROUNDS          timed runs of each tool (default 3)
#   KV_CHECK_AOF    kv-check-aof binary (default bin/kv-check-aof, built by make bench)
#   PORT            port for the scratch redis-server (default: first free from 17600)
#   KEEP=1          keep the generated directory (path printed)
#
# The AOF: a BASE written by BGREWRITEAOF (RDB preamble), then INCR files of
# mixed write commands from redis-benchmark (SET, INCR, LPUSH, RPUSH, SADD,
# HSET, ZADD, MSET, LPOP; random keys, 64-byte values): one INCR after the
# finished rewrite, one more opened by a rewrite that never finished.
# Prints a markdown table: wall time (median of ROUNDS) and peak RSS of each
# tool, and the ratio kv-check-aof / redis-check-aof.
set -euo pipefail
export LC_ALL=C
AOF_MB=${AOF_MB:-1024}
ROUNDS=${ROUNDS:-3}
KV_CHECK_AOF=${KV_CHECK_AOF:-bin/kv-check-aof}
for p in redis-server redis-cli redis-benchmark redis-check-aof /usr/bin/time "$KV_CHECK_AOF"; do
  command -v "$p" > /dev/null || { echo "kv-check-aof bench: $p not found (apt-get install redis-server redis-tools time; make build)" >&2; exit 1; }
done
KV_CHECK_AOF=$(cd "$(dirname "$KV_CHECK_AOF")" && pwd)/$(basename "$KV_CHECK_AOF")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-kv-check-aof.XXXXXX")
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ ${KEEP:-} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
if [[ -z ${PORT:-} ]]; then
  for ((p = 17600; p < 17700; p++)); do
    if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
  done
fi
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }
info_field() { cli INFO persistence | tr -d '\r' | sed -n "s/^$1://p"; }
aof_bytes() { du -sb "$WORK/appendonlydir" | cut -f1; }

# --- generate
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$WORK" --save "" --daemonize no \
  --logfile "$WORK/redis.log" --appendonly yes --appenddirname appendonlydir \
  --aof-use-rdb-preamble yes --appendfsync no --auto-aof-rewrite-percentage 0 --enable-debug-command local &
SERVER_PID=$!
for ((i = 0; i < 100; i++)); do [[ $(cli PING 2>/dev/null) == PONG ]] && break; sleep 0.05; done
cli DEBUG POPULATE 200000 base 64 > /dev/null
cli BGREWRITEAOF > /dev/null
for ((i = 0; i < 600; i++)); do [[ $(info_field aof_rewrite_in_progress) == 0 ]] && break; sleep 0.1; done
fill_to() { # fill_to BYTES: mixed writes until the AOF directory holds BYTES
  while (($(aof_bytes) < $1)); do
    redis-benchmark -h 127.0.0.1 -p "$PORT" -q -P 32 -c 8 -r 1000000 -d 64 -n 50000 \
      -t set,incr,lpush,rpush,sadd,hset,zadd,mset,lpop > /dev/null
  done
}
fill_to $((AOF_MB * 1024 * 1024 * 6 / 10))
cli CONFIG SET rdb-key-save-delay 1000000 > /dev/null
cli BGREWRITEAOF > /dev/null
for ((i = 0; i < 200; i++)); do [[ $(info_field aof_rewrite_in_progress) == 1 ]] && break; sleep 0.05; done
fill_to $((AOF_MB * 1024 * 1024))
cli SHUTDOWN NOSAVE > /dev/null 2>&1 || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
rm -f "$WORK"/appendonlydir/temp-*
MANIFEST=$WORK/appendonlydir/appendonly.aof.manifest
SIZE=$(aof_bytes)
NFILES=$(grep -c '^file' "$MANIFEST")
echo "generated $((SIZE / 1048576)) MiB in $NFILES files:" >&2
ls -l "$WORK/appendonlydir" >&2

# --- measure, alternating
cat "$WORK"/appendonlydir/* > /dev/null # warm the page cache for both
"$KV_CHECK_AOF" "$MANIFEST" > /dev/null || { echo "kv-check-aof says the AOF is not valid" >&2; exit 1; }
redis-check-aof "$MANIFEST" > /dev/null || { echo "redis-check-aof says the AOF is not valid" >&2; exit 1; }
run() { # run NAME CMD... -> appends "seconds maxrss_kb" to $WORK/NAME.times
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/t" "$@" > /dev/null
  cat "$WORK/t" >> "$WORK/$name.times"
}
for ((r = 0; r < ROUNDS; r++)); do
  run kv "$KV_CHECK_AOF" "$MANIFEST"
  run redis redis-check-aof "$MANIFEST"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
kv_t=$(cut -d' ' -f1 "$WORK/kv.times" | median)
rd_t=$(cut -d' ' -f1 "$WORK/redis.times" | median)
kv_m=$(cut -d' ' -f2 "$WORK/kv.times" | sort -n | tail -1)
rd_m=$(cut -d' ' -f2 "$WORK/redis.times" | sort -n | tail -1)
echo
echo "AOF: $((SIZE / 1048576)) MiB, $NFILES files (manifest: $(grep -c 'type i' "$MANIFEST") INCR), median of $ROUNDS alternating runs"
echo
echo "| tool | wall time (s) | peak RSS (MB) |"
echo "|---|---|---|"
echo "| kv-check-aof | $kv_t | $((kv_m / 1024)) |"
echo "| redis-check-aof 7.0 | $rd_t | $((rd_m / 1024)) |"
echo "| ratio kv / redis | $(awk -v a="$kv_t" -v b="$rd_t" 'BEGIN {printf "%.2fx", a / b}') | |"
