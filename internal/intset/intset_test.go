package intset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// build adds vs in order to a new intset.
func build(vs ...int64) Intset {
	s := New()
	for _, v := range vs {
		s, _ = s.Add(v)
	}
	return s
}

// TestLayout checks the bytes against what Redis 7.0 holds for the same
// history (DUMP of SADD s 1 2 3, then SADD s 100000, then SADD s
// -10000000000): the header, the upgrades, the prepend of a negative value.
func TestLayout(t *testing.T) {
	s := build(3, 1, 2)
	want := []byte{2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0}
	if !bytes.Equal(s, want) {
		t.Fatalf("got % x, want % x", []byte(s), want)
	}
	s, _ = s.Add(100000)
	want = []byte{4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xa0, 0x86, 1, 0}
	if !bytes.Equal(s, want) {
		t.Fatalf("after upgrade to 32 bits: got % x, want % x", []byte(s), want)
	}
	s, _ = s.Add(-10000000000)
	if s.Encoding() != Enc64 || s.Len() != 5 || len(s) != HeaderSize+5*8 {
		t.Fatalf("after upgrade to 64 bits: % x", []byte(s))
	}
	got := []int64{}
	for i := range s.Len() {
		got = append(got, s.Get(i))
	}
	if !slices.Equal(got, []int64{-10000000000, 1, 2, 3, 100000}) {
		t.Fatalf("elements %v", got)
	}
	// Removing the wide values never narrows the width.
	s, _ = s.Remove(-10000000000)
	s, _ = s.Remove(100000)
	if s.Encoding() != Enc64 || s.Len() != 3 || len(s) != HeaderSize+3*8 {
		t.Fatalf("after removals: % x", []byte(s))
	}
}

func TestBoundaries(t *testing.T) {
	cases := []struct {
		v   int64
		enc int
	}{
		{0, Enc16}, {math.MaxInt16, Enc16}, {math.MinInt16, Enc16},
		{math.MaxInt16 + 1, Enc32}, {math.MinInt16 - 1, Enc32},
		{math.MaxInt32, Enc32}, {math.MinInt32, Enc32},
		{math.MaxInt32 + 1, Enc64}, {math.MinInt32 - 1, Enc64},
		{math.MaxInt64, Enc64}, {math.MinInt64, Enc64},
	}
	for _, c := range cases {
		s := build(5, c.v)
		if s.Encoding() != c.enc {
			t.Errorf("%d: width %d, want %d", c.v, s.Encoding(), c.enc)
		}
		if !s.Find(c.v) || !s.Find(5) {
			t.Errorf("%d: not found after add", c.v)
		}
		if _, added := s.Add(c.v); added {
			t.Errorf("%d: added twice", c.v)
		}
		// A narrow set does not contain a value that needs a wider width.
		if c.enc > Enc16 && New().Find(c.v) {
			t.Errorf("%d found in an empty set", c.v)
		}
	}
}

// TestModel runs random adds and removes against a map and checks the
// order, the contents and the width after each step.
func TestModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		s := New()
		model := map[int64]bool{}
		maxEnc := Enc16
		for step := 0; step < 300; step++ {
			var v int64
			switch r.IntN(4) {
			case 0:
				v = r.Int64N(100) - 50
			case 1:
				v = r.Int64N(1<<17) - 1<<16
			case 2:
				v = r.Int64N(1<<33) - 1<<32
			default:
				v = int64(r.Uint64())
			}
			var changed bool
			if r.IntN(3) == 0 {
				s, changed = s.Remove(v)
				if changed != model[v] {
					t.Fatalf("remove %d: %v, model %v", v, changed, model[v])
				}
				delete(model, v)
			} else {
				s, changed = s.Add(v)
				if changed == model[v] {
					t.Fatalf("add %d: %v, model %v", v, changed, model[v])
				}
				model[v] = true
				maxEnc = max(maxEnc, valueEncoding(v))
			}
			if s.Len() != len(model) || s.Encoding() != maxEnc || len(s) != HeaderSize+s.Len()*s.Encoding() {
				t.Fatalf("len %d (model %d), width %d (want %d), %d bytes", s.Len(), len(model), s.Encoding(), maxEnc, len(s))
			}
			if s.Len() > 0 {
				if err := Validate(s, true); err != nil {
					t.Fatal(err)
				}
				if !model[s.Random()] {
					t.Fatal("random element not in the set")
				}
			}
			if s.Find(v) != model[v] {
				t.Fatalf("find %d: %v", v, !model[v])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	le := func(enc, n uint32, elems ...int64) []byte {
		b := binary.LittleEndian.AppendUint32(nil, enc)
		b = binary.LittleEndian.AppendUint32(b, n)
		for _, e := range elems {
			switch enc {
			case 2:
				b = binary.LittleEndian.AppendUint16(b, uint16(e))
			case 4:
				b = binary.LittleEndian.AppendUint32(b, uint32(e))
			default:
				b = binary.LittleEndian.AppendUint64(b, uint64(e))
			}
		}
		return b
	}
	bad := map[string][]byte{
		"short header":   {2, 0, 0, 0, 1, 0},
		"width 3":        {3, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3},
		"width 0":        le(0, 0),
		"empty":          le(2, 0),
		"length too big": le(2, 3, 1, 2),
		"length small":   le(2, 1, 1, 2),
		"huge length":    le(8, math.MaxUint32, 1),
		"duplicate":      le(4, 3, 1, 2, 2),
		"descending":     le(8, 2, 5, -5),
	}
	for name, b := range bad {
		deep := Validate(b, true)
		if deep == nil || !errors.Is(deep, ErrCorrupt) {
			t.Errorf("%s: deep validation gave %v", name, deep)
		}
		shallow := Validate(b, false)
		if (shallow == nil) != (name == "duplicate" || name == "descending") {
			t.Errorf("%s: shallow validation gave %v", name, shallow)
		}
	}
	for _, b := range [][]byte{le(2, 1, -7), le(4, 2, -1, 70000), le(8, 2, math.MinInt64, math.MaxInt64)} {
		if err := Validate(b, true); err != nil {
			t.Errorf("% x: %v", b, err)
		}
	}
}

// FuzzValidate feeds arbitrary bytes to Validate; whatever it accepts must
// behave as an intset: ascending elements, each found, adds of present
// elements refused, removes and re-adds giving the same bytes back.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(build(1, 2, 3)))
	f.Add([]byte(build(-1, 100000)))
	f.Add([]byte(build(math.MinInt64, 0, math.MaxInt64)))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if Validate(b, true) != nil {
			return
		}
		s := Intset(slices.Clone(b))
		for i := range s.Len() {
			v := s.Get(i)
			if i > 0 && v <= s.Get(i-1) {
				t.Fatalf("accepted unordered element %d", i)
			}
			if !s.Find(v) {
				t.Fatalf("element %d (%d) not found", i, v)
			}
		}
		v := s.Get(s.Len() / 2)
		if _, added := s.Add(v); added {
			t.Fatal("present element added")
		}
		s, ok := s.Remove(v)
		if !ok || s.Find(v) {
			t.Fatal("remove failed")
		}
		if s, _ = s.Add(v); !bytes.Equal(s, b) {
			t.Fatalf("remove and add changed the bytes: % x, was % x", []byte(s), b)
		}
	})
}

// FuzzOps applies a sequence of adds and removes decoded from the input
// (one op byte, then an 8-byte value scaled by the op) and checks the set
// against a sorted model after each.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add(bytes.Repeat([]byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 3))
	f.Fuzz(func(t *testing.T, ops []byte) {
		s := New()
		var model []int64
		for len(ops) >= 9 {
			op, raw := ops[0], int64(binary.LittleEndian.Uint64(ops[1:9]))
			ops = ops[9:]
			v := raw
			switch op % 4 / 2 {
			case 0:
				v = int64(int16(raw)) // mostly narrow values
			}
			pos, present := slices.BinarySearch(model, v)
			var changed bool
			if op%2 == 0 {
				s, changed = s.Add(v)
				if !present {
					model = slices.Insert(model, pos, v)
				}
			} else {
				s, changed = s.Remove(v)
				if present {
					model = slices.Delete(model, pos, pos+1)
				}
			}
			if changed == (present == (op%2 == 0)) {
				t.Fatalf("op %d on %d: changed %v, present %v", op, v, changed, present)
			}
			if s.Len() != len(model) {
				t.Fatalf("len %d, model %d", s.Len(), len(model))
			}
			for i, m := range model {
				if s.Get(i) != m {
					t.Fatalf("element %d is %d, model %d", i, s.Get(i), m)
				}
			}
		}
	})
}

func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{16, 512} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = int64(i * 7919 % 100003)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := New()
			for i := 0; i < b.N; i++ {
				if i%n == 0 {
					s = s[:HeaderSize]
					s.setLen(0)
				}
				s, _ = s.Add(vals[i%n])
			}
		})
	}
}

func BenchmarkFind(b *testing.B) {
	for _, n := range []int{16, 512} {
		s := New()
		for i := range n {
			s, _ = s.Add(int64(i * 3))
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s.Find(int64(i % (3 * n)))
			}
		})
	}
}
