package libkv

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/libaof"
)

// baseOf returns the RESP BASE of s's dataset as one line per command.
func baseOf(t *testing.T, s *Server) []string {
	t.Helper()
	var buf bytes.Buffer
	rb := newRESPBase(&buf, 0)
	err := s.encodeSync(rb, true)
	if cerr := rb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	r := libaof.NewReader(&buf, 0)
	for i := 0; i < 1e5; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, string(bytes.Join(rec.Args, []byte(" "))))
	}
	return cmds
}

func TestRESPBaseBatches(t *testing.T) {
	s := testServer(t)
	c := clientOf(t, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	args := []string{"RPUSH", "l"}
	for i := 0; i < 70; i++ {
		args = append(args, strconv.Itoa(i))
	}
	c.doStr(args...)
	c.doStr("PEXPIREAT", "l", "99999999999999")
	c.doStr("SELECT", "2")
	c.doStr("ZADD", "z", "-inf", "a", "1.5", "b")
	cmds := baseOf(t, s)
	want := []string{
		"SELECT 0",
		"RPUSH l " + strings.Join(args[2:66], " "),
		"RPUSH l " + strings.Join(args[66:], " "),
		"PEXPIREAT l 99999999999999",
		"SELECT 2",
		"ZADD z -inf a 1.5 b",
	}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("BASE:\n%s\nwant\n%s", strings.Join(cmds, "\n"), strings.Join(want, "\n"))
	}
}

// A stream that is not RDB, or ends early, is an error at Close, never a
// hang or a panic.
func TestRESPBaseBadStream(t *testing.T) {
	for _, in := range []string{"", "REDIS0010", "garbage", "REDIS0010\xfe\x00\x00\x01k"} {
		rb := newRESPBase(io.Discard, 0)
		rb.Write([]byte(in))
		if err := rb.Close(); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzRESPBase(f *testing.F) {
	f.Add([]byte("REDIS0010\xff"))
	f.Add([]byte("REDIS0010\xfe\x00\x00\x01k\x01v\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rb := newRESPBase(io.Discard, 0)
		rb.Write(in)
		rb.Close()
	})
}
