package librdb

import (
	"errors"
	"fmt"
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

const (
	lzfHashLog  = 14
	lzfMaxOff   = 1 << 13
	lzfMaxRef   = (1 << 8) + (1 << 3)
	lzfMaxLit   = 1 << 5
	lzfHashSize = 1 << lzfHashLog
)

// LZFCompress compresses src into dst[:0] and returns the result, or nil
// when the output would not be shorter than maxOut bytes (Redis stores such
// strings uncompressed). It produces a valid LZF stream that LZFDecompress
// and Redis's lzf_decompress read; the bytes need not equal Redis's.
func LZFCompress(dst, src []byte, maxOut int) []byte {
	if len(src) < 4 || maxOut <= 0 {
		return nil
	}
	var htab [lzfHashSize]int32 // positions+1; 0 means empty
	out := dst[:0]
	litStart := 0
	emitLits := func(end int) bool {
		for litStart < end {
			n := end - litStart
			if n > lzfMaxLit {
				n = lzfMaxLit
			}
			if len(out)+1+n >= maxOut {
				return false
			}
			out = append(out, byte(n-1))
			out = append(out, src[litStart:litStart+n]...)
			litStart += n
		}
		return true
	}
	ip := 0
	for ip+2 < len(src) {
		v := uint32(src[ip])<<16 | uint32(src[ip+1])<<8 | uint32(src[ip+2])
		h := ((v >> (3*8 - lzfHashLog)) - v*5) & (lzfHashSize - 1)
		ref := int(htab[h]) - 1
		htab[h] = int32(ip + 1)
		off := ip - ref - 1
		if ref >= 0 && off < lzfMaxOff && ip+4 < len(src) &&
			src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
			maxLen := len(src) - ip
			if maxLen > lzfMaxRef {
				maxLen = lzfMaxRef
			}
			n := 3
			for n < maxLen && src[ref+n] == src[ip+n] {
				n++
			}
			if !emitLits(ip) {
				return nil
			}
			l := n - 2
			if len(out)+3 >= maxOut {
				return nil
			}
			if l < 7 {
				out = append(out, byte(l<<5|off>>8), byte(off))
			} else {
				out = append(out, byte(7<<5|off>>8), byte(l-7), byte(off))
			}
			ip += n
			litStart = ip
			continue
		}
		ip++
	}
	if !emitLits(len(src)) {
		return nil
	}
	return out
}
