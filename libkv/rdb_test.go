package libkv

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzRestorePayload feeds arbitrary payloads to RESTORE's decoding: an
// error or a value, never a panic; a decoded string dumps and restores to
// itself.
func FuzzRestorePayload(f *testing.F) {
	for _, v := range []string{"", "hello", "12345", "-1", "123456789012", strings.Repeat("ab", 40), "\x00\xff"} {
		p, err := dumpPayload(newStringObject([]byte(v)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add([]byte("\x12\x01\x02\r\r\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff\n\x00h\xeb\n\x89\x13A\xbb\xb1")) // a list (Redis 7.0)
	f.Add([]byte("\x00\x05hello\x00\n\x00\x00\x00\x00\x00\x00\x00\x00"))
	s := testServer(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		if !verifyPayload(p, true) {
			return
		}
		o, err := s.restoreValue(p)
		if err != nil || o == nil || o.typ != TypeString {
			return
		}
		q, err := dumpPayload(o)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := s.restoreValue(q)
		if err != nil || !bytes.Equal(o2.str(), o.str()) {
			t.Fatalf("round trip of %q: %v", o.str(), err)
		}
	})
}

// TestRestoreUnsupportedType checks that a payload of a type without RDB
// hooks is refused with the reason, and an empty one yields no value.
func TestRestoreUnsupportedType(t *testing.T) {
	s := testServer(t)
	list := []byte("\x12\x01\x02\r\r\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff\n\x00h\xeb\n\x89\x13A\xbb\xb1")
	if !verifyPayload(list, false) {
		t.Fatal("Redis's payload does not verify")
	}
	if valueTypes[TypeList] == nil || valueTypes[TypeList].rdbLoad == nil {
		_, err := s.restoreValue(list)
		if err == nil || !strings.Contains(err.Error(), "type list not supported yet") {
			t.Errorf("restore of a list: %v", err)
		}
	}
}

// BenchmarkLoad loads a file of 200,000 string keys (16-byte values under
// redis-benchmark's key names) into an empty keyspace.
func BenchmarkLoad(b *testing.B) {
	src := testServer(b)
	for i := 0; i < 200000; i++ {
		src.setString(src.dbs[0], []byte(fmt.Sprintf("key:%012d", i)), []byte("xxxxxxxxxxxxxxxx"), false)
	}
	if err := src.saveSync(); err != nil {
		b.Fatal(err)
	}
	path := src.rdbPath()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := testServer(b)
		s.mu.Lock()
		if err := s.loadFile(path, false, false); err != nil {
			b.Fatal(err)
		}
		s.mu.Unlock()
	}
}
