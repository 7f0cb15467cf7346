package libkv

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/sds"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Redis's shared error replies (server.c createSharedObjects), without the
// leading '-'.
const (
	errSyntax     = "ERR syntax error"
	errWrongType  = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt     = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errOverflow   = "ERR increment or decrement would overflow"
	errNoSuchKey  = "ERR no such key"
	errOutOfRange = "ERR index out of range"
	errDBIndex    = "ERR DB index is out of range"
	errSameObject = "ERR source and destination objects are the same"
	errNotIntPos  = "ERR value is out of range, must be positive"
)

// argInt parses a as a 64-bit integer as Redis's getLongLongFromObject
// (string2ll: no spaces, no '+', no leading zeros).
func argInt(a []byte) (int64, bool) { return sds.ParseInt(a) }

// intArg parses args[i] as an integer or writes Redis's "not an integer"
// error; ok reports success.
func (c *Client) intArg(a []byte) (int64, bool) {
	n, ok := sds.ParseInt(a)
	if !ok {
		c.addError(errNotInt)
	}
	return n, ok
}

// parseFloat parses a as Redis's string2d/getDoubleFromObject: strtod over
// the whole string, no leading space, NaN refused; "inf" and "-inf" allowed.
func parseFloat(a []byte) (float64, bool) {
	if len(a) == 0 || isSpaceByte(a[0]) {
		return 0, false
	}
	f, err := parseCFloat(string(a))
	if err != nil {
		// strtod accepts out-of-range values as ±HUGE_VAL or 0; ParseFloat
		// returns them with ErrRange, which Redis treats as valid except
		// for the errno check on overflow (string2d rejects ERANGE).
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseCFloat is strconv.ParseFloat reading C strtod's hexadecimal form
// too, whose binary exponent is optional ("0x10" is 16, "0x1.8" 1.5).
func parseCFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t := strings.TrimLeft(s, "+-")
		if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && !strings.ContainsAny(t, "pP_") {
			return strconv.ParseFloat(s+"p0", 64)
		}
	}
	return f, err
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// eqFold compares an argument with a lower-case option name.
func eqFold(a []byte, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ch := a[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}

// strtod parses the longest decimal number (or inf/nan) at the start of a,
// after leading white space, as C's strtod, giving 0 when there is none:
// DEBUG SLEEP reads its argument this way. Hexadecimal floats without a
// binary exponent, which strtod also reads, count as 0.
func strtod(a []byte) float64 {
	i := 0
	for i < len(a) && isSpaceByte(a[i]) {
		i++
	}
	a = a[i:]
	for n := min(len(a), 400); n > 0; n-- {
		f, err := strconv.ParseFloat(string(a[:n]), 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f
		}
	}
	return 0
}

// atoi is C's atoi: optional leading white space and sign, then as many
// digits as there are; 0 when there are none. DEBUG SET-ACTIVE-EXPIRE reads
// its flag this way, so "abc" means 0.
func atoi(a []byte) int64 {
	i := 0
	for i < len(a) && isSpaceByte(a[i]) {
		i++
	}
	neg := false
	if i < len(a) && (a[i] == '+' || a[i] == '-') {
		neg = a[i] == '-'
		i++
	}
	var v int64
	for ; i < len(a) && a[i] >= '0' && a[i] <= '9'; i++ {
		v = v*10 + int64(a[i]-'0')
	}
	if neg {
		v = -v
	}
	return v
}

// boolInt is a boolean as Redis's 0/1 integer replies give it.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// cString is an argument as C's string functions (strchr, %s) see it: up
// to its first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
