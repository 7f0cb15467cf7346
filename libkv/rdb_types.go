package libkv

import (
	"bytes"
	"errors"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/librdb"
)

// The RDB hooks (valueType.rdbValue, rdbLoad; see rdb.go) of the types
// that exist: hashes, sets and lists. Their t_*.go files list them in their
// valueType.

// errFieldTTL refuses a hash with field expiry (Redis 7.4 files): Redis
// 7.0 has no such thing.
var errFieldTTL = errors.New("hash field expiry is not supported (Redis 7.4 and later)")

// hashRdbValue gives a hash to the encoder: a listpack as it is (Redis
// writes its in-memory encoding: a hash loaded from a ziplist keeps long
// values in its listpack), a table's fields and values aliased (written as
// RDB_TYPE_HASH whatever its size).
func hashRdbValue(o *Object, v *librdb.Value) {
	v.Kind = librdb.KindHash
	if o.enc != EncHashtable {
		v.Blob = o.hashLP()
		return
	}
	v.Table = true
	v.Fields = make([]librdb.HashEntry, 0, hashLen(o))
	for f, val := range o.hashHT().d.All() {
		v.Fields = append(v.Fields, librdb.HashEntry{Field: strBytes(f), Value: strBytes(val), Expire: -1})
	}
}

// hashBuilder builds a hash with the encoding rdbLoadObject gives it: a
// hashtable or zipmap hash as HSET would build it (a hashtable past
// hash-max-listpack-entries fields or with a field or value longer than
// hash-max-listpack-value), while a ziplist or listpack hash keeps its
// pairs in a listpack whatever their length and converts only past the
// entry count (Redis 7.0 checks no lengths there: that would be O(n)).
type hashBuilder struct {
	librdb.NopVisitor
	s       *Server
	o       *Object
	compact bool // RDB_TYPE_HASH_ZIPLIST or _LISTPACK
}

func hashRdbLoad(s *Server, k *librdb.Key) rdbBuilder {
	return &hashBuilder{s: s, compact: k.RDBType == librdb.TypeHashZiplist || k.RDBType == librdb.TypeHashListpack}
}

func (b *hashBuilder) HashField(_ *librdb.Key, f, v []byte, exp int64) error {
	if exp >= 0 {
		return errFieldTTL
	}
	if b.o == nil {
		b.o = newHashObject()
	}
	if b.compact && b.o.enc == EncListpack {
		// librdb has checked that the fields are distinct.
		b.o.setHashLP(listpack.Append(listpack.Append(b.o.hashLP(), f), v))
		if int64(hashLen(b.o)) > b.s.conf.HashMaxListpackEntries {
			hashConvert(b.o)
		}
		return nil
	}
	b.s.hashTryConversion(b.o, [][]byte{f, v})
	if b.s.hashSet(b.o, f, v) {
		return errors.New("duplicate hash field")
	}
	return nil
}

func (b *hashBuilder) finish() (*Object, error) { return b.o, nil }

// setRdbValue gives a set to the encoder: an intset as it is, a table's
// members aliased (written as RDB_TYPE_SET even when they are few
// integers, as Redis writes a hashtable set).
func setRdbValue(o *Object, v *librdb.Value) {
	v.Kind = librdb.KindSet
	if o.enc == EncIntset {
		v.Blob = o.intset()
		return
	}
	v.Table = true
	v.Elems = make([][]byte, 0, setSize(o))
	for m := range o.setHT().d.All() {
		v.Elems = append(v.Elems, strBytes(m))
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

// listRdbValue gives the encoder a list's nodes as they are (raw
// listpacks, plain elements, LZF-compressed nodes), as Redis 7.0 writes a
// quicklist: a server loading the file keeps the same nodes.
func listRdbValue(o *Object, v *librdb.Value) {
	ql := o.list()
	v.Kind = librdb.KindList
	v.Nodes = make([]librdb.QuicklistNode, 0, ql.len)
	for n := ql.head; n != nil; n = n.next {
		if n.lzf != nil {
			v.Nodes = append(v.Nodes, librdb.QuicklistNode{Plain: n.plain, LZF: n.lzf, Size: n.sz})
		} else {
			v.Nodes = append(v.Nodes, librdb.QuicklistNode{Plain: n.plain, Data: n.lp})
		}
	}
}

// listBuilder builds a list as rdbLoadObject does, with the configured
// list-max-listpack-size and list-compress-depth: a linked list's or a
// ziplist's elements are pushed at the tail one by one (so they fill
// nodes by the fill rule), while a quicklist's nodes are kept as they
// were saved (quicklistAppendListpack / quicklistAppendPlainNode), each
// compressed as its place in the list calls for.
type listBuilder struct {
	librdb.NopVisitor
	ql *quicklist
}

func listRdbLoad(s *Server, _ *librdb.Key) rdbBuilder {
	return &listBuilder{ql: newQuicklist(s.conf.ListMaxListpackSize, s.conf.ListCompressDepth)}
}

func (b *listBuilder) ListElement(_ *librdb.Key, e []byte) error {
	b.ql.pushTail(e)
	return nil
}

// ListNode appends a node (librdb.QuicklistVisitor).
func (b *listBuilder) ListNode(_ *librdb.Key, node []byte, plain bool, count int) error {
	b.ql.insertNode(b.ql.tail, &qlNode{lp: bytes.Clone(node), sz: len(node), count: count, plain: plain}, true)
	b.ql.count += count
	return nil
}

func (b *listBuilder) finish() (*Object, error) {
	if b.ql.count == 0 {
		return nil, nil
	}
	return newListObject(b.ql), nil
}
