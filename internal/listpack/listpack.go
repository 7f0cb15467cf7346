// Package listpack implements Redis 7.0's listpack (listpack.c) as a
// mutable byte slice holding exactly Redis's bytes, so that the compact
// encodings of hashes, sorted sets and quicklist nodes have Redis's memory
// size and can be written to an RDB file as a plain copy.
//
// Layout: a 6-byte header (total bytes, uint32 little-endian; element
// count, uint16 little-endian, 65535 meaning "unknown, count by walking"),
// the entries, and a 0xFF end byte. An entry is an encoding byte (with the
// value, or a string length and the string) followed by its "backlen": the
// size of encoding+data in 1 to 5 bytes of 7 bits each, readable from its
// last byte backwards, so the list can be walked in both directions.
//
// Positions are byte offsets into the listpack; -1 means "no entry".
// Functions other than Validate assume a well-formed listpack: check bytes
// that come from outside (RDB, RESTORE) with Validate first. Mutating
// functions may reallocate: always use the slice they return.
package listpack

import (
	"encoding/binary"
	"iter"
	"slices"
	"strconv"

	"github.com/kvkit/kvkit/internal/sds"
)

const (
	headerSize   = 6
	end          = 0xFF
	unknownCount = 65535 // LP_HDR_NUMELE_UNKNOWN

	enc6BitStr  = 0x80
	enc13BitInt = 0xC0
	enc12BitStr = 0xE0
	enc32BitStr = 0xF0
	enc16BitInt = 0xF1
	enc24BitInt = 0xF2
	enc32BitInt = 0xF3
	enc64BitInt = 0xF4
)

// Where says on which side of an entry Insert puts the new element.
type Where int

const (
	// Before inserts in front of the entry (LP_BEFORE).
	Before Where = iota
	// After inserts behind the entry (LP_AFTER).
	After
)

// New returns an empty listpack: 7 bytes, header and end byte (lpNew).
func New() []byte {
	lp := make([]byte, headerSize+1)
	binary.LittleEndian.PutUint32(lp, headerSize+1)
	lp[headerSize] = end
	return lp
}

// Bytes returns the total size of the listpack in bytes, as its header
// says (lpBytes).
func Bytes(lp []byte) int { return int(binary.LittleEndian.Uint32(lp)) }

func headerCount(lp []byte) int { return int(binary.LittleEndian.Uint16(lp[4:])) }

func setHeaderCount(lp []byte, n int) { binary.LittleEndian.PutUint16(lp[4:], uint16(n)) }

// Len returns the number of elements. When the header holds the 65535
// "unknown" marker it walks the entries and, as Redis's lpLength does,
// writes the count back into the header if it fits again.
func Len(lp []byte) int {
	n := headerCount(lp)
	if n != unknownCount {
		return n
	}
	n = 0
	for p := First(lp); p >= 0; p = Next(lp, p) {
		n++
	}
	if n < unknownCount {
		setHeaderCount(lp, n)
	}
	return n
}

// encodedSize returns the size of the encoding and data of the entry at p,
// without its backlen (lpCurrentEncodedSizeUnsafe). The end byte has size 1.
func encodedSize(lp []byte, p int) int {
	c := lp[p]
	switch {
	case c < 0x80: // 0xxxxxxx 7-bit unsigned integer
		return 1
	case c < 0xC0: // 10xxxxxx 6-bit string length
		return 1 + int(c&0x3F)
	case c < 0xE0: // 110xxxxx 13-bit signed integer
		return 2
	case c < 0xF0: // 1110xxxx 12-bit string length
		return 2 + (int(c&0x0F)<<8 | int(lp[p+1]))
	}
	switch c {
	case enc32BitStr:
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:]))
	case enc16BitInt:
		return 3
	case enc24BitInt:
		return 4
	case enc32BitInt:
		return 5
	case enc64BitInt:
		return 9
	}
	return 1
}

// backlenSize returns how many bytes the backlen of an entry of size l
// takes (lpEncodeBacklen).
func backlenSize(l int) int {
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

// putBacklen writes the backlen of an entry of size l into b, most
// significant 7 bits first, the continuation bit on all but the first byte,
// and returns its length.
func putBacklen(b []byte, l int) int {
	n := backlenSize(l)
	for i := 0; i < n; i++ {
		b[i] = byte(l>>(7*(n-1-i))) & 127
		if i > 0 {
			b[i] |= 128
		}
	}
	return n
}

// decodeBacklen reads the backlen that ends at lp[q], walking backwards
// (lpDecodeBacklen). ok is false when more than 5 bytes carry the
// continuation bit or the walk would leave lp.
func decodeBacklen(lp []byte, q int) (l int, ok bool) {
	shift := 0
	for {
		if q < 0 {
			return 0, false
		}
		l |= int(lp[q]&127) << shift
		if lp[q]&128 == 0 {
			return l, true
		}
		shift += 7
		q--
		if shift > 28 {
			return 0, false
		}
	}
}

// skip returns the position just past the entry at p: the next entry or
// the end byte (lpSkip).
func skip(lp []byte, p int) int {
	l := encodedSize(lp, p)
	return p + l + backlenSize(l)
}

// First returns the position of the first entry, or -1 if lp is empty.
func First(lp []byte) int {
	if lp[headerSize] == end {
		return -1
	}
	return headerSize
}

// Last returns the position of the last entry, or -1 if lp is empty.
func Last(lp []byte) int { return Prev(lp, Bytes(lp)-1) }

// Next returns the position of the entry after p, or -1 if p is the last.
func Next(lp []byte, p int) int {
	p = skip(lp, p)
	if lp[p] == end {
		return -1
	}
	return p
}

// Prev returns the position of the entry before p, or -1 if p is the
// first. p may be the end byte's position (Bytes(lp)-1).
func Prev(lp []byte, p int) int {
	if p <= headerSize {
		return -1
	}
	l, _ := decodeBacklen(lp, p-1)
	return p - l - backlenSize(l)
}

// Seek returns the position of the element at index, counting from 0 at
// the head or, when index is negative, from -1 at the tail; -1 if out of
// range. As lpSeek, it walks from the nearer end when the header count is
// known, and from the head (or the tail for negative indexes) otherwise.
func Seek(lp []byte, index int) int {
	forward := true
	if n := headerCount(lp); n != unknownCount {
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return -1
		}
		if index > n/2 {
			forward = false
			index -= n
		}
	} else if index < 0 {
		forward = false
	}
	if forward {
		p := First(lp)
		for ; index > 0 && p >= 0; index-- {
			p = Next(lp, p)
		}
		return p
	}
	p := Last(lp)
	for ; index < -1 && p >= 0; index++ {
		p = Prev(lp, p)
	}
	return p
}

// Get returns the entry at p: a string s aliasing lp (isInt false), or the
// integer v (isInt true). If buf is not nil, an integer is also formatted
// in decimal into buf and returned as s, as lpGet with an integer buffer.
func Get(lp []byte, p int, buf *[20]byte) (s []byte, v int64, isInt bool) {
	s, v, isInt = get(lp, p)
	if isInt && buf != nil {
		s = strconv.AppendInt(buf[:0], v, 10)
	}
	return s, v, isInt
}

func get(lp []byte, p int) (s []byte, v int64, isInt bool) {
	c := lp[p]
	switch {
	case c < 0x80:
		return nil, int64(c), true
	case c < 0xC0:
		n := int(c & 0x3F)
		return lp[p+1 : p+1+n], 0, false
	case c < 0xE0:
		u := int64(c&0x1F)<<8 | int64(lp[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return nil, u, true
	case c < 0xF0:
		n := int(c&0x0F)<<8 | int(lp[p+1])
		return lp[p+2 : p+2+n], 0, false
	}
	switch c {
	case enc32BitStr:
		n := int(binary.LittleEndian.Uint32(lp[p+1:]))
		return lp[p+5 : p+5+n], 0, false
	case enc16BitInt:
		return nil, int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true
	case enc24BitInt:
		u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
		return nil, int64(int32(u<<8) >> 8), true
	case enc32BitInt:
		return nil, int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true
	case enc64BitInt:
		return nil, int64(binary.LittleEndian.Uint64(lp[p+1:])), true
	}
	// An invalid encoding byte, which Validate rejects: lpGet's marker value.
	return nil, 12345678900000000 + int64(c), true
}

// GetBytes returns the entry at p as a string: strings alias lp, integers
// are formatted in decimal into buf (lpGet with an integer buffer).
func GetBytes(lp []byte, p int, buf *[20]byte) []byte {
	s, _, _ := Get(lp, p, buf)
	return s
}

// All iterates over the entries in order, yielding each position and the
// element as GetBytes returns it. The bytes are only valid until the next
// step: integers are formatted into a buffer the iterator reuses.
func All(lp []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		var buf [20]byte
		for p := First(lp); p >= 0; p = Next(lp, p) {
			if !yield(p, GetBytes(lp, p, &buf)) {
				return
			}
		}
	}
}

// Compare reports whether the entry at p equals ele (lpCompare): string
// entries byte for byte, integer entries when ele is the canonical decimal
// form of the same integer.
func Compare(lp []byte, p int, ele []byte) bool {
	s, v, isInt := get(lp, p)
	if !isInt {
		return string(s) == string(ele)
	}
	w, ok := sds.ParseInt(ele)
	return ok && v == w
}

// Find returns the position of the first entry equal to ele (as Compare),
// looking at p and then at every skip+1-th entry after it, or -1 (lpFind).
// Hashes search field names with skip 1.
func Find(lp []byte, p int, ele []byte, skip int) int {
	parsed := false
	var w int64
	wOK := false
	for cnt := 0; p >= 0; p = Next(lp, p) {
		if cnt > 0 {
			cnt--
			continue
		}
		s, v, isInt := get(lp, p)
		if !isInt {
			if string(s) == string(ele) {
				return p
			}
		} else {
			if !parsed {
				w, wOK = sds.ParseInt(ele)
				parsed = true
			}
			if wOK && v == w {
				return p
			}
		}
		cnt = skip
	}
	return -1
}

// encoded is an element in its listpack encoding: hdr holds the encoding
// byte(s) (the whole entry for integers), data the string bytes if any.
type encoded struct {
	hdr  [9]byte
	nhdr int
	data []byte
}

func (e *encoded) size() int { return e.nhdr + len(e.data) }

// encodeInt encodes v in the smallest integer encoding
// (lpEncodeIntegerGetType).
func encodeInt(v int64) (e encoded) {
	switch {
	case v >= 0 && v <= 127:
		e.hdr[0] = byte(v)
		e.nhdr = 1
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1FFF
		e.hdr[0], e.hdr[1] = enc13BitInt|byte(u>>8), byte(u)
		e.nhdr = 2
	case v >= -32768 && v <= 32767:
		e.hdr[0] = enc16BitInt
		binary.LittleEndian.PutUint16(e.hdr[1:], uint16(v))
		e.nhdr = 3
	case v >= -8388608 && v <= 8388607:
		e.hdr[0] = enc24BitInt
		e.hdr[1], e.hdr[2], e.hdr[3] = byte(v), byte(v>>8), byte(v>>16)
		e.nhdr = 4
	case v >= -2147483648 && v <= 2147483647:
		e.hdr[0] = enc32BitInt
		binary.LittleEndian.PutUint32(e.hdr[1:], uint32(v))
		e.nhdr = 5
	default:
		e.hdr[0] = enc64BitInt
		binary.LittleEndian.PutUint64(e.hdr[1:], uint64(v))
		e.nhdr = 9
	}
	return e
}

// encodeString encodes ele as lpEncodeGetType does: as an integer when it
// is the canonical decimal form of one (lpStringToInt64, the same rule as
// string2ll), otherwise as a string with the shortest length encoding.
func encodeString(ele []byte) (e encoded) {
	if v, ok := sds.ParseInt(ele); ok {
		return encodeInt(v)
	}
	n := len(ele)
	switch {
	case n < 64:
		e.hdr[0] = enc6BitStr | byte(n)
		e.nhdr = 1
	case n < 4096:
		e.hdr[0], e.hdr[1] = enc12BitStr|byte(n>>8), byte(n)
		e.nhdr = 2
	default:
		e.hdr[0] = enc32BitStr
		binary.LittleEndian.PutUint32(e.hdr[1:], uint32(n))
		e.nhdr = 5
	}
	e.data = ele
	return e
}

// EntrySizeFor returns the bytes ele would take as an entry: encoding,
// data and backlen, after the integer conversion Insert applies.
func EntrySizeFor(ele []byte) int {
	e := encodeString(ele)
	return e.size() + backlenSize(e.size())
}

// resize replaces the oldLen bytes at off with newLen bytes (contents
// undefined, to be written by the caller) and updates the total-bytes
// header. Growth beyond cap allocates a new slice of the allocator's size
// class for the new length, as lp_realloc does; a shrink below half the
// capacity moves to a smaller allocation so that many small listpacks do
// not keep large buffers.
func resize(lp []byte, off, oldLen, newLen int) []byte {
	oldTotal := len(lp)
	total := oldTotal - oldLen + newLen
	switch {
	case total > cap(lp):
		nb := slices.Grow([]byte(nil), total)[:total]
		copy(nb, lp[:off])
		copy(nb[off+newLen:], lp[off+oldLen:])
		lp = nb
	case total >= oldTotal:
		lp = lp[:total]
		copy(lp[off+newLen:], lp[off+oldLen:oldTotal])
	default:
		copy(lp[off+newLen:], lp[off+oldLen:oldTotal])
		lp = lp[:total]
		if total < cap(lp)/2 {
			lp = append(slices.Grow([]byte(nil), total), lp...)
		}
	}
	binary.LittleEndian.PutUint32(lp, uint32(total))
	return lp
}

// put writes e and its backlen at p, replacing oldLen bytes there, and
// returns the new listpack.
func put(lp []byte, e *encoded, p, oldLen int) []byte {
	sz := e.size()
	var bl [5]byte
	nbl := putBacklen(bl[:], sz)
	lp = resize(lp, p, oldLen, sz+nbl)
	q := p + copy(lp[p:], e.hdr[:e.nhdr])
	q += copy(lp[q:], e.data)
	copy(lp[q:], bl[:nbl])
	return lp
}

func insert(lp []byte, e *encoded, p int, where Where) ([]byte, int) {
	if where == After {
		p = skip(lp, p)
	}
	lp = put(lp, e, p, 0)
	if n := headerCount(lp); n != unknownCount {
		setHeaderCount(lp, n+1)
	}
	return lp, p
}

// Insert inserts ele before or after the entry at p and returns the new
// listpack and the new entry's position (lpInsertString). With Before, p
// may also be the end byte's position (Bytes(lp)-1), which appends. ele is
// stored as an integer when it is the canonical decimal form of one.
func Insert(lp []byte, ele []byte, p int, where Where) (out []byte, newp int) {
	e := encodeString(ele)
	return insert(lp, &e, p, where)
}

// InsertInt inserts the integer v before or after the entry at p, as
// Insert (lpInsertInteger).
func InsertInt(lp []byte, v int64, p int, where Where) (out []byte, newp int) {
	e := encodeInt(v)
	return insert(lp, &e, p, where)
}

// Append adds ele at the tail (lpAppend).
func Append(lp []byte, ele []byte) []byte {
	lp, _ = Insert(lp, ele, len(lp)-1, Before)
	return lp
}

// AppendInt adds the integer v at the tail (lpAppendInteger).
func AppendInt(lp []byte, v int64) []byte {
	lp, _ = InsertInt(lp, v, len(lp)-1, Before)
	return lp
}

// Prepend adds ele at the head (lpPrepend).
func Prepend(lp []byte, ele []byte) []byte {
	lp, _ = Insert(lp, ele, headerSize, Before)
	return lp
}

// PrependInt adds the integer v at the head (lpPrependInteger).
func PrependInt(lp []byte, v int64) []byte {
	lp, _ = InsertInt(lp, v, headerSize, Before)
	return lp
}

func entryLen(lp []byte, p int) int {
	l := encodedSize(lp, p)
	return l + backlenSize(l)
}

// Replace replaces the entry at p with ele and returns the new listpack
// and the entry's position, which stays p (lpReplace).
func Replace(lp []byte, p int, ele []byte) (out []byte, newp int) {
	e := encodeString(ele)
	return put(lp, &e, p, entryLen(lp, p)), p
}

// ReplaceInt replaces the entry at p with the integer v (lpReplaceInteger).
func ReplaceInt(lp []byte, p int, v int64) (out []byte, newp int) {
	e := encodeInt(v)
	return put(lp, &e, p, entryLen(lp, p)), p
}

// Delete removes the entry at p and returns the new listpack and the
// position of the entry that followed it, or -1 if it was the last
// (lpDelete).
func Delete(lp []byte, p int) (out []byte, next int) {
	lp = resize(lp, p, entryLen(lp, p), 0)
	if n := headerCount(lp); n != unknownCount {
		setHeaderCount(lp, n-1)
	}
	if lp[p] == end {
		return lp, -1
	}
	return lp, p
}

// DeleteRangeWithEntry removes count entries starting with the one at p,
// or fewer if the listpack ends first (lpDeleteRangeWithEntry). A negative
// count removes everything from p to the end, as Redis's unsigned -1.
func DeleteRangeWithEntry(lp []byte, p int, count int) []byte {
	if count == 0 {
		return lp
	}
	tail, deleted := p, 0
	for count != 0 {
		count--
		deleted++
		tail = skip(lp, tail)
		if lp[tail] == end {
			break
		}
	}
	lp = resize(lp, p, tail-p, 0)
	if n := headerCount(lp); n != unknownCount {
		setHeaderCount(lp, n-deleted)
	}
	return lp
}

// DeleteRange removes count elements starting at index (negative from the
// tail), as lpDeleteRange: nothing if index is out of range; a negative
// count removes through the end. When the header count is known and the
// range reaches the end, the listpack is cut at index.
func DeleteRange(lp []byte, index, count int) []byte {
	if count == 0 {
		return lp
	}
	p := Seek(lp, index)
	if p < 0 {
		return lp
	}
	n := headerCount(lp)
	if n != unknownCount {
		if index < 0 {
			index += n
		}
		if count < 0 || n-index <= count {
			lp = resize(lp, p, len(lp)-1-p, 0)
			setHeaderCount(lp, index)
			return lp
		}
	}
	return DeleteRangeWithEntry(lp, p, count)
}

// Merge returns the listpack holding first's entries followed by
// second's, reusing first's storage when it has room (lpMerge). The count
// saturates at 65535, the "unknown" marker. second is not modified.
func Merge(first, second []byte) []byte {
	n := Len(first) + Len(second)
	off := len(first) - 1
	first = resize(first, off, 1, len(second)-headerSize)
	copy(first[off:], second[headerSize:])
	setHeaderCount(first, min(n, unknownCount))
	return first
}
