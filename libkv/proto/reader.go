// Package proto parses client requests as Redis 7.0 does (networking.c
// processInlineBuffer and processMultibulkBuffer): RESP multibulk arrays of
// bulk strings, and inline commands split with sdssplitargs rules.
//
// Parsing is incremental over a query buffer owned by the caller. Arguments
// alias the buffer: they stay valid until the caller compacts or refills it,
// so whatever outlives the command must be copied.
package proto

import "github.com/kvkit/kvkit/internal/sds"

// InlineMax is Redis's PROTO_INLINE_MAX_SIZE: the longest inline request, and
// the longest multibulk or bulk count line, in bytes.
const InlineMax = 64 * 1024

// Limits bounds what a request may ask the server to buffer.
type Limits struct {
	MaxBulkLen int64 // proto-max-bulk-len: longest bulk string accepted
	// Unauthenticated: the client has not authenticated while a password is
	// required, so (as Redis 7.0) more than 10 arguments or bulks longer than
	// 16384 bytes are refused before they are buffered.
	Unauthenticated bool
}

// ProtocolError is a malformed request. Msg is the reply text without the
// "ERR " code, as Redis words it ("Protocol error: invalid bulk length");
// the server replies "-ERR " + Msg and closes the connection.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

func perr(msg string) error { return &ProtocolError{Msg: "Protocol error: " + msg} }

// Parser holds the state of one client's partially read multibulk request,
// so that a request arriving over many reads is scanned once.
type Parser struct {
	argc    int   // arguments of the current multibulk; 0 when idle
	bulkLen int64 // length of the bulk being read, -1 before its $ line
	start   int   // offset of the request's first byte in the caller's buffer
	off     int   // bytes of the request parsed so far, from start
	marks   []int // [begin, end) of each parsed argument, from start
	args    [][]byte
}

// Next parses one request from buf[pos:]. It returns the arguments (nil
// with n > 0 for an empty request, such as a blank inline line or *0), the
// number of bytes consumed from pos, and an error for a malformed request.
// With args == nil and n == 0 the request is incomplete: read more and call
// again with the same pos (a caller that moves the unconsumed bytes of its
// buffer calls Rebase first).
func (p *Parser) Next(buf []byte, pos int, lim Limits) (args [][]byte, n int, err error) {
	if p.argc == 0 {
		if pos >= len(buf) {
			return nil, 0, nil
		}
		if buf[pos] != '*' {
			return p.inline(buf, pos)
		}
	}
	return p.multibulk(buf, pos, lim)
}

// Rebase tells the parser that the caller moved its buffer's bytes so that
// what was at offset from is now at offset 0.
func (p *Parser) Rebase(from int) { p.start -= from }

// indexByte finds c in b as C's strchr would in Redis's NUL-terminated
// query buffer: a NUL byte before c hides it. So a request line with a NUL
// in it is never complete, and only the length limits end the wait, as in
// Redis.
func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
		if x == 0 {
			return -1
		}
	}
	return -1
}

func (p *Parser) inline(buf []byte, pos int) ([][]byte, int, error) {
	b := buf[pos:]
	nl := indexByte(b, '\n')
	if nl < 0 {
		if len(b) > InlineMax {
			return nil, 0, perr("too big inline request")
		}
		return nil, 0, nil
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, err := sds.SplitArgs(line)
	if err != nil {
		return nil, 0, perr("unbalanced quotes in request")
	}
	return args, nl + 1, nil
}

// countLine reads a "*N\r\n" or "$N\r\n" line at buf[i:]: the value and
// the offset after the line; next == 0 when the line is not complete yet.
func countLine(buf []byte, i int, tooBig string) (v int64, next int, good bool, err error) {
	cr := indexByte(buf[i:], '\r')
	if cr < 0 {
		if len(buf)-i > InlineMax {
			return 0, 0, false, perr(tooBig)
		}
		return 0, 0, false, nil
	}
	cr += i
	if cr+1 >= len(buf) { // the \n after \r has not arrived
		return 0, 0, false, nil
	}
	if cr > i { // else the line is a bare \r: no '$' or '*' to skip
		v, good = sds.ParseInt(buf[i+1 : cr])
	}
	return v, cr + 2, good, nil
}

func (p *Parser) multibulk(buf []byte, pos int, lim Limits) ([][]byte, int, error) {
	if p.argc == 0 {
		v, next, good, err := countLine(buf, pos, "too big mbulk count string")
		if err != nil || next == 0 {
			return nil, 0, err
		}
		if !good || v > 1<<31-1 {
			return nil, 0, perr("invalid multibulk length")
		}
		if v > 10 && lim.Unauthenticated {
			return nil, 0, perr("unauthenticated multibulk length")
		}
		if v <= 0 {
			return nil, next - pos, nil
		}
		p.argc = int(v)
		p.bulkLen = -1
		p.marks = p.marks[:0]
		p.start = pos
		p.off = next - pos
	}
	for len(p.marks) < 2*p.argc {
		i := p.start + p.off
		if p.bulkLen < 0 {
			if i >= len(buf) {
				return nil, 0, nil
			}
			v, next, good, err := countLine(buf, i, "too big bulk count string")
			if err != nil || next == 0 {
				return nil, 0, err
			}
			if buf[i] != '$' {
				return nil, 0, perr("expected '$', got '" + string(buf[i:i+1]) + "'")
			}
			if !good || v < 0 || v > lim.MaxBulkLen {
				return nil, 0, perr("invalid bulk length")
			}
			if v > 16384 && lim.Unauthenticated {
				return nil, 0, perr("unauthenticated bulk length")
			}
			p.bulkLen = v
			p.off = next - p.start
			i = next
		}
		// As Redis, the two bytes after the bulk are skipped, not checked.
		if p.bulkLen > int64(len(buf)-i)-2 { // not bulkLen+2: it may overflow
			return nil, 0, nil
		}
		p.marks = append(p.marks, p.off, p.off+int(p.bulkLen))
		p.off += int(p.bulkLen) + 2
		p.bulkLen = -1
	}
	p.args = p.args[:0]
	for k := 0; k < len(p.marks); k += 2 {
		p.args = append(p.args, buf[p.start+p.marks[k]:p.start+p.marks[k+1]])
	}
	n := p.start + p.off - pos
	p.argc = 0
	return p.args, n, nil
}

// Pending describes a partly read multibulk request; ok is false when there
// is none. start is the offset of its first byte in the buffer (a caller
// compacting its buffer keeps the bytes from there); parsed is the offset of
// the first byte not yet read into an argument or a length line, where
// Redis's query buffer would begin; bulkLen is the length of the bulk being
// read, -1 before its $ line is complete.
func (p *Parser) Pending() (start, parsed int, bulkLen int64, ok bool) {
	if p.argc == 0 {
		return 0, 0, -1, false
	}
	return p.start, p.start + p.off, p.bulkLen, true
}
