package librdb

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

func TestCRC64(t *testing.T) {
	// The check value from Redis crc64.c's self test.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64 = %x", got)
	}
	if a, b := CRC64(CRC64(0, []byte("1234")), []byte("56789")), CRC64(0, []byte("123456789")); a != b {
		t.Fatalf("incremental CRC64 %x != %x", a, b)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	inputs := [][]byte{
		bytes.Repeat([]byte("a"), 100000),
		bytes.Repeat([]byte("abcdefgh"), 1000),
		[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	}
	rnd := make([]byte, 5000)
	rng.Read(rnd)
	inputs = append(inputs, rnd)
	for i := 0; i < 50; i++ {
		b := make([]byte, rng.Intn(3000))
		for j := range b {
			b[j] = "abc "[rng.Intn(4)]
		}
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		c := LZFCompress(nil, in, len(in))
		if c == nil {
			if i == 3 {
				continue // random bytes do not compress
			}
			if len(in) > 100 {
				t.Errorf("input %d (%d bytes) did not compress", i, len(in))
			}
			continue
		}
		out, err := LZFDecompress(nil, c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("input %d: round trip failed: %v", i, err)
		}
	}
}

func TestLZFCorrupt(t *testing.T) {
	for _, c := range [][]byte{{0x05, 'a'}, {0x20, 0x05}, {0xe0}, {0x00, 'a', 0x20, 0x00}} {
		if _, err := LZFDecompress(nil, c, 10); err == nil {
			t.Errorf("%x: no error", c)
		}
	}
}

func TestListpackRoundTrip(t *testing.T) {
	var b ListpackBuilder
	vals := []string{"0", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32767", "40000",
		"-8388608", "8388607", "9000000", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "",
		"hello", string(bytes.Repeat([]byte("x"), 63)), string(bytes.Repeat([]byte("y"), 64)),
		string(bytes.Repeat([]byte("z"), 4095)), string(bytes.Repeat([]byte("w"), 4096)), string(bytes.Repeat([]byte("v"), 70000))}
	for _, v := range vals {
		b.AppendString([]byte(v))
	}
	lp := b.AppendTo(nil)
	var got []string
	n, err := ListpackEach(lp, func(e Entry) error {
		got = append(got, string(e.Append(nil)))
		return nil
	})
	if err != nil || n != len(vals) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	for i := range vals {
		if got[i] != vals[i] {
			t.Errorf("entry %d: got %.20q want %.20q", i, got[i], vals[i])
		}
	}
	// Corruptions: bad total, truncated, bad backlen.
	for _, bad := range [][]byte{lp[:len(lp)-1], append(append([]byte{}, lp[:7]...), 0xff), {7, 0, 0, 0, 1, 0, 0xff}} {
		if _, err := ListpackEach(bad, nil); err == nil {
			t.Errorf("%x...: no error", bad[:min(8, len(bad))])
		}
	}
}

func TestIntsetRoundTrip(t *testing.T) {
	for _, vs := range [][]int64{{1, 2, 3}, {-40000, 5, 70000}, {-1 << 40, 0, 1 << 62}} {
		is := AppendIntset(nil, vs)
		var got []int64
		if _, err := IntsetEach(is, func(v int64) error { got = append(got, v); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(vs) {
			t.Fatalf("got %v want %v", got, vs)
		}
		for i := range vs {
			if got[i] != vs[i] {
				t.Errorf("got %v want %v", got, vs)
			}
		}
	}
	if _, err := IntsetEach(AppendIntset(nil, []int64{3, 2}), nil); err == nil {
		t.Error("unsorted intset accepted")
	}
}

// fuzzSeeds returns small real RDB files as seeds.
func fuzzSeeds(f *testing.F) [][]byte {
	dir := filepath.Join(sharedTestdata(f), "public")
	var seeds [][]byte
	for _, name := range []string{"redis/encodings.rdb", "redis/hash-zipmap.rdb", "redis/list-quicklist.rdb", "redis-rdb-tools/ziplist_with_integers.rdb",
		"HDT3213-rdb/stream_listpacks_2.rdb", "HDT3213-rdb/hash_with_hfe.rdb", "HDT3213-rdb/valkey_hash2_with_hfe.rdb", "redis-rdb-tools/intset_64.rdb",
		"dragonfly/redis7_small.rdb", "redis-replicator/function.rdb", "redis-replicator/dump-module-2.rdb"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzDecoder: any input decodes or fails with an *Error; never a panic,
// hang or huge allocation.
func FuzzDecoder(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		d.VerifyChecksum = false
		if err := d.Decode(&canonVisitor{}); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
		}
	})
}

func FuzzListpack(f *testing.F) {
	var b ListpackBuilder
	for _, s := range []string{"1", "-5000", "hello", "70000", string(bytes.Repeat([]byte("q"), 100))} {
		b.AppendString([]byte(s))
	}
	f.Add(b.AppendTo(nil))
	f.Fuzz(func(t *testing.T, data []byte) { ListpackEach(data, nil) })
}

func FuzzZiplist(f *testing.F) {
	f.Add([]byte{0x0b, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte("\x1a\x00\x00\x00\x15\x00\x00\x00\x02\x00\x00\x05hello\x07\xfe\x7f\x03\xf1\x02\xc0\x00\x01\xff"))
	f.Fuzz(func(t *testing.T, data []byte) { ZiplistEach(data, nil) })
}

func FuzzIntset(f *testing.F) {
	f.Add(AppendIntset(nil, []int64{-1, 5, 1 << 20}))
	f.Fuzz(func(t *testing.T, data []byte) { IntsetEach(data, nil) })
}

func FuzzZipmap(f *testing.F) {
	f.Add([]byte("\x02\x01a\x01\x00b\x02cc\x02\x01dd\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) { ZipmapEach(data, nil) })
}

func FuzzLZF(f *testing.F) {
	f.Add(LZFCompress(nil, bytes.Repeat([]byte("abcabc"), 50), 300), 300)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > 1<<20 {
			return
		}
		LZFDecompress(nil, data, n)
	})
}

// FuzzLZFCompress: any input and room give either nil (does not fit) or
// output within the room that decompresses back to the input; never a
// panic or a write past the room.
func FuzzLZFCompress(f *testing.F) {
	f.Add(bytes.Repeat([]byte("abcabc"), 50), 296)
	f.Add([]byte("baaabaaaabaaababaabaabbbb"), 22)
	f.Add(bytes.Repeat([]byte("a"), 300), 5)
	f.Fuzz(func(t *testing.T, in []byte, room int) {
		if room < 0 || room > 1<<20 {
			return
		}
		out := LZFCompress(nil, in, room)
		if out == nil {
			return
		}
		if len(out) > room {
			t.Fatalf("%d bytes of output for %d bytes of room", len(out), room)
		}
		back, err := LZFDecompress(nil, out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip of %q: %q, %v", in, back, err)
		}
	})
}

// TestRest: after Decode, Rest returns exactly the bytes that follow the
// RDB data (the AOF tail of a file with an RDB preamble), also through an
// lz4 frame.
func TestRest(t *testing.T) {
	rdb, err := os.ReadFile(filepath.Join(sharedTestdata(t), "redis-7.0", "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	tail := "*1\r\n$4\r\nPING\r\n"
	d := NewDecoder(bytes.NewReader(append(bytes.Clone(rdb), tail...)))
	if err := d.Decode(NopVisitor{}); err != nil {
		t.Fatal(err)
	}
	if d.Offset() != int64(len(rdb)) {
		t.Fatalf("offset %d after decoding, file has %d bytes", d.Offset(), len(rdb))
	}
	rest, _ := io.ReadAll(d.Rest())
	if string(rest) != tail {
		t.Fatalf("rest %q, want %q", rest, tail)
	}
	var z bytes.Buffer
	zw := lz4.NewWriter(&z)
	zw.Write(rdb)
	zw.Close()
	if err := NewDecoder(&z).Decode(NopVisitor{}); err != nil {
		t.Fatalf("lz4 frame: %v", err)
	}
}

// TestChecksum: a flipped byte is a checksum error naming the offset.
func TestChecksum(t *testing.T) {
	rdb, err := os.ReadFile(filepath.Join(sharedTestdata(t), "redis-7.0", "dump-lru.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(rdb)
	bad[len(bad)-1] ^= 1
	err = NewDecoder(bytes.NewReader(bad)).Decode(NopVisitor{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v, want a checksum *Error", err)
	}
}

// FuzzEncoderRoundTrip: whatever decodes must re-encode (RDB 10, or 12
// for field expiry) and decode back to the same canonical content.
func FuzzEncoderRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first := &canonVisitor{}
		d := NewDecoder(bytes.NewReader(data))
		d.VerifyChecksum = false
		if d.Decode(first) != nil {
			return
		}
		for _, k := range first.keys {
			if k.Module != nil || hasDuplicates(k) {
				return // modules cannot be re-encoded; duplicates are removed
			}
		}
		var out bytes.Buffer
		enc, _ := NewEncoder(&out, 12)
		enc.WriteHeader()
		v := &reencodeVisitor{enc: enc, db: -1}
		if err := NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
			if d.Version() >= 5 {
				return // a bad checksum, which the first pass ignored
			}
			t.Fatalf("re-encoding: %v", err)
		}
		enc.Close()
		second := &canonVisitor{}
		if err := NewDecoder(&out).Decode(second); err != nil {
			t.Fatalf("decoding our output: %v", err)
		}
		if len(first.keys) != len(second.keys) {
			t.Fatalf("%d keys, then %d", len(first.keys), len(second.keys))
		}
		for i := range first.keys {
			a, b := first.keys[i], second.keys[i]
			if a.key != b.key || a.canon() != b.canon() || a.expire != b.expire {
				t.Fatalf("key %q: %.200s != %.200s", a.key, a.canon(), b.canon())
			}
		}
	})
}

// hasDuplicates reports a set member, hash field or zset member that
// occurs twice (corrupt input that only Redis's in-memory load catches).
func hasDuplicates(k *canonKey) bool {
	seen := map[string]bool{}
	check := func(b []byte) bool {
		if seen[string(b)] {
			return true
		}
		seen[string(b)] = true
		return false
	}
	switch k.Kind {
	case KindSet:
		for _, e := range k.Elems {
			if check(e) {
				return true
			}
		}
	case KindHash:
		for _, f := range k.Fields {
			if check(f.Field) {
				return true
			}
		}
	case KindZSet:
		for _, z := range k.Members {
			if check(z.Member) {
				return true
			}
		}
	}
	return false
}

func TestZiplist(t *testing.T) {
	// "a", 5 (4-bit immediate), 300 (int16), -7 (int8), written by hand
	// after ziplist.c's layout.
	zl, _ := hex.DecodeString("1700000013000000040000016103f602c02c0104fef9ff")
	var got []string
	n, err := ZiplistEach(zl, func(e Entry) error {
		got = append(got, string(e.Append(nil)))
		return nil
	})
	if err != nil || n != 4 || strings.Join(got, ",") != "a,5,300,-7" {
		t.Fatalf("n=%d err=%v got %q", n, err, got)
	}
	for name, mutate := range map[string]func([]byte){
		"prevlen": func(b []byte) { b[13] = 9 },
		"tail":    func(b []byte) { b[4] = 12 },
		"count":   func(b []byte) { b[8] = 5 },
		"size":    func(b []byte) { b[0] = 0x16 },
	} {
		bad := bytes.Clone(zl)
		mutate(bad)
		if _, err := ZiplistEach(bad, nil); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}

func TestZipmap(t *testing.T) {
	// f -> vv (with one free byte), g2 -> "" (zipmap.c layout).
	zm, _ := hex.DecodeString("02016602017676580267320000ff")
	var got []string
	n, err := ZipmapEach(zm, func(f, v []byte) error {
		got = append(got, string(f)+"="+string(v))
		return nil
	})
	if err != nil || n != 2 || strings.Join(got, ",") != "f=vv,g2=" {
		t.Fatalf("n=%d err=%v got %q", n, err, got)
	}
	bad := bytes.Clone(zm)
	bad[0] = 0xff // not a count, not "unknown" (254)
	if _, err := ZipmapEach(bad, nil); err == nil {
		t.Error("count byte 0xff accepted")
	}
	bad[0] = 0xfe
	if _, err := ZipmapEach(bad, nil); err != nil {
		t.Errorf("count 254 (unknown): %v", err)
	}
}

// TestLZFCompressLiblzf checks LZFCompress's output lengths against Debian's liblzf 3.6
// lzf_compress (values taken from the library itself): the output length
// and the smallest output buffer it accepts.
func TestLZFCompressLiblzf(t *testing.T) {
	seq := make([]byte, 40)
	for i := range seq {
		seq[i] = byte(i)
	}
	for _, tc := range []struct {
		in            []byte
		length, least int
	}{
		{[]byte("baaabaaaabaaababaabaabbbb"), 18, 22},
		{[]byte("babbbbbabaaabbaaaababbabbbbbaa"), 23, 27},
		{bytes.Repeat([]byte("a"), 100), 9, 10},
		{bytes.Repeat([]byte("abcdefgh"), 10), 16, 17},
		{seq, 42, 43},
	} {
		if got := lenLZF(tc.in, 1<<20); got != tc.length {
			t.Errorf("%q: length %d, want %d", tc.in, got, tc.length)
		}
		if got := lenLZF(tc.in, tc.least); got != tc.length {
			t.Errorf("%q with %d bytes of room: %d, want %d", tc.in, tc.least, got, tc.length)
		}
		if got := lenLZF(tc.in, tc.least-1); got != 0 {
			t.Errorf("%q with %d bytes of room: %d, want 0 (does not fit)", tc.in, tc.least-1, got)
		}
	}
}

func lenLZF(in []byte, outLen int) int { return len(LZFCompress(nil, in, outLen)) }
