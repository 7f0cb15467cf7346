package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
)

// Compatibility tests against Redis 7.0.15's own programs, on every file
// of ../shared/testdata/rdb.

func testdataRDB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "rdb")
	if _, err := os.Stat(filepath.Join(dir, "public", "MANIFEST.tsv")); err != nil {
		t.Fatalf("test data missing: %v (want ../shared/testdata/rdb beside the repository)", err)
	}
	return dir
}

// manifest returns the rows of public/MANIFEST.tsv as column maps.
func manifest(t *testing.T, dir string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "public", "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var head []string
	var rows []map[string]string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		cols := strings.Split(l, "\t")
		if head == nil {
			head = cols
			continue
		}
		r := map[string]string{}
		for i, h := range head {
			if i < len(cols) {
				r[h] = cols[i]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// exitStatus runs cmd and returns its exit status and combined output.
func exitStatus(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	return 0, string(out)
}

// TestCheckAgreesWithRedisCheckRDB: kv-rdb check --max-version 10 gives the
// same verdict as redis-check-rdb 7.0 on every file, corrupt ones included.
func TestCheckAgreesWithRedisCheckRDB(t *testing.T) {
	dir := testdataRDB(t)
	kv := testutil.Binary(t, "kv-rdb")
	rcr := testutil.Program(t, "redis-check-rdb")
	files := []string{filepath.Join(dir, "redis-7.0", "dump.rdb"), filepath.Join(dir, "redis-7.0", "dump-lfu.rdb"), filepath.Join(dir, "redis-7.0", "dump-lru.rdb")}
	for _, r := range manifest(t, dir) {
		files = append(files, filepath.Join(dir, "public", r["file"]))
	}
	for _, f := range files {
		want, wout := exitStatus(t, exec.Command(rcr, f))
		if want != 0 {
			want = 1
		}
		got, gout := exitStatus(t, exec.Command(kv, "check", "--max-version", "10", f))
		if got != want {
			t.Errorf("%s: kv-rdb check exit %d, redis-check-rdb %d\nkv-rdb: %s\nredis-check-rdb: %s", f, got, want, gout, lastLines(wout, 3))
		}
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// expectedFile is what a canonical expected.txt states.
type expectedFile struct {
	keys   int
	digest string
	enc    map[string]string // "db\tkeyhex" -> encoding
	libs   []string
	lines  []string
}

func readExpectedFile(t *testing.T, path string) expectedFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e := expectedFile{enc: map[string]string{}}
	libs := map[string]bool{}
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "# keys: "):
			f := strings.Fields(l)
			e.keys, _ = strconv.Atoi(f[2])
			e.digest = f[len(f)-1]
		case strings.HasPrefix(l, "#F library "):
			name, _ := strconv.Unquote(strings.Fields(l)[2])
			libs[name] = true
		case strings.HasPrefix(l, "#"), l == "":
		default:
			c := strings.Split(l, "\t")
			e.enc[c[0]+"\t"+c[1]] = c[3]
			e.lines = append(e.lines, l)
		}
	}
	for n := range libs {
		e.libs = append(e.libs, n)
	}
	sort.Strings(e.libs)
	return e
}

// redisCLI runs redis-cli against port and returns its trimmed output.
func redisCLI(t *testing.T, port int, args ...string) string {
	t.Helper()
	out, err := exec.Command(testutil.Program(t, "redis-cli"), append([]string{"-p", strconv.Itoa(port)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// encodingsScript returns db, hex(key), OBJECT ENCODING for every key of
// the selected database.
const encodingsScript = `local r = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local h = k:gsub('.', function(c) return string.format('%02x', c:byte()) end)
  if h == '' then h = '-' end
  r[#r+1] = h .. ' ' .. redis.call('OBJECT', 'ENCODING', k)
end
return r`

// zipmapBig holds hex keys of public files' zipmap hashes with values over
// 64 bytes.
var zipmapBig = map[string]bool{hex.EncodeToString([]byte("zipmap_with_big_values")): true}

// replayCheck replays `kv-rdb dump --format resp [extra] file` into the
// flushed server and compares with the canonical dump: key count, DEBUG
// DIGEST, every key's encoding, and the function libraries.
func replayCheck(t *testing.T, kv string, port int, file, expected string, generated bool, extra ...string) {
	t.Helper()
	want := readExpectedFile(t, expected)
	redisCLI(t, port, "FLUSHALL")
	redisCLI(t, port, "FUNCTION", "FLUSH")
	args := append([]string{"dump", "--format", "resp"}, extra...)
	dump := exec.Command(kv, append(args, file)...)
	pipe := exec.Command(testutil.Program(t, "redis-cli"), "-p", strconv.Itoa(port), "--pipe")
	var stderr bytes.Buffer
	dump.Stderr = &stderr
	r, err := dump.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	pipe.Stdin = r
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	out, perr := pipe.CombinedOutput()
	if err := dump.Wait(); err != nil {
		t.Errorf("%s: kv-rdb dump: %v %s", file, err, stderr.String())
		return
	}
	if perr != nil || !strings.Contains(string(out), "errors: 0,") {
		t.Errorf("%s: redis-cli --pipe: %v\n%s", file, perr, out)
		return
	}
	n := 0
	var encs []string
	for _, l := range strings.Split(redisCLI(t, port, "INFO", "keyspace"), "\n") {
		// db0:keys=3,expires=0,avg_ttl=0
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "db") {
			continue
		}
		db, _ := strconv.Atoi(l[2:strings.IndexByte(l, ':')])
		k, _ := strconv.Atoi(l[strings.Index(l, "keys=")+5 : strings.IndexByte(l, ',')])
		n += k
		for _, l := range strings.Split(redisCLI(t, port, "-n", strconv.Itoa(db), "EVAL", encodingsScript, "0"), "\n") {
			if l != "" {
				encs = append(encs, strconv.Itoa(db)+"\t"+strings.Replace(l, " ", "\t", 1))
			}
		}
	}
	if n != want.keys {
		t.Errorf("%s: %d keys after replay, expected.txt has %d", file, n, want.keys)
	}
	if d := redisCLI(t, port, "DEBUG", "DIGEST"); d != want.digest {
		t.Errorf("%s: DEBUG DIGEST %s, expected.txt %s", file, d, want.digest)
	}
	for _, e := range encs {
		c := strings.Split(e, "\t")
		w := want.enc[c[0]+"\t"+c[1]]
		// The generated corpus records the writer's encoding: strings made
		// by APPEND, SETRANGE ... were raw there. Redis 7.0 keeps a hash
		// loaded from a zipmap as a listpack even with values over
		// hash-max-listpack-value; commands and RESTORE of a fresh
		// payload give a hashtable.
		if c[2] != w && !(generated && c[2] == "embstr" && w == "raw") && !(c[2] == "hashtable" && w == "listpack" && zipmapBig[c[1]]) {
			kb, _ := hex.DecodeString(c[1])
			t.Errorf("%s: db %s key %q encoding %s, expected %s", file, c[0], kb, c[2], w)
		}
	}
	var libs []string
	for _, l := range strings.Split(redisCLI(t, port, "FUNCTION", "LIST"), "\n") {
		if l == "library_name" {
			libs = append(libs, "")
		} else if len(libs) > 0 && libs[len(libs)-1] == "" {
			libs[len(libs)-1] = l
		}
	}
	sort.Strings(libs)
	if strings.Join(libs, ",") != strings.Join(want.libs, ",") {
		t.Errorf("%s: function libraries %q, expected %q", file, libs, want.libs)
	}
}

// TestDumpRESPReplay: for every file Redis 7.0 loads, `kv-rdb dump --format
// resp | redis-cli --pipe` into a fresh redis-server 7.0 reproduces the
// canonical dump (same keys, DEBUG DIGEST, encodings, functions); and the
// same with --restore (RESTORE payloads).
func TestDumpRESPReplay(t *testing.T) {
	dir := testdataRDB(t)
	kv := testutil.Binary(t, "kv-rdb")
	port := testutil.FreePort(t)
	testutil.Start(t, port, testutil.Program(t, "redis-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
	gen := filepath.Join(dir, "redis-7.0")
	for _, extra := range [][]string{nil, {"--restore"}} {
		replayCheck(t, kv, port, filepath.Join(gen, "dump.rdb"), filepath.Join(gen, "expected.txt"), true, extra...)
		seen := map[string]bool{} // identical copies in several sources are checked once
		for _, r := range manifest(t, dir) {
			f := filepath.Join(dir, "public", r["file"])
			if _, err := os.Stat(f + ".expected.txt"); err != nil || seen[r["sha256"]] {
				continue
			}
			seen[r["sha256"]] = true
			replayCheck(t, kv, port, f, f+".expected.txt", false, extra...)
		}
	}
}

// TestConvertNewerVersions: every file Redis 7.0 cannot load because of its
// version (RDB 11, 12, VALKEY080) converts to RDB 10 that redis-check-rdb
// accepts, that redis-server 7.0 loads (DEBUG RELOAD), and that holds the
// same data (kv-rdb diff; module values are dropped).
func TestConvertNewerVersions(t *testing.T) {
	dir := testdataRDB(t)
	kv := testutil.Binary(t, "kv-rdb")
	rcr := testutil.Program(t, "redis-check-rdb")
	port := testutil.FreePort(t)
	srv := testutil.Start(t, port, testutil.Program(t, "redis-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--dbfilename", "conv.rdb")
	n := 0
	for _, r := range manifest(t, dir) {
		if !strings.Contains(r["check_rdb_error"], "Can't handle RDB format version") {
			continue
		}
		n++
		src := filepath.Join(dir, "public", r["file"])
		out := filepath.Join(srv.Dir, "conv.rdb")
		if st, o := exitStatus(t, exec.Command(kv, "convert", "--skip-modules", "-o", out, src)); st != 0 {
			t.Errorf("%s: convert exit %d: %s", r["file"], st, o)
			continue
		}
		if st, o := exitStatus(t, exec.Command(rcr, out)); st != 0 {
			t.Errorf("%s: redis-check-rdb rejects the converted file: %s", r["file"], lastLines(o, 3))
		}
		if st, o := exitStatus(t, exec.Command(kv, "diff", "--type", "string,list,set,zset,hash,stream", src, out)); st != 0 {
			t.Errorf("%s: converted data differs (exit %d):\n%s", r["file"], st, o)
		}
		if got := redisCLI(t, port, "DEBUG", "RELOAD", "NOSAVE"); got != "OK" {
			t.Errorf("%s: redis-server cannot load the converted file: %s", r["file"], got)
		}
	}
	if n < 10 {
		t.Fatalf("only %d newer-version files found", n)
	}
}

// TestDumpJSONMatchesContent: `dump --format json --escape print` of the
// Redis 7.0 corpus gives every string, list, set, hash and zset exactly as
// values.txt states it.
func TestDumpJSONMatchesContent(t *testing.T) {
	dir := filepath.Join(testdataRDB(t), "redis-7.0")
	kv := testutil.Binary(t, "kv-rdb")
	out, err := exec.Command(kv, "dump", "--format", "json", "--escape", "print", filepath.Join(dir, "dump.rdb")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var keys []struct {
		DB    int
		Key   string
		Type  string
		Value json.RawMessage
	}
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("json output does not parse: %v", err)
	}
	want := map[string]string{}
	vf, err := os.Open(filepath.Join(dir, "values.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	sc := bufio.NewScanner(vf)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if c := strings.SplitN(sc.Text(), "\t", 3); len(c) == 3 && !strings.HasPrefix(c[0], "#") {
			want[c[0]+"\t"+c[1]] = c[2]
		}
	}
	// print escaping maps each byte to the code point of the same value.
	bytesOf := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b
	}
	hx := func(s string) string {
		if s == "" {
			return "-"
		}
		return hex.EncodeToString(bytesOf(s))
	}
	checked := 0
	for _, k := range keys {
		var toks []string
		switch k.Type {
		case "string":
			var s string
			json.Unmarshal(k.Value, &s)
			toks = []string{hx(s)}
		case "list", "set":
			var l []string
			json.Unmarshal(k.Value, &l)
			for _, e := range l {
				toks = append(toks, hx(e))
			}
			if k.Type == "set" {
				sort.Strings(toks)
			}
		case "hash":
			var m map[string]string
			json.Unmarshal(k.Value, &m)
			fs := make([]string, 0, len(m))
			for f := range m {
				fs = append(fs, f)
			}
			sort.Slice(fs, func(i, j int) bool { return bytes.Compare(bytesOf(fs[i]), bytesOf(fs[j])) < 0 })
			for _, f := range fs {
				toks = append(toks, hx(f), hx(m[f]))
			}
		case "zset":
			var m map[string]any
			json.Unmarshal(k.Value, &m)
			type zm struct {
				m string
				s float64
			}
			var zs []zm
			for mem, s := range m {
				var f float64
				switch v := s.(type) {
				case float64:
					f = v
				case string:
					f = math.Inf(map[string]int{"+inf": 1, "-inf": -1}[v])
				}
				zs = append(zs, zm{mem, f})
			}
			sort.Slice(zs, func(i, j int) bool {
				if zs[i].s != zs[j].s {
					return zs[i].s < zs[j].s
				}
				return bytes.Compare(bytesOf(zs[i].m), bytesOf(zs[j].m)) < 0
			})
			for _, z := range zs {
				toks = append(toks, hx(z.m), fmt.Sprintf("%016x", math.Float64bits(z.s)))
			}
		default:
			continue
		}
		ref := strconv.Itoa(k.DB) + "\t" + hx(k.Key)
		if got := strings.Join(toks, " "); got != want[ref] {
			t.Errorf("key %q: json value %.200s, values.txt %.200s", bytesOf(k.Key), got, want[ref])
		}
		checked++
	}
	if checked < 1500 {
		t.Fatalf("only %d keys checked", checked)
	}
}
