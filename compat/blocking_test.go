package compat

import (
	"strconv"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
)

// blockedClients waits (at most 5 s) until the server reports n blocked
// clients, so that clients block in a known order.
func (tr *transcript) blockedClients(admin *resptest.Conn, n int) {
	tr.t.Helper()
	ok := waitFor(5*time.Second, func() bool {
		raw := tr.mustDo(admin, "INFO", "clients")
		return infoValue(raw, "blocked_clients") == strconv.Itoa(n)
	})
	if !ok {
		tr.t.Fatalf("%s: blocked_clients never reached %d", tr.name, n)
	}
	tr.add("blocked_clients=%d", n)
}

// infoValue extracts one field from an INFO reply.
func infoValue(raw, field string) string {
	for _, line := range splitLines(raw) {
		if len(line) > len(field) && line[:len(field)+1] == field+":" {
			return line[len(field)+1:]
		}
	}
	return ""
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line := s[start:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			out = append(out, line)
			start = i + 1
		}
	}
	return out
}

// send writes a command without waiting for its reply.
func (tr *transcript) send(c *resptest.Conn, args ...string) {
	tr.t.Helper()
	if err := c.Write(resptest.Encode(args...)); err != nil {
		tr.t.Fatalf("%s: %q: %v", tr.name, args, err)
	}
}

// reply records the next reply on c, labelled.
func (tr *transcript) reply(label string, c *resptest.Conn) {
	tr.t.Helper()
	raw, err := c.Read()
	if err != nil {
		tr.t.Fatalf("%s: %s: %v", tr.name, label, err)
	}
	tr.add("%s <- %q", label, raw)
}

// TestBlockingOrder: clients blocked on a key are served first blocked,
// first served, one element each; a client blocked on several keys is
// served by the first that gets something; the blocked command is counted
// once, when served.
func TestBlockingOrder(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		admin := tr.dial()
		tr.do(admin, "CONFIG", "RESETSTAT")
		a, b, c := tr.dial(), tr.dial(), tr.dial()
		tr.do(c, "HELLO", "3") // c's replies are RESP3
		tr.send(a, "BLPOP", "k", "0")
		tr.blockedClients(admin, 1)
		tr.send(b, "BRPOP", "other", "k", "0")
		tr.blockedClients(admin, 2)
		tr.send(c, "BLMPOP", "0", "2", "k", "other", "RIGHT", "COUNT", "5")
		tr.blockedClients(admin, 3)
		tr.do(admin, "RPUSH", "k", "1", "2")
		tr.reply("a", a)
		tr.reply("b", b)
		tr.blockedClients(admin, 1)
		tr.do(admin, "LPUSH", "other", "x", "y", "z")
		tr.reply("c", c)
		tr.do(admin, "EXISTS", "k", "other")
		tr.blockedClients(admin, 0)
		// Immediate service, and a key named twice.
		tr.do(admin, "RPUSH", "k", "v")
		tr.do(a, "BLPOP", "k", "k", "1")
		tr.send(a, "BLPOP", "k", "k", "0")
		tr.blockedClients(admin, 1)
		tr.do(admin, "RPUSH", "k", "w")
		tr.reply("a", a)
		// Commands pipelined behind a blocked one wait for it.
		pipe := append(resptest.Encode("BLPOP", "k", "0"), resptest.Encode("RPUSH", "k2", "after")...)
		if err := a.Write(pipe); err != nil {
			tr.t.Fatal(err)
		}
		tr.blockedClients(admin, 1)
		tr.do(admin, "EXISTS", "k2")
		tr.do(admin, "RPUSH", "k", "z")
		tr.reply("a", a)
		tr.reply("a", a)
		tr.do(admin, "LRANGE", "k2", "0", "-1")
		raw := tr.mustDo(admin, "INFO", "commandstats")
		for _, cmd := range []string{"blpop", "brpop", "blmpop"} {
			calls := infoValue(raw, "cmdstat_"+cmd)
			if i := len("calls="); len(calls) > i {
				calls = calls[:indexByte(calls, ',')]
			}
			tr.add("%s %s", cmd, calls)
		}
	})
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return len(s)
}

// TestBlockingTimeouts: the null reply of a timeout in both protocols,
// for every blocking list command, and the timeout argument's errors.
func TestBlockingTimeouts(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		c2, c3 := tr.dial(), tr.dial()
		tr.do(c3, "HELLO", "3")
		for _, c := range []*resptest.Conn{c2, c3} {
			tr.do(c, "BLPOP", "none", "0.05")
			tr.do(c, "BRPOP", "none", "none2", "0.01")
			tr.do(c, "BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.02")
			tr.do(c, "BRPOPLPUSH", "none", "dst", "0.001")
			tr.do(c, "BLMPOP", "0.01", "1", "none", "LEFT")
			tr.do(c, "EXISTS", "dst")
		}
		for _, to := range []string{"abc", "-1", "-0.0011", "0x1p-20", "inf", "-inf", "nan", " 1", "1e400", "9223372036854775807", "0x", ""} {
			tr.do(c2, "BLPOP", "none", to)
		}
		tr.do(c2, "BLMPOP", "abc", "0", "k", "LEFT")
		tr.do(c2, "BLMPOP", "abc", "1", "k", "LEFT")
		tr.do(c2, "BLMPOP", "0.01", "1", "k", "MIDDLE")
		tr.do(c2, "BLMOVE", "a", "b", "UP", "LEFT", "abc")
		tr.do(c2, "BLMOVE", "a", "b", "LEFT", "LEFT", "abc")
		tr.do(c2, "SET", "str", "x")
		tr.do(c2, "BLPOP", "none", "str", "0")
		tr.do(c2, "BLMOVE", "str", "b", "LEFT", "LEFT", "0")
		tr.do(c2, "RPUSH", "src", "e")
		tr.do(c2, "BLMOVE", "src", "str", "LEFT", "LEFT", "0")
		tr.do(c2, "LRANGE", "src", "0", "-1")
	})
}

// TestBlockingUnblockAndKill: CLIENT UNBLOCK (TIMEOUT, ERROR, a client not
// blocked), CLIENT KILL and a disconnect of a blocked client, after which
// a push stays in the list.
func TestBlockingUnblockAndKill(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		admin := tr.dial()
		a, b := tr.dial(), tr.dial()
		tr.do(b, "HELLO", "3")
		idA := tr.mustDo(a, "CLIENT", "ID")
		idB := tr.mustDo(b, "CLIENT", "ID")
		idA, idB = idA[1:len(idA)-2], idB[1:len(idB)-2]
		tr.doAs("CLIENT UNBLOCK a (not blocked)", admin, "CLIENT", "UNBLOCK", idA)
		tr.send(a, "BLPOP", "k", "0")
		tr.send(b, "BLMOVE", "k", "d", "LEFT", "LEFT", "100")
		tr.blockedClients(admin, 2)
		raw := tr.mustDo(admin, "INFO", "clients")
		tr.add("clients_in_timeout_table=%s", infoValue(raw, "clients_in_timeout_table"))
		for _, id := range []string{idA, idB} {
			_, fields := clientFields(bulkText(tr.t, tr.mustDo(admin, "CLIENT", "LIST", "ID", id)))
			tr.add("flags=%s cmd=%s", fields["flags"], fields["cmd"])
		}
		tr.doAs("CLIENT UNBLOCK a TIMEOUT", admin, "CLIENT", "UNBLOCK", idA, "TIMEOUT")
		tr.reply("a", a)
		tr.doAs("CLIENT UNBLOCK b ERROR", admin, "CLIENT", "UNBLOCK", idB, "ERROR")
		tr.reply("b", b)
		tr.do(admin, "CLIENT", "UNBLOCK", "0", "MAYBE")
		tr.blockedClients(admin, 0)
		tr.do(a, "PING")
		tr.do(b, "PING")
		// A killed client and a client that hung up are not served.
		tr.send(a, "BLPOP", "k", "0")
		tr.send(b, "BRPOP", "k", "0")
		tr.blockedClients(admin, 2)
		tr.doAs("CLIENT KILL ID a", admin, "CLIENT", "KILL", "ID", idA)
		tr.closed(a, "a", time.Second)
		b.Close()
		tr.blockedClients(admin, 0)
		tr.do(admin, "RPUSH", "k", "kept")
		tr.do(admin, "LRANGE", "k", "0", "-1")
	})
}

// TestBlockingMoveChain: BLMOVE clients waiting on each other's
// destinations are all served after the one push that starts the chain,
// and a destination of the wrong type gets WRONGTYPE.
func TestBlockingMoveChain(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		admin := tr.dial()
		a, b, c, d := tr.dial(), tr.dial(), tr.dial(), tr.dial()
		tr.send(a, "BLMOVE", "s1", "s2", "LEFT", "RIGHT", "0")
		tr.blockedClients(admin, 1)
		tr.send(b, "BRPOPLPUSH", "s2", "s3", "0")
		tr.blockedClients(admin, 2)
		tr.send(c, "BLPOP", "s3", "0")
		tr.blockedClients(admin, 3)
		tr.send(d, "BLMOVE", "s4", "str", "LEFT", "RIGHT", "0")
		tr.blockedClients(admin, 4)
		tr.do(admin, "RPUSH", "s1", "one", "two")
		tr.reply("a", a)
		tr.reply("b", b)
		tr.reply("c", c)
		tr.do(admin, "LRANGE", "s1", "0", "-1")
		tr.do(admin, "EXISTS", "s2", "s3")
		tr.do(admin, "SET", "str", "x")
		tr.do(admin, "RPUSH", "s4", "e")
		tr.reply("d", d)
		tr.do(admin, "LRANGE", "s4", "0", "-1")
		// A list rotated onto itself.
		tr.send(a, "BLMOVE", "r", "r", "LEFT", "RIGHT", "0")
		tr.blockedClients(admin, 1)
		tr.do(admin, "RPUSH", "r", "1", "2", "3")
		tr.reply("a", a)
		tr.do(admin, "LRANGE", "r", "0", "-1")
		// A key that holds another type when pushed to is not served, and
		// the client keeps waiting for the list.
		tr.send(a, "BLPOP", "t", "0")
		tr.blockedClients(admin, 1)
		tr.do(admin, "SET", "t", "string")
		tr.do(admin, "DEL", "t")
		tr.do(admin, "RPUSH", "t", "finally")
		tr.reply("a", a)
		tr.blockedClients(admin, 0)
		// SWAPDB brings a list under a waited-for key.
		tr.do(admin, "SELECT", "1")
		tr.do(admin, "RPUSH", "sw", "swapped")
		tr.do(admin, "SELECT", "0")
		tr.send(a, "BRPOP", "sw", "0")
		tr.blockedClients(admin, 1)
		tr.do(admin, "SWAPDB", "0", "1")
		tr.reply("a", a)
		tr.do(admin, "DBSIZE")
		// RENAME and COPY bring lists under waited-for keys.
		tr.send(a, "BLPOP", "rn", "0")
		tr.send(b, "BLPOP", "cp", "0")
		tr.blockedClients(admin, 2)
		tr.do(admin, "RPUSH", "src", "x", "y")
		tr.do(admin, "COPY", "src", "cp")
		tr.reply("b", b)
		tr.do(admin, "RENAME", "src", "rn")
		tr.reply("a", a)
		tr.do(admin, "LRANGE", "rn", "0", "-1")
		tr.do(admin, "LRANGE", "cp", "0", "-1")
	})
}
