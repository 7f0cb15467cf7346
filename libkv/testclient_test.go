package libkv

import (
	"net"
	"testing"

	"github.com/kvkit/kvkit/libkv/config"
)

// testClient is a fresh server with one client whose commands run in
// process (c.process); replies accumulate in c.w.
func testClient(tb testing.TB) *Client {
	tb.Helper()
	s, err := New(config.Default())
	if err != nil {
		tb.Fatal(err)
	}
	nc, peer := net.Pipe()
	tb.Cleanup(func() { nc.Close(); peer.Close() })
	c, reject := s.newClient(nc)
	if c == nil {
		tb.Fatal(reject)
	}
	return c
}

// do runs a command in process and discards its reply.
func (c *Client) do(args ...[]byte) {
	c.process(args)
	c.w.Reset()
}

// run1 runs one command in process and returns its reply.
func (c *Client) run1(args ...string) string {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	c.w.Reset()
	c.process(b)
	return string(c.w.Bytes())
}
