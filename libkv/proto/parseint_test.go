package proto

import "testing"

// TestParseInt checks string2ll's rules.
func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"-0", 0, false}, {"01", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1x", 0, false}, {"", 0, false}, {"-", 0, false},
		{"9223372036854775807", 1<<63 - 1, true}, {"9223372036854775808", 0, false},
		{"-9223372036854775808", -1 << 63, true}, {"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false}, {"123456789012345678901", 0, false},
	} {
		got, ok := ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
