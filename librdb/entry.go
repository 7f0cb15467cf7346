package librdb

import "strconv"

// Entry is one element of a compact encoding (listpack, ziplist, intset,
// zipmap): either a byte string or an integer, as the encoding stored it.
// Str aliases the encoded blob and is valid only during the callback.
type Entry struct {
	Str   []byte
	Int   int64
	IsInt bool
}

// Append appends the entry's string form (integers in decimal, as Redis
// returns them) to dst.
func (e Entry) Append(dst []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(dst, e.Int, 10)
	}
	return append(dst, e.Str...)
}

// ParseInt64 reports whether s is the canonical decimal form of an int64
// (no sign but '-', no leading zeros, no spaces, "-0" rejected), the test
// Redis's string2ll applies before storing a string as an integer (util.c).
func ParseInt64(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := false
	p := s
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<63)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
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
