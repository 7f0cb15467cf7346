package libaof

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestAppendCommandAndTimestamp(t *testing.T) {
	b := AppendTimestamp(nil, 1700000000)
	b = AppendCommand(b, []byte("SET"), []byte("k"), []byte(""), []byte("a\r\nb"))
	want := "#TS:1700000000\r\n*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
	if string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
	// What AppendCommand writes, the Reader reads back.
	r := NewReader(bytes.NewReader(b), 0)
	if rec, err := r.Next(); err != nil || rec.Kind != Annotation || string(rec.Line) != "TS:1700000000" {
		t.Fatalf("annotation: %+v %v", rec, err)
	}
	rec, err := r.Next()
	if err != nil || rec.Kind != Command || len(rec.Args) != 4 || string(rec.Args[3]) != "a\r\nb" {
		t.Fatalf("command: %+v %v", rec, err)
	}
}

func TestFileNames(t *testing.T) {
	for got, want := range map[string]string{
		BaseName("appendonly.aof", 3, true):  "appendonly.aof.3.base.rdb",
		BaseName("appendonly.aof", 3, false): "appendonly.aof.3.base.aof",
		IncrName("x y", 12):                  "x y.12.incr.aof",
		ManifestName("appendonly.aof"):       "appendonly.aof.manifest",
		TempManifestName("appendonly.aof"):   "temp-appendonly.aof.manifest",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestWriteManifest(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{
		Base:    &FileInfo{Name: "a b.1.base.rdb", Seq: 1, Type: TypeBase},
		History: []FileInfo{{Name: "old.incr", Seq: 1, Type: TypeHistory, Extra: []KeyValue{{"startoffset", "10"}}}},
		Incr:    []FileInfo{{Name: "a b.1.incr.aof", Seq: 1, Type: TypeIncr}, {Name: "a b.2.incr.aof", Seq: 2, Type: TypeIncr}},
	}
	if err := WriteManifest(dir, "m", "temp-m", m); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "m"))
	want := "file \"a b.1.base.rdb\" seq 1 type b\nfile old.incr seq 1 type h startoffset 10\n" +
		"file \"a b.1.incr.aof\" seq 1 type i\nfile \"a b.2.incr.aof\" seq 2 type i\n"
	if string(b) != want {
		t.Fatalf("manifest:\n%s\nwant:\n%s", b, want)
	}
	back, err := ParseManifest(bytes.NewReader(b))
	if err != nil || !bytes.Equal(back.Bytes(), b) {
		t.Fatalf("parsed back: %v, %q", err, back.Bytes())
	}
	if _, err := os.Stat(filepath.Join(dir, "temp-m")); !os.IsNotExist(err) {
		t.Error("temp manifest left behind")
	}
	// An invalid manifest is refused and the old one stays.
	bad := &Manifest{Incr: []FileInfo{{Name: "x/y", Seq: 1, Type: TypeIncr}}}
	if err := WriteManifest(dir, "m", "temp-m", bad); err == nil {
		t.Fatal("a manifest with a path in a name was written")
	}
	if b2, _ := os.ReadFile(filepath.Join(dir, "m")); !bytes.Equal(b2, b) {
		t.Error("the old manifest changed")
	}
	// A directory that is gone: an error, no panic.
	if err := WriteManifest(filepath.Join(dir, "missing"), "m", "temp-m", m); err == nil {
		t.Fatal("no error writing into a missing directory")
	}
}

func TestWriterGroupCommit(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, 0)
	var mu sync.Mutex // the engine lock: one writer at a time
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				mu.Lock()
				w.Append(AppendCommand(nil, []byte("INCR"), []byte("k")))
				off := w.Appended()
				mu.Unlock()
				var err error
				if i%2 == 0 {
					err = w.WriteTo(off)
				} else {
					err = w.SyncTo(off)
				}
				if err != nil {
					t.Error(err)
					return
				}
				w.mu.Lock()
				bad := w.written < off || (i%2 == 1 && w.synced < off)
				w.mu.Unlock()
				if bad {
					t.Error("returned before its offset was written / synced")
					return
				}
			}
		}()
	}
	wg.Wait()
	size := int64(len(AppendCommand(nil, []byte("INCR"), []byte("k")))) * 400
	w.Sync()
	if w.Size() != size || w.Appended() != size || w.Pending() {
		t.Fatalf("size %d appended %d pending %v, want %d", w.Size(), w.Appended(), w.Pending(), size)
	}
	// Switch: the old file is synced and closed, offsets go on.
	f2, _ := os.Create(filepath.Join(dir, "2.incr.aof"))
	if err := w.Switch(f2, 0); err != nil {
		t.Fatal(err)
	}
	w.Append([]byte("*1\r\n$4\r\nPING\r\n"))
	if w.Size() != 14 || w.Appended() != size+14 || !w.Pending() {
		t.Fatalf("after Switch: size %d appended %d", w.Size(), w.Appended())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "1.incr.aof"))
	if int64(len(b)) != size || strings.Count(string(b), "INCR") != 400 {
		t.Fatalf("first file holds %d bytes", len(b))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "2.incr.aof")); string(b) != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("second file holds %q", b)
	}
}
