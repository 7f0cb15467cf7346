package libkv

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/librdb"
)

// The RDB hooks (valueType.rdbValue, rdbLoad; see rdb.go) of the types
// that exist: hashes, sets, lists and streams. Their t_*.go files list them in their
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

// streamRdbValue gives a stream to the encoder as Redis 7.0 writes it
// (rdbSaveObject): its listpack nodes as held, its counters, and each
// group with its PEL (delivery time and count) and its consumers (seen
// time, the IDs they own). Groups and consumers are in name order, PELs in
// ID order, as Redis walks its radix trees.
func streamRdbValue(o *Object, v *librdb.Value) {
	s := o.stream()
	v.Kind = librdb.KindStream
	v.StreamNodes = make([]librdb.StreamNode, len(s.nodes))
	for i, n := range s.nodes {
		v.StreamNodes[i] = librdb.StreamNode{Master: librdb.StreamID{Ms: n.master.ms, Seq: n.master.seq}, Listpack: n.lp}
	}
	id := func(x streamID) librdb.StreamID { return librdb.StreamID{Ms: x.ms, Seq: x.seq} }
	m := &librdb.StreamMeta{Length: s.length, LastID: id(s.lastID), FirstID: id(s.firstID),
		MaxDeletedID: id(s.maxDeletedID), EntriesAdded: s.entriesAdded}
	m.Groups = make([]librdb.StreamGroup, len(s.groups))
	for i, g := range s.groups {
		rg := &m.Groups[i]
		rg.Name, rg.LastID, rg.EntriesRead = strBytes(g.name), id(g.lastID), g.entriesRead
		rg.Pending = make([]librdb.StreamPending, 0, g.pel.len())
		for pe := range g.pel.all() {
			rg.Pending = append(rg.Pending, librdb.StreamPending{ID: id(pe.id),
				DeliveryTime: pe.nack.deliveryTime, DeliveryCount: uint64(pe.nack.deliveryCount)})
		}
		rg.Consumers = make([]librdb.StreamConsumer, len(g.consumers))
		for j, c := range g.consumers {
			rc := &rg.Consumers[j]
			rc.Name, rc.SeenTime, rc.ActiveTime = strBytes(c.name), c.seenTime, -1
			rc.Pending = make([]librdb.StreamID, 0, c.pel.len())
			for pe := range c.pel.all() {
				rc.Pending = append(rc.Pending, id(pe.id))
			}
		}
	}
	v.Stream = m
}

// streamBuilder builds a stream as Redis 7.0's rdbLoadObject does: the
// nodes as saved (each checked as streamValidateListpackIntegrity checks
// it), the counters (derived for RDB_TYPE_STREAM_LISTPACKS, by librdb as
// Redis derives them), then the groups, whose PEL entries must each
// belong to exactly one of the group's consumers. A stream with no entry
// is a value (XADD then XDEL, XGROUP CREATE MKSTREAM): it is never skipped.
type streamBuilder struct {
	librdb.NopVisitor
	s *streamValue
}

func streamRdbLoad(*Server, *librdb.Key) rdbBuilder { return &streamBuilder{s: newStreamValue()} }

// StreamNode adds a node (librdb.StreamNodeVisitor).
func (b *streamBuilder) StreamNode(_ *librdb.Key, master librdb.StreamID, lp []byte) error {
	if err := validateStreamListpack(lp); err != nil {
		return err
	}
	id := streamID{master.Ms, master.Seq}
	if n := len(b.s.nodes); n > 0 && b.s.nodes[n-1].master.cmp(id) >= 0 {
		return fmt.Errorf("stream node %s after node %s", id, b.s.nodes[n-1].master)
	}
	b.s.addNode(&streamNode{master: id, lp: bytes.Clone(lp), alloc: int(jemallocSize(int64(len(lp))))})
	return nil
}

// StreamMeta sets the counters and builds the groups.
func (b *streamBuilder) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	s := b.s
	id := func(x librdb.StreamID) streamID { return streamID{x.Ms, x.Seq} }
	s.length, s.lastID, s.firstID = m.Length, id(m.LastID), id(m.FirstID)
	s.maxDeletedID, s.entriesAdded = id(m.MaxDeletedID), m.EntriesAdded
	if s.length > 0 && len(s.nodes) == 0 {
		return errors.New("stream length inconsistent with its nodes")
	}
	for _, rg := range m.Groups {
		g := s.createGroup(rg.Name, id(rg.LastID), rg.EntriesRead)
		if g == nil {
			return fmt.Errorf("duplicated consumer group name %q", rg.Name)
		}
		for _, p := range rg.Pending {
			if !g.pel.insert(id(p.ID), &streamNACK{deliveryTime: p.DeliveryTime, deliveryCount: int64(p.DeliveryCount)}) {
				return fmt.Errorf("group %q: duplicated PEL entry %s", rg.Name, p.ID)
			}
		}
		for _, rc := range rg.Consumers {
			c := g.createConsumer(rc.Name, rc.SeenTime)
			if c == nil {
				return fmt.Errorf("group %q: duplicated consumer %q", rg.Name, rc.Name)
			}
			for _, pid := range rc.Pending {
				n := g.pel.find(id(pid))
				if n == nil {
					return fmt.Errorf("group %q: consumer %q's entry %s is not in the group's PEL", rg.Name, rc.Name, pid)
				}
				if n.consumer != nil {
					return fmt.Errorf("group %q: entry %s owned by two consumers", rg.Name, pid)
				}
				n.consumer = c
				c.pel.insert(id(pid), n)
			}
		}
		for pe := range g.pel.all() {
			if pe.nack.consumer == nil {
				return fmt.Errorf("group %q: PEL entry %s not owned by any consumer", rg.Name, pe.id)
			}
		}
		s.groupChanged(g)
	}
	return nil
}

func (b *streamBuilder) finish() (*Object, error) { return newStreamObject(b.s), nil }
