package librdb

// Visitor receives the records of an RDB file in file order. Byte slices
// passed to it alias the Decoder's buffers and are valid only during the
// call. A non-nil error stops decoding; Decode returns it unchanged (wrapped
// errors are not reworded), so a visitor can stop early with a sentinel.
//
// For every key the Decoder calls BeginKey, then the value calls for its
// kind (StringValue once; ListElement, SetMember, HashField or ZSetMember
// once per element, in stored order; StreamEntry per live entry, then
// StreamMeta once; ModuleValue once), then EndKey. Elements of compact
// encodings come out one by one as well, so no key is ever held whole.
// Embed NopVisitor to implement only some methods.
type Visitor interface {
	// Header is called first with the RDB version (80 and valkey=true for
	// Valkey 9's VALKEY080 files).
	Header(version int, valkey bool) error
	Aux(key, value []byte) error
	SelectDB(db int) error
	ResizeDB(keys, expires uint64) error
	SlotInfo(slot, keys, expires uint64) error
	ModuleAux(m *Module) error
	Function(f *Function) error
	BeginKey(k *Key) error
	StringValue(k *Key, v []byte) error
	ListElement(k *Key, e []byte) error
	SetMember(k *Key, m []byte) error
	// HashField passes a field and value; expire is the field's absolute
	// expiry in Unix ms, or -1 (always -1 unless k.FieldTTLs).
	HashField(k *Key, field, value []byte, expire int64) error
	ZSetMember(k *Key, member []byte, score float64) error
	StreamEntry(k *Key, e *StreamEntry) error
	StreamMeta(k *Key, m *StreamMeta) error
	ModuleValue(k *Key, m *Module) error
	EndKey(k *Key) error
	// End is called after the EOF opcode and the checksum were verified.
	// checksum is the stored CRC64 (0 when absent or disabled).
	End(checksum uint64) error
}

// QuicklistVisitor is implemented by a Visitor that takes lists stored as
// quicklists node by node, as Redis 7.0's loader keeps their nodes (rdb.c
// rdbLoadObject: quicklistAppendListpack, quicklistAppendPlainNode),
// instead of element by element. For RDB_TYPE_LIST_QUICKLIST_2 and
// RDB_TYPE_LIST_QUICKLIST the Decoder then calls ListNode once per
// non-empty node, in order, with a checked listpack and its entry count
// (a quicklist 1 ziplist node converted to a listpack as Redis 7.0 does:
// lpAppend of each entry), or with a PLAIN node's element and count 1.
// node aliases the Decoder's buffers. Empty listpack nodes are skipped, as
// Redis skips them. Other list encodings still come as ListElement calls.
type QuicklistVisitor interface {
	ListNode(k *Key, node []byte, plain bool, count int) error
}

// StreamNodeVisitor is implemented by a Visitor that takes streams node
// by node, as Redis 7.0's loader keeps them (rdb.c rdbLoadObject inserts
// each listpack in the stream's radix tree as it was saved), instead of
// entry by entry. For every RDB_TYPE_STREAM_LISTPACKS* the Decoder then
// calls StreamNode once per node, in order, with its master ID and its
// listpack once the Decoder has walked and checked it (master entry,
// entries with increasing IDs, back-counts, live count), and no
// StreamEntry; StreamMeta follows as usual. lp aliases the Decoder's
// buffers.
type StreamNodeVisitor interface {
	StreamNode(k *Key, master StreamID, lp []byte) error
}

// NopVisitor implements Visitor by doing nothing.
type NopVisitor struct{}

// Header does nothing.
func (NopVisitor) Header(int, bool) error { return nil }

// Aux does nothing.
func (NopVisitor) Aux(_, _ []byte) error { return nil }

// SelectDB does nothing.
func (NopVisitor) SelectDB(int) error { return nil }

// ResizeDB does nothing.
func (NopVisitor) ResizeDB(_, _ uint64) error { return nil }

// SlotInfo does nothing.
func (NopVisitor) SlotInfo(_, _, _ uint64) error { return nil }

// ModuleAux does nothing.
func (NopVisitor) ModuleAux(*Module) error { return nil }

// Function does nothing.
func (NopVisitor) Function(*Function) error { return nil }

// BeginKey does nothing.
func (NopVisitor) BeginKey(*Key) error { return nil }

// StringValue does nothing.
func (NopVisitor) StringValue(*Key, []byte) error { return nil }

// ListElement does nothing.
func (NopVisitor) ListElement(*Key, []byte) error { return nil }

// SetMember does nothing.
func (NopVisitor) SetMember(*Key, []byte) error { return nil }

// HashField does nothing.
func (NopVisitor) HashField(*Key, []byte, []byte, int64) error { return nil }

// ZSetMember does nothing.
func (NopVisitor) ZSetMember(*Key, []byte, float64) error { return nil }

// StreamEntry does nothing.
func (NopVisitor) StreamEntry(*Key, *StreamEntry) error { return nil }

// StreamMeta does nothing.
func (NopVisitor) StreamMeta(*Key, *StreamMeta) error { return nil }

// ModuleValue does nothing.
func (NopVisitor) ModuleValue(*Key, *Module) error { return nil }

// EndKey does nothing.
func (NopVisitor) EndKey(*Key) error { return nil }

// End does nothing.
func (NopVisitor) End(uint64) error { return nil }
