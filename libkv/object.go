package libkv

import (
	"strconv"
	"unsafe"

	"github.com/kvkit/kvkit/internal/sds"
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
type Object struct {
	typ  ObjType
	enc  Encoding
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

// newStringObject stores a copy of val with the encoding Redis's
// tryObjectEncoding would choose: int for a canonical integer of at most 20
// bytes, embstr up to 44 bytes, raw beyond.
func newStringObject(val []byte) *Object {
	o := &Object{typ: TypeString}
	b := append([]byte(nil), val...)
	o.setStr(b)
	o.enc = stringEncoding(b)
	return o
}

// stringEncoding is the encoding tryObjectEncoding gives the string b.
func stringEncoding(b []byte) Encoding {
	if len(b) <= 20 {
		if _, ok := sds.ParseInt(b); ok {
			return EncInt
		}
	}
	if len(b) <= embstrMax {
		return EncEmbstr
	}
	return EncRaw
}

// newRawString wraps b (not copied) as a string object, embstr or raw by length.
func newRawString(b []byte) *Object {
	o := &Object{typ: TypeString, enc: EncRaw}
	if len(b) <= embstrMax {
		o.enc = EncEmbstr
	}
	o.setStr(b)
	return o
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

// unshare marks a string object raw before it is modified in place (Redis's
// dbUnshareStringValue): APPEND and SETRANGE always leave raw strings behind.
func (o *Object) unshare() { o.enc = EncRaw }
