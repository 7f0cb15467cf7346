package libkv

import (
	"math"
	"testing"
)

// TestSortScore checks SORT's weight parsing against what Redis 7.0's
// strtod-based check accepts (verified on redis-server 7.0.15 with a fresh
// errno): white space before, not after; empty is 0; inf literals yes,
// overflow and underflow (ERANGE) no; hex floats as strtod reads them.
func TestSortScore(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"3", 3, true}, {" 7", 7, true}, {"2 ", 0, false}, {"", 0, true},
		{"1e2", 100, true}, {"-2.5", -2.5, true}, {"inf", inf, true},
		{"-INF", -inf, true}, {"+infinity", inf, true}, {"nan", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1e-400", 0, false},
		{"1e-310", 0, false}, {"0e-400", 0, true}, {"0x10", 16, true},
		{"abc", 0, false}, {"1\x00junk", 1, true},
	} {
		got, ok := sortScore([]byte(tc.in))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("sortScore(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
