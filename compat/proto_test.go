package compat

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
)

// rawCase is protocol input sent as raw bytes: each chunk is written on its
// own, with a pause in between so that the server reads it separately:
// 20 ms, or 1 ms when there are more than 10 chunks.
type rawCase struct {
	name   string
	chunks []string
}

// rawResult is everything a server sent back and whether it closed the
// connection.
type rawResult struct {
	data   []byte
	closed bool
}

// rawWait is how long a connection that stays open and silent is read
// from before the exchange ends.
const rawWait = 400 * time.Millisecond

// exchange sends the chunks to addr and reads until the server closes the
// connection or sends nothing for rawWait. Write errors are ignored: a
// server may close while the rest of the input is still on its way.
func exchange(addr string, tc rawCase) (rawResult, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return rawResult{}, err
	}
	defer c.Close()
	gap := 20 * time.Millisecond
	if len(tc.chunks) > 10 {
		gap = time.Millisecond
	}
	// Writing and reading at once: a server must not have to wait for its
	// replies to be read before it reads more input.
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.SetWriteDeadline(time.Now().Add(20 * time.Second))
		for i, ch := range tc.chunks {
			if i > 0 {
				time.Sleep(gap)
			}
			if _, err := c.Write([]byte(ch)); err != nil {
				return
			}
		}
	}()
	var r rawResult
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(rawWait))
		n, err := c.Read(buf)
		r.data = append(r.data, buf[:n]...)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				select {
				case <-done:
					return r, nil
				default: // still writing: keep waiting
					continue
				}
			}
			r.closed = true
			<-done
			return r, nil
		}
	}
}

// compareRaw runs the cases against both servers of p, all at once, and
// compares what each server sent back and whether it closed.
func compareRaw(t *testing.T, p *pair, group string, cases []rawCase) {
	t.Helper()
	type result struct {
		kv, redis rawResult
		err       error
	}
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r, err := exchange(p.kv.Addr(), tc)
			results[i].kv = r
			if err != nil {
				results[i].err = err
			}
		}()
		go func() {
			defer wg.Done()
			r, err := exchange(p.redis.Addr(), tc)
			results[i].redis = r
			if err != nil {
				results[i].err = err
			}
		}()
	}
	wg.Wait()
	t.Run(group, func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := results[i]
				if r.err != nil {
					t.Fatal(r.err)
				}
				kv := helloID.ReplaceAll(r.kv.data, []byte("${1}ID"))
				rd := helloID.ReplaceAll(r.redis.data, []byte("${1}ID"))
				if !bytes.Equal(kv, rd) {
					t.Errorf("replies differ:\n%s", showDiff(kv, rd))
				}
				if r.kv.closed != r.redis.closed {
					t.Errorf("kv-server closed=%v, redis-server closed=%v", r.kv.closed, r.redis.closed)
				}
			})
		}
	})
}

// helloID matches the client ID in HELLO's reply, which differs between
// the servers.
var helloID = regexp.MustCompile(`(\$2\r\nid\r\n:)[0-9]+`)

// oneByOne splits s into chunks of n bytes.
func oneByOne(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func enc(args ...string) string { return string(resptest.Encode(args...)) }

// TestProtocolEdgeCases sends malformed and unusual requests, as raw bytes,
// to kv-server and redis-server and compares their answers byte for byte
// (networking.c processInlineBuffer, processMultibulkBuffer).
func TestProtocolEdgeCases(t *testing.T) {
	p := startPair(t)
	ping := enc("PING")
	digits := strings.Repeat("1", 70000)
	cases := []rawCase{
		// Multibulk counts.
		{"star0", []string{"*0\r\n" + ping}},
		{"star-1", []string{"*-1\r\n" + ping}},
		{"star-5", []string{"*-5\r\n" + ping}},
		{"star-letters", []string{"*abc\r\n" + ping}},
		{"star-empty", []string{"*\r\n" + ping}},
		{"star-plus", []string{"*+1\r\n$4\r\nPING\r\n"}},
		{"star-leading-zero", []string{"*01\r\n$4\r\nPING\r\n"}},
		{"star-space", []string{"*1 \r\n$4\r\nPING\r\n"}},
		{"star-int-max+1", []string{"*2147483648\r\n"}},
		{"star-int-max", []string{"*2147483647\r\n$4\r\nPING\r\n"}},
		{"star-21-digits", []string{"*123456789012345678901\r\n"}},
		{"star-too-big", []string{"*" + digits}},
		{"star-64k", []string{"*" + digits[:65535]}},
		{"star-lf-only", []string{"*1\n$4\r\nPING\r\n"}},
		{"star-cr-not-lf", []string{"*1\rX$4\r\nPING\r\n"}},
		{"star-nul", []string{"*1\x00\r\n$4\r\nPING\r\n" + ping}},
		// Bulk lengths.
		{"missing-dollar", []string{"*1\r\nPING\r\n"}},
		{"cr-not-dollar", []string{"*1\r\n\r\n"}},
		{"lf-not-dollar", []string{"*1\r\n\n\r\n"}},
		{"ff-not-dollar", []string{"*1\r\n\xff\r\n"}},
		{"crlf-in-arg", []string{"*1\r\n$3\r\na\r\n\r\n" + enc("GET", "a\r\nb")}},
		{"plus-not-dollar", []string{"*1\r\n+4\r\nPING\r\n"}},
		{"bulk-letters", []string{"*1\r\n$abc\r\n"}},
		{"bulk-minus-1", []string{"*1\r\n$-1\r\n" + ping}},
		{"bulk-negative", []string{"*1\r\n$-5\r\n"}},
		{"bulk-empty-len", []string{"*1\r\n$\r\n"}},
		{"bulk-leading-zero", []string{"*1\r\n$04\r\nPING\r\n"}},
		{"bulk-too-big-count", []string{"*1\r\n$" + digits}},
		{"bulk-over-max", []string{"*1\r\n$536870913\r\n"}},
		{"bulk-zero", []string{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"}},
		{"bulk-no-crlf", []string{"*1\r\n$4\r\nPINGxx" + ping}},
		{"bulk-short-crlf", []string{"*2\r\n$4\r\nECHO\r\n$1\r\nab\r\n" + ping}},
		{"bulk-split-crlf", []string{"*1\r\n$4\r\nPING\r", "\n" + ping}},
		{"bulk-long", []string{"*2\r\n$4\r\nECHO\r\n$3\r\nabcdef\r\n"}},
		{"multibulk-then-garbage", []string{ping + "*2\r\n$4\r\nECHO\r\n%3\r\n"}},
		{"empty-args", []string{"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n" + enc("GET", "")}},
		{"binary-arg", []string{enc("SET", "b", "a\x00\r\n\xff") + enc("GET", "b")}},
		// Inline commands.
		{"inline-crlf", []string{"PING\r\n"}},
		{"inline-lf", []string{"PING\nPING\n"}},
		{"inline-cr-inside", []string{"ECHO a\rb\r\n"}},
		{"inline-empty-lines", []string{"\r\n\n\r\n   \r\nPING\r\n"}},
		{"inline-tabs", []string{"\tECHO\t\tx \r\n"}},
		{"inline-double-quotes", []string{"ECHO \"a b\"\r\n"}},
		{"inline-hex", []string{"ECHO \"\\x41\\x4a\\x00\\xff\"\r\n"}},
		{"inline-bad-hex", []string{"ECHO \"\\x4g\\x\"\r\n"}},
		{"inline-escapes", []string{"ECHO \"\\n\\r\\t\\b\\a\\q\\\\\\\"\"\r\n"}},
		{"inline-single-quotes", []string{"ECHO 'it\\'s \\n'\r\n"}},
		{"inline-quote-mid-arg", []string{"ECHO ab\"c d\"\r\n"}},
		{"inline-empty-quotes", []string{"ECHO \"\"\r\nECHO ''\r\n"}},
		{"inline-unbalanced-double", []string{"ECHO \"abc\r\n" + ping}},
		{"inline-unbalanced-single", []string{"ECHO 'abc\r\n"}},
		{"inline-quote-then-char", []string{"ECHO \"a\"b\r\n"}},
		{"inline-squote-then-char", []string{"ECHO 'a'b\r\n"}},
		{"inline-nul", []string{"PING\x00\r\nPING\r\n"}},
		{"inline-too-big", []string{strings.Repeat("a", 65537)}},
		{"inline-64k", []string{strings.Repeat("a", 65536)}},
		{"inline-too-big-chunks", []string{strings.Repeat("a", 40000), strings.Repeat("a", 40000) + "\r\n"}},
		{"inline-unknown", []string{"FOO bar baz\r\n"}},
		{"inline-mixed", []string{"PING\r\n" + ping + "ECHO x\n" + ping}},
		// Pipelines, split requests, replies around errors.
		{"pipeline-then-error", []string{ping + ping + "*x\r\n" + ping}},
		{"split-bytes", oneByOne(enc("SET", "split", "value")+enc("GET", "split"), 1)},
		{"split-inline", oneByOne("ECHO \"split\\x41\"\r\n", 3)},
		{"split-count-line", []string{"*", "2\r", "\n$", "4\r\nECHO\r\n$", "1", "0\r\n01234", "56789\r\n"}},
		{"quit-then-error", []string{"QUIT\r\n*x\r\n"}},
		{"quit-then-more", []string{"QUIT\r\nPING\r\n"}},
		{"reply-off-error", []string{"CLIENT REPLY OFF\r\n*x\r\n", "PING\r\n"}},
		{"reply-off-quit", []string{"CLIENT REPLY OFF\r\nQUIT\r\n", "PING\r\n"}},
		{"reply-skip-error", []string{"CLIENT REPLY SKIP\r\n*x\r\n"}},
		{"reply-skip-empty-inline", []string{"CLIENT REPLY SKIP\r\n\r\nPING\r\n"}},
		{"reply-skip-star0", []string{"CLIENT REPLY SKIP\r\n*0\r\nPING\r\n"}},
		{"reply-skip-split", []string{"CLIENT REPLY SKIP\r\n", "PING\r\n", "PING\r\n"}},
		{"reply-on-after-off", []string{"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"}},
		{"resp3-error", []string{"HELLO 3\r\n", "*x\r\n"}},
	}
	compareRaw(t, p, "cases", cases)
}

// TestProtocolPipelines compares a long pipeline sent in one write, mixing
// inline and multibulk requests, and a request split into small writes.
func TestProtocolPipelines(t *testing.T) {
	p := startPair(t)
	var b strings.Builder
	for i := 0; i < 2000; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "SET key:%d value:%d\r\n", i%50, i)
		case 1:
			b.WriteString(enc("INCR", fmt.Sprintf("n:%d", i%7)))
		case 2:
			fmt.Fprintf(&b, "GET key:%d\n", (i*7)%50)
		default:
			b.WriteString(enc("APPEND", "log", fmt.Sprint(i)))
		}
	}
	b.WriteString(enc("DEBUG", "DIGEST"))
	var split strings.Builder
	for i := 0; i < 30; i++ {
		split.WriteString(enc("SET", fmt.Sprintf("s%d", i), strings.Repeat("x", i)))
	}
	// One group each: compareRaw runs a group's cases concurrently, and both
	// end with DEBUG DIGEST of the whole dataset.
	compareRaw(t, p, "pipelines", []rawCase{{"one-write", []string{b.String()}}})
	compareRaw(t, p, "split", []rawCase{{"small-writes", oneByOne(split.String()+enc("DEBUG", "DIGEST"), 7)}})
}

// TestProtocolBigValue sends a value of several MB in one request and reads
// it back, from both servers.
func TestProtocolBigValue(t *testing.T) {
	p := startPair(t)
	s := p.session(t, 2)
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	s.do(compareExact, "SET", "big", string(big))
	s.do(compareExact, "STRLEN", "big")
	s.do(compareExact, "GETRANGE", "big", "5242000", "-1")
	got := s.do(compareExact, "GET", "big")
	if want := "$5242880\r\n" + string(big) + "\r\n"; string(got) != want {
		t.Errorf("GET big returned %d bytes, want %d", len(got), len(want))
	}
}

// TestProtocolLimits compares the limits: proto-max-bulk-len (set small with
// CONFIG SET), client-query-buffer-limit (Redis closes without a reply),
// and the limits on clients that have not authenticated yet.
func TestProtocolLimits(t *testing.T) {
	p := startPair(t)
	s := p.session(t, 2)
	s.do(compareExact, "CONFIG", "SET", "proto-max-bulk-len", "1mb")
	s.do(compareExact, "CONFIG", "SET", "client-query-buffer-limit", "2mb")
	mb := 1 << 20
	v := strings.Repeat("v", mb)
	compareRaw(t, p, "proto-max-bulk-len", []rawCase{
		{"bulk-at-max", []string{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n" + v + "\r\n" + enc("STRLEN", "k")}},
		{"bulk-over-max", []string{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"}},
		{"querybuf-args-sum", []string{enc("MSET", "a", v, "b", v, "c", v) + enc("STRLEN", "c")}},
		{"querybuf-pipeline", []string{strings.Repeat("PING\r\n", 500000)}},
	})
	s.do(compareExact, "CONFIG", "SET", "proto-max-bulk-len", "512mb")
	compareRaw(t, p, "client-query-buffer-limit", []rawCase{
		{"querybuf-big-arg", []string{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + strings.Repeat("v", 3000000) + "\r\n"}},
		{"querybuf-inline", []string{strings.Repeat("v", 3000000)}},
	})

	a := startPair(t, "--requirepass", "secret")
	compareRaw(t, a, "requirepass", []rawCase{
		{"noauth", []string{ping() + "GET k\r\n"}},
		{"noauth-mbulk-10", []string{"*10\r\n" + strings.Repeat("$1\r\nx\r\n", 10)}},
		{"noauth-mbulk-11", []string{"*11\r\n"}},
		{"noauth-bulk-16384", []string{"*2\r\n$4\r\nECHO\r\n$16384\r\n" + strings.Repeat("x", 16384) + "\r\n"}},
		{"noauth-bulk-16385", []string{"*2\r\n$4\r\nECHO\r\n$16385\r\n"}},
		{"auth-then-big", []string{enc("AUTH", "secret") + "*11\r\n" + strings.Repeat("$1\r\nx\r\n", 11) + enc("ECHO", strings.Repeat("y", 20000))}},
		{"wrongpass-then-big", []string{enc("AUTH", "nope") + "*11\r\n"}},
		{"reset-then-big", []string{enc("AUTH", "secret") + enc("RESET") + "*11\r\n"}},
		{"hello-auth-then-big", []string{"HELLO 2 AUTH default secret\r\n", "*11\r\n" + strings.Repeat("$1\r\nx\r\n", 11)}},
		{"noauth-quit", []string{"QUIT\r\n"}},
	})
}

func ping() string { return enc("PING") }

// TestProtocolErrorIsolation checks that a protocol error closes only the
// connection that sent it: another client's state and connection survive.
func TestProtocolErrorIsolation(t *testing.T) {
	p := startPair(t)
	for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		other, err := resptest.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		mustReply(t, other, "+OK\r\n", "SET", "k", "v")
		mustReply(t, other, "+OK\r\n", "SELECT", "3")
		bad, err := exchange(addr, rawCase{chunks: []string{"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"; string(bad.data) != want || !bad.closed {
			t.Errorf("%s: bad client got %q closed=%v, want %q and a close", addr, bad.data, bad.closed, want)
		}
		mustReply(t, other, "$-1\r\n", "GET", "k")
		mustReply(t, other, "+OK\r\n", "SELECT", "0")
		mustReply(t, other, "$1\r\nv\r\n", "GET", "k")
	}
}

// mustReply sends args on c and fails unless the raw reply is want.
func mustReply(t *testing.T, c *resptest.Conn, want string, args ...string) {
	t.Helper()
	got, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	if string(got) != want {
		t.Errorf("%q: got %q, want %q", args, got, want)
	}
}

// TestProtocolPipelineWithoutReading writes a pipeline whose replies
// overflow the socket buffers before reading any of them: Redis keeps
// reading input while replies queue up, so the client must not deadlock.
func TestProtocolPipelineWithoutReading(t *testing.T) {
	p := startPair(t)
	const n = 16000
	echo := enc("ECHO", strings.Repeat("e", 1000))
	req := []byte(strings.Repeat(echo, n))
	for _, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write(req); err != nil {
			t.Fatalf("%s: writing %d bytes without reading: %v", addr, len(req), err)
		}
		want := (len("$1000\r\n\r\n") + 1000) * n
		got := 0
		buf := make([]byte, 1<<20)
		for got < want {
			m, err := c.Read(buf)
			got += m
			if err != nil {
				t.Fatalf("%s: read %d of %d reply bytes: %v", addr, got, want, err)
			}
		}
	}
}
