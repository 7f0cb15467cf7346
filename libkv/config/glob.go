package config

// This file holds a glob matcher for CONFIG GET patterns. kvkit's libkv/glob
// package did not exist when this package was written; when it does, this
// matcher should be replaced by it.

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// globMatch reports whether name matches pattern, case-insensitively, with
// the rules of Redis 7.0's stringmatchlen (util.c): * any run, ? any byte,
// [abc] [^abc] [a-z] classes, \ escapes the next byte. Like Redis it gives up
// early on patterns with many stars that cannot match, so a hostile pattern
// costs time linear in pattern × name rather than exponential.
func globMatch(pattern, name string) bool {
	skip := false
	return globMatchImpl(pattern, name, &skip)
}

func globMatchImpl(pat, str string, skipLonger *bool) bool {
	pc := func(i int) byte { // pattern byte, or 0 past the end as in C
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	sc := func(i int) byte {
		if i < len(str) {
			return str[i]
		}
		return 0
	}
	p, s := 0, 0
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p < len(pat) && pc(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for s < len(str) {
				if globMatchImpl(pat[p+1:], str[s:], skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := pc(p) == '^'
			if not {
				p++
			}
			match := false
			for {
				if pc(p) == '\\' && len(pat)-p >= 2 {
					p++
					if pat[p] == sc(s) {
						match = true
					}
				} else if pc(p) == ']' {
					break
				} else if p >= len(pat) {
					p--
					break
				} else if len(pat)-p >= 3 && pat[p+1] == '-' {
					start, end, c := lower(pat[p]), lower(pat[p+2]), lower(sc(s))
					if start > end {
						start, end = end, start
					}
					p += 2
					if c >= start && c <= end {
						match = true
					}
				} else if lower(pat[p]) == lower(sc(s)) {
					match = true
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			fallthrough
		default:
			if lower(pat[p]) != lower(str[s]) {
				return false
			}
			s++
		}
		p++
		if s >= len(str) {
			for pc(p) == '*' {
				p++
			}
			break
		}
	}
	return p >= len(pat) && s >= len(str)
}
