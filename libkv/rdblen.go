package libkv

import (
	"github.com/kvkit/kvkit/internal/sds"

	"github.com/kvkit/kvkit/librdb"
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
		if n := lzfLen(s, len(s)-4); n > 0 {
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

// lzfLen is the length of s compressed as Redis does it (librdb follows
// Debian's liblzf 3.6 byte for byte), 0 when it does not fit in outLen.
func lzfLen(s []byte, outLen int) int { return len(librdb.LZFCompress(nil, s, outLen)) }
