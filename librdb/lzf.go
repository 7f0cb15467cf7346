package librdb

import (
	"errors"
	"fmt"
	"sync"
)

// LZF is the compression Redis uses for strings in RDB files and for
// compressed quicklist nodes (Redis lzf_c.c / lzf_d.c, format by Marc
// Lehmann). A compressed stream is a sequence of items:
//
//	000LLLLL <L+1 literal bytes>            literal run of 1..32 bytes
//	LLLooooo oooooooo                        back reference, length L+2 (L<7)
//	111ooooo LLLLLLLL oooooooo               back reference, length L+9
//
// where the offset is 13 bits and counts back from the current position
// minus one.

// errLZF is wrapped by every LZF decompression error.
var errLZF = errors.New("lzf: corrupt data")

// LZFDecompress appends the decompression of src to dst[:0] and returns it.
// outLen is the exact expected length of the output (RDB stores it); data
// that would produce more or fewer bytes, or that refers before the start of
// the output, is an error.
func LZFDecompress(dst, src []byte, outLen int) ([]byte, error) {
	if cap(dst) < outLen {
		dst = make([]byte, 0, outLen)
	}
	out := dst[:outLen]
	ip, op := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			n := ctrl + 1
			if op+n > outLen {
				return nil, fmt.Errorf("%w: literal run past the output length %d", errLZF, outLen)
			}
			if ip+n > len(src) {
				return nil, fmt.Errorf("%w: literal run past the input", errLZF)
			}
			copy(out[op:], src[ip:ip+n])
			op += n
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return nil, fmt.Errorf("%w: truncated back reference", errLZF)
			}
			n += int(src[ip])
			ip++
		}
		n += 2
		if ip >= len(src) {
			return nil, fmt.Errorf("%w: truncated back reference", errLZF)
		}
		ref := op - ((ctrl&0x1f)<<8 | int(src[ip])) - 1
		ip++
		if ref < 0 {
			return nil, fmt.Errorf("%w: back reference before the start of the output", errLZF)
		}
		if op+n > outLen {
			return nil, fmt.Errorf("%w: back reference past the output length %d", errLZF, outLen)
		}
		// Overlapping copies repeat bytes, so copy byte by byte when the
		// reference overlaps the destination.
		// An overlapping reference repeats the last op-ref bytes: copy
		// them in growing chunks.
		for n > 0 {
			k := min(n, op-ref)
			copy(out[op:op+k], out[ref:ref+k])
			op += k
			n -= k
		}
	}
	if op != outLen {
		return nil, fmt.Errorf("%w: got %d bytes, expected %d", errLZF, op, outLen)
	}
	return out, nil
}

// Compression parameters of liblzf 3.6 as Debian builds it (Debian's
// redis-server links the system liblzf rather than Redis's bundled copy):
// HLOG 16, VERY_FAST. With them LZFCompress writes the bytes Redis 7.0.15
// writes, so RDB files and DEBUG OBJECT's serializedlength match.
const (
	lzfHashLog = 16
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = (1 << 8) + (1 << 3)
	lzfMaxLit  = 1 << 5
)

var lzfTables = sync.Pool{New: func() any { return new([1 << lzfHashLog]int32) }}

// LZFCompress compresses src into dst[:0] (grown as needed) and returns the
// result, or nil when lzf_compress would give up because the output does
// not fit in outLen bytes; Redis calls it with outLen = len-4 and stores the
// string uncompressed on nil. It follows liblzf 3.6's lzf_compress step by
// step (hash, match rules, literal runs, the points where it checks for
// room), with two deliberate details: a match never refers to offset 0 of
// the input (lzf_compress requires ref > in_data), and the hash table starts
// empty where lzf_compress leaves it uninitialized (so Redis can, rarely,
// find a match this does not).
func LZFCompress(dst, src []byte, outLen int) []byte {
	n := len(src)
	if n < 3 || outLen <= 0 {
		return nil
	}
	htab := lzfTables.Get().(*[1 << lzfHashLog]int32) // position+1, 0 = empty
	defer func() { *htab = [1 << lzfHashLog]int32{}; lzfTables.Put(htab) }()
	idx := func(h uint32) uint32 { return ((h >> (24 - lzfHashLog)) - h*5) & (1<<lzfHashLog - 1) }
	first := func(p int) uint32 { return uint32(src[p])<<8 | uint32(src[p+1]) }
	next := func(h uint32, p int) uint32 { return h<<8 | uint32(src[p+2]) }

	// out holds outLen bytes plus slack: the room checks below keep every
	// write before outLen, as lzf_compress's keep them before out_end.
	if cap(dst) < outLen+4 {
		dst = make([]byte, outLen+4)
	}
	out := dst[:outLen+4]
	ip, op, lit := 0, 1, 0 // op 0 is the first literal run's length byte
	hval := first(0)
	for ip < n-2 {
		hval = next(hval, ip)
		slot := idx(hval)
		ref := int(htab[slot]) - 1
		htab[slot] = int32(ip + 1)
		if off := ip - ref - 1; ref > 0 && off < lzfMaxOff &&
			src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
			l := 2
			maxlen := min(n-ip-l, lzfMaxRef)
			undo := 0
			if lit == 0 {
				undo = 1
			}
			if op-undo+3+1 >= outLen {
				return nil
			}
			out[op-lit-1] = byte(lit - 1) // stop the literal run
			op -= undo                    // drop it if it is empty
			// lzf_compress compares 16 bytes unrolled without the maxlen
			// bound when maxlen > 16, then one at a time.
			matched := false
			if maxlen > 16 {
				for k := 0; k < 16; k++ {
					l++
					if src[ref+l] != src[ip+l] {
						matched = true
						break
					}
				}
			}
			if !matched {
				for {
					l++
					if !(l < maxlen && src[ref+l] == src[ip+l]) {
						break
					}
				}
			}
			l -= 2 // now the match length - 1
			ip++
			if l < 7 {
				out[op] = byte(off>>8 + l<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(l - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
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
			return nil
		}
		lit++
		out[op] = src[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit, op = 0, op+1
		}
	}
	if op+3 > outLen {
		return nil
	}
	for ip < n {
		lit++
		out[op] = src[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit, op = 0, op+1
		}
	}
	out[op-lit-1] = byte(lit - 1) // end the last run
	if lit == 0 {
		op-- // drop it if it is empty
	}
	return out[:op]
}
