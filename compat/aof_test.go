package compat

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// The append-only file against redis-server 7.0: the commands kv-server
// writes are the ones Redis writes, each AOF case of the shared test data
// loads (or is refused) as in Redis, Redis loads kv-server's directory,
// and acknowledged writes survive SIGKILL.

// aofRun is a server started on an AOF directory that may refuse to load.
type aofRun struct {
	srv     *testutil.Server // nil when the process exited
	out     string           // its output when it exited
	exitErr error
	// stop sends SIGTERM and waits for the exit (at most 10 s, then
	// SIGKILL); the process is waited for here, never by srv.Stop.
	stop func()
}

// runAOF starts bin in dir with appendonly yes and the extra directives,
// and waits until it has loaded (INFO loading:0) or exited.
func runAOF(t *testing.T, bin, dir string, extra ...string) aofRun {
	t.Helper()
	port := testutil.FreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "yes", "--enable-debug-command", "yes", "--daemonize", "no"}, extra...)
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	srv := &testutil.Server{Port: port, Dir: dir, Cmd: cmd}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return aofRun{out: out.String(), exitErr: err}
		case <-time.After(20 * time.Millisecond):
		}
		if !aofNotLoading(srv.Addr()) {
			continue
		}
		// Both servers answer between two files of a multi-part AOF
		// with loading:0 (Redis stops and restarts its loading state
		// per file), and just before exiting on a bad file: loaded
		// means still running, and not loading, a moment later.
		select {
		case err := <-done:
			return aofRun{out: out.String(), exitErr: err}
		case <-time.After(300 * time.Millisecond):
		}
		if !aofNotLoading(srv.Addr()) {
			continue
		}
		waited := false
		stop := func() {
			if waited {
				return
			}
			waited = true
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		t.Cleanup(stop)
		return aofRun{srv: srv, stop: stop}
	}
	cmd.Process.Kill()
	<-done
	t.Fatalf("%s did not load within 15s:\n%s", bin, out.String())
	return aofRun{}
}

// aofNotLoading reports whether the server at addr answers INFO with
// loading:0; false when it cannot be reached.
func aofNotLoading(addr string) bool {
	c, err := resptest.Dial(addr)
	if err != nil {
		return false
	}
	defer c.Close()
	r, err := c.Do("INFO", "persistence")
	return err == nil && bytes.Contains(r, []byte("loading:0"))
}

// copyTree copies the directory src into dst (created).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// aofCaseDir puts a test data case into a fresh directory: src is an
// old-style AOF file, or a directory holding an appendonlydir/ or an
// old-style appendonly.aof.
func aofCaseDir(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if st, err := os.Stat(filepath.Join(src, "appendonlydir")); err == nil && st.IsDir() {
		copyTree(t, filepath.Join(src, "appendonlydir"), filepath.Join(dir, "appendonlydir"))
		return dir
	}
	if st, err := os.Stat(src); err == nil && st.IsDir() {
		src = filepath.Join(src, "appendonly.aof")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "appendonly.aof"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAOFTestdataLoad loads every AOF case of the shared test data into
// kv-server and redis-server, with aof-load-truncated yes and no: both
// refuse it, or both load the same data (DEBUG DIGEST), and a truncated
// file is cut to the same bytes.
func TestAOFTestdataLoad(t *testing.T) {
	root := "/work/shared/testdata/aof"
	var cases []string
	for _, pattern := range []string{"redis-7.0/*", "public/*/*.aof", "public/RedisShake"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, m...)
	}
	if len(cases) < 15 {
		t.Fatalf("only %d AOF cases under %s", len(cases), root)
	}
	kvBin, redisBin := testutil.Binary(t, "kv-server"), testutil.Program(t, "redis-server")
	for _, src := range cases {
		for _, truncated := range []string{"yes", "no"} {
			name, _ := filepath.Rel(root, src)
			t.Run(name+"/aof-load-truncated="+truncated, func(t *testing.T) {
				kdir, rdir := aofCaseDir(t, src), aofCaseDir(t, src)
				kv := runAOF(t, kvBin, kdir, "--aof-load-truncated", truncated)
				rs := runAOF(t, redisBin, rdir, "--aof-load-truncated", truncated)
				if (kv.srv == nil) != (rs.srv == nil) {
					t.Fatalf("kv-server loaded=%v, redis-server loaded=%v\nkv-server:\n%s\nredis-server:\n%s",
						kv.srv != nil, rs.srv != nil, kv.out, rs.out)
				}
				if kv.srv == nil {
					return
				}
				c, rc := dial(t, kv.srv.Addr()), dial(t, rs.srv.Addr())
				if got, want := digest(t, c), digest(t, rc); got != want {
					t.Errorf("digest %s, redis-server %s", got, want)
				}
				// The same files afterwards: truncation, migration, the new
				// INCR file and the manifest.
				compareAOFDirs(t, filepath.Join(kdir, "appendonlydir"), filepath.Join(rdir, "appendonlydir"), false)
			})
		}
	}
}

// compareAOFDirs checks that two appendonlydir/ hold the same file names
// and, except BASE files written by the servers themselves (rdbOK), the
// same bytes.
func compareAOFDirs(t *testing.T, kdir, rdir string, skipBase bool) {
	t.Helper()
	names := func(d string) []string {
		es, _ := os.ReadDir(d)
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	kn, rn := names(kdir), names(rdir)
	if strings.Join(kn, " ") != strings.Join(rn, " ") {
		t.Fatalf("files %v, redis-server %v", kn, rn)
	}
	for _, n := range kn {
		if skipBase && strings.Contains(n, ".base.") {
			continue
		}
		kb, _ := os.ReadFile(filepath.Join(kdir, n))
		rb, _ := os.ReadFile(filepath.Join(rdir, n))
		if !bytes.Equal(kb, rb) {
			t.Errorf("%s differs:\n%q\nredis-server:\n%q", n, kb, rb)
		}
	}
}

// aofPropagationScript is run against both servers; its INCR files must
// match byte for byte once absolute millisecond times are normalized.
// Nothing in it is random: SPOP pops the only member or the whole set.
var aofPropagationScript = [][]string{
	{"SET", "a", "1"}, {"SET", "b", "2", "EX", "100"}, {"SET", "c", "3", "PX", "100000"},
	{"SET", "d", "4", "EXAT", "4102444800"}, {"SET", "e", "5", "KEEPTTL"}, {"SET", "e2", "5", "PXAT", "4102444800000", "GET"},
	{"SET", "k", "v", "GET"}, {"SET", "k", "v", "NX", "GET"}, {"SET", "k", "w", "XX"},
	{"SETEX", "f", "100", "v"}, {"PSETEX", "g", "100000", "v"}, {"SETNX", "h", "v"}, {"SETNX", "h", "v2"},
	{"EXPIRE", "a", "100"}, {"PEXPIRE", "b", "100000"}, {"EXPIREAT", "c", "4102444800"},
	{"PEXPIREAT", "c", "4102444800000", "GT"}, {"PERSIST", "c"}, {"PERSIST", "c"},
	{"GETEX", "d", "EX", "50"}, {"GETEX", "d", "PERSIST"}, {"GETEX", "d"}, {"GETEX", "d", "PXAT", "1"},
	{"GETDEL", "e"}, {"GETDEL", "e"}, {"INCRBYFLOAT", "a", "1.5"}, {"GETSET", "a", "9"},
	{"HSET", "hh", "f", "1"}, {"HINCRBYFLOAT", "hh", "f", "2.5"}, {"HINCRBY", "hh", "g", "2"},
	{"SADD", "s", "a"}, {"SPOP", "s"}, {"SADD", "s", "a", "b", "c"}, {"SPOP", "s", "5"}, {"SPOP", "s"},
	{"RPUSH", "l", "a", "b", "c"}, {"LPOP", "l"}, {"RPOP", "l", "5"},
	{"RPUSH", "bl", "1", "2", "3"}, {"BLPOP", "bl", "0"}, {"BRPOP", "nothing", "bl", "0"},
	{"LMPOP", "2", "x", "bl", "LEFT", "COUNT", "10"},
	{"RPUSH", "bl2", "1", "2"}, {"BLMOVE", "bl2", "bl3", "LEFT", "RIGHT", "0"}, {"BRPOPLPUSH", "bl2", "bl3", "0"},
	{"LMOVE", "bl3", "bl2", "left", "left"}, {"BLMPOP", "0", "1", "bl3", "RIGHT"},
	{"SELECT", "2"}, {"SET", "x", "y"}, {"RENAME", "x", "x2"}, {"COPY", "x2", "x3"}, {"GET", "nokey"}, {"DEL", "nokey"},
	{"PFADD", "hll", "a", "b", "c"}, {"PFCOUNT", "hll"}, {"PFCOUNT", "hll"}, {"EXPIRE", "x2", "-1"},
	{"INCR", "cnt"}, {"APPEND", "cnt", "5"}, {"SETRANGE", "cnt", "0", "9"}, {"DECRBY", "cnt", "2"},
	{"MSET", "m1", "1", "m2", "2"}, {"MSETNX", "m1", "1", "m3", "3"}, {"FLUSHDB"}, {"FLUSHDB"},
	{"SELECT", "5"}, {"FLUSHALL"}, {"SELECT", "2"},
	{"SELECT", "0"}, {"SET", "p", "1"}, {"EXPIRE", "p", "0"}, {"SET", "q", "1"}, {"PEXPIREAT", "q", "1"},
	{"SET", "r", "1"}, {"DUMP", "r"}, {"SWAPDB", "0", "1"}, {"SELECT", "1"}, {"DEL", "r"}, {"SET", "r", "2"},
	// Lazy expiry: the DEL goes first, alone when the command itself
	// changes nothing, else wrapped in MULTI/EXEC with it.
	{"DEBUG", "SET-ACTIVE-EXPIRE", "0"}, {"SET", "lz1", "a", "PX", "1"}, {"SET", "lz2", "a", "PX", "1"},
	{"DEBUG", "SLEEP", "0.01"}, {"GET", "lz1"}, {"SET", "lz2", "b"},
	{"LPUSH", "lz3", "x"}, {"PEXPIRE", "lz3", "1"}, {"DEBUG", "SLEEP", "0.01"}, {"RPUSH", "lz3", "y"},
	{"DEBUG", "SET-ACTIVE-EXPIRE", "1"},
	// Scripts propagate their effects in MULTI/EXEC, never themselves;
	// transactions as MULTI, the commands that wrote, EXEC.
	{"EVAL", "redis.call('set','sa','1'); redis.call('incr','sa'); return 1", "0"},
	{"EVAL", "return redis.call('get','sa')", "0"},
	{"EVAL", "redis.call('set','sb','1'); return 1", "0"},
	{"MULTI"}, {"SET", "ta", "1"}, {"GET", "ta"}, {"INCR", "ta"}, {"EXEC"},
	{"MULTI"}, {"GET", "ta"}, {"EXEC"},
	{"ZADD", "z", "1", "a", "2", "b"}, {"ZINCRBY", "z", "5", "a"}, {"ZPOPMIN", "z"}, {"ZREM", "z", "nope"},
	{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
	{"GEOADD", "g", "XX", "CH", "13.361389", "38.115556", "Palermo"},
}

var aofTimes = regexp.MustCompile(`\$13\r\n1[0-9]{12}\r\n`)

// TestAOFPropagationMatchesRedis runs the same commands against both
// servers with appendonly yes and compares their INCR files.
func TestAOFPropagationMatchesRedis(t *testing.T) {
	for _, ts := range []string{"no", "yes"} {
		t.Run("aof-timestamp-enabled="+ts, func(t *testing.T) {
			kdir, rdir := t.TempDir(), t.TempDir()
			kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir, "--aof-timestamp-enabled", ts)
			rs := runAOF(t, testutil.Program(t, "redis-server"), rdir, "--aof-timestamp-enabled", ts)
			c, rc := dial(t, kv.srv.Addr()), dial(t, rs.srv.Addr())
			for _, cmd := range aofPropagationScript {
				got, _ := c.Do(cmd...)
				want, _ := rc.Do(cmd...)
				// DUMP's bytes may differ; SPOP's order is the hash's.
				if cmd[0] != "DUMP" && cmd[0] != "SPOP" && !bytes.Equal(got, want) {
					t.Errorf("%v: %q, redis-server %q", cmd, got, want)
				}
			}
			read := func(dir string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
				if err != nil {
					t.Fatal(err)
				}
				b = aofTimes.ReplaceAll(b, []byte("$13\r\n<ms>\r\n"))
				return regexp.MustCompile(`#TS:[0-9]+`).ReplaceAll(b, []byte("#TS:<s>"))
			}
			waitFor(2*time.Second, func() bool { return bytes.Equal(read(kdir), read(rdir)) })
			if k, r := read(kdir), read(rdir); !bytes.Equal(k, r) {
				kl, rl := strings.Split(string(k), "\r\n"), strings.Split(string(r), "\r\n")
				for i := 0; i < max(len(kl), len(rl)); i++ {
					var a, b string
					if i < len(kl) {
						a = kl[i]
					}
					if i < len(rl) {
						b = rl[i]
					}
					if a != b {
						t.Fatalf("INCR files differ at line %d: %q, redis-server %q\nkv-server:\n%s\nredis-server:\n%s", i, a, b,
							strings.Join(kl[max(0, i-20):min(len(kl), i+5)], " "), strings.Join(rl[max(0, i-20):min(len(rl), i+5)], " "))
					}
				}
			}
		})
	}
}

// TestAOFRedisLoadsOurs fills kv-server with appendonly yes, stops it,
// and loads its appendonlydir/ into redis-server (and kv-server again):
// DEBUG DIGEST must be the one kv-server had.
func TestAOFRedisLoadsOurs(t *testing.T) {
	kdir := t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir, "--appendfsync", "no")
	c := dial(t, kv.srv.Addr())
	fillStrings(t, c, 7)
	mustDo(t, c, "RPUSH", "list", "a", "b", "c")
	mustDo(t, c, "INCRBYFLOAT", "fl", "1.25")
	want := digest(t, c)
	kv.stop()
	for _, bin := range []string{testutil.Program(t, "redis-server"), testutil.Binary(t, "kv-server")} {
		dir := t.TempDir()
		copyTree(t, filepath.Join(kdir, "appendonlydir"), filepath.Join(dir, "appendonlydir"))
		r := runAOF(t, bin, dir)
		if r.srv == nil {
			t.Fatalf("%s refused kv-server's AOF:\n%s", bin, r.out)
		}
		if got := digest(t, dial(t, r.srv.Addr())); got != want {
			t.Errorf("%s: digest %s, kv-server had %s", filepath.Base(bin), got, want)
		}
	}
	out, err := exec.Command(testutil.Program(t, "redis-check-aof"), filepath.Join(kdir, "appendonlydir", "appendonly.aof.manifest")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("is valid")) {
		t.Errorf("redis-check-aof: %v\n%s", err, out)
	}
}

// TestAOFCrashAlways kills kv-server (appendfsync always) with SIGKILL at
// random moments under a write load; after each restart every write that
// was acknowledged is there.
func TestAOFCrashAlways(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	acked := 0
	for round := 0; round < 4; round++ {
		r := runAOF(t, testutil.Binary(t, "kv-server"), dir, "--appendfsync", "always")
		c := dial(t, r.srv.Addr())
		for i := 0; i < acked; i++ {
			if got := mustDo(t, c, "GET", "k"+strconv.Itoa(i)); got != "$"+strconv.Itoa(len(strconv.Itoa(i)))+"\r\n"+strconv.Itoa(i)+"\r\n" {
				t.Fatalf("round %d: acknowledged write k%d lost: %q", round, i, got)
			}
		}
		kill := time.After(time.Duration(50+rng.IntN(200)) * time.Millisecond)
		c2 := dial(t, r.srv.Addr())
	writes:
		for {
			select {
			case <-kill:
				break writes
			default:
			}
			v := strconv.Itoa(acked)
			if _, err := c2.Do("SET", "k"+v, v); err != nil {
				break
			}
			acked++
		}
		r.srv.Cmd.Process.Signal(syscall.SIGKILL)
		waitFor(5*time.Second, func() bool {
			nc, err := net.Dial("tcp", r.srv.Addr())
			if err == nil {
				nc.Close()
			}
			return err != nil
		})
	}
	if acked == 0 {
		t.Fatal("no write was acknowledged")
	}
}

// TestAOFRewriteUnderLoad runs BGREWRITEAOF while clients write: the
// rewrite installs a new BASE and manifest, and redis-server loads the
// directory to the digest kv-server has after the writes; so does
// kv-server. Then CONFIG SET appendonly no / yes: the initial rewrite
// makes a directory that loads to the same data.
func TestAOFRewriteUnderLoad(t *testing.T) {
	kdir := t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir, "--appendfsync", "everysec", "--rdb-key-save-delay", "20")
	c := dial(t, kv.srv.Addr())
	fillStrings(t, c, 11)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := dial(t, kv.srv.Addr())
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := "key:0:" + strconv.Itoa(i%400)
			if _, err := w.Do("APPEND", k, "x"); err != nil {
				return
			}
			w.Do("SADD", "s:during", strconv.Itoa(i))
			w.Do("INCRBYFLOAT", "fl", "0.5")
		}
	}()
	if got := mustDo(t, c, "BGREWRITEAOF"); got != "+Background append only file rewriting started\r\n" {
		t.Fatalf("BGREWRITEAOF: %q", got)
	}
	if got := mustDo(t, c, "BGREWRITEAOF"); !strings.HasPrefix(got, "-ERR Background append only file rewriting already in progress") {
		t.Errorf("second BGREWRITEAOF: %q", got)
	}
	if !waitFor(30*time.Second, func() bool { return infoField(t, c, "persistence", "aof_rewrite_in_progress") == "0" }) {
		t.Fatal("rewrite still in progress after 30s")
	}
	close(stop)
	<-done
	if st := infoField(t, c, "persistence", "aof_last_bgrewrite_status"); st != "ok" {
		t.Fatalf("aof_last_bgrewrite_status %s", st)
	}
	want := digest(t, c)
	aofDir := filepath.Join(kdir, "appendonlydir")
	m, _ := os.ReadFile(filepath.Join(aofDir, "appendonly.aof.manifest"))
	if string(m) != "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Errorf("manifest after the rewrite:\n%s", m)
	}
	if _, err := os.Stat(filepath.Join(aofDir, "appendonly.aof.1.incr.aof")); err == nil {
		t.Error("history file appendonly.aof.1.incr.aof not removed")
	}
	loadsTo := func(what, want string) {
		t.Helper()
		for _, bin := range []string{testutil.Program(t, "redis-server"), testutil.Binary(t, "kv-server")} {
			dir := t.TempDir()
			copyTree(t, aofDir, filepath.Join(dir, "appendonlydir"))
			r := runAOF(t, bin, dir)
			if r.srv == nil {
				t.Fatalf("%s: %s refused the AOF:\n%s", what, bin, r.out)
			}
			if got := digest(t, dial(t, r.srv.Addr())); got != want {
				t.Errorf("%s: %s loads digest %s, want %s", what, filepath.Base(bin), got, want)
			}
		}
	}
	loadsTo("after BGREWRITEAOF", want)

	mustDo(t, c, "CONFIG", "SET", "appendonly", "no")
	mustDo(t, c, "SET", "while-off", "1")
	mustDo(t, c, "CONFIG", "SET", "appendonly", "yes")
	mustDo(t, c, "SET", "after-on", "1")
	if !waitFor(30*time.Second, func() bool { return infoField(t, c, "persistence", "aof_rewrite_in_progress") == "0" }) {
		t.Fatal("initial rewrite still in progress after 30s")
	}
	if got := infoField(t, c, "persistence", "aof_enabled"); got != "1" {
		t.Fatalf("aof_enabled %s after CONFIG SET appendonly yes", got)
	}
	loadsTo("after CONFIG SET appendonly yes", digest(t, c))
}

// TestAOFKillDuringRewrite SIGKILLs kv-server in the middle of a slow
// rewrite (rdb-key-save-delay) with writes going on: the directory left
// behind loads, with every acknowledged write.
func TestAOFKillDuringRewrite(t *testing.T) {
	dir := t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), dir, "--appendfsync", "always", "--rdb-key-save-delay", "2000")
	c := dial(t, kv.srv.Addr())
	fillStrings(t, c, 13)
	mustDo(t, c, "BGREWRITEAOF")
	for i := 0; i < 200; i++ {
		mustDo(t, c, "SET", "during:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	if got := infoField(t, c, "persistence", "aof_rewrite_in_progress"); got != "1" {
		t.Fatalf("aof_rewrite_in_progress %s: the rewrite ended too early for this test", got)
	}
	want := digest(t, c)
	kv.srv.Cmd.Process.Signal(syscall.SIGKILL)
	waitFor(5*time.Second, func() bool {
		nc, err := net.Dial("tcp", kv.srv.Addr())
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	for _, bin := range []string{testutil.Program(t, "redis-server"), testutil.Binary(t, "kv-server")} {
		d := t.TempDir()
		copyTree(t, filepath.Join(dir, "appendonlydir"), filepath.Join(d, "appendonlydir"))
		r := runAOF(t, bin, d)
		if r.srv == nil {
			t.Fatalf("%s refused the AOF left by SIGKILL during a rewrite:\n%s", bin, r.out)
		}
		if got := digest(t, dial(t, r.srv.Addr())); got != want {
			t.Errorf("%s: digest %s, want %s", filepath.Base(bin), got, want)
		}
	}
}

// TestAOFCrashEverysec writes for a while with appendfsync everysec, then
// SIGKILLs kv-server: after restart at most the writes of the last ~2
// seconds are missing (and the ones present are a prefix).
func TestAOFCrashEverysec(t *testing.T) {
	dir := t.TempDir()
	r := runAOF(t, testutil.Binary(t, "kv-server"), dir, "--appendfsync", "everysec")
	c := dial(t, r.srv.Addr())
	start := time.Now()
	var acked []time.Time
	for time.Since(start) < 1500*time.Millisecond {
		mustDo(t, c, "RPUSH", "log", strconv.Itoa(len(acked)))
		acked = append(acked, time.Now())
	}
	killed := time.Now()
	r.srv.Cmd.Process.Signal(syscall.SIGKILL)
	waitFor(5*time.Second, func() bool {
		nc, err := net.Dial("tcp", r.srv.Addr())
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	r2 := runAOF(t, testutil.Binary(t, "kv-server"), dir)
	n := intReply(t, dial(t, r2.srv.Addr()), "LLEN", "log")
	if n > int64(len(acked)) {
		t.Fatalf("LLEN %d > %d writes", n, len(acked))
	}
	if n < int64(len(acked)) && killed.Sub(acked[n]) > 2500*time.Millisecond {
		t.Errorf("lost writes from %v before the kill (first lost: #%d)", killed.Sub(acked[n]), n)
	}
}

// TestAOFServedBlockingPops compares the INCR files when blocked clients
// are served by another client's push: each is propagated in its
// non-blocking form (BLPOP -> LPOP, BLMOVE -> LMOVE, BRPOPLPUSH ->
// RPOPLPUSH, BLMPOP -> LPOP key count).
func TestAOFServedBlockingPops(t *testing.T) {
	kdir, rdir := t.TempDir(), t.TempDir()
	kv := runAOF(t, testutil.Binary(t, "kv-server"), kdir)
	rs := runAOF(t, testutil.Program(t, "redis-server"), rdir)
	for _, addr := range []string{kv.srv.Addr(), rs.srv.Addr()} {
		c := dial(t, addr)
		for _, tc := range []struct {
			block []string
			push  string
		}{
			{[]string{"BLPOP", "q1", "0"}, "q1"},
			{[]string{"BRPOP", "q1", "0"}, "q1"},
			{[]string{"BLMOVE", "q2", "dst", "RIGHT", "LEFT", "0"}, "q2"},
			{[]string{"BRPOPLPUSH", "q3", "dst", "0"}, "q3"},
			{[]string{"BLMPOP", "0", "2", "q4", "q5", "LEFT", "COUNT", "5"}, "q5"},
		} {
			mustDo(t, c, "DEL", "q1", "q2", "q3", "q4", "q5")
			b := dial(t, addr)
			if err := b.Write(resptest.Encode(tc.block...)); err != nil {
				t.Fatal(err)
			}
			if !waitFor(5*time.Second, func() bool { return infoField(t, c, "clients", "blocked_clients") == "1" }) {
				t.Fatalf("%v did not block", tc.block)
			}
			mustDo(t, c, "RPUSH", tc.push, "a", "b", "c")
			if _, err := b.Read(); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(dir string) string {
		b, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
		return string(b)
	}
	if k, r := read(kdir), read(rdir); k != r {
		t.Fatalf("INCR files differ:\n%q\nredis-server:\n%q", k, r)
	}
}
