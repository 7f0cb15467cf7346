package config

import (
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/sds"
)

// ErrUnbalancedQuotes is returned by SplitArgs for a line whose quotes do not
// close, or whose closing quote is followed by something other than a space.
var ErrUnbalancedQuotes = sds.ErrUnbalancedQuotes

// SplitArgs splits a configuration line into arguments as Redis 7.0's
// sdssplitargs (sds.c) does; see sds.SplitArgs, which it shares with the
// inline protocol.
func SplitArgs(line string) ([]string, error) {
	parts, err := sds.SplitArgs([]byte(line))
	if err != nil || len(parts) == 0 {
		return nil, err
	}
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args, nil
}

// Repr quotes s as Redis 7.0's sdscatrepr (sds.c) does (sds.AppendRepr).
// SplitArgs(Repr(s)) gives back s.
func Repr(s string) string { return string(sds.AppendRepr(nil, []byte(s))) }

// trimLine trims spaces, tabs, CRs and LFs from both ends, as sdstrim(line,
// " \t\r\n") does in config.c.
func trimLine(s string) string {
	return strings.Trim(s, " \t\r\n")
}

// ParseMemory parses a memory size as Redis 7.0's memtoull (util.c): decimal
// digits followed by an optional unit, case-insensitive: b (1), k (1000),
// kb (1024), m (1000²), mb (1024²), g (1000³), gb (1024³). As in Redis, an
// empty number counts as 0 ("" and "kb" are 0), a number too large for 64
// bits saturates, and the unit multiplication wraps around. A sign or any
// other suffix is an error.
func ParseMemory(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch strings.ToLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 { // memtoull copies the digits into a 128-byte buffer
		return 0, false
	}
	var val uint64
	if u > 0 {
		v, err := strconv.ParseUint(s[:u], 10, 64)
		if err != nil {
			v = ^uint64(0) // strtoull saturates at ULLONG_MAX
		}
		val = v
	}
	return val * mul, true
}

// parseLL parses a 64-bit signed integer as Redis's string2ll (util.c): no
// spaces, no '+', no leading zeros, no "-0".
func parseLL(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	d := s
	if strings.HasPrefix(d, "-") {
		d = d[1:]
	}
	if d == "" || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// strtoll parses s as C's strtoll(s, &end, base) followed by a check that
// *end == '\0': leading white space and a sign are allowed, an empty digit
// string reads as 0, and out-of-range values saturate (range reports it).
func strtoll(s string, base int) (v int64, ok, inRange bool) {
	v, end, inRange := sds.Strtoll(s, base)
	if end == 0 { // no digits: strtoll leaves end at the start of s
		return 0, s == "", true
	}
	if end != len(s) {
		return 0, false, true
	}
	return v, true, inRange
}
