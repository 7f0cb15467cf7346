package proto

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// result is one outcome of Parser.Next: a request's arguments (joined with
// "|" for comparison; "" for an empty request) or an error message.
type result struct {
	args string
	err  string
}

func (r result) String() string {
	if r.err != "" {
		return "error: " + r.err
	}
	return strconv.Quote(r.args)
}

var defaultLimits = Limits{MaxBulkLen: 512 << 20}

// feed drives a Parser as kv-server's client loop does: each chunk is
// appended to the buffer, every complete request is taken, consumed bytes
// are dropped (keeping a partly read request whole) and the parser is
// rebased. It stops at the first error. It checks the parser's contract on
// the way: progress on every request, arguments inside the buffer, and
// memory bounded by the input.
func feed(t testing.TB, chunks [][]byte, lim Limits) []result {
	t.Helper()
	var p Parser
	var buf []byte
	var out []result
	total := 0
	for _, ch := range chunks {
		buf = append(buf, ch...)
		total += len(ch)
		pos := 0
		for {
			args, n, err := p.Next(buf, pos, lim)
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ProtocolError", err)
				}
				return append(out, result{err: err.Error()})
			}
			if n < 0 || pos+n > len(buf) {
				t.Fatalf("consumed %d bytes at %d of a %d-byte buffer", n, pos, len(buf))
			}
			if n == 0 {
				if args != nil {
					t.Fatalf("arguments %q with no bytes consumed", args)
				}
				break
			}
			pos += n
			var parts []string
			for _, a := range args {
				parts = append(parts, string(a))
			}
			out = append(out, result{args: strings.Join(parts, "|")})
		}
		// The parser's own memory grows with the arguments it has seen,
		// never with lengths the input only claims.
		if cap(p.marks) > 2*total+8 || cap(p.args) > total+4 {
			t.Fatalf("parser holds %d marks and %d args for %d input bytes", cap(p.marks), cap(p.args), total)
		}
		keep := pos
		if start, parsed, _, ok := p.Pending(); ok {
			if start < pos || parsed < start || parsed > len(buf) {
				t.Fatalf("pending request at %d, parsed to %d, consumed to %d, buffer %d", start, parsed, pos, len(buf))
			}
			keep = start
		}
		buf = buf[:copy(buf, buf[keep:])]
		p.Rebase(keep)
	}
	return out
}

func TestParserNext(t *testing.T) {
	big := strings.Repeat("x", 70000)
	tests := []struct {
		in   string
		want []result
	}{
		{"*1\r\n$4\r\nPING\r\n", []result{{args: "PING"}}},
		{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []result{{args: "ECHO|"}}},
		{"*0\r\n*-1\r\n*-7\r\n", []result{{}, {}, {}}},
		{"*1\r\n$4\r\nPINGxx*1\r\n$1\r\na\r\n", []result{{args: "PING"}, {args: "a"}}}, // the 2 bytes after a bulk are skipped unchecked
		{"*1\rX$1\r\na\r\n", []result{{args: "a"}}},                                    // so are the 2 bytes after \r of a length line
		{"*1\r\n$3\r\na\x00b\r\n", []result{{args: "a\x00b"}}},
		{"*abc\r\n", []result{{err: "Protocol error: invalid multibulk length"}}},
		{"*01\r\n", []result{{err: "Protocol error: invalid multibulk length"}}},
		{"*+1\r\n", []result{{err: "Protocol error: invalid multibulk length"}}},
		{"*2147483648\r\n", []result{{err: "Protocol error: invalid multibulk length"}}},
		{"*1\r\nPING\r\n", []result{{err: "Protocol error: expected '$', got 'P'"}}},
		{"*1\r\n$-1\r\n", []result{{err: "Protocol error: invalid bulk length"}}},
		{"*1\r\n$\r\n", []result{{err: "Protocol error: invalid bulk length"}}},
		{"*1\r\n$536870913\r\n", []result{{err: "Protocol error: invalid bulk length"}}},
		{"*" + big, []result{{err: "Protocol error: too big mbulk count string"}}},
		{"*1\r\n$" + big, []result{{err: "Protocol error: too big bulk count string"}}},
		{"*1\x00\r\n", nil}, // a NUL hides the line's end, as strchr in Redis
		{"*2147483647\r\n$1\r\na\r\n", nil},
		{"PING\r\nECHO x\nPING", []result{{args: "PING"}, {args: "ECHO|x"}}},
		{"\r\n\n  \r\n", []result{{}, {}, {}}},
		{"ECHO \"a\r\n", []result{{err: "Protocol error: unbalanced quotes in request"}}},
		{"PING\x00\r\n", nil},
		{big[:InlineMax], nil},
		{big[:InlineMax+1], []result{{err: "Protocol error: too big inline request"}}},
		{big + "\r\n", []result{{args: big}}}, // a complete line is not limited
	}
	for _, tt := range tests {
		got := feed(t, [][]byte{[]byte(tt.in)}, defaultLimits)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%.40q: got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParserLimits(t *testing.T) {
	lim := Limits{MaxBulkLen: 10, Unauthenticated: true}
	tests := []struct{ in, want string }{
		{"*10\r\n", "[]"},
		{"*11\r\n", "[error: Protocol error: unauthenticated multibulk length]"},
		{"*1\r\n$10\r\n0123456789\r\n", `["0123456789"]`},
		{"*1\r\n$11\r\n", "[error: Protocol error: invalid bulk length]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(feed(t, [][]byte{[]byte(tt.in)}, lim)); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.in, got, tt.want)
		}
	}
	lim = Limits{MaxBulkLen: 1 << 20, Unauthenticated: true}
	if got := fmt.Sprint(feed(t, [][]byte{[]byte("*1\r\n$16385\r\n")}, lim)); got != "[error: Protocol error: unauthenticated bulk length]" {
		t.Errorf("bulk of 16385 bytes before AUTH: got %s", got)
	}
}

// TestParserChunked checks that any split of the input into reads gives the
// same requests as reading it at once.
func TestParserChunked(t *testing.T) {
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\nPING\r\n\r\n*0\r\n" +
		"ECHO \"a\\x41 b\"\n*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n*1\r\n$x\r\n")
	whole := fmt.Sprint(feed(t, [][]byte{in}, defaultLimits))
	for size := 1; size <= 7; size++ {
		var chunks [][]byte
		for i := 0; i < len(in); i += size {
			chunks = append(chunks, in[i:min(i+size, len(in))])
		}
		if got := fmt.Sprint(feed(t, chunks, defaultLimits)); got != whole {
			t.Errorf("chunks of %d: got %s, want %s", size, got, whole)
		}
	}
}

// FuzzParser feeds arbitrary input to the parser, whole and split into
// reads at points chosen by the input: no panic, an error or progress on
// every call, memory bounded by the input, and the same requests either
// way.
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n", "*0\r\n", "*-1\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"*1\r\n$4\r\nPINGxx", "*1\r\nPING\r\n", "PING\r\n", "ECHO \"a\\x41\"\n", "'a'b\r\n",
		"\r\n\r\n", "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\nab\r\n", "*1\x00\r\n", "*10\r\n$1",
	} {
		f.Add([]byte(s), uint8(3), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8, unauth bool) {
		lim := Limits{MaxBulkLen: 1 << 10, Unauthenticated: unauth}
		whole := feed(t, [][]byte{in}, lim)
		var chunks [][]byte
		size := int(step%16) + 1
		for i := 0; i < len(in); i += size {
			chunks = append(chunks, in[i:min(i+size, len(in))])
		}
		split := feed(t, chunks, lim)
		if fmt.Sprint(whole) != fmt.Sprint(split) {
			t.Fatalf("whole: %v\nin chunks of %d: %v", whole, size, split)
		}
	})
}
