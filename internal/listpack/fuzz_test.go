package listpack

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzValidate feeds arbitrary bytes to Validate and, when they pass a
// deep check, walks, seeks, searches and edits them: nothing may panic, the
// walks must agree, and edits must leave a valid listpack.
func FuzzValidate(f *testing.F) {
	f.Add(New())
	f.Add(build("a", "1000", strings.Repeat("b", 70), "-9223372036854775808"))
	f.Add(build(strings.Repeat("x", 5000), "", "127"))
	f.Fuzz(func(t *testing.T, lp []byte) {
		if Validate(lp, false, nil) != nil {
			return
		}
		var positions []int
		if Validate(lp, true, func(p int) error { positions = append(positions, p); return nil }) != nil {
			return
		}
		lp = bytes.Clone(lp)
		n := Len(lp)
		if n != len(positions) {
			t.Fatalf("Len %d, Validate saw %d entries", n, len(positions))
		}
		i := len(positions) - 1
		for p := Last(lp); p >= 0; p = Prev(lp, p) {
			if i < 0 || positions[i] != p {
				t.Fatalf("backwards walk reached %d, forward walk has %v", p, positions)
			}
			i--
		}
		if i != -1 {
			t.Fatalf("backwards walk stopped with %d entries left", i+1)
		}
		for j := range positions {
			if Seek(lp, j) != positions[j] || Seek(lp, j-n) != positions[j] {
				t.Fatalf("Seek(%d) = %d, want %d", j, Seek(lp, j), positions[j])
			}
		}
		var buf [20]byte
		for _, p := range positions {
			if e := GetBytes(lp, p, &buf); Find(lp, First(lp), e, 0) < 0 {
				t.Fatalf("Find of entry at %d (%q) failed", p, e)
			}
		}
		lp = Append(lp, []byte("fuzz"))
		lp = PrependInt(lp, -5)
		if n > 0 {
			lp, _ = Replace(lp, Seek(lp, n/2+1), []byte("replaced"))
			lp, _ = Delete(lp, Seek(lp, 1))
		}
		lp = DeleteRange(lp, 1, 2)
		if err := Validate(lp, true, nil); err != nil {
			t.Fatalf("after edits: %v", err)
		}
	})
}
