package compat

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
)

func dial(t *testing.T, addr string) *resptest.Conn {
	t.Helper()
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// mustDo sends a command and returns its raw reply; an I/O error fails.
func mustDo(t *testing.T, c *resptest.Conn, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return string(r)
}

// intReply sends a command whose reply must be an integer.
func intReply(t *testing.T, c *resptest.Conn, args ...string) int64 {
	t.Helper()
	r := mustDo(t, c, args...)
	if !strings.HasPrefix(r, ":") {
		t.Fatalf("%q: want an integer, got %q", args, r)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r[1:]), 10, 64)
	if err != nil {
		t.Fatalf("%q: %q: %v", args, r, err)
	}
	return n
}

// infoField returns one field of an INFO section.
func infoField(t *testing.T, c *resptest.Conn, section, field string) string {
	t.Helper()
	r := mustDo(t, c, "INFO", section)
	for _, line := range strings.Split(r, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no field %s:\n%s", section, field, r)
	return ""
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bulk returns the payload of a bulk string reply.
func bulk(t *testing.T, raw []byte) string {
	t.Helper()
	hdr, rest, ok := bytes.Cut(raw, []byte("\r\n"))
	if !ok || len(hdr) == 0 || hdr[0] != '$' {
		t.Fatalf("not a bulk string: %q", raw)
	}
	n, err := strconv.Atoi(string(hdr[1:]))
	if err != nil || n < 0 || n+2 != len(rest) {
		t.Fatalf("bad bulk string: %q", raw)
	}
	return string(rest[:n])
}
