package libaof

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A PreambleChecker may read ahead: the RESP tail is replayed from where it
// says the RDB ended, and offsets stay file offsets.
func TestCheckPreambleReadAhead(t *testing.T) {
	rdb := "REDIS0010" + strings.Repeat("x", 11) // a stand-in 20-byte "RDB"
	tail := resp("SET", "k", "v") + "#TS:5\r\n" + resp("MULTI") + resp("INCR", "n") + resp("EXEC")
	path := writeFile(t, t.TempDir(), "a.aof", rdb+tail+"*1\r\n$4\r\nPIN")
	greedy := func(r io.Reader) (int64, error) {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil || !bytes.HasPrefix(b, []byte("REDIS")) {
			t.Fatalf("checker got %q, %v", b, err)
		}
		return 20, nil
	}
	var seen []int64
	rep, err := Check(path, &Options{Preamble: greedy, Stats: true, Visit: func(_ *FileReport, rec *Record, _, _ int64) { seen = append(seen, rec.Offset) }})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Files[0]
	want := int64(20 + len(tail))
	if rep.Valid || f.Format != "rdb-preamble" || f.RDBBytes != 20 || f.Verdict != Truncated || f.OKUpTo != want || f.ErrorOffset != want+8 {
		t.Fatalf("report %+v", f)
	}
	if f.Commands != 4 || f.Counts["multi"] != 1 || f.Annotations != 1 || f.LastTS != 5 || len(seen) != 4 || seen[0] != 20 {
		t.Fatalf("counts %+v, visited %v", f, seen)
	}
	if f.LastGood == nil || f.LastGood.Name != "EXEC" {
		t.Fatalf("last good %+v", f.LastGood)
	}
	// The preamble checker's verdict is reported with its offset.
	bad := func(io.Reader) (int64, error) { return 0, &PreambleError{Offset: 9, Reason: "bad opcode"} }
	rep, _ = Check(path, &Options{Preamble: bad})
	if f := rep.Files[0]; f.Verdict != Corrupt || f.ErrorOffset != 9 || !strings.Contains(f.Reason, "bad opcode") {
		t.Fatalf("report %+v", f)
	}
	if _, err := rep.PlanFix(true); err == nil {
		t.Fatal("a damaged preamble must not be truncated")
	}
}

// --truncate-to-timestamp: a cut inside MULTI moves to the MULTI (kvkit),
// a cut at offset 0 of the first file is refused (as Redis).
func TestTimestampCut(t *testing.T) {
	dir := t.TempDir()
	data := "#TS:10\r\n" + resp("SET", "a", "1") + resp("MULTI") + "#TS:20\r\n" + resp("SET", "b", "2") + resp("EXEC")
	path := writeFile(t, dir, "a.aof", data)
	rep, err := Check(path, &Options{ToTimestamp: 15})
	if err != nil {
		t.Fatal(err)
	}
	multiAt := int64(8 + len(resp("SET", "a", "1")))
	if f := rep.Files[0]; !rep.Valid || f.TimestampCut != multiAt {
		t.Fatalf("report %+v", f)
	}
	plan, err := rep.PlanTimestamp(false)
	if err != nil || plan == nil || plan.To != multiAt {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	rep, _ = Check(path, &Options{ToTimestamp: 5})
	if _, err := rep.PlanTimestamp(false); err == nil || !strings.Contains(err.Error(), "nothing before the timestamp") {
		t.Fatalf("cut at 0: %v", err)
	}
	rep, _ = Check(path, &Options{ToTimestamp: 25})
	if plan, err := rep.PlanTimestamp(false); plan != nil || err != nil {
		t.Fatalf("nothing later: %+v, %v", plan, err)
	}
}

// A damaged file that is not the last: refused, or with forceMiddle the
// later files leave the manifest and are kept as backups.
func TestForceTruncateMiddle(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.aof.1.base.aof", resp("SET", "a", "1"))
	writeFile(t, dir, "a.aof.1.incr.aof", resp("SET", "b", "2")+"junk")
	writeFile(t, dir, "a.aof.2.incr.aof", resp("SET", "c", "3"))
	man := writeFile(t, dir, "a.aof.manifest", "file a.aof.1.base.aof seq 1 type b\nfile a.aof.1.incr.aof seq 1 type i\nfile a.aof.2.incr.aof seq 2 type i\n")
	rep, err := Check(dir, nil)
	if err != nil || rep.Valid || rep.Problem != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := rep.PlanFix(false); err == nil || !strings.Contains(err.Error(), "not the last file") {
		t.Fatalf("want a refusal, got %v", err)
	}
	plan, err := rep.PlanFix(true)
	if err != nil || len(plan.Dropped) != 1 || plan.DroppedCommands != 1 {
		t.Fatalf("%+v %v", plan, err)
	}
	backups, err := plan.Apply("")
	if err != nil || len(backups) != 3 {
		t.Fatalf("backups %v, %v", backups, err)
	}
	m, _ := os.ReadFile(man)
	if string(m) != "file a.aof.1.base.aof seq 1 type b\nfile a.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest %q", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.aof.2.incr.aof.bak")); err != nil {
		t.Fatal(err)
	}
	if rep, _ := Check(dir, nil); !rep.Valid {
		t.Fatalf("after the repair: %+v", rep)
	}
}

func BenchmarkCheck(b *testing.B) {
	var in bytes.Buffer
	for i := 0; in.Len() < 32<<20; i++ {
		in.WriteString(resp("SET", "key:"+strings.Repeat("k", i%16), strings.Repeat("v", 64)))
		in.WriteString(resp("INCR", "counter"))
		in.WriteString(resp("HSET", "h", "field", "value"))
	}
	path := filepath.Join(b.TempDir(), "bench.aof")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(in.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rep, err := Check(path, nil); err != nil || !rep.Valid {
			b.Fatal(rep, err)
		}
	}
}
