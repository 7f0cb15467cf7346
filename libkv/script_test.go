package libkv

import (
	"strings"
	"testing"
)

// TestScriptEffects checks the effects hook: the write commands a script
// ran, in order, with their database, and nothing for a read-only run.
func TestScriptEffects(t *testing.T) {
	c := testClient(t)
	var got [][]ScriptEffect
	c.srv.scripting().effects = func(e []ScriptEffect) { got = append(got, e) }
	c.run1("SELECT", "3")
	out := c.run1("EVAL", "redis.call('set', KEYS[1], 'a') redis.call('get', KEYS[1]) redis.call('select', '5') "+
		"redis.call('incr', 'n') redis.call('del', 'nokey') return 1", "1", "k")
	if out != ":1\r\n" {
		t.Fatalf("EVAL: %q", out)
	}
	if len(got) != 1 {
		t.Fatalf("effects of %d runs, want 1: %v", len(got), got)
	}
	var lines []string
	for _, e := range got[0] {
		lines = append(lines, sprintf("%d %s", e.DB, strings.Join(strings.Fields(sprintf("%s", e.Args)), " ")))
	}
	want := "3 [set k a]|5 [incr n]"
	if strings.Join(lines, "|") != want {
		t.Fatalf("effects %q, want %q", strings.Join(lines, "|"), want)
	}
	c.run1("EVAL", "return redis.call('get', 'k')", "0")
	if len(got) != 1 {
		t.Fatalf("a read-only run reported effects: %v", got[1:])
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
