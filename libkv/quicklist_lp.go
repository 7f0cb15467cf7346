package libkv

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/librdb"
)

// The listpack operations a quicklist node needs, on Redis 7.0's listpack
// bytes (listpack.c): a 4-byte little-endian total size, a 2-byte element
// count (65535 = unknown), the entries (encoding, data, backlen) and a 0xFF
// end byte. Positions are byte offsets of an entry's first byte; -1 means
// none. Entries are encoded by librdb's ListpackBuilder, which follows
// lpAppend (canonical integers in the smallest integer encoding). A node's
// bytes are always ones this file wrote, so decoding trusts them.

const (
	lpHdrSize = 6
	lpEOF     = 0xFF
)

// lpEmpty is lpNew(0): a listpack with no entries.
func lpEmpty() []byte {
	return []byte{lpHdrSize + 1, 0, 0, 0, 0, 0, lpEOF}
}

// lpEncode appends the encoding of one entry for v (encoding, data and
// backlen) to dst.
func lpEncode(dst, v []byte) []byte {
	var b librdb.ListpackBuilder
	b.AppendString(v)
	var scratch [80]byte
	one := b.AppendTo(scratch[:0])
	return append(dst, one[lpHdrSize:len(one)-1]...)
}

// lpEntrySize is the size of the entry at p: encoding, data and backlen.
func lpEntrySize(lp []byte, p int) int {
	n := lpEncDataSize(lp, p)
	return n + lpBacklenSize(n)
}

// lpEncDataSize is the size of the entry at p without its backlen.
func lpEncDataSize(lp []byte, p int) int {
	c := lp[p]
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xC0 == 0x80:
		return 1 + int(c&0x3f)
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 2 + (int(c&0x0f)<<8 | int(lp[p+1]))
	}
	switch c {
	case 0xF0:
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:]))
	case 0xF1:
		return 3
	case 0xF2:
		return 4
	case 0xF3:
		return 5
	}
	return 9 // 0xF4
}

// lpBacklenSize is lpEncodeBacklen's size for an entry of l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpValue returns the entry at p: a string (aliasing lp) or an integer.
func lpValue(lp []byte, p int) (s []byte, v int64, isInt bool) {
	c := lp[p]
	switch {
	case c&0x80 == 0:
		return nil, int64(c), true
	case c&0xC0 == 0x80:
		n := int(c & 0x3f)
		return lp[p+1 : p+1+n], 0, false
	case c&0xE0 == 0xC0:
		v := int64(uint64(c&0x1f)<<8 | uint64(lp[p+1]))
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return nil, v, true
	case c&0xF0 == 0xE0:
		n := int(c&0x0f)<<8 | int(lp[p+1])
		return lp[p+2 : p+2+n], 0, false
	}
	switch c {
	case 0xF0:
		n := int(binary.LittleEndian.Uint32(lp[p+1:]))
		return lp[p+5 : p+5+n], 0, false
	case 0xF1:
		return nil, int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true
	case 0xF2:
		return nil, int64(int32(uint32(lp[p+1])<<8|uint32(lp[p+2])<<16|uint32(lp[p+3])<<24) >> 8), true
	case 0xF3:
		return nil, int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true
	}
	return nil, int64(binary.LittleEndian.Uint64(lp[p+1:])), true
}

// lpAppendValue appends the string form of the entry at p to dst.
func lpAppendValue(dst, lp []byte, p int) []byte {
	s, v, isInt := lpValue(lp, p)
	if isInt {
		return strconv.AppendInt(dst, v, 10)
	}
	return append(dst, s...)
}

// lpEqual is lpCompare: whether the entry at p equals s, comparing
// integers by value when s is one (as Redis converts s with
// lpStringToInt64).
func lpEqual(lp []byte, p int, s []byte) bool {
	es, v, isInt := lpValue(lp, p)
	if !isInt {
		return string(es) == string(s)
	}
	n, ok := sds.ParseInt(s)
	return ok && n == v
}

// lpFirst is the position of the first entry, or -1.
func lpFirst(lp []byte) int {
	if lp[lpHdrSize] == lpEOF {
		return -1
	}
	return lpHdrSize
}

// lpNext is the position of the entry after p, or -1.
func lpNext(lp []byte, p int) int {
	p += lpEntrySize(lp, p)
	if lp[p] == lpEOF {
		return -1
	}
	return p
}

// lpPrev is the position of the entry before p (p may be the end byte), or
// -1: the backlen before p gives the previous entry's size.
func lpPrev(lp []byte, p int) int {
	if p <= lpHdrSize {
		return -1
	}
	q := p - 1
	var l, shift int
	for {
		l |= int(lp[q]&127) << shift
		if lp[q]&128 == 0 {
			break
		}
		shift += 7
		q--
	}
	return p - l - lpBacklenSize(l)
}

// lpLast is the position of the last entry, or -1.
func lpLast(lp []byte) int { return lpPrev(lp, len(lp)-1) }

// lpSeek is the position of entry index (negative: from the end) in a
// listpack of count entries, or -1 when out of range.
func lpSeek(lp []byte, count, index int) int {
	if index < 0 {
		index += count
	}
	if index < 0 || index >= count {
		return -1
	}
	if index < count/2 {
		p := lpHdrSize
		for ; index > 0; index-- {
			p += lpEntrySize(lp, p)
		}
		return p
	}
	p := len(lp) - 1
	for i := count - index; i > 0; i-- {
		p = lpPrev(lp, p)
	}
	return p
}

// lpSetHeader rewrites the total size and the count (saturating at 65535).
func lpSetHeader(lp []byte, count int) {
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(min(count, 65535)))
}

// lpInsertAt inserts v before the entry at byte p (p = len(lp)-1
// appends); count is the listpack's count after the insertion.
func lpInsertAt(lp []byte, p int, v []byte, count int) []byte {
	var buf [96]byte
	enc := lpEncode(buf[:0], v)
	lp = slices.Insert(lp, p, enc...)
	lpSetHeader(lp, count)
	return lp
}

// lpDeleteBytes removes the bytes [p, q) (whole entries); count is the
// count after the deletion.
func lpDeleteBytes(lp []byte, p, q, count int) []byte {
	lp = slices.Delete(lp, p, q)
	lpSetHeader(lp, count)
	return lp
}

// lpReplaceAt replaces the entry at p with v; the count is unchanged.
func lpReplaceAt(lp []byte, p int, v []byte, count int) []byte {
	var buf [96]byte
	enc := lpEncode(buf[:0], v)
	lp = slices.Replace(lp, p, p+lpEntrySize(lp, p), enc...)
	lpSetHeader(lp, count)
	return lp
}

// lpDeleteRange is lpDeleteRange: removes n entries from index start
// (n beyond the end removes to the end).
func lpDeleteRange(lp []byte, count, start, n int) []byte {
	p := lpSeek(lp, count, start)
	if p < 0 {
		return lp
	}
	if start < 0 {
		start += count
	}
	n = min(n, count-start)
	q := p
	for i := 0; i < n; i++ {
		q += lpEntrySize(lp, q)
	}
	return lpDeleteBytes(lp, p, q, count-n)
}
