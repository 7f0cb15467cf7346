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

// NopVisitor implements Visitor by doing nothing.
type NopVisitor struct{}

func (NopVisitor) Header(int, bool) error                      { return nil }
func (NopVisitor) Aux(_, _ []byte) error                       { return nil }
func (NopVisitor) SelectDB(int) error                          { return nil }
func (NopVisitor) ResizeDB(_, _ uint64) error                  { return nil }
func (NopVisitor) SlotInfo(_, _, _ uint64) error               { return nil }
func (NopVisitor) ModuleAux(*Module) error                     { return nil }
func (NopVisitor) Function(*Function) error                    { return nil }
func (NopVisitor) BeginKey(*Key) error                         { return nil }
func (NopVisitor) StringValue(*Key, []byte) error              { return nil }
func (NopVisitor) ListElement(*Key, []byte) error              { return nil }
func (NopVisitor) SetMember(*Key, []byte) error                { return nil }
func (NopVisitor) HashField(*Key, []byte, []byte, int64) error { return nil }
func (NopVisitor) ZSetMember(*Key, []byte, float64) error      { return nil }
func (NopVisitor) StreamEntry(*Key, *StreamEntry) error        { return nil }
func (NopVisitor) StreamMeta(*Key, *StreamMeta) error          { return nil }
func (NopVisitor) ModuleValue(*Key, *Module) error             { return nil }
func (NopVisitor) EndKey(*Key) error                           { return nil }
func (NopVisitor) End(uint64) error                            { return nil }
