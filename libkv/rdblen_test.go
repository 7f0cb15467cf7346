package libkv

import (
	"testing"
)

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
