package compat

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
)

// TestKeyspaceNotifications compares the keyspace and keyevent messages of
// every string and generic key command with redis-server's, for several
// notify-keyspace-events settings (a subscriber to all keyspace and
// keyevent channels of every database, RESP2 and RESP3).
func TestKeyspaceNotifications(t *testing.T) {
	p := startPair(t)
	commands := cmds(
		"SET s v", "SET s v2 EX 100", "SET s v3 NX", "SET s v4 XX PX 100000", "SET s v5 KEEPTTL", "SET s v GET",
		"SETNX s x", "SETNX s2 x", "SETEX s3 100 v", "PSETEX s4 100000 v", "GETSET s v6", "GETSET nos v",
		"GETDEL s2", "GETDEL nokey", "GETEX s EX 100", "GETEX s PERSIST", "GETEX s PERSIST", "GETEX s PXAT 1", "GETEX nokey EX 1",
		"MSET a 1 b 2", "MSETNX a 1 c 3", "MSETNX c 3 d 4",
		"APPEND e x", "APPEND e y", "SETRANGE f 2 xy", "SETRANGE f 0 z", "SETRANGE g 0 \"\"", "SETRANGE f 0 \"\"",
		"INCR i", "INCRBY i 5", "DECR i", "DECRBY i 2", "INCR s", "INCRBYFLOAT fl 1.5", "INCRBYFLOAT fl 1",
		"GET nokey", "GET a", "MGET a nokey", "STRLEN nokey", "GETRANGE nokey 0 1", "EXISTS nokey a", "TYPE nokey", "TTL nokey", "TOUCH nokey a",
		"DEL a nokey b", "UNLINK c", "RENAME d d2", "RENAME d2 d2", "RENAME e d2", "RENAMENX f g", "RENAMENX g f",
		"EXPIRE f 100", "PEXPIRE f 100000 XX", "EXPIRE f 100 NX", "EXPIREAT f 1", "EXPIRE nokey 1", "PERSIST i", "PERSIST s3",
		"MOVE s3 1", "MOVE s3 1", "SELECT 1", "COPY s3 t", "COPY s3 t", "COPY s3 t REPLACE", "COPY s3 t DB 0", "SELECT 0",
		"SET ex v PX 20", "sleep 40", "GET ex", "SET act v PX 20", "sleep 250",
		"SWAPDB 0 1", "FLUSHDB", "FLUSHALL",
		// hashes
		"HSET h a 1 b 2", "HSET h a 1", "HMSET h c 3", "HSETNX h a 9", "HSETNX h z 9", "HDEL h nope", "HDEL h a b",
		"HINCRBY h n 5", "HINCRBYFLOAT h f 1.5", "HINCRBY h a x", "HGET nokey a", "HGETALL nokey", "HDEL h c z n f",
		"HSET s x y",
		// sets
		"SADD st a b c", "SADD st a", "SREM st x", "SREM st a", "SMOVE st st2 b", "SMOVE st st2 b", "SMOVE st st2 c",
		"SADD st 1 2 3 4 5 6", "@SPOP st", "SPOP st 0", "@SPOP st 1", "@SPOP st 100", "SPOP nokey", "SPOP nokey 2",
		"SADD a1 1 2 3", "SADD a2 3 4", "SINTERSTORE d a1 a2", "SUNIONSTORE d a1 a2", "SDIFFSTORE d a1 a2",
		"SINTERSTORE d a1 nokey", "SINTERSTORE d a1 nokey", "SDIFFSTORE d a1 a1", "SMEMBERS nokey", "SISMEMBER nokey a",
		"SADD big 1 2 3 4 5 6 7 8 9 10 11 12", "@SPOP big 11", "SREM st2 b c",
		// lists
		"LPUSH l a b c", "RPUSH l d", "LPUSHX nol a", "RPUSHX l e", "LPOP l", "RPOP l 2", "LPOP l 0", "LPOP nol",
		"LSET l 0 x", "LSET l 9 x", "LINSERT l BEFORE x y", "LINSERT l AFTER nope y", "LREM l 0 nope", "LREM l 0 y",
		"LTRIM l 0 -1", "RPUSH l2 1 2 3", "LMOVE l2 l3 LEFT RIGHT", "RPOPLPUSH l2 l2", "LMOVE l2 l3 RIGHT LEFT",
		"LMOVE l2 l3 LEFT LEFT", "LMOVE nol l3 LEFT LEFT", "LMPOP 2 nol l3 RIGHT COUNT 2", "LMPOP 1 l3 LEFT COUNT 5",
		"LTRIM l 5 1", "RPUSH l4 a b", "BLPOP l4 0", "BRPOP l4 0", "RPUSH l5 a", "BLMOVE l5 l6 LEFT LEFT 0",
		"BLMPOP 0 1 l6 LEFT", "LRANGE nol 0 -1", "LLEN nol", "LINDEX nol 0", "LPOS nol a",
		// bitmaps and HyperLogLog
		"SETBIT b 7 1", "SETBIT b 7 1", "SETBIT b 7 0", "SETBIT b 100 0", "GETBIT nob 1", "BITCOUNT nob",
		"BITFIELD b SET u8 0 1", "BITFIELD b SET u8 0 1", "BITFIELD b GET u8 0", "BITFIELD nob2 INCRBY u2 0 1",
		"BITFIELD_RO b GET u8 0", "BITOP AND bd b b", "BITOP OR bd nob nob", "BITOP OR bd nob nob", "BITOP NOT bd2 b",
		"PFADD p a b", "PFADD p a", "PFADD p2", "PFADD p2", "PFMERGE p3 p p2", "PFMERGE p3", "PFCOUNT p nop",
		// streams
		"XADD x 1-1 a 1", "XADD x 2-1 a 2", "XADD x MAXLEN 1 3-1 a 3", "XADD x MAXLEN 5 4-1 a 4", "XADD nox NOMKSTREAM 1-1 a 1",
		"XDEL x 9-9", "XDEL x 3-1", "XTRIM x MAXLEN 5", "XADD x 5-1 a 5", "XTRIM x MAXLEN 1", "XSETID x 9-9",
		"XGROUP CREATE x g 0", "XGROUP CREATE x g 0", "XGROUP CREATE x2 g $ MKSTREAM", "XGROUP SETID x g 0",
		"XGROUP CREATECONSUMER x g c1", "XGROUP CREATECONSUMER x g c1", "XREADGROUP GROUP g c2 STREAMS x >",
		"XCLAIM x g c3 0 5-1", "XAUTOCLAIM x g c4 0 0", "XGROUP DELCONSUMER x g c1", "XGROUP DELCONSUMER x g nope",
		"XACK x g 5-1", "XGROUP DESTROY x g", "XGROUP DESTROY x g", "XRANGE nox - +", "XLEN nox",
		// SORT ... STORE
		"RPUSH sl 3 1 2", "SORT sl STORE sd", "SORT nosl STORE sd", "SORT nosl STORE sd", "SORT sl",
		// sorted sets
		"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEOADD g XX 13.36 38.11 Palermo", "GEOADD g NX 13.36 38.11 Palermo",
		"GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 200 km", "GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 1 m", "GEOSEARCHSTORE gs nog FROMLONLAT 15 37 BYRADIUS 1 m",
		"GEORADIUS g 15 37 200 km STORE gr", "GEORADIUS g 15 37 200 km STOREDIST gr", "GEORADIUSBYMEMBER g Palermo 1 m STORE gr", "GEOSEARCHSTORE gs g FROMMEMBER Palermo BYBOX 400 400 km STOREDIST",
		"ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z XX 5 nope", "ZADD noz XX 1 a", "ZADD z NX 9 a", "ZADD z CH 7 a",
		"ZADD z GT 1 a", "ZADD z INCR 1 a", "ZADD z NX INCR 1 a", "ZINCRBY z 2 b", "ZINCRBY z 0 b", "ZINCRBY z x b",
		"ZADD zi 1 a", "ZINCRBY zi inf a", "ZADD zi 1 b -inf a", "ZADD s 1 a", "ZADD z 1",
		"ZREM z nope", "ZREM z a nope", "ZREM zi a b", "ZREM noz a",
		"ZADD zr 1 a 2 b 3 c 4 d 5 e 6 f", "ZREMRANGEBYSCORE zr 10 20", "ZREMRANGEBYSCORE zr 1 1",
		"ZREMRANGEBYRANK zr 10 20", "ZREMRANGEBYRANK zr 0 0", "ZREMRANGEBYLEX zr [x [z", "ZREMRANGEBYLEX zr - [c",
		"ZREMRANGEBYRANK zr 0 -1", "ZREMRANGEBYSCORE noz 0 1",
		"ZADD zp 1 a 2 b 3 c 4 d 5 e", "ZPOPMIN zp", "ZPOPMAX zp 2", "ZPOPMIN zp 0", "ZPOPMIN noz", "ZPOPMAX zp 5",
		"ZADD zp 1 a 2 b 3 c", "ZMPOP 2 noz zp MIN COUNT 2", "ZMPOP 1 zp MAX", "ZMPOP 1 zp MAX",
		"ZADD zp 1 a 2 b", "BZPOPMIN zp 0", "BZPOPMAX zp 0", "ZADD zp 1 a 2 b", "BZMPOP 0 2 noz zp MAX COUNT 9",
		"ZADD z1 1 a 2 b 3 c", "ZADD z2 1 b 2 d", "SADD zs1 a x", "ZUNIONSTORE zd 2 z1 z2", "ZINTERSTORE zd 2 z1 z2",
		"ZDIFFSTORE zd 2 z1 z2", "ZINTERSTORE zd 2 z1 zs1", "ZINTERSTORE zd 2 z1 noz", "ZINTERSTORE zd 2 z1 noz",
		"ZUNIONSTORE zd 2 noz noz", "ZDIFFSTORE zd 2 z1 z1", "ZUNIONSTORE zd 1 z1 WEIGHTS 2", "ZDIFFSTORE zd 1 noz",
		"ZRANGESTORE zd z1 0 -1", "ZRANGESTORE zd z1 5 10", "ZRANGESTORE zd z1 5 10", "ZRANGESTORE zd noz 0 -1",
		"ZRANGESTORE zd z1 (1 +inf BYSCORE LIMIT 0 1", "ZRANGESTORE zd z1 [b + BYLEX REV", "ZRANGESTORE zd z1 +inf -inf BYSCORE REV",
		"ZRANGESTORE z1 z1 0 0", "ZUNIONSTORE z1 1 z1", "ZUNION 2 z1 z2", "ZRANGE noz 0 -1", "ZSCORE noz a", "ZCARD noz",
		"SORT z2 STORE zsd", "SORT z2 BY nosort STORE zsd", "SORT noz STORE zsd",
	)
	// Every class in both protocols would repeat the same frames: KEAnm
	// runs in both, the others alternate.
	for i, events := range []string{"KEAnm", "KEA", "Kg", "E$", "Knx", "Em", "Klshzt"} {
		for _, proto := range []int{2, 3} {
			if i > 0 && proto != 2+i%2 {
				continue
			}
			setup := [][]string{{"CONFIG", "SET", "notify-keyspace-events", events}, {"FLUSHALL"}}
			sc := psScenario{
				subs: []psSubscriber{
					{proto: proto, cmds: cmds("PSUBSCRIBE __key*@*__:*")},
					{proto: proto, cmds: cmds("SUBSCRIBE __keyevent@0__:set __keyspace@1__:s3")},
				},
				publisher: append(setup, commands...),
				pubProto:  proto,
			}
			t.Run(events+"/RESP"+strconv.Itoa(proto), func(t *testing.T) {
				t.Cleanup(func() {
					if t.Failed() {
						t.Log(p.kv.LogLines())
					}
				})
				sc.compare(t, p)
			})
		}
	}
	for _, srv := range []string{p.kv.Addr(), p.redis.Addr()} {
		c := dial(t, srv)
		mustDo(t, c, "CONFIG", "SET", "notify-keyspace-events", "")
	}
}

// TestEvictedNotifications checks "evicted" events on each server: with
// maxmemory reached under allkeys-random (which keys go is random, so the
// frames cannot be compared one to one), one __keyevent@0__:evicted
// message per evicted key (INFO evicted_keys), each naming a key that is
// gone.
func TestEvictedNotifications(t *testing.T) {
	p := startPair(t)
	for _, srv := range []string{p.kv.Addr(), p.redis.Addr()} {
		admin := dial(t, srv)
		mustDo(t, admin, "CONFIG", "SET", "notify-keyspace-events", "Ee", "maxmemory-policy", "allkeys-random")
		sub := dial(t, srv)
		mustDo(t, sub, "SUBSCRIBE", "__keyevent@0__:evicted")
		mustDo(t, admin, "CONFIG", "SET", "maxmemory", "4mb")
		val := strings.Repeat("v", 100)
		const keys = 30000
		for i := 0; i < keys; i += 1000 {
			var batch []byte
			for j := i; j < i+1000; j++ {
				batch = append(batch, resptest.Encode("SET", "key:"+strconv.Itoa(j), val)...)
			}
			if err := admin.Write(batch); err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 1000; j++ {
				if r, err := admin.Read(); err != nil || string(r) != "+OK\r\n" {
					t.Fatalf("%s: SET: %q %v", srv, r, err)
				}
			}
		}
		mustDo(t, admin, "CONFIG", "SET", "maxmemory", "0", "notify-keyspace-events", "")
		evicted, err := strconv.Atoi(infoField(t, admin, "stats", "evicted_keys"))
		if err != nil || evicted == 0 {
			t.Fatalf("%s: evicted_keys %d %v", srv, evicted, err)
		}
		gone := map[string]bool{}
		frames := readUntilSync(t, sub, srv)
		for _, f := range frames {
			_, elems, err := resptest.Elements([]byte(f))
			if err != nil || len(elems) != 3 || string(elems[1]) != "$22\r\n__keyevent@0__:evicted\r\n" {
				t.Fatalf("%s: frame %q", srv, f)
			}
			key := strings.Split(string(elems[2]), "\r\n")[1]
			gone[key] = true
		}
		if len(frames) != evicted || len(gone) != evicted {
			t.Errorf("%s: %d evicted messages (%d keys) for evicted_keys %d", srv, len(frames), len(gone), evicted)
		}
		for key := range gone {
			if n := intReply(t, admin, "EXISTS", key); n != 0 {
				t.Errorf("%s: evicted key %s exists", srv, key)
				break
			}
		}
		mustDo(t, admin, "FLUSHALL")
	}
}

// TestRestoreNotifications compares RESTORE's events (new and restore, or
// del when REPLACE meets a TTL already past) of a string and a sorted set
// with redis-server's.
func TestRestoreNotifications(t *testing.T) {
	p := startPair(t)
	rd := dial(t, p.redis.Addr())
	dump := func(key string) string {
		raw := mustDo(t, rd, "DUMP", key)
		_, payload, ok := strings.Cut(raw, "\r\n")
		if !ok || !strings.HasPrefix(raw, "$") {
			t.Fatalf("DUMP %s: %q", key, raw)
		}
		return strings.TrimSuffix(payload, "\r\n")
	}
	mustDo(t, rd, "SET", "src", "value")
	mustDo(t, rd, "ZADD", "zsrc", "1", "a", "2", "b")
	payload, zpayload := dump("src"), dump("zsrc")
	sc := psScenario{
		subs: []psSubscriber{{proto: 3, cmds: cmds("PSUBSCRIBE __key*@*__:*")}},
		publisher: [][]string{
			{"CONFIG", "SET", "notify-keyspace-events", "KEAn"},
			{"FLUSHALL"},
			{"RESTORE", "k", "0", payload},
			{"RESTORE", "k", "0", payload},
			{"RESTORE", "k", "0", payload, "REPLACE"},
			{"RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"},
			{"RESTORE", "k2", "1", payload, "ABSTTL"},
			{"RESTORE", "k3", "100000", payload},
			{"RESTORE", "z", "0", zpayload},
			{"RESTORE", "z", "0", zpayload, "REPLACE"},
			{"RESTORE", "k", "0", zpayload, "REPLACE"},
			{"ZADD", "z", "3", "c"},
			{"RESTORE", "z", "1", zpayload, "REPLACE", "ABSTTL"},
			{"CONFIG", "SET", "notify-keyspace-events", ""},
		},
	}
	sc.compare(t, p)
}
