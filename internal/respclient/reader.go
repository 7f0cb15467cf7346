// Package respclient is a small RESP2/RESP3 client made for load generation:
// a Reader that parses or skips replies without allocating, helpers that
// append commands to a byte slice, and a Conn for the few request/reply
// exchanges a tool makes outside its hot loop (AUTH, HELLO, CLUSTER SLOTS).
//
// The wire format is the Redis serialization protocol as specified in
// Redis 7.0's RESP3 specification (protocol.md, resp3 spec): the RESP2 types
// + - : $ * and the RESP3 types _ , # ( = % ~ | >.
package respclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxBulkLen is the largest bulk string or verbatim string the Reader
// accepts (512 MB, Redis's proto-max-bulk-len default); a longer one is a
// protocol error rather than an allocation.
const MaxBulkLen = 512 << 20

// MaxElements is the largest aggregate (array, map, set, push, attribute)
// length the Reader accepts; a larger one is a protocol error.
const MaxElements = 1 << 30

// MaxLineLen is the longest simple string, error, number or header line the
// Reader accepts; a longer one is a protocol error.
const MaxLineLen = 64 << 10

// ErrProtocol is wrapped by every error caused by bytes that are not RESP.
var ErrProtocol = errors.New("resp: protocol error")

// Reader reads RESP replies from an io.Reader through its own buffer. It is
// not safe for concurrent use.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]
}

// NewReader returns a Reader over rd with a buffer of size bytes (at least
// 512); the buffer grows only to hold a line or a bulk string being read.
func NewReader(rd io.Reader, size int) *Reader {
	if size < 512 {
		size = 512
	}
	return &Reader{rd: rd, buf: make([]byte, size)}
}

// Buffered returns the number of bytes read from the connection but not yet
// parsed.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads more bytes, compacting or growing the buffer so that at least
// one more byte fits.
func (r *Reader) fill() error {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// line returns the next line without its CRLF; the slice aliases the buffer
// until the next call.
func (r *Reader) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			end := r.r + i
			if i == 0 || r.buf[end-1] != '\r' {
				return nil, fmt.Errorf("%w: line not terminated by CRLF", ErrProtocol)
			}
			l := r.buf[r.r : end-1]
			r.r = end + 1
			return l, nil
		}
		if r.w-r.r > MaxLineLen {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, MaxLineLen)
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// discard consumes n bytes.
func (r *Reader) discard(n int) error {
	for {
		avail := r.w - r.r
		if avail >= n {
			r.r += n
			return nil
		}
		n -= avail
		r.r, r.w = 0, 0
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// need makes n bytes available in buf[r.r:r.r+n]; fill compacts and grows
// the buffer as needed.
func (r *Reader) need(n int) error {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	return nil
}

func parseInt(b []byte) (int64, error) {
	// Fast path for the short non-negative decimals that make up nearly
	// every header; strconv handles the rest (and the errors).
	if len(b) > 0 && len(b) < 10 {
		var n int64
		for _, c := range b {
			if c < '0' || c > '9' {
				goto slow
			}
			n = n*10 + int64(c-'0')
		}
		return n, nil
	}
slow:
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad length or integer %q", ErrProtocol, b)
	}
	return n, nil
}

// Skip reads one complete reply and discards it. When the reply is an error
// (- or RESP3 !), it returns the error text (without the leading '-'), which
// aliases the Reader's buffer until the next call; otherwise msg is nil.
// A RESP3 push (>) counts as a reply: it is how Redis answers SUBSCRIBE in
// RESP3, and a benchmark client enables nothing else (client tracking) that
// would push out of band. err is an I/O error or wraps ErrProtocol.
func (r *Reader) Skip() (msg []byte, err error) {
	l, err := r.line()
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	switch l[0] {
	case '-':
		return l[1:], nil
	case '!':
		n, err := r.bulkLen(l)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, fmt.Errorf("%w: null blob error", ErrProtocol)
		}
		if err := r.need(n + 2); err != nil {
			return nil, err
		}
		if r.buf[r.r+n] != '\r' || r.buf[r.r+n+1] != '\n' {
			return nil, fmt.Errorf("%w: blob error not terminated by CRLF", ErrProtocol)
		}
		msg = r.buf[r.r : r.r+n]
		r.r += n + 2
		return msg, nil
	}
	return nil, r.skipRest(l, 0)
}

func (r *Reader) bulkLen(l []byte) (int, error) {
	n, err := parseInt(l[1:])
	if err != nil {
		return 0, err
	}
	if n < -1 || n > MaxBulkLen {
		return 0, fmt.Errorf("%w: bulk length %d out of range", ErrProtocol, n)
	}
	return int(n), nil
}

func (r *Reader) aggLen(l []byte) (int, error) {
	n, err := parseInt(l[1:])
	if err != nil {
		return 0, err
	}
	if n < -1 || n > MaxElements {
		return 0, fmt.Errorf("%w: aggregate length %d out of range", ErrProtocol, n)
	}
	if n < 0 {
		return 0, nil
	}
	if l[0] == '%' || l[0] == '|' {
		n *= 2
	}
	return int(n), nil
}

// skipRest finishes skipping a value whose header line l was read, then
// pending more values.
func (r *Reader) skipRest(l []byte, pending int) error {
	for {
		switch l[0] {
		case '+', '-', ':', '_', ',', '#', '(':
		case '$', '=', '!':
			n, err := r.bulkLen(l)
			if err != nil {
				return err
			}
			if n >= 0 {
				if err := r.discard(n); err != nil {
					return err
				}
				crlf, err := r.line()
				if err != nil {
					return err
				}
				if len(crlf) != 0 {
					return fmt.Errorf("%w: bulk string longer than its length", ErrProtocol)
				}
			}
		case '*', '%', '~', '>':
			n, err := r.aggLen(l)
			if err != nil {
				return err
			}
			if pending+n > MaxElements {
				return fmt.Errorf("%w: too many nested elements", ErrProtocol)
			}
			pending += n
		case '|':
			// An attribute precedes the value it describes.
			n, err := r.aggLen(l)
			if err != nil {
				return err
			}
			if pending+n+1 > MaxElements {
				return fmt.Errorf("%w: too many nested elements", ErrProtocol)
			}
			pending += n + 1
		default:
			return fmt.Errorf("%w: unknown type byte %q", ErrProtocol, l[0])
		}
		if pending == 0 {
			return nil
		}
		pending--
		var err error
		if l, err = r.line(); err != nil {
			return err
		}
		if len(l) == 0 {
			return fmt.Errorf("%w: empty line", ErrProtocol)
		}
	}
}

// Value is a parsed reply. Kind is the RESP type byte ('+', '-', ':', '$',
// '*', '_', ',', '#', '(', '=', '%', '~', '>'); Str holds simple strings,
// errors, bulk and verbatim strings and the text of doubles and big numbers;
// Int holds integers and booleans (1 or 0); Elems holds aggregates (a map
// as key, value, key, value, ...). Null is true for RESP2 null bulk strings
// and arrays and for RESP3 _.
type Value struct {
	Kind  byte
	Str   string
	Int   int64
	Elems []Value
	Null  bool
}

// Err returns the error text of an error reply, or "" for other kinds.
func (v Value) Err() string {
	if v.Kind == '-' || v.Kind == '!' {
		return v.Str
	}
	return ""
}

// maxDepth bounds the nesting ReadValue follows, so hostile input cannot
// exhaust the stack.
const maxDepth = 64

// ReadValue reads one reply and returns it as a Value, allocating; it is
// meant for setup commands, not the hot loop. Attributes are read and
// dropped; a push (>) is returned like any reply, as Skip counts it.
func (r *Reader) ReadValue() (Value, error) { return r.readValue(0) }

func (r *Reader) readValue(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, fmt.Errorf("%w: nested deeper than %d", ErrProtocol, maxDepth)
	}
	l, err := r.line()
	if err != nil {
		return Value{}, err
	}
	if len(l) == 0 {
		return Value{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	v := Value{Kind: l[0]}
	switch l[0] {
	case '+', '-', ',', '(':
		v.Str = string(l[1:])
	case ':':
		v.Int, err = parseSigned(l[1:])
	case '_':
		v.Null = true
	case '#':
		switch string(l[1:]) {
		case "t":
			v.Int = 1
		case "f":
		default:
			err = fmt.Errorf("%w: bad boolean %q", ErrProtocol, l)
		}
	case '$', '=', '!':
		var n int
		if n, err = r.bulkLen(l); err != nil {
			break
		}
		if n < 0 {
			v.Null = true
			break
		}
		if err = r.need(n + 2); err != nil {
			break
		}
		if r.buf[r.r+n] != '\r' || r.buf[r.r+n+1] != '\n' {
			err = fmt.Errorf("%w: bulk string not terminated by CRLF", ErrProtocol)
			break
		}
		v.Str = string(r.buf[r.r : r.r+n])
		r.r += n + 2
		if v.Kind == '!' {
			v.Kind = '-'
		}
	case '*', '%', '~', '>', '|':
		var n int
		if n, err = r.aggLen(l); err != nil {
			break
		}
		if l[1] == '-' {
			v.Null = true
			break
		}
		// Grow as elements arrive rather than trusting the header.
		for i := 0; i < n; i++ {
			e, err := r.readValue(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		if v.Kind == '|' {
			return r.readValue(depth)
		}
	default:
		err = fmt.Errorf("%w: unknown type byte %q", ErrProtocol, l[0])
	}
	return v, err
}

func parseSigned(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
	}
	return n, nil
}
