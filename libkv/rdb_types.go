package libkv

import (
	"errors"

	"github.com/kvkit/kvkit/librdb"
)

// The RDB hooks (valueType.rdbValue, rdbLoad; see rdb.go) of the types
// that exist: hashes and sets. Their t_*.go files list them in their
// valueType.

// errFieldTTL refuses a hash with field expiry (Redis 7.4 files): Redis
// 7.0 has no such thing.
var errFieldTTL = errors.New("hash field expiry is not supported (Redis 7.4 and later)")

// hashRdbValue gives a hash's fields and values to the encoder. A
// listpack's integers are formatted into reused buffers, so its pairs are
// copied into one arena; a table's strings are aliased.
func hashRdbValue(o *Object, v *librdb.Value) {
	v.Kind = librdb.KindHash
	v.Fields = make([]librdb.HashEntry, 0, hashLen(o))
	if o.enc == EncHashtable {
		for f, val := range o.hashHT().d.All() {
			v.Fields = append(v.Fields, librdb.HashEntry{Field: strBytes(f), Value: strBytes(val), Expire: -1})
		}
		return
	}
	var arena []byte
	var lens []int
	hashEach(o, func(f, val []byte) bool {
		arena = append(append(arena, f...), val...)
		lens = append(lens, len(f), len(val))
		return true
	})
	off := 0
	for i := 0; i < len(lens); i += 2 {
		nf, nv := lens[i], lens[i+1]
		v.Fields = append(v.Fields, librdb.HashEntry{Field: arena[off : off+nf], Value: arena[off+nf : off+nf+nv], Expire: -1})
		off += nf + nv
	}
}

// hashBuilder builds a hash as HSET would, so it ends with the encoding
// the configured thresholds give (as rdbLoadObject converts).
type hashBuilder struct {
	librdb.NopVisitor
	s *Server
	o *Object
}

func hashRdbLoad(s *Server, _ *librdb.Key) rdbBuilder { return &hashBuilder{s: s} }

func (b *hashBuilder) HashField(_ *librdb.Key, f, v []byte, exp int64) error {
	if exp >= 0 {
		return errFieldTTL
	}
	if b.o == nil {
		b.o = newHashObject()
	}
	b.s.hashTryConversion(b.o, [][]byte{f, v})
	if b.s.hashSet(b.o, f, v) {
		return errors.New("duplicate hash field")
	}
	return nil
}

func (b *hashBuilder) finish() (*Object, error) { return b.o, nil }

// setRdbValue gives a set's members to the encoder (an intset's formatted
// into one arena).
func setRdbValue(o *Object, v *librdb.Value) {
	v.Kind = librdb.KindSet
	v.Elems = make([][]byte, 0, setSize(o))
	if o.enc != EncIntset {
		for m := range o.setHT().d.All() {
			v.Elems = append(v.Elems, strBytes(m))
		}
		return
	}
	var arena []byte
	var lens []int
	var buf [20]byte
	for e := range setElems(o) {
		b := e.bytes(&buf)
		arena = append(arena, b...)
		lens = append(lens, len(b))
	}
	off := 0
	for _, n := range lens {
		v.Elems = append(v.Elems, arena[off:off+n])
		off += n
	}
}

// setBuilder builds a set as SADD would: an intset while every member is
// an integer and there are few enough, else a hashtable.
type setBuilder struct {
	librdb.NopVisitor
	s *Server
	o *Object
}

func setRdbLoad(s *Server, _ *librdb.Key) rdbBuilder { return &setBuilder{s: s} }

func (b *setBuilder) SetMember(_ *librdb.Key, m []byte) error {
	if b.o == nil {
		b.o = newSetFor(m)
	}
	if !b.s.setAdd(b.o, m) {
		return errors.New("duplicate set member")
	}
	return nil
}

func (b *setBuilder) finish() (*Object, error) {
	if b.o != nil {
		setSyncBuckets(b.o)
	}
	return b.o, nil
}
