package compat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// lolwutShape describes LOLWUT art by what does not depend on the random
// generator: the first line, and the width of every line (in characters,
// or in cells for the colored VERSION 6 art), and the caption.
func lolwutShape(raw []byte) (first string, widths []int, caption string) {
	text := string(raw)
	if i := strings.Index(text, "txt:"); i >= 0 { // RESP3 verbatim
		text = text[i+4:]
	} else if i := strings.Index(text, "\r\n"); i >= 0 {
		text = text[i+2:]
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\n")
	for i, l := range lines {
		if strings.Contains(l, "Redis ver.") || strings.HasPrefix(l, "Georg") || strings.HasPrefix(l, "Dedicated") {
			caption = strings.Join(lines[i:], "\n")
			break
		}
		w := utf8.RuneCountInString(l)
		if strings.Contains(l, "\x1b[") {
			w = strings.Count(l, "\x1b[0m") // one cell per color escape
		}
		widths = append(widths, w)
	}
	return lines[0], widths, caption
}

// checkLolwut compares LOLWUT's art: the version line by default, Georg
// Nees's Schotter for VERSION 5 (its first row of squares is never
// rotated, so the first line must match exactly) and the Plaguemon
// skyline for VERSION 6 (its top row is always sky), with their size
// arguments and limits.
func checkLolwut(t *testing.T, p *pair) {
	for _, proto := range []int{2, 3} {
		s := p.session(t, proto)
		s.do(compareExact, "LOLWUT")
		s.do(compareExact, "LOLWUT", "VERSION", "7")
		for _, args := range [][]string{
			{"VERSION", "5"}, {"VERSION", "5", "1", "1", "1"}, {"VERSION", "5", "0", "-3", "0"}, {"VERSION", "5", "2", "2", "2"},
			{"VERSION", "5", "40", "3", "5"}, {"VERSION", "5", "200", "50", "7"}, {"version", "5", "33"},
			{"VERSION", "6"}, {"VERSION", "6", "1", "1"}, {"VERSION", "6", "-1"}, {"VERSION", "6", "30", "7"}, {"VERSION", "6", "2000", "3"},
		} {
			a := s.do(compareSkip, append([]string{"LOLWUT"}, args...)...)
			b, err := s.redis.Do(append([]string{"LOLWUT"}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			fa, wa, ca := lolwutShape(a)
			fb, wb, cb := lolwutShape(b)
			if fa != fb || ca != cb || len(wa) != len(wb) {
				t.Errorf("LOLWUT %q: first line, caption or height differ:\n  kv-server:    %q ... %q (%d lines)\n  redis-server: %q ... %q (%d lines)",
					args, fa, ca, len(wa), fb, cb, len(wb))
				continue
			}
			for i := range wa {
				if wa[i] != wb[i] {
					t.Errorf("LOLWUT %q: line %d is %d wide, Redis's %d", args, i, wa[i], wb[i])
					break
				}
			}
		}
	}
}
