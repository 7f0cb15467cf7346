package cmdtable

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"testing"
	"time"
)

// reply is one RESP2/RESP3 reply read from a connection, with its exact
// bytes (raw) and, for aggregates, its header line and elements (a map's
// keys and values alternate).
type reply struct {
	raw   []byte
	head  []byte
	elems []*reply
}

// maxReplyLen bounds a bulk string or aggregate length the reader accepts.
const maxReplyLen = 1 << 24

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("resp: bad line %q", line)
	}
	return line, nil
}

// readReply reads one reply.
func readReply(r *bufio.Reader) (*reply, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return &reply{raw: line}, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxReplyLen {
			return nil, fmt.Errorf("resp: bad length in %q", line)
		}
		if n < 0 {
			return &reply{raw: line}, nil
		}
		buf := make([]byte, len(line)+n+2)
		copy(buf, line)
		if _, err := io.ReadFull(r, buf[len(line):]); err != nil {
			return nil, err
		}
		return &reply{raw: buf}, nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxReplyLen {
			return nil, fmt.Errorf("resp: bad length in %q", line)
		}
		if n < 0 {
			return &reply{raw: line}, nil
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		rep := &reply{head: line}
		for i := 0; i < n; i++ {
			e, err := readReply(r)
			if err != nil {
				return nil, err
			}
			rep.elems = append(rep.elems, e)
		}
		rep.rebuild()
		return rep, nil
	}
	return nil, fmt.Errorf("resp: unknown type in %q", line)
}

// parseReply parses b, which must hold exactly one reply.
func parseReply(t testing.TB, b []byte) *reply {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(b))
	rep, err := readReply(r)
	if err != nil {
		t.Fatalf("parsing our own reply %q: %v", b, err)
	}
	if r.Buffered() != 0 {
		t.Fatalf("trailing bytes after reply %q", b)
	}
	return rep
}

// rebuild recomputes raw from head and elements.
func (r *reply) rebuild() {
	raw := append([]byte(nil), r.head...)
	for _, e := range r.elems {
		raw = append(raw, e.raw...)
	}
	r.raw = raw
}

// str returns a bulk or simple string's content.
func (r *reply) str() string {
	switch r.raw[0] {
	case '+', '-':
		return string(r.raw[1 : len(r.raw)-2])
	case '$':
		i := bytes.IndexByte(r.raw, '\n')
		if i+1 > len(r.raw)-2 {
			return ""
		}
		return string(r.raw[i+1 : len(r.raw)-2])
	}
	return ""
}

// sortElems puts r's elements (pairs of elements for a map in step 2) in
// byte order, for replies whose order is Redis's hash table order.
func (r *reply) sortElems(step int) {
	type group struct {
		key   []byte
		elems []*reply
	}
	var gs []group
	for i := 0; i+step <= len(r.elems); i += step {
		var key []byte
		for _, e := range r.elems[i : i+step] {
			key = append(key, e.raw...)
		}
		gs = append(gs, group{key, r.elems[i : i+step]})
	}
	sort.Slice(gs, func(i, j int) bool { return bytes.Compare(gs[i].key, gs[j].key) < 0 })
	var elems []*reply
	for _, g := range gs {
		elems = append(elems, g.elems...)
	}
	r.elems = elems
	r.rebuild()
}

// client is a raw connection to a server that pipelines commands and
// returns the replies' exact bytes.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialServer(t testing.TB, addr string, proto int) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	if proto == 3 {
		if rep := c.do([][]byte{[]byte("HELLO"), []byte("3")}); rep[0].raw[0] != '%' {
			t.Fatalf("HELLO 3: %q", rep[0].raw)
		}
	}
	return c
}

// encode returns argv as a RESP array of bulk strings.
func encode(argv [][]byte) []byte {
	var out []byte
	out = append(out, '*')
	out = strconv.AppendInt(out, int64(len(argv)), 10)
	out = append(out, '\r', '\n')
	for _, a := range argv {
		out = append(out, '$')
		out = strconv.AppendInt(out, int64(len(a)), 10)
		out = append(out, '\r', '\n')
		out = append(out, a...)
		out = append(out, '\r', '\n')
	}
	return out
}

// do sends all commands at once and reads their replies.
func (c *client) do(cmds ...[][]byte) []*reply {
	c.t.Helper()
	var out []byte
	for _, argv := range cmds {
		out = append(out, encode(argv)...)
	}
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	werr := make(chan error, 1)
	go func() { _, err := c.conn.Write(out); werr <- err }()
	replies := make([]*reply, len(cmds))
	for i := range cmds {
		rep, err := readReply(c.r)
		if err != nil {
			c.t.Fatalf("reading reply %d (%q): %v", i, cmds[i], err)
		}
		replies[i] = rep
	}
	if err := <-werr; err != nil {
		c.t.Fatal(err)
	}
	return replies
}

// argv turns words into an argument vector.
func argv(words ...string) [][]byte {
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = []byte(w)
	}
	return out
}
