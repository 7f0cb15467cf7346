package libkv

import (
	"strconv"

	"github.com/kvkit/kvkit/libkv/proto"
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

// Object is a value in the keyspace. Strings keep their bytes in b, an
// int-encoded one as its canonical decimal form (so replies need no
// formatting and the Object stays in the 48-byte size class); other types
// keep their structure in v. lru holds the 24-bit LRU clock or the LFU data,
// as Redis's robj.
type Object struct {
	typ ObjType
	enc Encoding
	lru uint32
	b   []byte
	v   any
}

// newStringObject stores a copy of val with the encoding Redis's
// tryObjectEncoding would choose: int for a canonical integer of at most 20
// bytes, embstr up to 44 bytes, raw beyond.
func newStringObject(val []byte) *Object {
	b := append([]byte(nil), val...)
	if len(val) <= 20 {
		if _, ok := proto.ParseInt(val); ok {
			return &Object{typ: TypeString, enc: EncInt, b: b}
		}
	}
	return newRawString(b)
}

// newRawString wraps b (not copied) as a string object, embstr or raw by length.
func newRawString(b []byte) *Object {
	enc := EncRaw
	if len(b) <= embstrMax {
		enc = EncEmbstr
	}
	return &Object{typ: TypeString, enc: enc, b: b}
}

// newIntObject is a string holding n, int encoded (as INCR stores results).
func newIntObject(n int64) *Object {
	return &Object{typ: TypeString, enc: EncInt, b: strconv.AppendInt(nil, n, 10)}
}

// intValue returns an int-encoded string's integer.
func (o *Object) intValue() int64 {
	n, _ := proto.ParseInt(o.b)
	return n
}

// strBytes returns a string object's bytes, owned by the object.
func (o *Object) strBytes() []byte { return o.b }

// strLen is the length of a string object's value.
func (o *Object) strLen() int { return len(o.b) }

// unshare marks a string object raw before it is modified in place (Redis's
// dbUnshareStringValue): APPEND and SETRANGE always leave raw strings behind.
func (o *Object) unshare() { o.enc = EncRaw }
