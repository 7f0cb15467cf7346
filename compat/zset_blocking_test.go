package compat

import (
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
)

// TestBlockingZset: BZPOPMIN, BZPOPMAX and BZMPOP served at once and after
// blocking, first blocked first served, in RESP2 and RESP3 (BZMPOP's
// nested pairs), several keys, a ZADD that creates a key for three
// waiters, timeouts, WRONGTYPE and argument errors in Redis's order.
func TestBlockingZset(t *testing.T) {
	p := startPair(t)
	compareScenario(t, p, func(tr *transcript) {
		admin := tr.dial()
		a, b, c := tr.dial(), tr.dial(), tr.dial()
		tr.do(c, "HELLO", "3")
		// Immediate service.
		tr.do(admin, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f")
		tr.do(a, "BZPOPMIN", "none", "z", "0")
		tr.do(c, "BZPOPMAX", "z", "0")
		tr.do(a, "BZMPOP", "0", "2", "none", "z", "MAX", "COUNT", "2")
		tr.do(c, "BZMPOP", "0", "1", "z", "MIN")
		tr.do(admin, "ZRANGE", "z", "0", "-1")
		tr.do(admin, "DEL", "z")
		// Blocking, served in order as ZADD fills the key.
		tr.send(a, "BZPOPMIN", "z", "0")
		tr.blockedClients(admin, 1)
		tr.send(b, "BZPOPMAX", "other", "z", "0")
		tr.blockedClients(admin, 2)
		tr.send(c, "BZMPOP", "0", "2", "z", "other", "MIN", "COUNT", "3")
		tr.blockedClients(admin, 3)
		tr.do(admin, "ZADD", "z", "1", "a", "2", "b", "3", "c")
		tr.reply("a", a)
		tr.reply("b", b)
		tr.reply("c", c)
		tr.blockedClients(admin, 0)
		tr.do(admin, "EXISTS", "z")
		// A key of another type does not serve the waiter.
		tr.send(a, "BZPOPMIN", "z", "0")
		tr.blockedClients(admin, 1)
		tr.do(admin, "SET", "z", "str")
		tr.do(admin, "DEL", "z")
		tr.do(admin, "ZADD", "z", "5", "x")
		tr.reply("a", a)
		// Timeouts: null arrays in both protocols.
		for _, cl := range []*resptest.Conn{b, c} {
			tr.do(cl, "BZPOPMIN", "none", "0.01")
			tr.do(cl, "BZPOPMAX", "none", "none2", "0.01")
			tr.do(cl, "BZMPOP", "0.01", "1", "none", "MAX")
		}
		// Errors.
		tr.do(admin, "SET", "str", "x")
		tr.do(a, "BZPOPMIN", "none", "str", "0")
		tr.do(a, "BZMPOP", "0", "1", "str", "MIN")
		tr.do(a, "BZPOPMIN", "k", "abc")
		tr.do(a, "BZPOPMIN", "k", "-1")
		tr.do(a, "BZMPOP", "abc", "1", "k", "MIN")
		tr.do(a, "BZMPOP", "abc", "0", "k", "MIN")
		tr.do(a, "BZMPOP", "abc", "1", "k", "MIDDLE")
		tr.do(a, "BZMPOP", "abc", "1", "k", "MIN", "COUNT", "0")
		tr.do(a, "BZMPOP", "0", "1", "k")
		tr.do(a, "BZPOPMIN", "k")
	})
}
