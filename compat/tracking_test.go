package compat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/sds"
)

// trStep is one step of a tracking scenario: connection conn sends cmd
// (commands split at " ; ", arguments as redis-cli splits them; "$idN"
// stands for connection N's client ID), then every connection's
// frames are read up to a PING sync. "INFO tracking" stands for the
// tracking fields of INFO. A cmd of "sleep <ms>" waits; "close"
// closes the connection and waits until the server has freed it.
type trStep struct {
	conn int
	cmd  string
}

// trScenario is connections (each with its protocol) and steps; the
// transcript is every frame each connection received, in order, with
// client IDs replaced by $idN so both servers' are comparable.
type trScenario struct {
	protos []int
	steps  []trStep
}

func (sc *trScenario) run(t *testing.T, addr, name string) [][]string {
	t.Helper()
	ctl := dial(t, addr)
	mustDo(t, ctl, "FLUSHALL")
	conns := make([]*resptest.Conn, len(sc.protos))
	ids := make([]string, len(sc.protos))
	out := make([][]string, len(sc.protos))
	closed := make([]bool, len(sc.protos))
	for i, proto := range sc.protos {
		conns[i] = dial(t, addr)
		if proto == 3 {
			mustDo(t, conns[i], "HELLO", "3")
		}
		ids[i] = strconv.FormatInt(intReply(t, conns[i], "CLIENT", "ID"), 10)
	}
	// The flush of the previous scenario's keys is no part of this one.
	for i := range conns {
		readUntilSync(t, conns[i], name)
	}
	normalize := func(f string, getredir bool) string {
		if strings.Contains(f, "id="+ids[0]) || strings.Contains(f, " laddr=") {
			// CLIENT LIST: the tracking fields only.
			var keep []string
			for _, fld := range strings.Fields(f) {
				if strings.HasPrefix(fld, "flags=") || strings.HasPrefix(fld, "redir=") {
					keep = append(keep, fld)
				}
			}
			f = strings.Join(keep, " ")
		}
		if strings.Contains(f, "$5\r\nproto\r\n") {
			// HELLO: its id only (the proto is no client ID).
			for i, id := range ids {
				f = strings.ReplaceAll(f, "$2\r\nid\r\n:"+id+"\r\n", "$2\r\nid\r\n:$id"+strconv.Itoa(i)+"\r\n")
			}
			return f
		}
		for i, id := range ids {
			f = strings.ReplaceAll(f, "\n:"+id+"\r\n", "\n:$id"+strconv.Itoa(i)+"\r\n")
			f = strings.ReplaceAll(f, "redir="+id, "redir=$id"+strconv.Itoa(i))
			if getredir && f == ":"+id+"\r\n" {
				f = ":$id" + strconv.Itoa(i) + "\r\n"
			}
		}
		return f
	}
	for n, st := range sc.steps {
		args := strings.Fields(st.cmd)
		switch args[0] {
		case "sleep":
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		case "close":
			conns[st.conn].Close()
			closed[st.conn] = true
			id := ids[st.conn]
			if !waitFor(5*time.Second, func() bool {
				return !strings.Contains(mustDo(t, ctl, "CLIENT", "LIST"), "id="+id+" ")
			}) {
				t.Fatalf("%s: client %s not freed", name, id)
			}
			continue
		}
		// Each command's first frame is read before the next is sent and
		// before the sync, so that no two commands share a read (and an
		// event-loop turn, where Redis sends BCAST invalidations).
		var first []string
		for _, cmd := range strings.Split(st.cmd, " ; ") {
			parts, err := sds.SplitArgs([]byte(cmd))
			if err != nil {
				t.Fatalf("step %q: %v", cmd, err)
			}
			args := make([]string, len(parts))
			for j, p := range parts {
				args[j] = string(p)
			}
			for j, a := range args {
				if rest, ok := strings.CutPrefix(a, "$id"); ok {
					k, _ := strconv.Atoi(rest)
					args[j] = ids[k]
				}
			}
			f, err := conns[st.conn].Do(args...)
			if err != nil {
				t.Fatalf("%s step %d: %v", name, n, err)
			}
			if cmd == "INFO tracking" {
				// Redis has no such section: the tracking fields of
				// INFO clients and stats stand for it.
				f = nil
				for _, sec := range []string{"clients", "stats"} {
					for _, l := range strings.Split(mustDo(t, conns[st.conn], "INFO", sec), "\r\n") {
						if strings.HasPrefix(l, "tracking_") {
							f = append(f, l+"\n"...)
						}
					}
				}
			}
			first = append(first, normalize(string(f), strings.EqualFold(cmd, "CLIENT GETREDIR")))
		}
		out[st.conn] = append(out[st.conn], first...)
		for i, c := range conns {
			if closed[i] {
				continue
			}
			for _, f := range readUntilSync(t, c, fmt.Sprintf("%s step %d conn %d", name, n, i)) {
				out[i] = append(out[i], normalize(f, false))
			}
			out[i] = append(out[i], "|")
		}
	}
	return out
}

func (sc *trScenario) compare(t *testing.T, p *pair) {
	t.Helper()
	kv := sc.run(t, p.kv.Addr(), "kv-server")
	rd := sc.run(t, p.redis.Addr(), "redis-server")
	for i := range sc.protos {
		if a, b := strings.Join(kv[i], ""), strings.Join(rd[i], ""); a != b {
			t.Errorf("connection %d (RESP%d):\n%s\nkv-server:    %q\nredis-server: %q", i, sc.protos[i], showDiff([]byte(a), []byte(b)), a, b)
		}
	}
}

// steps parses "N: command" lines.
func trSteps(lines ...string) []trStep {
	out := make([]trStep, len(lines))
	for i, l := range lines {
		n, cmd, _ := strings.Cut(l, ":")
		out[i].conn, _ = strconv.Atoi(n)
		out[i].cmd = strings.TrimSpace(cmd)
	}
	return out
}

// TestTrackingFrames compares the exact frames tracking clients receive
// (replies, RESP3 invalidation pushes, RESP2 messages of
// __redis__:invalidate through a redirection, tracking-redir-broken) with
// redis-server's, in every mode.
func TestTrackingFrames(t *testing.T) {
	p := startPair(t)
	cases := map[string]trScenario{
		"default-resp3": {protos: []int{3, 2}, steps: trSteps(
			"0: CLIENT TRACKING on", "0: GET a", "0: MGET b c", "0: HGET h f", "0: GET a",
			"1: SET a 1", "1: SET a 2", "0: GET a", "1: MSET a 3 b 4 c 5 d 6", "1: DEL c",
			"0: SET x 1", "0: GET x", "0: INFO tracking", "0: SET x 2", "0: SET x 3",
			"0: GET y", "0: INCR y", "0: GET y", "0: MULTI ; SET y 1 ; GET y ; SET y 2 ; EXEC",
			"0: GET z", "1: LPUSH z a", "0: LRANGE z 0 -1", "1: RPOP z",
			"0: GET w", "1: SET w v", "0: CLIENT LIST ID $id0",
			"0: EXISTS e1", "0: STRLEN e2", "1: SET e1 1", "1: SET e2 1",
			"0: GET f", "1: FLUSHDB", "0: GET f", "0: FLUSHALL", "0: CLIENT TRACKINGINFO",
			"0: GET g", "0: CLIENT TRACKING off", "1: SET g 1", "0: GET g", "0: INFO tracking",
		)},
		"noloop": {protos: []int{3, 3}, steps: trSteps(
			"0: CLIENT TRACKING on NOLOOP", "0: GET a", "0: SET a 1", "0: GET a", "1: SET a 2",
			"0: GET b", "0: FLUSHALL", "0: GET b", "1: SET b 1", "0: CLIENT TRACKINGINFO",
		)},
		"optin-optout": {protos: []int{3, 2}, steps: trSteps(
			"0: CLIENT TRACKING on OPTIN", "0: GET a", "1: SET a 1", "0: CLIENT CACHING yes", "0: GET a",
			"1: SET a 2", "0: CLIENT CACHING yes", "0: CLIENT TRACKINGINFO", "0: GET b", "0: GET c", "1: MSET b 1 c 1",
			"0: CLIENT CACHING yes", "0: MULTI ; GET d ; GET e ; EXEC", "1: MSET d 1 e 1",
			"0: CLIENT TRACKING off", "0: CLIENT TRACKING on OPTOUT", "0: GET f", "1: SET f 1",
			"0: CLIENT CACHING no", "0: GET g", "1: SET g 1", "0: GET g", "1: SET g 2",
		)},
		"redirect-resp2": {protos: []int{2, 2, 2}, steps: trSteps(
			"1: SUBSCRIBE __redis__:invalidate", "0: CLIENT TRACKING on REDIRECT $id1", "0: GET a", "0: GET b",
			"2: SET a 1", "0: SET b 1", "0: GET c", "2: FLUSHALL", "0: CLIENT GETREDIR", "0: CLIENT TRACKINGINFO",
			"0: CLIENT LIST ID $id0",
			"0: GET d", "1: UNSUBSCRIBE", "2: SET d 1", "1: SUBSCRIBE other", "0: GET d", "2: SET d 2",
			"0: GET e", "1: close", "2: SET e 1", "0: CLIENT TRACKINGINFO", "0: CLIENT LIST ID $id0",
		)},
		"redirect-resp3": {protos: []int{3, 3, 2}, steps: trSteps(
			"0: CLIENT TRACKING on REDIRECT $id1", "0: GET a", "2: SET a 1", "0: GET a", "0: SET a 2",
			"0: GET b", "1: SET b 1", "0: GET c", "1: close", "2: SET c 1", "0: GET c", "2: SET c 2",
			"0: CLIENT TRACKINGINFO", "2: FLUSHDB", "0: CLIENT TRACKING on", "0: GET c", "2: SET c 3",
		)},
		"redirect-self-and-resp2-mixed": {protos: []int{3, 2, 2}, steps: trSteps(
			"1: CLIENT TRACKING on REDIRECT $id0", "1: GET a", "2: SET a 1", "1: GET a", "1: SET a 2",
			"2: SUBSCRIBE x", "0: CLIENT TRACKING on REDIRECT $id2", "0: GET b", "1: SET b 1", "1: FLUSHALL",
		)},
		"bcast": {protos: []int{3, 3, 2, 2}, steps: trSteps(
			"0: CLIENT TRACKING on BCAST", "1: CLIENT TRACKING on BCAST PREFIX user: PREFIX obj: NOLOOP",
			"3: SUBSCRIBE __redis__:invalidate", "2: CLIENT TRACKING on BCAST PREFIX user REDIRECT $id3",
			"2: SET user:1 a", "2: MSET user:2 b obj:1 c other d", "1: SET user:3 e", "1: MSET user:4 f obj:2 g",
			"0: SET other 1", "2: DEL user:1 user:2 nosuch", "2: INFO tracking", "1: GET user:1", "2: SET user:1 x",
			"1: CLIENT TRACKING on BCAST PREFIX z", "1: CLIENT TRACKINGINFO", "1: INFO tracking", "2: SET za 1", "2: FLUSHALL",
			"1: CLIENT TRACKING off", "2: SET user:9 1", "2: INFO tracking",
		)},
		"expiry": {protos: []int{3, 2, 3}, steps: trSteps(
			"1: DEBUG SET-ACTIVE-EXPIRE 0", "2: CLIENT TRACKING on BCAST NOLOOP", "0: CLIENT TRACKING on", "1: SET a 1 PX 50", "0: GET a", "0: sleep 120",
			"1: DEBUG SLEEP 0", "0: GET a", "0: EXISTS a",
			"1: DEBUG SET-ACTIVE-EXPIRE 1", "1: SET b 1 PX 30", "0: GET b", "0: sleep 400", "1: PING", "1: DEBUG SET-ACTIVE-EXPIRE 0",
			"1: SET c 1 PX 50", "0: GET c", "0: sleep 120", "2: GET c", "2: GET c", "1: DEBUG SET-ACTIVE-EXPIRE 1",
		)},
		// Which writes signal their keys (those that change the
		// dataset), keys being global across databases, CLIENT CACHING
		// surviving CLIENT subcommands, HELLO 2 ending pushes.
		"commands": {protos: []int{3, 2}, steps: trSteps(
			"0: CLIENT TRACKING on", "1: MSET a 1 b 2 c 3 n 5 h1 x",
			"0: MGET a b c d n", "1: SETNX a 9", "1: DEL nosuch d", "1: RENAME a d", "0: MGET a d",
			"1: EXPIRE b 100", "1: PERSIST b", "0: GET b", "1: PERSIST b", "1: PEXPIRE b 0", "0: GET c",
			"1: SET c 3", "0: GET c", "1: APPEND c x", "0: GET n", "1: INCRBY n 0", "0: GET n", "1: GETDEL n",
			"0: HGET h f", "1: HSET h f 1", "0: HGET h f", "1: HSET h f 1", "0: HGET h f", "1: HDEL h nosuch", "1: HDEL h f",
			"0: SELECT 1 ; GET h1", "1: SET h1 y", "0: GET h1", "1: SELECT 1 ; SET h1 z ; SELECT 0", "0: SELECT 0",
			"0: GET s1", "1: SADD s1 a", "0: SMEMBERS s1", "1: SADD s1 a", "0: SCARD s1", "1: SPOP s1",
			"0: GET z1", "1: ZADD z1 1 a", "0: ZSCORE z1 a", "1: ZINCRBY z1 0 a", "0: ZRANGE z1 0 -1", "1: ZREM z1 b",
			"0: GET q", "1: COPY h1 q", "0: GET q", "1: SORT s1 STORE q", "0: OBJECT ENCODING q", "1: DEL q",
			"0: TYPE t", "0: TTL u", "1: MSET t 1 u 2", "0: TOUCH v", "1: SET v 1",
			"0: CLIENT TRACKING on OPTIN", "0: CLIENT CACHING yes", "0: CLIENT GETREDIR", "0: GET o", "1: SET o 1",
			"0: GET p", "0: HELLO 2", "1: SET p 1", "0: HELLO 3", "0: GET p", "1: SET p 2",
			"0: CLIENT TRACKING off", "0: CLIENT TRACKING on", "0: MGET m1 m2 m3", "1: SET m1 1",
			"1: SWAPDB 0 1", "1: MOVE m1 1", "1: SET m2 1", "1: UNLINK m2", "1: SET m3 1 ; SELECT 1 ; MOVE m1 0 ; SELECT 0",
			"0: MGET m1 m3", "1: DEBUG RELOAD", "0: GET m1", "1: FLUSHALL ASYNC",
		)},
		// A script's reads are remembered for its caller (not EVAL_RO's
		// own keys); its writes are the caller's for NOLOOP.
		"scripts": {protos: []int{3, 3, 2}, steps: trSteps(
			"0: CLIENT TRACKING on NOLOOP", "1: CLIENT TRACKING on BCAST NOLOOP",
			`0: EVAL "return redis.call('get', KEYS[1])" 1 s`, "2: SET s 1",
			`0: EVAL_RO "return redis.call('get', 'r')" 1 q`, "2: MSET q 1 r 1",
			`0: EVAL "return redis.call('get', KEYS[1])" 1 s`, `0: EVAL "return redis.call('set', KEYS[1], 'x')" 1 s`,
			`1: EVAL "return redis.call('set', KEYS[1], 'x')" 1 s`, `2: EVAL "return redis.call('set', KEYS[1], 'y')" 1 s`,
			`1: EVAL "redis.call('set', 'a', 1); redis.call('set', 'b', 1)" 0`,
		)},
		// Evicted keys are invalidated by no client: the BCAST NOLOOP
		// client hears of them too; an eviction before the tracking
		// client's own command is sent before its reply.
		"eviction": {protos: []int{3, 2, 3}, steps: trSteps(
			"0: CLIENT TRACKING on NOLOOP", "2: CLIENT TRACKING on BCAST NOLOOP", "1: SET k v", "0: GET k",
			"1: CONFIG SET maxmemory-policy allkeys-random", "1: CONFIG SET maxmemory 1", "1: CONFIG SET maxmemory 0",
			"2: SET k v", "0: GET k", "1: CONFIG SET maxmemory-policy noeviction", "1: CONFIG SET maxmemory 1",
			"1: CONFIG SET maxmemory-policy allkeys-random", "0: GET k", "1: CONFIG SET maxmemory 0",
			"1: CONFIG SET maxmemory-policy noeviction",
		)},
	}
	for name, sc := range cases {
		t.Run(name, func(t *testing.T) { sc.compare(t, p) })
	}
}

// TestTrackingTableMaxKeys checks tracking-table-max-keys on both
// servers: over the limit, the keys the table drops (chosen at random, as
// Redis's random walk) are invalidated as if modified.
func TestTrackingTableMaxKeys(t *testing.T) {
	p := startPair(t)
	for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		c := dial(t, addr)
		mustDo(t, c, "HELLO", "3")
		mustDo(t, c, "CONFIG", "SET", "tracking-table-max-keys", "2")
		mustDo(t, c, "CLIENT", "TRACKING", "on")
		mustDo(t, c, "MGET", "a", "b", "c", "d")
		// The sync's PING finds 4 keys in the table and brings them down
		// to 2 first, with two invalidations.
		frames := readUntilSync(t, c, addr)
		var inv []string
		for _, f := range frames {
			if strings.HasPrefix(f, ">2\r\n$10\r\ninvalidate\r\n") {
				inv = append(inv, f)
			}
		}
		if len(inv) != 2 {
			t.Errorf("%s: invalidations %q, want 2", addr, frames)
		}
		if got := infoField(t, c, "stats", "tracking_total_keys"); got != "2" {
			t.Errorf("%s: tracking_total_keys %s, want 2", addr, got)
		}
		mustDo(t, c, "CONFIG", "SET", "tracking-table-max-keys", "1000000")
	}
}
