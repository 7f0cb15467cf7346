package libkv

import (
	"sync"

	"github.com/kvkit/kvkit/internal/sds"
)

// rdbStringLen is the number of bytes Redis 7.0's rdbSaveStringObject
// writes for a string value (rdb.c), which DEBUG OBJECT reports as
// serializedlength: an int-encoded value, or a string of at most 11 bytes
// that is a canonical 32-bit integer, takes the 2, 3 or 5 byte integer
// form; a string longer than 20 bytes is stored LZF-compressed when
// rdbcompression is on and compression saves at least 5 bytes; anything
// else is its length prefix and bytes.
func rdbStringLen(s []byte, compress bool) int {
	if len(s) <= 11 {
		if v, ok := sds.ParseInt(s); ok {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return 2
			case v >= -1<<15 && v < 1<<15:
				return 3
			case v >= -1<<31 && v < 1<<31:
				return 5
			}
		}
	}
	if compress && len(s) > 20 {
		if n := lzfCompressedLen(s, len(s)-4); n > 0 {
			return 1 + rdbLenLen(n) + rdbLenLen(len(s)) + n
		}
	}
	return rdbLenLen(len(s)) + len(s)
}

// rdbLenLen is the size of rdbSaveLen's length prefix for n.
func rdbLenLen(n int) int {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case uint64(n) <= 1<<32-1:
		return 5
	}
	return 9
}

// LZF parameters of liblzf 3.6 as Debian builds it (Debian's redis-server
// links the system liblzf, not Redis's bundled copy): HLOG 16, VERY_FAST.
const (
	lzfHashLog = 16
	lzfMaxLit  = 1 << 5
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = 1<<8 + 1<<3
)

var lzfTables = sync.Pool{New: func() any { return new([1 << lzfHashLog]int32) }}

// lzfCompressedLen returns the length of lzf_compress's output for in with
// an output buffer of outLen bytes, or 0 when lzf_compress gives up (the
// output would not fit). It follows liblzf 3.6's lzf_compress step by step
// (hash function, match rules, literal runs, the points where it checks
// for room) so that the length is exactly Redis's; only the length is
// computed, no output is written. Quirks kept on purpose: a match never
// refers to offset 0 of the input (lzf_compress requires ref > in_data);
// a match may end the input, and then the final room check still counts
// the empty literal run, so such output needs 4 bytes of slack (Redis's
// bundled copy instead refuses matches within 4 bytes of the end).
// lzf_compress leaves its hash table uninitialized; this starts from an
// empty one, so Redis can, rarely, find a match this does not.
func lzfCompressedLen(in []byte, outLen int) int {
	n := len(in)
	if n < 3 || outLen <= 0 {
		return 0
	}
	htab := lzfTables.Get().(*[1 << lzfHashLog]int32) // position+1, 0 = empty
	defer func() { *htab = [1 << lzfHashLog]int32{}; lzfTables.Put(htab) }()
	idx := func(h uint32) uint32 { return ((h >> (24 - lzfHashLog)) - h*5) & (1<<lzfHashLog - 1) }
	first := func(p int) uint32 { return uint32(in[p])<<8 | uint32(in[p+1]) }
	next := func(h uint32, p int) uint32 { return h<<8 | uint32(in[p+2]) }

	ip, op, lit := 0, 1, 0
	hval := first(0)
	for ip < n-2 {
		hval = next(hval, ip)
		slot := idx(hval)
		ref := int(htab[slot]) - 1
		htab[slot] = int32(ip + 1)
		if ref > 0 && ip-ref-1 < lzfMaxOff &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			l := 2
			maxlen := min(n-ip-l, lzfMaxRef)
			if lit == 0 {
				op-- // undo the empty literal run
			}
			if op+3+1 >= outLen {
				return 0
			}
			// lzf_compress compares 16 bytes unrolled without the maxlen
			// bound when maxlen > 16, then one at a time.
			matched := false
			if maxlen > 16 {
				for k := 0; k < 16; k++ {
					l++
					if in[ref+l] != in[ip+l] {
						matched = true
						break
					}
				}
			}
			if !matched {
				for {
					l++
					if !(l < maxlen && in[ref+l] == in[ip+l]) {
						break
					}
				}
			}
			l -= 2
			ip++
			if l < 7 {
				op++
			} else {
				op += 2
			}
			op++              // low byte of the offset
			lit, op = 0, op+1 // start a literal run
			ip += l + 1
			if ip >= n-2 {
				break
			}
			// VERY_FAST: hash the last two positions of the match.
			ip -= 2
			hval = first(ip)
			hval = next(hval, ip)
			htab[idx(hval)] = int32(ip + 1)
			ip++
			hval = next(hval, ip)
			htab[idx(hval)] = int32(ip + 1)
			ip++
			continue
		}
		if op >= outLen {
			return 0
		}
		lit++
		op++
		ip++
		if lit == lzfMaxLit {
			lit, op = 0, op+1
		}
	}
	if op+3 > outLen {
		return 0
	}
	for ip < n {
		lit++
		op++
		ip++
		if lit == lzfMaxLit {
			lit, op = 0, op+1
		}
	}
	if lit == 0 {
		op--
	}
	return op
}
