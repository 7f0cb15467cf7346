// Package loadgen is kv-benchmark's engine: it builds requests from
// templates (redis-benchmark's test suite, arbitrary commands with
// __rand_int__, memtier-style SET:GET mixes), drives them over many
// pipelined connections, closed-loop or rate-limited, against one server or
// a Redis Cluster, and records latency in HdrHistograms.
//
// The request shapes and the __rand_int__ and {tag} substitutions follow
// Redis 7.0's redis-benchmark.c; the key patterns, ratios and rate limiting
// follow memtier_benchmark.
package loadgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/respclient"
)

// RandInt is the placeholder that redis-benchmark replaces, in any argument,
// with a 12-digit zero-padded number drawn from the key space.
const RandInt = "__rand_int__"

// Tag is the placeholder that cluster mode replaces with a hash tag ({xyz})
// that maps to a slot of the node the connection talks to, as
// redis-benchmark does.
const Tag = "{tag}"

type pieceKind uint8

const (
	pieceLit    pieceKind = iota
	pieceRand             // __rand_int__: 12 digits, zero padded
	pieceKeyNum           // a key number in decimal (memtier-style keys)
	pieceData             // the value: -d bytes or a size from --data-size-range
	pieceTag              // {tag} in cluster mode
)

type piece struct {
	kind pieceKind
	lit  []byte
}

// arg is one argument: either fully static (pre-encoded as a bulk string
// with its header) or a list of pieces concatenated per request.
type arg struct {
	static []byte
	pieces []piece
}

// Template is one command shape. Each request built from it substitutes
// its placeholders afresh.
type Template struct {
	Name string // the command name, for per-command results ("SET")
	args []arg
	// static is the whole encoded request when no argument varies.
	static []byte
	// keyed reports whether the template draws keys (a __rand_int__ or a
	// key number), so that a key pattern has something to act on.
	keyed bool
}

// Test is one benchmark: a title (as redis-benchmark prints it) and the
// commands it sends. A test with several commands interleaves them by
// Weights (memtier's --ratio), deterministically per connection.
type Test struct {
	Title    string
	Commands []*Template
	Weights  []int
}

// Substitution says which placeholders a template parser expands.
type Substitution struct {
	RandInt bool // expand __rand_int__ (redis-benchmark does so only with -r)
	Cluster bool // expand {tag}
}

// NewTemplate parses a command given as arguments; words containing
// __rand_int__ or {tag} become placeholders when sub enables them. Data
// placeholders are only made by the built-in tests.
func NewTemplate(args []string, sub Substitution) *Template {
	t := &Template{Name: strings.ToUpper(args[0])}
	for _, a := range args {
		t.args = append(t.args, parseArg(a, sub, t))
	}
	t.finish()
	return t
}

func parseArg(a string, sub Substitution, t *Template) arg {
	var ps []piece
	for len(a) > 0 {
		i, kind, n := -1, pieceLit, 0
		if sub.RandInt {
			if j := strings.Index(a, RandInt); j >= 0 {
				i, kind, n = j, pieceRand, len(RandInt)
			}
		}
		if sub.Cluster {
			if j := strings.Index(a, Tag); j >= 0 && (i < 0 || j < i) {
				i, kind, n = j, pieceTag, len(Tag)
			}
		}
		if i < 0 {
			ps = append(ps, piece{kind: pieceLit, lit: []byte(a)})
			break
		}
		if i > 0 {
			ps = append(ps, piece{kind: pieceLit, lit: []byte(a[:i])})
		}
		ps = append(ps, piece{kind: kind})
		if kind == pieceRand {
			t.keyed = true
		}
		a = a[i+n:]
	}
	return makeArg(ps)
}

func makeArg(ps []piece) arg {
	var lit []byte
	for _, p := range ps {
		if p.kind != pieceLit {
			return arg{pieces: ps}
		}
		lit = append(lit, p.lit...)
	}
	st := respclient.AppendBulkHeader(nil, len(lit))
	st = append(st, lit...)
	return arg{static: append(st, '\r', '\n')}
}

func (t *Template) finish() {
	var all []byte
	all = respclient.AppendArrayHeader(all, len(t.args))
	for _, a := range t.args {
		if a.static == nil {
			return
		}
		all = append(all, a.static...)
	}
	t.static = all
}

// appendRequest appends one request built from t to buf.
func (t *Template) appendRequest(buf []byte, f *conn) []byte {
	if t.static != nil {
		return append(buf, t.static...)
	}
	buf = respclient.AppendArrayHeader(buf, len(t.args))
	for i := range t.args {
		a := &t.args[i]
		if a.static != nil {
			buf = append(buf, a.static...)
			continue
		}
		// Resolve the varying pieces first: the length header comes
		// before them.
		var keys [8]int64
		var dlen int
		var tag []byte
		n, nk := 0, 0
		for _, p := range a.pieces {
			switch p.kind {
			case pieceLit:
				n += len(p.lit)
			case pieceRand:
				k := f.key()
				if nk < len(keys) {
					keys[nk] = k
				}
				nk++
				n += 12
			case pieceKeyNum:
				k := f.key()
				if nk < len(keys) {
					keys[nk] = k
				}
				nk++
				n += decLen(k)
			case pieceData:
				dlen = f.dataLen()
				n += dlen
			case pieceTag:
				tag = f.tag()
				n += len(tag)
			}
		}
		buf = respclient.AppendBulkHeader(buf, n)
		ki := 0
		for _, p := range a.pieces {
			switch p.kind {
			case pieceLit:
				buf = append(buf, p.lit...)
			case pieceRand, pieceKeyNum:
				var k int64
				if ki < len(keys) {
					k = keys[ki]
				} else {
					k = f.key() // more than 8 keys in one argument: rare
				}
				ki++
				if p.kind == pieceRand {
					buf = appendPadded12(buf, k)
				} else {
					buf = strconv.AppendInt(buf, k, 10)
				}
			case pieceData:
				buf = append(buf, f.data()[:dlen]...)
			case pieceTag:
				buf = append(buf, tag...)
			}
		}
		buf = append(buf, '\r', '\n')
	}
	return buf
}

func decLen(k int64) int {
	if k < 0 {
		return len(strconv.FormatInt(k, 10))
	}
	n := 1
	for k >= 10 {
		k /= 10
		n++
	}
	return n
}

// appendPadded12 writes k as redis-benchmark does: the last 12 decimal
// digits, zero padded (randomizeClientKey).
func appendPadded12(buf []byte, k int64) []byte {
	if k < 0 {
		k = -k
	}
	var d [12]byte
	for i := 11; i >= 0; i-- {
		d[i] = byte('0' + k%10)
		k /= 10
	}
	return append(buf, d[:]...)
}

// RandomData returns n bytes of value as redis-benchmark generates them
// (genBenchmarkRandomData: a linear congruential generator from 1234,
// '0' plus 6 bits of state), so both tools send the same payload.
func RandomData(n int) []byte {
	var state uint32 = 1234
	b := make([]byte, n)
	for i := range b {
		state = state*1103515245 + 12345
		b[i] = '0' + byte((state>>16)&63)
	}
	return b
}

// SuiteNames lists redis-benchmark's -t test names in the order it runs them.
var SuiteNames = []string{"ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush", "lpop",
	"rpop", "sadd", "hset", "spop", "zadd", "zpopmin", "lrange_100", "lrange_300", "lrange_500",
	"lrange_600", "mset"}

// SuiteOptions shapes the built-in tests.
type SuiteOptions struct {
	Tests      string // -t: comma separated names, "" for all
	RandomKeys bool   // -r (or a key range) given: expand __rand_int__; ZADD uses a random score
	Cluster    bool
}

// Suite returns the redis-benchmark tests selected by o.Tests, with the
// same titles and commands as Redis 7.0's redis-benchmark (its main()).
// -t names are matched case-insensitively; "ping" selects both PING tests
// and "lrange" all four LRANGE tests. An unknown name is an error.
func Suite(o SuiteOptions) ([]Test, error) {
	sel := map[string]bool{}
	if o.Tests != "" {
		known := map[string]bool{"ping": true, "lrange": true}
		for _, n := range SuiteNames {
			known[n] = true
		}
		for _, n := range strings.Split(strings.ToLower(o.Tests), ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if !known[n] {
				return nil, fmt.Errorf("unknown test %q in -t (known: %s)", n, strings.Join(SuiteNames, ", "))
			}
			sel[n] = true
		}
	}
	is := func(names ...string) bool {
		if o.Tests == "" {
			return true
		}
		for _, n := range names {
			if sel[n] {
				return true
			}
		}
		return false
	}
	tag := ""
	if o.Cluster {
		tag = ":" + Tag
	}
	// Without -r redis-benchmark sends __rand_int__ as it is: every
	// request hits the same key.
	sub := Substitution{RandInt: o.RandomKeys, Cluster: o.Cluster}
	cmd := func(words ...string) *Template { return withData(words, sub) }
	var ts []Test
	add := func(title string, t *Template) { ts = append(ts, Test{Title: title, Commands: []*Template{t}}) }
	if is("ping_inline", "ping") {
		add("PING_INLINE", inline("PING"))
	}
	if is("ping_mbulk", "ping") {
		add("PING_MBULK", cmd("PING"))
	}
	if is("set") {
		add("SET", cmd("SET", "key"+tag+":"+RandInt, dataWord))
	}
	if is("get") {
		add("GET", cmd("GET", "key"+tag+":"+RandInt))
	}
	if is("incr") {
		add("INCR", cmd("INCR", "counter"+tag+":"+RandInt))
	}
	if is("lpush") {
		add("LPUSH", cmd("LPUSH", "mylist"+tag, dataWord))
	}
	if is("rpush") {
		add("RPUSH", cmd("RPUSH", "mylist"+tag, dataWord))
	}
	if is("lpop") {
		add("LPOP", cmd("LPOP", "mylist"+tag))
	}
	if is("rpop") {
		add("RPOP", cmd("RPOP", "mylist"+tag))
	}
	if is("sadd") {
		add("SADD", cmd("SADD", "myset"+tag, "element:"+RandInt))
	}
	if is("hset") {
		add("HSET", cmd("HSET", "myhash"+tag, "element:"+RandInt, dataWord))
	}
	if is("spop") {
		add("SPOP", cmd("SPOP", "myset"+tag))
	}
	if is("zadd") {
		score := "0"
		if o.RandomKeys {
			score = RandInt
		}
		add("ZADD", cmd("ZADD", "myzset"+tag, score, "element:"+RandInt))
	}
	if is("zpopmin") {
		add("ZPOPMIN", cmd("ZPOPMIN", "myzset"+tag))
	}
	if is("lrange", "lrange_100", "lrange_300", "lrange_500", "lrange_600") {
		add("LPUSH (needed to benchmark LRANGE)", cmd("LPUSH", "mylist"+tag, dataWord))
	}
	// Redis 7.0 titles LRANGE_500 "first 450 elements" and reads 0..449;
	// copied as is so that results line up with redis-benchmark's.
	for _, l := range []struct{ name, title, stop string }{
		{"lrange_100", "LRANGE_100 (first 100 elements)", "99"},
		{"lrange_300", "LRANGE_300 (first 300 elements)", "299"},
		{"lrange_500", "LRANGE_500 (first 450 elements)", "449"},
		{"lrange_600", "LRANGE_600 (first 600 elements)", "599"},
	} {
		if is("lrange", l.name) {
			add(l.title, cmd("LRANGE", "mylist"+tag, "0", l.stop))
		}
	}
	if is("mset") {
		words := []string{"MSET"}
		for i := 0; i < 10; i++ {
			words = append(words, "key"+tag+":"+RandInt, dataWord)
		}
		add("MSET (10 keys)", cmd(words...))
	}
	return ts, nil
}

// dataWord marks the value argument of a built-in test.
const dataWord = "\x00data\x00"

func withData(words []string, sub Substitution) *Template {
	t := &Template{Name: words[0]}
	for _, w := range words {
		if w == dataWord {
			t.args = append(t.args, arg{pieces: []piece{{kind: pieceData}}})
			continue
		}
		t.args = append(t.args, parseArg(w, sub, t))
	}
	t.finish()
	return t
}

// inline returns a template sent in the inline protocol ("PING\r\n"), as
// redis-benchmark's PING_INLINE.
func inline(cmd string) *Template {
	return &Template{Name: cmd, static: []byte(cmd + "\r\n")}
}

// RatioTest returns the memtier-style mixed test: SET prefix+key value and
// GET prefix+key in the ratio sets:gets. In cluster mode keys carry a hash
// tag for the connection's node.
func RatioTest(sets, gets int, prefix string, cluster bool) Test {
	key := func() arg {
		ps := []piece{{kind: pieceLit, lit: []byte(prefix)}}
		if cluster {
			ps = append(ps, piece{kind: pieceTag})
		}
		return arg{pieces: append(ps, piece{kind: pieceKeyNum})}
	}
	lit := func(s string) arg { return makeArg([]piece{{kind: pieceLit, lit: []byte(s)}}) }
	set := &Template{Name: "SET", keyed: true, args: []arg{lit("SET"), key(), {pieces: []piece{{kind: pieceData}}}}}
	get := &Template{Name: "GET", keyed: true, args: []arg{lit("GET"), key()}}
	return Test{
		Title:    fmt.Sprintf("SET:GET %d:%d", sets, gets),
		Commands: []*Template{set, get},
		Weights:  []int{sets, gets},
	}
}
