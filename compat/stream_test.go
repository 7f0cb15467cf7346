package compat

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

var bulkIDRe = regexp.MustCompile(`^\$\d+\r\n(\d+)-(\d+)\r\n$`)

// parseBulkID splits a bulk-string stream ID reply.
func parseBulkID(t *testing.T, reply string) (ms, seq uint64) {
	t.Helper()
	m := bulkIDRe.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("not a stream ID reply: %q", reply)
	}
	ms, _ = strconv.ParseUint(m[1], 10, 64)
	seq, _ = strconv.ParseUint(m[2], 10, 64)
	return ms, seq
}

// TestStreamAutoIDs checks the properties of generated IDs on both
// servers, whose clocks make the IDs themselves differ: "*" takes the
// current time with sequence 0, or the last ID's time with the next
// sequence when the clock is not ahead; "<ms>-*" continues the sequence of
// the same millisecond; the last generated ID is what XINFO reports.
func TestStreamAutoIDs(t *testing.T) {
	p := startPair(t)
	for name, srv := range map[string]*testutil.Server{"kv-server": p.kv, "redis-server": p.redis} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, srv.Addr())
			before := uint64(time.Now().UnixMilli())
			var lastMs, lastSeq uint64
			for i := range 200 {
				ms, seq := parseBulkID(t, mustDo(t, c, "XADD", "auto", "*", "f", strconv.Itoa(i)))
				if ms < before-1000 || ms > uint64(time.Now().UnixMilli())+1000 {
					t.Fatalf("XADD * gave %d-%d, far from the clock", ms, seq)
				}
				if i > 0 && (ms < lastMs || (ms == lastMs && seq != lastSeq+1) || (ms > lastMs && seq != 0)) {
					t.Fatalf("XADD * gave %d-%d after %d-%d", ms, seq, lastMs, lastSeq)
				}
				lastMs, lastSeq = ms, seq
			}
			// A last ID in the future: "*" continues its sequence.
			mustDo(t, c, "XADD", "future", "99999999999999-5", "f", "v")
			if ms, seq := parseBulkID(t, mustDo(t, c, "XADD", "future", "*", "f", "v")); ms != 99999999999999 || seq != 6 {
				t.Fatalf("XADD * after a future ID gave %d-%d", ms, seq)
			}
			if ms, seq := parseBulkID(t, mustDo(t, c, "XADD", "future", "99999999999999-*", "f", "v")); ms != 99999999999999 || seq != 7 {
				t.Fatalf("XADD <ms>-* gave %d-%d", ms, seq)
			}
			if ms, seq := parseBulkID(t, mustDo(t, c, "XADD", "future", "100000000000000-*", "f", "v")); ms != 100000000000000 || seq != 0 {
				t.Fatalf("XADD <later ms>-* gave %d-%d", ms, seq)
			}
			info := mustDo(t, c, "XINFO", "STREAM", "auto")
			if want := fmt.Sprintf("%d-%d", lastMs, lastSeq); !strings.Contains(info, "last-generated-id\r\n$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n") {
				t.Fatalf("XINFO STREAM does not report %s as the last generated ID: %q", want, info)
			}
		})
	}
}

// TestStreamGroupsConcurrent runs several consumers of one group at once,
// each reading with XREADGROUP and acknowledging what it got, on each
// server: every entry is delivered to exactly one consumer, and the
// group's final state (entries read, lag, empty PEL, consumer names) is
// the same on both servers.
func TestStreamGroupsConcurrent(t *testing.T) {
	p := startPair(t)
	const entries, consumers = 600, 4
	final := map[string][]string{}
	for name, srv := range map[string]*testutil.Server{"kv-server": p.kv, "redis-server": p.redis} {
		c := dial(t, srv.Addr())
		mustDo(t, c, "XGROUP", "CREATE", "q", "workers", "$", "MKSTREAM")
		// Consumers exist before the race: one that finds nothing left to
		// read would otherwise not be created (Redis 7.0 creates it when
		// it is served).
		for w := range consumers {
			mustDo(t, c, "XGROUP", "CREATECONSUMER", "q", "workers", "w"+strconv.Itoa(w))
		}
		for i := 1; i <= entries; i++ {
			mustDo(t, c, "XADD", "q", fmt.Sprintf("%d-1", i), "job", strconv.Itoa(i))
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		errs := make(chan error, consumers)
		for w := range consumers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cn, err := resptest.Dial(srv.Addr())
				if err != nil {
					errs <- err
					return
				}
				defer cn.Close()
				me := "w" + strconv.Itoa(w)
				for range entries { // bounded: each round takes at least one entry or stops
					r, err := cn.Do("XREADGROUP", "GROUP", "workers", me, "COUNT", "7", "STREAMS", "q", ">")
					if err != nil {
						errs <- err
						return
					}
					ids := regexp.MustCompile(`\r\n(\d+-1)\r\n`).FindAllStringSubmatch(string(r), -1)
					if len(ids) == 0 {
						return
					}
					args := []string{"XACK", "q", "workers"}
					mu.Lock()
					for _, m := range ids {
						if prev, dup := seen[m[1]]; dup {
							mu.Unlock()
							errs <- fmt.Errorf("%s delivered to %s and %s", m[1], prev, me)
							return
						}
						seen[m[1]] = me
						args = append(args, m[1])
					}
					mu.Unlock()
					if r, err := cn.Do(args...); err != nil || string(r) != ":"+strconv.Itoa(len(ids))+"\r\n" {
						errs <- fmt.Errorf("%s: XACK of %d: %q %v", me, len(ids), r, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%s: %v", name, err)
		}
		if len(seen) != entries {
			t.Fatalf("%s: %d of %d entries delivered", name, len(seen), entries)
		}
		final[name] = []string{
			mustDo(t, c, "XINFO", "GROUPS", "q"),
			mustDo(t, c, "XPENDING", "q", "workers"),
			regexp.MustCompile(`idle\r\n:\d+`).ReplaceAllString(mustDo(t, c, "XINFO", "CONSUMERS", "q", "workers"), "idle"),
		}
	}
	for i := range final["kv-server"] {
		if final["kv-server"][i] != final["redis-server"][i] {
			t.Errorf("final state differs:\nkv-server:    %q\nredis-server: %q", final["kv-server"][i], final["redis-server"][i])
		}
	}
}

// TestGoRedisStreams runs go-redis's stream commands against both servers
// in RESP2 and RESP3 and compares go-redis's rendering of what it parsed:
// its documented reply shapes (XAutoClaim's three elements of 7.0,
// XInfoStreamFull, XPendingExt, XReadGroup's map in RESP3) must parse the
// same. Clock-derived fields are compared as zero.
func TestGoRedisStreams(t *testing.T) {
	p := startPair(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			var logs [2][]string
			for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
				rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DB: 3, PoolSize: 2})
				defer rdb.Close()
				var l []string
				add := func(what string, v any, err error) { l = append(l, fmt.Sprintf("%s: %v %v", what, v, err)) }
				rdb.FlushDB(ctx)
				for j := 1; j <= 5; j++ {
					id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "gs", ID: fmt.Sprintf("%d-1", j), Values: []string{"n", strconv.Itoa(j)}}).Result()
					add("XAdd", id, err)
				}
				n, err := rdb.XTrimMaxLenApprox(ctx, "gs", 10, 0).Result()
				add("XTrimMaxLenApprox", n, err)
				msgs, err := rdb.XRangeN(ctx, "gs", "-", "+", 2).Result()
				add("XRangeN", msgs, err)
				msgs, err = rdb.XRevRange(ctx, "gs", "+", "(3-1").Result()
				add("XRevRange", msgs, err)
				add("XGroupCreate", nil, rdb.XGroupCreate(ctx, "gs", "g", "0").Err())
				streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"gs", ">"}, Count: 3}).Result()
				add("XReadGroup", streams, err)
				streams, err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"gs", "2-1"}, Count: 2}).Result()
				add("XRead", streams, err)
				pend, err := rdb.XPending(ctx, "gs", "g").Result()
				add("XPending", pend, err)
				ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "gs", Group: "g", Start: "-", End: "+", Count: 10}).Result()
				for j := range ext {
					ext[j].Idle = 0
				}
				add("XPendingExt", ext, err)
				claimed, err := rdb.XClaimJustID(ctx, &redis.XClaimArgs{Stream: "gs", Group: "g", Consumer: "c2", Messages: []string{"1-1"}}).Result()
				add("XClaimJustID", claimed, err)
				ac, start, err := rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "gs", Group: "g", Consumer: "c3", Start: "0", Count: 1}).Result()
				add("XAutoClaim", fmt.Sprint(ac, start), err)
				acked, err := rdb.XAck(ctx, "gs", "g", "2-1", "3-1").Result()
				add("XAck", acked, err)
				groups, err := rdb.XInfoGroups(ctx, "gs").Result()
				add("XInfoGroups", groups, err)
				cons, err := rdb.XInfoConsumers(ctx, "gs", "g").Result()
				for j := range cons {
					cons[j].Idle = 0
				}
				add("XInfoConsumers", cons, err)
				info, err := rdb.XInfoStream(ctx, "gs").Result()
				add("XInfoStream", info, err)
				full, err := rdb.XInfoStreamFull(ctx, "gs", 0).Result()
				if full != nil {
					for _, g := range full.Groups {
						for j := range g.Pending {
							g.Pending[j].DeliveryTime = time.Time{}
						}
						for j := range g.Consumers {
							g.Consumers[j].SeenTime = time.Time{}
							for k := range g.Consumers[j].Pending {
								g.Consumers[j].Pending[k].DeliveryTime = time.Time{}
							}
						}
					}
				}
				add("XInfoStreamFull", full, err)
				n, err = rdb.XDel(ctx, "gs", "4-1").Result()
				add("XDel", n, err)
				n, err = rdb.XLen(ctx, "gs").Result()
				add("XLen", n, err)
				_, err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"gs", "$"}, Count: 1, Block: -1}).Result()
				add("XRead nothing", nil, err)
				logs[i] = l
			}
			compareLogs(t, fmt.Sprintf("go-redis streams RESP%d", proto), logs[0], logs[1])
		})
	}
}

// blockingStreamScenario runs blocking XREAD/XREADGROUP cases on one
// server and returns what each client received, in order: a blocked
// client is served by the XADD that passes its ID, in the order clients
// blocked; XREADGROUP clients of one group share what arrives; BLOCK
// timeouts reply with the null array; a destroyed group unblocks its
// readers with NOGROUP.
func blockingStreamScenario(t *testing.T, addr string, proto int) []string {
	var log []string
	conns := make([]*resptest.Conn, 4)
	for i := range conns {
		conns[i] = dial(t, addr)
		if proto == 3 {
			mustDo(t, conns[i], "HELLO", "3")
		}
	}
	a, b, c, w := conns[0], conns[1], conns[2], conns[3]
	send := func(cn *resptest.Conn, args ...string) {
		if err := cn.Write(resptest.Encode(args...)); err != nil {
			t.Fatal(err)
		}
	}
	// recv reads a reply that must come; quiet checks that none comes.
	recv := func(name string, cn *resptest.Conn) {
		r, err := cn.ReadTimeout(5 * time.Second)
		if err != nil {
			t.Fatalf("%s: %s: %v (log so far: %q)", addr, name, err, log)
		}
		log = append(log, name+": "+string(r))
	}
	quiet := func(name string, cn *resptest.Conn) {
		if r, err := cn.ReadTimeout(50 * time.Millisecond); err == nil {
			t.Fatalf("%s: unexpected reply %q", name, r)
		}
	}
	// The servers record a blocked client only once its command ran: a
	// round trip on another connection after it is not enough, so wait
	// until INFO counts it.
	waitBlocked := func(n int) {
		for range 500 {
			if strings.Contains(mustDo(t, w, "INFO", "clients"), "blocked_clients:"+strconv.Itoa(n)+"\r\n") {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Fatalf("%d clients never blocked", n)
	}
	mustDo(t, w, "FLUSHALL")
	// XREAD $ on a missing key: served by the XADD that creates it.
	send(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	waitBlocked(1)
	send(b, "XREAD", "BLOCK", "0", "COUNT", "5", "STREAMS", "s", "s", "$", "$")
	waitBlocked(2)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "1-1", "f", "v"))
	recv("a", a)
	recv("b", b)
	// An explicit ID ahead of what is added keeps the client blocked.
	send(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "100-0")
	waitBlocked(1)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "50-0", "f", "v"))
	quiet("a", a)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "150-0", "f", "v"))
	recv("a", a)
	// Timeouts.
	send(a, "XREAD", "BLOCK", "30", "STREAMS", "s", "$")
	recv("a timeout", a)
	mustDo(t, w, "XGROUP", "CREATE", "s", "g", "$")
	send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "30", "STREAMS", "s", ">")
	recv("a group timeout", a)
	// Two consumers of a group: the first blocked gets the new entry,
	// the second waits for the next one.
	// (Each blocks before the next is sent: the order of commands sent
	// at once on different connections is the servers' to choose.)
	send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	waitBlocked(1)
	send(b, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
	waitBlocked(2)
	send(c, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	waitBlocked(3)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "200-0", "f", "v"))
	recv("a", a)
	recv("c", c)
	quiet("b", b)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "201-0", "f", "v"))
	recv("b", b)
	log = append(log, "XPENDING: "+mustDo(t, w, "XPENDING", "s", "g"))
	log = append(log, "XINFO GROUPS: "+mustDo(t, w, "XINFO", "GROUPS", "s"))
	// NOACK from a blocked read, then a destroyed group.
	send(a, "XREADGROUP", "GROUP", "g", "carol", "COUNT", "1", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
	waitBlocked(1)
	log = append(log, "XADD: "+mustDo(t, w, "XADD", "s", "202-0", "f", "v"))
	recv("a noack", a)
	log = append(log, "XPENDING: "+mustDo(t, w, "XPENDING", "s", "g"))
	send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	waitBlocked(1)
	log = append(log, "XGROUP DESTROY: "+mustDo(t, w, "XGROUP", "DESTROY", "s", "g"))
	recv("a destroyed", a)
	log = append(log, "INFO blocked: "+regexp.MustCompile(`blocked_clients:\d+`).FindString(mustDo(t, w, "INFO", "clients")))
	return log
}

// TestStreamBlocking compares blocking XREAD and XREADGROUP between the
// servers, RESP2 and RESP3.
func TestStreamBlocking(t *testing.T) {
	p := startPair(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			kv := blockingStreamScenario(t, p.kv.Addr(), proto)
			rd := blockingStreamScenario(t, p.redis.Addr(), proto)
			compareLogs(t, "blocking streams", kv, rd)
		})
	}
}
