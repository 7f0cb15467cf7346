package compat

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// transcript records what a scenario observed on one server, to be
// compared with what the same scenario observed on the other.
type transcript struct {
	t       *testing.T
	name    string // the server's name, for failures
	addr    string
	lines   []string
	aliases []string // pairs: a value that differs between servers, its name
}

// alias makes the transcript show name wherever value (a client ID or
// address) appears.
func (tr *transcript) alias(value, name string) {
	tr.aliases = append(tr.aliases, value, name)
}

func (tr *transcript) add(format string, args ...any) {
	tr.lines = append(tr.lines, fmt.Sprintf(format, args...))
}

// dial opens a connection that is closed when the test ends.
func (tr *transcript) dial() *resptest.Conn {
	tr.t.Helper()
	c, err := resptest.Dial(tr.addr)
	if err != nil {
		tr.t.Fatalf("%s: %v", tr.name, err)
	}
	tr.t.Cleanup(func() { c.Close() })
	return c
}

// do sends a command, records its reply (client IDs in HELLO's reply
// masked) and returns the raw reply.
func (tr *transcript) do(c *resptest.Conn, args ...string) string {
	tr.t.Helper()
	raw, err := c.Do(args...)
	if err != nil {
		tr.t.Fatalf("%s: %q: %v", tr.name, args, err)
	}
	line := fmt.Sprintf("%s -> %q", quoteArgs(args), helloID.ReplaceAll(raw, []byte("${1}ID")))
	tr.lines = append(tr.lines, strings.NewReplacer(tr.aliases...).Replace(line))
	return string(raw)
}

// doAs is do recording label in place of the command, for commands whose
// arguments differ between the servers (client IDs).
func (tr *transcript) doAs(label string, c *resptest.Conn, args ...string) {
	tr.t.Helper()
	tr.add("%s -> %q", label, tr.mustDo(c, args...))
}

// mustDo sends a command and returns its raw reply without recording it.
func (tr *transcript) mustDo(c *resptest.Conn, args ...string) string {
	tr.t.Helper()
	raw, err := c.Do(args...)
	if err != nil {
		tr.t.Fatalf("%s: %q: %v", tr.name, args, err)
	}
	return string(raw)
}

// closed records whether the server closed c within d, and what it sent.
func (tr *transcript) closed(c *resptest.Conn, what string, d time.Duration) {
	data, closed := c.ReadUntilClose(d)
	tr.add("%s: sent %q, closed=%v", what, data, closed)
}

// compareScenario runs f against kv-server and redis-server (at once) and
// fails when their transcripts differ.
func compareScenario(t *testing.T, p *pair, f func(tr *transcript)) {
	t.Helper()
	kv := &transcript{t: t, name: "kv-server", addr: p.kv.Addr()}
	rd := &transcript{t: t, name: "redis-server", addr: p.redis.Addr()}
	var wg sync.WaitGroup
	for _, tr := range []*transcript{kv, rd} {
		wg.Add(1)
		go func() { defer wg.Done(); f(tr) }()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := 0; i < max(len(kv.lines), len(rd.lines)); i++ {
		var a, b string
		if i < len(kv.lines) {
			a = kv.lines[i]
		}
		if i < len(rd.lines) {
			b = rd.lines[i]
		}
		if a != b {
			t.Errorf("step %d differs:\n  kv-server:    %s\n  redis-server: %s", i+1, a, b)
		}
	}
}

// clientFields parses a CLIENT INFO / CLIENT LIST line into its field
// names, in order, and values.
func clientFields(line string) (names []string, values map[string]string) {
	values = map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		names = append(names, k)
		values[k] = v
	}
	return names, values
}

// bulkText returns the text of a raw bulk or verbatim string reply.
func bulkText(t *testing.T, raw string) string {
	t.Helper()
	hdr, body, ok := strings.Cut(raw, "\r\n")
	if !ok || (hdr[0] != '$' && hdr[0] != '=') {
		t.Fatalf("not a bulk reply: %q", raw)
	}
	body = strings.TrimSuffix(body, "\r\n")
	if hdr[0] == '=' {
		body = body[4:] // "txt:"
	}
	return body
}

// TestAuthFlows compares authentication with requirepass: NOAUTH before
// AUTH, WRONGPASS, HELLO with and without AUTH, RESET de-authenticating.
func TestAuthFlows(t *testing.T) {
	p := startPair(t, "--requirepass", "secret")
	compareScenario(t, p, func(tr *transcript) {
		c := tr.dial()
		tr.do(c, "PING")
		tr.do(c, "GET", "k")
		tr.do(c, "CLIENT", "ID")
		tr.do(c, "HELLO", "3")
		tr.do(c, "HELLO")
		tr.do(c, "AUTH", "wrong")
		tr.do(c, "AUTH", "default", "wrong")
		tr.do(c, "AUTH", "nobody", "secret")
		tr.do(c, "AUTH", "a", "b", "c")
		tr.do(c, "HELLO", "3", "AUTH", "default", "wrong")
		tr.do(c, "HELLO", "3", "AUTH", "nobody", "secret")
		tr.do(c, "HELLO", "3", "AUTH", "default")
		tr.do(c, "AUTH", "secret")
		tr.do(c, "PING")
		tr.do(c, "AUTH", "wrong")
		tr.do(c, "PING") // a failed AUTH keeps the authentication
		tr.do(c, "RESET")
		tr.do(c, "PING")
		tr.do(c, "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "app")
		tr.do(c, "CLIENT", "GETNAME")
		tr.do(c, "RESET")
		tr.do(c, "CLIENT", "GETNAME")
		tr.do(c, "AUTH", "default", "secret")
		tr.do(c, "CLIENT", "GETNAME")
		tr.do(c, "QUIT")
		tr.closed(c, "after QUIT", 5*time.Second)
		u := tr.dial()
		tr.do(u, "QUIT") // QUIT needs no authentication
		tr.closed(u, "after QUIT", 5*time.Second)
	})
}

// TestReset compares RESET: database 0, RESP2, no name, replies on, no
// MONITOR, NO-EVICT off.
func TestReset(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		c := tr.dial()
		tr.do(c, "HELLO", "3", "SETNAME", "app")
		tr.do(c, "SELECT", "5")
		tr.do(c, "SET", "k", "in5")
		tr.do(c, "CLIENT", "NO-EVICT", "on")
		tr.do(c, "RESET")
		tr.do(c, "GET", "k")
		tr.do(c, "CLIENT", "GETNAME")
		_, f := clientFields(bulkText(tr.t, tr.mustDo(c, "CLIENT", "INFO")))
		tr.add("after RESET: name=%s db=%s flags=%s resp=%s", f["name"], f["db"], f["flags"], f["resp"])
		c.Write([]byte("CLIENT REPLY OFF\r\nRESET\r\n"))
		r, _ := c.Read()
		tr.add("RESET with CLIENT REPLY OFF -> %q", r)
		tr.do(c, "PING")
		m := tr.dial()
		tr.do(m, "MONITOR")
		tr.do(m, "RESET")
		tr.do(c, "SET", "k", "v")
		data, closed := m.ReadUntilClose(200 * time.Millisecond)
		tr.add("after RESET a monitor gets %q, closed=%v", data, closed)
	})
}

// TestClientInfoFormat compares CLIENT INFO and CLIENT LIST: the same
// fields in the same order, the same values where they do not depend on
// the process, and addr/laddr/id that describe the connection.
func TestClientInfoFormat(t *testing.T) {
	p := startPair(t)
	stable := []string{"name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "qbuf",
		"argv-mem", "multi-mem", "obl", "oll", "omem", "events", "cmd", "user", "redir", "resp"}
	compareScenario(t, p, func(tr *transcript) {
		c := tr.dial()
		id := strings.TrimSpace(strings.TrimPrefix(tr.mustDo(c, "CLIENT", "ID"), ":"))
		tr.do(c, "CLIENT", "SETNAME", "app")
		tr.do(c, "SELECT", "3")
		tr.do(c, "CLIENT", "NO-EVICT", "on")
		info := bulkText(tr.t, tr.mustDo(c, "CLIENT", "INFO"))
		names, f := clientFields(info)
		tr.add("CLIENT INFO fields: %s", strings.Join(names, " "))
		for _, k := range stable {
			tr.add("CLIENT INFO %s=%s", k, f[k])
		}
		tr.add("id matches CLIENT ID: %v", f["id"] == id)
		tr.add("laddr is the server: %v", f["laddr"] == tr.addr)
		if _, err := strconv.Atoi(f["fd"]); err != nil {
			tr.add("fd=%s is not a number", f["fd"])
		}
		tr.do(c, "CLIENT", "NO-EVICT", "off")
		_, f = clientFields(bulkText(tr.t, tr.mustDo(c, "CLIENT", "INFO")))
		tr.add("flags after NO-EVICT off: %s", f["flags"])

		d := tr.dial()
		did := strings.TrimSpace(strings.TrimPrefix(tr.mustDo(d, "CLIENT", "ID"), ":"))
		list := bulkText(tr.t, tr.mustDo(c, "CLIENT", "LIST"))
		lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
		tr.add("CLIENT LIST lines: %d", len(lines))
		var ids []string
		for _, l := range lines {
			n, v := clientFields(l)
			tr.add("CLIENT LIST fields: %s", strings.Join(n, " "))
			ids = append(ids, v["id"])
		}
		tr.add("CLIENT LIST ids in order: %v", strings.Join(ids, ",") == id+","+did)
		_, v := clientFields(strings.Split(list, "\n")[1])
		tr.add("other client: name=%q db=%s cmd=%s qbuf=%s argv-mem=%s obl=%s", v["name"], v["db"], v["cmd"], v["qbuf"], v["argv-mem"], v["obl"])
		one := bulkText(tr.t, tr.mustDo(c, "CLIENT", "LIST", "ID", did))
		tr.add("CLIENT LIST ID: one line for it: %v", strings.Count(one, "\n") == 1 && strings.HasPrefix(one, "id="+did+" "))
		tr.add("CLIENT LIST TYPE normal lines: %d", strings.Count(bulkText(tr.t, tr.mustDo(c, "CLIENT", "LIST", "TYPE", "normal")), "\n"))
		tr.do(c, "CLIENT", "LIST", "TYPE", "pubsub")
		tr.do(c, "CLIENT", "LIST", "TYPE", "master")
		tr.do(c, "CLIENT", "LIST", "ID", "99999999")
		two := bulkText(tr.t, tr.mustDo(c, "CLIENT", "LIST", "ID", did, "0", "-1", id, did))
		tr.add("CLIENT LIST ID other 0 -1 self other: %v", regexp.MustCompile("^id="+did+" .*\nid="+id+" .*\nid="+did+" .*\n$").MatchString(two))
		tr.do(c, "CLIENT", "LIST", "FOO")
		tr.do(c, "HELLO", "3")
		raw := tr.mustDo(c, "CLIENT", "INFO")
		tr.add("RESP3 CLIENT INFO is verbatim: %v", strings.HasPrefix(raw, "="))
		tr.do(c, "CLIENT", "SETNAME", "")
		tr.do(c, "CLIENT", "GETNAME")
		tr.do(c, "CLIENT", "SETNAME", "a\nb")
	})
}

// TestClientKill compares CLIENT KILL in all its forms, and checks that the
// killed connections are really closed.
func TestClientKill(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		k := tr.dial()
		tr.alias(tr.addr, "SERVER")
		n := 0
		victim := func() (*resptest.Conn, string, string) {
			v := tr.dial()
			id := strings.TrimSpace(strings.TrimPrefix(tr.mustDo(v, "CLIENT", "ID"), ":"))
			_, f := clientFields(bulkText(tr.t, tr.mustDo(v, "CLIENT", "INFO")))
			n++
			tr.alias(f["addr"], fmt.Sprintf("ADDR%d", n))
			return v, id, f["addr"]
		}
		v, id, _ := victim()
		tr.doAs("CLIENT KILL ID <victim>", k, "CLIENT", "KILL", "ID", id)
		tr.closed(v, "killed by ID", 5*time.Second)
		tr.doAs("CLIENT KILL ID <killed>", k, "CLIENT", "KILL", "ID", id)
		v, _, addr := victim()
		tr.do(k, "CLIENT", "KILL", "ADDR", addr)
		tr.closed(v, "killed by ADDR", 5*time.Second)
		v, _, addr = victim()
		tr.do(k, "CLIENT", "KILL", addr)
		tr.closed(v, "killed by old form", 5*time.Second)
		tr.do(k, "CLIENT", "KILL", addr)
		v, _, _ = victim()
		w, _, _ := victim()
		tr.do(k, "CLIENT", "KILL", "LADDR", tr.addr)
		tr.closed(v, "first killed by LADDR", 5*time.Second)
		tr.closed(w, "second killed by LADDR", 5*time.Second)
		tr.do(k, "PING")
		v, _, _ = victim()
		tr.do(k, "CLIENT", "KILL", "TYPE", "normal", "LADDR", "1.2.3.4:5")
		tr.do(k, "CLIENT", "KILL", "TYPE", "pubsub")
		tr.do(k, "CLIENT", "KILL", "TYPE", "normal")
		tr.closed(v, "killed by TYPE", 5*time.Second)
		v, _, _ = victim()
		tr.do(k, "CLIENT", "KILL", "USER", "default")
		tr.closed(v, "killed by USER", 5*time.Second)
		tr.add("clients left: %d", strings.Count(bulkText(tr.t, tr.mustDo(k, "CLIENT", "LIST")), "\n"))
		for _, bad := range [][]string{
			{"ID", "abc"}, {"ID", "0"}, {"ID", "1", "TYPE"}, {"ID", "0", "TYPE"}, {"TYPE", "bad"},
			{"USER", "nobody"}, {"SKIPME", "maybe"}, {"MAXAGE", "10"}, {"FOO", "bar"}, {"a", "b", "c"},
		} {
			tr.do(k, append([]string{"CLIENT", "KILL"}, bad...)...)
		}
		_, me := clientFields(bulkText(tr.t, tr.mustDo(k, "CLIENT", "INFO")))
		tr.alias(me["addr"], "KILLER")
		tr.do(k, "CLIENT", "KILL", "ADDR", me["addr"])
		tr.do(k, "CLIENT", "KILL", "ADDR", me["addr"], "SKIPME", "no")
		tr.closed(k, "killed itself with SKIPME no", 5*time.Second)
		k = tr.dial()
		_, me = clientFields(bulkText(tr.t, tr.mustDo(k, "CLIENT", "INFO")))
		tr.alias(me["addr"], "KILLER2")
		tr.do(k, "CLIENT", "KILL", me["addr"])
		tr.closed(k, "killed itself with the old form", 5*time.Second)
	})
}

// TestClientPause compares CLIENT PAUSE: under WRITE reads pass and writes
// wait until UNPAUSE; under ALL every command
// waits, the pausing client's included, until the pause ends; commands
// rejected before running reply at once. Waiting is observed with generous
// bounds only.
func TestClientPause(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		a, b, e := tr.dial(), tr.dial(), tr.dial()
		waits := func(c *resptest.Conn, what string) {
			_, err := c.ReadTimeout(300 * time.Millisecond)
			tr.add("%s waits: %v", what, err != nil)
		}
		tr.do(a, "CLIENT", "PAUSE", "20000", "WRITE")
		tr.do(b, "GET", "k")
		tr.do(b, "PING")
		tr.do(e, "SET")
		tr.do(e, "NOSUCH")
		b.Write([]byte(enc("SET", "k", "v") + enc("GET", "k")))
		waits(b, "SET under WRITE")
		tr.do(a, "CLIENT", "UNPAUSE")
		for _, c := range []*resptest.Conn{b, b} {
			r, err := c.Read()
			tr.add("after UNPAUSE: %q %v", r, err)
		}
		a.Write([]byte(enc("CLIENT", "PAUSE", "2500", "ALL") + enc("PING")))
		r, err := a.ReadTimeout(1000 * time.Millisecond)
		tr.add("PAUSE ALL replies at once: %q %v", r, err)
		waits(a, "pausing client's own PING under ALL")
		b.Write([]byte(enc("GET", "k")))
		waits(b, "GET under ALL")
		tr.do(e, "GET")
		for _, c := range []*resptest.Conn{a, b} {
			r, err := c.Read()
			tr.add("after the pause ends: %q %v", r, err)
		}
		// A client killed while its write waits: the write never runs.
		v := tr.dial()
		vid := strings.TrimSpace(strings.TrimPrefix(tr.mustDo(v, "CLIENT", "ID"), ":"))
		tr.do(a, "CLIENT", "PAUSE", "20000", "WRITE")
		v.Write([]byte(enc("SET", "killed", "1")))
		waits(v, "SET under WRITE")
		tr.doAs("CLIENT KILL ID <waiting client>", a, "CLIENT", "KILL", "ID", vid)
		tr.closed(v, "killed while waiting", 5*time.Second)
		tr.do(a, "CLIENT", "UNPAUSE")
		time.Sleep(100 * time.Millisecond)
		tr.do(a, "EXISTS", "killed")
	})
}

// TestClientReply compares CLIENT REPLY ON, OFF and SKIP.
func TestClientReply(t *testing.T) {
	p := startPair(t)
	compareRaw(t, p, "reply", []rawCase{
		{"skip", []string{"CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\n"}},
		{"off-on", []string{"CLIENT REPLY OFF\r\nSET b 2\r\nGET b\r\nCLIENT REPLY ON\r\nGET b\r\n"}},
		{"skip-skip", []string{"CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\n"}},
		{"off-skip-on", []string{"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"}},
		{"skip-error", []string{"CLIENT REPLY SKIP\r\nNOSUCH\r\nPING\r\n"}},
		{"bad", []string{"CLIENT REPLY FOO\r\nCLIENT REPLY\r\n"}},
	})
}

// monitorLine is one MONITOR line: +<seconds>.<microseconds> [<db> <addr>]
// then the quoted arguments.
var monitorLine = regexp.MustCompile(`^\+([0-9]+)\.([0-9]{6}) \[([0-9]+) ([^ \]]+)\] (.*)\r\n$`)

// TestMonitor compares the lines MONITOR prints: format, db, client
// address and argument quoting; admin commands and rejected commands are
// not shown.
func TestMonitor(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		m, c := tr.dial(), tr.dial()
		tr.do(m, "MONITOR")
		_, me := clientFields(bulkText(tr.t, tr.mustDo(c, "CLIENT", "INFO")))
		cmds := [][]string{
			{"SET", "k", "v"}, {"GET", "k"}, {"ECHO", "a\x00\"\\\n\r\t\xff b"}, {"PING"},
			{"CONFIG", "GET", "port"}, {"NOSUCH"}, {"GET"}, {"CLIENT", "SETNAME", "x"}, {"SELECT", "0"},
		}
		for _, cmd := range cmds {
			tr.mustDo(c, cmd...)
		}
		start := time.Now()
		for i := 0; i < 7; i++ { // CLIENT INFO and the commands that run
			line, err := m.ReadTimeout(5 * time.Second)
			if err != nil {
				tr.add("monitor line %d: %v", i, err)
				break
			}
			g := monitorLine.FindStringSubmatch(string(line))
			if g == nil {
				tr.add("monitor line %q does not match the format", line)
				continue
			}
			sec, _ := strconv.ParseInt(g[1], 10, 64)
			recent := time.Since(time.Unix(sec, 0)) < time.Minute+time.Since(start)
			tr.add("db=%s from client=%v recent=%v args=%s", g[3], g[4] == me["addr"], recent, g[5])
		}
		data, _ := m.ReadUntilClose(200 * time.Millisecond)
		tr.add("then nothing more: %q", data)
		m.Write([]byte("QUIT\r\n"))
		tr.closed(m, "monitor after QUIT", 5*time.Second)
	})
}

// TestIdleTimeout compares the timeout directive: an idle client is closed
// without a reply.
func TestIdleTimeout(t *testing.T) {
	p := startPair(t, "--timeout", "1")
	compareScenario(t, p, func(tr *transcript) {
		c := tr.dial()
		tr.do(c, "CONFIG", "GET", "timeout")
		tr.closed(c, "idle for more than timeout", 8*time.Second)
	})
}

// TestMaxClients compares maxclients: the client over the limit gets
// "-ERR max number of clients reached" and is closed; once a client leaves
// a new one is accepted.
func TestMaxClients(t *testing.T) {
	p := startPair(t, "--maxclients", "3")
	compareScenario(t, p, func(tr *transcript) {
		var cs []*resptest.Conn
		for i := 0; i < 3; i++ {
			c := tr.dial()
			tr.do(c, "PING")
			cs = append(cs, c)
		}
		over := tr.dial()
		tr.closed(over, "fourth client", 5*time.Second)
		tr.do(cs[0], "CONFIG", "GET", "maxclients")
		cs[2].Close()
		ok := false
		for deadline := time.Now().Add(5 * time.Second); !ok && time.Now().Before(deadline); {
			c := tr.dial()
			if r, err := c.Do("PING"); err == nil && string(r) == "+PONG\r\n" {
				ok = true
			} else {
				time.Sleep(20 * time.Millisecond)
			}
		}
		tr.add("a client is accepted after one left: %v", ok)
	})
}

// TestUnixSocket checks unixsocket and unixsocketperm on both servers: the
// socket's mode, PING over it, and how CLIENT INFO names the connection.
func TestUnixSocket(t *testing.T) {
	kvDir, rdDir := t.TempDir(), t.TempDir()
	kvSock, rdSock := filepath.Join(kvDir, "kv.sock"), filepath.Join(rdDir, "kv.sock")
	args := func(path string) []string {
		return append(append([]string{}, serverArgs...), "--unixsocket", path, "--unixsocketperm", "700")
	}
	testutil.StartKV(t, args(kvSock)...)
	testutil.StartRedis(t, args(rdSock)...)
	var got [2][]string
	for i, path := range []string{kvSock, rdSock} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{fmt.Sprintf("mode %v socket %v", st.Mode().Perm(), st.Mode()&os.ModeSocket != 0)}
		c, err := net.DialTimeout("unix", path, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(c)
		c.Write([]byte("PING\r\nCLIENT INFO\r\n"))
		pong, _ := rd.ReadString('\n')
		hdr, _ := rd.ReadString('\n')
		n, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		body := make([]byte, n+2)
		if _, err := io.ReadFull(rd, body); err != nil {
			t.Fatal(err)
		}
		_, f := clientFields(string(body))
		out = append(out, "PING: "+pong,
			"addr="+strings.Replace(f["addr"], path, "SOCK", 1),
			"laddr="+strings.Replace(f["laddr"], path, "SOCK", 1),
			"flags="+f["flags"])
		got[i] = out
	}
	if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Errorf("unix socket:\n  kv-server:    %q\n  redis-server: %q", got[0], got[1])
	}
}

// TestShutdownAndSignals checks that SHUTDOWN NOSAVE closes the connection
// without a reply and the process exits with status 0, and that SIGTERM
// makes it exit with status 0, on both servers.
func TestShutdownAndSignals(t *testing.T) {
	type start func(testing.TB, ...string) *testutil.Server
	for _, s := range []struct {
		name  string
		start start
	}{{"kv-server", testutil.StartKV}, {"redis-server", testutil.StartRedis}} {
		// Without save points every accepted form exits at once.
		for _, args := range [][]string{{"SHUTDOWN"}, {"shutdown", "now", "force", "nosave"}} {
			srv := s.start(t, serverArgs...)
			c, err := resptest.Dial(srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.Write(resptest.Encode(args...))
			data, closed := c.ReadUntilClose(10 * time.Second)
			c.Close()
			if len(data) != 0 || !closed {
				t.Errorf("%s: %q sent %q, closed=%v; want nothing and a close", s.name, args, data, closed)
			}
			if code := waitExit(t, srv); code != 0 {
				t.Errorf("%s: exit status %d after %q, want 0", s.name, code, args)
			}
		}
		srv := s.start(t, serverArgs...)
		srv.Cmd.Process.Signal(syscall.SIGTERM)
		if code := waitExit(t, srv); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM, want 0", s.name, code)
		}
	}
}

// waitExit waits up to 10 s for srv's process to exit and returns its
// status (-1 when killed by a signal).
func waitExit(t *testing.T, srv *testutil.Server) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Cmd.Wait() }()
	select {
	case <-done:
		return srv.Cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit within 10s", srv)
		return 0
	}
}

// TestProtectedMode: the check applies to non-loopback peers only, which a
// test may not use; on loopback, with protected mode on and no password,
// both servers accept clients, and the setting reads and changes alike.
func TestProtectedMode(t *testing.T) {
	p := startPair(t, "--protected-mode", "yes")
	compareScenario(t, p, func(tr *transcript) {
		c := tr.dial()
		tr.do(c, "PING")
		tr.do(c, "CONFIG", "GET", "protected-mode")
		tr.do(c, "CONFIG", "SET", "protected-mode", "no")
		tr.do(c, "CONFIG", "GET", "protected-mode")
		tr.do(c, "CONFIG", "SET", "protected-mode", "yes")
		d := tr.dial()
		tr.do(d, "PING")
	})
}
