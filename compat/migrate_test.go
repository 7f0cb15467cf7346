package compat

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// MIGRATE between kv-server and redis-server 7.0 in every direction: the
// moved data's DEBUG DIGEST, every option, and the replies to failures
// compared with redis-server's own.

// startServer starts kv-server or redis-server with DEBUG enabled.
func startServer(t *testing.T, kind string, extra ...string) *testutil.Server {
	t.Helper()
	extra = append([]string{"--enable-debug-command", "yes"}, extra...)
	if kind == "kv" {
		return testutil.StartKV(t, extra...)
	}
	return testutil.StartRedis(t, extra...)
}

// keysOf returns the keys of the connection's current database.
func keysOf(t *testing.T, c *resptest.Conn) []string {
	t.Helper()
	_, elems, err := resptest.Elements([]byte(mustDo(t, c, "KEYS", "*")))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = bulk(t, e)
	}
	return keys
}

// migrateAll moves every key of databases 0, 3 and 9 of src to the same
// database of dst with MIGRATE ... KEYS, in batches, plus opts; every
// reply must be +OK.
func migrateAll(t *testing.T, src *resptest.Conn, dst *testutil.Server, opts ...string) {
	t.Helper()
	for _, db := range []string{"0", "3", "9"} {
		mustDo(t, src, "SELECT", db)
		keys := keysOf(t, src)
		for len(keys) > 0 {
			n := min(len(keys), 100)
			args := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), "", db, "5000"}, opts...)
			args = append(append(args, "KEYS"), keys[:n]...)
			if r := mustDo(t, src, args...); r != "+OK\r\n" {
				t.Fatalf("MIGRATE of %d keys of db %s: %q", n, db, r)
			}
			keys = keys[n:]
		}
	}
	mustDo(t, src, "SELECT", "0")
}

func TestMigrateEveryTypeBothWays(t *testing.T) {
	for _, pair := range [][2]string{{"kv", "redis"}, {"redis", "kv"}, {"kv", "kv"}} {
		t.Run(pair[0]+"->"+pair[1], func(t *testing.T) {
			src := startServer(t, pair[0])
			dst := startServer(t, pair[1], "--requirepass", "pw")
			sc := dial(t, src.Addr())
			dc := dial(t, dst.Addr())
			mustDo(t, dc, "AUTH", "pw")
			fillStrings(t, sc, 7)
			want := digest(t, sc)

			// COPY keeps the source; the destination gets equal data.
			migrateAll(t, sc, dst, "COPY", "AUTH", "pw")
			if got := digest(t, dc); got != want {
				t.Fatalf("destination digest %s, source %s", got, want)
			}
			if got := digest(t, sc); got != want {
				t.Fatalf("COPY changed the source: %s, was %s", got, want)
			}
			// Without REPLACE every key is busy now: nothing moves.
			mustDo(t, sc, "SELECT", "3")
			r := mustDo(t, sc, "MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), "key:3:1", "3", "5000", "AUTH2", "default", "pw")
			if r != "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n" {
				t.Fatalf("MIGRATE onto a busy key: %q", r)
			}
			if intReply(t, sc, "EXISTS", "key:3:1") != 1 {
				t.Fatal("a refused MIGRATE deleted the source key")
			}
			mustDo(t, sc, "SELECT", "0")
			// REPLACE moves everything: the source is empty after.
			migrateAll(t, sc, dst, "REPLACE", "AUTH2", "default", "pw")
			if got := digest(t, dc); got != want {
				t.Fatalf("destination digest after REPLACE %s, want %s", got, want)
			}
			for _, db := range []string{"0", "3", "9"} {
				mustDo(t, sc, "SELECT", db)
				if n := intReply(t, sc, "DBSIZE"); n != 0 {
					t.Fatalf("source db %s keeps %d keys after MIGRATE", db, n)
				}
			}
			// TTLs travel relative: a key with 100 s left arrives with
			// about 100 s.
			mustDo(t, sc, "SELECT", "0")
			mustDo(t, sc, "SET", "ttl", "v", "PX", "100000")
			if r := mustDo(t, sc, "MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), "ttl", "0", "5000", "AUTH", "pw"); r != "+OK\r\n" {
				t.Fatalf("MIGRATE ttl: %q", r)
			}
			mustDo(t, dc, "SELECT", "0")
			if ttl := intReply(t, dc, "PTTL", "ttl"); ttl < 90000 || ttl > 100000 {
				t.Fatalf("migrated PTTL %d, want about 100000", ttl)
			}
		})
	}
}

// fakeTarget listens and accepts connections it never answers; it returns
// its port.
func fakeTarget(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// migrateScript runs the same MIGRATE sequence from a source of kind to
// fresh targets and returns every reply and observed state, one per line.
func migrateScript(t *testing.T, kind string) []string {
	src := startServer(t, kind)
	open := startServer(t, "redis")
	locked := startServer(t, "redis", "--requirepass", "pw")
	silent := fakeTarget(t)
	closed := testutil.FreePort(t)
	sc := dial(t, src.Addr())
	oc := dial(t, open.Addr())
	var out []string
	// The ports differ from run to run: lines name the targets.
	names := strings.NewReplacer(strconv.Itoa(open.Port), "open", strconv.Itoa(locked.Port), "locked",
		strconv.Itoa(silent), "silent", strconv.Itoa(closed), "closed")
	do := func(args ...string) {
		r := mustDo(t, sc, args...)
		out = append(out, names.Replace(strings.Join(args, " "))+" -> "+strings.TrimSpace(r))
	}
	state := func(c *resptest.Conn, keys ...string) {
		for _, k := range keys {
			out = append(out, "exists "+k+" "+strconv.FormatInt(intReply(t, c, "EXISTS", k), 10))
		}
	}
	op, lp := strconv.Itoa(open.Port), strconv.Itoa(locked.Port)
	for _, k := range []string{"a", "b", "c", "d"} {
		mustDo(t, sc, "SET", k, "v-"+k)
	}
	mustDo(t, sc, "RPUSH", "list", "1", "2", "3")
	// Argument errors, NOKEY.
	do("MIGRATE", "127.0.0.1", op, "a", "0", "1000", "KEYS", "b")
	do("MIGRATE", "127.0.0.1", op, "a", "x", "1000")
	do("MIGRATE", "127.0.0.1", op, "a", "0", "1e3")
	do("MIGRATE", "127.0.0.1", op, "a", "0", "1000", "BOGUS")
	do("MIGRATE", "127.0.0.1", op, "a", "0", "1000", "AUTH")
	do("MIGRATE", "127.0.0.1", op, "a", "0", "1000", "AUTH2", "u")
	do("MIGRATE", "127.0.0.1", op, "missing", "0", "1000")
	do("MIGRATE", "127.0.0.1", op, "", "0", "1000", "KEYS", "missing1", "missing2")
	// Unreachable targets: refused, unresolvable, silent (timeout).
	do("MIGRATE", "127.0.0.1", strconv.Itoa(closed), "a", "0", "1000")
	do("MIGRATE", "nonexistent.invalid", "6379", "a", "0", "1000")
	do("MIGRATE", "127.0.0.1", strconv.Itoa(silent), "a", "0", "200")
	state(sc, "a")
	// Authentication: missing, wrong, right.
	do("MIGRATE", "127.0.0.1", lp, "a", "0", "1000")
	do("MIGRATE", "127.0.0.1", lp, "a", "0", "1000", "AUTH", "bad")
	do("MIGRATE", "127.0.0.1", lp, "a", "0", "1000", "AUTH2", "nobody", "pw")
	state(sc, "a")
	do("MIGRATE", "127.0.0.1", lp, "a", "0", "1000", "AUTH", "pw")
	state(sc, "a")
	// A database the target does not have; then one it has.
	do("MIGRATE", "127.0.0.1", op, "b", "99", "1000")
	do("MIGRATE", "127.0.0.1", op, "b", "5", "1000", "COPY")
	mustDo(t, oc, "SELECT", "5")
	state(oc, "b")
	state(sc, "b")
	// BUSYKEY without REPLACE, then with it; KEYS mixing present and
	// missing keys, one busy: the others move.
	do("MIGRATE", "127.0.0.1", op, "b", "5", "1000")
	do("MIGRATE", "127.0.0.1", op, "b", "5", "1000", "REPLACE")
	state(sc, "b")
	mustDo(t, oc, "SET", "d", "busy")
	do("MIGRATE", "127.0.0.1", op, "", "5", "1000", "KEYS", "c", "nope", "d", "list")
	state(sc, "c", "d", "list")
	state(oc, "c", "d", "list")
	// The cached connection killed by the target is reopened at once.
	mustDo(t, sc, "SET", "e", "1")
	mustDo(t, oc, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
	do("MIGRATE", "127.0.0.1", op, "e", "5", "1000")
	state(oc, "e")
	out = append(out, "cached "+infoField(t, sc, "stats", "migrate_cached_sockets"))
	return out
}

func TestMigrateRepliesAsRedis(t *testing.T) {
	want := migrateScript(t, "redis")
	got := migrateScript(t, "kv")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("kv-server:\n%s\n\nredis-server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMigrateSocketCache: the cached connection is reused for the same
// target (one connection on the target after several MIGRATEs) and closed
// after 10 s unused.
func TestMigrateSocketCache(t *testing.T) {
	t.Parallel()
	src := startServer(t, "kv")
	dst := startServer(t, "redis")
	sc := dial(t, src.Addr())
	dc := dial(t, dst.Addr())
	for i := 0; i < 5; i++ {
		k := "k" + strconv.Itoa(i)
		mustDo(t, sc, "SET", k, "v")
		if r := mustDo(t, sc, "MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), k, strconv.Itoa(i%2), "1000"); r != "+OK\r\n" {
			t.Fatalf("MIGRATE: %q", r)
		}
	}
	if n := infoField(t, dc, "clients", "connected_clients"); n != "2" {
		t.Fatalf("target has %s clients, want 2 (the test's and one MIGRATE connection)", n)
	}
	if n := infoField(t, sc, "stats", "migrate_cached_sockets"); n != "1" {
		t.Fatalf("migrate_cached_sockets %s, want 1", n)
	}
	if !waitFor(14*time.Second, func() bool { return infoField(t, sc, "stats", "migrate_cached_sockets") == "0" }) {
		t.Fatal("the cached MIGRATE connection is still open after 14 s")
	}
	if !waitFor(2*time.Second, func() bool { return infoField(t, dc, "clients", "connected_clients") == "1" }) {
		t.Fatal("the target still sees the MIGRATE connection")
	}
}

// TestMigratePropagatesDel: the moved keys reach the AOF as one DEL, COPY
// adds nothing, and the AUTH password is redacted in SLOWLOG.
func TestMigratePropagatesDel(t *testing.T) {
	src := startServer(t, "kv", "--appendonly", "yes", "--slowlog-log-slower-than", "0")
	dst := startServer(t, "redis")
	sc := dial(t, src.Addr())
	mustDo(t, sc, "MSET", "a", "1", "b", "2", "c", "3")
	port := strconv.Itoa(dst.Port)
	if r := mustDo(t, sc, "MIGRATE", "127.0.0.1", port, "c", "0", "1000", "COPY", "AUTH", "secret"); !strings.HasPrefix(r, "-ERR Target instance replied with error: ERR AUTH") {
		t.Fatalf("MIGRATE with AUTH to a target without password: %q", r)
	}
	_, entries, err := resptest.Elements([]byte(mustDo(t, sc, "SLOWLOG", "GET", "1")))
	if err != nil || len(entries) != 1 || strings.Contains(string(entries[0]), "secret") || !strings.Contains(string(entries[0]), "(redacted)") {
		t.Fatalf("SLOWLOG entry of MIGRATE ... AUTH: %q (%v)", entries, err)
	}
	if r := mustDo(t, sc, "MIGRATE", "127.0.0.1", port, "", "0", "1000", "REPLACE", "KEYS", "a", "b", "zz"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	if r := mustDo(t, sc, "MIGRATE", "127.0.0.1", port, "c", "0", "1000", "COPY", "REPLACE"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE COPY: %q", r)
	}
	incr, err := filepath.Glob(filepath.Join(src.Dir, "appendonlydir", "*.incr.aof"))
	if err != nil || len(incr) != 1 {
		t.Fatalf("incr files %v (%v)", incr, err)
	}
	b, err := os.ReadFile(incr[0])
	if err != nil {
		t.Fatal(err)
	}
	want := "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n"
	if !strings.HasSuffix(string(b), want) || strings.Contains(strings.ToUpper(string(b)), "MIGRATE") {
		t.Fatalf("AOF after MIGRATE:\n%q\nwant it to end with %q and hold no MIGRATE", b, want)
	}
}
