package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
)

// zgen produces random sorted-set commands over a few keys, small enough
// that CONFIG SET of zset-max-listpack-entries moves values between the
// listpack and skiplist encodings in both directions.
type zgen struct{ r *rand.Rand }

func (g zgen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// lexKey is where lexicographic ranges are tried: its scores are all 0
// (ZADD is its only writer), since with unequal scores a skiplist's answer
// depends on its random node heights.
const lexKey = "zl"

func (g zgen) key() string {
	switch g.r.IntN(25) {
	case 0:
		return "str"
	case 1:
		return "set" // a set: an input of ZUNION and friends, WRONGTYPE elsewhere
	}
	return "z" + strconv.Itoa(g.r.IntN(4))
}

// member returns members that sort and encode in different ways: letters,
// integers (listpack integer entries), the empty string, binary bytes and
// members around the 64-byte listpack limit.
func (g zgen) member() string {
	switch g.r.IntN(12) {
	case 0:
		return strconv.Itoa(g.r.IntN(300) - 100)
	case 1:
		return g.pick("", "007", "-0", "9223372036854775807", "a b", "\x00\xff")
	case 2:
		return strings.Repeat("m", 62+g.r.IntN(5))
	default:
		return string(rune('a' + g.r.IntN(14)))
	}
}

// score returns scores: small integers (many ties, for lexicographic
// order), fractions, huge and tiny values, infinities, bad input.
func (g zgen) score() string {
	switch g.r.IntN(14) {
	case 0:
		return g.pick("inf", "-inf", "+inf", "1e300", "-1e-300", "0.1", "-0", "4503599627370496", "1e20")
	case 1:
		return g.pick("nan", "abc", "", " 1", "0x10", "1e400")
	case 2, 3:
		return strconv.FormatFloat(g.r.Float64()*20-10, 'f', g.r.IntN(4), 64)
	default:
		return strconv.Itoa(g.r.IntN(8))
	}
}

// bound returns one end of a score range.
func (g zgen) bound() string {
	switch g.r.IntN(8) {
	case 0:
		return g.pick("-inf", "+inf", "(-inf", "(+inf", "nan", "x", "(", "")
	case 1, 2:
		return "(" + strconv.Itoa(g.r.IntN(9)-1)
	default:
		return strconv.Itoa(g.r.IntN(9) - 1)
	}
}

// lex returns one end of a lexicographic range.
func (g zgen) lex() string {
	switch g.r.IntN(8) {
	case 0:
		return g.pick("-", "+", "[", "(", "x", "-a", "")
	case 1, 2:
		return "(" + g.member()
	default:
		return "[" + g.member()
	}
}

func (g zgen) index() string {
	if g.r.IntN(10) == 0 {
		return g.pick("abc", "9223372036854775807", "-9223372036854775808", "1.5")
	}
	return strconv.Itoa(g.r.IntN(16) - 8)
}

// limit returns LIMIT offset count, or nothing.
func (g zgen) limit() []string {
	if g.r.IntN(3) > 0 {
		return nil
	}
	return []string{"LIMIT", strconv.Itoa(g.r.IntN(5) - 1), strconv.Itoa(g.r.IntN(6) - 1)}
}

func (g zgen) opt(p int, s ...string) []string {
	if g.r.IntN(p) == 0 {
		return s
	}
	return nil
}

// keys returns numkeys and that many keys (sometimes a wrong numkeys).
func (g zgen) keys() []string {
	n := 1 + g.r.IntN(3)
	out := []string{strconv.Itoa(n)}
	for i := 0; i < n; i++ {
		out = append(out, g.key())
	}
	if g.r.IntN(20) == 0 {
		out[0] = g.pick("0", "-1", "5", "x")
	}
	return out
}

// zcmd is one generated command and how to check it.
type zcmd struct {
	args  []string
	check zcheck
}

type zcheck int

const (
	zExact zcheck = iota
	zMemory
	zRandom
	zScan
	zDebugObject
)

func (g zgen) command() zcmd {
	k := g.key()
	c := func(args ...string) zcmd { return zcmd{args: args} }
	cat := func(a []string, more ...[]string) []string {
		for _, m := range more {
			a = append(a, m...)
		}
		return a
	}
	switch g.r.IntN(40) {
	case 0, 1, 2, 3, 4:
		args := []string{"ZADD", k}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.r.IntN(9) == 0 {
				args = append(args, o)
			}
		}
		for i := 1 + g.r.IntN(4); i > 0; i-- {
			args = append(args, g.score(), g.member())
		}
		return zcmd{args: args}
	case 5:
		return c("ZINCRBY", k, g.score(), g.member())
	case 6, 7:
		return c("ZREM", k, g.member(), g.member())
	case 8:
		return c(g.pick("ZCARD", "ZCARD", "TYPE", "EXISTS"), k)
	case 9:
		return c("ZSCORE", k, g.member())
	case 10:
		return c("ZMSCORE", k, g.member(), g.member(), g.member())
	case 11:
		return c(g.pick("ZRANK", "ZREVRANK"), k, g.member())
	case 12:
		return c("ZCOUNT", k, g.bound(), g.bound())
	case 13:
		if g.r.IntN(2) == 0 {
			args := []string{"ZADD", lexKey}
			for i := 1 + g.r.IntN(6); i > 0; i-- {
				args = append(args, "0", g.member())
			}
			return zcmd{args: args}
		}
		return c("ZLEXCOUNT", lexKey, g.lex(), g.lex())
	case 14, 15:
		return zcmd{args: cat([]string{"ZRANGE", k, g.index(), g.index()}, g.opt(3, "REV"), g.opt(2, "WITHSCORES"), g.opt(15, "LIMIT", "0", "1"))}
	case 16, 17:
		return zcmd{args: cat([]string{"ZRANGE", k, g.bound(), g.bound(), "BYSCORE"}, g.opt(2, "REV"), g.opt(2, "WITHSCORES"), g.limit())}
	case 18:
		return zcmd{args: cat([]string{"ZRANGE", lexKey, g.lex(), g.lex(), "BYLEX"}, g.opt(2, "REV"), g.limit(), g.opt(15, "WITHSCORES"))}
	case 19:
		return zcmd{args: cat([]string{g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), k, g.bound(), g.bound()}, g.opt(2, "WITHSCORES"), g.limit())}
	case 20:
		return zcmd{args: cat([]string{g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), lexKey, g.lex(), g.lex()}, g.limit())}
	case 21:
		return zcmd{args: cat([]string{"ZREVRANGE", k, g.index(), g.index()}, g.opt(2, "WITHSCORES"))}
	case 22:
		kind := g.r.IntN(3)
		args := []string{"ZRANGESTORE", g.key(), k}
		switch kind {
		case 0:
			args = cat(args, []string{g.index(), g.index()}, g.opt(3, "REV"))
		case 1:
			args = cat(args, []string{g.bound(), g.bound(), "BYSCORE"}, g.opt(3, "REV"), g.limit())
		default:
			args = []string{"ZRANGESTORE", g.key(), lexKey, g.lex(), g.lex(), "BYLEX"}
			args = cat(args, g.opt(3, "REV"), g.limit())
		}
		return zcmd{args: args}
	case 23:
		return c("ZREMRANGEBYRANK", k, g.index(), g.index())
	case 24:
		return c("ZREMRANGEBYSCORE", k, g.bound(), g.bound())
	case 25:
		return c("ZREMRANGEBYLEX", lexKey, g.lex(), g.lex())
	case 26:
		return zcmd{args: cat([]string{g.pick("ZPOPMIN", "ZPOPMAX"), k}, g.opt(2, g.pick("0", "1", "2", "5", "-1")))}
	case 27:
		return zcmd{args: cat([]string{"ZMPOP"}, g.keys(), []string{g.pick("MIN", "MAX")}, g.opt(2, "COUNT", g.pick("1", "3", "0")))}
	case 28:
		args := []string{"ZRANDMEMBER", k}
		if g.r.IntN(4) > 0 {
			args = append(args, g.pick("0", "1", "3", "-3", "-20", "20", "6"))
			if g.r.IntN(2) == 0 {
				args = append(args, "WITHSCORES")
			}
		}
		return zcmd{args: args, check: zRandom}
	case 29, 30:
		op := g.pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD")
		args := []string{op}
		if strings.HasSuffix(op, "STORE") {
			args = append(args, g.key())
		}
		ks := g.keys()
		args = append(args, ks...)
		if op != "ZDIFF" && op != "ZDIFFSTORE" && op != "ZINTERCARD" {
			if n, err := strconv.Atoi(ks[0]); err == nil && n > 0 && g.r.IntN(3) == 0 {
				args = append(args, "WEIGHTS")
				for i := 0; i < n; i++ {
					args = append(args, g.pick("1", "2", "-1", "0", "0.5", "inf"))
				}
			}
			args = append(args, g.opt(3, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))...)
		}
		if op == "ZINTERCARD" {
			args = append(args, g.opt(2, "LIMIT", g.pick("0", "1", "2"))...)
		}
		if !strings.HasSuffix(op, "STORE") && op != "ZINTERCARD" {
			args = append(args, g.opt(2, "WITHSCORES")...)
		}
		return zcmd{args: args}
	case 31, 32:
		return c("OBJECT", "ENCODING", k)
	case 33:
		return zcmd{args: []string{"MEMORY", "USAGE", g.pick(k, lexKey)}, check: zMemory}
	case 34:
		if g.r.IntN(2) == 0 {
			return zcmd{args: []string{"DEBUG", "OBJECT", g.pick(k, lexKey)}, check: zDebugObject}
		}
		return c("DEBUG", "DIGEST-VALUE", k, lexKey)
	case 35:
		return zcmd{args: []string{"ZSCAN", k, "0", "COUNT", g.pick("1", "5", "100")}, check: zScan}
	case 36:
		// Limits that make small values change encoding either way.
		return c("CONFIG", "SET", "zset-max-listpack-entries", g.pick("2", "5", "128"))
	case 37:
		return c("CONFIG", "SET", "zset-max-listpack-value", g.pick("4", "64"))
	case 38:
		if g.r.IntN(2) == 0 {
			return c("SADD", "set", g.member(), g.pick("1", "2", "a", "b"))
		}
		return c(g.pick("COPY", "RENAME"), k, g.key())
	default:
		if g.r.IntN(2) == 0 {
			return c("DEL", k)
		}
		return c("SET", k, "v")
	}
}

// TestDiffRandomZset runs seeded random sorted-set sequences against both
// servers in RESP2 and RESP3 and compares every reply, except that MEMORY
// USAGE of a skiplist is compared within 20% (Redis estimates it from
// five sampled nodes whose random heights differ), ZRANDMEMBER is checked
// by its properties and ZSCAN of a skiplist by the complete scan; then the
// DEBUG DIGEST of the whole dataset.
func TestDiffRandomZset(t *testing.T) {
	p := startPair(t)
	const seeds, steps = 8, 500
	for seed := uint64(1); seed <= seeds; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d/RESP%d", seed, proto), func(t *testing.T) {
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			s.do(compareExact, "CONFIG", "SET", "zset-max-listpack-entries", "128")
			s.do(compareExact, "CONFIG", "SET", "zset-max-listpack-value", "64")
			g := zgen{rand.New(rand.NewPCG(seed, 0x7a73))}
			for i := 0; i < steps && !t.Failed(); i++ {
				cmd := g.command()
				switch cmd.check {
				case zExact:
					s.do(compareExact, cmd.args...)
				case zMemory:
					s.zsetMemory(cmd.args...)
				case zRandom:
					s.zrandmember(cmd.args...)
				case zScan:
					s.zscan(cmd.args[1])
				case zDebugObject:
					a, b := s.do(compareSkip, cmd.args...), mustRedis(s, cmd.args...)
					if a[0] == '-' || b[0] == '-' {
						if !bytes.Equal(a, b) {
							t.Errorf("%s:\n%s", quoteArgs(cmd.args), showDiff(a, b))
						}
					} else if fa, fb := debugObjectFields(t, a), debugObjectFields(t, b); fa != fb {
						t.Errorf("%s:\n  kv-server:    %s\n  redis-server: %s", quoteArgs(cmd.args), fa, fb)
					}
				}
			}
			s.do(compareExact, "DEBUG", "DIGEST")
			s.do(compareExact, "CONFIG", "SET", "zset-max-listpack-entries", "128")
			s.do(compareExact, "CONFIG", "SET", "zset-max-listpack-value", "64")
		})
	}
}

// zsetMemory compares MEMORY USAGE: exactly for listpacks, intsets and
// strings, within 20% for skiplists (and the sets some keys hold as
// hashtables), plus 256 bytes: after a range removal shrinks
// a sorted set's dict, Redis counts both of its tables until the
// incremental rehash ends, which depends on where its hash put the
// entries (a one-element set reads 32+4 buckets for a few commands).
func (s *session) zsetMemory(args ...string) {
	s.t.Helper()
	enc := s.do(compareExact, "OBJECT", "ENCODING", args[2])
	if !bytes.Contains(enc, []byte("skiplist")) && !bytes.Contains(enc, []byte("hashtable")) {
		s.do(compareExact, args...)
		return
	}
	a, b := intOf(s.t, s.do(compareSkip, args...)), intOf(s.t, mustRedis(s, args...))
	if d := a - b; d*5 > b+5*256 || -d*5 > b+5*256 {
		s.t.Errorf("%s: kv-server %d, redis-server %d: more than 20%% apart", quoteArgs(args), a, b)
	}
}

func mustRedis(s *session, args ...string) []byte {
	r, err := s.redis.Do(args...)
	if err != nil {
		s.t.Fatalf("redis-server: %q: %v", args, err)
	}
	return r
}

func intOf(t *testing.T, r []byte) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(r), ":")), 10, 64)
	if err != nil {
		t.Fatalf("want an integer reply, got %q", r)
	}
	return n
}

// zrandmember checks ZRANDMEMBER by its properties: the same reply shape
// and length as Redis's; every member (with its score) in the set; no
// repeats for a positive count; the whole set when the count reaches it.
func (s *session) zrandmember(args ...string) {
	s.t.Helper()
	a := s.do(compareSkip, args...)
	b := mustRedis(s, args...)
	key := args[1]
	if len(args) == 2 || a[0] == '-' || b[0] == '-' || a[0] == '$' || a[0] == '_' {
		if len(args) == 2 && a[0] == '$' && b[0] == '$' && string(a) != "$-1\r\n" {
			s.checkMembers(key, [][]byte{a}, false)
			return
		}
		if a[0] != b[0] || (a[0] == '-' && !bytes.Equal(a, b)) {
			s.t.Errorf("%s:\n%s", quoteArgs(args), showDiff(a, b))
		}
		return
	}
	_, ea, err1 := resptest.Elements(a)
	_, eb, err2 := resptest.Elements(b)
	if err1 != nil || err2 != nil || len(ea) != len(eb) {
		s.t.Errorf("%s: shapes differ:\n%s", quoteArgs(args), showDiff(a, b))
		return
	}
	withscores := len(args) == 4
	count, _ := strconv.Atoi(args[2])
	var members [][]byte
	var pairs [][]byte
	for _, e := range ea {
		if withscores && e[0] == '*' { // RESP3 pair
			_, pe, _ := resptest.Elements(e)
			members = append(members, pe[0])
			pairs = append(pairs, bytes.Join(pe, nil))
			continue
		}
		members = append(members, e)
	}
	if withscores && len(pairs) == 0 {
		members = members[:0]
		for i := 0; i+1 < len(ea); i += 2 {
			members = append(members, ea[i])
			pairs = append(pairs, bytes.Join(ea[i:i+2], nil))
		}
	}
	s.checkMembers(key, members, count > 0)
	if withscores {
		// Each member comes with its own score.
		want := map[string]bool{}
		_, all, _ := resptest.Elements(mustRedis(s, "ZRANGE", key, "0", "-1", "WITHSCORES"))
		for _, e := range flattenPairs(all) {
			want[string(e)] = true
		}
		for _, p := range pairs {
			if !want[string(p)] {
				s.t.Errorf("%s: pair %q is not in the set", quoteArgs(args), p)
			}
		}
	}
}

// flattenPairs returns member+score joined for a WITHSCORES reply in
// either protocol.
func flattenPairs(all [][]byte) [][]byte {
	var out [][]byte
	if len(all) > 0 && all[0][0] == '*' {
		for _, e := range all {
			_, pe, _ := resptest.Elements(e)
			out = append(out, bytes.Join(pe, nil))
		}
		return out
	}
	for i := 0; i+1 < len(all); i += 2 {
		out = append(out, bytes.Join(all[i:i+2], nil))
	}
	return out
}

// checkMembers checks that every member is in the sorted set at key and,
// when uniq, that none repeats.
func (s *session) checkMembers(key string, members [][]byte, uniq bool) {
	s.t.Helper()
	_, all, _ := resptest.Elements(mustRedis(s, "ZRANGE", key, "0", "-1"))
	in := map[string]bool{}
	for _, m := range all {
		in[string(m)] = true
	}
	seen := map[string]bool{}
	for _, m := range members {
		if !in[string(m)] {
			s.t.Errorf("ZRANDMEMBER %s: %q is not a member", key, m)
		}
		if uniq && seen[string(m)] {
			s.t.Errorf("ZRANDMEMBER %s: %q repeated", key, m)
		}
		seen[string(m)] = true
	}
}

// zscan compares a complete ZSCAN of key on both servers as a set of
// member/score pairs (a skiplist's order follows each server's hash).
func (s *session) zscan(key string) {
	s.t.Helper()
	a, b := zscanAll(s.t, s.kv, key), zscanAll(s.t, s.redis, key)
	if a != b {
		s.t.Errorf("ZSCAN %s:\n  kv-server:    %q\n  redis-server: %q", key, a, b)
	}
}

func zscanAll(t *testing.T, c *resptest.Conn, key string) string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for calls := 0; calls < 1000; calls++ {
		raw, err := c.Do("ZSCAN", key, cursor, "COUNT", "3")
		if err != nil {
			t.Fatal(err)
		}
		if raw[0] == '-' {
			return string(raw)
		}
		_, elems, err := resptest.Elements(raw)
		if err != nil || len(elems) != 2 {
			t.Fatalf("ZSCAN reply %q: %v", raw, err)
		}
		cursor = string(bytes.Split(elems[0], []byte("\r\n"))[1])
		_, kv, _ := resptest.Elements(elems[1])
		for i := 0; i+1 < len(kv); i += 2 {
			seen[string(kv[i])+"="+string(kv[i+1])] = true
		}
		if cursor == "0" {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
