#!/usr/bin/env bash
# kv-server's snapshots against redis-server 7.0, alternately in one run
# (make bench). Needs redis-server, redis-cli, redis-benchmark.
#  1. Load time at start-up of the same 1,000,000-key RDB (16-byte strings
#     under redis-benchmark's key names, written by redis-server's SAVE): the "DB loaded from disk"
#     time each server logs; median of 3 alternate starts.
#  2. BGSAVE of that dataset while `redis-benchmark -t set -r 1000000
#     -n 2000000 -P 16` overwrites it (repeated until the save is over): peak memory during the save / RSS before it
#     (kv-server: its RSS; redis-server: parent RSS + the fork child's
#     private pages, i.e. what copy-on-write costs), also against the peak
#     RSS under the same load without a save (Go's collector lets the heap
#     grow with garbage from any load), and the server's
#     throughput during the save / in the second before it.
# Usage: bench/kv-server-persist.sh [keys]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-1000000}
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

# start name dir -> PORT, PID; waits until the dataset is loaded.
start() {
	local name=$1 dir=$2 bin
	eval "bin=\$bin_$name"
	PORT=$(freeport)
	(cd "$dir" && exec "$bin" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$dir" --logfile "$dir/server.log" --enable-debug-command yes >/dev/null 2>&1) &
	PID=$!
	pids+=("$PID")
	for _ in $(seq 1200); do
		[ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "$name did not start" >&2
	exit 1
}
stop() { redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; wait "$PID" 2>/dev/null || true; }
rss() { awk '/VmRSS/{print $2*1024}' "/proc/$1/status"; }
info() { redis-cli -p "$PORT" info "$1" | tr -d '\r' | awk -F: -v f="$2" '$1==f{print $2}'; }

# The dataset, written once by redis-server.
mkdir -p "$tmp/gen"
start redis "$tmp/gen"
# The key names redis-benchmark -r uses (key:%012d), so that the write load
# below overwrites the dataset instead of adding to it.
python3 -c '
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\nxxxxxxxxxxxxxxxx\r\n" % (len(k), k))
' "$KEYS" | redis-cli -p "$PORT" --pipe >/dev/null
redis-cli -p "$PORT" save >/dev/null
stop
rdb="$tmp/gen/dump.rdb"

declare -A load
for round in 1 2 3; do
	for s in kv redis; do
		d="$tmp/load-$s-$round"
		mkdir -p "$d"
		cp "$rdb" "$d/dump.rdb"
		start $s "$d"
		load[$s]+="$(grep -o 'DB loaded from disk: [0-9.]*' "$d/server.log" | awk '{print $5}') "
		stop
	done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
lk=$(echo "${load[kv]}" | median)
lr=$(echo "${load[redis]}" | median)
printf '| %s-key RDB (strings) | kv-server | redis-server | ratio |\n|---|---|---|---|\n' "$KEYS"
awk -v k="$lk" -v r="$lr" 'BEGIN{printf "| load time at start-up (s, median of 3) | %.3f | %.3f | %.2f |\n", k, r, k/r}'

# BGSAVE under a write load.
declare -A peak before during base secs loadpeak
for s in kv redis; do
	d="$tmp/save-$s"
	mkdir -p "$d"
	cp "$rdb" "$d/dump.rdb"
	start $s "$d"
	before[$s]=$(rss "$PID")
	# The load runs again and again until the save is over.
	(while :; do redis-benchmark -p "$PORT" -t set -r 1000000 -n 2000000 -P 16 -c 50 -q >/dev/null 2>&1 || break; done) &
	bench=$!
	sleep 1
	# One python process measures both windows (2 s of load, then the
	# save) over one connection and /proc, so that measuring spawns no
	# processes that would compete with the servers for the CPUs.
	read -r lp p base[$s] during[$s] secs[$s] <<<"$(python3 - "$PORT" "$PID" <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def cmd(*args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    line = f.readline()
    if line[:1] == b"$":
        data = f.read(int(line[1:]) + 2)
        return data[:-2].decode()
    return line.decode().strip()
def field(section, name):
    for l in cmd(b"INFO", section).split("\r\n"):
        if l.startswith(name + ":"):
            return l.split(":", 1)[1]
def mem():
    m = 0
    with open("/proc/%s/status" % pid) as st:
        for l in st:
            if l.startswith("VmRSS:"):
                m = int(l.split()[1]) * 1024
    with open("/proc/%s/task/%s/children" % (pid, pid)) as ch:
        children = ch.read().split()
    for c in children:
        try:
            with open("/proc/%s/smaps_rollup" % c) as sm:
                m += sum(int(l.split()[1]) * 1024 for l in sm if l.startswith(("Private_Clean", "Private_Dirty")))
        except OSError:
            pass
    return m
c0, t0, lp = int(field(b"stats", "total_commands_processed")), time.time(), 0
while time.time() - t0 < 2:
    lp = max(lp, mem()); field(b"persistence", "rdb_bgsave_in_progress"); time.sleep(0.05)
c1, t1 = int(field(b"stats", "total_commands_processed")), time.time()
cmd(b"BGSAVE")
p = 0
while True:
    p = max(p, mem())
    if field(b"persistence", "rdb_bgsave_in_progress") == "0":
        break
    time.sleep(0.05)
c2, t2 = int(field(b"stats", "total_commands_processed")), time.time()
print(lp, p, round((c1 - c0) / (t1 - t0)), round((c2 - c1) / (t2 - t1)), "%.2f" % (t2 - t1))
PY
)"
	loadpeak[$s]=$lp
	peak[$s]=$p
	[ "$(info persistence rdb_last_bgsave_status)" = ok ] || { echo "$s: BGSAVE failed" >&2; exit 1; }
	kill $bench 2>/dev/null || true
	wait $bench 2>/dev/null || true
	stop
done
printf '\n| BGSAVE of %s keys during `redis-benchmark -t set -r 1000000 -n 2000000 -P 16` | kv-server | redis-server |\n|---|---|---|\n' "$KEYS"
awk -v bk="${before[kv]}" -v br="${before[redis]}" -v pk="${peak[kv]}" -v pr="${peak[redis]}" \
	-v dk="${during[kv]}" -v dr="${during[redis]}" -v ok="${base[kv]}" -v or="${base[redis]}" \
	-v sk="${secs[kv]}" -v sr="${secs[redis]}" -v lk="${loadpeak[kv]}" -v lr="${loadpeak[redis]}" 'BEGIN{
	printf "| RSS before the save, idle (MB) | %.1f | %.1f |\n", bk/1048576, br/1048576
	printf "| peak RSS under the write load, no save (MB) | %.1f | %.1f |\n", lk/1048576, lr/1048576
	printf "| peak during the save (MB) | %.1f | %.1f |\n", pk/1048576, pr/1048576
	printf "| peak during / RSS before | %.2f | %.2f |\n", pk/bk, pr/br
	printf "| peak during / peak under load without save | %.2f | %.2f |\n", pk/lk, pr/lr
	printf "| save duration (s) | %.2f | %.2f |\n", sk, sr
	printf "| SET ops/s before the save | %.0f | %.0f |\n", ok, or
	printf "| SET ops/s during the save | %.0f | %.0f |\n", dk, dr
	printf "| during / before | %.2f | %.2f |\n", dk/ok, dr/or }'
