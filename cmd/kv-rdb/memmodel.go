package main

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/kvkit/kvkit/librdb"

	"github.com/kvkit/kvkit/internal/sds"
)

// The memory model is Redis 7.0's own (object.c objectComputeSize, as
// MEMORY USAGE key SAMPLES 0 reports it, 64-bit, jemalloc): the dictionary
// entry, the key's sds and the value in the encoding Redis 7.0 gives it
// after loading, allocations rounded to jemalloc's size classes.
const memoryModelDoc = "The estimate is what MEMORY USAGE key SAMPLES 0 reports in Redis 7.0 (64-bit, jemalloc) once the\n" +
	"file is loaded: the dictionary entry, the key's sds string and the value in the encoding Redis 7.0\n" +
	"gives it (robj, sds strings, listpacks, quicklist nodes, intsets, hash tables, skiplist nodes,\n" +
	"stream nodes, radix trees and consumer groups), each allocation rounded up to the allocator's\n" +
	"size class. Like MEMORY USAGE it leaves out the expires entry, the main table's bucket,\n" +
	"allocator fragmentation and metadata; stream listpacks are rebuilt from the entries, so\n" +
	"deleted-but-not-reclaimed entries are not counted."

// mallocSize rounds n up to jemalloc's size class (4 classes per doubling
// above 128 bytes, 16-byte spacing below).
func mallocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	b := bits.Len(uint(n - 1))
	spacing := 1 << (b - 3)
	return (n + spacing - 1) &^ (spacing - 1)
}

// sdsSize is the allocation of an sds string of n bytes (sds.h header
// types 5/8/16/32/64 plus the terminating NUL).
func sdsSize(n int) int {
	h := 9
	switch {
	case n == 0:
		h = 3 // empty strings are type 8 (sds.c)
	case n < 32:
		h = 1
	case n < 256:
		h = 3
	case n < 65536:
		h = 5
	}
	return mallocSize(h + n + 1)
}

// lpEntrySize is the size of s as a listpack entry (listpack.c).
func lpEntrySize(s []byte) int {
	if v, ok := sds.ParseInt(s); ok {
		return lpIntSize(v) + 1
	}
	n := len(s)
	h := 5
	switch {
	case n < 64:
		h = 1
	case n < 4096:
		h = 2
	}
	l := h + n
	return l + backlenSize(l)
}

func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

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

// sizeof() of Redis 7.0 structures (64-bit), as objectComputeSize adds
// them (unrounded).
const (
	robjSize      = 16
	dictEntrySize = 24
	dictSize      = 56
	quicklistSize = 40
	qlNodeSize    = 32
	lpHeader      = 7
	zsetSize      = 16 + 32 // struct zset + struct zskiplist
	zslHeader     = 640     // header node with 32 levels (536 bytes) in its class
	zslNodeAvg    = 52      // zmalloc_size of a node at the average 1.33 levels
	streamSize    = 80
	streamCGSize  = 40
	consumerSize  = 24
	raxNodeCost   = 4 + 8*30 // sizeof(raxNode) + the fixed overhead streamRadixTreeMemoryUsage adds
)

// dictTable is the bucket array of a dict holding n entries (dictExpand to
// the next power of two, at least 4), unrounded as objectComputeSize counts.
func dictTable(n int) int {
	if n == 0 {
		return 0
	}
	b := 4
	for b < n {
		b <<= 1
	}
	return 8 * b
}

// raxUsage is streamRadixTreeMemoryUsage for a rax of n 16-byte stream IDs.
// The node count is fitted to Redis 7.0 streams: the head alone when
// empty, 2 nodes for one key, 16 for 6 keys.
func raxUsage(n int) int {
	nodes := 1
	if n > 0 {
		nodes = 1 + n + 9*(n-1)/5
	}
	return n*16 + nodes*raxNodeCost
}

// estimate is one key's memory report.
type estimate struct {
	size     int64
	encoding string
	elements int64
	largest  int64 // length of the largest element (string length for strings)
}

// estimator accumulates one key's estimate from the visitor's value calls.
type estimator struct {
	shape    librdb.Shape
	k        *librdb.Key
	largest  int
	lpBytes  int // listpack bytes of the compact form
	htBytes  int // entries of the hashtable/skiplist form
	ints     bool
	minInt   int64
	maxInt   int64
	nodes    int // quicklist nodes
	nodeFill int // bytes in the current quicklist node
	qlBytes  int
	strSize  int
	stream   int
	module   int64
	// stream node simulation
	nodeEntries int
	master      []string
	first       librdb.StreamID
}

func (e *estimator) begin(k *librdb.Key) {
	*e = estimator{k: k, ints: true}
	e.shape.Reset(k)
}

func (e *estimator) str(v []byte) {
	e.shape.String(v)
	e.largest = len(v)
}

func (e *estimator) trackInt(s []byte) {
	if !e.ints {
		return
	}
	v, ok := sds.ParseInt(s)
	if !ok {
		e.ints = false
		return
	}
	if e.shape.Len == 1 || v < e.minInt {
		e.minInt = v
	}
	if e.shape.Len == 1 || v > e.maxInt {
		e.maxInt = v
	}
}

// elem records a list element or set member.
func (e *estimator) elem(s []byte) {
	e.shape.Element(s)
	e.largest = max(e.largest, len(s))
	sz := lpEntrySize(s)
	if e.shape.Kind == librdb.KindList {
		if e.nodes == 0 || e.nodeFill+sz > librdb.ListMaxListpackBytes {
			if e.nodes > 0 {
				e.qlBytes += mallocSize(e.nodeFill + lpHeader)
			}
			e.nodes++
			e.nodeFill = 0
		}
		e.nodeFill += sz
		return
	}
	e.trackInt(s)
	e.htBytes += dictEntrySize + sdsSize(len(s))
}

// pair records a hash field/value or a zset member/score.
func (e *estimator) pair(a, b []byte) {
	e.shape.Pair(a, b)
	e.largest = max(e.largest, len(a), len(b))
	e.lpBytes += lpEntrySize(a) + lpEntrySize(b)
	if e.shape.Kind == librdb.KindZSet {
		// dict entry + skiplist node + member sds (shared by both).
		e.htBytes += dictEntrySize + zslNodeAvg + sdsSize(len(a))
	} else {
		e.htBytes += dictEntrySize + sdsSize(len(a)) + sdsSize(len(b))
	}
}

var scoreBuf []byte

func (e *estimator) zmember(m []byte, score float64) {
	// As d2string (util.c) stores it: integers below 2^52 as integers,
	// others as %.17g.
	switch {
	case score == math.Trunc(score) && math.Abs(score) < 1<<52:
		scoreBuf = strconv.AppendInt(scoreBuf[:0], int64(score), 10)
	case math.IsInf(score, 0):
		scoreBuf = append(scoreBuf[:0], "-inf"[:3+int(math.Float64bits(score)>>63)]...)
	default:
		scoreBuf = strconv.AppendFloat(scoreBuf[:0], score, 'g', 17, 64)
	}
	e.pair(m, scoreBuf)
}

// streamEntry adds an entry to a simulated listpack node, built as
// streamAppendItem does (t_stream.c): a new node, whose master entry holds
// the first entry's fields, after 100 entries or 4096 bytes.
func (e *estimator) streamEntry(se *librdb.StreamEntry) {
	e.shape.Len++
	nf := len(se.Fields) / 2
	if e.nodeEntries == 0 || e.nodeEntries >= 100 || e.nodeFill >= 4096 {
		if e.nodeEntries > 0 {
			e.stream += e.nodeFill
		}
		e.nodes++
		e.nodeEntries = 0
		e.master = e.master[:0]
		// header, count, deleted, field count, fields, terminating 0, end
		e.nodeFill = 6 + 2 + 2 + 2 + 2 + 1
		for i := 0; i < nf; i++ {
			e.master = append(e.master, string(se.Fields[2*i]))
			e.nodeFill += lpEntrySize(se.Fields[2*i])
		}
		e.first = se.ID
	}
	e.nodeEntries++
	same := len(e.master) == nf
	for i := 0; same && i < nf; i++ {
		same = e.master[i] == string(se.Fields[2*i])
	}
	n := 2 + lpIntSize(int64(se.ID.Ms-e.first.Ms)) + 1 + lpIntSize(int64(se.ID.Seq-e.first.Seq)) + 1 + 2 // flags, ms, seq, lp-count
	for i := 0; i < nf; i++ {
		if !same {
			n += lpEntrySize(se.Fields[2*i])
		}
		n += lpEntrySize(se.Fields[2*i+1])
		e.largest = max(e.largest, len(se.Fields[2*i]), len(se.Fields[2*i+1]))
	}
	if !same {
		n += 2 // field count
	}
	e.nodeFill += n
}

func (e *estimator) streamMeta(m *librdb.StreamMeta) {
	if e.nodeEntries > 0 {
		e.stream += e.nodeFill
	}
	e.stream += streamSize + raxUsage(e.nodes)
	for _, g := range m.Groups {
		e.stream += streamCGSize + raxUsage(len(g.Pending)) + 32*len(g.Pending)
		for _, c := range g.Consumers {
			e.stream += consumerSize + len(c.Name) + raxUsage(len(c.Pending))
		}
	}
}

// end returns the estimate for the key.
func (e *estimator) end() estimate {
	k := e.k
	size := dictEntrySize + sdsSize(len(k.Key)) + robjSize
	enc := e.shape.Encoding70()
	switch enc {
	case "int":
		// the value lives in the robj's pointer
	case "embstr":
		size += mallocSize(robjSize+3+e.shape.Len+1) - robjSize
	case "raw":
		size += sdsSize(e.shape.Len)
	case "quicklist":
		if e.nodes > 0 {
			e.qlBytes += mallocSize(e.nodeFill + lpHeader)
		}
		size += quicklistSize + e.nodes*qlNodeSize + e.qlBytes
	case "listpack":
		size += mallocSize(e.lpBytes + lpHeader)
	case "intset":
		w := 2
		if e.minInt < -2147483648 || e.maxInt > 2147483647 {
			w = 8
		} else if e.minInt < -32768 || e.maxInt > 32767 {
			w = 4
		}
		size += mallocSize(8 + w*e.shape.Len)
	case "hashtable":
		size += dictSize + dictTable(e.shape.Len) + e.htBytes
	case "skiplist":
		size += zsetSize + dictSize + dictTable(e.shape.Len) + zslHeader + e.htBytes
	case "stream":
		size += e.stream
	case "module":
		size += int(e.module)
	}
	n := int64(e.shape.Len)
	if e.shape.Kind == librdb.KindString {
		n = 1
	}
	return estimate{size: int64(size), encoding: enc, elements: n, largest: int64(e.largest)}
}

func (e *estimator) moduleValue(m *librdb.Module) { e.module = m.Size }

// feed passes one recorded or live value call to the estimator.
type estimatingVisitor struct {
	librdb.NopVisitor
	est estimator
}

func (v *estimatingVisitor) BeginKey(k *librdb.Key) error { v.est.begin(k); return nil }
func (v *estimatingVisitor) StringValue(_ *librdb.Key, s []byte) error {
	v.est.str(s)
	return nil
}
func (v *estimatingVisitor) ListElement(_ *librdb.Key, e []byte) error { v.est.elem(e); return nil }
func (v *estimatingVisitor) SetMember(_ *librdb.Key, m []byte) error   { v.est.elem(m); return nil }
func (v *estimatingVisitor) HashField(_ *librdb.Key, f, val []byte, _ int64) error {
	v.est.pair(f, val)
	return nil
}
func (v *estimatingVisitor) ZSetMember(_ *librdb.Key, m []byte, s float64) error {
	v.est.zmember(m, s)
	return nil
}
func (v *estimatingVisitor) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	v.est.streamEntry(e)
	return nil
}
func (v *estimatingVisitor) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	v.est.streamMeta(m)
	return nil
}
func (v *estimatingVisitor) ModuleValue(_ *librdb.Key, m *librdb.Module) error {
	v.est.moduleValue(m)
	return nil
}
