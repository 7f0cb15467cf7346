package libkv

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unsafe"

	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/librdb"
)

// ObjType is a value's type as TYPE reports it (Redis 7.0 server.h OBJ_*).
type ObjType uint8

// Value types.
const (
	TypeString ObjType = iota
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

var typeNames = [...]string{"string", "list", "set", "zset", "hash", "stream"}

func (t ObjType) String() string { return typeNames[t] }

// code is the type's number in Redis (server.h OBJ_*), where OBJ_MODULE
// (5) sits before OBJ_STREAM (6); DEBUG DIGEST mixes it in.
func (t ObjType) code() uint32 {
	if t == TypeStream {
		return 6
	}
	return uint32(t)
}

// valueType is what the engine needs of a list, set, sorted set or hash
// value beyond its commands; each type's t_*.go file fills in its entry.
// The value itself hangs from Object.ptr, as the type's file defines it.
type valueType struct {
	// memory is valueMemory for the type: objectComputeSize, robj
	// included, in O(1).
	memory func(o *Object) int64
	// dup is a deep copy with the same encoding (COPY: Redis's dup*Object).
	dup func(o *Object) *Object
	// digest mixes the value into a key's DEBUG DIGEST chain as debug.c's
	// xorObjectDigest does for the type.
	digest func(d *[20]byte, o *Object)
	// rdbLen is rdbSavedObjectLen: DEBUG OBJECT's serializedlength, with
	// rdbcompression on or off.
	rdbLen func(o *Object, compress bool) int64
	// debugObject, when set, is what DEBUG OBJECT appends after its common
	// fields (the quicklist's " ql_nodes:..." for lists).
	debugObject func(o *Object) string
	// rdbValue fills v (zeroed by the caller) for librdb's Encoder, which
	// SAVE, BGSAVE, DEBUG RELOAD and DUMP use: v.Kind and the field of
	// that kind (Elems of a list in order or of a set; Fields of a hash;
	// Members of a sorted set, any order; Entries and Stream of a stream),
	// or, as Redis writes its in-memory encoding, v.Nodes (a list's
	// quicklist nodes) or v.Blob (an intset, a listpack hash or sorted
	// set) as they are. Readers of v must therefore expand Nodes and Blob.
	// It runs under the engine lock and the value is encoded before the
	// lock is released, so v's slices may alias o's memory; it must not
	// change o (a snapshot reads values that clients still see). The
	// Encoder picks the RDB encoding Redis 7.0 would (librdb/encoder.go).
	rdbValue func(o *Object, v *librdb.Value)
	// rdbLoad starts a value of the type for a key read from an RDB file
	// or a RESTORE payload (k gives its RDB type, encoding, expiry and
	// LRU/LFU data). The returned rdbBuilder (rdb.go) receives the key's
	// element calls and then finish. A type without rdbLoad makes a file
	// or payload holding a non-empty value of it fail with "type <name>
	// not supported yet".
	rdbLoad func(s *Server, k *librdb.Key) rdbBuilder
}

// valueTypes holds each aggregate type's valueType, indexed by ObjType.
var valueTypes [TypeStream + 1]*valueType

// Encoding is a value's in-memory representation as OBJECT ENCODING names
// it (Redis 7.0 object.c strEncoding).
type Encoding uint8

// Encodings, with Redis's names.
const (
	EncRaw Encoding = iota
	EncInt
	EncEmbstr
	EncHashtable
	EncQuicklist
	EncListpack
	EncIntset
	EncSkiplist
	EncStream
)

var encNames = [...]string{"raw", "int", "embstr", "hashtable", "quicklist", "listpack", "intset", "skiplist", "stream"}

func (e Encoding) String() string { return encNames[e] }

// embstrMax is OBJ_ENCODING_EMBSTR_SIZE_LIMIT: strings up to 44 bytes are
// embstr, longer ones raw.
const embstrMax = 44

// Object is a value in the keyspace, 24 bytes as Redis's robj is 16: the
// per-key cost, and the garbage collector's work, grow with its size. A
// string keeps its bytes behind ptr (length n, capacity c; see str and
// setStr), an int-encoded one as its canonical decimal form so that replies
// need no formatting; other types will keep their structure behind ptr.
// lru holds the 24-bit LRU clock or the LFU data, as Redis's robj.
// maxStringLen is the longest string an Object holds (its length field is
// 32 bits); proto-max-bulk-len beyond it is capped to it.
const maxStringLen = 1<<32 - 1

type Object struct {
	typ ObjType
	enc Encoding
	// private marks an int-encoded string in the shared-integer range
	// that Redis nevertheless holds in an object of its own, with
	// refcount 1: a COPY (dupStringObject) or a value stored while an LRU
	// or LFU maxmemory policy forbids sharing. See refcount.
	private bool
	// sds is a raw string's sds header type (sdsType5...): with the
	// capacity it gives the allocation Redis would have for the value.
	sds  uint8
	lru  uint32
	ptr  unsafe.Pointer
	n, c uint32 // a string's length and capacity: strings are at most 512 MB
}

// str returns a string object's bytes, owned by the object; appending
// within their capacity and calling setStr updates it in place.
func (o *Object) str() []byte { return unsafe.Slice((*byte)(o.ptr), o.c)[:o.n] }

// setStr makes b (not copied) the string object's bytes.
func (o *Object) setStr(b []byte) {
	o.ptr, o.n, o.c = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// newStringObject stores a copy of val, a command's argument, with the
// encoding Redis's tryObjectEncoding would choose: int for a canonical
// integer of at most 20 bytes, embstr up to 44 bytes, raw beyond. A raw
// value's allocation is the argument's (sdsnewlen, or for arguments of 32
// KB and more the query buffer sized for the bulk and its CRLF), less its
// free space when that exceeds a tenth of the length
// (trimStringObjectIfNeeded).
func newStringObject(val []byte) *Object {
	switch enc, t, alloc := stringLayout(val); enc {
	case EncInt:
		o := &Object{typ: TypeString, enc: EncInt}
		o.setStr(append([]byte(nil), val...))
		return o
	case EncEmbstr:
		return newRawString(append([]byte(nil), val...))
	default:
		return newSdsObject(val, t, alloc)
	}
}

// stringLayout is how newStringObject stores val: its encoding and, for a
// raw string, the sds header type and the allocation Redis would have.
func stringLayout(val []byte) (enc Encoding, t uint8, alloc int64) {
	if len(val) <= 20 {
		if _, ok := sds.ParseInt(val); ok {
			return EncInt, 0, 0
		}
	}
	if len(val) <= embstrMax {
		return EncEmbstr, 0, 0
	}
	n := int64(len(val))
	t, alloc = sdsNewAlloc(n)
	if n >= protoMbulkBigArg {
		t, alloc = sdsNewAlloc(n + 2)
	}
	if alloc-n > n/10 {
		alloc = n // sdsRemoveFreeSpace keeps the header type
	}
	return EncRaw, t, alloc
}

// protoMbulkBigArg is PROTO_MBULK_BIG_ARG: bulk arguments from this size
// are read into a query buffer of their own, which becomes the value.
const protoMbulkBigArg = 32 * 1024

// newRawString wraps b (not copied) as a string object, embstr or raw by
// length, as createStringObject; a raw one's allocation is sdsnewlen's.
func newRawString(b []byte) *Object {
	if len(b) <= embstrMax {
		o := &Object{typ: TypeString, enc: EncEmbstr}
		o.setStr(b)
		return o
	}
	t, alloc := sdsNewAlloc(int64(len(b)))
	return newSdsObject(b, t, alloc)
}

// newSdsObject is a raw string holding a copy of b in an sds of type t
// with room for alloc bytes.
func newSdsObject(b []byte, t uint8, alloc int64) *Object {
	o := &Object{typ: TypeString, enc: EncRaw, sds: t}
	buf := make([]byte, len(b), alloc)
	copy(buf, b)
	o.setStr(buf)
	return o
}

// sds header types (sds.h SDS_TYPE_5 ... SDS_TYPE_64).
const (
	sdsType5 uint8 = iota
	sdsType8
	sdsType16
	sdsType32
	sdsType64
)

// sdsReqType is sdsReqType: the smallest header for a length.
func sdsReqType(n int64) uint8 {
	switch {
	case n < 1<<5:
		return sdsType5
	case n < 1<<8:
		return sdsType8
	case n < 1<<16:
		return sdsType16
	case n < 1<<32:
		return sdsType32
	}
	return sdsType64
}

// sdsHdrSize is the header size of an sds type.
func sdsHdrSize(t uint8) int64 { return [...]int64{1, 3, 5, 9, 17}[t] }

// sdsTypeMax is the largest alloc an sds type can record.
func sdsTypeMax(t uint8) int64 {
	return [...]int64{1<<5 - 1, 1<<8 - 1, 1<<16 - 1, 1<<32 - 1, 1<<63 - 1}[t]
}

// sdsNewAlloc is sdsnewlen's type and alloc for a string of n bytes: the
// allocator's usable size less header and NUL (a type 5 header records
// no alloc: it is the length; an empty string gets type 8).
func sdsNewAlloc(n int64) (uint8, int64) {
	t := sdsReqType(n)
	if t == sdsType5 {
		if n > 0 {
			return t, n
		}
		t = sdsType8
	}
	return t, sdsUsable(t, n)
}

// sdsUsable is the alloc field after allocating an sds of type t for n
// bytes (s_malloc_usable): the size class, less header and NUL, capped
// at what the type can record.
func sdsUsable(t uint8, n int64) int64 {
	h := sdsHdrSize(t)
	return min(jemallocSize(h+n+1)-h-1, sdsTypeMax(t))
}

// makeRoomFor is sdsMakeRoomFor (greedy): when fewer than add bytes are
// free, the string moves to an sds for twice the needed length (plus 1 MB
// beyond 1 MB), never type 5.
func (o *Object) makeRoomFor(add int64) {
	n, alloc := int64(o.n), int64(o.c)
	if o.sds == sdsType5 {
		alloc = n
	}
	if alloc-n >= add {
		return
	}
	newlen := n + add
	if newlen < 1<<20 {
		newlen *= 2
	} else {
		newlen += 1 << 20
	}
	t := max(sdsReqType(newlen), sdsType8)
	buf := make([]byte, n, sdsUsable(t, newlen))
	copy(buf, o.str())
	o.setStr(buf)
	o.sds = t
}

// newIntObject is a string holding n, int encoded (as INCR stores results).
func newIntObject(n int64) *Object {
	o := &Object{typ: TypeString, enc: EncInt}
	o.setStr(strconv.AppendInt(nil, n, 10))
	return o
}

// intValue returns an int-encoded string's integer.
func (o *Object) intValue() int64 {
	n, _ := sds.ParseInt(o.str())
	return n
}

// strLen is the length of a string object's value.
func (o *Object) strLen() int { return int(o.n) }

// unshare makes a string object raw before it is modified in place
// (Redis's dbUnshareStringValue): an int or embstr value is copied into a
// new sds of its length (createRawStringObject), so APPEND and SETRANGE
// always leave raw strings behind.
func (o *Object) unshare() {
	if o.enc == EncRaw {
		return
	}
	t, alloc := sdsNewAlloc(int64(o.n))
	buf := make([]byte, o.n, alloc)
	copy(buf, o.str())
	o.setStr(buf)
	o.enc, o.sds, o.private = EncRaw, t, false
}

// OBJ_SHARED_INTEGERS and OBJ_SHARED_REFCOUNT (server.h): Redis stores the
// integers 0..9999 as shared objects, whose refcount is INT_MAX.
const (
	sharedIntegers = 10000
	sharedRefcount = 1<<31 - 1
)

// refcount is the object's reference count as OBJECT REFCOUNT and DEBUG
// OBJECT report it: shared integers have OBJ_SHARED_REFCOUNT, every other
// value (kvkit never shares values between keys) 1.
func (o *Object) refcount() int64 {
	if _, ok := o.sharedInt(); ok {
		return sharedRefcount
	}
	return 1
}

// sharedInt returns the value of a string Redis would hold as one of its
// shared integer objects.
func (o *Object) sharedInt() (int64, bool) {
	if o.enc != EncInt || o.private {
		return 0, false
	}
	n := o.intValue()
	return n, n >= 0 && n < sharedIntegers
}

// touch records an access to o (lookupKey's update): the LRU clock, or
// under an LFU policy the LFU counter (updateLFU). A shared integer's
// access data is its shared object's, so touching one key with the value
// 7 refreshes every key holding 7, as in Redis.
func (s *Server) touch(o *Object) {
	v := s.touched(s.lru(o))
	if n, ok := o.sharedInt(); ok {
		s.sharedLRU[n] = v
		return
	}
	o.lru = o.lru&^lruBits | v
}

// touched is the LRU field after an access that found it at lru.
func (s *Server) touched(lru uint32) uint32 {
	if s.lfuPolicy() {
		return s.lfuTime()<<8 | s.lfuLogIncr(s.lfuDecr(lru))
	}
	return s.lruClock
}

// created sets a new value's LRU field as createObject does: the LRU
// clock, or under an LFU policy the current minute and LFU_INIT_VAL. A
// shared integer keeps its shared object's. The value counts as already
// saved by a snapshot in progress (snapshot.go): it did not exist when
// the snapshot started.
func (s *Server) created(o *Object) {
	lru := o.lru & lruBits
	if _, ok := o.sharedInt(); !ok {
		lru = s.initialLRU()
	}
	o.lru = lru | s.snapParity
}

// lruBits are the bits of Object.lru that hold Redis's LRU or LFU data
// (LRU_BITS, 24); the bits above are the engine's (snapParity).
const lruBits = 1<<24 - 1

// initialLRU is createObject's LRU field for a new object.
func (s *Server) initialLRU() uint32 {
	if s.lfuPolicy() {
		return s.lfuTime()<<8 | lfuInitVal
	}
	return s.lruClock
}

// lru returns o's LRU field: its own or its shared object's.
func (s *Server) lru(o *Object) uint32 {
	if n, ok := o.sharedInt(); ok {
		return s.sharedLRU[n]
	}
	return o.lru & lruBits
}

// lfuInitVal is LFU_INIT_VAL: a new object's LFU counter.
const lfuInitVal = 5

// lfuPolicy reports whether maxmemory-policy is an LFU one: the LRU field
// then holds the minute of the last decrement (16 bits) and a logarithmic
// access counter (8 bits).
func (s *Server) lfuPolicy() bool { return strings.HasSuffix(s.conf.MaxmemoryPolicy, "-lfu") }

// lfuTime is LFUGetTimeInMinutes: the Unix time in minutes, 16 bits.
func (s *Server) lfuTime() uint32 { return uint32(s.now/60000) & 0xffff }

// lfuDecr is LFUDecrAndReturn: the counter of LRU field lru, less one for
// each lfu-decay-time minutes since its last update.
func (s *Server) lfuDecr(lru uint32) uint32 {
	ldt, counter := lru>>8, lru&0xff
	if s.conf.LfuDecayTime == 0 {
		return counter
	}
	now := s.lfuTime()
	elapsed := now - ldt
	if now < ldt {
		elapsed = 0xffff - ldt + now
	}
	if periods := elapsed / uint32(s.conf.LfuDecayTime); periods > 0 {
		if periods > counter {
			return 0
		}
		return counter - periods
	}
	return counter
}

// lfuLogIncr is LFULogIncr: the counter grows with probability
// 1/((counter-LFU_INIT_VAL)*lfu-log-factor+1), so always from 5 and below.
func (s *Server) lfuLogIncr(counter uint32) uint32 {
	if counter == 255 {
		return 255
	}
	base := max(float64(counter)-lfuInitVal, 0)
	if rand.Float64() < 1/(base*float64(s.conf.LfuLogFactor)+1) {
		counter++
	}
	return counter
}

// idleTime is estimateObjectIdleTime in seconds: the LRU clock's distance
// from o's. When the 24-bit clock has wrapped Redis computes
// clock + (LRU_CLOCK_MAX - lru), one second short of the modular distance;
// kept as is.
func (s *Server) idleTime(o *Object) int64 {
	const lruClockMax = 1<<24 - 1
	clock, lru := int64(s.lruClock), int64(s.lru(o))
	if clock >= lru {
		return clock - lru
	}
	return clock + (lruClockMax - lru)
}

// noSharedIntegers reports whether a maxmemory limit with an LRU or LFU
// policy is in force: Redis then gives every value its own object, since
// shared ones would share their LRU/LFU data (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
func (s *Server) noSharedIntegers() bool {
	p := s.conf.MaxmemoryPolicy
	return s.conf.Maxmemory != 0 && (strings.HasSuffix(p, "-lru") || strings.HasSuffix(p, "-lfu"))
}

// newString is newStringObject for a value a command stores (Redis's
// tryObjectEncoding), marking an int private when sharing is off.
func (s *Server) newString(val []byte) *Object {
	o := newStringObject(val)
	o.private = o.enc == EncInt && s.noSharedIntegers()
	return o
}

// newInt is newIntObject for INCR and friends
// (createStringObjectFromLongLongForValue).
func (s *Server) newInt(n int64) *Object {
	o := newIntObject(n)
	o.private = s.noSharedIntegers()
	return o
}
