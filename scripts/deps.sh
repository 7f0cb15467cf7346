#!/usr/bin/env bash
# Installs what kvkit's tests need when it is missing: the Go modules, and Debian's
# Redis 7.0 programs (redis-server, redis-cli, redis-check-rdb, redis-check-aof,
# redis-benchmark, redis-sentinel) for the compatibility tests. Without root it
# installs nothing from apt and says what is missing; the tests that need Redis
# then fail with the same message.
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download
need=()
for p in redis-server redis-cli redis-check-rdb redis-check-aof redis-benchmark redis-sentinel; do
	command -v "$p" >/dev/null 2>&1 || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing ${need[*]}: install with 'apt-get install redis-server redis-tools redis-sentinel'" >&2
	exit 0
fi
echo "deps: installing Debian's redis-server redis-tools redis-sentinel (missing: ${need[*]})" >&2
# Keep the packages' services from starting: the tests start their own servers on free ports.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server redis-tools redis-sentinel >/dev/null
[ -n "$made_policy" ] && rm -f "$policy"
exit 0
