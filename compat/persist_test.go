package compat

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// Persistence against redis-server 7.0: RDB files and DUMP payloads move
// both ways, corrupt files stop the server, saves are safe and BGSAVE is
// a point-in-time snapshot.

// fillStrings writes a mixed dataset: strings (integers of the shared
// range, 8, 16, 32 and 64 bit, short, long compressible and incompressible
// values, binary bytes, the empty string), expiries, keys in several
// databases, hashes, sets, sorted sets and lists in each of their
// encodings, and streams with consumer groups.
func fillStrings(t *testing.T, c *resptest.Conn, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, db := range []string{"0", "3", "9"} {
		mustDo(t, c, "SELECT", db)
		for i := 0; i < 300; i++ {
			k := "key:" + db + ":" + strconv.Itoa(i)
			var v string
			switch i % 8 {
			case 0:
				v = strconv.Itoa(rng.IntN(10000))
			case 1:
				v = strconv.FormatInt(rng.Int64N(1<<40)-1<<39, 10)
			case 2:
				v = strings.Repeat("ab", 10+rng.IntN(200))
			case 3:
				b := make([]byte, 30+rng.IntN(100))
				for j := range b {
					b[j] = byte(rng.IntN(256))
				}
				v = string(b)
			case 4:
				v = ""
			case 5:
				v = "007"
			default:
				v = "value-" + strconv.Itoa(i)
			}
			mustDo(t, c, "SET", k, v)
			if i%5 == 0 {
				mustDo(t, c, "PEXPIRE", k, strconv.Itoa(10000000+rng.IntN(1000000)))
			}
		}
	}
	mustDo(t, c, "SET", "big", strings.Repeat("x", 100000))
	// Hashes and sets in each of their encodings: listpack and hashtable
	// (many fields, or a long value); intset, a large intset, hashtable.
	mustDo(t, c, "HSET", "h:small", "f1", "v1", "f2", "12", "13", "v3")
	mustDo(t, c, "HSET", "h:long", "f", strings.Repeat("L", 100))
	mustDo(t, c, "SADD", "s:ints", "1", "-5", "300000", "9999999999")
	mustDo(t, c, "SADD", "s:strs", "a", "b", "1")
	for i := 0; i < 600; i++ {
		mustDo(t, c, "HSET", "h:big", "field:"+strconv.Itoa(i), strconv.Itoa(rng.IntN(1000)))
		mustDo(t, c, "SADD", "s:bigints", strconv.Itoa(i*7))
		mustDo(t, c, "SADD", "s:big", "member:"+strconv.Itoa(i))
	}
	mustDo(t, c, "PEXPIRE", "h:big", "100000000")
	// Sorted sets: a listpack (with a -0 score), a large skiplist and one
	// made small again; lists of several nodes.
	mustDo(t, c, "ZADD", "z:small", "-0", "a", "1.5", "b", "inf", "c")
	mustDo(t, c, "ZADD", "z:shrunk", "1", "a", "2", strings.Repeat("L", 100))
	mustDo(t, c, "ZREM", "z:shrunk", strings.Repeat("L", 100))
	for i := 0; i < 300; i++ {
		mustDo(t, c, "ZADD", "z:big", strconv.Itoa(rng.IntN(1000)), "member:"+strconv.Itoa(i))
		mustDo(t, c, "RPUSH", "l:big", strings.Repeat("v", rng.IntN(100)))
	}
	mustDo(t, c, "RPUSH", "l:small", "a", "1", "-7")
	// Streams: several nodes with tombstones, a group with pending
	// entries and consumers; an empty stream with a group.
	for i := 1; i <= 250; i++ {
		mustDo(t, c, "XADD", "x:big", strconv.Itoa(i)+"-1", "f", strconv.Itoa(rng.IntN(1000)), "g", "v")
		if i%7 == 0 {
			mustDo(t, c, "XDEL", "x:big", strconv.Itoa(i-3)+"-1")
		}
	}
	mustDo(t, c, "XGROUP", "CREATE", "x:big", "grp", "0")
	mustDo(t, c, "XREADGROUP", "GROUP", "grp", "alice", "COUNT", "5", "STREAMS", "x:big", ">")
	mustDo(t, c, "XREADGROUP", "GROUP", "grp", "bob", "COUNT", "3", "STREAMS", "x:big", ">")
	mustDo(t, c, "XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM")
	mustDo(t, c, "SELECT", "0")
}

func digest(t *testing.T, c *resptest.Conn) string {
	t.Helper()
	r := mustDo(t, c, "DEBUG", "DIGEST")
	if !strings.HasPrefix(r, "+") {
		t.Fatalf("DEBUG DIGEST: %q", r)
	}
	return strings.TrimSpace(r[1:])
}

// copyFile copies src into dir as dump.rdb.
func copyFile(t *testing.T, src, dir string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startWithFile starts bin (kv-server or redis-server) with dir, where its
// dump.rdb is, and waits until the dataset is loaded: both servers accept
// connections while they load.
func startWithFile(t *testing.T, bin, dir string, extra ...string) *testutil.Server {
	t.Helper()
	port := testutil.FreePort(t)
	srv := testutil.Start(t, port, bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--enable-debug-command", "yes"}, extra...)...)
	waitLoaded(t, srv)
	return srv
}

func waitLoaded(t *testing.T, srv *testutil.Server) {
	t.Helper()
	c := dial(t, srv.Addr())
	if !waitFor(30*time.Second, func() bool { return infoField(t, c, "persistence", "loading") == "0" }) {
		t.Fatalf("%s still loading after 30s", srv)
	}
}

// checkRDB runs redis-check-rdb, which must accept the file.
func checkRDB(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command(testutil.Program(t, "redis-check-rdb"), path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Errorf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

// TestPersistFilesBothWays saves the same dataset in kv-server (with the
// setting variants that change the bytes) and loads the file into
// redis-server, and the other way round; DEBUG DIGEST must agree.
func TestPersistFilesBothWays(t *testing.T) {
	for _, variant := range [][]string{
		nil,
		{"--rdbcompression", "no"},
		{"--rdbchecksum", "no"},
		{"--maxmemory-policy", "allkeys-lfu"},
		{"--maxmemory-policy", "allkeys-lru"},
	} {
		name := strings.Join(variant, " ")
		t.Run("kv-to-redis "+name, func(t *testing.T) {
			kv := testutil.StartKV(t, append([]string{"--enable-debug-command", "yes"}, variant...)...)
			c := dial(t, kv.Addr())
			fillStrings(t, c, 1)
			want := digest(t, c)
			if r := mustDo(t, c, "SAVE"); r != "+OK\r\n" {
				t.Fatalf("SAVE: %q", r)
			}
			path := filepath.Join(kv.Dir, "dump.rdb")
			checkRDB(t, path)
			// redis-server loads it from its own directory.
			dir := t.TempDir()
			copyFile(t, path, dir)
			rs := startWithFile(t, testutil.Program(t, "redis-server"), dir, "--save", "")
			rc := dial(t, rs.Addr())
			if got := digest(t, rc); got != want {
				t.Errorf("redis-server's digest of kv-server's file %s, kv-server's %s", got, want)
			}
			if intReply(t, rc, "DBSIZE") != intReply(t, c, "DBSIZE") {
				t.Error("DBSIZE differs")
			}
		})
		t.Run("redis-to-kv "+name, func(t *testing.T) {
			rs := testutil.StartRedis(t, append([]string{"--enable-debug-command", "yes"}, variant...)...)
			rc := dial(t, rs.Addr())
			fillStrings(t, rc, 2)
			want := digest(t, rc)
			mustDo(t, rc, "SAVE")
			dir := t.TempDir()
			copyFile(t, filepath.Join(rs.Dir, "dump.rdb"), dir)
			kv := startWithFile(t, testutil.Binary(t, "kv-server"), dir, "--save", "")
			c := dial(t, kv.Addr())
			if got := digest(t, c); got != want {
				t.Errorf("kv-server's digest of redis-server's file %s, redis-server's %s", got, want)
			}
			if got := infoField(t, c, "persistence", "rdb_last_load_keys_loaded"); got != "915" {
				t.Errorf("rdb_last_load_keys_loaded %s, want 915", got)
			}
		})
	}
}

// TestPersistRedisCorpus loads redis-server 7.0's string-only files and
// refuses the others with the reason.
func TestPersistCorruptAndUnsupported(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.rdb")
	{
		rs := testutil.StartRedis(t)
		rc := dial(t, rs.Addr())
		fillStrings(t, rc, 3)
		mustDo(t, rc, "SAVE")
		b, _ := os.ReadFile(filepath.Join(rs.Dir, "dump.rdb"))
		os.WriteFile(good, b, 0o644)
	}
	data, _ := os.ReadFile(good)
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x40
	rdbDir := "/work/shared/testdata/rdb/public/redis"
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(rdbDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		file    []byte
		wantLog string // "" : the server starts
	}{
		{"truncated", data[:len(data)*2/3], "unexpected end of file"},
		{"flipped byte", flipped, "Fatal error loading the DB"},
		{"bad checksum", append(bytes.Clone(data[:len(data)-8]), 1, 2, 3, 4, 5, 6, 7, 8), "wrong RDB checksum"},
		{"not an rdb", []byte("hello world, not an RDB file at all"), "Fatal error loading the DB"},
		{"corrupt ziplist", read("corrupt_ziplist.rdb"), "Fatal error loading the DB"},
		// Redis 7.0 loads these (the first skipping its empty keys): so
		// does kv-server, to the same DEBUG DIGEST.
		{"empty keys", read("corrupt_empty_keys.rdb"), ""},
		{"list", read("list-quicklist.rdb"), ""},
		{"hash ziplist", read("hash-ziplist.rdb"), ""},
		{"hash zipmap", read("hash-zipmap.rdb"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "dump.rdb"), tc.file, 0o644)
			port := testutil.FreePort(t)
			if tc.wantLog == "" {
				kv := startWithFile(t, testutil.Binary(t, "kv-server"), dir, "--save", "")
				rdir := t.TempDir()
				os.WriteFile(filepath.Join(rdir, "dump.rdb"), tc.file, 0o644)
				rs := startWithFile(t, testutil.Program(t, "redis-server"), rdir, "--save", "")
				c, rc := dial(t, kv.Addr()), dial(t, rs.Addr())
				if got, want := digest(t, c), digest(t, rc); got != want {
					t.Errorf("kv-server's digest %s, redis-server's %s", got, want)
				}
				if got, want := intReply(t, c, "DBSIZE"), intReply(t, rc, "DBSIZE"); got != want {
					t.Errorf("DBSIZE %d, redis-server %d", got, want)
				}
				return
			}
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
			case err := <-done:
				if err == nil {
					t.Fatalf("kv-server started with a bad file:\n%s", out.String())
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("kv-server still running with a bad file:\n%s", out.String())
			}
			if !strings.Contains(out.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, out.String())
			}
		})
	}
}

// TestPersistDumpRestoreBothWays moves every value of a dataset by DUMP
// and RESTORE from kv-server to redis-server and back.
func TestPersistDumpRestoreBothWays(t *testing.T) {
	kv := testutil.StartKV(t, "--enable-debug-command", "yes")
	rs := testutil.StartRedis(t, "--enable-debug-command", "yes")
	c, rc := dial(t, kv.Addr()), dial(t, rs.Addr())
	fillStrings(t, c, 4)
	want := digest(t, c)
	move := func(from, to *resptest.Conn) {
		for _, db := range []string{"0", "3", "9"} {
			mustDo(t, from, "SELECT", db)
			mustDo(t, to, "SELECT", db)
			keys := strings.Split(mustDo(t, from, "KEYS", "*"), "\r\n")
			for i := 2; i < len(keys); i += 2 {
				k := keys[i]
				p := bulk(t, []byte(mustDo(t, from, "DUMP", k)))
				ttl := strings.TrimSpace(mustDo(t, from, "PEXPIRETIME", k))[1:]
				if ttl == "-1" {
					ttl = "0"
				}
				if r := mustDo(t, to, "RESTORE", k, ttl, p, "ABSTTL", "REPLACE"); r != "+OK\r\n" {
					t.Fatalf("RESTORE %q: %q", k, r)
				}
			}
		}
	}
	// DEBUG DIGEST leaves consumer groups out: XINFO STREAM FULL shows
	// them, with absolute delivery and seen times (move leaves db 9,
	// where the streams are, selected).
	groups := func(c *resptest.Conn) string { return mustDo(t, c, "XINFO", "STREAM", "x:big", "FULL") }
	move(c, rc)
	if got := digest(t, rc); got != want {
		t.Fatalf("redis-server after RESTORE of kv-server's payloads: %s, want %s", got, want)
	}
	wantGroups := groups(c)
	if got := groups(rc); got != wantGroups {
		t.Fatalf("redis-server's stream after RESTORE:\n%q\nwant\n%q", got, wantGroups)
	}
	mustDo(t, c, "FLUSHALL")
	move(rc, c)
	if got := digest(t, c); got != want {
		t.Fatalf("kv-server after RESTORE of redis-server's payloads: %s, want %s", got, want)
	}
	if got := groups(c); got != wantGroups {
		t.Fatalf("kv-server's stream after RESTORE:\n%q\nwant\n%q", got, wantGroups)
	}
}

// TestPersistBgsavePointInTime runs BGSAVE while clients overwrite,
// delete, expire, create, move and swap keys; the file redis-server then
// loads must hold the dataset as it was when BGSAVE replied.
func TestPersistBgsavePointInTime(t *testing.T) {
	kv := testutil.StartKV(t, "--enable-debug-command", "yes", "--rdb-key-save-delay", "50")
	c := dial(t, kv.Addr())
	for _, db := range []string{"0", "1"} {
		mustDo(t, c, "SELECT", db)
		mustDo(t, c, "DEBUG", "POPULATE", "4000", "key", "20")
	}
	mustDo(t, c, "SELECT", "0")
	for i := 0; i < 4000; i += 7 {
		mustDo(t, c, "PEXPIRE", "key:"+strconv.Itoa(i), "100000000")
	}
	want := digest(t, c)
	if r := mustDo(t, c, "BGSAVE"); r != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", r)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc, err := resptest.Dial(kv.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer wc.Close()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for n := 0; n < 20000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := "key:" + strconv.Itoa(rng.IntN(4400))
				var args []string
				switch rng.IntN(9) {
				case 0:
					args = []string{"SET", k, "new"}
				case 1:
					args = []string{"DEL", k}
				case 2:
					args = []string{"PEXPIRE", k, "1"}
				case 3:
					args = []string{"APPEND", k, "+"}
				case 4:
					args = []string{"RENAME", k, "key:" + strconv.Itoa(rng.IntN(4400))}
				case 5:
					args = []string{"MOVE", k, "1"}
				case 6:
					args = []string{"SWAPDB", "0", "1"}
				case 7:
					args = []string{"SELECT", strconv.Itoa(rng.IntN(2))}
				default:
					args = []string{"EXPIRE", k, "500"}
				}
				if _, err := wc.Do(args...); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	ok := waitFor(60*time.Second, func() bool {
		return infoField(t, c, "persistence", "rdb_bgsave_in_progress") == "0"
	})
	close(stop)
	wg.Wait()
	if !ok {
		t.Fatal("BGSAVE did not end within 60s")
	}
	if s := infoField(t, c, "persistence", "rdb_last_bgsave_status"); s != "ok" {
		t.Fatalf("rdb_last_bgsave_status %s", s)
	}
	if digest(t, c) == want {
		t.Fatal("the writers changed nothing during the BGSAVE: the test proves nothing")
	}
	path := filepath.Join(kv.Dir, "dump.rdb")
	checkRDB(t, path)
	dir := t.TempDir()
	copyFile(t, path, dir)
	rs := startWithFile(t, testutil.Program(t, "redis-server"), dir, "--save", "")
	if got := digest(t, dial(t, rs.Addr())); got != want {
		t.Errorf("the snapshot's digest %s, the dataset's at BGSAVE %s", got, want)
	}
}

// TestPersistCommandsAgainstRedis compares the replies of the snapshot
// commands while a slow BGSAVE runs on both servers, MISCONF after a
// failed one, and FLUSHALL abandoning a BGSAVE.
func TestPersistCommandsAgainstRedis(t *testing.T) {
	p := startPair(t, "--rdb-key-save-delay", "2000", "--enable-protected-configs", "yes")
	s := p.session(t, 2)
	s.do(compareExact, "DEBUG", "POPULATE", "1000")
	s.do(compareExact, "BGSAVE", "NOW")
	s.do(compareExact, "BGSAVE")
	s.do(compareExact, "BGSAVE")
	s.do(compareExact, "BGSAVE", "SCHEDULE")
	s.do(compareExact, "SAVE")
	s.do(compareExact, "INFO", "nosuchsection")
	// FLUSHALL abandons the BGSAVE; with save points it saves the empty
	// dataset at once.
	s.do(compareExact, "CONFIG", "SET", "save", "3600 1")
	s.do(compareExact, "FLUSHALL")
	s.do(compareExact, "DBSIZE")
	for _, srv := range []*testutil.Server{p.kv, p.redis} {
		c := dial(t, srv.Addr())
		if !waitFor(10*time.Second, func() bool { return infoField(t, c, "persistence", "rdb_bgsave_in_progress") == "0" }) {
			t.Fatalf("%s: BGSAVE still running", srv)
		}
		if v := infoField(t, c, "persistence", "rdb_changes_since_last_save"); v != "0" {
			t.Errorf("%s: rdb_changes_since_last_save %s after FLUSHALL", srv, v)
		}
	}
	s.do(compareExact, "CONFIG", "SET", "rdb-key-save-delay", "0")
	s.do(compareExact, "SET", "a", "1")
	// A BGSAVE into a directory that has gone fails; writes then get
	// MISCONF, reads do not; PING too, as Redis 7.0.
	for _, srv := range []*testutil.Server{p.kv, p.redis} {
		c := dial(t, srv.Addr())
		gone := filepath.Join(srv.Dir, "gone")
		os.Mkdir(gone, 0o755)
		if r := mustDo(t, c, "CONFIG", "SET", "dir", gone); r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET dir: %q", srv, r)
		}
		os.Remove(gone)
		if r := mustDo(t, c, "BGSAVE"); r != "+Background saving started\r\n" {
			t.Fatalf("%s: BGSAVE: %q", srv, r)
		}
		if !waitFor(10*time.Second, func() bool {
			return infoField(t, c, "persistence", "rdb_last_bgsave_status") == "err"
		}) {
			t.Fatalf("%s: BGSAVE into a removed dir did not fail", srv)
		}
	}
	s.do(compareExact, "SET", "a", "2")
	s.do(compareExact, "GET", "a")
	s.do(compareExact, "PING")
	s.do(compareExact, "SAVE")
	// With save points, SHUTDOWN saves first; the save fails, so both
	// servers refuse to stop.
	s.do(compareExact, "SHUTDOWN")
	s.do(compareExact, "SHUTDOWN", "SAVE")
	s.do(compareExact, "GET", "a")
	s.do(compareExact, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
	s.do(compareExact, "SET", "a", "3")
	s.do(compareExact, "CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
	s.do(compareExact, "CONFIG", "SET", "save", "")
	s.do(compareExact, "SET", "a", "4")
	s.do(compareExact, "CONFIG", "SET", "save", "3600 1")
	s.do(compareExact, "DEL", "a")
	for _, srv := range []*testutil.Server{p.kv, p.redis} {
		if r := mustDo(t, dial(t, srv.Addr()), "CONFIG", "SET", "dir", srv.Dir); r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET dir: %q", srv, r)
		}
	}
	s.do(compareExact, "SAVE")
	s.do(compareExact, "SET", "a", "5")
	s.do(compareSkip, "LASTSAVE")
}

// TestPersistCrashAndShutdown: a SIGKILL during BGSAVE leaves the previous
// file whole; SIGTERM with save points saves; SHUTDOWN NOSAVE does not;
// the next start loads the file, answering -LOADING meanwhile.
func TestPersistCrashAndShutdown(t *testing.T) {
	dir := t.TempDir()
	start := func(extra ...string) *testutil.Server {
		port := testutil.FreePort(t)
		return testutil.Start(t, port, testutil.Binary(t, "kv-server"), append([]string{"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1", "--dir", dir, "--enable-debug-command", "yes"}, extra...)...)
	}
	kv := start("--save", "")
	c := dial(t, kv.Addr())
	mustDo(t, c, "DEBUG", "POPULATE", "3000")
	want := digest(t, c)
	mustDo(t, c, "SAVE")
	saved, _ := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	mustDo(t, c, "SET", "after", "save")
	mustDo(t, c, "CONFIG", "SET", "rdb-key-save-delay", "1000")
	mustDo(t, c, "BGSAVE")
	time.Sleep(200 * time.Millisecond)
	kv.Cmd.Process.Signal(syscall.SIGKILL)
	kv.Cmd.Wait()
	if now, _ := os.ReadFile(filepath.Join(dir, "dump.rdb")); !bytes.Equal(now, saved) {
		t.Fatal("dump.rdb changed by a BGSAVE killed half-way")
	}
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
	os.Remove(filepath.Join(dir, "temp-"+strconv.Itoa(kv.Cmd.Process.Pid)+".rdb"))

	// The restart loads it, slowly: -LOADING until it is done.
	kv = start("--save", "3600 1", "--key-load-delay", "300")
	c = dial(t, kv.Addr())
	if r := mustDo(t, c, "GET", "x"); r != "-LOADING Redis is loading the dataset in memory\r\n" {
		t.Errorf("GET while loading: %q", r)
	}
	if v := infoField(t, c, "persistence", "loading"); v != "1" {
		t.Errorf("loading:%s while loading", v)
	}
	infoField(t, c, "persistence", "loading_loaded_perc")
	if !waitFor(20*time.Second, func() bool { return infoField(t, c, "persistence", "loading") == "0" }) {
		t.Fatal("loading did not end")
	}
	if got := digest(t, c); got != want {
		t.Errorf("after restart digest %s, want %s", got, want)
	}
	// SIGTERM with save points saves first.
	mustDo(t, c, "SET", "at", "sigterm")
	kv.Stop()
	kv = start("--save", "")
	waitLoaded(t, kv)
	c = dial(t, kv.Addr())
	if r := mustDo(t, c, "GET", "at"); r != "$7\r\nsigterm\r\n" {
		t.Errorf("GET at after SIGTERM and restart: %q", r)
	}
	mustDo(t, c, "SET", "at", "nosave")
	c.Write([]byte("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n"))
	kv.Cmd.Wait()
	kv = start("--save", "")
	waitLoaded(t, kv)
	c = dial(t, kv.Addr())
	if r := mustDo(t, c, "GET", "at"); r != "$7\r\nsigterm\r\n" {
		t.Errorf("GET at after SHUTDOWN NOSAVE and restart: %q", r)
	}
	// SHUTDOWN SAVE saves without save points.
	mustDo(t, c, "SET", "at", "shutdown-save")
	c.Write([]byte("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n"))
	kv.Cmd.Wait()
	kv = start("--save", "")
	waitLoaded(t, kv)
	if r := mustDo(t, dial(t, kv.Addr()), "GET", "at"); r != "$13\r\nshutdown-save\r\n" {
		t.Errorf("GET at after SHUTDOWN SAVE and restart: %q", r)
	}
}

// TestPersistLZ4 writes the snapshot as an lz4 frame, which the next start
// recognises whatever rdb-compression-lz4 says.
func TestPersistLZ4(t *testing.T) {
	kv := testutil.StartKV(t, "--enable-debug-command", "yes", "--rdb-compression-lz4", "yes")
	c := dial(t, kv.Addr())
	fillStrings(t, c, 5)
	want := digest(t, c)
	mustDo(t, c, "BGSAVE")
	if !waitFor(10*time.Second, func() bool { return infoField(t, c, "persistence", "rdb_bgsave_in_progress") == "0" }) {
		t.Fatal("BGSAVE did not end")
	}
	b, _ := os.ReadFile(filepath.Join(kv.Dir, "dump.rdb"))
	if !bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4D, 0x18}) {
		t.Fatalf("dump.rdb starts with %q, not an lz4 frame", b[:min(len(b), 8)])
	}
	if r := mustDo(t, c, "CONFIG", "GET", "*lz4*"); r != "*0\r\n" {
		t.Errorf("CONFIG GET *lz4*: %q (kvkit's directives are hidden from patterns)", r)
	}
	if r := mustDo(t, c, "CONFIG", "GET", "rdb-compression-lz4"); r != "*2\r\n$19\r\nrdb-compression-lz4\r\n$3\r\nyes\r\n" {
		t.Errorf("CONFIG GET rdb-compression-lz4: %q", r)
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join(kv.Dir, "dump.rdb"), dir)
	kv2 := startWithFile(t, testutil.Binary(t, "kv-server"), dir, "--save", "")
	if got := digest(t, dial(t, kv2.Addr())); got != want {
		t.Errorf("digest after loading the lz4 file %s, want %s", got, want)
	}
}

// TestPersistSavePoint: with "save 1 2", two changes start a BGSAVE within
// a couple of cron ticks after a second.
func TestPersistSavePoint(t *testing.T) {
	kv := testutil.StartKV(t, "--save", "1 2")
	c := dial(t, kv.Addr())
	mustDo(t, c, "SET", "a", "1")
	time.Sleep(1500 * time.Millisecond)
	if v := infoField(t, c, "persistence", "rdb_saves"); v != "0" {
		t.Fatalf("rdb_saves %s after one change", v)
	}
	mustDo(t, c, "SET", "b", "2")
	if !waitFor(5*time.Second, func() bool { return infoField(t, c, "persistence", "rdb_saves") == "1" }) {
		t.Fatal("no BGSAVE after two changes")
	}
	if v := infoField(t, c, "persistence", "rdb_changes_since_last_save"); v != "0" {
		t.Errorf("rdb_changes_since_last_save %s", v)
	}
	if _, err := os.Stat(filepath.Join(kv.Dir, "dump.rdb")); err != nil {
		t.Error(err)
	}
	found := false
	for _, l := range kv.LogLines() {
		found = found || strings.Contains(l, "2 changes in 1 seconds. Saving...")
	}
	if !found {
		t.Error("no save point line in the log")
	}
}
