package libkv

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func splitArgs(line string) [][]byte {
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	return args
}

// TestBitfieldFields checks field reads and writes across byte boundaries
// against a bit-by-bit model, signed and unsigned, at every width.
func TestBitfieldFields(t *testing.T) {
	p := make([]byte, 16)
	for width := 1; width <= 64; width++ {
		for off := uint64(0); off < 24; off += 5 {
			clear(p)
			v := uint64(0xdeadbeefcafebabe) >> (64 - width)
			setBitfield(p, off, width, v)
			if got := getUnsignedBitfield(p, off, width); got != v {
				t.Fatalf("u%d at %d: got %x want %x", width, off, got, v)
			}
			for i := uint64(0); i < 128; i++ {
				in := i >= off && i < off+uint64(width)
				if bit := p[i>>3]>>(7-i&7)&1 == 1; bit && !in {
					t.Fatalf("u%d at %d: bit %d set outside the field", width, off, i)
				}
			}
			s := getSignedBitfield(p, off, width)
			if width < 64 && (s < -(1<<(width-1)) || s >= 1<<(width-1)) {
				t.Fatalf("i%d at %d: %d out of range", width, off, s)
			}
		}
	}
}

// TestBitfieldOverflow checks the WRAP, SAT and FAIL results at the
// limits of a few widths.
func TestBitfieldOverflow(t *testing.T) {
	for _, tc := range []struct {
		value, incr int64
		width       int
		wrap, sat   int64
		over        bool
	}{
		{127, 1, 8, -128, 127, true},
		{-128, -1, 8, 127, -128, true},
		{100, 27, 8, 0, 0, false},
		{9223372036854775807, 1, 64, -9223372036854775808, 9223372036854775807, true},
		{-9223372036854775808, -1, 64, 9223372036854775807, -9223372036854775808, true},
		{0, -1, 1, -1, -1, false},
		{-1, -1, 1, 0, -1, true},
	} {
		over, wrapped := checkSignedOverflow(tc.value, tc.incr, tc.width, overflowWrap)
		_, sat := checkSignedOverflow(tc.value, tc.incr, tc.width, overflowSat)
		if over != tc.over || (over && (wrapped != tc.wrap || sat != tc.sat)) {
			t.Errorf("i%d %d%+d: over %v wrap %d sat %d", tc.width, tc.value, tc.incr, over, wrapped, sat)
		}
	}
	if over, v := checkUnsignedOverflow(255, 1, 8, overflowWrap); !over || v != 0 {
		t.Errorf("u8 255+1 wrap: %v %d", over, v)
	}
	if over, v := checkUnsignedOverflow(0, -1, 8, overflowSat); !over || v != 0 {
		t.Errorf("u8 0-1 sat: %v %d", over, v)
	}
	if over, v := checkUnsignedOverflow(1<<63-1, 1, 63, overflowSat); !over || v != 1<<63-1 {
		t.Errorf("u63 max+1 sat: %v %d", over, v)
	}
}

// TestBitpos checks redisBitpos's answers, the zero padding included.
func TestBitpos(t *testing.T) {
	for _, tc := range []struct {
		b    string
		bit  bool
		want int64
	}{
		{"\x00\x00", true, -1},
		{"\x00\x01", true, 15},
		{"\xff\xff", false, 16},
		{"\xff\x7f", false, 8},
		{"", false, 0},
		{"", true, -1},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20", true, 74},
	} {
		if got := bitpos([]byte(tc.b), tc.bit); got != tc.want {
			t.Errorf("bitpos(%q, %v) = %d, want %d", tc.b, tc.bit, got, tc.want)
		}
	}
}

// FuzzBitfieldArgs parses arbitrary BITFIELD arguments and runs the
// command on a key: errors are error replies, accepted operations are
// within their types and offsets, and nothing panics. proto-max-bulk-len
// is small so that offsets cannot ask for large strings.
func FuzzBitfieldArgs(f *testing.F) {
	for _, seed := range []string{
		"GET u8 0", "SET i64 #3 -9223372036854775808", "OVERFLOW SAT INCRBY u63 100 -5",
		"OVERFLOW FAIL SET i8 0 200 GET i8 0", "INCRBY i5 #1000 -7", "GET u64 0", "SET i8 -1 1",
		"OVERFLOW", "GET u8", "set u8 0", "OVERFLOW bad GET u8 0", "GET i8 #9223372036854775807",
	} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, line string, ro bool) {
		c := testClient(t)
		c.srv.conf.ProtoMaxBulkLen = 1 << 12
		args := append(splitArgs("BITFIELD k"), splitArgs(line)...)
		ops, _, ok := c.parseBitfield(args)
		if !ok {
			if !bytes.HasPrefix(c.w.Bytes(), []byte("-ERR ")) {
				t.Fatalf("rejected without an error: %q", c.w.Bytes())
			}
			return
		}
		if c.w.Len() != 0 {
			t.Fatalf("accepted with a reply: %q", c.w.Bytes())
		}
		for _, op := range ops {
			if op.width < 1 || op.width > 64 || (!op.signed && op.width > 63) || op.offset>>3 >= 1<<12 {
				t.Fatalf("bad operation %+v", op)
			}
		}
		c.w.Reset()
		c.bitfield(args, ro)
		if c.w.Len() == 0 {
			t.Fatal("no reply")
		}
		if o := c.db.get([]byte("k")); o != nil && o.n > 1<<12+8 {
			t.Fatalf("string of %d bytes", o.n)
		}
	})
}

func BenchmarkSetBit(b *testing.B) {
	c := testClient(b)
	args := splitArgs("setbit bits:000000000000 8000 1")
	for i := 0; i < b.N; i++ {
		c.w.Reset()
		copy(args[1][5:], strconv.AppendInt(nil, int64(100000000000+i%10000), 10))
		cmdSetBit(c, args)
	}
}
