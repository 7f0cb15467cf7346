package libkv

import (
	"net"
	"strconv"
	"testing"

	"github.com/kvkit/kvkit/libkv/config"
)

// benchClient is a server with one client whose commands run in process,
// replies discarded: the cost of a command without the network.
func benchClient(b *testing.B) *Client {
	b.Helper()
	s, err := New(config.Default())
	if err != nil {
		b.Fatal(err)
	}
	nc, peer := net.Pipe()
	b.Cleanup(func() { nc.Close(); peer.Close() })
	c, reject := s.newClient(nc)
	if c == nil {
		b.Fatal(reject)
	}
	return c
}

func (c *Client) benchDo(args ...[]byte) {
	c.process(args)
	c.w.Reset()
}

// BenchmarkSaddSpop is redis-benchmark's sadd and spop tests: SADD of one
// member to a set that does not exist yet (a new hashtable each time),
// then SPOP of it (the key deleted).
func BenchmarkSaddSpop(b *testing.B) {
	c := benchClient(b)
	sadd := [][]byte{[]byte("SADD"), []byte("myset"), []byte("element:__rand_int__")}
	spop := [][]byte{[]byte("SPOP"), []byte("myset")}
	b.ReportAllocs()
	for b.Loop() {
		c.benchDo(sadd...)
		c.benchDo(spop...)
	}
}

// BenchmarkSaddLarge adds to and pops from sets of 1000 members, intset
// and hashtable: the per-command cost must not grow with the set.
func BenchmarkSaddLarge(b *testing.B) {
	for _, prefix := range []string{"", "m:"} {
		name := map[string]string{"": "intset", "m:": "hashtable"}[prefix]
		b.Run(name, func(b *testing.B) {
			c := benchClient(b)
			c.srv.conf.SetMaxIntsetEntries = 4096
			members := make([][]byte, 2000)
			for i := range members {
				members[i] = []byte(prefix + strconv.Itoa(i*7))
			}
			for _, m := range members[:1000] {
				c.benchDo([]byte("SADD"), []byte("s"), m)
			}
			spop := [][]byte{[]byte("SPOP"), []byte("s")}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.benchDo([]byte("SADD"), []byte("s"), members[1000+i%1000])
				c.benchDo(spop...)
				i++
			}
		})
	}
}
