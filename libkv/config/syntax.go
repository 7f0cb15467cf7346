package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrUnbalancedQuotes is returned by SplitArgs for a line whose quotes do not
// close, or whose closing quote is followed by something other than a space.
var ErrUnbalancedQuotes = errors.New("unbalanced quotes")

// isSpace reports whether c is a space as C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hexValue(c byte) (byte, bool) {
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

// SplitArgs splits a configuration line into arguments as Redis 7.0's
// sdssplitargs (sds.c) does. Arguments are separated by spaces; an argument
// may be "double quoted", with the escapes \n \r \t \b \a \xHH and \<any>
// (that character), or 'single quoted', where only \' is an escape. A
// closing quote must be followed by a space or the end of the line. A NUL
// byte ends the line, as it ends a C string. An empty or all-blank line
// gives no arguments and no error. Unclosed quotes give ErrUnbalancedQuotes.
func SplitArgs(line string) ([]string, error) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	var args []string
	p := 0
	n := len(line)
	at := func(i int) byte { // line[i], or 0 past the end (the C terminator)
		if i < n {
			return line[i]
		}
		return 0
	}
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p >= n {
			return args, nil
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inq:
				if c == '\\' && at(p+1) == 'x' {
					hi, ok1 := hexValue(at(p + 2))
					lo, ok2 := hexValue(at(p + 3))
					if ok1 && ok2 {
						cur = append(cur, hi<<4|lo)
						p += 3
						break
					}
				}
				if c == '\\' && at(p+1) != 0 {
					p++
					e := line[p]
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					cur = append(cur, e)
				} else if c == '"' {
					if nx := at(p + 1); nx != 0 && !isSpace(nx) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				} else if c == 0 {
					return nil, ErrUnbalancedQuotes
				} else {
					cur = append(cur, c)
				}
			case insq:
				if c == '\\' && at(p+1) == '\'' {
					p++
					cur = append(cur, '\'')
				} else if c == '\'' {
					if nx := at(p + 1); nx != 0 && !isSpace(nx) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				} else if c == 0 {
					return nil, ErrUnbalancedQuotes
				} else {
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < n {
				p++
			}
		}
		args = append(args, string(cur))
	}
}

// Repr quotes s as Redis 7.0's sdscatrepr (sds.c) does: in double quotes,
// with \\ \" \n \r \t \a \b escaped and other bytes outside printable ASCII
// written as \xHH. SplitArgs(Repr(s)) gives back s.
func Repr(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
				b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

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
	i := 0
	for i < len(s) && isSpace(s[i]) {
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
		d, isHex := hexValue(s[i])
		if !isHex || int(d) >= base {
			break
		}
		if u > (^uint64(0)-uint64(d))/uint64(base) {
			over = true
		} else {
			u = u*uint64(base) + uint64(d)
		}
	}
	if i == start { // no digits: strtoll leaves end at the start of s
		return 0, s == "", true
	}
	if i != len(s) {
		return 0, false, true
	}
	switch {
	case neg && (over || u > 1<<63):
		return -1 << 63, true, false
	case neg:
		return -int64(u), true, true
	case over || u > 1<<63-1:
		return 1<<63 - 1, true, false
	}
	return int64(u), true, true
}
