package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
)

// setGen produces random set commands over a few keys, so that commands
// collide on keys, encodings and members often.
type setGen struct{ r *rand.Rand }

func (g setGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// key is one of five set keys, now and then the string key "str"
// (WRONGTYPE) or a key never written.
func (g setGen) key() string {
	switch g.r.IntN(20) {
	case 0:
		return "str"
	case 1:
		return "nokey"
	}
	return "s" + strconv.Itoa(g.r.IntN(5))
}

// member returns mostly small integers (intsets), integers at the intset
// width boundaries, non-canonical integers (strings to Redis) and short
// and long strings (sds sizes in MEMORY USAGE).
func (g setGen) member() string {
	switch g.r.IntN(12) {
	case 0:
		return g.pick("32767", "32768", "-32768", "-32769", "2147483647", "2147483648", "-2147483649",
			"9223372036854775807", "-9223372036854775808", "9223372036854775808")
	case 1:
		return g.pick("007", "+5", "-0", " 5", "", "1.5", "0x10")
	case 2:
		return g.pick("a", "b", "c", "hello", "world", "member:"+strconv.Itoa(g.r.IntN(40)))
	case 3:
		return strings.Repeat("m", 20+g.r.IntN(50))
	}
	return strconv.Itoa(g.r.IntN(40) - 5)
}

func (g setGen) members(n int) []string {
	ms := make([]string, n)
	for i := range ms {
		ms[i] = g.member()
	}
	return ms
}

func (g setGen) keys() []string {
	ks := []string{g.key()}
	for i := g.r.IntN(3); i > 0; i-- {
		ks = append(ks, g.key())
	}
	return ks
}

// count returns SPOP/SRANDMEMBER/SSCAN counts: small, around the set
// sizes, zero, negative, or not a number.
func (g setGen) count() string {
	switch g.r.IntN(10) {
	case 0:
		return g.pick("0", "-1", "abc", "-9223372036854775808", "9223372036854775807")
	case 1, 2:
		return strconv.Itoa(-g.r.IntN(30) - 1)
	}
	return strconv.Itoa(g.r.IntN(40) + 1)
}

// setStep runs one random command on both servers of s and checks it.
func (g setGen) step(s *session) {
	k, k2 := g.key(), g.key()
	switch g.r.IntN(30) {
	case 0, 1, 2, 3, 4:
		s.do(compareExact, append([]string{"SADD", k}, g.members(1+g.r.IntN(6))...)...)
	case 5:
		// Many integers at once: past set-max-intset-entries.
		args := []string{"SADD", k}
		for i := g.r.IntN(40); i > 0; i-- {
			args = append(args, strconv.Itoa(g.r.IntN(1000)))
		}
		s.do(compareExact, append(args, "1")...)
	case 6, 7:
		s.do(compareExact, append([]string{"SREM", k}, g.members(1+g.r.IntN(6))...)...)
	case 8:
		s.do(compareExact, "SISMEMBER", k, g.member())
	case 9:
		s.do(compareExact, append([]string{"SMISMEMBER", k}, g.members(1+g.r.IntN(4))...)...)
	case 10:
		s.do(compareExact, "SCARD", k)
	case 11:
		s.do(compareExact, "SMOVE", k, k2, g.member())
	case 12, 13:
		setCheckValue(s, k)
	case 14:
		s.do(compareSorted, append([]string{g.pick("SINTER", "SUNION", "SDIFF")}, g.keys()...)...)
	case 15, 16:
		dst := g.pick("s0", "s1", "d", "str")
		s.do(compareExact, append([]string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), dst}, g.keys()...)...)
		setCheckValue(s, dst)
	case 17:
		ks := g.keys()
		args := append([]string{"SINTERCARD", strconv.Itoa(len(ks))}, ks...)
		if g.r.IntN(2) == 0 {
			args = append(args, "LIMIT", g.pick("0", "1", "2", "5", "-1", "x"))
		}
		s.do(compareExact, args...)
	case 18, 19:
		args := []string{"SPOP", k}
		if g.r.IntN(3) > 0 {
			args = append(args, g.count())
		}
		setPop(s, args)
	case 20, 21:
		args := []string{"SRANDMEMBER", k}
		if g.r.IntN(3) > 0 {
			args = append(args, g.count())
		}
		setRandMember(s, args)
	case 22:
		setScan(s, k, g.pick("*", "1*", "*a*", "member:?"), g.pick("1", "3", "10", "100"))
	case 23:
		s.do(compareExact, "DEBUG", "DIGEST-VALUE", k, k2)
	case 24:
		s.do(compareExact, g.pick("DEL", "EXISTS", "TYPE"), k)
	case 25:
		s.do(compareExact, "COPY", k, k2, "REPLACE")
		setCheckValue(s, k2)
	case 26:
		s.do(compareExact, "RENAME", k, k2)
	case 27:
		s.do(compareExact, "SET", "str", "v")
	case 28:
		if g.r.IntN(2) == 0 {
			// Errors (or an empty scan of a missing key, or an intset's
			// members): exactly comparable.
			s.do(compareExact, "SSCAN", k, g.pick("0", "abc", "-1"), g.pick("COUNT", "FOO"), g.pick("0", "x"))
		} else {
			s.do(compareExact, "SINTERCARD", g.pick("0", "-1", "x", "9"), k)
		}
	default:
		s.do(compareExact, "EXPIRE", k, strconv.Itoa(1000+g.r.IntN(1000)))
	}
}

// setCheckValue compares a key's encoding, members (in order when both
// are intsets, whose order is fixed), MEMORY USAGE and DEBUG OBJECT's
// encoding and serialized length.
func setCheckValue(s *session, key string) {
	s.t.Helper()
	enc := s.do(compareExact, "OBJECT", "ENCODING", key)
	if string(enc) == "$6\r\nintset\r\n" {
		s.do(compareExact, "SMEMBERS", key)
	} else if string(enc) == "$9\r\nhashtable\r\n" {
		s.do(compareSorted, "SMEMBERS", key)
	}
	setCheckMemory(s, key)
	a, b := sideBySide(s, "DEBUG", "OBJECT", key)
	if !bytes.HasPrefix(a, []byte("+")) {
		if !bytes.Equal(a, b) {
			s.t.Errorf("DEBUG OBJECT %s: %q, redis-server %q", key, a, b)
		}
		return
	}
	if x, y := setDebugObjectFields.Find(a), setDebugObjectFields.Find(b); !bytes.Equal(x, y) {
		s.t.Errorf("DEBUG OBJECT %s: %q, redis-server %q", key, a, b)
	}
}

var setDebugObjectFields = regexp.MustCompile(`refcount:\d+ encoding:\S+ serializedlength:\d+`)

// setCheckMemory compares MEMORY USAGE with SAMPLES 0: Redis then sizes
// every member of a hashtable, as kvkit always does. (By default Redis
// averages five members, in an order that depends on its random hash
// seed: with members of mixed sizes its own answer varies from run to
// run.) Redis computes the members' total as a double and truncates it,
// so it may be one byte short.
//
// The bucket arrays may differ while one server is still rehashing a
// grown or shrunk table and the other has finished: each rehash step
// moves one non-empty bucket, and which buckets are empty depends on the
// hash function. Then both servers are made to finish (each member lookup
// of SMISMEMBER is a rehash step; a step visits at least one non-empty or
// ten empty buckets) and the sizes must agree.
func setCheckMemory(s *session, key string) {
	s.t.Helper()
	args := []string{"MEMORY", "USAGE", key, "SAMPLES", "0"}
	size := func() (int64, int64, bool) {
		a, b := sideBySide(s, args...)
		x, errx := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(a), ":")), 10, 64)
		y, erry := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(b), ":")), 10, 64)
		if errx != nil || erry != nil || a[0] != ':' || b[0] != ':' {
			if !bytes.Equal(a, b) {
				s.t.Errorf("%q: %q, redis-server %q", args, a, b)
			}
			return 0, 0, false
		}
		return x, y, true
	}
	x, y, ok := size()
	if !ok || x == y || x == y+1 {
		return
	}
	finish := func() {
		n := intReply(s.t, s.redis, "SCARD", key)
		lookups := []string{"SMISMEMBER", key}
		for i := int64(0); i < 4*n+64; i++ {
			lookups = append(lookups, "\x00")
		}
		s.do(compareExact, lookups...)
	}
	finish()
	if x, y, ok = size(); !ok || x == y || x == y+1 {
		return
	}
	// libkv/dict also starts a shrink when a rehash ends with the table
	// sparse (deletes during the rehash could not); Redis's set dict waits
	// for the next delete (setTypeRemove's dictResize). One delete, then
	// both finish again.
	s.do(compareExact, "SADD", key, "\x00")
	s.do(compareExact, "SREM", key, "\x00")
	finish()
	if x, y, ok = size(); ok && x != y && x != y+1 {
		s.t.Errorf("%q: %d, redis-server %d", args, x, y)
	}
}

// sideBySide sends a command to both servers and returns both replies.
func sideBySide(s *session, args ...string) (kv, redis []byte) {
	s.t.Helper()
	a, err := s.kv.Do(args...)
	if err != nil {
		s.t.Fatalf("kv-server: %q: %v", args, err)
	}
	b, err := s.redis.Do(args...)
	if err != nil {
		s.t.Fatalf("redis-server: %q: %v", args, err)
	}
	return a, b
}

// bulkSet returns the bulk string elements of an aggregate reply.
func bulkSet(t *testing.T, raw []byte) (header string, elems []string) {
	t.Helper()
	h, es, err := resptest.Elements(raw)
	if err != nil {
		t.Fatalf("splitting %q: %v", raw, err)
	}
	for _, e := range es {
		line, rest, ok := bytes.Cut(e, []byte("\r\n"))
		if !ok || line[0] != '$' {
			t.Fatalf("element %q of %q is not a bulk string", e, raw)
		}
		elems = append(elems, string(bytes.TrimSuffix(rest, []byte("\r\n"))))
	}
	return string(h), elems
}

// members returns a key's members on one server, sorted.
func members(t *testing.T, c *resptest.Conn, key string) []string {
	t.Helper()
	r, err := c.Do("SMEMBERS", key)
	if err != nil {
		t.Fatal(err)
	}
	_, ms := bulkSet(t, r)
	slices.Sort(ms)
	return ms
}

// setPop runs SPOP, whose members are random: the reply's shape must
// match Redis's (type, count, or the same error), its members be distinct
// members of the set, and the sizes left agree. Then both servers get the
// same set again: kv-server's members, rebuilt on both with SADD (so the
// encodings match again; the key's TTL is kept).
func setPop(s *session, args []string) {
	t := s.t
	t.Helper()
	key := args[1]
	before := members(t, s.kv, key)
	a, b := sideBySide(s, args...)
	checkRandomReply(t, args, a, b, before, true)
	s.do(compareExact, "SCARD", key)
	ttl, err := s.kv.Do("PTTL", key)
	if err != nil {
		t.Fatal(err)
	}
	left := members(t, s.kv, key)
	s.do(compareSkip, "DEL", key)
	if len(left) > 0 {
		s.do(compareExact, append([]string{"SADD", key}, left...)...)
		if n := strings.TrimSpace(string(ttl[1:])); !strings.HasPrefix(n, "-") {
			s.do(compareExact, "PEXPIRE", key, n)
		}
	}
}

// setRandMember runs SRANDMEMBER and checks its reply as setPop does.
func setRandMember(s *session, args []string) {
	t := s.t
	t.Helper()
	all := members(t, s.kv, args[1])
	a, b := sideBySide(s, args...)
	distinct := len(args) == 3 && !strings.HasPrefix(args[2], "-")
	checkRandomReply(t, args, a, b, all, distinct)
}

// checkRandomReply compares the replies of SPOP or SRANDMEMBER from the two
// servers: errors and non-aggregates exactly when they cannot be random
// (nulls, errors), aggregates by header (type and count), and kv-server's
// members must come from the set (and be distinct when distinct is set).
func checkRandomReply(t *testing.T, args []string, a, b []byte, set []string, distinct bool) {
	t.Helper()
	switch a[0] {
	case '*', '~':
		ha, ea := bulkSet(t, a)
		hb, _ := bulkSet(t, b)
		if ha != hb {
			t.Errorf("%q: reply header %q, redis-server %q", args, ha, hb)
		}
		seen := map[string]bool{}
		for _, e := range ea {
			if _, ok := slices.BinarySearch(set, e); !ok {
				t.Errorf("%q: %q is not a member of %q", args, e, set)
			}
			if distinct && seen[e] {
				t.Errorf("%q: %q returned twice", args, e)
			}
			seen[e] = true
		}
	case '$':
		if b[0] != '$' {
			t.Errorf("%q: %q, redis-server %q", args, a, b)
			return
		}
		if !bytes.Equal(a, b) && (bytes.HasPrefix(a, []byte("$-1")) || bytes.HasPrefix(b, []byte("$-1"))) {
			t.Errorf("%q: %q, redis-server %q", args, a, b)
		}
		_, e, _ := bytes.Cut(a, []byte("\r\n"))
		if m := string(bytes.TrimSuffix(e, []byte("\r\n"))); !bytes.HasPrefix(a, []byte("$-1")) {
			if _, ok := slices.BinarySearch(set, m); !ok {
				t.Errorf("%q: %q is not a member of %q", args, m, set)
			}
		}
	default:
		if !bytes.Equal(a, b) {
			t.Errorf("%q: %q, redis-server %q", args, a, b)
		}
	}
}

// setScan scans key to the end on each server (the cursors differ: the
// hash functions do) and compares what each returned, as a set, with the
// key's members; the first call's reply shape must match.
func setScan(s *session, key, match, count string) {
	t := s.t
	t.Helper()
	opts := []string{"MATCH", match, "COUNT", count}
	a, b := sideBySide(s, append([]string{"SSCAN", key, "0"}, opts...)...)
	if a[0] != '*' || b[0] != '*' {
		if !bytes.Equal(a, b) {
			t.Errorf("SSCAN %s: %q, redis-server %q", key, a, b)
		}
		return
	}
	got := func(c *resptest.Conn, first []byte) []string {
		var all []string
		reply := first
		for calls := 0; calls < 10000; calls++ {
			_, parts, err := resptest.Elements(reply)
			if err != nil || len(parts) != 2 {
				t.Fatalf("SSCAN reply %q", reply)
			}
			_, elems := bulkSet(t, parts[1])
			all = append(all, elems...)
			cursor := strings.Split(string(parts[0]), "\r\n")[1]
			if cursor == "0" {
				break
			}
			if reply, err = c.Do(append([]string{"SSCAN", key, cursor}, opts...)...); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(all)
		return slices.Compact(all)
	}
	x, y := got(s.kv, a), got(s.redis, b)
	if !slices.Equal(x, y) {
		t.Errorf("SSCAN %s MATCH %s COUNT %s: %q, redis-server %q", key, match, count, x, y)
	}
}

// TestDiffRandomSet runs seeded random sequences of set commands against
// both servers, in RESP2 and RESP3, with set-max-intset-entries small
// (conversions happen often) or at its default, and compares each reply
// (random ones by their properties), then the dataset's DEBUG DIGEST.
func TestDiffRandomSet(t *testing.T) {
	p := startPair(t)
	const seeds, steps = 16, 500
	for seed := uint64(1); seed <= seeds; seed++ {
		proto := 2 + int(seed%2)
		maxIntset := []string{"512", "16", "4", "1"}[seed%4]
		t.Run(fmt.Sprintf("seed%d/RESP%d/intset%s", seed, proto, maxIntset), func(t *testing.T) {
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			s.do(compareExact, "CONFIG", "SET", "set-max-intset-entries", maxIntset)
			defer s.do(compareExact, "CONFIG", "SET", "set-max-intset-entries", "512")
			g := setGen{rand.New(rand.NewPCG(seed, 0x736574))}
			for i := 0; i < steps && !t.Failed(); i++ {
				g.step(s)
				// Every key's size after every step: accounting
				// errors show where they happen.
				for k := range 5 {
					setCheckMemory(s, "s"+strconv.Itoa(k))
				}
			}
			for k := range 5 {
				setCheckValue(s, "s"+strconv.Itoa(k))
			}
			s.do(compareExact, "DEBUG", "DIGEST")
		})
	}
}
