package libaof

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"

	"github.com/kvkit/kvkit/internal/sds"
)

func TestParseManifestOfRedis(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "aof")
	files, _ := filepath.Glob(filepath.Join(root, "*", "*", "appendonlydir", "*.manifest"))
	if len(files) < 5 {
		t.Fatalf("AOF test data missing under %s (see shared/testdata/README.md)", root)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Base == nil || len(m.Incr) == 0 {
			t.Fatalf("%s: %+v", f, m)
		}
		if got := m.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("%s: written back as\n%s\nwant\n%s", f, got, data)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest(strings.NewReader("# comment\n" +
		"file \"my aof.1.base.rdb\" seq 1 type b\n" +
		"  FILE a.1.incr.aof SEQ 1 TYPE i startoffset 10 \r\n" +
		"file a.0.incr.aof seq 7 type h\n" +
		"file 'a.2.incr.aof' seq 2 type incr\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Base:    &FileInfo{Name: "my aof.1.base.rdb", Seq: 1, Type: TypeBase},
		History: []FileInfo{{Name: "a.0.incr.aof", Seq: 7, Type: TypeHistory}},
		Incr: []FileInfo{
			{Name: "a.1.incr.aof", Seq: 1, Type: TypeIncr, Extra: []KeyValue{{"startoffset", "10"}}},
			{Name: "a.2.incr.aof", Seq: 2, Type: TypeIncr},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v", m)
	}
	wantText := "file \"my aof.1.base.rdb\" seq 1 type b\n" +
		"file a.0.incr.aof seq 7 type h\n" +
		"file a.1.incr.aof seq 1 type i startoffset 10\n" +
		"file a.2.incr.aof seq 2 type i\n"
	if got := string(m.Bytes()); got != wantText {
		t.Fatalf("written as\n%s", got)
	}
	names := []string{}
	for _, f := range m.Files() {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "my aof.1.base.rdb,a.1.incr.aof,a.2.incr.aof" {
		t.Fatalf("load order %v", names)
	}
}

// The errors of Redis 7.0 aofLoadManifestFromFile, with its wording.
func TestParseManifestErrors(t *testing.T) {
	long := "file " + strings.Repeat("x", 1020) + " seq 1 type b\n"
	for _, c := range []struct {
		in     string
		line   int
		reason string
	}{
		{"", 0, "Found an empty AOF manifest"},
		{"file a seq 1 type b", 1, "The AOF manifest file contains too long line"},
		{long, 1, "The AOF manifest file contains too long line"},
		{"file a seq 1 type b\n\n", 2, "Invalid AOF manifest file format"},
		{"file a seq 1 type\n", 1, "Invalid AOF manifest file format"},
		{"file a seq 1 type b x\n", 1, "Invalid AOF manifest file format"},
		{"file a seq 1\n", 1, "Invalid AOF manifest file format"},
		{"file \"a seq 1 type b\n", 1, "Invalid AOF manifest file format"},
		{"file \"a\"b seq 1 type b\n", 1, "Invalid AOF manifest file format"},
		{"file dir/a seq 1 type b\n", 1, "File can't be a path, just a filename"},
		{"file a\\b seq 1 type b\n", 1, "File can't be a path, just a filename"},
		{"file a seq 0 type b\n", 1, "Invalid AOF manifest file format"},
		{"file a seq x type b\n", 1, "Invalid AOF manifest file format"},
		{"file a seq 1 type ''\n", 1, "Invalid AOF manifest file format"},
		{"name a seq 1 type b\n", 1, "Invalid AOF manifest file format"},
		{"file a seq 1 type x\n", 1, "Unknown AOF file type"},
		{"file a seq 1 type b\nfile b seq 2 type b\n", 2, "Found duplicate base file information"},
		{"file a seq 2 type i\nfile b seq 2 type i\n", 2, "Found a non-monotonic sequence number"},
		{"file a seq -1 type i\n", 1, "Found a non-monotonic sequence number"},
	} {
		_, err := ParseManifest(strings.NewReader(c.in))
		me, ok := err.(*ManifestError)
		if !ok || me.Line != c.line || me.Reason != c.reason {
			t.Errorf("%q: got %v, want line %d %q", c.in, err, c.line, c.reason)
		}
	}
	// Only comments: valid and empty, as Redis loads it.
	if m, err := ParseManifest(strings.NewReader("# nothing\n")); err != nil || len(m.Files()) != 0 {
		t.Fatalf("comments only: %v %v", m, err)
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", "with space", "tab\there", `back\slash`, `q"uote`, "\x00\xff\x7f\n\r\a\b", "é"} {
		q := manifestWord(s)
		if q == s && s != "plain" {
			t.Errorf("%q should need quoting", s)
		}
		got, err := sds.SplitArgs([]byte(q))
		if err != nil || len(got) != 1 || string(got[0]) != s {
			t.Errorf("%q quoted as %s reads back as %q", s, q, got)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	f.Add([]byte("# c\nfile \"a b\\x00\" seq 3 type h k 'v'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(bytes.NewReader(data))
		if err != nil {
			if _, ok := err.(*ManifestError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		// What we write must read back the same.
		again, err := ParseManifest(bytes.NewReader(m.Bytes()))
		if len(m.Files())+len(m.History) == 0 {
			return // nothing to write back
		}
		if err != nil {
			t.Fatalf("re-reading %q: %v", m.Bytes(), err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip: %+v != %+v", m, again)
		}
	})
}
