package sds

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"123456789012345678901", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false}, {"0x1", 0, false},
	}
	for _, tt := range tests {
		v, ok := ParseInt([]byte(tt.in))
		if v != tt.v || ok != tt.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tt.in, v, ok, tt.v, tt.ok)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string // nil with bad: unbalanced quotes
		bad  bool
	}{
		{"", nil, false},
		{"  \t ", nil, false},
		{"a b  c", []string{"a", "b", "c"}, false},
		// isspace skips \v and \f between arguments, but only space, \t, \r and
		// \n end an unquoted one (sds.c), so the trailing \f stays in "b\f".
		{"\ta\r\n\vb\f", []string{"a", "b\f"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`""`, []string{""}, false},
		{`''`, []string{""}, false},
		{`"\x41\x4a\x00\xff"`, []string{"AJ\x00\xff"}, false},
		{`"\x4g\x"`, []string{"x4gx"}, false},
		{`"\n\r\t\b\a\q\\\""`, []string{"\n\r\t\b\aq\\\""}, false},
		{`'it\'s \n'`, []string{`it's \n`}, false},
		{`ab"c d"`, []string{"abc d"}, false},
		{`a"b"c`, nil, true},
		{`"a`, nil, true},
		{`'a`, nil, true},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
		{`"\"`, nil, true},
		{"a\x00 b", []string{"a"}, false},
	}
	for _, tt := range tests {
		got, err := SplitArgs([]byte(tt.in))
		if tt.bad {
			if err != ErrUnbalancedQuotes {
				t.Errorf("SplitArgs(%q) = %q, %v; want ErrUnbalancedQuotes", tt.in, got, err)
			}
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, string(a))
		}
		if err != nil || fmt.Sprintf("%q", s) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tt.in, s, err, tt.want)
		}
	}
}

// FuzzSplitArgs splits arbitrary lines: no panic, arguments no longer than
// the line, and quoting the arguments back gives a line that splits into
// the same arguments.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"", "a b", `"a\x41" 'b\'c'`, `"a`, `a"b c"`, `"\x"`, "a\x00b", `"a"b`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		args, err := SplitArgs(line)
		if err != nil {
			return
		}
		n := 0
		for _, a := range args {
			n += len(a)
		}
		if n > len(line) {
			t.Fatalf("%d argument bytes from a %d-byte line", n, len(line))
		}
		var quoted [][]byte
		for _, a := range args {
			quoted = append(quoted, AppendRepr(nil, a))
		}
		again, err := SplitArgs(bytes.Join(quoted, []byte(" ")))
		if err != nil || fmt.Sprintf("%q", again) != fmt.Sprintf("%q", args) {
			t.Fatalf("round trip of %q: %q, %v", args, again, err)
		}
	})
}

// sdssplitargs results (Redis sds.c and its tests).
func TestSplitArgsCases(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"  a  b\tc ", []string{"a", "b", "c"}, true},
		{`"a b" 'c d'`, []string{"a b", "c d"}, true},
		{`"\x41\n\r\t\b\a\"\\\z"`, []string{"A\n\r\t\b\a\"\\z"}, true},
		{`"\x4"`, []string{"x4"}, true},
		{`'it\'s' '\n'`, []string{"it's", `\n`}, true},
		{`ab"c d"e`, nil, false},
		{`ab"c d"`, []string{"abc d"}, true},
		{`"unterminated`, nil, false},
		{`'unterminated`, nil, false},
		{`"a"b`, nil, false},
		{`""`, []string{""}, true},
	} {
		parts, err := SplitArgs([]byte(c.in))
		var got []string
		for _, p := range parts {
			got = append(got, string(p))
		}
		if (err == nil) != c.ok || (c.ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestStrtoll checks C strtoll semantics: prefix parsing, end offset,
// saturation.
func TestStrtoll(t *testing.T) {
	for _, tc := range []struct {
		in      string
		base    int
		v       int64
		end     int
		inRange bool
	}{
		{"42", 10, 42, 2, true}, {"  -7x", 10, -7, 4, true}, {"+0", 10, 0, 2, true}, {"", 10, 0, 0, true},
		{"abc", 10, 0, 0, true}, {"-", 10, 0, 0, true}, {"777", 8, 511, 3, true}, {"ff", 16, 255, 2, true},
		{"9223372036854775808", 10, 1<<63 - 1, 19, false}, {"-9223372036854775809", 10, -1 << 63, 20, false},
		{"-9223372036854775808", 10, -1 << 63, 20, true}, {"99999999999999999999999", 10, 1<<63 - 1, 23, false},
	} {
		v, end, inRange := Strtoll(tc.in, tc.base)
		if v != tc.v || end != tc.end || inRange != tc.inRange {
			t.Errorf("Strtoll(%q, %d) = %d, %d, %v; want %d, %d, %v", tc.in, tc.base, v, end, inRange, tc.v, tc.end, tc.inRange)
		}
	}
}
