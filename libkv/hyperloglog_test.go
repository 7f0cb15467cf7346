package libkv

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing"
)

// hllWith returns a new HyperLogLog object after adding elems.
func hllWith(t testing.TB, maxBytes int64, elems ...string) *Object {
	t.Helper()
	o := newHLLObject()
	for _, e := range elems {
		if hllAdd(o, []byte(e), maxBytes) < 0 {
			t.Fatalf("adding %q: corrupt", e)
		}
	}
	return o
}

// TestHLLRedisBytes checks the sparse bytes and the string's allocation
// against those redis-server 7.0.15 gives for PFADD h a b c (GET h and
// DEBUG SDSLEN h).
func TestHLLRedisBytes(t *testing.T) {
	o := hllWith(t, 3000, "a", "b", "c")
	hllInvalidateCache(o.str())
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" +
		"\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a")
	if !bytes.Equal(o.str(), want) {
		t.Fatalf("bytes:\n got %q\nwant %q", o.str(), want)
	}
	if o.n != 27 || o.c != 44 {
		t.Errorf("sds len %d alloc %d, want 27 and 44", o.n, o.c)
	}
	if got := hllDecode(o.str()); got != "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603" {
		t.Errorf("decode: %s", got)
	}
	if card, ok := hllCount(o.str()); !ok || card != 3 {
		t.Errorf("count %d %v, want 3", card, ok)
	}
}

// TestHLLSparseDenseAgree adds the same elements to a sparse and a dense
// HyperLogLog and checks that registers and counts agree and that the
// estimate is within 6 standard errors, as PFSELFTEST does.
func TestHLLSparseDenseAgree(t *testing.T) {
	sparse := newHLLObject()
	dense := newHLLObject()
	if !hllSparseToDense(dense) {
		t.Fatal("empty sparse HLL did not convert")
	}
	checkpoint := 1
	for i := 1; i <= 200000; i++ {
		e := []byte("element:" + strconv.Itoa(i))
		hllAdd(sparse, e, 3000)
		hllAdd(dense, e, 3000)
		if i != checkpoint {
			continue
		}
		checkpoint *= 4
		a, okA := hllCount(sparse.str())
		b, okB := hllCount(dense.str())
		if !okA || !okB || a != b {
			t.Fatalf("at %d: sparse %d (%v), dense %d (%v)", i, a, okA, b, okB)
		}
		if maxErr := math.Ceil(1.04 / math.Sqrt(hllRegisters) * 6 * float64(i)); math.Abs(float64(a)-float64(i)) > max(maxErr, 1) {
			t.Errorf("at %d: estimate %d", i, a)
		}
		var m1, m2 [hllRegisters]uint8
		if !hllMerge(m1[:], sparse.str()) || !hllMerge(m2[:], dense.str()) || m1 != m2 {
			t.Fatalf("at %d: registers differ", i)
		}
	}
	if sparse.str()[4] != hllDense {
		t.Error("200000 elements did not promote the sparse HLL")
	}
}

// TestHLLPromotion checks that hll-sparse-max-bytes bounds the sparse
// representation.
func TestHLLPromotion(t *testing.T) {
	o := newHLLObject()
	for i := 0; o.str()[4] == hllSparse; i++ {
		if len(o.str()) > 100 {
			t.Fatalf("sparse HLL of %d bytes with a 100-byte limit", len(o.str()))
		}
		hllAdd(o, []byte(strconv.Itoa(i)), 100)
	}
	if len(o.str()) != hllDenseSize {
		t.Fatalf("dense HLL of %d bytes", len(o.str()))
	}
}

// TestHLLEstimatorEdges checks the estimator at the empty and full ends.
func TestHLLEstimatorEdges(t *testing.T) {
	var histo [64]int
	histo[0] = hllRegisters
	if got := hllEstimate(&histo); got != 0 {
		t.Errorf("empty: %d", got)
	}
	histo[0], histo[hllQ+1] = 0, hllRegisters
	if got := hllEstimate(&histo); got == 0 {
		t.Errorf("saturated: %d", got)
	}
}

// FuzzHLL feeds arbitrary register codes, sparse and dense, to every
// function that reads or changes a HyperLogLog: none may panic, and a code
// that converts to dense must count the same both ways.
func FuzzHLL(f *testing.F) {
	f.Add(byte(1), []byte("\x7f\xff"), "a")
	f.Add(byte(1), []byte("\x7f\xff\x80"), "b")
	f.Add(byte(1), []byte("\x7f"), "c")
	f.Add(byte(1), []byte("\x18\x05\xa6\x5f\x7f\xc3\xf9\xd7\xab\x4f\x3d\xd8\x4f"), "x")
	f.Add(byte(1), []byte(""), "")
	f.Add(byte(0), bytes.Repeat([]byte{0x41}, hllDenseSize-hllHdrSize), "d")
	f.Fuzz(func(t *testing.T, enc byte, code []byte, ele string) {
		b := make([]byte, hllHdrSize, hllHdrSize+len(code))
		copy(b, "HYLL")
		b[4] = enc
		b = append(b, code...)
		o := newSdsObject(b, sdsReqType(int64(len(b))), int64(len(b)))
		if !isHLL(o) {
			return
		}
		card, ok := hllCount(o.str())
		var max [hllRegisters]uint8
		merged := hllMerge(max[:], o.str())
		if o.str()[4] == hllSparse {
			hllDecode(o.str())
			d := newSdsObject(o.str(), o.sds, int64(o.n))
			if hllSparseToDense(d) {
				if !merged {
					t.Fatal("converted to dense but not mergeable")
				}
				if dc, _ := hllCount(d.str()); ok && dc != card {
					t.Fatalf("sparse count %d, dense %d", card, dc)
				}
			}
		}
		for _, e := range []string{ele, ele + "1", ele + "2"} {
			if hllAdd(o, []byte(e), 3000) < 0 {
				return
			}
			if !isHLL(o) {
				t.Fatalf("no longer an HLL after adding %q: %q", e, o.str())
			}
		}
		// A code ending in half an XZERO is valid only through the sds
		// terminator Redis reads after it, which a split overwrites (see
		// sparseXZeroLen): it may turn invalid.
		if merged && !endsInHalfXZero(b) {
			if _, ok := hllCount(o.str()); !ok {
				t.Fatalf("valid code became invalid: %q", o.str())
			}
		}
		binary.LittleEndian.Uint64(o.str()[8:16])
	})
}

// endsInHalfXZero reports whether a sparse HLL's code ends with the first
// byte of an XZERO opcode.
func endsInHalfXZero(b []byte) bool {
	p := hllHdrSize
	for p < len(b) {
		if sparseIsXZero(b[p]) {
			if p+1 == len(b) {
				return true
			}
			p += 2
		} else {
			p++
		}
	}
	return false
}

func BenchmarkPFAddDense(b *testing.B) {
	c := testClient(b)
	args := [][]byte{[]byte("pfadd"), []byte("h"), nil}
	for i := 0; i < 20000; i++ {
		args[2] = []byte(strconv.Itoa(i))
		cmdPFAdd(c, args)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.w.Reset()
		args[2] = strconv.AppendInt(args[2][:0], int64(i), 10)
		cmdPFAdd(c, args)
	}
}

func BenchmarkPFCountUnion(b *testing.B) {
	c := testClient(b)
	for _, k := range []string{"h1", "h2", "h3"} {
		args := [][]byte{[]byte("pfadd"), []byte(k), nil}
		for i := 0; i < 20000; i++ {
			args[2] = []byte(k + strconv.Itoa(i))
			cmdPFAdd(c, args)
		}
	}
	args := [][]byte{[]byte("pfcount"), []byte("h1"), []byte("h2"), []byte("h3")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.w.Reset()
		cmdPFCount(c, args)
	}
}

// TestPFSelfTest runs PFSELFTEST: the register accessors and the
// estimator's error bounds from 1 to 10^7 elements, sparse and dense.
func TestPFSelfTest(t *testing.T) {
	c := testClient(t)
	cmdPFSelfTest(c, [][]byte{[]byte("pfselftest")})
	if got := string(c.w.Bytes()); got != "+OK\r\n" {
		t.Fatalf("PFSELFTEST: %q", got)
	}
}
