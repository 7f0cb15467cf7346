package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/librdb"
)

// Real RDB files (../shared/testdata/rdb, and more written by
// ../shared/tools/gen-corpus.sh) loaded by kv-server at start-up. A file
// Redis 7.0 loads must load into kv-server to the same content: compared
// key by key through commands (TYPE, OBJECT ENCODING, PEXPIRETIME, the
// whole value, DEBUG DIGEST-VALUE) with the canonical dump stored next to
// the file, and with a redis-server 7.0 that loaded the same file (DEBUG
// DIGEST, and for lists DEBUG OBJECT's ql_* fields and MEMORY USAGE). Then
// the round trip: kv-server saves, redis-check-rdb accepts the file, and
// redis-server loading it holds the same data, list nodes included.
//
// Files of RDB 11 and 12 (Redis 7.2, 7.4) and Valkey 9, which Redis 7.0
// refuses: kv-server reads every RDB version (DESIGN.md), so it loads them
// with the encodings Redis 7.0 gives the values (a 7.2 listpack set
// becomes an intset or a hash table). Their reference is what the source
// states they hold: librdb's decoding, which librdb's TestNewerVersions
// and TestHDT3213JSON check against the sources' statements, written as
// RDB 10 by kv-rdb convert --strict and loaded by redis-server 7.0. What
// Redis 7.0 cannot represent is refused rather than changed: hash field
// expiry (Redis 7.4) and module values (as Redis refuses a module it does
// not have). Corrupt files are refused: exit status 1 and "Fatal error
// loading the DB" with the reason.

// refusedByDesign is what Redis 7.0 cannot hold, with kv-server's reason.
var refusedByDesign = map[string]string{
	"field-ttl": "hash field expiry is not supported",
	"module":    "module",
}

// rdbFacts records what a file holds: its version and features (the
// kinds of its non-empty keys, "function", "module", "field-ttl").
type rdbFacts struct {
	librdb.NopVisitor
	version  int
	features map[string]bool
}

func (f *rdbFacts) Header(v int, _ bool) error {
	f.version = v
	return nil
}
func (f *rdbFacts) Function(*librdb.Function) error       { f.features["function"] = true; return nil }
func (f *rdbFacts) ModuleAux(*librdb.Module) error        { f.features["module"] = true; return nil }
func (f *rdbFacts) StringValue(*librdb.Key, []byte) error { f.features["string"] = true; return nil }
func (f *rdbFacts) ListElement(*librdb.Key, []byte) error { f.features["list"] = true; return nil }
func (f *rdbFacts) SetMember(*librdb.Key, []byte) error   { f.features["set"] = true; return nil }
func (f *rdbFacts) ZSetMember(*librdb.Key, []byte, float64) error {
	f.features["zset"] = true
	return nil
}
func (f *rdbFacts) StreamEntry(*librdb.Key, *librdb.StreamEntry) error {
	f.features["stream"] = true
	return nil
}
func (f *rdbFacts) StreamMeta(*librdb.Key, *librdb.StreamMeta) error {
	f.features["stream"] = true
	return nil
}
func (f *rdbFacts) ModuleValue(*librdb.Key, *librdb.Module) error {
	f.features["module"] = true
	return nil
}
func (f *rdbFacts) HashField(_ *librdb.Key, _, _ []byte, exp int64) error {
	f.features["hash"] = true
	if exp >= 0 {
		f.features["field-ttl"] = true
	}
	return nil
}

// readFacts decodes path; err is librdb's verdict on the file.
func readFacts(t *testing.T, path string) (*rdbFacts, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	facts := &rdbFacts{features: map[string]bool{}}
	return facts, librdb.NewDecoder(bufio.NewReader(f)).Decode(facts)
}

// keyDump is one key as the canonical dump describes it (shared/testdata
// README "Canonical dump format"), plus, for lists, DEBUG OBJECT's ql_*
// fields and MEMORY USAGE.
type keyDump struct {
	typ, enc string
	expire   int64
	length   int64
	canon    string
	digest   string // DEBUG DIGEST-VALUE
	ql       string
	memory   int64
}

// dataDump is a whole dataset, keyed by "<db> <hex key>".
type dataDump struct {
	keys   map[string]*keyDump
	digest string // DEBUG DIGEST; "" when unknown
	// functions is FUNCTION LIST WITHCODE as gen-corpus.sh writes it in
	// expected.txt: one sorted "#F library <name> <what> <value>" line per
	// engine, function and code, values quoted as redis-cli --no-raw.
	functions []string
}

func hexOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return hex.EncodeToString([]byte(s))
}

// readExpected reads the expected.txt and values.txt at prefix.
func readExpected(t *testing.T, prefix string) *dataDump {
	t.Helper()
	d := &dataDump{keys: map[string]*keyDump{}}
	ex, err := os.ReadFile(prefix + "expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ex), "\n") {
		if _, dg, ok := strings.Cut(line, "DEBUG DIGEST (whole dataset): "); ok && strings.HasPrefix(line, "# keys:") {
			d.digest = strings.TrimSpace(dg)
		}
		if strings.HasPrefix(line, "#F ") {
			d.functions = append(d.functions, line)
		}
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) != 8 {
			continue
		}
		k := &keyDump{typ: f[2], enc: f[3], digest: f[7]}
		k.expire, _ = strconv.ParseInt(f[4], 10, 64)
		k.length, _ = strconv.ParseInt(f[5], 10, 64)
		d.keys[f[0]+" "+f[1]] = k
	}
	vals, err := os.ReadFile(prefix + "values.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(vals), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if strings.HasPrefix(line, "#") || len(f) != 3 {
			continue
		}
		k := d.keys[f[0]+" "+f[1]]
		if k == nil {
			t.Fatalf("%svalues.txt: key %s not in expected.txt", prefix, f[1])
		}
		k.canon = f[2]
	}
	return d
}

// scoreHex is a score as the canonical dump writes it: the IEEE-754 bits.
func scoreHex(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "bad-score:" + s
	}
	return fmt.Sprintf("%016x", math.Float64bits(f))
}

// fields turns a RESP2 field/value array into a map.
func fields(v any) map[string]any {
	m := map[string]any{}
	a, _ := v.([]any)
	for i := 0; i+1 < len(a); i += 2 {
		if k, ok := a[i].(string); ok {
			m[k] = a[i+1]
		}
	}
	return m
}

func asList(v any) []any { a, _ := v.([]any); return a }

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return "nil"
	}
	return fmt.Sprint(v)
}

// streamCanon is the canonical form of XINFO STREAM key FULL COUNT 0.
func streamCanon(v any) (string, int64) {
	s := fields(v)
	n, _ := s["length"].(int64)
	tok := []string{"len=" + asString(s["length"]), "last=" + asString(s["last-generated-id"]),
		"maxdel=" + asString(s["max-deleted-entry-id"]), "added=" + asString(s["entries-added"]),
		"first=" + asString(s["recorded-first-entry-id"])}
	for _, e := range asList(s["entries"]) {
		ea := asList(e)
		if len(ea) != 2 {
			return "bad entry", n
		}
		fv := asList(ea[1])
		tok = append(tok, "E", asString(ea[0]), strconv.Itoa(len(fv)/2))
		for _, x := range fv {
			tok = append(tok, hexOrDash(asString(x)))
		}
	}
	type named struct {
		name string
		m    map[string]any
	}
	sortNamed := func(list []any) []named {
		var out []named
		for _, g := range list {
			m := fields(g)
			out = append(out, named{hexOrDash(asString(m["name"])), m})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out
	}
	for _, g := range sortNamed(asList(s["groups"])) {
		tok = append(tok, "G", g.name, "last="+asString(g.m["last-delivered-id"]), "read="+asString(g.m["entries-read"]),
			"pel="+asString(g.m["pel-count"]))
		for _, p := range asList(g.m["pending"]) {
			pa := asList(p)
			if len(pa) != 4 {
				return "bad pending entry", n
			}
			tok = append(tok, "P", asString(pa[0]), hexOrDash(asString(pa[1])), asString(pa[2]), asString(pa[3]))
		}
		for _, c := range sortNamed(asList(g.m["consumers"])) {
			tok = append(tok, "C", c.name, "pel="+asString(c.m["pel-count"]))
			for _, p := range asList(c.m["pending"]) {
				if pa := asList(p); len(pa) > 0 {
					tok = append(tok, asString(pa[0]))
				}
			}
		}
	}
	return strings.Join(tok, " "), n
}

// qlFields keeps DEBUG OBJECT's quicklist fields.
func qlFields(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "ql_") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// dumpServer reads a server's whole dataset through commands, as
// gen-corpus.sh's canonical dump does (it does so in Lua, which kv-server
// may not have).
func dumpServer(t *testing.T, addr string) *dataDump {
	t.Helper()
	ctx := context.Background()
	d := &dataDump{keys: map[string]*keyDump{}}
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
	defer admin.Close()
	info, err := admin.Info(ctx, "keyspace").Result()
	if err != nil {
		t.Fatalf("%s: INFO keyspace: %v", addr, err)
	}
	if d.digest, err = admin.Do(ctx, "DEBUG", "DIGEST").Text(); err != nil {
		t.Fatalf("%s: DEBUG DIGEST: %v", addr, err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		name, _, ok := strings.Cut(line, ":keys=")
		db, err := strconv.Atoi(strings.TrimPrefix(name, "db"))
		if !ok || err != nil {
			continue
		}
		dumpDB(t, ctx, addr, db, d)
	}
	libs, err := admin.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Slice()
	if err != nil {
		t.Fatalf("%s: FUNCTION LIST WITHCODE: %v", addr, err)
	}
	for _, l := range libs {
		lib, _ := l.([]any)
		var name string
		var lines []string
		for i := 0; i+1 < len(lib); i += 2 {
			switch v := lib[i+1].(type) {
			case string:
				switch lib[i] {
				case "library_name":
					name = cliRepr(v)
				case "engine":
					lines = append(lines, "engine "+cliRepr(v))
				case "library_code":
					lines = append(lines, "code "+cliRepr(v))
				}
			case []any:
				for _, f := range v {
					fields, _ := f.([]any)
					for j := 0; j+1 < len(fields); j += 2 {
						if fields[j] == "name" {
							lines = append(lines, "function "+cliRepr(fmt.Sprint(fields[j+1])))
						}
					}
				}
			}
		}
		for _, line := range lines {
			d.functions = append(d.functions, "#F library "+name+" "+line)
		}
	}
	sort.Strings(d.functions)
	return d
}

// cliRepr quotes s as redis-cli --no-raw does (sds.c sdscatrepr).
func cliRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func dumpDB(t *testing.T, ctx context.Context, addr string, db int, d *dataDump) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DB: db, PoolSize: 1, ReadTimeout: 30 * time.Second})
	defer c.Close()
	seen := map[string]bool{}
	var keys []string
	for cursor, n := uint64(0), 0; n < 1e6; n++ {
		ks, next, err := c.Scan(ctx, cursor, "", 1000).Result()
		if err != nil {
			t.Fatalf("%s: SCAN: %v", addr, err)
		}
		for _, k := range ks {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	types := make([]*redis.StatusCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
		}
		return nil
	}); err != nil {
		t.Fatalf("%s: TYPE: %v", addr, err)
	}
	type pending struct {
		k                            *keyDump
		enc, exp, dig, val, dbg, mem *redis.Cmd
	}
	ps := make([]pending, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			typ := types[i].Val()
			ps[i] = pending{k: &keyDump{typ: typ},
				enc: p.Do(ctx, "OBJECT", "ENCODING", k),
				exp: p.Do(ctx, "PEXPIRETIME", k),
				dig: p.Do(ctx, "DEBUG", "DIGEST-VALUE", k)}
			switch typ {
			case "string":
				ps[i].val = p.Do(ctx, "GET", k)
			case "list":
				ps[i].val = p.Do(ctx, "LRANGE", k, 0, -1)
				ps[i].dbg = p.Do(ctx, "DEBUG", "OBJECT", k)
				ps[i].mem = p.Do(ctx, "MEMORY", "USAGE", k)
			case "set":
				ps[i].val = p.Do(ctx, "SMEMBERS", k)
			case "zset":
				ps[i].val = p.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES")
			case "hash":
				ps[i].val = p.Do(ctx, "HGETALL", k)
			case "stream":
				ps[i].val = p.Do(ctx, "XINFO", "STREAM", k, "FULL", "COUNT", 0)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("%s: dumping db %d: %v", addr, db, err)
	}
	for i, key := range keys {
		p := ps[i]
		k := p.k
		k.enc = asString(p.enc.Val())
		k.expire, _ = p.exp.Val().(int64)
		if dg := asList(p.dig.Val()); len(dg) == 1 {
			k.digest = asString(dg[0])
		}
		var tok []string
		switch k.typ {
		case "string":
			s := asString(p.val.Val())
			tok, k.length = []string{hexOrDash(s)}, int64(len(s))
		case "list", "set":
			for _, e := range asList(p.val.Val()) {
				tok = append(tok, hexOrDash(asString(e)))
			}
			if k.typ == "set" {
				sort.Strings(tok)
			}
			k.length = int64(len(tok))
		case "zset":
			a := asList(p.val.Val())
			for j := 0; j+1 < len(a); j += 2 {
				tok = append(tok, hexOrDash(asString(a[j])), scoreHex(asString(a[j+1])))
			}
			k.length = int64(len(a) / 2)
		case "hash":
			a := asList(p.val.Val())
			var pairs [][2]string
			for j := 0; j+1 < len(a); j += 2 {
				pairs = append(pairs, [2]string{hexOrDash(asString(a[j])), hexOrDash(asString(a[j+1]))})
			}
			sort.Slice(pairs, func(a, b int) bool { return pairs[a][0] < pairs[b][0] })
			for _, pr := range pairs {
				tok = append(tok, pr[0], pr[1])
			}
			k.length = int64(len(pairs))
		case "stream":
			var s string
			s, k.length = streamCanon(p.val.Val())
			tok = []string{s}
		}
		k.canon = strings.Join(tok, " ")
		if p.dbg != nil {
			k.ql = qlFields(asString(p.dbg.Val()))
			k.memory, _ = p.mem.Val().(int64)
		}
		d.keys[strconv.Itoa(db)+" "+hexOrDash(key)] = k
	}
}

// compareDumps reports how got differs from want. Keys of want that
// expire within a minute are left out (the reference may be older than
// the load); want's ql and memory are compared when known.
func compareDumps(t *testing.T, what string, got, want *dataDump) {
	t.Helper()
	soon := time.Now().Add(time.Minute).UnixMilli()
	var diffs []string
	skipped := false
	names := make([]string, 0, len(want.keys))
	for name := range want.keys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w := want.keys[name]
		if w.expire >= 0 && w.expire < soon {
			skipped = true
			continue
		}
		g := got.keys[name]
		if g == nil {
			diffs = append(diffs, fmt.Sprintf("key %s (%s) missing", name, w.typ))
			continue
		}
		if g.typ != w.typ || w.enc != "" && g.enc != w.enc || g.expire != w.expire || g.length != w.length {
			diffs = append(diffs, fmt.Sprintf("key %s: %s %s expire %d len %d, want %s %s expire %d len %d",
				name, g.typ, g.enc, g.expire, g.length, w.typ, w.enc, w.expire, w.length))
		}
		if g.canon != w.canon {
			diffs = append(diffs, fmt.Sprintf("key %s: value %.300s\n    want %.300s", name, g.canon, w.canon))
		}
		if w.digest != "" && g.digest != w.digest {
			diffs = append(diffs, fmt.Sprintf("key %s: DEBUG DIGEST-VALUE %s, want %s", name, g.digest, w.digest))
		}
		if w.ql != "" && g.ql != w.ql {
			diffs = append(diffs, fmt.Sprintf("key %s: DEBUG OBJECT %s, want %s", name, g.ql, w.ql))
		}
		if w.memory != 0 && math.Abs(float64(g.memory-w.memory)) > 0.2*float64(w.memory) {
			diffs = append(diffs, fmt.Sprintf("key %s: MEMORY USAGE %d, want %d", name, g.memory, w.memory))
		}
	}
	for name, g := range got.keys {
		if want.keys[name] == nil {
			diffs = append(diffs, fmt.Sprintf("key %s (%s) not expected", name, g.typ))
		}
	}
	if g, w := strings.Join(got.functions, "\n"), strings.Join(want.functions, "\n"); g != w {
		diffs = append(diffs, fmt.Sprintf("function libraries:\n%s\n    want\n%s", g, w))
	}
	if !skipped && want.digest != "" && got.digest != want.digest {
		diffs = append(diffs, fmt.Sprintf("DEBUG DIGEST %s, want %s", got.digest, want.digest))
	}
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("... and %d more", len(diffs)-10))
	}
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

// startRefused starts kv-server on dir's dump.rdb, which it must refuse:
// exit status 1 within 20 s. It returns what the server logged.
func startRefused(t *testing.T, dir string) string {
	t.Helper()
	port := testutil.FreePort(t)
	cmd := exec.Command(testutil.Binary(t, "kv-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--dir", dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Fatalf("kv-server still running after 20 s with a file it must refuse:\n%s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("kv-server exit status %d, want 1:\n%s", code, out.String())
	}
	return out.String()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// rdbCase is one file to load.
type rdbCase struct {
	name     string
	path     string
	expected string // prefix of its expected.txt / values.txt, or ""
	redis    bool   // redis-server 7.0 loads it as it is
	// generated: expected.txt is gen-corpus.sh's, whose encodings are the
	// writing server's (an APPENDed string is raw there, embstr once
	// loaded); the live redis-server is the reference for encodings.
	generated bool
}

// writeDump copies the file at src into a new directory as dump.rdb.
func writeDump(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, src, dir)
	return dir
}

// checkFile loads tc into kv-server and checks the outcome against what
// the file holds (see the comment at the top of this file).
func checkFile(t *testing.T, tc rdbCase) {
	facts, decodeErr := readFacts(t, tc.path)
	var reasons []string
	for f := range facts.features {
		if r, ok := refusedByDesign[f]; ok {
			reasons = append(reasons, r)
		}
	}
	switch {
	case decodeErr != nil || !tc.redis && facts.version <= 10:
		// Corrupt, or refused by Redis 7.0 too (a module it lacks).
		if tc.redis {
			t.Fatalf("librdb refuses a file Redis 7.0 loads: %v", decodeErr)
		}
		out := startRefused(t, writeDump(t, tc.path))
		if !strings.Contains(out, "Fatal error loading the DB: ") {
			t.Errorf("no reason logged:\n%s", out)
		}
		t.Logf("refused as Redis 7.0 refuses it: %s", lastLine(out))
		return
	case len(reasons) > 0:
		out := startRefused(t, writeDump(t, tc.path))
		found := false
		for _, r := range reasons {
			found = found || strings.Contains(out, r)
		}
		if !found || !strings.Contains(out, "Fatal error loading the DB: ") {
			t.Errorf("refused without one of the reasons %q:\n%s", reasons, out)
		}
		t.Logf("refused as expected: %q", reasons)
		return
	}

	ref := tc.path
	if !tc.redis {
		// RDB 11/12, VALKEY080: the reference is librdb's reading of the
		// file written as RDB 10 for redis-server 7.0.
		ref = filepath.Join(t.TempDir(), "converted.rdb")
		out, err := exec.Command(testutil.Binary(t, "kv-rdb"), "convert", "--strict", "-o", ref, tc.path).CombinedOutput()
		if err != nil {
			t.Fatalf("kv-rdb convert: %v\n%s", err, out)
		}
	}
	kvDir, rsDir := writeDump(t, tc.path), writeDump(t, ref)
	kv := startWithFile(t, testutil.Binary(t, "kv-server"), kvDir, "--save", "")
	rs := startWithFile(t, testutil.Program(t, "redis-server"), rsDir, "--save", "")
	got, fromRedis := dumpServer(t, kv.Addr()), dumpServer(t, rs.Addr())
	if !tc.redis {
		// The converted file's list nodes are librdb's, not the file's.
		for _, k := range fromRedis.keys {
			k.ql, k.memory = "", 0
		}
	}
	compareDumps(t, "kv-server vs redis-server", got, fromRedis)
	if tc.expected != "" {
		// The same comparison against the stored dump also checks that
		// dumpServer reads redis-server as gen-corpus.sh's Lua does.
		want := readExpected(t, tc.expected)
		if tc.generated {
			for _, k := range want.keys {
				k.enc = ""
			}
		}
		compareDumps(t, "redis-server vs expected.txt", fromRedis, want)
		compareDumps(t, "kv-server vs expected.txt", got, want)
	}

	// Round trip: kv-server's file, checked, loaded by redis-server.
	ctx := context.Background()
	kc := redis.NewClient(&redis.Options{Addr: kv.Addr(), Protocol: 2, PoolSize: 1})
	defer kc.Close()
	if err := kc.Do(ctx, "SAVE").Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
	saved := filepath.Join(kvDir, "dump.rdb")
	checkRDB(t, saved)
	copyFile(t, saved, rsDir)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr(), Protocol: 2, PoolSize: 1, ReadTimeout: 30 * time.Second})
	defer rc.Close()
	if err := rc.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
		t.Fatalf("redis-server DEBUG RELOAD NOSAVE of kv-server's file: %v", err)
	}
	compareDumps(t, "redis-server loading kv-server's file", dumpServer(t, rs.Addr()), got)
	t.Logf("loaded %d keys as redis-server does; saved and reloaded by redis-server", len(got.keys))
}

// publicCases lists the public files (one of each set of identical
// copies) and the redis-7.0 corpus of the shared test data.
func publicCases(t *testing.T, root string) []rdbCase {
	dir := filepath.Join(root, "public")
	raw, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	var cases []rdbCase
	var col map[string]int
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Split(line, "\t")
		if col == nil {
			col = map[string]int{}
			for i, name := range f {
				col[name] = i
			}
			continue
		}
		if len(f) != len(col) || f[col["same_bytes_as"]] != "" {
			continue
		}
		name := f[col["file"]]
		tc := rdbCase{name: name, path: filepath.Join(dir, name), redis: f[col["server_7.0.15"]] == "loaded"}
		if tc.redis {
			tc.expected = tc.path + "."
		}
		cases = append(cases, tc)
	}
	if len(cases) < 70 {
		t.Fatalf("MANIFEST.tsv lists %d distinct files; the shared test data is incomplete", len(cases))
	}
	corpus := filepath.Join(root, "redis-7.0")
	for _, name := range []string{"dump.rdb", "dump-lfu.rdb", "dump-lru.rdb"} {
		cases = append(cases, rdbCase{name: "redis-7.0/" + name, path: filepath.Join(corpus, name),
			expected: corpus + "/", redis: true, generated: true})
	}
	return cases
}

// TestRDBFiles loads every public RDB file, the redis-7.0 corpus and two
// corpora written now by gen-corpus.sh into kv-server (see the top of the
// file).
func TestRDBFiles(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "rdb")
	// More real files: gen-corpus.sh runs beside the public files (it
	// mostly waits for its servers).
	type corpus struct {
		dir string
		err error
		out []byte
	}
	seeds := []int{11, 12}
	corpora := make([]corpus, len(seeds))
	var wg sync.WaitGroup
	for i, seed := range seeds {
		wg.Add(1)
		corpora[i].dir = t.TempDir()
		go func(c *corpus, seed, port int) {
			defer wg.Done()
			cmd := exec.Command(filepath.Join(root, "..", "..", "tools", "gen-corpus.sh"), strconv.Itoa(seed), c.dir, "200")
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
			c.out, c.err = cmd.CombinedOutput()
		}(&corpora[i], seed, testutil.FreePort(t))
	}
	t.Run("public", func(t *testing.T) {
		for _, tc := range publicCases(t, root) {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkFile(t, tc)
			})
		}
	})
	wg.Wait()
	for i, c := range corpora {
		if c.err != nil {
			t.Fatalf("gen-corpus.sh %d: %v\n%s", seeds[i], c.err, c.out)
		}
	}
	t.Run("corpus", func(t *testing.T) {
		var cases []rdbCase
		for i, c := range corpora {
			cases = append(cases, rdbCase{name: fmt.Sprintf("seed %d", seeds[i]), path: filepath.Join(c.dir, "dump.rdb"),
				expected: c.dir + "/", redis: true, generated: true})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkFile(t, tc)
			})
		}
	})
}
