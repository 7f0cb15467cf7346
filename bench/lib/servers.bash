# Shared by bench/*.sh (sourced, not run): a temporary directory removed at
# exit, servers started on free loopback ports and stopped by their own
# pid, and the /proc readings the tables use.
#   start NAME BINARY   starts BINARY (kv-server or redis-server, no
#                       persistence) in $tmp/NAME; sets PORT_NAME and PID_NAME
#   cputicks PID        utime+stime of PID, in clock ticks
#   rss PID             resident set size of PID, in bytes
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # name binary -> sets PORT_name PID_name
	local name=$1 bin=$2 port
	port=$(freeport)
	mkdir -p "$tmp/$name"
	(cd "$tmp/$name" && exec "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/$name.log" 2>&1) &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
	eval "PORT_$name=$port PID_$name=$pid"
}
cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/{print $2*1024}' "/proc/$1/status"; }
