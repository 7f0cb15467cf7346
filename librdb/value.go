package librdb

import "bytes"

// Value is one key's whole value, for the Encoder and for tools that need
// a key in memory (kv-rdb convert, RESTORE payloads). Which fields are set
// depends on Kind.
type Value struct {
	Kind  Kind
	Str   []byte          // KindString
	Elems [][]byte        // KindList (in order), KindSet
	Nodes []QuicklistNode // KindList: written node by node instead of Elems when not nil
	// Blob, when not nil, is the value's compact encoding as a server
	// holds it, written as it is instead of the elements (Redis writes its
	// in-memory encoding, rdb.c rdbSaveObject): the intset of a KindSet
	// (RDB_TYPE_SET_INTSET), the listpack of a KindHash
	// (RDB_TYPE_HASH_LISTPACK) or of a KindZSet (RDB_TYPE_ZSET_LISTPACK).
	// The caller vouches for it: the Encoder does not check it.
	Blob []byte
	// Table, for a KindSet, KindHash or KindZSet given by its elements,
	// says a server holds the value in its large encoding (hashtable,
	// skiplist): it is written as that encoding's RDB type (RDB_TYPE_SET,
	// RDB_TYPE_HASH, RDB_TYPE_ZSET_2) whatever its size, as rdbSaveObject
	// writes what the server holds. The caller vouches that the elements
	// are distinct and, for a KindZSet, that Members are in the skiplist's
	// order (ascending score, then member), which is written from the tail
	// as Redis does. Without it (a value with no in-memory encoding, as in
	// kv-rdb convert) the Encoder picks the encoding Redis 7.0 gives at its
	// default thresholds.
	Table   bool
	Fields  []HashEntry   // KindHash
	Members []ZSetEntry   // KindZSet, any order (see Table)
	Entries []StreamEntry // KindStream, in ID order
	// StreamNodes, when not nil, are a KindStream's listpack nodes as a
	// server holds them, written as they are instead of Entries (Redis
	// writes its radix tree's nodes, rdb.c rdbSaveObject). The caller
	// vouches for them: the Encoder does not check them.
	StreamNodes []StreamNode
	Stream      *StreamMeta // KindStream
	Module      *Module     // KindModule (cannot be encoded)
}

// QuicklistNode is one node of a list as Redis 7.0 holds it in memory
// and rdbSaveObject writes it (RDB_TYPE_LIST_QUICKLIST_2): a listpack
// (PACKED container) or a single element (PLAIN container, for elements
// of the packed threshold or more), raw or LZF-compressed. An Encoder
// writes each node as it is, so that a server loading the file gets the
// same nodes (DEBUG OBJECT ql_nodes, MEMORY USAGE).
type QuicklistNode struct {
	Plain bool   // PLAIN container: Data is the element itself
	Data  []byte // the listpack or element; ignored when LZF is set
	LZF   []byte // the node's LZF-compressed bytes, written as an LZF string
	Size  int    // with LZF: the size in bytes of the uncompressed node
}

// StreamNode is one listpack node of a stream (Redis 7.0 t_stream.c
// layout) and its master ID, the radix tree key its entries' IDs are
// relative to.
type StreamNode struct {
	Master   StreamID
	Listpack []byte
}

// HashEntry is a hash field. Expire is the field's absolute expiry in Unix
// ms, or -1.
type HashEntry struct {
	Field, Value []byte
	Expire       int64
}

// ZSetEntry is a sorted set member and its score.
type ZSetEntry struct {
	Member []byte
	Score  float64
}

// Collector is a Visitor that assembles the current key's Value, copying
// every byte it is given. Call Value after EndKey; the Value is replaced
// at the next BeginKey. It holds one key at a time.
type Collector struct {
	NopVisitor
	v Value
}

// Value returns the last key's value.
func (c *Collector) Value() *Value { return &c.v }

// BeginKey collects the value (Visitor).
func (c *Collector) BeginKey(k *Key) error {
	c.v = Value{Kind: k.Kind}
	return nil
}

// StringValue collects the value (Visitor).
func (c *Collector) StringValue(_ *Key, s []byte) error {
	c.v.Str = bytes.Clone(s)
	if c.v.Str == nil {
		c.v.Str = []byte{}
	}
	return nil
}

// ListElement collects the value (Visitor).
func (c *Collector) ListElement(_ *Key, e []byte) error {
	c.v.Elems = append(c.v.Elems, bytes.Clone(e))
	return nil
}

// SetMember collects the value (Visitor).
func (c *Collector) SetMember(_ *Key, m []byte) error {
	c.v.Elems = append(c.v.Elems, bytes.Clone(m))
	return nil
}

// HashField collects the value (Visitor).
func (c *Collector) HashField(_ *Key, f, val []byte, exp int64) error {
	c.v.Fields = append(c.v.Fields, HashEntry{bytes.Clone(f), bytes.Clone(val), exp})
	return nil
}

// ZSetMember collects the value (Visitor).
func (c *Collector) ZSetMember(_ *Key, m []byte, s float64) error {
	c.v.Members = append(c.v.Members, ZSetEntry{bytes.Clone(m), s})
	return nil
}

// StreamEntry collects the value (Visitor).
func (c *Collector) StreamEntry(_ *Key, e *StreamEntry) error {
	ce := StreamEntry{ID: e.ID, Fields: make([][]byte, len(e.Fields))}
	for i, f := range e.Fields {
		ce.Fields[i] = bytes.Clone(f)
	}
	c.v.Entries = append(c.v.Entries, ce)
	return nil
}

// StreamMeta collects the value (Visitor).
func (c *Collector) StreamMeta(_ *Key, m *StreamMeta) error {
	c.v.Stream = m
	return nil
}

// ModuleValue collects the value (Visitor).
func (c *Collector) ModuleValue(_ *Key, m *Module) error {
	c.v.Module = m
	return nil
}
