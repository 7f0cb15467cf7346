package libkv

import (
	"strings"
	"testing"
)

// propRecorder installs a sink that records what is propagated, one
// "db:ARGS" line per command.
func propRecorder(c *Client) *[]string {
	var got []string
	c.srv.prop.sinks = append(c.srv.prop.sinks, func(db int, args [][]byte) {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = string(a)
		}
		got = append(got, string(rune('0'+db))+":"+strings.Join(parts, " "))
	})
	return &got
}

func TestPropagateDefaultAndRewrites(t *testing.T) {
	c := testClient(t)
	got := propRecorder(c)
	c.run1("SET", "a", "1")
	c.run1("GET", "a") // no change: nothing
	c.run1("SET", "b", "1", "NX", "GET")
	c.run1("SELECT", "3")
	c.run1("INCRBYFLOAT", "f", "1.5")
	c.run1("SADD", "s", "x")
	c.run1("SPOP", "s")
	c.run1("EXPIRE", "f", "0") // a past expiry deletes: DEL
	want := []string{"0:SET a 1", "0:SET b 1 NX", "3:SET f 1.5 KEEPTTL", "3:SADD s x", "3:SREM s x", "3:DEL f"}
	if strings.Join(*got, "|") != strings.Join(want, "|") {
		t.Fatalf("propagated %q, want %q", *got, want)
	}
}

// TestPropagateNested is the contract for MULTI/EXEC and scripts: calls
// nested in a call are propagated once the outermost returns, wrapped in
// MULTI/EXEC when there is more than one.
func TestPropagateNested(t *testing.T) {
	c := testClient(t)
	got := propRecorder(c)
	s := c.srv
	s.prop.depth++ // as EXEC's call() around its commands
	c.run1("SET", "a", "1")
	c.run1("GET", "a")
	c.run1("INCR", "a")
	if len(*got) != 0 {
		t.Fatalf("propagated inside the outer call: %q", *got)
	}
	s.prop.depth--
	s.propagatePending()
	want := "0:MULTI|0:SET a 1|0:INCR a|0:EXEC"
	if strings.Join(*got, "|") != want {
		t.Fatalf("propagated %q, want %q", *got, want)
	}
}

// TestPropagateNotSave: SAVE resets the change counter; that is not a
// change to propagate (call() clamps the difference at 0).
func TestPropagateNotSave(t *testing.T) {
	c := testClient(t)
	c.srv.conf.Dir = t.TempDir()
	got := propRecorder(c)
	c.run1("SET", "a", "1")
	if r := c.run1("SAVE"); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	if strings.Join(*got, "|") != "0:SET a 1" {
		t.Fatalf("propagated %q", *got)
	}
}
