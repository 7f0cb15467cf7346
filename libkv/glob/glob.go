// Package glob matches Redis glob-style patterns, exactly as Redis 7.0's
// stringmatchlen (util.c) does. KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE
// and the other pattern-taking commands use it, so that a pattern selects
// the same names in kvkit as in Redis, including in Redis's odd corners.
//
// Syntax:
//
//	"*"      any run of bytes, including none
//	"?"      any one byte
//	"[abc]"  one of the listed bytes; "[^abc]" any byte not listed
//	"[a-z]"  a byte in the range; a reversed range "[z-a]" is the same
//	"\x"     the byte x itself, outside and inside brackets
//
// Patterns are bytes, not UTF-8: '?' matches one byte of a multi-byte rune.
package glob

import "unsafe"

// maxNesting bounds the recursion that each '*' adds. Redis 7.0.9 added the
// same limit (CVE-2022-36021): a pattern nested deeper than this matches
// nothing, rather than running for exponential time.
const maxNesting = 1000

// Match reports whether str matches pattern, byte for byte as Redis 7.0's
// stringmatchlen(pattern, str, nocase) (util.c). With nocase, ASCII letters
// compare without regard to case.
//
// Redis's quirks are kept, because a client sees them:
//   - an empty str matches no pattern at all, not even "*" (KEYS and SCAN
//     special-case the pattern "*" before calling the matcher, and callers
//     of this package must do the same);
//   - an unterminated class "[abc" is read as if closed at the end of the
//     pattern; "[^" at the end matches any one byte, "[" at the end none;
//   - a trailing backslash matches a backslash;
//   - range ends and the tested byte compare as C's signed char, so a byte
//     at or above 0x80 sorts below 0x00 in [a-z]-style ranges, and with
//     nocase they are lowered as glibc's tolower in the C locale does;
//   - inside brackets, an escaped byte (\x) compares with case even under
//     nocase;
//   - more than 1000 nested '*' make the pattern match nothing.
//
// Match takes time polynomial in the lengths: after a '*' fails to match the
// rest of the pattern at every later position, no earlier '*' is retried
// (Redis's skipLongerMatches).
func Match(pattern, str []byte, nocase bool) bool {
	m := matcher{p: pattern, s: str, nocase: nocase}
	return m.match(0, 0, 0)
}

// MatchString is Match for string arguments; it does not copy them.
func MatchString(pattern, str string, nocase bool) bool {
	return Match(unsafe.Slice(unsafe.StringData(pattern), len(pattern)),
		unsafe.Slice(unsafe.StringData(str), len(str)), nocase)
}

type matcher struct {
	p, s   []byte
	nocase bool
	// skipLonger is set once a '*' has found no match for the rest of the
	// pattern anywhere in the rest of the string: an earlier '*' matching
	// a longer run would only start the rest later, so it cannot succeed.
	skipLonger bool
}

// match reports whether s[si:] matches p[pi:]; nesting counts the '*'
// recursions above this call.
func (m *matcher) match(pi, si, nesting int) bool {
	p, s := m.p, m.s
	if nesting > maxNesting {
		return false
	}
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi+1 < len(p) && p[pi+1] == '*' {
				pi++
			}
			if pi+1 == len(p) {
				return true
			}
			for ; si < len(s); si++ {
				if m.match(pi+1, si, nesting+1) {
					return true
				}
				if m.skipLonger {
					return false
				}
			}
			m.skipLonger = true
			return false
		case '?':
			si++
		case '[':
			var ok bool
			pi, ok = m.class(pi+1, s[si])
			if !ok {
				return false
			}
			si++
		case '\\':
			if len(p)-pi >= 2 {
				pi++
			}
			fallthrough
		default:
			if !m.equal(p[pi], s[si]) {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			break
		}
	}
	return pi == len(p) && si == len(s)
}

// class matches c against the bracket expression whose body starts at
// p[pi] (just after '['). It returns the index of the closing ']' (or of
// the last byte of the pattern when the class is unterminated), and whether
// c is accepted.
func (m *matcher) class(pi int, c byte) (int, bool) {
	p := m.p
	not := pi < len(p) && p[pi] == '^'
	if not {
		pi++
	}
	found := false
	for {
		rest := len(p) - pi
		switch {
		case rest >= 2 && p[pi] == '\\':
			pi++
			// Redis compares an escaped byte with case even under nocase.
			if p[pi] == c {
				found = true
			}
		case rest > 0 && p[pi] == ']':
			return pi, found != not
		case rest == 0:
			// Unterminated: Redis steps back onto the last byte, so that
			// the caller's advance lands on the end of the pattern.
			return pi - 1, found != not
		case rest >= 3 && p[pi+1] == '-':
			// C's char is signed on the platforms Redis is built for.
			lo, hi, x := int(int8(p[pi])), int(int8(p[pi+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if m.nocase {
				lo, hi, x = ctolower(lo), ctolower(hi), ctolower(x)
			}
			pi += 2
			if x >= lo && x <= hi {
				found = true
			}
		default:
			if m.equal(p[pi], c) {
				found = true
			}
		}
		pi++
	}
}

// equal compares two bytes, folding ASCII case when the matcher is nocase.
func (m *matcher) equal(a, b byte) bool {
	if !m.nocase {
		return a == b
	}
	return ctolower(int(a)) == ctolower(int(b))
}

// ctolower is glibc's tolower in the C locale over the range -128..255 that
// a C char promoted to int can take: ASCII upper case is lowered, a negative
// char c maps to c+256, except -1 (EOF), which stays -1.
func ctolower(c int) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + ('a' - 'A')
	case c < -1:
		return c + 256
	}
	return c
}
