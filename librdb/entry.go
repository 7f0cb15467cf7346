package librdb

import (
	"strconv"
)

// Entry is one element of a compact encoding (listpack, ziplist, intset,
// zipmap): either a byte string or an integer, as the encoding stored it.
// Str aliases the encoded blob and is valid only during the callback.
type Entry struct {
	Str   []byte
	Int   int64
	IsInt bool
}

// Append appends the entry's string form (integers in decimal, as Redis
// returns them) to dst.
func (e Entry) Append(dst []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(dst, e.Int, 10)
	}
	return append(dst, e.Str...)
}
