package compat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/sds"
)

// doLine sends one command written as a diff script line to both servers
// and compares the replies.
func (s *session) doLine(line string) []byte {
	s.t.Helper()
	parts, err := sds.SplitArgs([]byte(line))
	if err != nil {
		s.t.Fatalf("%q: %v", line, err)
	}
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return s.do(compareExact, args...)
}

// watchCase is a WATCH scenario: the other client prepares the dataset,
// the watcher watches keys, the other client runs touch, then the
// watcher's MULTI/PING/EXEC either runs (valid) or gets a null array.
type watchCase struct {
	name  string
	setup []string
	watch string
	touch []string
	valid bool
}

// watchCases are the writes that do and do not invalidate a WATCH in
// Redis 7.0: any change signals the key (signalModifiedKey), a command
// that changes nothing does not, even when it is a write command.
var watchCases = []watchCase{
	{"read", []string{"SET k v"}, "k", []string{"GET k", "EXISTS k", "TTL k", "STRLEN k"}, true},
	{"set-missing", nil, "k", []string{"SET k v"}, false},
	{"set-same-value", []string{"SET k v"}, "k", []string{"SET k v"}, false},
	{"set-nx-existing", []string{"SET k v"}, "k", []string{"SET k x NX", "SETNX k y"}, true},
	{"set-xx-missing", nil, "k", []string{"SET k x XX"}, true},
	{"setnx-missing", nil, "k", []string{"SETNX k y"}, false},
	{"msetnx-failing", []string{"SET other 1"}, "k", []string{"MSETNX k 1 other 2"}, true},
	{"msetnx", nil, "k", []string{"MSETNX k 1 other 2"}, false},
	{"mset", nil, "k", []string{"MSET a 1 k 2"}, false},
	{"append-empty", []string{"SET k v"}, "k", []string{"APPEND k \"\""}, false},
	{"setrange-empty", []string{"SET k v"}, "k", []string{"SETRANGE k 0 \"\""}, true},
	{"setrange-empty-missing", nil, "k", []string{"SETRANGE k 3 \"\""}, true},
	{"incrby-zero", []string{"SET k 5"}, "k", []string{"INCRBY k 0"}, false},
	{"incr-wrongtype", []string{"SADD k a"}, "k", []string{"INCR k"}, true},
	{"getdel-missing", nil, "k", []string{"GETDEL k"}, true},
	{"getdel", []string{"SET k v"}, "k", []string{"GETDEL k"}, false},
	{"getex-persist-no-ttl", []string{"SET k v"}, "k", []string{"GETEX k PERSIST", "GETEX k"}, true},
	{"getex-persist", []string{"SET k v EX 100"}, "k", []string{"GETEX k PERSIST"}, false},
	{"getex-ex", []string{"SET k v"}, "k", []string{"GETEX k EX 100"}, false},
	{"getset", []string{"SET k v"}, "k", []string{"GETSET k v"}, false},
	{"del-missing", []string{"SET other 1"}, "k", []string{"DEL k", "UNLINK k"}, true},
	{"del-other", []string{"SET other 1", "SET k 1"}, "k", []string{"DEL other"}, true},
	{"del", []string{"SET k 1"}, "k", []string{"DEL other k"}, false},
	{"unlink", []string{"SET k 1"}, "k", []string{"UNLINK k"}, false},
	{"expire", []string{"SET k 1"}, "k", []string{"EXPIRE k 100"}, false},
	{"expire-missing", nil, "k", []string{"EXPIRE k 100"}, true},
	{"expire-nx-refused", []string{"SET k 1 EX 100"}, "k", []string{"EXPIRE k 50 NX", "EXPIRE k 500 LT"}, true},
	{"expire-past", []string{"SET k 1"}, "k", []string{"PEXPIREAT k 1"}, false},
	{"persist-no-ttl", []string{"SET k 1"}, "k", []string{"PERSIST k"}, true},
	{"persist", []string{"SET k 1 EX 100"}, "k", []string{"PERSIST k"}, false},
	{"touch", []string{"SET k 1"}, "k", []string{"TOUCH k", "TYPE k", "OBJECT ENCODING k"}, true},
	{"sadd-existing", []string{"SADD k a b"}, "k", []string{"SADD k a", "SADD k b a"}, true},
	{"sadd", []string{"SADD k a b"}, "k", []string{"SADD k c"}, false},
	{"srem-missing", []string{"SADD k a b"}, "k", []string{"SREM k x", "SREM nokey x"}, true},
	{"srem", []string{"SADD k a b"}, "k", []string{"SREM k a"}, false},
	{"spop-missing", nil, "k", []string{"SPOP k", "SPOP k 3"}, true},
	{"spop", []string{"SADD k a"}, "k", []string{"SPOP k"}, false},
	{"smove-dst", []string{"SADD src a"}, "k", []string{"SMOVE src k a"}, false},
	{"smove-dst-has-member", []string{"SADD src a", "SADD k a"}, "k", []string{"SMOVE src k a"}, true},
	{"smove-src", []string{"SADD k a"}, "k", []string{"SMOVE k dst a"}, false},
	{"smove-no-member", []string{"SADD k a", "SADD src b"}, "k", []string{"SMOVE src k a", "SMOVE k src x"}, true},
	{"sinterstore", []string{"SADD a 1 2", "SADD b 2 3"}, "k", []string{"SINTERSTORE k a b"}, false},
	{"sinterstore-empty-missing", []string{"SADD a 1", "SADD b 2"}, "k", []string{"SINTERSTORE k a b", "SDIFFSTORE k a a"}, true},
	{"sunionstore-source", []string{"SADD k 1", "SADD b 2"}, "k", []string{"SUNIONSTORE dst k b", "SINTER k b", "SMEMBERS k"}, true},
	{"sinterstore-empty", []string{"SADD k 1", "SADD b 2"}, "k", []string{"SINTERSTORE k k b"}, false},
	{"hset-same", []string{"HSET k f v"}, "k", []string{"HSET k f v"}, false},
	{"hsetnx-existing", []string{"HSET k f v"}, "k", []string{"HSETNX k f x"}, true},
	{"hsetnx", []string{"HSET k f v"}, "k", []string{"HSETNX k g x"}, false},
	{"hdel-missing", []string{"HSET k f v"}, "k", []string{"HDEL k x y"}, true},
	{"hdel", []string{"HSET k f v"}, "k", []string{"HDEL k f"}, false},
	{"hincrby-zero", []string{"HSET k f 1"}, "k", []string{"HINCRBY k f 0"}, false},
	{"hincrby-error", []string{"HSET k f x"}, "k", []string{"HINCRBY k f 1", "HINCRBYFLOAT k f 1"}, true},
	{"hread", []string{"HSET k f 1"}, "k", []string{"HGET k f", "HGETALL k", "HLEN k", "HSCAN k 0"}, true},
	{"rename-dst", []string{"SET src 1"}, "k", []string{"RENAME src k"}, false},
	{"rename-src", []string{"SET k 1"}, "k", []string{"RENAME k dst"}, false},
	{"rename-same", []string{"SET k 1"}, "k", []string{"RENAME k k", "RENAMENX k k"}, true},
	{"renamenx-refused", []string{"SET src 1", "SET k 2"}, "k", []string{"RENAMENX src k"}, true},
	{"move", []string{"SET k 1"}, "k", []string{"MOVE k 1"}, false},
	{"move-refused", []string{"SET k 1", "SELECT 1", "SET k 2", "SELECT 0"}, "k", []string{"MOVE k 1"}, true},
	{"move-in", []string{"SELECT 1", "SET k 1", "SELECT 0"}, "k", []string{"SELECT 1", "MOVE k 0", "SELECT 0"}, false},
	{"other-db", nil, "k", []string{"SELECT 1", "SET k 1", "DEL k", "SELECT 0"}, true},
	{"copy", []string{"SET src 1"}, "k", []string{"COPY src k"}, false},
	{"copy-refused", []string{"SET src 1", "SET k 2"}, "k", []string{"COPY src k", "COPY k src"}, true},
	{"copy-replace", []string{"SET src 1", "SET k 2"}, "k", []string{"COPY src k REPLACE"}, false},
	{"copy-db", []string{"SELECT 1", "SET src 1", "SELECT 0"}, "k", []string{"SELECT 1", "COPY src k DB 0", "SELECT 0"}, false},
	{"flushdb", []string{"SET k 1"}, "k", []string{"FLUSHDB"}, false},
	{"flushdb-missing", []string{"SET other 1"}, "k", []string{"FLUSHDB"}, true},
	{"flushdb-other-db", []string{"SET k 1"}, "k", []string{"SELECT 1", "FLUSHDB", "SELECT 0"}, true},
	{"flushall", []string{"SET k 1"}, "k", []string{"FLUSHALL"}, false},
	{"flushall-missing", []string{"SELECT 1", "SET k 1", "SELECT 0"}, "k", []string{"FLUSHALL"}, true},
	{"swapdb-in", []string{"SELECT 1", "SET k 1", "SELECT 0"}, "k", []string{"SWAPDB 0 1"}, false},
	{"swapdb-out", []string{"SET k 1"}, "k", []string{"SWAPDB 1 0"}, false},
	{"swapdb-missing", []string{"SELECT 1", "SET other 1", "SELECT 0"}, "k", []string{"SWAPDB 0 1"}, true},
	{"swapdb-same", []string{"SET k 1"}, "k", []string{"SWAPDB 0 0"}, true},
	{"setbit-same", []string{"SETBIT k 3 1"}, "k", []string{"SETBIT k 3 1"}, true},
	{"setbit", []string{"SETBIT k 3 1"}, "k", []string{"SETBIT k 3 0"}, false},
	{"getbit", []string{"SETBIT k 3 1"}, "k", []string{"GETBIT k 3", "BITCOUNT k", "BITFIELD_RO k GET u8 0"}, true},
	{"bitop", []string{"SET a x"}, "k", []string{"BITOP NOT k a"}, false},
	{"bitop-empty", nil, "k", []string{"BITOP AND k a b"}, true},
	{"pfadd-existing", []string{"PFADD k a", "PFCOUNT k"}, "k", []string{"PFADD k a"}, true},
	{"pfcount-cache", []string{"PFADD k a"}, "k", []string{"PFCOUNT k"}, false},
	{"pfcount-cached", []string{"PFADD k a", "PFCOUNT k"}, "k", []string{"PFCOUNT k"}, true},
	{"debug-populate", nil, "key:1", []string{"DEBUG POPULATE 2"}, false},
	{"debug-populate-existing", []string{"SET key:1 x"}, "key:1", []string{"DEBUG POPULATE 2"}, true},
	{"rpush", []string{"RPUSH k a"}, "k", []string{"RPUSH k b"}, false},
	{"lpushx-missing", nil, "k", []string{"LPUSHX k a", "RPUSHX k a"}, true},
	{"lrem-missing", []string{"RPUSH k a"}, "k", []string{"LREM k 0 x", "LPOS k a", "LRANGE k 0 -1"}, true},
	{"lrem", []string{"RPUSH k a b"}, "k", []string{"LREM k 0 a"}, false},
	{"lset-same", []string{"RPUSH k a"}, "k", []string{"LSET k 0 a"}, false},
	{"ltrim-nothing", []string{"RPUSH k a b"}, "k", []string{"LTRIM k 0 -1"}, false},
	{"linsert-no-pivot", []string{"RPUSH k a"}, "k", []string{"LINSERT k BEFORE x y"}, true},
	{"lmove-dst", []string{"RPUSH src a"}, "k", []string{"LMOVE src k LEFT RIGHT"}, false},
	{"lmove-empty", nil, "k", []string{"LMOVE src k LEFT RIGHT", "LMPOP 1 k LEFT", "BLPOP k 0.01"}, true},
	{"zadd-same", []string{"ZADD k 1 a"}, "k", []string{"ZADD k 1 a", "ZADD k NX 5 a", "ZADD k XX 1 b"}, true},
	{"zadd", []string{"ZADD k 1 a"}, "k", []string{"ZADD k 2 a"}, false},
	{"zincrby-zero", []string{"ZADD k 1 a"}, "k", []string{"ZINCRBY k 0 a"}, true},
	{"zrem-missing", []string{"ZADD k 1 a"}, "k", []string{"ZREM k x", "ZREMRANGEBYSCORE k 5 6", "ZPOPMIN nokey"}, true},
	{"zpopmin", []string{"ZADD k 1 a"}, "k", []string{"ZPOPMIN k"}, false},
	{"zunionstore", []string{"ZADD a 1 x"}, "k", []string{"ZUNIONSTORE k 1 a"}, false},
	{"zunionstore-empty-missing", nil, "k", []string{"ZUNIONSTORE k 1 a", "ZRANGESTORE k a 0 -1"}, true},
	{"xadd", nil, "k", []string{"XADD k 1-1 f v"}, false},
	{"xadd-nomkstream", nil, "k", []string{"XADD k NOMKSTREAM 1-1 f v"}, true},
	{"xdel-missing", []string{"XADD k 1-1 f v"}, "k", []string{"XDEL k 5-5", "XTRIM k MAXLEN 10", "XRANGE k - +", "XLEN k"}, true},
	{"xtrim", []string{"XADD k 1-1 f v", "XADD k 2-1 f v"}, "k", []string{"XTRIM k MAXLEN 1"}, false},
	{"xgroup-create", []string{"XADD k 1-1 f v"}, "k", []string{"XGROUP CREATE k g $"}, true},
	{"xgroup-createconsumer", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0"}, "k", []string{"XGROUP CREATECONSUMER k g c"}, true},
	{"xreadgroup", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0"}, "k", []string{"XREADGROUP GROUP g c STREAMS k >"}, true},
	{"xreadgroup-nothing", []string{"XADD k 1-1 f v", "XGROUP CREATE k g $", "XGROUP CREATECONSUMER k g c"}, "k", []string{"XREADGROUP GROUP g c STREAMS k >"}, true},
	{"xack", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0", "XREADGROUP GROUP g c STREAMS k >"}, "k", []string{"XACK k g 1-1"}, true},
	{"xack-nothing", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0"}, "k", []string{"XACK k g 1-1", "XPENDING k g", "XINFO GROUPS k"}, true},
	{"xgroup-mkstream", nil, "k", []string{"XGROUP CREATE k g $ MKSTREAM"}, false},
	{"xgroup-delconsumer", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0", "XREADGROUP GROUP g c STREAMS k >"}, "k", []string{"XGROUP DELCONSUMER k g c"}, true},
	{"xautoclaim", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0", "XREADGROUP GROUP g c STREAMS k >"}, "k", []string{"XAUTOCLAIM k g d 0 0"}, true},
	{"xsetid", []string{"XADD k 1-1 f v"}, "k", []string{"XSETID k 5-5"}, true},
	{"xgroup-setid", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0"}, "k", []string{"XGROUP SETID k g $"}, true},
	{"xgroup-destroy", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0"}, "k", []string{"XGROUP DESTROY k g"}, true},
	{"xclaim", []string{"XADD k 1-1 f v", "XGROUP CREATE k g 0", "XREADGROUP GROUP g c STREAMS k >"}, "k", []string{"XCLAIM k g d 0 1-1"}, true},
	{"sort-store", []string{"RPUSH l 3 1 2"}, "k", []string{"SORT l STORE k"}, false},
	{"sort-store-empty-missing", nil, "k", []string{"SORT l STORE k"}, true},
	{"sort-read", []string{"RPUSH k 3 1 2"}, "k", []string{"SORT k", "SORT_RO k"}, true},
	{"eval-set", nil, "k", []string{`EVAL "return redis.call('set', KEYS[1], 'v')" 1 k`}, false},
	{"eval-read", []string{"SET k 1"}, "k", []string{`EVAL "return redis.call('get', KEYS[1])" 1 k`, `EVAL "return redis.call('setnx', KEYS[1], 2)" 1 k`}, true},
	{"fcall", []string{`FUNCTION LOAD REPLACE "#!lua name=lib\nredis.register_function('f', function(k) return redis.call('incr', k[1]) end)"`}, "k", []string{"FCALL f 1 k"}, false},
	{"exec-of-other", nil, "k", []string{"MULTI", "SET k 1", "EXEC"}, false},
	{"discard-of-other", nil, "k", []string{"MULTI", "SET k 1", "DISCARD"}, true},
	{"second-key", nil, "a b k", []string{"SET k 1"}, false},
}

// TestMultiWatchTwoClients runs each watchCase on both servers, RESP2 and
// RESP3, every reply compared.
func TestMultiWatchTwoClients(t *testing.T) {
	p := startPair(t)
	for _, proto := range []int{2, 3} {
		watcher, other := p.session(t, proto), p.session(t, 2)
		for _, tc := range watchCases {
			t.Run(fmt.Sprintf("%s/RESP%d", tc.name, proto), func(t *testing.T) {
				watcher.t, other.t = t, t
				other.doLine("FLUSHALL")
				for _, l := range tc.setup {
					other.doLine(l)
				}
				watcher.doLine("WATCH " + tc.watch)
				for _, l := range tc.touch {
					other.doLine(l)
				}
				watcher.doLine("MULTI")
				watcher.doLine("PING")
				got := string(watcher.doLine("EXEC"))
				if ran := !strings.HasPrefix(got, "*-1") && !strings.HasPrefix(got, "_"); ran != tc.valid {
					t.Errorf("EXEC = %q, want it to run: %v", got, tc.valid)
				}
				other.do(compareExact, "DEBUG", "DIGEST")
			})
		}
	}
}

// TestMultiWatchExpiry covers the expiry rules of Redis 7.0's WATCH: a key
// that expires after WATCH fails EXEC whether or not it was deleted yet
// (lazily by a read, or by the active expire cycle); a key already
// expired when watched does not, until it is written again.
func TestMultiWatchExpiry(t *testing.T) {
	p := startPair(t)
	w, o := p.session(t, 2), p.session(t, 3)
	exec := func(want string) {
		t.Helper()
		w.doLine("MULTI")
		w.doLine("PING")
		if got := string(w.doLine("EXEC")); got != want {
			t.Errorf("EXEC = %q, want %q", got, want)
		}
	}
	const ran, failed = "*1\r\n+PONG\r\n", "*-1\r\n"
	o.doLine("DEBUG SET-ACTIVE-EXPIRE 0")
	// Expires after WATCH, still in the keyspace at EXEC.
	o.doLine("SET k v PX 300")
	w.doLine("WATCH k")
	time.Sleep(400 * time.Millisecond)
	exec(failed)
	// Expires after WATCH, deleted by another client's read.
	o.doLine("SET k v PX 300")
	w.doLine("WATCH k")
	time.Sleep(400 * time.Millisecond)
	o.doLine("GET k")
	exec(failed)
	// Already expired when watched: EXEC runs, also once a read deleted
	// it; a write afterwards fails it.
	o.doLine("SET k v PX 100")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	exec(ran)
	o.doLine("SET k v PX 100")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	o.doLine("GET k")
	exec(ran)
	o.doLine("SET k v PX 100")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	o.doLine("SET k v2")
	exec(failed)
	// SWAPDB bringing in an expired key, and taking one out.
	o.doLine("FLUSHALL")
	o.doLine("SELECT 1")
	o.doLine("SET k v PX 100")
	o.doLine("SELECT 0")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	o.doLine("SWAPDB 0 1")
	exec(ran)
	o.doLine("FLUSHALL")
	o.doLine("SET k v PX 100")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	o.doLine("SWAPDB 0 1")
	exec(ran)
	o.doLine("FLUSHALL")
	o.doLine("SET k v PX 100")
	time.Sleep(200 * time.Millisecond)
	w.doLine("WATCH k")
	o.doLine("FLUSHDB")
	exec(ran)
	// Deleted by the active expire cycle.
	o.doLine("DEBUG SET-ACTIVE-EXPIRE 1")
	o.doLine("SET k v PX 200")
	w.doLine("WATCH k")
	for _, c := range []*resptest.Conn{o.kv, o.redis} {
		if !waitFor(3*time.Second, func() bool { return mustDo(t, c, "DBSIZE") == ":0\r\n" }) {
			t.Fatal("the active expire cycle did not delete k")
		}
	}
	exec(failed)
	o.doLine("DEBUG DIGEST")
}

// TestMultiEviction checks that a key evicted under maxmemory touches its
// watchers.
func TestMultiEviction(t *testing.T) {
	p := startPair(t)
	w, o := p.session(t, 2), p.session(t, 2)
	o.doLine("SET k v")
	w.doLine("WATCH k")
	o.doLine("CONFIG SET maxmemory-policy allkeys-random")
	o.doLine("CONFIG SET maxmemory 1")
	o.doLine("CONFIG SET maxmemory 0")
	o.doLine("DBSIZE")
	w.doLine("MULTI")
	w.doLine("PING")
	if got := string(w.doLine("EXEC")); got != "*-1\r\n" {
		t.Errorf("EXEC after eviction = %q", got)
	}
}

// TestMultiOOM checks the maxmemory rules of processCommand inside a
// transaction: queueing is refused (and dooms the transaction), DISCARD
// and EXEC are not, and EXEC is refused with the OOM reason when a queued
// command is denyoom.
func TestMultiOOM(t *testing.T) {
	p := startPair(t)
	for _, proto := range []int{2, 3} {
		w, o := p.session(t, proto), p.session(t, 2)
		o.doLine("SET big xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
		for _, script := range [][]string{
			{"MULTI", "SET x 1", "GET x", "+maxmemory", "EXEC", "EXEC"},
			{"MULTI", "GET x", "DEL x", "+maxmemory", "EXEC"},
			{"+maxmemory", "MULTI", "GET x", "EXEC"},
			{"+maxmemory", "MULTI", "MULTI", "WATCH x", "DISCARD"},
			{"+maxmemory", "MULTI", "EXEC", "WATCH x", "UNWATCH"},
			{"+maxmemory", "MULTI", "RESET"},
		} {
			for _, l := range script {
				if l == "+maxmemory" {
					o.doLine("CONFIG SET maxmemory 1")
					continue
				}
				w.doLine(l)
			}
			o.doLine("CONFIG SET maxmemory 0")
		}
		o.do(compareMap, "INFO", "errorstats")
		o.doLine("CONFIG RESETSTAT")
	}
}

// TestMultiStats compares the per-command statistics a transaction leaves
// (calls, rejected_calls, failed_calls; usec left out), the error counts
// and total_commands_processed.
func TestMultiStats(t *testing.T) {
	p := startPair(t)
	s := p.session(t, 2)
	s.doLine("CONFIG RESETSTAT")
	for _, l := range []string{
		"MULTI", "SET a 1", "GET a", "INCR nosuch", "EXEC",
		"MULTI", "SET a x", "INCR a", "EXEC",
		"MULTI", "INCR a", "SET a 1", "EXEC",
		"MULTI", "GET", "NOSUCH", "SET a 2", "EXEC", "EXEC",
		"MULTI", "MULTI", "EXEC x", "DISCARD", "DISCARD x",
		"WATCH a", "UNWATCH", "MULTI", "WATCH a", "DISCARD",
	} {
		s.doLine(l)
	}
	stats := regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+,`)
	a, err := s.kv.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.redis.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	lines := func(raw []byte) []string {
		var out []string
		for _, l := range strings.Split(stats.ReplaceAllString(string(raw), ""), "\r\n") {
			if strings.HasPrefix(l, "cmdstat_") && !strings.HasPrefix(l, "cmdstat_config") && !strings.HasPrefix(l, "cmdstat_info") {
				out = append(out, l)
			}
		}
		sortStrings(out)
		return out
	}
	if x, y := strings.Join(lines(a), "\n"), strings.Join(lines(b), "\n"); x != y {
		t.Errorf("commandstats:\nkv-server:\n%s\nredis-server:\n%s", x, y)
	}
	s.do(compareMap, "INFO", "errorstats")
	if x, y := infoField(t, s.kv, "stats", "total_commands_processed"), infoField(t, s.redis, "stats", "total_commands_processed"); x != y {
		t.Errorf("total_commands_processed: kv-server %s, redis-server %s", x, y)
	}
}

func sortStrings(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// TestMultiMonitor compares what MONITOR shows of transactions: MULTI, the
// queued commands only when EXEC runs them, then EXEC; an aborted EXEC
// alone; a refused EXEC too.
func TestMultiMonitor(t *testing.T) {
	p := startPair(t)
	line := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)\r\n$`)
	script := []string{
		"WATCH a b", "MULTI", "SET a 1", "GET", "EXEC",
		"MULTI", "SET a 1", "SELECT 2", "GET a", "EXEC",
		"MULTI", "SET a 1", "DISCARD", "UNWATCH", "EXEC x",
		"MULTI", "MULTI", "EXEC", "PING",
	}
	var seen [2][]string
	for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		mon := dial(t, addr)
		if r := mustDo(t, mon, "MONITOR"); r != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", r)
		}
		c := dial(t, addr)
		for _, l := range script {
			mustDo(t, c, strings.Fields(l)...)
		}
		for {
			raw, err := mon.ReadTimeout(2 * time.Second)
			if err != nil {
				t.Fatalf("reading MONITOR: %v (after %q)", err, seen[i])
			}
			m := line.FindStringSubmatch(string(raw))
			if m == nil {
				t.Fatalf("MONITOR line %q", raw)
			}
			seen[i] = append(seen[i], m[1]+" "+m[2])
			if m[2] == `"PING"` {
				break
			}
		}
	}
	if x, y := strings.Join(seen[0], "\n"), strings.Join(seen[1], "\n"); x != y {
		t.Errorf("MONITOR:\nkv-server:\n%s\nredis-server:\n%s", x, y)
	}
}

// TestMultiClientList compares the transaction fields of CLIENT LIST:
// flags x (in MULTI) and d (a watched key touched), multi (queued count,
// nothing queued once the transaction is doomed) and multi-mem.
func TestMultiClientList(t *testing.T) {
	p := startPair(t)
	w, o := p.session(t, 2), p.session(t, 2)
	fields := regexp.MustCompile(` (flags|multi|multi-mem|cmd)=(\S*)`)
	check := func(when string) {
		t.Helper()
		var got [2]string
		for i, c := range []*resptest.Conn{w.kv, w.redis} {
			id := strings.TrimSpace(mustDo(t, c, "CLIENT", "ID")[1:])
			oc := []*resptest.Conn{o.kv, o.redis}[i]
			got[i] = strings.Join(fieldsOf(fields, mustDo(t, oc, "CLIENT", "LIST", "ID", id)), " ")
		}
		if got[0] != got[1] {
			t.Errorf("%s: kv-server %q, redis-server %q", when, got[0], got[1])
		}
	}
	check("idle")
	w.doLine("WATCH a b c")
	check("watching")
	o.doLine("SET a 1")
	w.doLine("WATCH d")
	check("touched")
	w.doLine("MULTI")
	w.doLine("SET x 1")
	check("doomed")
	w.doLine("EXEC")
	w.doLine("MULTI")
	w.doLine("SET x 1")
	w.doLine("GET xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	check("queued")
	w.doLine("GET")
	check("aborted")
	w.doLine("DISCARD")
	check("discarded")
}

// fieldsOf returns the name=value matches of re in s (CLIENT ID and LIST
// replies are read on other connections, so they are not in them).
func fieldsOf(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return out
}

// TestMultiPause checks CLIENT PAUSE WRITE inside transactions: queueing a
// write command waits for the pause (processCommand checks it before
// queueing), so does an EXEC with a queued write; an EXEC of reads does
// not.
func TestMultiPause(t *testing.T) {
	p := startPair(t)
	for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		w, o := dial(t, addr), dial(t, addr)
		mustDo(t, w, "MULTI")
		mustDo(t, w, "GET", "x")
		mustDo(t, o, "CLIENT", "PAUSE", "300", "WRITE")
		start := time.Now()
		if r := mustDo(t, w, "SET", "x", "1"); r != "+QUEUED\r\n" || time.Since(start) < 200*time.Millisecond {
			t.Errorf("%s: SET queued during a pause: %q after %v", addr, r, time.Since(start))
		}
		mustDo(t, o, "CLIENT", "PAUSE", "300", "WRITE")
		start = time.Now()
		if r := mustDo(t, w, "EXEC"); r != "*2\r\n$-1\r\n+OK\r\n" || time.Since(start) < 200*time.Millisecond {
			t.Errorf("%s: EXEC of a write during a pause: %q after %v", addr, r, time.Since(start))
		}
		mustDo(t, w, "MULTI")
		mustDo(t, w, "GET", "x")
		mustDo(t, o, "CLIENT", "PAUSE", "2000", "WRITE")
		start = time.Now()
		if r := mustDo(t, w, "EXEC"); r != "*1\r\n$1\r\n1\r\n" || time.Since(start) > time.Second {
			t.Errorf("%s: EXEC of reads during a pause: %q after %v", addr, r, time.Since(start))
		}
		mustDo(t, o, "CLIENT", "UNPAUSE")
	}
}

// multiGen produces random transactions over the string, key, set, hash,
// list and sorted set commands of the other generators, keeping those whose replies are
// deterministic (an EXEC reply is compared whole).
type multiGen struct {
	r    *rand.Rand
	str  gen
	hash hashGen
	list listGen
	zset zgen
}

func (g multiGen) key() string {
	switch g.r.IntN(5) {
	case 3:
		return g.zset.key()
	case 0:
		return g.str.key()
	case 1:
		return g.hash.key()
	case 2:
		return g.list.key()
	}
	return "s" + strconv.Itoa(g.r.IntN(4))
}

func (g multiGen) setCommand() []string {
	k, m := g.key(), strconv.Itoa(g.r.IntN(6))
	switch g.r.IntN(8) {
	case 0, 1:
		return []string{"SADD", k, m, strconv.Itoa(g.r.IntN(6))}
	case 2:
		return []string{"SREM", k, m}
	case 3:
		return []string{"SMOVE", k, g.key(), m}
	case 4:
		return []string{g.str.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), g.key(), k, g.key()}
	case 5:
		return []string{"SMISMEMBER", k, m, "1"}
	case 6:
		return []string{"SCARD", k}
	}
	return []string{"SINTERCARD", "2", k, g.key()}
}

// command returns one command with a deterministic reply. OBJECT
// REFCOUNT is left out: inside EXEC, Redis's queued argv still holds a
// reference to the value a SET stored until the transaction ends, which
// kv-server does not mimic.
func (g multiGen) command() []string {
	for {
		switch g.r.IntN(5) {
		case 3:
			if cmd := g.zset.command(); cmd.check == zExact {
				return cmd.args
			}
		case 0:
			if mode, args := g.str.command(); mode == compareExact && !(args[0] == "OBJECT" && args[1] == "REFCOUNT") {
				return args
			}
		case 1:
			if check, args := g.hash.command(); check == hashExact {
				return args
			}
		case 2:
			// Every list command replies deterministically; the blocking
			// ones (0.01 s timeouts) do not block inside EXEC.
			args, _ := g.list.command()
			return args
		default:
			return g.setCommand()
		}
	}
}

// TestDiffRandomMulti runs seeded random sequences of transactions by one
// client, with WATCH, UNWATCH, DISCARD and queueing errors, while a second
// client writes and runs transactions of its own, against both servers;
// every reply is compared, then DEBUG DIGEST.
func TestDiffRandomMulti(t *testing.T) {
	p := startPair(t)
	const seeds, steps = 16, 300
	// How each EXEC of the watching client ended, over all seeds: the
	// sequences must reach every outcome.
	outcomes := map[string]int{}
	defer func() {
		t.Logf("EXEC outcomes: %v", outcomes)
		for _, o := range []string{"ran", "watch", "abort"} {
			if outcomes[o] == 0 && !t.Failed() {
				t.Errorf("no EXEC ended with outcome %q: %v", o, outcomes)
			}
		}
	}()
	for seed := uint64(1); seed <= seeds; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d/RESP%d", seed, proto), func(t *testing.T) {
			a, b := p.session(t, proto), p.session(t, 5-proto)
			r := rand.New(rand.NewPCG(seed, 0x6d75))
			g := multiGen{r: r, str: gen{r}, hash: hashGen{r}, list: listGen{gen{r}}, zset: zgen{r}}
			a.do(compareExact, "FLUSHALL")
			a.do(compareExact, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
			defer a.do(compareExact, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
			var watched []string
			for i := 0; i < steps && !t.Failed(); i++ {
				switch r.IntN(12) {
				case 0, 1, 2:
					args := []string{"WATCH"}
					for n := 1 + r.IntN(3); n > 0; n-- {
						args = append(args, g.key())
					}
					watched = append(watched, args[1:]...)
					a.do(compareExact, args...)
				case 3, 4:
					b.do(compareExact, g.command()...)
				case 5, 8:
					if len(watched) > 0 {
						// A write that may or may not change a watched key.
						k, v := watched[r.IntN(len(watched))], g.str.pick("1", "x", "100")
						args := [][]string{
							{"SET", k, v}, {"SETNX", k, v}, {"APPEND", k, v}, {"SADD", k, v}, {"SREM", k, v},
							{"HSETNX", k, "f", v}, {"HSET", k, v, v}, {"DEL", k}, {"PERSIST", k}, {"EXPIRE", k, v},
							{"PFADD", k, v}, {"RPUSH", k, v}, {"LPUSHX", k, v}, {"LREM", k, "0", v}, {"RENAME", g.key(), k},
						}[r.IntN(15)]
						b.do(compareExact, args...)
					}
				case 6:
					b.do(compareExact, "MULTI")
					for n := r.IntN(4); n > 0; n-- {
						b.do(compareExact, g.command()...)
					}
					b.do(compareExact, "EXEC")
				case 7:
					a.do(compareExact, "UNWATCH")
					watched = watched[:0]
				default:
					watched = watched[:0] // EXEC and DISCARD unwatch
					a.do(compareExact, "MULTI")
					for n := r.IntN(6); n > 0; n-- {
						switch r.IntN(50) {
						case 0:
							a.do(compareExact, "NOSUCH", g.key())
						case 1:
							a.do(compareExact, "GET")
						case 2:
							a.do(compareExact, "WATCH", g.key())
						default:
							a.do(compareExact, g.command()...)
						}
					}
					if r.IntN(6) == 0 {
						a.do(compareExact, "DISCARD")
						break
					}
					switch reply := string(a.do(compareExact, "EXEC")); {
					case reply == "*-1\r\n" || reply == "_\r\n":
						outcomes["watch"]++
					case strings.HasPrefix(reply, "-EXECABORT"):
						outcomes["abort"]++
					default:
						outcomes["ran"]++
					}
				}
			}
			a.do(compareExact, "DEBUG", "DIGEST")
		})
	}
}

// TestMultiAuth checks transactions of a client not yet authenticated:
// MULTI is refused, and EXEC with the NOAUTH reason after EXECABORT; AUTH
// is queued like any command once MULTI ran.
func TestMultiAuth(t *testing.T) {
	p := startPair(t, "--requirepass", "secret")
	s := p.session(t, 2)
	for _, l := range []string{
		"MULTI", "EXEC", "EXEC x", "DISCARD", "WATCH k",
		"AUTH secret", "MULTI", "AUTH wrong", "AUTH secret", "PING", "EXEC",
		"MULTI", "NOSUCH", "AUTH secret", "EXEC",
		"MULTI", "RESET", "EXEC", "MULTI", "AUTH secret", "EXEC",
	} {
		s.doLine(l)
	}
	s.do(compareMap, "INFO", "errorstats")
}

// TestMultiClientReply compares the raw output of transactions that turn
// CLIENT REPLY off, on or skip: Redis drops each reply as it is added, so
// EXEC's array header can go out without its elements, and SKIP inside a
// transaction skips the command after EXEC.
func TestMultiClientReply(t *testing.T) {
	p := startPair(t)
	for i, cmds := range [][][]string{
		{{"MULTI"}, {"CLIENT", "REPLY", "OFF"}, {"SET", "a", "1"}, {"EXEC"}, {"CLIENT", "REPLY", "ON"}, {"PING"}},
		{{"CLIENT", "REPLY", "OFF"}, {"MULTI"}, {"SET", "a", "1"}, {"CLIENT", "REPLY", "ON"}, {"GET", "a"}, {"EXEC"}, {"PING"}},
		{{"MULTI"}, {"CLIENT", "REPLY", "SKIP"}, {"GET", "a"}, {"EXEC"}, {"PING", "skipped"}, {"PING"}},
		{{"CLIENT", "REPLY", "SKIP"}, {"MULTI"}, {"MULTI"}, {"GET", "a"}, {"CLIENT", "REPLY", "SKIP"}, {"EXEC"}, {"PING", "skipped"}, {"PING"}},
		{{"CLIENT", "REPLY", "OFF"}, {"EXEC"}, {"MULTI"}, {"GET"}, {"EXEC"}, {"CLIENT", "REPLY", "ON"}, {"PING"}},
	} {
		var out [2]string
		for j, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
			c := dial(t, addr)
			var req []byte
			for _, args := range cmds {
				req = append(req, resptest.Encode(args...)...)
			}
			if err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			// The last PING's reply ends the output.
			for !strings.HasSuffix(out[j], "+PONG\r\n") {
				raw, err := c.ReadTimeout(2 * time.Second)
				if err != nil {
					t.Fatalf("case %d: reading after %q: %v", i, out[j], err)
				}
				out[j] += string(raw)
			}
		}
		if out[0] != out[1] {
			t.Errorf("case %d: kv-server %q, redis-server %q", i, out[0], out[1])
		}
	}
}

// TestMultiGoRedis runs go-redis's transaction API against both servers,
// RESP2 and RESP3: TxPipelined results and errors (a runtime error, a
// queueing error), Watch failing with TxFailedErr after another client's
// write, and the optimistic-locking counter of go-redis's documentation
// under concurrent clients.
func TestMultiGoRedis(t *testing.T) {
	p := startPair(t)
	ctx := context.Background()
	const clients, incrs = 3, 10
	for _, proto := range []int{2, 3} {
		var logs [2][]string
		for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
			rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DB: 4})
			defer rdb.Close()
			var l goredisLog
			l.add(rdb.FlushDB(ctx))
			cmds, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, "a", "1", 0)
				pipe.Incr(ctx, "a")
				pipe.SAdd(ctx, "s", "x", "y")
				pipe.HSet(ctx, "a", "f", "v")
				pipe.Get(ctx, "a")
				return nil
			})
			for _, c := range cmds {
				l.add(c)
			}
			l.lines = append(l.lines, fmt.Sprint("TxPipelined error: ", err))
			_, err = rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, "b", "1", 0)
				pipe.Do(ctx, "NOSUCH")
				return nil
			})
			l.lines = append(l.lines, fmt.Sprint("queueing error: ", err))
			l.add(rdb.Exists(ctx, "b"))
			other := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DB: 4})
			defer other.Close()
			err = rdb.Watch(ctx, func(tx *redis.Tx) error {
				n, err := tx.Get(ctx, "a").Int()
				if err != nil {
					return err
				}
				other.Set(ctx, "a", "100", 0)
				_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Set(ctx, "a", n+1, 0)
					return nil
				})
				return err
			}, "a")
			l.lines = append(l.lines, fmt.Sprint("Watch: ", err, " TxFailedErr: ", errors.Is(err, redis.TxFailedErr)))
			l.add(rdb.Get(ctx, "a"))
			// go-redis's optimistic-locking example from several clients.
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- counterIncrs(ctx, addr, proto, incrs)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("optimistic counter: %v", err)
				}
			}
			l.add(rdb.Get(ctx, "counter"))
			logs[i] = l.lines
		}
		compareLogs(t, fmt.Sprintf("go-redis RESP%d", proto), logs[0], logs[1])
		if n := len(logs[0]); n == 0 || logs[0][n-1] != fmt.Sprintf("get counter: %d", clients*incrs) {
			t.Errorf("optimistic counter: %v", logs[0][len(logs[0])-1:])
		}
	}
}

// counterIncrs is go-redis's optimistic-locking example: incrs increments
// of "counter", each retried while another client touched the key between
// WATCH and EXEC (bounded: an increment that never commits fails).
func counterIncrs(ctx context.Context, addr string, proto, incrs int) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DB: 4})
	defer c.Close()
	incr := func(tx *redis.Tx) error {
		n, err := tx.Get(ctx, "counter").Int()
		if err != nil && err != redis.Nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, "counter", n+1, 0)
			return nil
		})
		return err
	}
	for range incrs {
		for try := 0; ; try++ {
			err := c.Watch(ctx, incr, "counter")
			if err == nil {
				break
			}
			if !errors.Is(err, redis.TxFailedErr) || try > 1000 {
				return fmt.Errorf("increment after %d tries: %w", try, err)
			}
		}
	}
	return nil
}

// TestMultiBlockedClients checks transactions and blocked clients: the
// keys a transaction makes ready are served after EXEC, not between its
// commands (a key pushed and popped again wakes nobody), and a blocked
// client served by a push touches the watchers of the key it pushes to
// (BLMOVE's destination).
func TestMultiBlockedClients(t *testing.T) {
	p := startPair(t)
	for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		w, b, o := dial(t, addr), dial(t, addr), dial(t, addr)
		if err := b.Write(resptest.Encode("BLPOP", "l", "0")); err != nil {
			t.Fatal(err)
		}
		waitBlocked := func() {
			if !waitFor(2*time.Second, func() bool { return infoField(t, o, "clients", "blocked_clients") == "1" }) {
				t.Fatalf("%s: the client did not block", addr)
			}
		}
		waitBlocked()
		for _, args := range [][]string{{"MULTI"}, {"RPUSH", "l", "a"}, {"LPOP", "l"}, {"EXEC"}} {
			mustDo(t, w, args...)
		}
		if r, err := b.ReadTimeout(300 * time.Millisecond); err == nil {
			t.Errorf("%s: BLPOP served by a key emptied in the same transaction: %q", addr, r)
		}
		mustDo(t, w, "MULTI")
		mustDo(t, w, "RPUSH", "l", "a", "b")
		mustDo(t, w, "LPOP", "l")
		if r := mustDo(t, w, "EXEC"); r != "*2\r\n:2\r\n$1\r\na\r\n" {
			t.Errorf("%s: EXEC = %q", addr, r)
		}
		if r, err := b.ReadTimeout(2 * time.Second); err != nil || string(r) != "*2\r\n$1\r\nl\r\n$1\r\nb\r\n" {
			t.Errorf("%s: BLPOP after EXEC = %q, %v", addr, r, err)
		}
		// BLMOVE served into a watched destination.
		if err := b.Write(resptest.Encode("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")); err != nil {
			t.Fatal(err)
		}
		waitBlocked()
		mustDo(t, w, "WATCH", "dst")
		mustDo(t, o, "RPUSH", "src", "x")
		if r, err := b.ReadTimeout(2 * time.Second); err != nil || string(r) != "$1\r\nx\r\n" {
			t.Errorf("%s: BLMOVE = %q, %v", addr, r, err)
		}
		mustDo(t, w, "MULTI")
		if r := mustDo(t, w, "EXEC"); r != "*-1\r\n" {
			t.Errorf("%s: EXEC after BLMOVE pushed to the watched key = %q", addr, r)
		}
		mustDo(t, o, "FLUSHALL")
	}
}
