package libkv

import (
	"bytes"
	"testing"
)

// TestLZFCompressedLen checks lengths against Debian's liblzf 3.6
// lzf_compress (values taken from the library itself): the output length
// and the smallest output buffer it accepts.
func TestLZFCompressedLen(t *testing.T) {
	seq := make([]byte, 40)
	for i := range seq {
		seq[i] = byte(i)
	}
	for _, tc := range []struct {
		in            []byte
		length, least int
	}{
		{[]byte("baaabaaaabaaababaabaabbbb"), 18, 22},
		{[]byte("babbbbbabaaabbaaaababbabbbbbaa"), 23, 27},
		{bytes.Repeat([]byte("a"), 100), 9, 10},
		{bytes.Repeat([]byte("abcdefgh"), 10), 16, 17},
		{seq, 42, 43},
	} {
		if got := lzfCompressedLen(tc.in, 1<<20); got != tc.length {
			t.Errorf("%q: length %d, want %d", tc.in, got, tc.length)
		}
		if got := lzfCompressedLen(tc.in, tc.least); got != tc.length {
			t.Errorf("%q with %d bytes of room: %d, want %d", tc.in, tc.least, got, tc.length)
		}
		if got := lzfCompressedLen(tc.in, tc.least-1); got != 0 {
			t.Errorf("%q with %d bytes of room: %d, want 0 (does not fit)", tc.in, tc.least-1, got)
		}
	}
}

// TestRDBStringLen checks the integer forms and the compression threshold.
func TestRDBStringLen(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 1}, {"-128", 2}, {"128", 3}, {"-32769", 5}, {"2147483648", 11}, {"007", 4},
		{"aaaaaaaaaaaaaaaaaaaa", 21}, {"aaaaaaaaaaaaaaaaaaaaa", 1 + 1 + 1 + 6},
	} {
		if got := rdbStringLen([]byte(tc.s), true); got != tc.want {
			t.Errorf("rdbStringLen(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
