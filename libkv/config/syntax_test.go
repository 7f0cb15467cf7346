package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		line string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   \t ", nil, false},
		{"port 6379", []string{"port", "6379"}, false},
		{"  save   3600 1  ", []string{"save", "3600", "1"}, false},
		{`save ""`, []string{"save", ""}, false},
		{`a "b c" d`, []string{"a", "b c", "d"}, false},
		{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}, false},
		{`"\x41\x4a\x4Z"`, []string{"AJx4Z"}, false},
		{`"\x"`, []string{"x"}, false},
		{`'it\'s' 'a\nb'`, []string{"it's", `a\nb`}, false},
		{`a"b"`, []string{"ab"}, false}, // a quote inside a word opens quoting
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"a"b`, nil, true}, // closing quote must be followed by a space
		{`'a'b`, nil, true},
		{`"a"` + "\t" + `b`, []string{"a", "b"}, false},
		{"a\vb", []string{"a\vb"}, false}, // \v separates only before a word
		{"\va", []string{"a"}, false},
		{"a\x00b c", []string{"a"}, false}, // NUL ends the C string
		{`"a\`, nil, true},
	}
	for _, c := range cases {
		got, err := SplitArgs(c.line)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, err %v", c.line, got, err, c.want, c.err)
		}
		if err != nil && !errors.Is(err, ErrUnbalancedQuotes) {
			t.Errorf("SplitArgs(%q): error %v", c.line, err)
		}
	}
}

func TestReprRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a b", "\x00\x01\xff\"\\\n\r\t\a\b", "{title} x"} {
		r := Repr(s)
		got, err := SplitArgs(r)
		if err != nil || len(got) != 1 || got[0] != s {
			t.Errorf("SplitArgs(Repr(%q) = %s) = %q, %v", s, r, got, err)
		}
	}
	if got, want := Repr("a\x00\"b\xff"), `"a\x00\"b\xff"`; got != want {
		t.Errorf("Repr = %s, want %s", got, want)
	}
}

func TestParseMemory(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"kb", 0, true},
		{"1", 1, true}, {"1b", 1, true}, {"1B", 1, true},
		{"1k", 1000, true}, {"1K", 1000, true}, {"1kb", 1024, true}, {"1KB", 1024, true}, {"1kB", 1024, true},
		{"2m", 2000000, true}, {"2mb", 2 << 20, true}, {"2MB", 2 << 20, true},
		{"3g", 3000000000, true}, {"3gb", 3 << 30, true}, {"3Gb", 3 << 30, true},
		{"-1", 0, false}, {"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"1x", 0, false}, {"1kbb", 0, false}, {"1.5mb", 0, false},
		{"18446744073709551615", 1<<64 - 1, true},
		{"99999999999999999999", 1<<64 - 1, true},    // strtoull saturates
		{"20000000000gb", 3028092406290448384, true}, // wraps, as in Redis (measured)
	}
	for _, c := range cases {
		got, ok := ParseMemory(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseLL(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if got, ok := parseLL(s); !ok || got != want {
			t.Errorf("parseLL(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "-", "-0", "01", "+1", " 1", "1 ", "1a", "9223372036854775808", "1.0"} {
		if _, ok := parseLL(s); ok {
			t.Errorf("parseLL(%q) accepted", s)
		}
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"port 6379", `save ""`, `"a\x41\n" 'b\'c'`, `"abc`, `a"b"c`, "\x00", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := SplitArgs(line)
		if err != nil {
			return
		}
		// Every argument survives quoting, and so does the whole line.
		for _, a := range args {
			back, err := SplitArgs(Repr(a))
			if err != nil || len(back) != 1 || back[0] != a {
				t.Fatalf("Repr(%q) does not round-trip: %q, %v", a, back, err)
			}
		}
		again, err := SplitArgs(joinArgs(args))
		if err != nil || !reflect.DeepEqual(again, args) && len(args) > 0 {
			t.Fatalf("joinArgs(%q) reads back as %q, %v", args, again, err)
		}
	})
}
