#!/usr/bin/env bash
# bench/kv-rdb.sh - kv-rdb against redis-check-rdb on a generated RDB file.
#
# Generates a mixed RDB with redis-server 7.0 (DEBUG POPULATE strings plus
# big hashes, sorted sets, sets, lists and streams made by a Lua script),
# then alternately runs, ROUNDS times each:
#   redis-check-rdb FILE          vs  kv-rdb check FILE
#   kv-rdb dump --format jsonl    (MB/s of RDB, peak RSS)
#   kv-rdb memory --by-prefix :   (MB/s of RDB)
# and prints a table for docs/benchmarks.md.
#
# Environment: SIZE_MB (approximate RDB size, default 1000), ROUNDS (3),
# BENCH_DIR (where the RDB is kept between runs; default $TMPDIR/kvkit-bench-rdb),
# PORT (scratch server port; default a free one from 17600).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1000}
ROUNDS=${ROUNDS:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/kvkit-bench-rdb}
mkdir -p "$BENCH_DIR" bin
go build -o bin/kv-rdb ./cmd/kv-rdb
RDB="$BENCH_DIR/bench-${SIZE_MB}mb.rdb"

if [ ! -s "$RDB" ]; then
	PORT=${PORT:-17600}
	while (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do PORT=$((PORT + 1)); done
	work=$(mktemp -d)
	redis-server --port "$PORT" --bind 127.0.0.1 --dir "$work" --dbfilename gen.rdb --save "" \
		--appendonly no --enable-debug-command yes --daemonize no --logfile "$work/log" &
	pid=$!
	trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
	for _ in $(seq 100); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done
	# About half of the file as strings (key:N, 100-byte values, ~47 bytes
	# each once LZF-compressed), the rest as
	# collections of 1000 elements (~15 KB each in the file).
	nstr=$((SIZE_MB * 1024 * 1024 / 2 / 47))
	redis-cli -p "$PORT" DEBUG POPULATE "$nstr" key 100 >/dev/null
	ncoll=$((SIZE_MB * 1024 * 1024 / 2 / 15000 / 5 + 1))
	redis-cli -p "$PORT" EVAL "
	  local n = tonumber(ARGV[1])
	  for i = 1, n do
	    local h, z, s, l = {}, {}, {}, {}
	    for j = 1, 1000 do
	      h[#h+1] = 'field:' .. j; h[#h+1] = 'value-' .. i .. '-' .. j .. '-0123456789'
	      z[#z+1] = j * 1.5; z[#z+1] = 'member:' .. i .. ':' .. j
	      s[#s+1] = 'm' .. i .. ':' .. j .. ':abcdefghij'
	      l[#l+1] = 'element-' .. j .. '-0123456789abcdef'
	    end
	    redis.call('HSET', 'hash:' .. i, unpack(h))
	    redis.call('ZADD', 'zset:' .. i, unpack(z))
	    redis.call('SADD', 'set:' .. i, unpack(s))
	    redis.call('RPUSH', 'list:' .. i, unpack(l))
	    for j = 1, 1000 do
	      redis.call('XADD', 'stream:' .. i, '*', 'sensor', j, 'reading', 'value-' .. j .. '-0123456789')
	    end
	  end
	  return n" 0 "$ncoll" >/dev/null
	redis-cli -p "$PORT" SAVE >/dev/null
	mv "$work/gen.rdb" "$RDB"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	trap - EXIT
	rm -rf "$work"
fi
size=$(stat -c %s "$RDB")
mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')
echo "RDB: $RDB ($mb MiB)"

# run NAME CMD...: wall seconds, CPU seconds (user+sys) and peak RSS (KiB)
# via /usr/bin/time. The machine is shared: CPU seconds show the work done,
# wall seconds include waiting for a core.
declare -A wall cpu rss
run() {
	local name=$1; shift
	local t
	local tf; tf=$(mktemp)
	/usr/bin/time -o "$tf" -f "%e %U %S %M" "$@" >/dev/null 2>&1
	read -r e u s m < <(tail -1 "$tf"); rm -f "$tf"
	wall[$name]="${wall[$name]:-} $e"
	cpu[$name]="${cpu[$name]:-} $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
	rss[$name]="${rss[$name]:-} $m"
}
load=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$ROUNDS"); do
	run redis-check-rdb redis-check-rdb "$RDB"
	run check bin/kv-rdb check -q "$RDB"
	run dump bin/kv-rdb dump -q --format jsonl "$RDB"
	run memory bin/kv-rdb memory -q --by-prefix : "$RDB"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rate() { awk -v s="$size" -v t="$1" 'BEGIN { printf "%.0f", s / 1048576 / t }'; }
kib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
echo
echo "load average before the runs: $load"
echo
echo "| command | median wall s | MiB/s (wall) | median CPU s | MiB/s per CPU s | peak RSS MiB | target |"
echo "|---|---|---|---|---|---|---|"
row() {
	local name=$1 label=$2 target=$3 w c
	w=$(echo "${wall[$name]}" | median)
	c=$(echo "${cpu[$name]}" | median)
	echo "| $label | $w | $(rate "$w") | $c | $(rate "$c") | $(kib "$(echo "${rss[$name]}" | median)") | $target |"
}
rcw=$(echo "${wall[redis-check-rdb]}" | median); ckw=$(echo "${wall[check]}" | median)
rcc=$(echo "${cpu[redis-check-rdb]}" | median); ckc=$(echo "${cpu[check]}" | median)
row redis-check-rdb "redis-check-rdb" "reference"
row check "kv-rdb check" "<= 0.5x redis-check-rdb: $(awk -v a="$ckw" -v b="$rcw" 'BEGIN { printf "%.2fx", a / b }') wall, $(awk -v a="$ckc" -v b="$rcc" 'BEGIN { printf "%.2fx", a / b }') CPU"
row dump "kv-rdb dump --format jsonl" ">= 150 MiB/s, RSS < 100 MiB"
row memory "kv-rdb memory --by-prefix :" ">= 200 MiB/s"
