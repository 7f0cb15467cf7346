// Package intset implements Redis 7.0's intset (intset.c): the compact
// encoding of a set whose members are all integers, kept in memory as the
// very bytes Redis keeps and writes to RDB files (RDB_TYPE_SET_INTSET).
//
// # Layout
//
//	encoding uint32 LE   byte width of every element: 2, 4 or 8
//	length   uint32 LE   number of elements
//	contents             length elements, little-endian two's complement,
//	                     strictly ascending
//
// The width is the narrowest that holds every element ever added: adding a
// value that needs a wider one rewrites the contents in the new width
// (upgrade), and removing it never narrows them again, as in Redis, so the
// bytes of a set depend on its history. Lookups are binary searches.
package intset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Element widths, Redis's INTSET_ENC_INT16, INTSET_ENC_INT32 and
// INTSET_ENC_INT64.
const (
	Enc16 = 2
	Enc32 = 4
	Enc64 = 8
)

// HeaderSize is the size of the encoding and length fields.
const HeaderSize = 8

// Intset is an intset's bytes in Redis's layout (see the package doc). Its
// length is always HeaderSize + Len()*Encoding(). Methods that add or
// remove elements return the updated Intset, which may share the
// receiver's array (as zrealloc may return the same block): use the result
// and drop the receiver. The zero value is not an Intset; start with New,
// or check foreign bytes with Validate.
type Intset []byte

// New returns an empty intset of 16-bit width, as intsetNew.
func New() Intset { return Intset{Enc16, 0, 0, 0, 0, 0, 0, 0} }

// Encoding returns the width of the elements in bytes: 2, 4 or 8.
func (s Intset) Encoding() int { return int(binary.LittleEndian.Uint32(s)) }

// Len returns the number of elements, as intsetLen.
func (s Intset) Len() int { return int(binary.LittleEndian.Uint32(s[4:])) }

func (s Intset) setLen(n int) { binary.LittleEndian.PutUint32(s[4:], uint32(n)) }

// valueEncoding is _intsetValueEncoding: the narrowest width holding v.
func valueEncoding(v int64) int {
	switch {
	case v < math.MinInt32 || v > math.MaxInt32:
		return Enc64
	case v < math.MinInt16 || v > math.MaxInt16:
		return Enc32
	}
	return Enc16
}

// getEncoded reads element i as if the width were enc.
func (s Intset) getEncoded(i, enc int) int64 {
	p := s[HeaderSize+i*enc:]
	switch enc {
	case Enc16:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	case Enc32:
		return int64(int32(binary.LittleEndian.Uint32(p)))
	}
	return int64(binary.LittleEndian.Uint64(p))
}

// set stores v as element i in the set's width.
func (s Intset) set(i int, v int64) {
	enc := s.Encoding()
	p := s[HeaderSize+i*enc:]
	switch enc {
	case Enc16:
		binary.LittleEndian.PutUint16(p, uint16(v))
	case Enc32:
		binary.LittleEndian.PutUint32(p, uint32(v))
	default:
		binary.LittleEndian.PutUint64(p, uint64(v))
	}
}

// Get returns element i (0 is the smallest), as intsetGet; i must be in
// [0, Len()), or Get panics as a slice index would.
func (s Intset) Get(i int) int64 { return s.getEncoded(i, s.Encoding()) }

// search is intsetSearch: the position of v and true when present, else
// the position where it would be inserted and false.
func (s Intset) search(v int64) (int, bool) {
	n := s.Len()
	if n == 0 {
		return 0, false
	}
	// The ends first: appending ascending values, the common case, then
	// needs no search.
	if v > s.Get(n-1) {
		return n, false
	}
	if v < s.Get(0) {
		return 0, false
	}
	lo, hi := 0, n-1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		switch cur := s.Get(mid); {
		case v > cur:
			lo = mid + 1
		case v < cur:
			hi = mid - 1
		default:
			return mid, true
		}
	}
	return lo, false
}

// Find reports whether v is an element, as intsetFind.
func (s Intset) Find(v int64) bool {
	if valueEncoding(v) > s.Encoding() {
		return false
	}
	_, ok := s.search(v)
	return ok
}

// Add inserts v, as intsetAdd, and reports whether it was absent. A value
// wider than the set's width upgrades the whole set to the value's width.
func (s Intset) Add(v int64) (Intset, bool) {
	if enc := valueEncoding(v); enc > s.Encoding() {
		return s.upgradeAndAdd(v, enc), true
	}
	pos, ok := s.search(v)
	if ok {
		return s, false
	}
	enc, n := s.Encoding(), s.Len()
	s = append(s, make([]byte, enc)...)
	off := HeaderSize + pos*enc
	copy(s[off+enc:], s[off:HeaderSize+n*enc])
	s.set(pos, v)
	s.setLen(n + 1)
	return s, true
}

// upgradeAndAdd is intsetUpgradeAndAdd: v does not fit the current width,
// so it is either below every element or above every one.
func (s Intset) upgradeAndAdd(v int64, enc int) Intset {
	old, n := s.Encoding(), s.Len()
	prepend := 0
	if v < 0 {
		prepend = 1
	}
	s = append(s, make([]byte, (n+1)*enc-n*old)...)
	binary.LittleEndian.PutUint32(s, uint32(enc))
	// From the end, so that no element is overwritten before it is read:
	// each one moves to a higher offset.
	for i := n - 1; i >= 0; i-- {
		s.set(i+prepend, s.getEncoded(i, old))
	}
	if prepend == 1 {
		s.set(0, v)
	} else {
		s.set(n, v)
	}
	s.setLen(n + 1)
	return s
}

// Remove deletes v, as intsetRemove, and reports whether it was present.
// The width never narrows. When the array has become much larger than the
// set, the result is a copy of exact size, so a shrinking set returns its
// memory as Redis's zrealloc does.
func (s Intset) Remove(v int64) (Intset, bool) {
	if valueEncoding(v) > s.Encoding() {
		return s, false
	}
	pos, ok := s.search(v)
	if !ok {
		return s, false
	}
	enc, n := s.Encoding(), s.Len()
	off := HeaderSize + pos*enc
	copy(s[off:], s[off+enc:])
	s = s[:len(s)-enc]
	s.setLen(n - 1)
	if cap(s) > 2*len(s)+64 {
		s = append(Intset(nil), s...)
	}
	return s, true
}

// Random returns a uniformly chosen element, as intsetRandom; the set must
// not be empty.
func (s Intset) Random() int64 { return s.Get(rand.IntN(s.Len())) }

// ErrCorrupt is the error Validate wraps.
var ErrCorrupt = errors.New("intset: corrupt")

// Validate checks that b is a well-formed, non-empty intset, as Redis's
// intsetValidateIntegrity: a known width, a length that accounts for every
// byte, at least one element, and with deep also strictly ascending
// elements (no duplicates). The error, wrapping ErrCorrupt, says what is
// wrong and where. Validate reads b only; after it succeeds Intset(b) may
// be used.
func Validate(b []byte, deep bool) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrCorrupt, len(b), HeaderSize)
	}
	s := Intset(b)
	enc := binary.LittleEndian.Uint32(b)
	if enc != Enc16 && enc != Enc32 && enc != Enc64 {
		return fmt.Errorf("%w: element width %d, not 2, 4 or 8", ErrCorrupt, enc)
	}
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if HeaderSize+n*uint64(enc) != uint64(len(b)) {
		return fmt.Errorf("%w: %d elements of %d bytes need %d bytes, have %d",
			ErrCorrupt, n, enc, HeaderSize+n*uint64(enc), len(b))
	}
	if n == 0 {
		return fmt.Errorf("%w: no elements", ErrCorrupt)
	}
	if !deep {
		return nil
	}
	prev := s.Get(0)
	for i := 1; i < int(n); i++ {
		cur := s.Get(i)
		if cur <= prev {
			return fmt.Errorf("%w: element %d (%d) not above element %d (%d)", ErrCorrupt, i, cur, i-1, prev)
		}
		prev = cur
	}
	return nil
}
