package libkv

import (
	"net"
	"testing"
)

// secondClient connects another in-process client to c's server.
func secondClient(t testing.TB, c *Client) *Client {
	t.Helper()
	nc, peer := net.Pipe()
	t.Cleanup(func() { nc.Close(); peer.Close() })
	o, reject := c.srv.newClient(nc)
	if o == nil {
		t.Fatal(reject)
	}
	return o
}

// TestMultiQueuedArgsCopied checks that a queued command keeps its own
// copy of its arguments: the request buffer they came from is reused.
func TestMultiQueuedArgsCopied(t *testing.T) {
	c := testClient(t)
	c.run1("MULTI")
	buf := []byte("SETkeyvalue")
	c.process([][]byte{buf[:3], buf[3:6], buf[6:]})
	copy(buf, "XXXXXXXXXXX")
	if got := c.run1("EXEC"); got != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC = %q", got)
	}
	if got := c.run1("GET", "key"); got != "$5\r\nvalue\r\n" {
		t.Fatalf("GET = %q", got)
	}
}

// TestMultiWatchBookkeeping checks the invariants of the watch tables: a
// database's watchers and the clients' watched keys agree, and nothing is
// left behind by EXEC, DISCARD, UNWATCH, a touch, RESET or a disconnect.
func TestMultiWatchBookkeeping(t *testing.T) {
	c := testClient(t)
	o := secondClient(t, c)
	s := c.srv
	check := func(when string, want int) {
		t.Helper()
		n := 0
		for _, db := range s.dbs {
			for key, list := range db.watched {
				if len(list) == 0 {
					t.Errorf("%s: %q has an empty watcher list", when, key)
				}
				for _, wk := range list {
					if wk.db != db || wk.key != key {
						t.Errorf("%s: watcher of %q filed under db %d %q", when, wk.key, db.id, key)
					}
					found := false
					for _, x := range wk.c.watched {
						found = found || x == wk
					}
					if !found {
						t.Errorf("%s: %q's watcher is not in its client's list", when, key)
					}
					n++
				}
			}
		}
		if n != want {
			t.Errorf("%s: %d watchers, want %d", when, n, want)
		}
		if len(s.written) != 0 {
			t.Errorf("%s: %d written keys left after the command", when, len(s.written))
		}
	}
	c.run1("WATCH", "a", "b", "a")
	o.run1("WATCH", "a")
	check("watching", 3)
	c.run1("SELECT", "1")
	c.run1("WATCH", "a")
	check("other db", 4)
	o.run1("SET", "b", "1")
	check("touched", 1)
	if !c.dirtyCAS || o.dirtyCAS {
		t.Fatalf("dirty flags: %v %v", c.dirtyCAS, o.dirtyCAS)
	}
	c.run1("UNWATCH")
	c.run1("WATCH", "x")
	c.run1("MULTI")
	c.run1("SET", "x", "1")
	check("queued", 2)
	if got := c.run1("EXEC"); got != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC = %q", got)
	}
	check("exec", 1)
	c.run1("WATCH", "y")
	c.run1("MULTI")
	c.run1("DISCARD")
	check("discard", 1)
	c.run1("WATCH", "y")
	c.run1("RESET")
	check("reset", 1)
	s.freeClient(o)
	check("disconnected", 0)
}

// TestMultiDenyBlocking checks the flag the blocking commands test: set
// only while EXEC runs the queued commands.
func TestMultiDenyBlocking(t *testing.T) {
	c := testClient(t)
	var during bool
	cmd := &command{meta: c.srv.lookupCommand([][]byte{[]byte("ping")}).meta, fn: func(c *Client, args [][]byte) {
		during = c.denyBlocking
		c.w.Status("PONG")
	}}
	c.run1("MULTI")
	c.queue(cmd, [][]byte{[]byte("ping")})
	if c.denyBlocking {
		t.Fatal("denyBlocking set while queueing")
	}
	c.run1("EXEC")
	if !during || c.denyBlocking {
		t.Fatalf("denyBlocking during EXEC %v, after %v", during, c.denyBlocking)
	}
}

// TestMultiWrittenKeysNested checks that the keys a queued command
// changes are signalled by that command's call, inside EXEC, and that a
// command that changes nothing signals nothing.
func TestMultiWrittenKeysNested(t *testing.T) {
	c := testClient(t)
	o := secondClient(t, c)
	o.run1("SET", "k", "1")
	o.run1("WATCH", "k")
	c.run1("MULTI")
	c.run1("SETNX", "k", "2")
	c.run1("GET", "k")
	c.run1("EXEC")
	if o.dirtyCAS {
		t.Fatal("SETNX on an existing key touched the watcher")
	}
	c.run1("MULTI")
	c.run1("GET", "k")
	c.run1("INCR", "k")
	c.run1("EXEC")
	if !o.dirtyCAS {
		t.Fatal("INCR inside EXEC did not touch the watcher")
	}
	if len(c.srv.written) != 0 {
		t.Fatalf("%d written keys left", len(c.srv.written))
	}
}

// BenchmarkMultiExec measures a MULTI, two SETs and an EXEC run in process,
// with another client watching the key so that the signal path is live.
func BenchmarkMultiExec(b *testing.B) {
	c := testClient(b)
	secondClient(b, c).run1("WATCH", "key")
	multi, exec := [][]byte{[]byte("MULTI")}, [][]byte{[]byte("EXEC")}
	set := [][]byte{[]byte("SET"), []byte("key"), []byte("value")}
	for b.Loop() {
		c.do(multi...)
		c.do(set...)
		c.do(set...)
		c.do(exec...)
	}
}

// TestMultiMemory checks the multi-state memory of Redis 7.0's
// multiStateMemOverhead, as CLIENT LIST's multi-mem and the clients'
// memory count it: argument bytes and an 8-byte pointer per argument, 24
// bytes per reserved command slot (2, then doubling), 56 per watched key.
func TestMultiMemory(t *testing.T) {
	c := testClient(t)
	base := c.srv.clientsMemory()
	c.run1("WATCH", "a", "b")
	c.run1("MULTI")
	c.run1("SET", "x", "1")
	if got, want := c.multiMemory(), int64(2*56+(5+3*8)+2*24); got != want {
		t.Fatalf("multi memory %d, want %d", got, want)
	}
	c.run1("GET", "x")
	c.run1("GET", "y")
	if got, want := c.multiMemory(), int64(2*56+(5+3*8)+2*(4+2*8)+4*24); got != want {
		t.Fatalf("multi memory %d, want %d", got, want)
	}
	if got := c.srv.clientsMemory() - base; got != c.multiMemory() {
		t.Fatalf("clients memory grew by %d, want %d", got, c.multiMemory())
	}
	c.run1("EXEC")
	if got := c.multiMemory(); got != 0 {
		t.Fatalf("multi memory after EXEC %d", got)
	}
}
