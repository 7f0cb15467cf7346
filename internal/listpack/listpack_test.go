package listpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/librdb"
)

// build appends every element to a new listpack.
func build(elems ...string) []byte {
	lp := New()
	for _, e := range elems {
		lp = Append(lp, []byte(e))
	}
	return lp
}

// elements walks lp forwards and returns its elements as strings.
func elements(lp []byte) []string {
	var out []string
	for _, e := range All(lp) {
		out = append(out, string(e))
	}
	return out
}

func TestNew(t *testing.T) {
	lp := New()
	if got := hex.EncodeToString(lp); got != "070000000000ff" {
		t.Fatalf("New() = %s", got)
	}
	if Len(lp) != 0 || Bytes(lp) != 7 || First(lp) != -1 || Last(lp) != -1 || Seek(lp, 0) != -1 || Seek(lp, -1) != -1 {
		t.Fatal("empty listpack is not empty")
	}
	if err := Validate(lp, true, nil); err != nil {
		t.Fatal(err)
	}
}

// TestEncodings checks the entry bytes of each encoding, worked out from
// the format in listpack.c (encoding, data, backlen).
func TestEncodings(t *testing.T) {
	for _, tc := range []struct {
		ele  string
		want string // hex of the entry including backlen
	}{
		{"0", "0001"},
		{"127", "7f01"},
		{"128", "c08002"},
		{"-1", "dfff02"},
		{"4095", "cfff02"},
		{"-4096", "d00002"},
		{"4096", "f1001003"},
		{"-4097", "f1ffef03"},
		{"32767", "f1ff7f03"},
		{"-32768", "f1008003"},
		{"32768", "f200800004"},
		{"8388607", "f2ffff7f04"},
		{"-8388608", "f200008004"},
		{"8388608", "f30000800005"},
		{"2147483647", "f3ffffff7f05"},
		{"-2147483648", "f30000008005"},
		{"2147483648", "f4000000800000000009"},
		{"9223372036854775807", "f4ffffffffffffff7f09"},
		{"-9223372036854775808", "f4000000000000008009"},
		{"", "8001"},
		{"a", "816102"},
		{"-0", "822d3003"},
		{"01", "82303103"},
		{"+1", "822b3103"},
		{" 1", "82203103"},
		{"9223372036854775808", "93" + hex.EncodeToString([]byte("9223372036854775808")) + "14"},
	} {
		lp := build(tc.ele)
		got := hex.EncodeToString(lp[headerSize : len(lp)-1])
		if got != tc.want {
			t.Errorf("%q: entry %s, want %s", tc.ele, got, tc.want)
		}
		if n := EntrySizeFor([]byte(tc.ele)); n != len(tc.want)/2 {
			t.Errorf("%q: EntrySizeFor = %d, want %d", tc.ele, n, len(tc.want)/2)
		}
		var buf [20]byte
		if s := GetBytes(lp, First(lp), &buf); string(s) != tc.ele {
			t.Errorf("%q: GetBytes = %q", tc.ele, s)
		}
	}
	// String length encodings and multi-byte backlens.
	for _, n := range []int{63, 64, 127, 128, 4095, 4096, 16382, 16383, 20000} {
		s := strings.Repeat("x", n)
		lp := build(s)
		var hdr int
		switch {
		case n < 64:
			hdr = 1
		case n < 4096:
			hdr = 2
		default:
			hdr = 5
		}
		size := hdr + n
		want := size + backlenSize(size)
		if got := len(lp) - headerSize - 1; got != want {
			t.Errorf("string of %d: entry of %d bytes, want %d", n, got, want)
		}
		if Last(lp) != headerSize || Prev(lp, len(lp)-1) != headerSize {
			t.Errorf("string of %d: Last = %d", n, Last(lp))
		}
		if err := Validate(lp, true, nil); err != nil {
			t.Errorf("string of %d: %v", n, err)
		}
	}
}

func TestBacklen(t *testing.T) {
	for _, l := range []int{0, 1, 127, 128, 16382, 16383, 2097150, 2097151, 268435454, 268435455, math.MaxUint32} {
		var b [5]byte
		n := putBacklen(b[:], l)
		if n != backlenSize(l) {
			t.Fatalf("%d: %d bytes, backlenSize %d", l, n, backlenSize(l))
		}
		got, ok := decodeBacklen(b[:n], n-1)
		if !ok || got != l {
			t.Errorf("%d: decoded %d %v", l, got, ok)
		}
	}
}

func TestGetInt(t *testing.T) {
	for _, v := range []int64{0, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768, -32769,
		8388607, -8388608, 8388608, -8388609, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1, math.MinInt32 - 1,
		math.MaxInt64, math.MinInt64} {
		lp := AppendInt(New(), v)
		s, got, isInt := Get(lp, First(lp), nil)
		if !isInt || got != v || s != nil {
			t.Errorf("%d: Get = %q %d %v", v, s, got, isInt)
		}
		var buf [20]byte
		s, _, _ = Get(lp, First(lp), &buf)
		if string(s) != strconv.FormatInt(v, 10) {
			t.Errorf("%d: Get with buf = %q", v, s)
		}
		if !bytes.Equal(lp, build(strconv.FormatInt(v, 10))) {
			t.Errorf("%d: AppendInt and Append of its string differ", v)
		}
	}
}

func TestNavigation(t *testing.T) {
	elems := []string{"hello", "foo", "quux", "1024", strings.Repeat("z", 200), "-5"}
	lp := build(elems...)
	if Len(lp) != len(elems) {
		t.Fatalf("Len = %d", Len(lp))
	}
	var back []string
	var buf [20]byte
	for p := Last(lp); p >= 0; p = Prev(lp, p) {
		back = append(back, string(GetBytes(lp, p, &buf)))
	}
	for i := range elems {
		if back[len(elems)-1-i] != elems[i] {
			t.Fatalf("backwards walk %q", back)
		}
	}
	for i := -len(elems) - 2; i < len(elems)+2; i++ {
		p := Seek(lp, i)
		j := i
		if j < 0 {
			j += len(elems)
		}
		if j < 0 || j >= len(elems) {
			if p != -1 {
				t.Errorf("Seek(%d) = %d, want -1", i, p)
			}
			continue
		}
		if got := string(GetBytes(lp, p, &buf)); got != elems[j] {
			t.Errorf("Seek(%d) = %q, want %q", i, got, elems[j])
		}
	}
	if p := Find(lp, First(lp), []byte("1024"), 0); p != Seek(lp, 3) {
		t.Errorf("Find 1024 = %d", p)
	}
	if p := Find(lp, First(lp), []byte("foo"), 1); p != -1 {
		t.Errorf("Find foo with skip 1 = %d, want -1 (odd index)", p)
	}
	if p := Find(lp, Seek(lp, 1), []byte("-5"), 1); p != Seek(lp, 5) {
		t.Errorf("Find -5 from 1 with skip 1 = %d", p)
	}
	if p := Find(lp, First(lp), []byte("01024"), 0); p != -1 {
		t.Errorf("Find 01024 = %d, want -1", p)
	}
	if !Compare(lp, Seek(lp, 3), []byte("1024")) || Compare(lp, Seek(lp, 3), []byte("1024 ")) {
		t.Error("Compare of an integer entry")
	}
}

func TestUnknownCount(t *testing.T) {
	lp := New()
	for i := 0; i < 65536; i++ {
		lp = AppendInt(lp, int64(i%100))
	}
	if headerCount(lp) != unknownCount {
		t.Fatalf("header count %d after 65536 appends", headerCount(lp))
	}
	if p := Seek(lp, -1); p < 0 {
		t.Fatal("Seek(-1) on an unknown count")
	} else if _, v, _ := Get(lp, p, nil); v != 35 {
		t.Fatalf("last = %d", v)
	}
	if Len(lp) != 65536 || headerCount(lp) != unknownCount {
		t.Fatal("Len with the unknown marker")
	}
	lp, _ = Delete(lp, First(lp))
	lp, _ = Delete(lp, First(lp))
	if headerCount(lp) != unknownCount {
		t.Fatal("Delete changed an unknown count")
	}
	if err := Validate(lp, true, nil); err != nil {
		t.Fatal(err)
	}
	if Len(lp) != 65534 || headerCount(lp) != 65534 {
		t.Fatalf("Len %d did not write the count back (%d)", Len(lp), headerCount(lp))
	}
	lp = DeleteRange(lp, 10, -1)
	if Len(lp) != 10 || Bytes(lp) != len(lp) {
		t.Fatalf("DeleteRange to the end: %d entries, %d bytes", Len(lp), Bytes(lp))
	}
	if cap(lp) > 2*len(lp)+64 {
		t.Errorf("cap %d for %d bytes after shrinking", cap(lp), len(lp))
	}
}

func TestMerge(t *testing.T) {
	a := build("a", "1", "bb")
	b := build("300", strings.Repeat("c", 100))
	if got, want := Merge(a, b), build("a", "1", "bb", "300", strings.Repeat("c", 100)); !bytes.Equal(got, want) {
		t.Fatalf("Merge = %x, want %x", got, want)
	}
}

// TestModel applies random operations to a listpack and to a []string
// model and compares them after each step.
func TestModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pool := []string{"", "0", "-1", "127", "128", "4095", "-4097", "65536", "-8388609", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "01", "x", "hello world",
		strings.Repeat("y", 63), strings.Repeat("y", 64), strings.Repeat("q", 200), strings.Repeat("w", 5000)}
	randElem := func() string {
		if r.IntN(4) == 0 {
			b := make([]byte, r.IntN(80))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}
		return pool[r.IntN(len(pool))]
	}
	var buf [20]byte
	for round := 0; round < 20; round++ {
		lp := New()
		var model []string
		for step := 0; step < 300; step++ {
			n := len(model)
			idx := 0
			if n > 0 {
				idx = r.IntN(n)
			}
			switch op := r.IntN(10); {
			case op == 0:
				e := randElem()
				lp = Append(lp, []byte(e))
				model = append(model, e)
			case op == 1:
				e := randElem()
				lp = Prepend(lp, []byte(e))
				model = append([]string{e}, model...)
			case op == 2 && n > 0:
				e := randElem()
				var np int
				lp, np = Insert(lp, []byte(e), Seek(lp, idx), Before)
				if np != Seek(lp, idx) {
					t.Fatalf("Insert Before returned %d", np)
				}
				model = append(model[:idx], append([]string{e}, model[idx:]...)...)
			case op == 3 && n > 0:
				v := r.Int64() >> r.IntN(64)
				var np int
				lp, np = InsertInt(lp, v, Seek(lp, idx), After)
				if np != Seek(lp, idx+1) {
					t.Fatalf("Insert After returned %d", np)
				}
				model = append(model[:idx+1], append([]string{strconv.FormatInt(v, 10)}, model[idx+1:]...)...)
			case op == 4 && n > 0:
				e := randElem()
				lp, _ = Replace(lp, Seek(lp, idx-n), []byte(e))
				model[idx] = e
			case op == 5 && n > 0:
				var next int
				lp, next = Delete(lp, Seek(lp, idx))
				model = append(model[:idx], model[idx+1:]...)
				if want := Seek(lp, idx); next != want {
					t.Fatalf("Delete returned next %d, want %d", next, want)
				}
			case op == 6 && n > 0:
				cnt := r.IntN(4)
				lp = DeleteRange(lp, idx-n*r.IntN(2), cnt)
				model = append(model[:idx], model[min(idx+cnt, n):]...)
			case op == 7 && n > 0:
				cnt := r.IntN(4)
				lp = DeleteRangeWithEntry(lp, Seek(lp, idx), cnt)
				model = append(model[:idx], model[min(idx+cnt, n):]...)
			case op == 8 && n > 0:
				e := model[r.IntN(n)]
				want := -1
				for i, m := range model {
					if m == e {
						want = i
						break
					}
				}
				if p := Find(lp, First(lp), []byte(e), 0); p != Seek(lp, want) {
					t.Fatalf("Find(%q) = %d, want index %d", e, p, want)
				}
			case op == 9 && n > 0:
				v := r.Int64() >> r.IntN(64)
				lp, _ = ReplaceInt(lp, Seek(lp, 0), v)
				model[0] = strconv.FormatInt(v, 10)
			}
			if err := Validate(lp, true, nil); err != nil {
				t.Fatalf("round %d step %d: %v", round, step, err)
			}
			if Len(lp) != len(model) {
				t.Fatalf("round %d step %d: Len %d, model %d", round, step, Len(lp), len(model))
			}
			got := elements(lp)
			for i := range model {
				if got[i] != model[i] {
					t.Fatalf("round %d step %d: element %d = %q, model %q", round, step, i, got[i], model[i])
				}
			}
			if want := build(model...); !bytes.Equal(lp, want) {
				t.Fatalf("round %d step %d: bytes differ from a fresh build", round, step)
			}
			if n := len(model); n > 0 {
				if s := GetBytes(lp, Last(lp), &buf); string(s) != model[n-1] {
					t.Fatalf("Last = %q", s)
				}
			}
		}
	}
}

// TestLibrdbAgrees decodes listpacks with librdb's read-only decoder and
// checks that both see the same entries, and that librdb's builder writes
// the same bytes.
func TestLibrdbAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 50; round++ {
		var elems []string
		var b librdb.ListpackBuilder
		for i := r.IntN(40); i > 0; i-- {
			var e string
			switch r.IntN(3) {
			case 0:
				e = strconv.FormatInt(r.Int64()>>r.IntN(64)*int64(1-2*r.IntN(2)), 10)
			case 1:
				e = strings.Repeat("k", r.IntN(5000))
			default:
				e = fmt.Sprintf("v%d", r.IntN(1000))
			}
			elems = append(elems, e)
			b.AppendString([]byte(e))
		}
		lp := build(elems...)
		if want := b.AppendTo(nil); !bytes.Equal(lp, want) {
			t.Fatalf("round %d: librdb builder wrote different bytes", round)
		}
		var got []string
		n, err := librdb.ListpackEach(lp, func(e librdb.Entry) error {
			got = append(got, string(e.Append(nil)))
			return nil
		})
		if err != nil || n != len(elems) {
			t.Fatalf("round %d: librdb: %d entries, %v", round, n, err)
		}
		for i := range elems {
			if got[i] != elems[i] {
				t.Fatalf("round %d: librdb entry %d = %q, want %q", round, i, got[i], elems[i])
			}
		}
	}
}

func TestValidateErrors(t *testing.T) {
	good := build("a", "1000", strings.Repeat("b", 70))
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		deep bool
		want string
	}{
		{"short", func(b []byte) []byte { return b[:5] }, false, "shorter than"},
		{"total", func(b []byte) []byte { b[0]++; return b }, false, "header says"},
		{"no end", func(b []byte) []byte { b[len(b)-1] = 0; return b }, false, "end byte"},
		{"count", func(b []byte) []byte { b[4] = 2; return b }, true, "header count 2, found 3"},
		{"encoding", func(b []byte) []byte { b[headerSize] = 0xF7; return b }, true, "unknown encoding 0xf7"},
		{"backlen", func(b []byte) []byte { b[headerSize+2] = 9; return b }, true, "backlen"},
		{"early end", func(b []byte) []byte { b[headerSize+3] = 0xFF; return b }, true, "end byte at 9"},
		{"too long", func(b []byte) []byte { b[headerSize], b[headerSize+1] = 0xEF, 0xFF; return b }, true, "run past the end"},
	} {
		b := tc.mod(bytes.Clone(good))
		err := Validate(b, tc.deep, nil)
		if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	stop := errors.New("stop")
	var seen []int
	err := Validate(good, true, func(p int) error {
		seen = append(seen, p)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(seen) != 2 || seen[1] != Seek(good, 1) {
		t.Errorf("callback: %v %v", err, seen)
	}
}

func BenchmarkAppend(b *testing.B) {
	for b.Loop() {
		lp := New()
		for i := 0; i < 128; i++ {
			lp = Append(lp, []byte("field"))
			lp = AppendInt(lp, int64(i))
		}
	}
}

func BenchmarkFind(b *testing.B) {
	lp := New()
	for i := 0; i < 128; i++ {
		lp = Append(lp, []byte("field"+strconv.Itoa(i)))
		lp = AppendInt(lp, int64(i))
	}
	key := []byte("field127")
	for b.Loop() {
		if Find(lp, First(lp), key, 1) < 0 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkInsertDeleteHead(b *testing.B) {
	lp := New()
	for i := 0; i < 128; i++ {
		lp = Append(lp, []byte("value"))
	}
	for b.Loop() {
		lp = Prepend(lp, []byte("value"))
		lp, _ = Delete(lp, First(lp))
	}
}
