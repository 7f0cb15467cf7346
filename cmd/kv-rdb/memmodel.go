package main

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/kvkit/kvkit/librdb"
)

// The memory model: what a key would use in a Redis 7.0 server on 64-bit
// Linux with jemalloc, for the encoding Redis 7.0 gives it after loading.
// Counted: the main dictionary entry and bucket, the key's sds, the value's
// robj, the expires entry, and the value's own allocations (sds strings,
// listpacks, quicklist nodes, intsets, dict tables and entries, skiplist
// nodes, stream listpack nodes, rax nodes and consumer groups), each
// rounded up to jemalloc's size class. Not counted: allocator metadata,
// fragmentation, client buffers, replication backlog, the shared integer
// objects' savings beyond the robj itself.
const memoryModelDoc = "The estimate is what the key would use in a Redis 7.0 server (64-bit, jemalloc) in the encoding\n" +
	"Redis 7.0 gives it after loading: dictionary entries and buckets, the key and value objects, sds\n" +
	"strings, listpacks, quicklist nodes, intsets, hash tables, skiplist nodes and stream nodes, each\n" +
	"rounded up to the allocator's size class. Fragmentation and allocator metadata are not counted."

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
	if v, ok := librdb.ParseInt64(s); ok {
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

const (
	robjSize      = 16
	dictEntrySize = 32 // 24 bytes, jemalloc class 32
	dictSize      = 64 // struct dict (56) in its class
	quicklistSize = 48
	qlNodeSize    = 32
	lpHeader      = 7
)

func dictTable(n int) int {
	if n == 0 {
		return 0
	}
	b := 4
	for b < n {
		b <<= 1
	}
	return mallocSize(8 * b)
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
	v, ok := librdb.ParseInt64(s)
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
		// dict entry + skiplist node (average 1.33 levels) + member sds.
		e.htBytes += dictEntrySize + mallocSize(24+16*2) + sdsSize(len(a))
	} else {
		e.htBytes += dictEntrySize + sdsSize(len(a)) + sdsSize(len(b))
	}
}

var scoreBuf []byte

func (e *estimator) zmember(m []byte, score float64) {
	// The listpack stores integral scores as integers, others as text.
	if score == math.Trunc(score) && math.Abs(score) < 1<<53 {
		scoreBuf = strconv.AppendInt(scoreBuf[:0], int64(score), 10)
	} else {
		scoreBuf = strconv.AppendFloat(scoreBuf[:0], score, 'g', -1, 64)
	}
	e.pair(m, scoreBuf)
}

func (e *estimator) streamEntry(se *librdb.StreamEntry) {
	e.shape.Len++
	n := 4 // flags, ms-diff, seq-diff, lp-count
	for _, f := range se.Fields {
		n += lpEntrySize(f)
		e.largest = max(e.largest, len(f))
	}
	e.stream += n
}

func (e *estimator) streamMeta(m *librdb.StreamMeta) {
	// Listpack nodes of at most 4 KiB (stream-node-max-bytes) with a rax
	// node each, the stream struct, groups, PEL entries and consumers.
	nodes := e.stream/4096 + 1
	e.stream += nodes*(lpHeader+64) + 64
	for _, g := range m.Groups {
		e.stream += 128 + sdsSize(len(g.Name)) + len(g.Pending)*(32+48)
		for _, c := range g.Consumers {
			e.stream += 64 + sdsSize(len(c.Name)) + len(c.Pending)*48
		}
	}
}

// end returns the estimate for the key.
func (e *estimator) end() estimate {
	k := e.k
	size := dictEntrySize + 8 + sdsSize(len(k.Key)) + robjSize
	if k.Expire >= 0 {
		size += dictEntrySize + 8
	}
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
		size += 16 + dictSize + dictTable(e.shape.Len) + 640 + e.htBytes
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
