// Package compat holds kvkit's compatibility tests: the same command
// sequences sent to kv-server and to a real redis-server 7.0, replies
// compared byte for byte, in RESP2 and RESP3.
package compat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"

	"github.com/kvkit/kvkit/internal/sds"
)

// pair is a kv-server and a redis-server started with the same directives.
type pair struct {
	kv, redis *testutil.Server
	password  string // requirepass, when the pair was started with one
}

var serverArgs = []string{"--enable-debug-command", "yes"}

func startPair(t *testing.T, extra ...string) *pair {
	t.Helper()
	args := append(append([]string{}, serverArgs...), extra...)
	p := &pair{kv: testutil.StartKV(t, args...), redis: testutil.StartRedis(t, args...)}
	for i, a := range extra {
		if a == "--requirepass" && i+1 < len(extra) {
			p.password = extra[i+1]
		}
	}
	return p
}

// session is one connection to each server of a pair.
type session struct {
	t         *testing.T
	kv, redis *resptest.Conn
}

func (p *pair) session(t *testing.T, proto int) *session {
	t.Helper()
	kv, err := resptest.Dial(p.kv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rd, err := resptest.Dial(p.redis.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close(); rd.Close() })
	s := &session{t: t, kv: kv, redis: rd}
	if proto == 3 {
		s.do(compareSkip, "HELLO", "3")
	}
	return s
}

// comparison modes for one command's replies.
type compareMode int

const (
	compareExact  compareMode = iota
	compareSorted             // aggregate elements compared as a sorted list
	compareSkip               // sent to both, replies not compared
	compareMap                // a map or flat name/value array compared as a set of pairs
	compareTime               // integer replies derived from the clock: equal within timeSlack
)

// timeSlack bounds how far apart the two servers' clocks-derived integers
// (TTL, PEXPIRETIME after a relative expire) may be: commands reach the
// servers a few milliseconds apart.
const timeSlack = 1500

// do sends args to both servers and compares the replies; it returns
// kv-server's reply.
func (s *session) do(mode compareMode, args ...string) []byte {
	s.t.Helper()
	a, err := s.kv.Do(args...)
	if err != nil {
		s.t.Fatalf("kv-server: %q: %v", args, err)
	}
	b, err := s.redis.Do(args...)
	if err != nil {
		s.t.Fatalf("redis-server: %q: %v", args, err)
	}
	switch mode {
	case compareSkip:
		return a
	case compareSorted:
		a, b = sortedElements(s.t, a, 1), sortedElements(s.t, b, 1)
	case compareMap:
		a, b = sortedElements(s.t, a, 2), sortedElements(s.t, b, 2)
	case compareTime:
		if closeInts(a, b) {
			return a
		}
	}
	if !bytes.Equal(a, b) {
		s.t.Errorf("%s:\n%s", quoteArgs(args), showDiff(a, b))
	}
	return a
}

// closeInts reports whether a and b are integer replies within timeSlack
// of each other (for ms) or 2 (for seconds, values below 10^7).
func closeInts(a, b []byte) bool {
	if len(a) < 3 || len(b) < 3 || a[0] != ':' || b[0] != ':' {
		return false
	}
	x, err1 := strconv.ParseInt(string(a[1:len(a)-2]), 10, 64)
	y, err2 := strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
	if err1 != nil || err2 != nil || (x < 0) != (y < 0) {
		return false
	}
	slack := int64(timeSlack)
	if x < 1e7 && x > -1e7 {
		slack = 2
	}
	return x-y <= slack && y-x <= slack
}

// showDiff prints both replies around their first difference.
func showDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(i-60, 0)
	cut := func(x []byte) []byte { return x[from:min(len(x), i+100)] }
	return fmt.Sprintf("  first difference at byte %d of %d/%d\n  kv-server:    ...%q\n  redis-server: ...%q",
		i, len(a), len(b), cut(a), cut(b))
}

// sortedElements sorts an aggregate's elements in groups of n (n = 2 keeps
// map pairs together).
func sortedElements(t *testing.T, raw []byte, n int) []byte {
	hdr, elems, err := resptest.Elements(raw)
	if err != nil {
		t.Fatalf("splitting %q: %v", raw, err)
	}
	var groups [][]byte
	for i := 0; i+n <= len(elems); i += n {
		groups = append(groups, bytes.Join(elems[i:i+n], nil))
	}
	sort.Slice(groups, func(i, j int) bool { return bytes.Compare(groups[i], groups[j]) < 0 })
	return append(hdr, bytes.Join(groups, nil)...)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// runScript runs a testdata/diff script: one command per line, split as
// redis-cli and inline commands split them (quotes and \x escapes); "#"
// starts a comment; a line may start with "@sort" (compare an aggregate's
// elements in sorted order), "@map" (compare a map's pairs in sorted
// order) or "@skip" (do not compare, e.g. TIME).
func runScript(t *testing.T, s *session, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mode := compareExact
		if rest, ok := strings.CutPrefix(line, "@sort "); ok {
			mode, line = compareSorted, rest
		} else if rest, ok := strings.CutPrefix(line, "@skip "); ok {
			mode, line = compareSkip, rest
		} else if rest, ok := strings.CutPrefix(line, "@map "); ok {
			mode, line = compareMap, rest
		}
		parts, err := sds.SplitArgs([]byte(line))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n+1, err)
		}
		args := make([]string, len(parts))
		for i, p := range parts {
			args[i] = string(p)
		}
		s.do(mode, args...)
	}
}

// TestDiffScripts runs every testdata/diff/*.txt script against both
// servers, in RESP2 and RESP3, from an empty dataset.
func TestDiffScripts(t *testing.T) {
	runScripts(t, "testdata/diff/*.txt")
}

// TestDiffScriptsRequirepass runs the testdata/auth/*.txt scripts against
// a pair started with requirepass: each session starts unauthenticated
// (so the RESP3 run's opening HELLO 3 fails and the script's own commands
// decide the protocol).
func TestDiffScriptsRequirepass(t *testing.T) {
	runScripts(t, "testdata/auth/*.txt", "--requirepass", "secret")
}

// runScripts runs the scripts matching pattern on one pair started with
// extra directives, each in RESP2 and RESP3, after a FLUSHALL, then
// compares DEBUG DIGEST.
func runScripts(t *testing.T, pattern string, extra ...string) {
	scripts, err := filepath.Glob(pattern)
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts match %s: %v", pattern, err)
	}
	p := startPair(t, extra...)
	baseline := p.config(t)
	for _, path := range scripts {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/RESP%d", filepath.Base(path), proto), func(t *testing.T) {
				s := p.session(t, proto)
				s.do(compareExact, "FLUSHALL")
				runScript(t, s, path)
				s.do(compareExact, "DEBUG", "DIGEST")
			})
			p.restoreConfig(t, baseline)
		}
	}
}

// config returns kv-server's CONFIG GET * as a map.
func (p *pair) config(t *testing.T) map[string]string {
	t.Helper()
	c := p.dial(t, p.kv.Addr())
	defer c.Close()
	raw, err := c.Do("CONFIG", "GET", "*")
	if err != nil {
		t.Fatal(err)
	}
	_, elems, err := resptest.Elements(raw)
	if err != nil {
		t.Fatalf("CONFIG GET *: %v", err)
	}
	m := map[string]string{}
	for i := 0; i+1 < len(elems); i += 2 {
		m[bulk(t, elems[i])] = bulk(t, elems[i+1])
	}
	return m
}

// restoreConfig sets back, on both servers, every parameter a script
// changed, so that scripts do not see each other's settings (a changed
// encoding threshold alters later scripts' encodings and dict sizes).
func (p *pair) restoreConfig(t *testing.T, baseline map[string]string) {
	t.Helper()
	for name, v := range p.config(t) {
		if base, ok := baseline[name]; ok && base != v {
			for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
				c := p.dial(t, addr)
				if r := mustDo(t, c, "CONFIG", "SET", name, base); r != "+OK\r\n" {
					t.Errorf("restoring %s to %q: %q", name, base, r)
				}
				c.Close()
			}
		}
	}
}

// dial connects to one server of the pair, authenticated.
func (p *pair) dial(t *testing.T, addr string) *resptest.Conn {
	c := dial(t, addr)
	if p.password != "" {
		mustDo(t, c, "AUTH", p.password)
	}
	return c
}
