package libkv

import (
	"strings"
	"testing"
)

// TestScriptSelect checks that SELECT inside a script moves only the
// script's client: the caller stays in its database.
func TestScriptSelect(t *testing.T) {
	c := testClient(t)
	c.run1("SELECT", "3")
	if out := c.run1("EVAL", "redis.call('set', KEYS[1], 'a') redis.call('select', '5') redis.call('incr', 'n') return 1", "1", "k"); out != ":1\r\n" {
		t.Fatalf("EVAL: %q", out)
	}
	// The caller's database is its own: SELECT in a script does not move it.
	if out := c.run1("GET", "k"); out != "$1\r\na\r\n" {
		t.Fatalf("GET k in db 3 after the script: %q", out)
	}
}

func BenchmarkEvalSHA(b *testing.B) {
	c := testClient(b)
	sha := c.run1("SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])")
	sha = strings.Split(sha, "\r\n")[1]
	b.ReportAllocs()
	for b.Loop() {
		c.run1("EVALSHA", sha, "1", "counter")
	}
}
