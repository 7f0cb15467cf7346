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

// hashGen produces random hash commands over a few keys and a small pool
// of fields, so that fields collide, hashes grow past the listpack limits
// (set low with CONFIG SET) and shrink again.
type hashGen struct{ r *rand.Rand }

func (g hashGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g hashGen) key() string {
	if g.r.IntN(25) == 0 {
		return "str" // a string: WRONGTYPE
	}
	return "h" + strconv.Itoa(g.r.IntN(5))
}

// field is mostly from a pool of 40 names, sometimes an integer (listpack
// stores those as integers), empty, or longer than the value limit.
func (g hashGen) field() string {
	switch g.r.IntN(12) {
	case 0:
		return g.pick("0", "1", "-1", "007", "12345678901", "9223372036854775807", "-9223372036854775808", "")
	case 1:
		if g.r.IntN(4) == 0 {
			return strings.Repeat("F", 60+g.r.IntN(10))
		}
	}
	return "f" + strconv.Itoa(g.r.IntN(40))
}

// value covers integers (the listpack's integer encodings), floats,
// binary bytes and lengths around hash-max-listpack-value.
func (g hashGen) value() string {
	switch g.r.IntN(10) {
	case 0:
		return strconv.FormatInt(g.r.Int64N(2000)-1000, 10)
	case 1:
		return g.pick("9223372036854775807", "-9223372036854775808", "9223372036854775808", "0", "-0", "007", "+5", " 5", "1e3", "", "inf")
	case 2:
		return strconv.FormatFloat(g.r.Float64()*1000-500, 'f', g.r.IntN(6), 64)
	case 3:
		return strings.Repeat("v", 8+g.r.IntN(70))
	case 4:
		b := make([]byte, g.r.IntN(12))
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
		return string(b)
	case 5:
		return strconv.FormatInt(g.r.Int64()>>g.r.IntN(64), 10)
	default:
		return g.pick("a", "hello", "world", "foo bar", "x")
	}
}

func (g hashGen) pairs(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, g.field(), g.value())
	}
	return out
}

func (g hashGen) fields(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, g.field())
	}
	return out
}

// hashCheck is how a command's replies are compared.
type hashCheck int

const (
	hashExact      hashCheck = iota
	hashOrdered              // HGETALL/HKEYS/HVALS: exact for a listpack, as a set for a hashtable
	hashRand                 // HRANDFIELD: shape and membership
	hashScan                 // HSCAN: exact for a listpack, whole scans as sets for a hashtable
	hashMemory               // MEMORY USAGE within 20%, after both servers finished rehashing
	hashSerialized           // DEBUG OBJECT: the encoding and serializedlength fields
)

func (g hashGen) command() (hashCheck, []string) {
	k := g.key()
	switch g.r.IntN(32) {
	case 0, 1, 2, 3:
		return hashExact, append([]string{"HSET", k}, g.pairs(1+g.r.IntN(4))...)
	case 4:
		return hashExact, append([]string{"HMSET", k}, g.pairs(1+g.r.IntN(3))...)
	case 5:
		return hashExact, append([]string{"HSET", k}, g.pairs(15+g.r.IntN(10))...)
	case 6:
		return hashExact, []string{"HSETNX", k, g.field(), g.value()}
	case 7, 8:
		return hashExact, []string{"HGET", k, g.field()}
	case 9:
		return hashExact, append([]string{"HMGET", k}, g.fields(1+g.r.IntN(4))...)
	case 10, 11:
		return hashExact, append([]string{"HDEL", k}, g.fields(1+g.r.IntN(6))...)
	case 12:
		return hashExact, []string{g.pick("HEXISTS", "HSTRLEN"), k, g.field()}
	case 13:
		return hashExact, []string{g.pick("HLEN", "TYPE", "EXISTS", "OBJECT"), k}
	case 14:
		return hashExact, []string{"HINCRBY", k, g.field(), g.pick("1", "-1", "100", "9223372036854775807", "-9223372036854775808", "abc", "1.5", strconv.Itoa(g.r.IntN(1000)))}
	case 15:
		return hashExact, []string{"HINCRBYFLOAT", k, g.field(), g.pick("1.5", "-0.1", "10", "3.0e2", "abc", "0.3333", "inf", "1e300", g.value())}
	case 16, 17:
		return hashOrdered, []string{g.pick("HGETALL", "HKEYS", "HVALS"), k}
	case 18, 19:
		args := []string{"HRANDFIELD", k}
		if g.r.IntN(5) > 0 {
			args = append(args, strconv.Itoa(g.r.IntN(41)-20))
			if g.r.IntN(2) == 0 {
				args = append(args, "WITHVALUES")
			}
		}
		return hashRand, args
	case 20:
		args := []string{"HSCAN", k, "0"}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(1+g.r.IntN(20)))
		}
		if g.r.IntN(3) == 0 {
			args = append(args, "MATCH", g.pick("f1*", "*", "f?", "*0", "x*"))
		}
		return hashScan, args
	case 21, 22:
		return hashExact, []string{"OBJECT", "ENCODING", k}
	case 23:
		return hashMemory, []string{"MEMORY", "USAGE", k, "SAMPLES", "0"}
	case 24:
		return hashExact, []string{"DEBUG", "DIGEST-VALUE", k}
	case 25:
		return hashExact, []string{"CONFIG", "SET", "hash-max-listpack-entries", strconv.Itoa(g.r.IntN(40))}
	case 26:
		return hashExact, []string{"CONFIG", "SET", "hash-max-listpack-value", strconv.Itoa(g.r.IntN(80))}
	case 27:
		if g.r.IntN(4) == 0 {
			return hashExact, []string{"DEL", k}
		}
		return hashExact, []string{"EXISTS", k}
	case 28:
		return hashExact, []string{"COPY", k, g.key(), "REPLACE"}
	case 29:
		return hashExact, []string{"RENAME", k, g.key()}
	case 30:
		return hashExact, []string{"SET", "str", g.value()}
	default:
		return hashSerialized, []string{"DEBUG", "OBJECT", k}
	}
}

// TestDiffRandomHash runs seeded random sequences of hash commands against
// both servers, with low and changing listpack limits so that conversions
// happen often, in RESP2 and RESP3, then compares DEBUG DIGEST. A failure
// names the seed to replay it.
func TestDiffRandomHash(t *testing.T) {
	p := startPair(t)
	const seeds, steps = 10, 500
	for seed := uint64(1); seed <= seeds; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d/RESP%d", seed, proto), func(t *testing.T) {
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			s.do(compareExact, "CONFIG", "SET", "hash-max-listpack-entries", strconv.Itoa(4+int(seed)*3))
			s.do(compareExact, "CONFIG", "SET", "hash-max-listpack-value", strconv.Itoa(16+int(seed)*4))
			defer s.do(compareExact, "CONFIG", "SET", "hash-max-listpack-entries", "512")
			defer s.do(compareExact, "CONFIG", "SET", "hash-max-listpack-value", "64")
			g := hashGen{rand.New(rand.NewPCG(seed, 0x68617368))}
			for i := 0; i < steps && !t.Failed(); i++ {
				check, args := g.command()
				s.hashDo(check, args)
			}
			for _, k := range []string{"h0", "h1", "h2", "h3", "h4"} {
				s.hashDo(hashOrdered, []string{"HGETALL", k})
				s.hashDo(hashExact, []string{"OBJECT", "ENCODING", k})
				s.hashDo(hashMemory, []string{"MEMORY", "USAGE", k, "SAMPLES", "0"})
			}
			s.do(compareExact, "DEBUG", "DIGEST")
		})
	}
}

// hashDo sends args to both servers and compares the replies as check says.
func (s *session) hashDo(check hashCheck, args []string) {
	s.t.Helper()
	switch check {
	case hashExact:
		s.do(compareExact, args...)
		return
	case hashMemory:
		s.settleRehash(args[2])
		s.doWithin(0.2, args...)
		return
	case hashSerialized:
		// The rest of DEBUG OBJECT is an address and access times.
		a, b := mustDo(s.t, s.kv, args...), mustDo(s.t, s.redis, args...)
		if x, y := debugObjectFields(s.t, []byte(a)), debugObjectFields(s.t, []byte(b)); x != y {
			s.t.Errorf("%s: kv-server %q, redis-server %q", quoteArgs(args), x, y)
		}
		return
	}
	enc := string(s.do(compareExact, "OBJECT", "ENCODING", args[1]))
	listpack := strings.Contains(enc, "listpack")
	switch check {
	case hashOrdered:
		switch {
		case listpack:
			s.do(compareExact, args...)
		case args[0] == "HGETALL":
			s.do(compareMap, args...)
		default:
			s.do(compareSorted, args...)
		}
	case hashScan:
		if listpack || !strings.Contains(enc, "hashtable") {
			s.do(compareExact, args...)
			return
		}
		a, b := hashFullScan(s.t, s.kv, args), hashFullScan(s.t, s.redis, args)
		if a != b {
			s.t.Errorf("%s: complete scans differ:\n  kv-server:    %q\n  redis-server: %q", quoteArgs(args), a, b)
		}
	case hashRand:
		s.checkHRandField(args, listpack)
	}
}

// settleRehash lets both servers finish any rehash of the hash at key:
// each lookup moves a bucket (visiting at most 10 empty ones), and how far
// a rehash has got otherwise depends on each server's hash function. Some
// HEXISTS calls per field and bucket are enough for any table the test
// builds.
func (s *session) settleRehash(key string) {
	s.t.Helper()
	if enc := mustDo(s.t, s.kv, "OBJECT", "ENCODING", key); !strings.Contains(enc, "hashtable") {
		return
	}
	n := intReply(s.t, s.kv, "HLEN", key)
	for i := int64(0); i < 2*n+16; i++ {
		s.do(compareExact, "HEXISTS", key, "no such field")
	}
}

// doWithin compares integer replies within a relative tolerance, other
// replies exactly. MEMORY USAGE is sent with SAMPLES 0: by default Redis
// extrapolates from the first five entries of a hashtable, in an order set
// by its hash function, where kvkit sums them all.
func (s *session) doWithin(tol float64, args ...string) {
	s.t.Helper()
	a, b := []byte(mustDo(s.t, s.kv, args...)), []byte(mustDo(s.t, s.redis, args...))
	x, err1 := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(string(a), ":")), 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(string(b), ":")), 64)
	if err1 == nil && err2 == nil && a[0] == ':' && b[0] == ':' {
		if x < y*(1-tol) || x > y*(1+tol) {
			s.t.Errorf("%s: %v not within %.0f%% of redis-server's %v\nredis-server's table: %s", quoteArgs(args), x, tol*100, y,
				mustDo(s.t, s.redis, "DEBUG", "HTSTATS-KEY", args[2]))
		}
		return
	}
	if !bytes.Equal(a, b) {
		s.t.Errorf("%s:\n%s", quoteArgs(args), showDiff(a, b))
	}
}

// bulkPayload returns the data of a raw bulk string reply.
func bulkPayload(t *testing.T, raw []byte) string {
	t.Helper()
	i := bytes.Index(raw, []byte("\r\n"))
	if len(raw) == 0 || raw[0] != '$' || i < 0 {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return string(raw[i+2 : len(raw)-2])
}

// hashContents returns a hash's fields and values from an HGETALL on c.
func hashContents(t *testing.T, c *resptest.Conn, key string) map[string]string {
	t.Helper()
	raw, err := c.Do("HGETALL", key)
	if err != nil {
		t.Fatal(err)
	}
	_, elems, err := resptest.Elements(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for i := 0; i+1 < len(elems); i += 2 {
		m[bulkPayload(t, elems[i])] = bulkPayload(t, elems[i+1])
	}
	return m
}

// checkHRandField compares HRANDFIELD's replies by shape (type and length
// agree with redis-server's) and checks kv-server's by properties: every
// field is in the hash with its value, distinct for a positive count, in
// the listpack's order where Redis samples in one pass. A reply that is the
// whole listpack hash, in order, must be identical.
func (s *session) checkHRandField(args []string, listpack bool) {
	t := s.t
	t.Helper()
	a, err := s.kv.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.redis.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) == 2 || a[0] == '-' || b[0] == '-' || a[0] == '_' || bytes.HasPrefix(a, []byte("$-1")) {
		if a[0] != b[0] || (a[0] == '-' && !bytes.Equal(a, b)) {
			t.Errorf("%s:\n%s", quoteArgs(args), showDiff(a, b))
		}
		if a[0] == '$' && len(args) == 2 && !bytes.HasPrefix(a, []byte("$-1")) {
			if _, ok := hashContents(t, s.kv, args[1])[bulkPayload(t, a)]; !ok {
				t.Errorf("%s: %q is not a field", quoteArgs(args), a)
			}
		}
		return
	}
	ha, elems, err := resptest.Elements(a)
	if err != nil {
		t.Fatal(err)
	}
	hb, _, _ := resptest.Elements(b)
	if !bytes.Equal(ha, hb) {
		t.Errorf("%s: reply header %q, redis-server's %q", quoteArgs(args), ha, hb)
		return
	}
	count, _ := strconv.Atoi(args[2])
	withValues := len(args) == 4
	contents := hashContents(t, s.kv, args[1])
	if listpack && count >= len(contents) {
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the whole listpack hash in order:\n%s", quoteArgs(args), showDiff(a, b))
		}
		return
	}
	var pairs [][2]string
	for i := 0; i < len(elems); i++ {
		if withValues && elems[i][0] == '*' {
			_, pv, err := resptest.Elements(elems[i])
			if err != nil || len(pv) != 2 {
				t.Fatalf("%s: bad pair %q", quoteArgs(args), elems[i])
			}
			pairs = append(pairs, [2]string{bulkPayload(t, pv[0]), bulkPayload(t, pv[1])})
			continue
		}
		p := [2]string{bulkPayload(t, elems[i]), ""}
		if withValues {
			i++
			p[1] = bulkPayload(t, elems[i])
		}
		pairs = append(pairs, p)
	}
	if listpack && count > 0 && count*3 <= len(contents) {
		// lpRandomPairsUnique samples in one pass: the fields come in the
		// listpack's order.
		order := map[string]int{}
		_, keys, _ := resptest.Elements([]byte(mustDo(t, s.kv, "HKEYS", args[1])))
		for i, k := range keys {
			order[bulkPayload(t, k)] = i
		}
		for i := 1; i < len(pairs); i++ {
			if order[pairs[i-1][0]] >= order[pairs[i][0]] {
				t.Errorf("%s: fields not in the listpack's order: %q", quoteArgs(args), pairs)
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		v, ok := contents[p[0]]
		switch {
		case !ok:
			t.Errorf("%s: %q is not a field", quoteArgs(args), p[0])
		case withValues && v != p[1]:
			t.Errorf("%s: field %q has value %q, reply says %q", quoteArgs(args), p[0], v, p[1])
		case count > 0 && seen[p[0]]:
			t.Errorf("%s: field %q returned twice", quoteArgs(args), p[0])
		}
		seen[p[0]] = true
	}
}

// hashFullScan runs HSCAN from cursor 0 to the end (at most 10000 calls)
// with the options of args and returns the distinct field/value pairs seen,
// sorted, as one string.
func hashFullScan(t *testing.T, c *resptest.Conn, args []string) string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 10000 {
			t.Fatal("HSCAN did not finish in 10000 calls")
		}
		q := append([]string{"HSCAN", args[1], cursor}, args[3:]...)
		raw, err := c.Do(q...)
		if err != nil {
			t.Fatal(err)
		}
		_, elems, err := resptest.Elements(raw)
		if err != nil || len(elems) != 2 {
			t.Fatalf("%q: reply %q: %v", q, raw, err)
		}
		cursor = bulkPayload(t, elems[0])
		_, items, err := resptest.Elements(elems[1])
		if err != nil || len(items)%2 != 0 {
			t.Fatalf("%q: reply %q: %v", q, raw, err)
		}
		for i := 0; i < len(items); i += 2 {
			seen[fmt.Sprintf("%q=%q", bulkPayload(t, items[i]), bulkPayload(t, items[i+1]))] = true
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
