package libkv

import (
	"sync/atomic"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/librdb"
)

// quicklist is Redis 7.0's list encoding (quicklist.c): a doubly linked
// list of nodes, each a listpack of a few elements (or, for an element of
// the packed threshold or more, a "plain" node holding just it). fill
// (list-max-listpack-size) bounds a node by entry count (positive) or by
// bytes (-1..-5: 4, 8, 16, 32, 64 KB); compress (list-compress-depth)
// keeps that many nodes at each end raw and LZF-compresses the interior.
// The functions follow quicklist.c's step by step, because node layout and
// compression are visible through DEBUG OBJECT, MEMORY USAGE and RDB files.
type quicklist struct {
	head, tail *qlNode
	count      int // elements
	len        int // nodes
	fill       int
	compress   int
}

// qlNode is a quicklistNode. While compressed, lp is nil and lzf holds
// the LZF bytes of the sz-byte listpack.
type qlNode struct {
	prev, next *qlNode
	lp         []byte
	lzf        []byte
	sz         int
	count      int
	plain      bool
	recompress bool // decompressed for use: compress again when done
}

// Sizes of Redis 7.0's structures on 64-bit Linux, for MEMORY USAGE.
const (
	quicklistSize     = 40 // sizeof(quicklist)
	quicklistNodeSize = 40 // sizeof(quicklistNode)
	quicklistLZFSize  = 8  // sizeof(quicklistLZF): size_t sz
)

// Quicklist tuning constants of Redis 7.0's quicklist.c.
const (
	sizeSafetyLimit    = 8192 // SIZE_SAFETY_LIMIT
	minCompressBytes   = 48   // MIN_COMPRESS_BYTES
	minCompressImprove = 8    // MIN_COMPRESS_IMPROVE
	// defaultPackedThreshold is the element size from which an element
	// gets a plain node of its own, unless DEBUG QUICKLIST-PACKED-THRESHOLD
	// says otherwise.
	defaultPackedThreshold = 1 << 30
)

// packedThreshold is DEBUG QUICKLIST-PACKED-THRESHOLD's setting, 0 for the
// default. As in Redis, where it is a static of quicklist.c, it is one
// setting for the whole process.
var packedThreshold atomic.Int64

// setPackedThreshold is quicklistisSetPackedThreshold for a size already
// checked: 0 restores the default.
func setPackedThreshold(n int64) { packedThreshold.Store(n) }

// optimizationLevel holds the byte limits of fill -1..-5.
var optimizationLevel = [...]int{4096, 8192, 16384, 32768, 65536}

// newQuicklist is quicklistNew: fill clamped to -5..32767, compress to
// 0..65535 (quicklistSetOptions).
func newQuicklist(fill, compress int) *quicklist {
	return &quicklist{fill: min(max(fill, -5), 1<<15-1), compress: min(max(compress, 0), 1<<16-1)}
}

func isLargeElement(sz int) bool {
	t := packedThreshold.Load()
	if t == 0 {
		t = defaultPackedThreshold
	}
	return int64(sz) >= t
}

// sizeMeetsOptimization is _quicklistNodeSizeMeetsOptimizationRequirement.
func sizeMeetsOptimization(sz, fill int) bool {
	if fill >= 0 {
		return false
	}
	off := -fill - 1
	return off < len(optimizationLevel) && sz <= optimizationLevel[off]
}

// allowInsert is _quicklistNodeAllowInsert: whether an element of sz
// bytes may go into node. The overhead estimate is 7.0's (it still counts
// as for a ziplist).
func (ql *quicklist) allowInsert(node *qlNode, sz int) bool {
	if node == nil || node.plain || isLargeElement(sz) {
		return false
	}
	overhead := 5
	if sz < 254 {
		overhead = 1
	}
	switch {
	case sz < 64:
		overhead++
	case sz < 16384:
		overhead += 2
	default:
		overhead += 5
	}
	newSz := node.sz + sz + overhead
	switch {
	case sizeMeetsOptimization(newSz, ql.fill):
		return true
	case newSz > sizeSafetyLimit:
		return false
	}
	return node.count < ql.fill
}

// allowMerge is _quicklistNodeAllowMerge (7 bytes: one listpack header
// and end byte fewer).
func (ql *quicklist) allowMerge(a, b *qlNode) bool {
	if a == nil || b == nil || a.plain || b.plain {
		return false
	}
	mergeSz := a.sz + b.sz - 7
	switch {
	case sizeMeetsOptimization(mergeSz, ql.fill):
		return true
	case mergeSz > sizeSafetyLimit:
		return false
	}
	return a.count+b.count <= ql.fill
}

// compressNode is __quicklistCompressNode: nodes under 48 bytes, or that
// LZF does not shrink by at least 8 bytes, stay raw.
func compressNode(n *qlNode) {
	n.recompress = false
	if n.sz < minCompressBytes {
		return
	}
	out := librdb.LZFCompress(nil, n.lp, n.sz)
	if out == nil || len(out)+minCompressImprove >= n.sz {
		return
	}
	n.lzf = append([]byte(nil), out...)
	n.lp = nil
}

// compressIfRaw is the quicklistCompressNode macro.
func compressIfRaw(n *qlNode) {
	if n != nil && n.lzf == nil {
		compressNode(n)
	}
}

// decompressNode is quicklistDecompressNode. The bytes were written by
// compressNode, so decompression cannot fail.
func decompressNode(n *qlNode) {
	if n == nil || n.lzf == nil {
		return
	}
	n.recompress = false
	lp, err := librdb.LZFDecompress(make([]byte, 0, n.sz), n.lzf, n.sz)
	if err != nil {
		panic("quicklist: corrupt LZF node: " + err.Error())
	}
	n.lp, n.lzf = lp, nil
}

// decompressForUse is quicklistDecompressNodeForUse: the node is to be
// compressed again once the operation is done with it.
func decompressForUse(n *qlNode) {
	if n != nil && n.lzf != nil {
		decompressNode(n)
		n.recompress = true
	}
}

// recompressOnly is quicklistRecompressOnly.
func recompressOnly(n *qlNode) {
	if n.recompress {
		compressIfRaw(n)
	}
}

// compressAround is __quicklistCompress: the compress-depth nodes at each
// end are made raw, and node (when beyond them) and the first node past
// the depth on each side are compressed.
func (ql *quicklist) compressAround(node *qlNode) {
	if ql.len == 0 || ql.compress == 0 || ql.len < ql.compress*2 {
		return
	}
	forward, reverse := ql.head, ql.tail
	inDepth := false
	for depth := 0; depth < ql.compress; depth++ {
		decompressNode(forward)
		decompressNode(reverse)
		if forward == node || reverse == node {
			inDepth = true
		}
		if forward == reverse || forward.next == reverse {
			return
		}
		forward, reverse = forward.next, reverse.prev
	}
	if !inDepth && node != nil {
		compressIfRaw(node)
	}
	compressIfRaw(forward)
	compressIfRaw(reverse)
}

// compressNodeOf is the quicklistCompress macro.
func (ql *quicklist) compressNodeOf(n *qlNode) {
	if n.recompress {
		compressIfRaw(n)
	} else {
		ql.compressAround(n)
	}
}

// insertNode is __quicklistInsertNode: nn goes after (or before) old, and
// both are then compressed as their places call for.
func (ql *quicklist) insertNode(old, nn *qlNode, after bool) {
	if after {
		nn.prev = old
		if old != nil {
			nn.next = old.next
			if old.next != nil {
				old.next.prev = nn
			}
			old.next = nn
		}
		if ql.tail == old {
			ql.tail = nn
		}
	} else {
		nn.next = old
		if old != nil {
			nn.prev = old.prev
			if old.prev != nil {
				old.prev.next = nn
			}
			old.prev = nn
		}
		if ql.head == old {
			ql.head = nn
		}
	}
	if ql.len == 0 {
		ql.head, ql.tail = nn, nn
	}
	ql.len++
	if old != nil {
		ql.compressNodeOf(old)
	}
	ql.compressNodeOf(nn)
}

// delNode is __quicklistDelNode.
func (ql *quicklist) delNode(n *qlNode) {
	if n.next != nil {
		n.next.prev = n.prev
	}
	if n.prev != nil {
		n.prev.next = n.next
	}
	if n == ql.tail {
		ql.tail = n.prev
	}
	if n == ql.head {
		ql.head = n.next
	}
	ql.len--
	ql.count -= n.count
	ql.compressAround(nil)
	n.prev, n.next = nil, nil
}

// newPackedNode is a raw node holding the one element v.
func newPackedNode(v []byte) *qlNode {
	lp := listpack.Prepend(listpack.New(), v)
	return &qlNode{lp: lp, sz: len(lp), count: 1}
}

// newPlainNode is __quicklistCreatePlainNode.
func newPlainNode(v []byte) *qlNode {
	b := append([]byte(nil), v...)
	return &qlNode{lp: b, sz: len(b), count: 1, plain: true}
}

// nodePrepend and nodeAppend are lpPrepend and lpAppend on a raw node.
func nodePrepend(n *qlNode, v []byte) {
	n.count++
	n.lp = listpack.Prepend(n.lp, v)
	n.sz = len(n.lp)
}

func nodeAppend(n *qlNode, v []byte) {
	n.count++
	n.lp = listpack.Append(n.lp, v)
	n.sz = len(n.lp)
}

// pushHead is quicklistPushHead.
func (ql *quicklist) pushHead(v []byte) {
	if isLargeElement(len(v)) {
		ql.insertNode(ql.head, newPlainNode(v), false)
		ql.count++
		return
	}
	if ql.allowInsert(ql.head, len(v)) {
		nodePrepend(ql.head, v)
	} else {
		ql.insertNode(ql.head, newPackedNode(v), false)
	}
	ql.count++
}

// pushTail is quicklistPushTail.
func (ql *quicklist) pushTail(v []byte) {
	if isLargeElement(len(v)) {
		ql.insertNode(ql.tail, newPlainNode(v), true)
		ql.count++
		return
	}
	if ql.allowInsert(ql.tail, len(v)) {
		nodeAppend(ql.tail, v)
	} else {
		ql.insertNode(ql.tail, newPackedNode(v), true)
	}
	ql.count++
}

// push is listTypePush: head when head is true.
func (ql *quicklist) push(v []byte, head bool) {
	if head {
		ql.pushHead(v)
	} else {
		ql.pushTail(v)
	}
}

// delIndex is quicklistDelIndex: removes the entry at p of n and reports
// whether the node went away.
func (ql *quicklist) delIndex(n *qlNode, p int) bool {
	if n.plain {
		ql.delNode(n)
		return true
	}
	n.lp, _ = listpack.Delete(n.lp, p)
	n.count--
	gone := false
	if n.count == 0 {
		gone = true
		ql.delNode(n)
	} else {
		n.sz = len(n.lp)
	}
	ql.count--
	return gone
}

// nodeValue appends the element at p of n (a plain node's element when
// plain) to dst.
func nodeValue(dst []byte, n *qlNode, p int) []byte {
	if n.plain {
		return append(dst, n.lp...)
	}
	var buf [20]byte
	return append(dst, listpack.GetBytes(n.lp, p, &buf)...)
}

// pop is quicklistPop: removes the first (head) or last element and
// appends it to dst; ok is false for an empty list.
func (ql *quicklist) pop(dst []byte, head bool) ([]byte, bool) {
	n := ql.tail
	if head {
		n = ql.head
	}
	if ql.count == 0 || n == nil {
		return dst, false
	}
	// The head and tail are never compressed.
	decompressNode(n)
	p := 0
	if !n.plain {
		if head {
			p = listpack.First(n.lp)
		} else {
			p = listpack.Last(n.lp)
		}
	}
	dst = nodeValue(dst, n, p)
	ql.delIndex(n, p)
	return dst, true
}

// qlIter is a quicklistIter: p is the current entry's position in
// current's listpack, -1 when it must be found again from offset.
type qlIter struct {
	ql      *quicklist
	current *qlNode
	p       int
	offset  int
	forward bool // AL_START_HEAD: towards the tail
}

// iterAt is quicklistGetIteratorAtIdx: an iterator positioned at element
// idx (negative: from the tail), moving towards the tail when forward, or
// nil when idx is out of range.
func (ql *quicklist) iterAt(idx int, forward bool) *qlIter {
	fwdIdx := idx >= 0
	index := idx
	if !fwdIdx {
		index = -idx - 1
	}
	if index >= ql.count {
		return nil
	}
	seekFwd, seekIdx := fwdIdx, index
	if index > (ql.count-1)/2 {
		seekFwd, seekIdx = !fwdIdx, ql.count-1-index
	}
	n := ql.tail
	if seekFwd {
		n = ql.head
	}
	accum := 0
	for n != nil && accum+n.count <= seekIdx {
		accum += n.count
		if seekFwd {
			n = n.next
		} else {
			n = n.prev
		}
	}
	if n == nil {
		return nil
	}
	if seekFwd != fwdIdx {
		accum = ql.count - n.count - accum
	}
	it := &qlIter{ql: ql, current: n, p: -1, forward: forward}
	if fwdIdx {
		it.offset = index - accum
	} else {
		it.offset = -index - 1 + accum
	}
	return it
}

// next is quicklistNext: it moves to the next element and returns its
// node and position; ok is false at the end.
func (it *qlIter) next() (n *qlNode, p int, ok bool) {
	for it != nil && it.current != nil {
		n = it.current
		switch {
		case it.p < 0:
			decompressForUse(n)
			if n.plain {
				it.p = 0
			} else {
				it.p = listpack.Seek(n.lp, it.offset)
			}
		case n.plain:
			it.p = -1
		case it.forward:
			it.p = listpack.Next(n.lp, it.p)
			it.offset++
		default:
			it.p = listpack.Prev(n.lp, it.p)
			it.offset--
		}
		if it.p >= 0 {
			return n, it.p, true
		}
		// This node is done: the next or previous one.
		it.ql.compressNodeOf(n)
		if it.forward {
			it.current, it.offset = n.next, 0
		} else {
			it.current, it.offset = n.prev, -1
		}
		it.p = -1
	}
	return nil, -1, false
}

// release is quicklistReleaseIterator.
func (it *qlIter) release() {
	if it != nil && it.current != nil {
		it.ql.compressNodeOf(it.current)
	}
}

// delEntry is quicklistDelEntry: deletes the element next returned.
func (it *qlIter) delEntry(n *qlNode, p int) {
	prev, next := n.prev, n.next
	gone := it.ql.delIndex(n, p)
	it.p = -1
	if gone {
		if it.forward {
			it.current, it.offset = next, 0
		} else {
			it.current, it.offset = prev, -1
		}
	}
}

// index returns element idx appended to dst (quicklistGetIteratorEntryAtIdx).
func (ql *quicklist) index(dst []byte, idx int) ([]byte, bool) {
	it := ql.iterAt(idx, false)
	if it == nil {
		return dst, false
	}
	n, p, _ := it.next()
	dst = nodeValue(dst, n, p)
	it.release()
	return dst, true
}

// replaceAtIndex is quicklistReplaceAtIndex (7.0: a packed node is
// rewritten in place, whatever the new size).
func (ql *quicklist) replaceAtIndex(idx int, v []byte) bool {
	it := ql.iterAt(idx, false)
	if it == nil {
		return false
	}
	n, p, _ := it.next()
	switch {
	case !n.plain && !isLargeElement(len(v)):
		n.lp, _ = listpack.Replace(n.lp, p, v)
		n.sz = len(n.lp)
		ql.compressNodeOf(n)
	case n.plain && isLargeElement(len(v)):
		n.lp = append([]byte(nil), v...)
		n.sz = len(v)
		ql.compressNodeOf(n)
	case n.plain:
		ql.insert(it, n, p, it.offset, v, true)
		ql.delNode(n)
	default:
		ql.insert(it, n, p, it.offset, v, true)
		ql.delIndex(n, p)
	}
	// The iterator is spent (resetIterator in 7.0): nothing to release.
	return true
}

// splitNode is _quicklistSplitNode: node keeps the elements up to offset
// (after) or from offset (before); the new node gets the rest.
func splitNode(n *qlNode, offset int, after bool) *qlNode {
	nn := &qlNode{lp: append([]byte(nil), n.lp...), sz: n.sz, count: n.count}
	if offset < 0 {
		offset += n.count
	}
	origStart, origExtent := 0, offset
	newStart, newExtent := offset, n.count
	if after {
		origStart, origExtent = offset+1, n.count
		newStart, newExtent = 0, offset+1
	}
	n.lp = listpack.DeleteRange(n.lp, origStart, origExtent)
	n.count = listpack.Len(n.lp)
	n.sz = len(n.lp)
	nn.lp = listpack.DeleteRange(nn.lp, newStart, newExtent)
	nn.count = listpack.Len(nn.lp)
	nn.sz = len(nn.lp)
	return nn
}

// mergeListpacks is _quicklistListpackMerge: b's elements join a's (lpMerge
// keeps the larger listpack), the emptied node is deleted and the kept one
// returned.
func (ql *quicklist) mergeListpacks(a, b *qlNode) *qlNode {
	decompressNode(a)
	decompressNode(b)
	keep, drop := a, b
	if b.sz > a.sz {
		keep, drop = b, a
	}
	merged := listpack.Merge(a.lp, b.lp)
	keep.lp, keep.count, keep.sz = merged, listpack.Len(merged), len(merged)
	drop.count = 0
	ql.delNode(drop)
	ql.compressNodeOf(keep)
	return keep
}

// mergeNodes is _quicklistMergeNodes around center.
func (ql *quicklist) mergeNodes(center *qlNode) {
	var prev, prevPrev, next, nextNext *qlNode
	if center.prev != nil {
		prev = center.prev
		prevPrev = prev.prev
	}
	if center.next != nil {
		next = center.next
		nextNext = next.next
	}
	if ql.allowMerge(prev, prevPrev) {
		ql.mergeListpacks(prevPrev, prev)
	}
	if ql.allowMerge(next, nextNext) {
		ql.mergeListpacks(next, nextNext)
	}
	target := center
	if ql.allowMerge(center, center.prev) {
		target = ql.mergeListpacks(center.prev, center)
	}
	if ql.allowMerge(target, target.next) {
		ql.mergeListpacks(target, target.next)
	}
}

// insert is _quicklistInsert: v goes after (or before) the entry at p of
// n, which the iterator returned at offset.
func (ql *quicklist) insert(it *qlIter, n *qlNode, p, offset int, v []byte, after bool) {
	it.current = nil // resetIterator: the iterator is spent
	sz := len(v)
	full := !ql.allowInsert(n, sz)
	atTail, atHead, availNext, availPrev := false, false, false, false
	if after && (offset == n.count-1 || offset == -1) {
		atTail = true
		availNext = ql.allowInsert(n.next, sz)
	}
	if !after && (offset == 0 || offset == -n.count) {
		atHead = true
		availPrev = ql.allowInsert(n.prev, sz)
	}
	if isLargeElement(sz) {
		if n.plain || (atTail && after) || (atHead && !after) {
			ql.insertNode(n, newPlainNode(v), after)
		} else {
			decompressForUse(n)
			nn := splitNode(n, offset, after)
			plain := newPlainNode(v)
			ql.insertNode(n, plain, after)
			ql.insertNode(plain, nn, after)
		}
		ql.count++
		return
	}
	switch {
	case !full:
		decompressForUse(n)
		where := listpack.Before
		if after {
			where = listpack.After
		}
		n.count++
		n.lp, _ = listpack.Insert(n.lp, v, p, where)
		n.sz = len(n.lp)
		recompressOnly(n)
	case atTail && availNext && after:
		nn := n.next
		decompressForUse(nn)
		nodePrepend(nn, v)
		recompressOnly(nn)
		recompressOnly(n)
	case atHead && availPrev && !after:
		nn := n.prev
		decompressForUse(nn)
		nodeAppend(nn, v)
		recompressOnly(nn)
		recompressOnly(n)
	case (atTail && !availNext && after) || (atHead && !availPrev && !after):
		ql.insertNode(n, newPackedNode(v), after)
	default:
		decompressForUse(n)
		nn := splitNode(n, offset, after)
		if after {
			nodePrepend(nn, v)
		} else {
			nodeAppend(nn, v)
		}
		ql.insertNode(n, nn, after)
		ql.mergeNodes(n)
	}
	ql.count++
}

// delRange is quicklistDelRange: removes count elements from start
// (negative: from the tail), clamped to the list.
func (ql *quicklist) delRange(start, count int) {
	if count <= 0 {
		return
	}
	extent := count
	if start >= 0 && extent > ql.count-start {
		extent = ql.count - start
	} else if start < 0 && extent > -start {
		extent = -start
	}
	it := ql.iterAt(start, true)
	if it == nil {
		return
	}
	n, offset := it.current, it.offset
	for extent > 0 {
		next := n.next
		var del int
		entire := false
		switch {
		case offset == 0 && extent >= n.count:
			entire, del = true, n.count
		case offset >= 0 && extent+offset >= n.count:
			del = n.count - offset
		case offset < 0:
			del = min(-offset, extent)
		default:
			del = extent
		}
		if entire || n.plain {
			ql.delNode(n)
		} else {
			decompressForUse(n)
			n.lp = listpack.DeleteRange(n.lp, offset, del)
			n.sz = len(n.lp)
			n.count -= del
			ql.count -= del
			if n.count == 0 {
				ql.delNode(n)
			} else {
				recompressOnly(n)
			}
		}
		extent -= del
		n, offset = next, 0
	}
}

// memory is objectComputeSize for the list, as MEMORY USAGE's default of
// 5 samples computes it: the robj and quicklist structs plus the average
// of the first five nodes (node struct and listpack or LZF allocation)
// times the node count. O(1): at most five nodes are looked at.
func (ql *quicklist) memory() int64 {
	size := float64(robjSize + quicklistSize)
	if ql.head == nil {
		return int64(size)
	}
	var ele int64
	samples := 0
	for n := ql.head; n != nil && samples < 5; n = n.next {
		ele += quicklistNodeSize + n.alloc()
		samples++
	}
	return int64(size + float64(ele)/float64(samples)*float64(ql.len))
}

// alloc is zmalloc_size of the node's entry: the listpack (or plain
// element), or the quicklistLZF struct and its bytes.
func (n *qlNode) alloc() int64 {
	if n.lzf != nil {
		return jemallocSize(int64(quicklistLZFSize + len(n.lzf)))
	}
	return jemallocSize(int64(n.sz))
}

// each calls fn with every element from head to tail, as a read-only
// walk that leaves compression as it was (DEBUG DIGEST, COPY, RDB).
// The bytes passed are valid only during the call.
func (ql *quicklist) each(fn func(v []byte)) {
	for n := ql.head; n != nil; n = n.next {
		lp := n.lp
		if n.lzf != nil {
			lp, _ = librdb.LZFDecompress(make([]byte, 0, n.sz), n.lzf, n.sz)
		}
		if n.plain {
			fn(lp)
			continue
		}
		for _, v := range listpack.All(lp) {
			fn(v)
		}
	}
}

// dup is a deep copy with the same nodes and compression (quicklistDup).
func (ql *quicklist) dup() *quicklist {
	c := &quicklist{count: ql.count, fill: ql.fill, compress: ql.compress}
	for n := ql.head; n != nil; n = n.next {
		nn := &qlNode{sz: n.sz, count: n.count, plain: n.plain, recompress: n.recompress}
		if n.lzf != nil {
			nn.lzf = append([]byte(nil), n.lzf...)
		} else {
			nn.lp = append([]byte(nil), n.lp...)
		}
		nn.prev = c.tail
		if c.tail != nil {
			c.tail.next = nn
		} else {
			c.head = nn
		}
		c.tail = nn
		c.len++
	}
	return c
}
