package cmdtable

// matchPattern reports whether s matches the glob pattern, as Redis 7.0's
// stringmatchlen (util.c) does, with or without case folding. It stands in
// for libkv/glob, written concurrently; COMMAND LIST FILTERBY PATTERN
// should switch to that package once it lands.
func matchPattern(pattern, s []byte, nocase bool) bool {
	skipLonger := false
	return matchGlob(pattern, s, nocase, &skipLonger)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// matchGlob is stringmatchlen_impl. skipLonger is Redis's guard against
// exponential backtracking: once the rest of a pattern after a '*'
// matches nowhere in the rest of s, no longer match of an earlier '*' can
// help.
func matchGlob(p, s []byte, nocase bool, skipLonger *bool) bool {
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if matchGlob(p[1:], s, nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if len(p) >= 2 && p[0] == '\\' {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if len(p) > 0 && p[0] == ']' {
					break
				} else if len(p) == 0 {
					// An unclosed '[': Redis steps back one byte so that
					// the step below leaves the pattern empty.
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := p[0], p[2], s[0]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if p[0] == s[0] || (nocase && lower(p[0]) == lower(s[0])) {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] && !(nocase && lower(p[0]) == lower(s[0])) {
				return false
			}
			s = s[1:]
		}
		if len(p) > 0 {
			p = p[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
