// Package resp writes replies in the Redis serialization protocol, RESP2 or
// RESP3, as Redis 7.0 does (networking.c addReply*). The same calls produce
// either protocol: a Map is a RESP3 map (%) or, in RESP2, a flat array of
// twice its length, a Null is _ or $-1, a Double is , or a bulk string.
package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to an in-memory buffer. The zero value writes
// RESP2. A Writer is not safe for concurrent use.
type Writer struct {
	buf   []byte
	Proto int // 2 or 3; 0 means 2
}

// NewWriter returns a Writer for protocol version proto (2 or 3).
func NewWriter(proto int) *Writer { return &Writer{Proto: proto} }

// Resp3 reports whether the writer produces RESP3.
func (w *Writer) Resp3() bool { return w.Proto == 3 }

// Bytes returns the bytes written so far; they stay valid until the next
// write or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written so far.
func (w *Writer) Len() int { return len(w.buf) }

// Reset discards everything written, keeping the buffer's capacity.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Release discards everything written and the buffer itself, keeping the
// protocol version: for a writer whose buffer grew large.
func (w *Writer) Release() { w.buf = nil }

// Truncate discards what was written after the first n bytes.
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

// Raw appends b as it is; b must be complete RESP.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

func (w *Writer) header(prefix byte, n int64) {
	w.buf = append(w.buf, prefix)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Array starts an array of n elements (*n).
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Map starts a map of n key/value pairs: %n in RESP3, *2n in RESP2.
func (w *Writer) Map(n int) {
	if w.Resp3() {
		w.header('%', int64(n))
	} else {
		w.header('*', 2*int64(n))
	}
}

// Set starts a set of n elements: ~n in RESP3, *n in RESP2.
func (w *Writer) Set(n int) {
	if w.Resp3() {
		w.header('~', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// Push starts an out-of-band push message of n elements: >n in RESP3, *n
// in RESP2 (pub/sub messages are plain arrays there).
func (w *Writer) Push(n int) {
	if w.Resp3() {
		w.header('>', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// Bulk writes b as a bulk string ($len).
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString writes s as a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkInt writes n in decimal as a bulk string, as Redis's addReplyBulkLongLong.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Status writes a simple string (+s). s must not contain CR or LF.
func (w *Writer) Status(s string) {
	w.buf = append(w.buf, '+')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.buf = append(w.buf, "+OK\r\n"...) }

// Error writes an error reply (-s). s starts with its code, e.g.
// "ERR syntax error" or "WRONGTYPE Operation ..."; as in Redis, CR and LF
// inside s are replaced by spaces so the reply stays one line.
func (w *Writer) Error(s string) {
	w.buf = append(w.buf, '-')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

// Int writes an integer reply (:n).
func (w *Writer) Int(n int64) { w.header(':', n) }

// Null writes the null reply: _ in RESP3, the null bulk string $-1 in RESP2.
func (w *Writer) Null() {
	if w.Resp3() {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "$-1\r\n"...)
	}
}

// NullArray writes the null reply of commands whose RESP2 null is the null
// array (*-1), such as BLPOP on timeout: _ in RESP3.
func (w *Writer) NullArray() {
	if w.Resp3() {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "*-1\r\n"...)
	}
}

// Bool writes a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func (w *Writer) Bool(b bool) {
	switch {
	case w.Resp3() && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.Resp3():
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// Double writes f as Redis 7.0's addReplyDouble does: in RESP3 a double
// (,) with "inf", "-inf" or "nan" for the special values, in RESP2 a bulk
// string of the %.17g form ("inf", "-inf" for infinities).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	b := FormatDouble(tmp[:0], f)
	if w.Resp3() {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, b...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.Bulk(b)
}

// FormatDouble appends f formatted as C's printf("%.17g") to dst, with
// "inf", "-inf" and "nan" for the special values, as Redis formats scores.
func FormatDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return AppendG17(dst, f)
}

// AppendG17 appends f as C's "%.17g" would print it.
func AppendG17(dst []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	// %g: exponent X of the %e form with precision P=17; use %e if X < -4 or
	// X >= P, else %f with precision P-1-X; then strip trailing zeros.
	e := strconv.AppendFloat(nil, f, 'e', 16, 64)
	// e looks like [-]d.dddde[+-]XX
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	x, _ := strconv.Atoi(string(e[i+1:]))
	if x < -4 || x >= 17 {
		mant := trimZeros(e[:i])
		dst = append(dst, mant...)
		dst = append(dst, 'e')
		if x < 0 {
			dst = append(dst, '-')
			x = -x
		} else {
			dst = append(dst, '+')
		}
		if x < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(x), 10)
	}
	s := strconv.AppendFloat(nil, f, 'f', 16-x, 64)
	return append(dst, trimZeros(s)...)
}

func trimZeros(b []byte) []byte {
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return b
	}
	j := len(b)
	for j > dot+1 && b[j-1] == '0' {
		j--
	}
	if j == dot+1 {
		j = dot
	}
	return b[:j]
}

// Verbatim writes s as a RESP3 verbatim string of the three-letter format
// ("txt" or "mkd"), or as a bulk string in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if !w.Resp3() {
		w.BulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BigNumber writes s, a decimal integer, as a RESP3 big number or a RESP2
// bulk string.
func (w *Writer) BigNumber(s string) {
	if !w.Resp3() {
		w.BulkString(s)
		return
	}
	w.buf = append(w.buf, '(')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// StringArray writes ss as an array of bulk strings.
func (w *Writer) StringArray(ss []string) {
	w.Array(len(ss))
	for _, s := range ss {
		w.BulkString(s)
	}
}
