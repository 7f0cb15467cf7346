package compat

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/libaof"
)

// Function libraries in kv-server's files: the RDB (FUNCTION2 records
// before the keys) and the AOF's RDB preamble, loaded back by kv-server
// and by redis-server 7.0 with the same FUNCTION LIST.

var persistLibs = []string{
	"#!lua name=alib\nredis.register_function('a_get', function(keys, args) return redis.call('GET', keys[1]) end)\n" +
		"redis.register_function{function_name='a_ro', callback=function(keys, args) return 1 end, flags={'no-writes'}, description='read only'}",
	"#!lua name=blib\nlocal function b(keys, args) return args[1] end\nredis.register_function('b_echo', b)",
}

func TestFunctionsInRDBAndAOF(t *testing.T) {
	kdir := t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir, "--appendfsync", "no")
	c := dial(t, kv.srv.Addr())
	for _, code := range persistLibs {
		mustDo(t, c, "FUNCTION", "LOAD", code)
	}
	mustDo(t, c, "SET", "k", "v")
	if got := mustDo(t, c, "BGREWRITEAOF"); got != "+Background append only file rewriting started\r\n" {
		t.Fatalf("BGREWRITEAOF: %q", got)
	}
	if !waitFor(30*time.Second, func() bool { return infoField(t, c, "persistence", "aof_rewrite_in_progress") == "0" }) {
		t.Fatal("rewrite still in progress after 30s")
	}
	// One more library after the rewrite: it goes to the INCR file.
	mustDo(t, c, "FUNCTION", "LOAD", "#!lua name=clib\nredis.register_function('c_one', function() return 1 end)")
	want := dumpServer(t, kv.srv.Addr())
	if len(want.functions) != 10 {
		t.Fatalf("kv-server's FUNCTION LIST before saving: %q", want.functions)
	}
	// DEBUG RELOAD saves, flushes the keys and the libraries, and loads.
	mustDo(t, c, "DEBUG", "RELOAD")
	compareDumps(t, "kv-server after DEBUG RELOAD", dumpServer(t, kv.srv.Addr()), want)
	if r := mustDo(t, c, "FCALL", "b_echo", "0", "hi"); r != "$2\r\nhi\r\n" {
		t.Fatalf("FCALL after DEBUG RELOAD: %q", r)
	}
	mustDo(t, c, "SAVE")
	kv.stop()
	for _, bin := range []string{testutil.Program(t, "redis-server"), testutil.Binary(t, "kv-server")} {
		dir := t.TempDir()
		copyTree(t, filepath.Join(kdir, "appendonlydir"), filepath.Join(dir, "appendonlydir"))
		r := runAOF(t, bin, dir)
		if r.srv == nil {
			t.Fatalf("%s refused kv-server's AOF:\n%s", bin, r.out)
		}
		compareDumps(t, filepath.Base(bin)+" loading kv-server's AOF", dumpServer(t, r.srv.Addr()), want)
		r.stop()

		dir = t.TempDir()
		copyFile(t, filepath.Join(kdir, "dump.rdb"), dir)
		srv := startWithFile(t, bin, dir, "--save", "")
		compareDumps(t, filepath.Base(bin)+" loading kv-server's RDB", dumpServer(t, srv.Addr()), want)
	}
}

// baseCommands reads the BASE file of an AOF directory: its name, its
// first line, the count of each command name (the batches are Redis's,
// so the counts must not depend on element order), and, sorted, every
// command whose bytes do not depend on the order of a set, hash or sorted
// set (all but SADD, HMSET and ZADD).
func baseCommands(t *testing.T, aofDir string) (name, first string, counts map[string]int, fixed []string) {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(aofDir, "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(m), "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[5] == "b" {
			name = f[1]
		}
	}
	b, err := os.ReadFile(filepath.Join(aofDir, name))
	if err != nil {
		t.Fatalf("manifest %q: %v", m, err)
	}
	first, _, _ = strings.Cut(string(b), "\r\n")
	counts = map[string]int{}
	r := libaof.NewReader(bytes.NewReader(b), 0)
	for i := 0; i < 1e6; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Kind != libaof.Command {
			continue
		}
		cmd := strings.ToUpper(string(rec.Args[0]))
		counts[cmd]++
		if cmd != "SADD" && cmd != "HMSET" && cmd != "ZADD" {
			fixed = append(fixed, fmt.Sprintf("%q", rec.Args))
		}
	}
	sort.Strings(fixed)
	return name, first, counts, fixed
}

// TestAOFRESPBase: with aof-use-rdb-preamble no the BASE is RESP commands
// in Redis 7.0's form (the same command counts as redis-server's own
// rewrite of the same data), and both servers load it.
func TestAOFRESPBase(t *testing.T) {
	kdir := t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir, "--appendfsync", "no", "--aof-use-rdb-preamble", "no",
		"--aof-timestamp-enabled", "yes")
	c := dial(t, kv.srv.Addr())
	if name, _, _, _ := baseCommands(t, filepath.Join(kdir, "appendonlydir")); name != "appendonly.aof.1.base.aof" {
		t.Fatalf("BASE at start %q, want appendonly.aof.1.base.aof", name)
	}
	fillStrings(t, c, 5)
	for _, code := range persistLibs {
		mustDo(t, c, "FUNCTION", "LOAD", code)
	}
	mustDo(t, c, "SELECT", "9") // where fillStrings put its streams
	if r := mustDo(t, c, "XGROUP", "CREATECONSUMER", "x:big", "grp", "idle"); r != ":1\r\n" {
		t.Fatalf("XGROUP CREATECONSUMER: %q", r)
	}
	mustDo(t, c, "ZADD", "z:inf", "-inf", "a", "-0", "b", "1e300", "c")
	rewrite := func(c *resptest.Conn) {
		t.Helper()
		if got := mustDo(t, c, "BGREWRITEAOF"); got != "+Background append only file rewriting started\r\n" {
			t.Fatalf("BGREWRITEAOF: %q", got)
		}
		if !waitFor(30*time.Second, func() bool { return infoField(t, c, "persistence", "aof_rewrite_in_progress") == "0" }) {
			t.Fatal("rewrite still in progress after 30s")
		}
		if st := infoField(t, c, "persistence", "aof_last_bgrewrite_status"); st != "ok" {
			t.Fatalf("aof_last_bgrewrite_status %s", st)
		}
	}
	rewrite(c)
	want := digest(t, c)
	wantDump := dumpServer(t, kv.srv.Addr())
	for _, k := range wantDump.keys {
		// Commands rebuild values in the encodings they choose (a
		// skiplist made small again comes back a listpack, in Redis too).
		k.enc, k.ql, k.memory = "", "", 0
	}
	kv.stop()
	name, first, counts, fixed := baseCommands(t, filepath.Join(kdir, "appendonlydir"))
	if name != "appendonly.aof.2.base.aof" || !strings.HasPrefix(first, "#TS:") {
		t.Fatalf("BASE %s starts with %q, want appendonly.aof.2.base.aof and a #TS: annotation", name, first)
	}
	out, err := exec.Command(testutil.Program(t, "redis-check-aof"), filepath.Join(kdir, "appendonlydir", "appendonly.aof.manifest")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("is valid")) {
		t.Errorf("redis-check-aof: %v\n%s", err, out)
	}
	for _, bin := range []string{testutil.Program(t, "redis-server"), testutil.Binary(t, "kv-server")} {
		dir := t.TempDir()
		copyTree(t, filepath.Join(kdir, "appendonlydir"), filepath.Join(dir, "appendonlydir"))
		r := runAOF(t, bin, dir, "--aof-use-rdb-preamble", "no")
		if r.srv == nil {
			t.Fatalf("%s refused kv-server's RESP BASE:\n%s", bin, r.out)
		}
		rc := dial(t, r.srv.Addr())
		if got := digest(t, rc); got != want {
			t.Errorf("%s: digest %s, kv-server had %s", filepath.Base(bin), got, want)
		}
		compareDumps(t, filepath.Base(bin)+" loading kv-server's RESP BASE", dumpServer(t, r.srv.Addr()), wantDump)
		if filepath.Base(bin) == "redis-server" {
			// redis-server's own rewrite of the same data.
			rewrite(rc)
			_, _, rcounts, rfixed := baseCommands(t, filepath.Join(dir, "appendonlydir"))
			if fmt.Sprint(rcounts) != fmt.Sprint(counts) {
				t.Errorf("BASE commands %v, redis-server's rewrite %v", counts, rcounts)
			}
			t.Logf("BASE commands as redis-server's rewrite: %v", counts)
			if g, w := strings.Join(fixed, "\n"), strings.Join(rfixed, "\n"); g != w {
				i := 0
				for i < min(len(fixed), len(rfixed)) && fixed[i] == rfixed[i] {
					i++
				}
				t.Errorf("BASE commands differ from redis-server's rewrite from sorted command %d:\n%.500s\nwant\n%.500s",
					i, strings.Join(fixed[i:], "\n"), strings.Join(rfixed[i:], "\n"))
			}
		}
		r.stop()
	}
}

// TestFunctionsDebugReloadAsRedis: DEBUG RELOAD empties the libraries
// before loading; NOFLUSH meets them again and fails, NOFLUSH MERGE
// replaces them — with redis-server's replies.
func TestFunctionsDebugReloadAsRedis(t *testing.T) {
	run := func(kind string) []string {
		srv := startServer(t, kind, "--save", "")
		c := dial(t, srv.Addr())
		var out []string
		for _, args := range [][]string{
			{"FUNCTION", "LOAD", persistLibs[1]},
			{"DEBUG", "RELOAD"},
			{"FCALL", "b_echo", "0", "x"},
			{"DEBUG", "RELOAD", "NOFLUSH"},
			{"DEBUG", "RELOAD", "NOFLUSH", "MERGE"},
			{"FCALL", "b_echo", "0", "y"},
			{"FUNCTION", "FLUSH"},
			{"DEBUG", "RELOAD", "NOSAVE"},
			{"FCALL", "b_echo", "0", "z"},
		} {
			out = append(out, strings.Join(args[:2], " ")+" -> "+strings.TrimSpace(mustDo(t, c, args...)))
		}
		return out
	}
	want, got := strings.Join(run("redis"), "\n"), strings.Join(run("kv"), "\n")
	if got != want {
		t.Fatalf("kv-server:\n%s\n\nredis-server:\n%s", got, want)
	}
}
