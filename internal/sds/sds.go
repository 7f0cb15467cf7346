// Package sds holds the string rules of Redis 7.0's sds.c and util.c that
// several kvkit packages must follow byte for byte: string2ll (ParseInt),
// sdssplitargs (SplitArgs, used by inline requests, redis.conf and AOF
// manifests), sdscatrepr (AppendRepr) and C's ctype tests. It depends on
// nothing of kvkit's, so the engine, librdb and libaof can all use it.
package sds

import (
	"bytes"
	"errors"
)

// ErrUnbalancedQuotes is returned by SplitArgs for an unterminated quote or a
// closing quote not followed by a space.
var ErrUnbalancedQuotes = errors.New("unbalanced quotes")

// ParseInt parses b as Redis's string2ll does: an optional '-', no leading
// zeros (except "0" itself), no spaces or '+', within int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// IsSpace reports whether c is white space as C's isspace in the "C" locale.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

// HexDigit returns the value of the hexadecimal digit c.
func HexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// SplitArgs splits line into arguments as Redis's sdssplitargs (sds.c):
// arguments separated by white space; "double quotes" with \xHH, \n, \r,
// \t, \b, \a and \<c> escapes; 'single quotes' with \' only; a quote may
// open in the middle of an argument; a closing quote must be followed by
// white space or the end. An empty line gives no arguments.
func SplitArgs(line []byte) ([][]byte, error) {
	// sdssplitargs works on a C string: a NUL byte ends the line.
	if z := bytes.IndexByte(line, 0); z >= 0 {
		line = line[:z]
	}
	var args [][]byte
	i := 0
	for {
		for i < len(line) && IsSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			if inq {
				if i >= len(line) {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x':
					h, ok1 := HexDigit(line[i+2])
					l, ok2 := HexDigit(line[i+3])
					if ok1 && ok2 {
						cur = append(cur, h<<4|l)
						i += 3
					} else {
						cur = append(cur, 'x')
						i++
					}
				case c == '\\' && i+1 < len(line):
					i++
					switch e := line[i]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if i+1 < len(line) && !IsSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, c)
				}
				i++
			} else if insq {
				if i >= len(line) {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !IsSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, c)
				}
				i++
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				// sdssplitargs ends an unquoted argument at these four only:
				// \v and \f are part of it, although isspace skips them
				// between arguments.
				case c == ' ' || c == '\n' || c == '\r' || c == '\t':
					done = true
				case c == '"':
					inq = true
				case c == '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

// AppendRepr appends b quoted as Redis 7.0's sdscatrepr (sds.c) does, the
// form MONITOR, CONFIG REWRITE and redis-cli print: in double quotes, with
// \\ \" \n \r \t \a \b escaped and other bytes outside printable ASCII as
// \xHH. SplitArgs gives back b.
func AppendRepr(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, ch := range b {
		switch ch {
		case '\\', '"':
			dst = append(dst, '\\', ch)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if ch >= 0x20 && ch < 0x7f {
				dst = append(dst, ch)
			} else {
				dst = append(dst, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(dst, '"')
}

// Strtoll parses the start of s as C's strtoll(s, &end, base) does, for
// base 2..16: leading white space, an optional sign, digits. It returns the
// value (saturated to the int64 range when it overflows, inRange false), and
// end, the offset after the last digit; end is 0 when there are no digits
// (C sets end to s then). atoll(s) is Strtoll(s, 10)'s value.
func Strtoll(s string, base int) (v int64, end int, inRange bool) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	over := false
	for ; i < len(s); i++ {
		d, isHex := HexDigit(s[i])
		if !isHex || int(d) >= base {
			break
		}
		if u > (^uint64(0)-uint64(d))/uint64(base) {
			over = true
		} else {
			u = u*uint64(base) + uint64(d)
		}
	}
	if i == start {
		return 0, 0, true
	}
	switch {
	case neg && (over || u > 1<<63):
		return -1 << 63, i, false
	case neg:
		return -int64(u), i, true
	case over || u > 1<<63-1:
		return 1<<63 - 1, i, false
	}
	return int64(u), i, true
}
