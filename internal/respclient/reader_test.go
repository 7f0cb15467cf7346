package respclient

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSkip(t *testing.T) {
	cases := []struct {
		in, errMsg string
	}{
		{"+OK\r\n", ""},
		{"-ERR unknown command\r\n", "ERR unknown command"},
		{":42\r\n", ""},
		{"$3\r\nabc\r\n", ""},
		{"$-1\r\n", ""},
		{"*-1\r\n", ""},
		{"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", ""},
		{"*0\r\n", ""},
		{"%1\r\n+k\r\n*2\r\n_\r\n#t\r\n", ""},
		{"~2\r\n,1.5\r\n(123\r\n", ""},
		{"=7\r\ntxt:abc\r\n", ""},
		{"!5\r\nERR x\r\n", "ERR x"},
		{"|1\r\n+a\r\n+b\r\n:1\r\n", ""},
		{">3\r\n+subscribe\r\n+ch\r\n:1\r\n", ""},
	}
	for _, c := range cases {
		// One byte at a time exercises every refill path.
		r := NewReader(iotest.OneByteReader(strings.NewReader(c.in+"+NEXT\r\n")), 0)
		msg, err := r.Skip()
		if err != nil {
			t.Errorf("Skip(%q): %v", c.in, err)
			continue
		}
		if string(msg) != c.errMsg {
			t.Errorf("Skip(%q) = error %q, want %q", c.in, msg, c.errMsg)
		}
		v, err := r.ReadValue()
		if err != nil || v.Str != "NEXT" {
			t.Errorf("after Skip(%q): next reply %+v, %v; the reply was not consumed exactly", c.in, v, err)
		}
	}
}

func TestReadValue(t *testing.T) {
	in := "*3\r\n:1\r\n$5\r\nhello\r\n*2\r\n$-1\r\n-ERR x\r\n"
	v, err := NewReader(strings.NewReader(in), 0).ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != '*' || len(v.Elems) != 3 || v.Elems[0].Int != 1 || v.Elems[1].Str != "hello" ||
		!v.Elems[2].Elems[0].Null || v.Elems[2].Elems[1].Err() != "ERR x" {
		t.Fatalf("ReadValue = %+v", v)
	}
	big := "$100000\r\n" + strings.Repeat("x", 100000) + "\r\n"
	v, err = NewReader(strings.NewReader(big), 0).ReadValue()
	if err != nil || len(v.Str) != 100000 {
		t.Fatalf("large bulk: %d bytes, %v", len(v.Str), err)
	}
}

func TestBadInput(t *testing.T) {
	for _, in := range []string{
		"?x\r\n", "$abc\r\n", "$3\r\nabcd\r\n", "*-5\r\n", "$999999999999\r\n", "+OK\n", "\r\n",
		"*" + strings.Repeat("1", 30) + "\r\n", strings.Repeat("*1\r\n", 100) + ":1\r\n",
	} {
		_, err1 := NewReader(strings.NewReader(in), 0).Skip()
		_, err2 := NewReader(strings.NewReader(in), 0).ReadValue()
		for _, err := range []error{err1, err2} {
			if err == nil || !(errors.Is(err, ErrProtocol) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				// Deep nesting is fine for Skip (no recursion); only ReadValue refuses it.
				if strings.HasPrefix(in, "*1\r\n*1") && err == nil {
					continue
				}
				t.Errorf("%q: err = %v, want a protocol error", in, err)
			}
		}
	}
}

func TestAppendCommand(t *testing.T) {
	got := AppendCommand(nil, "SET", "k", "")
	if want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; string(got) != want {
		t.Fatalf("AppendCommand = %q, want %q", got, want)
	}
}

// FuzzReader checks that arbitrary bytes give a reply or an error, never a
// panic or a hang, and that Skip and ReadValue agree on where a reply ends.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n+a\r\n|1\r\n+b\r\n+c\r\n_\r\n", ">1\r\n+x\r\n-ERR\r\n", "!3\r\nabc\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r1 := NewReader(bytes.NewReader(b), 0)
		_, err1 := r1.Skip()
		r2 := NewReader(bytes.NewReader(b), 0)
		_, err2 := r2.ReadValue()
		if err1 == nil && err2 == nil && r1.Buffered() != r2.Buffered() {
			t.Fatalf("Skip left %d bytes, ReadValue %d", r1.Buffered(), r2.Buffered())
		}
	})
}
