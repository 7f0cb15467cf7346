package libaof

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kvkit/kvkit/internal/testutil"
)

// rec is a Record copied out of the Reader's buffers.
type rec struct {
	Kind        RecordKind
	Offset, End int64
	Args        []string
	Sizes       []int64
	Line        string
}

// readAll reads every record of r and the error that ended the stream
// (nil for a clean end).
func readAll(r *Reader) ([]rec, error) {
	var out []rec
	for {
		x, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		c := rec{Kind: x.Kind, Offset: x.Offset, End: x.End, Line: string(x.Line), Sizes: append([]int64(nil), x.Sizes...)}
		for _, a := range x.Args {
			c.Args = append(c.Args, string(a))
		}
		out = append(out, c)
	}
}

func resp(args ...string) string {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	return s
}

func TestReaderRecords(t *testing.T) {
	in := "#TS:1700000000\r\n" + resp("SELECT", "0") + resp("SET", "k", "a\r\nb") + "*0\r\n*-1\r\n* +1\r\n$0\r\n\r\n"
	got, err := readAll(NewReader(strings.NewReader(in), 100))
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{
		{Kind: Annotation, Offset: 100, End: 116, Line: "TS:1700000000"},
		{Kind: Command, Offset: 116, End: 139, Args: []string{"SELECT", "0"}, Sizes: []int64{6, 1}},
		{Kind: Command, Offset: 139, End: 169, Args: []string{"SET", "k", "a\r\nb"}, Sizes: []int64{3, 1, 4}},
		{Kind: Command, Offset: 169, End: 173},
		{Kind: Command, Offset: 173, End: 178},
		{Kind: Command, Offset: 178, End: 190, Args: []string{""}, Sizes: []int64{0}},
	}
	for i := range want {
		if want[i].Sizes == nil {
			want[i].Sizes = []int64{}
		}
	}
	for i := range got {
		if got[i].Sizes == nil {
			got[i].Sizes = []int64{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// Errors: offsets as redis-check-aof's epos, Truncated for a short read.
func TestReaderErrors(t *testing.T) {
	for _, c := range []struct {
		in        string
		off       int64
		truncated bool
		reason    string
	}{
		{"x", 0, false, "format error"},
		{resp("SET", "k", "v") + "$3\r\n", 27, false, "format error"},
		{"*2\n$3\r\nSET\r\n", 0, false, `expected "\r\n" after the argument count, got "\n"`},
		{"*2 \r\n", 0, false, `got " \r"`},
		{"*\r\n", -1, false, ""}, // argc 0: accepted, as strtol reads nothing
		{"*1\r\n:3\r\n", 4, false, "expected '$'"},
		{"*1\r\n$-1\r\n", 9, false, "bulk length -1 is out of range"},
		{"*1\r\n$3\r\nSE", 8, true, "expected to read 5 bytes, got 2"},
		{"*1\r\n$3\r\nSETxx", 8, false, `expected "\r\n" after 3 bytes of bulk data, got "xx"`},
		{"*1\r\n$3", 4, true, `expected "\r\n" after the bulk length`},
		{"*2\r\n$3\r\nSET\r\n", 13, true, "unexpected end of file"},
		{"*1\r\n$99999999999999\r\nab", 21, true, "expected to read 100000000000001 bytes, got 2"},
		{"*1\r\n$" + strings.Repeat("1", 130) + "\r\n", 4, false, `after the bulk length`},
	} {
		_, err := readAll(NewReader(strings.NewReader(c.in), 0))
		if c.off < 0 {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		se, ok := err.(*SyntaxError)
		if !ok || se.Offset != c.off || se.Truncated != c.truncated || !strings.Contains(se.Reason, c.reason) {
			t.Errorf("%q: got %#v, want offset %d truncated %v reason %q", c.in, err, c.off, c.truncated, c.reason)
		}
		if IsTruncated(err) != c.truncated {
			t.Errorf("%q: IsTruncated = %v", c.in, !c.truncated)
		}
	}
}

// A stream bigger than the buffer, with arguments of every size around the
// buffer's limits, read whole, one byte at a time and with MaxArgLen.
func TestReaderLargeStream(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var in strings.Builder
	var want [][]string
	for in.Len() < 5<<20 {
		var args []string
		for n := 1 + rng.Intn(4); n > 0; n-- {
			size := rng.Intn(100)
			switch rng.Intn(10) {
			case 0:
				size = inlineArgMax - 2 + rng.Intn(5)
			case 1:
				size = defaultBufSize - 3 + rng.Intn(7)
			case 2:
				size = 2*defaultBufSize + rng.Intn(100)
			}
			b := make([]byte, size)
			rng.Read(b)
			args = append(args, string(b))
		}
		want = append(want, args)
		in.WriteString(resp(args...))
	}
	data := in.String()
	for _, mode := range []string{"whole", "onebyte", "maxarg"} {
		var src io.Reader = strings.NewReader(data)
		if mode == "onebyte" {
			src = iotest.HalfReader(iotest.OneByteReader(src))
		}
		r := NewReader(src, 0)
		if mode == "maxarg" {
			r.MaxArgLen = 10
		}
		got, err := readAll(r)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d records, want %d", mode, len(got), len(want))
		}
		for i := range want {
			for j, a := range want[i] {
				w := a
				if mode == "maxarg" && len(w) > 10 {
					w = w[:10]
				}
				if got[i].Args[j] != w || got[i].Sizes[j] != int64(len(a)) {
					t.Fatalf("%s: record %d arg %d: %d bytes (size %d), want %d", mode, i, j, len(got[i].Args[j]), got[i].Sizes[j], len(a))
				}
			}
		}
		if end := got[len(got)-1].End; end != int64(len(data)) {
			t.Fatalf("%s: last record ends at %d of %d", mode, end, len(data))
		}
	}
}

// Every AOF of the test data reads the same whole and one byte at a time.
func TestReaderCorpusOneByte(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "aof")
	files, _ := filepath.Glob(filepath.Join(root, "*", "*", "*.aof"))
	more, _ := filepath.Glob(filepath.Join(root, "*", "*", "appendonlydir", "*.incr.aof"))
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("AOF test data missing under %s", root)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := readAll(NewReader(bytes.NewReader(data), 0))
		b, errB := readAll(NewReader(iotest.OneByteReader(bytes.NewReader(data)), 0))
		if !reflect.DeepEqual(a, b) || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%s: whole and one-byte reads differ: %v / %v", f, errA, errB)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(resp("SET", "k", "v") + "#TS:1\r\n" + resp("MULTI") + resp("EXEC")))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk"))
	f.Add([]byte("* -3\r\n*1\r\n$+0\r\n\r\n#x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, errA := readAll(NewReader(bytes.NewReader(data), 0))
		b, errB := readAll(NewReader(iotest.OneByteReader(bytes.NewReader(data)), 0))
		if !reflect.DeepEqual(a, b) || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("whole and one-byte reads differ: %v / %v", errA, errB)
		}
		var last int64
		for _, x := range a {
			if x.Offset != last || x.End <= x.Offset || x.End > int64(len(data)) {
				t.Fatalf("record %+v after offset %d of %d", x, last, len(data))
			}
			last = x.End
		}
		if errA != nil {
			se, ok := errA.(*SyntaxError)
			if !ok || se.Offset < last || se.Offset > int64(len(data)) {
				t.Fatalf("error %#v after offset %d", errA, last)
			}
		} else if last != int64(len(data)) {
			t.Fatalf("clean end at %d of %d", last, len(data))
		}
	})
}

func BenchmarkReader(b *testing.B) {
	var in bytes.Buffer
	for i := 0; in.Len() < 8<<20; i++ {
		in.WriteString(resp("SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i%200)))
		in.WriteString(resp("INCR", "counter"))
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := NewReader(bytes.NewReader(data), 0)
		r.MaxArgLen = 64
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// MaxArgs bounds what a command with very many arguments keeps.
func TestReaderMaxArgs(t *testing.T) {
	const n = 200000
	in := fmt.Sprintf("*%d\r\n", n) + strings.Repeat("$1\r\nx\r\n", n) + resp("PING")
	r := NewReader(strings.NewReader(in), 0)
	r.MaxArgs = 2
	rec, err := r.Next()
	if err != nil || rec.Argc != n || len(rec.Args) != 2 || len(rec.Sizes) != 2 || rec.End != int64(len(in)-len(resp("PING"))) {
		t.Fatalf("%v: argc %d, %d args kept, end %d", err, rec.Argc, len(rec.Args), rec.End)
	}
	if cap(r.refs) > 16 {
		t.Fatalf("kept %d argument slots", cap(r.refs))
	}
	if rec, err := r.Next(); err != nil || rec.Argc != 1 || string(rec.Args[0]) != "PING" {
		t.Fatalf("next: %v %+v", err, rec)
	}
}
