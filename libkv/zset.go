package libkv

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/libkv/dict"
	"github.com/kvkit/kvkit/libkv/resp"
	"github.com/kvkit/kvkit/librdb"
)

// A sorted set value (Redis 7.0 t_zset.c) in one of two encodings:
//
//   - listpack: Redis's listpack bytes, member and score entries
//     alternating, ordered by score then member; a score is stored as
//     d2string formats it (an integer entry when it is integral and small).
//     The bytes hang from the Object as a string's do (ptr, n, c), so a
//     small sorted set costs no allocation beyond its listpack.
//   - skiplist: a *zset, the skiplist for order and ranks plus a dict from
//     member to node for O(1) lookups.

// zset is the skiplist encoding. mem is the running total of what Redis's
// objectComputeSize counts per element (the member's sds, the node, the
// dict entry), so that valueMemory is O(1).
type zset struct {
	dict dict.Dict[*zslNode]
	zsl  *skiplist
	mem  int64
	// slots is the bucket count Redis's dict would have: it grows as
	// _dictExpandIfNeeded and shrinks only where Redis resizes a sorted
	// set's dict (after range removals). The Dict's own count is not used:
	// it shrinks on deletes and changes while it rehashes (a step can
	// finish on a read), and the value's size must be a function of its
	// history, not of reads, so that used_memory never drifts.
	slots int
}

// Sizes of Redis 7.0's structures on 64-bit Linux for objectComputeSize.
const (
	zsetStructSize = 16  // sizeof(zset): dict*, zskiplist*
	zslStructSize  = 32  // sizeof(zskiplist)
	zslHeaderAlloc = 640 // zmalloc_size of the header node: 24 + 32 levels * 16 bytes
)

func (o *Object) zs() *zset { return (*zset)(o.ptr) }

// lp returns a listpack-encoded value's bytes.
func (o *Object) lp() []byte { return o.str() }

func (o *Object) setLp(lp []byte) { o.setStr(lp) }

// newZsetListpack is createZsetListpackObject: an empty listpack.
func newZsetListpack() *Object {
	o := &Object{typ: TypeZSet, enc: EncListpack}
	o.setLp(listpack.New())
	return o
}

// newZsetSkiplist is createZsetObject.
func newZsetSkiplist() *Object {
	return &Object{typ: TypeZSet, enc: EncSkiplist, ptr: unsafe.Pointer(&zset{zsl: newSkiplist()})}
}

// zslElemMem is what one element costs Redis in the skiplist encoding: its
// sds, its node (24 bytes and 16 per level) and its dict entry.
func zslElemMem(ele string, level int) int64 {
	return sdsAllocSize(int64(len(ele))) + jemallocSize(24+16*int64(level)) + dictEntrySize
}

// insert adds a member known to be absent.
func (z *zset) insert(score float64, ele string) {
	if z.slots == 0 {
		z.slots = 4
	}
	if z.zsl.length >= z.slots {
		z.slots = nextPow2(z.zsl.length + 1)
	}
	n := z.zsl.insert(score, ele)
	z.dict.Set(n.ele, n)
	z.mem += zslElemMem(ele, int(n.nlevel))
}

// remove deletes member ele, reporting whether it was there.
func (z *zset) remove(ele string) bool {
	n, ok := z.dict.Delete(ele)
	if !ok {
		return false
	}
	z.zsl.delete(n.score, n.ele)
	z.mem -= zslElemMem(n.ele, int(n.nlevel))
	return true
}

// removed is the bookkeeping for a node the skiplist already unlinked.
func (z *zset) removed(n *zslNode) {
	z.dict.Delete(n.ele)
	z.mem -= zslElemMem(n.ele, int(n.nlevel))
}

// zsetLen is zsetLength.
func zsetLen(o *Object) int {
	if o.enc == EncListpack {
		return listpack.Len(o.lp()) / 2
	}
	return o.zs().zsl.length
}

// zzlScore reads the score entry at p (zzlGetScore).
func zzlScore(lp []byte, p int) float64 {
	s, v, isInt := listpack.Get(lp, p, nil)
	if isInt {
		return float64(v)
	}
	f, _ := strconv.ParseFloat(string(s), 64)
	return f
}

// zzlFind returns the position of member ele and its score, or -1
// (zzlFind).
func zzlFind(lp []byte, ele []byte) (int, float64) {
	for p := listpack.First(lp); p >= 0; {
		sp := listpack.Next(lp, p)
		if listpack.Compare(lp, p, ele) {
			return p, zzlScore(lp, sp)
		}
		p = listpack.Next(lp, sp)
	}
	return -1, 0
}

// zzlCompare compares the member entry at p with ele as zzlCompareElements
// (memcmp, then length).
func zzlCompare(lp []byte, p int, ele []byte) int {
	var buf [20]byte
	return bytes.Compare(listpack.GetBytes(lp, p, &buf), ele)
}

// zzlInsertAt inserts ele and its score before the member entry at p, or
// at the tail when p is -1 (zzlInsertAt).
func zzlInsertAt(lp []byte, p int, ele []byte, score float64) []byte {
	var sbuf [32]byte
	sc := d2string(sbuf[:0], score)
	if p < 0 {
		lp = listpack.Append(lp, ele)
		return listpack.Append(lp, sc)
	}
	lp, p = listpack.Insert(lp, ele, p, listpack.Before)
	lp, _ = listpack.Insert(lp, sc, p, listpack.After)
	return lp
}

// d2string formats a score for a listpack as Redis 7.0's d2string: "%.17g"
// (integral values in 2^52 print alike), but both zeros as "0".
func d2string(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	return resp.FormatDouble(dst, f)
}

// zzlReserve grows a listpack's capacity once for the score/member pairs
// a ZADD may insert, when they would all fit in the encoding, so that a
// many-member ZADD allocates once rather than at each size class: the
// listpack bytes stay Redis's, only the garbage (and with it the heap's
// growth between collections) shrinks.
func zzlReserve(o *Object, pairs [][]byte, scores []float64, maxEntries int64) {
	if o.enc != EncListpack || int64(zsetLen(o)+len(scores)) > maxEntries {
		return
	}
	var sbuf [32]byte
	extra := 0
	for j, sc := range scores {
		extra += listpack.EntrySizeFor(pairs[2*j+1]) + listpack.EntrySizeFor(d2string(sbuf[:0], sc))
	}
	if lp := o.lp(); cap(lp)-len(lp) < extra {
		o.setLp(slices.Grow(lp, extra))
	}
}

// zzlInsert inserts ele at its place by score then member (zzlInsert).
func zzlInsert(lp []byte, ele []byte, score float64) []byte {
	for p := listpack.First(lp); p >= 0; {
		sp := listpack.Next(lp, p)
		s := zzlScore(lp, sp)
		if s > score || (s == score && zzlCompare(lp, p, ele) > 0) {
			return zzlInsertAt(lp, p, ele, score)
		}
		p = listpack.Next(lp, sp)
	}
	return zzlInsertAt(lp, -1, ele, score)
}

// zsetScore returns ele's score (zsetScore).
func zsetScore(o *Object, ele []byte) (float64, bool) {
	if o.enc == EncListpack {
		p, score := zzlFind(o.lp(), ele)
		return score, p >= 0
	}
	n, ok := o.zs().dict.GetBytes(ele)
	if !ok {
		return 0, false
	}
	return n.score, true
}

// convertToSkiplist is zsetConvert(zobj, OBJ_ENCODING_SKIPLIST).
func convertToSkiplist(o *Object) {
	lp := o.lp()
	z := &zset{zsl: newSkiplist()}
	var buf [20]byte
	for p := listpack.First(lp); p >= 0; {
		sp := listpack.Next(lp, p)
		z.insert(zzlScore(lp, sp), string(listpack.GetBytes(lp, p, &buf)))
		p = listpack.Next(lp, sp)
	}
	o.enc, o.ptr, o.n, o.c = EncSkiplist, unsafe.Pointer(z), 0, 0
}

// convertToListpack is zsetConvert(zobj, OBJ_ENCODING_LISTPACK).
func convertToListpack(o *Object) {
	z := o.zs()
	var sbuf [32]byte
	size := len(listpack.New())
	for n := z.zsl.first(); n != nil; n = n.levels()[0].forward {
		size += listpack.EntrySizeFor(unsafe.Slice(unsafe.StringData(n.ele), len(n.ele))) + listpack.EntrySizeFor(d2string(sbuf[:0], n.score))
	}
	lp := slices.Grow(listpack.New(), size)
	for n := z.zsl.first(); n != nil; n = n.levels()[0].forward {
		lp = zzlInsertAt(lp, -1, unsafe.Slice(unsafe.StringData(n.ele), len(n.ele)), n.score)
	}
	o.enc = EncListpack
	o.setLp(lp)
}

// convertToListpackIfNeeded is zsetConvertToListpackIfNeeded: a skiplist
// result of a store command goes back to a listpack when it is small.
func (s *Server) convertToListpackIfNeeded(o *Object, maxelelen int) {
	if o.enc == EncListpack {
		return
	}
	if int64(o.zs().zsl.length) <= s.conf.ZsetMaxListpackEntries && int64(maxelelen) <= s.conf.ZsetMaxListpackValue {
		convertToListpack(o)
	}
}

// ZADD flags (server.h ZADD_IN_* and ZADD_OUT_*).
const (
	zaddIncr = 1 << iota
	zaddNX
	zaddXX
	zaddGT
	zaddLT

	zaddOutNop = 1 << iota
	zaddOutAdded
	zaddOutUpdated
)

// zsetAdd is zsetAdd: it adds or updates ele as the flags say and returns
// the ZADD_OUT flags and the new score; ok is false when the result is NaN
// (an INCR of inf by -inf), in which case nothing changed.
func (s *Server) zsetAdd(o *Object, score float64, ele []byte, flags int) (out int, newscore float64, ok bool) {
	incr, nx, xx := flags&zaddIncr != 0, flags&zaddNX != 0, flags&zaddXX != 0
	gt, lt := flags&zaddGT != 0, flags&zaddLT != 0
	if math.IsNaN(score) {
		return 0, 0, false
	}
	if o.enc == EncListpack {
		lp := o.lp()
		if p, cur := zzlFind(lp, ele); p >= 0 {
			if nx {
				return zaddOutNop, 0, true
			}
			if incr {
				score += cur
				if math.IsNaN(score) {
					return 0, 0, false
				}
			}
			if (lt && score >= cur) || (gt && score <= cur) {
				return zaddOutNop, 0, true
			}
			if score != cur {
				lp = listpack.DeleteRangeWithEntry(lp, p, 2)
				o.setLp(zzlInsert(lp, ele, score))
				return zaddOutUpdated, score, true
			}
			return 0, score, true
		} else if xx {
			return zaddOutNop, 0, true
		}
		// Convert before inserting when the result would be too long or
		// the member too large (lpSafeToAdd's 1 GB limit is beyond what a
		// 64-byte member can reach under the entries limit).
		if int64(zsetLen(o))+1 > s.conf.ZsetMaxListpackEntries || int64(len(ele)) > s.conf.ZsetMaxListpackValue ||
			len(lp)+len(ele) > 1<<30 {
			convertToSkiplist(o)
		} else {
			o.setLp(zzlInsert(lp, ele, score))
			return zaddOutAdded, score, true
		}
	}
	z := o.zs()
	n, found := z.dict.GetBytes(ele)
	if found {
		if nx {
			return zaddOutNop, 0, true
		}
		cur := n.score
		if incr {
			score += cur
			if math.IsNaN(score) {
				return 0, 0, false
			}
		}
		if (lt && score >= cur) || (gt && score <= cur) {
			return zaddOutNop, 0, true
		}
		if score != cur {
			x, moved := z.zsl.updateScore(cur, n.ele, score)
			if moved {
				z.dict.Set(x.ele, x)
				z.mem += zslElemMem(x.ele, int(x.nlevel)) - zslElemMem(n.ele, int(n.nlevel))
			}
			return zaddOutUpdated, score, true
		}
		return 0, score, true
	} else if xx {
		return zaddOutNop, 0, true
	}
	z.insert(score, string(ele))
	return zaddOutAdded, score, true
}

// zsetDel is zsetDel: it removes ele and reports whether it was there.
func zsetDel(o *Object, ele []byte) bool {
	if o.enc == EncListpack {
		lp := o.lp()
		p, _ := zzlFind(lp, ele)
		if p < 0 {
			return false
		}
		o.setLp(listpack.DeleteRangeWithEntry(lp, p, 2))
		return true
	}
	return o.zs().remove(unsafe.String(unsafe.SliceData(ele), len(ele)))
}

// zsetRank is zsetRank: ele's 0-based rank, from the highest score when
// rev is set; ok is false when ele is absent.
func zsetRank(o *Object, ele []byte, rev bool) (int, bool) {
	length := zsetLen(o)
	if o.enc == EncListpack {
		lp := o.lp()
		rank := 1
		for p := listpack.First(lp); p >= 0; rank++ {
			if listpack.Compare(lp, p, ele) {
				if rev {
					return length - rank, true
				}
				return rank - 1, true
			}
			p = listpack.Next(lp, listpack.Next(lp, p))
		}
		return 0, false
	}
	z := o.zs()
	n, ok := z.dict.GetBytes(ele)
	if !ok {
		return 0, false
	}
	rank := z.zsl.rank(n.score, n.ele)
	if rev {
		return length - rank, true
	}
	return rank - 1, true
}

// zsetIter walks a sorted set in either direction, in either encoding.
// ele is valid until the next step or a change to the value.
type zsetIter struct {
	o     *Object
	rev   bool
	p, sp int      // listpack: member and score positions, p < 0 at the end
	node  *zslNode // skiplist: the current node, nil at the end
	buf   [20]byte
}

// zsetIterAtRank starts at 0-based rank start (from the top when rev).
func zsetIterAtRank(o *Object, start int, rev bool) zsetIter {
	it := zsetIter{o: o, rev: rev}
	if o.enc == EncListpack {
		lp := o.lp()
		if rev {
			it.p = listpack.Seek(lp, -2-2*start)
		} else {
			it.p = listpack.Seek(lp, 2*start)
		}
		if it.p >= 0 {
			it.sp = listpack.Next(lp, it.p)
		}
		return it
	}
	zsl := o.zs().zsl
	if rev {
		if start > 0 {
			it.node = zsl.byRank(zsl.length - start)
		} else {
			it.node = zsl.tail
		}
	} else if start > 0 {
		it.node = zsl.byRank(start + 1)
	} else {
		it.node = zsl.first()
	}
	return it
}

// zsetIterAtNode starts a skiplist iteration at n (nil: empty).
func zsetIterAtNode(o *Object, n *zslNode, rev bool) zsetIter {
	return zsetIter{o: o, rev: rev, node: n, p: -1}
}

// valid reports whether the iterator is at an element.
func (it *zsetIter) valid() bool {
	if it.o.enc == EncListpack {
		return it.p >= 0
	}
	return it.node != nil
}

// elem returns the current member and score.
func (it *zsetIter) elem() ([]byte, float64) {
	if it.o.enc == EncListpack {
		lp := it.o.lp()
		return listpack.GetBytes(lp, it.p, &it.buf), zzlScore(lp, it.sp)
	}
	n := it.node
	return unsafe.Slice(unsafe.StringData(n.ele), len(n.ele)), n.score
}

// score returns the current score.
func (it *zsetIter) score() float64 {
	if it.o.enc == EncListpack {
		return zzlScore(it.o.lp(), it.sp)
	}
	return it.node.score
}

// member returns the current member as a string (a copy for listpacks).
func (it *zsetIter) member() string {
	if it.o.enc == EncListpack {
		return string(listpack.GetBytes(it.o.lp(), it.p, &it.buf))
	}
	return it.node.ele
}

// next moves one element on in the iteration's direction.
func (it *zsetIter) next() {
	if it.o.enc == EncListpack {
		lp := it.o.lp()
		if it.rev {
			it.sp = listpack.Prev(lp, it.p)
			if it.sp < 0 {
				it.p = -1
				return
			}
			it.p = listpack.Prev(lp, it.sp)
		} else {
			it.p = listpack.Next(lp, it.sp)
			if it.p >= 0 {
				it.sp = listpack.Next(lp, it.p)
			}
		}
		return
	}
	if it.rev {
		it.node = it.node.backward
	} else {
		it.node = it.node.levels()[0].forward
	}
}

// zsetIterScore starts at the first element in r (the last when rev), or
// returns an iterator that is not valid.
func zsetIterScore(o *Object, r *scoreRange, rev bool) zsetIter {
	if o.enc == EncSkiplist {
		zsl := o.zs().zsl
		if rev {
			return zsetIterAtNode(o, zsl.lastInRange(r), rev)
		}
		return zsetIterAtNode(o, zsl.firstInRange(r), rev)
	}
	it := zsetIterAtRank(o, 0, rev)
	if r.empty() {
		it.p = -1
		return it
	}
	for ; it.valid(); it.next() {
		sc := it.score()
		if rev {
			if r.lteMax(sc) {
				if !r.gteMin(sc) {
					it.p = -1
				}
				break
			}
		} else if r.gteMin(sc) {
			if !r.lteMax(sc) {
				it.p = -1
			}
			break
		}
	}
	return it
}

// inScore reports whether the current element is still inside r in the
// direction of travel.
func (it *zsetIter) inScore(r *scoreRange) bool {
	if it.rev {
		return r.gteMin(it.score())
	}
	return r.lteMax(it.score())
}

// zsetIterLex is zsetIterScore for a lexicographic range.
func zsetIterLex(o *Object, r *lexRange, rev bool) zsetIter {
	if o.enc == EncSkiplist {
		zsl := o.zs().zsl
		if rev {
			return zsetIterAtNode(o, zsl.lastInLex(r), rev)
		}
		return zsetIterAtNode(o, zsl.firstInLex(r), rev)
	}
	it := zsetIterAtRank(o, 0, rev)
	// zzlIsInLexRange: judged by the first and last members in score
	// order, which decides the result when scores differ.
	last, first := zsetIterAtRank(o, 0, true), zsetIterAtRank(o, 0, false)
	if r.empty() || !it.valid() || !r.gteMin(last.member()) || !r.lteMax(first.member()) {
		it.p = -1
		return it
	}
	for ; it.valid(); it.next() {
		m := it.member()
		if rev {
			if r.lteMax(m) {
				if !r.gteMin(m) {
					it.p = -1
				}
				break
			}
		} else if r.gteMin(m) {
			if !r.lteMax(m) {
				it.p = -1
			}
			break
		}
	}
	return it
}

// inLex reports whether the current element is still inside r.
func (it *zsetIter) inLex(r *lexRange) bool {
	if it.rev {
		return r.gteMin(it.member())
	}
	return r.lteMax(it.member())
}

// zsetDeleteRank removes 0-based ranks start..end (valid, inclusive).
func zsetDeleteRank(o *Object, start, end int) int {
	if o.enc == EncListpack {
		o.setLp(listpack.DeleteRange(o.lp(), 2*start, 2*(end-start+1)))
		return end - start + 1
	}
	z := o.zs()
	return z.zsl.deleteRank(start+1, end+1, z.removed)
}

// zsetDeleteScore removes the elements with a score in r
// (zzlDeleteRangeByScore, zslDeleteRangeByScore).
func zsetDeleteScore(o *Object, r *scoreRange) int {
	if o.enc == EncListpack {
		it := zsetIterScore(o, r, false)
		return zzlDeleteWhile(o, &it, func() bool { return r.lteMax(it.score()) })
	}
	z := o.zs()
	return z.zsl.deleteWhile(func(n *zslNode) bool { return !r.gteMin(n.score) },
		func(n *zslNode) bool { return r.lteMax(n.score) }, z.removed)
}

// zsetDeleteLex removes the elements with a member in r (from the first
// member at or after min, while members are at most max: with unequal
// scores that is Redis's answer, not every member in r).
func zsetDeleteLex(o *Object, r *lexRange) int {
	if o.enc == EncListpack {
		it := zsetIterLex(o, r, false)
		return zzlDeleteWhile(o, &it, func() bool { return r.lteMax(it.member()) })
	}
	z := o.zs()
	return z.zsl.deleteWhile(func(n *zslNode) bool { return !r.gteMin(n.ele) },
		func(n *zslNode) bool { return r.lteMax(n.ele) }, z.removed)
}

// zzlDeleteWhile deletes listpack pairs from the iterator's position
// while in reports true.
func zzlDeleteWhile(o *Object, it *zsetIter, in func() bool) int {
	n := 0
	for it.valid() && in() {
		lp := listpack.DeleteRangeWithEntry(o.lp(), it.p, 2)
		o.setLp(lp)
		n++
		if it.p >= len(lp)-1 {
			break
		}
		it.sp = listpack.Next(lp, it.p)
	}
	return n
}

// The sorted set's valueType hooks.
func init() {
	valueTypes[TypeZSet] = &valueType{memory: zsetMemory, dup: zsetDup, digest: zsetDigest, rdbLen: zsetRdbLen,
		rdbValue: zsetRdbValue, rdbLoad: zsetRdbLoad}
}

// zsetMemory is objectComputeSize for a sorted set: the listpack's
// allocation, or the skiplist's structures plus every element's member,
// node and dict entry (Redis samples five elements and extrapolates; the
// running total is what the sample estimates).
func zsetMemory(o *Object) int64 {
	if o.enc == EncListpack {
		return robjSize + jemallocSize(int64(o.n))
	}
	z := o.zs()
	return robjSize + zsetStructSize + zslStructSize + dictStructSize + 8*int64(z.slots) + zslHeaderAlloc + z.mem
}

// nextPow2 is _dictNextPower: the smallest power of two at least n, and
// at least 4.
func nextPow2(n int) int {
	p := 4
	for p < n {
		p *= 2
	}
	return p
}

// expand is dictExpand for n entries.
func (z *zset) expand(n int) {
	z.dict.Expand(n)
	if n >= z.zsl.length && nextPow2(n) != z.slots {
		z.slots = nextPow2(n)
	}
}

// shrinkIfNeeded is the htNeedsResize / dictResize pair Redis runs on a
// sorted set's dict after removing a range: below 10% full, down to the
// smallest power of two that holds the entries.
func (z *zset) shrinkIfNeeded() {
	if z.slots > 4 && z.zsl.length*100/z.slots < 10 {
		z.slots = nextPow2(z.zsl.length)
	}
}

// zsetDup is zsetDup: a listpack is copied; a skiplist is rebuilt from its
// tail, the dict sized for it first.
func zsetDup(o *Object) *Object {
	if o.enc == EncListpack {
		d := &Object{typ: TypeZSet, enc: EncListpack}
		d.setLp(append([]byte(nil), o.lp()...))
		return d
	}
	src := o.zs()
	d := newZsetSkiplist()
	z := d.zs()
	z.expand(src.dict.Len())
	for n := src.zsl.tail; n != nil; n = n.backward {
		z.insert(n.score, n.ele)
	}
	return d
}

// zsetDigest is debug.c's xorObjectDigest for a sorted set: each element's
// digest (member, then the score as "%.17g") is xored in, so the order does
// not matter.
func zsetDigest(d *[20]byte, o *Object) {
	var sbuf [32]byte
	mix := func(ele []byte, score float64) {
		var ed [20]byte
		mixDigest(&ed, ele)
		mixDigest(&ed, resp.FormatDouble(sbuf[:0], score))
		xorDigest(d, ed[:])
	}
	for it := zsetIterAtRank(o, 0, false); it.valid(); it.next() {
		mix(it.elem())
	}
}

// zsetRdbLen is rdbSavedObjectLen: a listpack is saved as one string
// (RDB_TYPE_ZSET_LISTPACK); a skiplist as its length and each member with
// its 8-byte binary score (RDB_TYPE_ZSET_2).
func zsetRdbLen(o *Object, compress bool) int64 {
	if o.enc == EncListpack {
		return int64(rdbStringLen(o.lp(), compress))
	}
	z := o.zs()
	n := int64(rdbLenLen(z.zsl.length))
	for x := z.zsl.first(); x != nil; x = x.levels()[0].forward {
		n += int64(rdbStringLen(unsafe.Slice(unsafe.StringData(x.ele), len(x.ele)), compress)) + 8
	}
	return n
}

// zsetRdbValue gives a sorted set to librdb's encoder as Redis writes its
// in-memory encoding: a listpack as it is, a skiplist's members aliased in
// skiplist order (RDB_TYPE_ZSET_2 whatever its size).
func zsetRdbValue(o *Object, v *librdb.Value) {
	v.Kind = librdb.KindZSet
	if o.enc != EncSkiplist {
		v.Blob = o.lp()
		return
	}
	v.Table = true
	v.Members = make([]librdb.ZSetEntry, 0, zsetLen(o))
	for n := o.zs().zsl.first(); n != nil; n = n.levels()[0].forward {
		v.Members = append(v.Members, librdb.ZSetEntry{Member: strBytes(n.ele), Score: n.score})
	}
}

// zsetBuilder builds a sorted set read from an RDB file or a RESTORE
// payload as Redis 7.0's rdbLoadObject does: a listpack or ziplist blob
// stays a listpack unless it has more entries than
// zset-max-listpack-entries; a skiplist (RDB_TYPE_ZSET, ZSET_2, stored
// from the tail) is built as one and converted to a listpack afterwards
// when small enough (entries and longest member within the limits).
type zsetBuilder struct {
	librdb.NopVisitor
	s         *Server
	o         *Object
	blob      bool // a listpack or ziplist: members arrive in order
	maxelelen int
}

func zsetRdbLoad(s *Server, k *librdb.Key) rdbBuilder {
	return &zsetBuilder{s: s, blob: k.RDBType == librdb.TypeZSetListpack || k.RDBType == librdb.TypeZSetZiplist}
}

func (b *zsetBuilder) ZSetMember(_ *librdb.Key, m []byte, score float64) error {
	if math.IsNaN(score) {
		return errors.New("zset score is NaN")
	}
	if b.o == nil {
		if b.blob {
			b.o = newZsetListpack()
		} else {
			b.o = newZsetSkiplist()
		}
	}
	b.maxelelen = max(b.maxelelen, len(m))
	if b.o.enc == EncListpack {
		if int64(zsetLen(b.o)) < b.s.conf.ZsetMaxListpackEntries {
			b.o.setLp(zzlInsertAt(b.o.lp(), -1, m, score))
			return nil
		}
		convertToSkiplist(b.o)
	}
	z := b.o.zs()
	if _, dup := z.dict.GetBytes(m); dup {
		return errors.New("duplicate zset member")
	}
	z.insert(score, string(m))
	return nil
}

func (b *zsetBuilder) finish() (*Object, error) {
	if b.o != nil && !b.blob {
		b.s.convertToListpackIfNeeded(b.o, b.maxelelen)
	}
	return b.o, nil
}
