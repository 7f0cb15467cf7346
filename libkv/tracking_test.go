package libkv

import "testing"

func TestTrackingPrefixesOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "x", true}, {"a", "ab", true}, {"ab", "a", true}, {"ab", "ab", true},
		{"ab", "ac", false}, {"user:", "obj:", false}, {"a\x00b", "a\x00c", false},
	} {
		if got := trackingPrefixesOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestTrackingTable checks the table's invariants as tracking.c keeps
// them: a key read is remembered once per client, invalidates once and is
// then forgotten until read again; turning tracking off leaves the
// client's IDs to be dropped lazily.
func TestTrackingTable(t *testing.T) {
	c := testClient(t)
	s := c.srv
	c.w.Proto = 3
	check := func(keys, items int) {
		t.Helper()
		if len(s.tracking.table) != keys || s.tracking.items != items {
			t.Fatalf("table has %d keys, %d items; want %d, %d", len(s.tracking.table), s.tracking.items, keys, items)
		}
	}
	steps := []struct {
		cmd  []string
		want string
	}{
		{[]string{"CLIENT", "TRACKING", "on"}, "+OK\r\n"},
		{[]string{"GET", "a"}, "_\r\n"},
		{[]string{"GET", "a"}, "_\r\n"},
		{[]string{"SET", "a", "1"}, "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"},
		{[]string{"SET", "a", "2"}, "+OK\r\n"},
		{[]string{"MGET", "a", "b"}, "*2\r\n$1\r\n2\r\n_\r\n"},
	}
	for _, st := range steps {
		if got := c.run1(st.cmd...); got != st.want {
			t.Fatalf("%q = %q, want %q", st.cmd, got, st.want)
		}
	}
	check(2, 2)
	if got := c.run1("CLIENT", "TRACKING", "off"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	check(2, 2)
	if s.tracking.clients != 0 {
		t.Fatalf("tracking clients %d", s.tracking.clients)
	}
	if got := c.run1("SET", "a", "3"); got != "+OK\r\n" {
		t.Fatalf("SET after tracking off = %q", got)
	}
	check(1, 1)
	if got := c.run1("FLUSHALL"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	check(0, 0)
}
