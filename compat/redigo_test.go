package compat

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"
)

// redigoLog records what redigo returned for each step of a scenario, in a
// form that can be compared between servers.
type redigoLog struct {
	lines []string
}

// add records a step: its name, the value redigo gave (rendered by
// redigoRender) and the error, if any.
func (l *redigoLog) add(step string, v interface{}, err error) {
	line := step + ": " + redigoRender(v)
	if err != nil {
		line += " error " + redigoErr(err)
	}
	l.lines = append(l.lines, line)
}

// addText records a step whose result the test rendered itself (a
// struct or map redigo filled in).
func (l *redigoLog) addText(step, text string, err error) {
	line := step + ": " + text
	if err != nil {
		line += " error " + redigoErr(err)
	}
	l.lines = append(l.lines, line)
}

// redigoErr renders an error by kind: redigo's ErrNil, a server error reply
// (redis.Error) with its text, or any other error by its type, since
// network errors name the port, which differs between servers.
func redigoErr(err error) string {
	var re redis.Error
	switch {
	case errors.Is(err, redis.ErrNil):
		return "ErrNil"
	case errors.As(err, &re):
		return fmt.Sprintf("redis.Error(%q)", string(re))
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// redigoRender renders a reply as redigo parsed it, or a value converted
// by one of its helpers, with the Go type of each part so that a status
// reply and a bulk string, for example, do not look alike.
func redigoRender(v interface{}) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case []byte:
		return fmt.Sprintf("bulk %q", v)
	case string:
		return fmt.Sprintf("status/string %q", v)
	case redis.Error:
		return fmt.Sprintf("redis.Error(%q)", string(v))
	case []interface{}:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = redigoRender(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case redis.Message:
		return fmt.Sprintf("Message{channel %q pattern %q data %q}", v.Channel, v.Pattern, v.Data)
	case redis.Subscription:
		return fmt.Sprintf("Subscription{%s %q %d}", v.Kind, v.Channel, v.Count)
	case redis.Pong:
		return fmt.Sprintf("Pong{%q}", v.Data)
	case error:
		return "error " + redigoErr(v)
	case []*[2]float64:
		parts := make([]string, len(v))
		for i, p := range v {
			if p == nil {
				parts[i] = "nil"
			} else {
				parts[i] = fmt.Sprintf("(%.6f %.6f)", p[0], p[1])
			}
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// redigoHash is the struct HGETALL and HMGET replies are scanned into.
type redigoHash struct {
	Name  string  `redis:"name"`
	Age   int     `redis:"age"`
	Score float64 `redis:"score"`
	Admin bool    `redis:"admin"`
	Raw   []byte  `redis:"raw"`
}

// redigoDial connects redigo to addr with bounded timeouts, so that a
// missing reply fails the test rather than hanging it.
func redigoDial(t *testing.T, addr string) redis.Conn {
	t.Helper()
	c, err := redis.Dial("tcp", addr, redis.DialConnectTimeout(2*time.Second),
		redis.DialReadTimeout(3*time.Second), redis.DialWriteTimeout(2*time.Second))
	if err != nil {
		t.Fatalf("redigo dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// redigoScenario is the same work done through redigo on one server, as
// redigo's documentation shows its use.
func redigoScenario(t *testing.T, addr string) []string {
	var l redigoLog
	c := redigoDial(t, addr)
	other := redigoDial(t, addr)
	v, err := c.Do("FLUSHALL")
	l.add("FLUSHALL", v, err)

	// Pub/Sub: a PubSubConn receives subscription confirmations, messages
	// (plain and pattern), pongs, and unsubscriptions.
	sub := redis.PubSubConn{Conn: redigoDial(t, addr)}
	l.add("Subscribe", nil, sub.Subscribe("news", "sport"))
	l.add("PSubscribe", nil, sub.PSubscribe("n*"))
	for i := 0; i < 3; i++ {
		l.add("Receive", sub.ReceiveWithTimeout(2*time.Second), nil)
	}
	v, err = redis.Int(other.Do("PUBLISH", "news", "hello"))
	l.add("PUBLISH news", v, err)
	v, err = redis.Int(other.Do("PUBLISH", "sport", []byte("a\x00b")))
	l.add("PUBLISH sport", v, err)
	for i := 0; i < 3; i++ {
		l.add("Receive", sub.ReceiveWithTimeout(2*time.Second), nil)
	}
	// A command other than (un)subscribe and PING is refused in the
	// subscribed state: PubSubConn.Receive returns the error reply.
	l.add("Send GET while subscribed", nil, sub.Conn.Send("GET", "k"))
	l.add("Flush", nil, sub.Conn.Flush())
	l.add("Receive", sub.ReceiveWithTimeout(2*time.Second), nil)
	l.add("Ping", nil, sub.Ping("are you there"))
	l.add("Receive", sub.ReceiveWithTimeout(2*time.Second), nil)
	l.add("Ping empty", nil, sub.Ping(""))
	l.add("Receive", sub.ReceiveWithTimeout(2*time.Second), nil)
	l.add("Unsubscribe", nil, sub.Unsubscribe())
	l.add("PUnsubscribe", nil, sub.PUnsubscribe())
	// Unsubscribing from all channels gives one reply per channel in the
	// order of the server's dict: the channels are compared as a set, the
	// remaining-subscription counts in the order received.
	var unsubs []string
	var counts []int
	for i := 0; i < 3; i++ {
		r := sub.ReceiveWithTimeout(2 * time.Second)
		if s, ok := r.(redis.Subscription); ok {
			unsubs = append(unsubs, s.Kind+" "+s.Channel)
			counts = append(counts, s.Count)
		} else {
			unsubs = append(unsubs, redigoRender(r))
		}
	}
	sort.Strings(unsubs)
	l.addText("unsubscriptions", fmt.Sprintf("%q counts %v", unsubs, counts), nil)
	v, err = sub.Conn.Do("PING")
	l.add("PING after unsubscribing", v, err)

	// Transactions: Send queues MULTI and commands, Do("EXEC") flushes and
	// returns the queued commands' replies.
	l.add("Send MULTI", nil, c.Send("MULTI"))
	l.add("Send INCR", nil, c.Send("INCR", "counter"))
	l.add("Send SET", nil, c.Send("SET", "s", "v"))
	l.add("Send LPUSH wrong type", nil, c.Send("LPUSH", "s", "x"))
	l.add("Send GET", nil, c.Send("GET", "s"))
	v, err = c.Do("EXEC")
	l.add("EXEC", v, err)
	// A queueing error aborts the transaction.
	c.Send("MULTI")
	c.Send("INCR", "counter")
	c.Send("NOSUCHCOMMAND")
	v, err = c.Do("EXEC")
	l.add("EXEC after a bad command", v, err)
	// WATCH with a conflicting write from another connection: EXEC replies
	// nil, which redis.Values reports as ErrNil.
	v, err = c.Do("WATCH", "counter")
	l.add("WATCH", v, err)
	v, err = other.Do("INCR", "counter")
	l.add("conflicting INCR", v, err)
	c.Send("MULTI")
	c.Send("INCR", "counter")
	v, err = redis.Values(c.Do("EXEC"))
	l.add("EXEC after a conflicting write", v, err)
	// Without a conflict the same transaction runs.
	v, err = c.Do("WATCH", "counter")
	l.add("WATCH", v, err)
	c.Send("MULTI")
	c.Send("INCR", "counter")
	v, err = redis.Ints(c.Do("EXEC"))
	l.add("EXEC without a conflict", v, err)
	c.Send("MULTI")
	c.Send("SET", "d", "1")
	v, err = c.Do("DISCARD")
	l.add("DISCARD", v, err)
	v, err = c.Do("EXISTS", "d")
	l.add("EXISTS discarded", v, err)

	// Scripts: Do tries EVALSHA and falls back to EVAL on NOSCRIPT; Load
	// loads the script so that EVALSHA succeeds on its own.
	script := redis.NewScript(2, `redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[2]); return {KEYS[1], tonumber(ARGV[2]) + 1, redis.call('GET', KEYS[1]), false, {err='not really'}}`)
	v, err = c.Do("SCRIPT", "FLUSH")
	l.add("SCRIPT FLUSH", v, err)
	v, err = c.Do("SCRIPT", "EXISTS", script.Hash())
	l.add("SCRIPT EXISTS before", v, err)
	v, err = script.Do(c, "k1", "k2", "one", "41")
	l.add("Script.Do (EVAL fallback)", v, err)
	v, err = c.Do("SCRIPT", "EXISTS", script.Hash())
	l.add("SCRIPT EXISTS after EVAL", v, err)
	v, err = c.Do("SCRIPT", "FLUSH")
	l.add("SCRIPT FLUSH", v, err)
	l.add("Script.Load", nil, script.Load(c))
	v, err = c.Do("EVALSHA", script.Hash(), 2, "k1", "k2", "two", "1")
	l.add("EVALSHA after Load", v, err)
	v, err = script.Do(c, "k1", "k2", "three", "2")
	l.add("Script.Do (EVALSHA)", v, err)
	l.add("Script.SendHash", nil, script.SendHash(c, "k1", "k2", "four", "3"))
	l.add("Flush", nil, c.Flush())
	v, err = c.Receive()
	l.add("Receive after SendHash", v, err)
	bad := redis.NewScript(0, `return redis.call('INCR', 'nosuchcommand', 'extra')`)
	v, err = bad.Do(c)
	l.add("Script.Do of a script calling with a wrong arity", v, err)
	v, err = redis.NewScript(0, `return redis.pcall('NOSUCHCOMMAND')`).Do(c)
	l.add("Script.Do of a script calling an unknown command", v, err)
	// The compile error's text comes from the Lua implementation (C Lua
	// in Redis): only its kind is compared.
	_, err = redis.NewScript(0, `this is not lua`).Do(c)
	var re redis.Error
	l.add("Script.Do of a script that does not compile", errors.As(err, &re) && strings.HasPrefix(string(re), "ERR Error compiling script"), nil)
	v, err = redis.Int64(redis.NewScript(1, `return redis.call('INCRBY', KEYS[1], ARGV[1])`).Do(c, "counter", 10))
	l.add("Script.Do through redis.Int64", v, err)

	// Scanning replies: redis.Values + redis.Scan, ScanStruct of HGETALL,
	// ScanSlice of several fields.
	v, err = c.Do("HSET", "user:1", "name", "Ada", "age", "36", "score", "9.5", "admin", "1", "raw", "\x00\xff")
	l.add("HSET", v, err)
	values, err := redis.Values(c.Do("HMGET", "user:1", "name", "age", "missing"))
	l.add("HMGET", values, err)
	var name string
	var age int
	var missing []byte
	_, err = redis.Scan(values, &name, &age, &missing)
	l.addText("Scan HMGET", fmt.Sprintf("name=%q age=%d missing=%v", name, age, missing), err)
	var user redigoHash
	values, err = redis.Values(c.Do("HGETALL", "user:1"))
	if err == nil {
		err = redis.ScanStruct(values, &user)
	}
	l.addText("ScanStruct HGETALL", fmt.Sprintf("%+v", user), err)
	var none redigoHash
	values, err = redis.Values(c.Do("HGETALL", "nosuchkey"))
	if err == nil {
		err = redis.ScanStruct(values, &none)
	}
	l.addText("ScanStruct HGETALL of a missing key", fmt.Sprintf("%+v %d", none, len(values)), err)
	m, err := redis.StringMap(c.Do("HGETALL", "user:1"))
	l.addText("StringMap HGETALL", fmt.Sprint(m), err)
	v, err = c.Do("HSET", redis.Args{"user:2"}.AddFlat(&redigoHash{Name: "Bob", Age: 7, Raw: []byte("r")})...)
	l.add("HSET from Args.AddFlat", v, err)
	for i := 0; i < 3; i++ {
		c.Send("RPUSH", "ids", i+1)
	}
	v, err = redis.Values(c.Do("SORT", "ids", "BY", "nosort", "GET", "user:*->name", "GET", "user:*->age"))
	l.add("SORT GET", v, err)
	var rows []struct {
		Name string
		Age  int
	}
	if vs, ok := v.([]interface{}); ok {
		err = redis.ScanSlice(vs, &rows)
	}
	l.addText("ScanSlice", fmt.Sprintf("%+v", rows), err)
	zs, err := redis.Int64Map(c.Do("ZADD", "z", 1, "a"))
	l.add("Int64Map of a non-array", zs, err)
	c.Send("ZADD", "z", 1, "a", 2, "b", 3, "c")
	fm, err := redis.Float64Map(c.Do("ZRANGE", "z", 0, -1, "WITHSCORES"))
	l.addText("Float64Map ZRANGE WITHSCORES", fmt.Sprint(fm), err)
	cursorScan := map[string]bool{}
	cursor := 0
	for i := 0; i < 100; i++ {
		var keys []string
		values, err = redis.Values(c.Do("SCAN", cursor, "MATCH", "user:*", "COUNT", 2))
		if err == nil {
			_, err = redis.Scan(values, &cursor, &keys)
		}
		if err != nil {
			l.add("SCAN", nil, err)
			break
		}
		for _, k := range keys {
			cursorScan[k] = true
		}
		if cursor == 0 {
			break
		}
	}
	l.addText("SCAN loop", fmt.Sprint(cursorScan), nil)

	// Streams through Do and redis.Values, with explicit ids so that both
	// servers give the same ones.
	for i := 1; i <= 3; i++ {
		v, err = redis.String(c.Do("XADD", "events", fmt.Sprintf("1-%d", i), "n", i, "kind", "click"))
		l.add("XADD", v, err)
	}
	v, err = c.Do("XGROUP", "CREATE", "events", "workers", "0")
	l.add("XGROUP CREATE", v, err)
	v, err = c.Do("XGROUP", "CREATE", "events", "workers", "0")
	l.add("XGROUP CREATE again", v, err)
	streams, err := redis.Values(c.Do("XREADGROUP", "GROUP", "workers", "alice", "COUNT", 2, "STREAMS", "events", ">"))
	l.add("XREADGROUP", streams, err)
	var ackIDs []interface{}
	if len(streams) == 1 {
		stream, _ := redis.Values(streams[0], nil)
		if len(stream) == 2 {
			entries, _ := redis.Values(stream[1], nil)
			for _, e := range entries {
				entry, err := redis.Values(e, nil)
				if err != nil || len(entry) != 2 {
					l.add("entry", e, err)
					continue
				}
				id, _ := redis.String(entry[0], nil)
				fields, err := redis.StringMap(entry[1], nil)
				l.addText("entry "+id, fmt.Sprint(fields), err)
				ackIDs = append(ackIDs, id)
			}
		}
	}
	v, err = redis.Int(c.Do("XACK", append([]interface{}{"events", "workers"}, ackIDs...)...))
	l.add("XACK", v, err)
	v, err = c.Do("XPENDING", "events", "workers")
	l.add("XPENDING", v, err)
	v, err = redis.Values(c.Do("XREADGROUP", "GROUP", "workers", "bob", "BLOCK", 100, "STREAMS", "events", ">"))
	l.add("XREADGROUP the rest", v, err)
	v, err = redis.Values(c.Do("XREADGROUP", "GROUP", "workers", "bob", "BLOCK", 100, "STREAMS", "events", ">"))
	l.add("XREADGROUP blocking with nothing new", v, err)
	v, err = redis.Int64(c.Do("XLEN", "events"))
	l.add("XLEN", v, err)

	// Bitmaps, HyperLogLog and geo through the slice helpers.
	for _, bit := range []int{1, 3, 9, 64} {
		c.Send("SETBIT", "bits", bit, 1)
	}
	v, err = redis.Int64s(c.Do("BITFIELD", "bits", "GET", "u8", 0, "INCRBY", "i5", 100, 7, "GET", "u4", 0))
	l.add("Int64s BITFIELD", v, err)
	v, err = redis.Int64(c.Do("BITCOUNT", "bits"))
	l.add("BITCOUNT", v, err)
	v, err = redis.Int64(c.Do("BITPOS", "bits", 0))
	l.add("BITPOS", v, err)
	v, err = redis.Bool(c.Do("GETBIT", "bits", 9))
	l.add("Bool GETBIT", v, err)
	v, err = redis.Bool(c.Do("PFADD", "hll", "a", "b", "c", "a"))
	l.add("Bool PFADD", v, err)
	v, err = redis.Int64(c.Do("PFCOUNT", "hll"))
	l.add("PFCOUNT", v, err)
	v, err = redis.Bytes(c.Do("GET", "hll"))
	l.add("GET of the HLL", v, err)
	v, err = redis.Int(c.Do("GEOADD", "geo", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"))
	l.add("GEOADD", v, err)
	v, err = redis.Positions(c.Do("GEOPOS", "geo", "Palermo", "nowhere", "Catania"))
	l.add("Positions GEOPOS", v, err)
	v, err = redis.Float64(c.Do("GEODIST", "geo", "Palermo", "Catania", "km"))
	l.addText("Float64 GEODIST", fmt.Sprintf("%.4f", v), err)
	v, err = redis.Float64(c.Do("GEODIST", "geo", "Palermo", "nowhere"))
	l.add("Float64 GEODIST of a missing member", v, err)
	v, err = redis.Strings(c.Do("GEOHASH", "geo", "Palermo", "Catania"))
	l.add("Strings GEOHASH", v, err)
	v, err = redis.Strings(c.Do("GEOSEARCH", "geo", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC"))
	l.add("Strings GEOSEARCH", v, err)
	v, err = redis.Values(c.Do("GEOSEARCH", "geo", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC", "WITHCOORD", "WITHDIST"))
	l.add("GEOSEARCH WITHCOORD WITHDIST", v, err)
	v, err = redis.Float64s(c.Do("ZMSCORE", "z", "a", "c"))
	l.add("Float64s ZMSCORE", v, err)

	// Blocking: BLPOP with a timeout and nothing to pop replies nil
	// (ErrNil through redis.Strings); with data it pops at once or when
	// another connection pushes.
	v, err = redis.Strings(c.Do("BLPOP", "queue", 0.1))
	l.add("BLPOP timeout", v, err)
	v, err = other.Do("RPUSH", "queue", "job1")
	l.add("RPUSH", v, err)
	v, err = redis.Strings(c.Do("BLPOP", "queue", 1))
	l.add("BLPOP with data", v, err)
	done := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, err := other.Do("RPUSH", "queue2", "job2")
		done <- err
	}()
	v, err = redis.Strings(c.Do("BLPOP", "queue", "queue2", 2))
	l.add("BLPOP woken by a push", v, err)
	l.add("pushing connection", nil, <-done)
	// DoWithTimeout gives one call its own read deadline, as blocking
	// commands need; the connection stays usable afterwards.
	v, err = redis.Strings(redis.DoWithTimeout(c, 5*time.Second, "BLPOP", "queue", 0.2))
	l.add("BLPOP through DoWithTimeout", v, err)
	v, err = c.Do("PING")
	l.add("PING after DoWithTimeout", v, err)
	// BLPOP inside MULTI does not block: EXEC gives its nil reply.
	c.Send("MULTI")
	c.Send("BLPOP", "queue", 0)
	v, err = c.Do("EXEC")
	l.add("BLPOP inside MULTI", v, err)
	return l.lines
}

// redigoPool uses a redis.Pool whose TestOnBorrow pings idle connections,
// as redigo's documentation recommends, and records what its connections
// see, including a connection the server closed while it was idle.
func redigoPool(t *testing.T, addr string) []string {
	var l redigoLog
	var borrowTests int
	pool := &redis.Pool{
		MaxIdle:     2,
		MaxActive:   3,
		IdleTimeout: time.Minute,
		Dial: func() (redis.Conn, error) {
			return redis.Dial("tcp", addr, redis.DialConnectTimeout(2*time.Second),
				redis.DialReadTimeout(3*time.Second), redis.DialClientName("pooled"), redis.DialDatabase(1))
		},
		TestOnBorrow: func(c redis.Conn, _ time.Time) error {
			borrowTests++
			_, err := c.Do("PING")
			return err
		},
	}
	defer pool.Close()
	for i := 0; i < 3; i++ {
		pc := pool.Get()
		v, err := pc.Do("INCR", "pooled")
		l.add(fmt.Sprintf("pooled INCR %d", i), v, err)
		v, err = redis.String(pc.Do("CLIENT", "GETNAME"))
		l.add("CLIENT GETNAME", v, err)
		l.add("Close", nil, pc.Close())
	}
	// Kill the idle connection from the server's side: TestOnBorrow's PING
	// fails and the pool dials a new one.
	admin := redigoDial(t, addr)
	v, err := admin.Do("CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal")
	l.add("CLIENT KILL", v, err)
	pc := pool.Get()
	v, err = pc.Do("GET", "pooled")
	l.add("GET after the kill", v, err)
	pc.Close()
	st := pool.Stats()
	l.lines = append(l.lines, fmt.Sprintf("borrow tests %d, pool active %d idle %d", borrowTests, st.ActiveCount, st.IdleCount))
	return l.lines
}

// TestRedigo runs gomodule/redigo v1.9 against kv-server and redis-server
// (RESP2, redigo's protocol) and compares what the client parsed: Pub/Sub
// through PubSubConn, MULTI/EXEC and WATCH, Script with its EVALSHA to
// EVAL fallback, Scan/ScanStruct/ScanSlice, streams, the slice helpers on
// bitmap, HyperLogLog and geo replies, BLPOP, and a Pool with
// TestOnBorrow.
func TestRedigo(t *testing.T) {
	p := startPair(t)
	var logs [2][]string
	for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		logs[i] = append(redigoScenario(t, addr), redigoPool(t, addr)...)
	}
	compareLogs(t, "redigo", logs[0], logs[1])
}
