package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/librdb"
)

// FuzzCheckDump runs what kv-rdb check and every dump format do on mutated
// input: they must return (an error is fine) without panicking or hanging.
func FuzzCheckDump(f *testing.F) {
	dir := filepath.Join(testutil.RepoRoot(f), "..", "shared", "testdata", "rdb", "public")
	for _, name := range []string{"redis/encodings.rdb", "redis-replicator/dumpV11.rdb", "HDT3213-rdb/hash_with_hfe.rdb",
		"redis-rdb-tools/redis_50_with_streams.rdb", "redis-replicator/function.rdb", "redis/corrupt_empty_keys.rdb"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatalf("seed %s: %v", name, err)
		}
		f.Add(b)
	}
	warnOut = io.Discard
	f.Fuzz(func(t *testing.T, data []byte) {
		flt := &filter{now: 0, maxSize: 1 << 62}
		w := bufio.NewWriter(io.Discard)
		visitors := []librdb.Visitor{
			&checkVisitor{},
			&jsonWriter{w: w, esc: escapePrint},
			newRESPWriter(w, false, false),
			newRESPWriter(w, true, true),
			&keysWriter{w: w, vals: true},
			&memoryVisitor{emit: func(*librdb.Key, estimate) error { return nil }},
		}
		for _, v := range visitors {
			d := librdb.NewDecoder(bytes.NewReader(data))
			d.KeepModules = true
			if cv, ok := v.(*checkVisitor); ok {
				cv.dec = d
			}
			d.Decode(newFilterVisitor(flt, v, &progress{in: &input{count: &countingReader{}}}))
		}
	})
}
