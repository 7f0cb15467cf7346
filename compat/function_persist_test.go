package compat

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/testutil"
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
