package libkv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/internal/version"
	"github.com/kvkit/kvkit/librdb"
)

// The conversion of values to and from librdb (Redis 7.0 rdb.c
// rdbSaveObject / rdbLoadObject). Strings are handled here; every other
// type goes through the rdbValue and rdbLoad hooks of its valueType
// (object.go), which the type's t_*.go file fills in.

// rdbBuilder builds one value of an aggregate type from the element
// records librdb's Decoder produces, for the RDB loader and RESTORE. The
// engine forwards the key's element calls to it (ListElement, SetMember,
// HashField, ZSetMember, StreamEntry, StreamMeta; see librdb.Visitor for
// their order); their byte slices alias the decoder's buffers and must be
// copied. A returned error stops the load (or fails the RESTORE) and is
// reported with the key's name and offset. Implementations embed
// librdb.NopVisitor and override the element methods of their kind.
type rdbBuilder interface {
	librdb.Visitor
	// finish returns the finished value, with the encoding Redis 7.0
	// would give it after loading (its conversions at the configured
	// thresholds), or nil when no element was added: an empty key is
	// skipped, as rdbLoad skips empty keys.
	finish() (*Object, error)
}

// objTypeOf maps an RDB value kind to the engine's type.
func objTypeOf(k librdb.Kind) (ObjType, bool) {
	switch k {
	case librdb.KindString:
		return TypeString, true
	case librdb.KindList:
		return TypeList, true
	case librdb.KindSet:
		return TypeSet, true
	case librdb.KindZSet:
		return TypeZSet, true
	case librdb.KindHash:
		return TypeHash, true
	case librdb.KindStream:
		return TypeStream, true
	}
	return 0, false
}

// errTypeNotSupported is the reason a key of a type without rdbLoad hook
// cannot be loaded or restored.
func errTypeNotSupported(t ObjType) error {
	return fmt.Errorf("type %s not supported yet", t)
}

// rdbValue fills v with o's value for librdb's encoder. v's slices may
// alias o: the caller encodes before the engine lock is released.
func rdbValue(o *Object, v *librdb.Value) error {
	if o.typ == TypeString {
		*v = librdb.Value{Kind: librdb.KindString, Str: o.str()}
		return nil
	}
	vt := valueTypes[o.typ]
	if vt == nil || vt.rdbValue == nil {
		return errTypeNotSupported(o.typ)
	}
	*v = librdb.Value{}
	vt.rdbValue(o, v)
	return nil
}

// keyMeta is what rdbSaveKeyValuePair writes before a key: its expiry,
// and its LRU idle time or LFU counter when the maxmemory policy is an
// LRU or LFU one.
func (s *Server) keyMeta(o *Object, expire int64) librdb.KeyMeta {
	m := librdb.KeyMeta{Expire: expire, Idle: -1, Freq: -1}
	switch p := s.conf.MaxmemoryPolicy; {
	case len(p) > 4 && p[len(p)-4:] == "-lru":
		m.Idle = s.idleTime(o)
	case s.lfuPolicy():
		m.Freq = int(s.lfuDecr(s.lru(o)))
	}
	return m
}

// writeAux writes the AUX fields Redis 7.0's rdbSaveInfoAuxFields writes
// for a snapshot of a master without a replication backlog: redis-ver,
// redis-bits, ctime, used-mem and aof-base.
func (s *Server) writeAux(enc *librdb.Encoder, aofBase bool) error {
	base := "0"
	if aofBase {
		base = "1"
	}
	for _, kv := range [][2]string{
		{"redis-ver", version.RedisVersion},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(s.now/1000, 10)},
		{"used-mem", strconv.FormatInt(s.usedMemory(), 10)},
		{"aof-base", base},
	} {
		if err := enc.WriteAux(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// newLoadedString is the string object rdbLoadObject creates for a value
// read from a file or payload: an integer (shared range allowed unless
// maxmemory forbids it), embstr up to 44 bytes, else raw in an sds of its
// length, trimmed as tryObjectEncoding trims.
func (s *Server) newLoadedString(b []byte) *Object {
	if len(b) <= 20 {
		if _, ok := sds.ParseInt(b); ok {
			o := newIntObject(0)
			o.setStr(append([]byte(nil), b...))
			o.private = s.noSharedIntegers()
			return o
		}
	}
	if len(b) <= embstrMax {
		return newRawString(append([]byte(nil), b...))
	}
	n := int64(len(b))
	t, alloc := sdsNewAlloc(n)
	if alloc-n > n/10 {
		alloc = n
	}
	return newSdsObject(b, t, alloc)
}

// setAccess is objectSetLRUOrLFU: a key read from a file with an IDLE or
// FREQ record, or restored with IDLETIME or FREQ, gets that access data
// when the maxmemory policy uses it (-1: none given).
func (s *Server) setAccess(o *Object, idle, freq int64) {
	if _, shared := o.sharedInt(); shared {
		return
	}
	switch {
	case s.lfuPolicy() && freq >= 0:
		o.lru = o.lru&^lruBits | s.lfuTime()<<8 | uint32(freq)
	case !s.lfuPolicy() && idle >= 0:
		const lruClockMax = 1<<24 - 1
		abs := int64(s.lruClock) - idle
		if abs < 0 {
			abs = (int64(s.lruClock) + lruClockMax/2) % lruClockMax
		}
		o.lru = o.lru&^lruBits | uint32(abs)
	}
}

// valueReader collects one key's value from the Decoder's records: a
// string's bytes, or an aggregate's elements through its type's
// rdbBuilder.
type valueReader struct {
	librdb.NopVisitor
	s       *Server
	typ     ObjType
	str     *Object
	b       rdbBuilder
	missing bool // the type has no rdbLoad hook
	elems   int
}

func (r *valueReader) begin(k *librdb.Key) error {
	t, ok := objTypeOf(k.Kind)
	if !ok {
		return fmt.Errorf("type %s not supported", k.Kind)
	}
	r.typ, r.str, r.b, r.missing, r.elems = t, nil, nil, false, 0
	if t == TypeString {
		return nil
	}
	vt := valueTypes[t]
	if vt == nil || vt.rdbLoad == nil {
		r.missing = true
		return nil
	}
	r.b = vt.rdbLoad(r.s, k)
	return nil
}

// element checks that the key's type can be built, before forwarding.
func (r *valueReader) element() error {
	r.elems++
	if r.missing {
		return errTypeNotSupported(r.typ)
	}
	return nil
}

func (r *valueReader) StringValue(_ *librdb.Key, v []byte) error {
	r.str = r.s.newLoadedString(v)
	return nil
}

func (r *valueReader) ListElement(k *librdb.Key, e []byte) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.ListElement(k, e)
}

// ListNode forwards a quicklist node (librdb.QuicklistVisitor) to the
// list's builder.
func (r *valueReader) ListNode(k *librdb.Key, node []byte, plain bool, count int) error {
	if err := r.element(); err != nil {
		return err
	}
	nb, ok := r.b.(librdb.QuicklistVisitor)
	if !ok {
		return fmt.Errorf("quicklist node in a %s", r.typ)
	}
	return nb.ListNode(k, node, plain, count)
}

func (r *valueReader) SetMember(k *librdb.Key, m []byte) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.SetMember(k, m)
}

func (r *valueReader) HashField(k *librdb.Key, f, v []byte, exp int64) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.HashField(k, f, v, exp)
}

func (r *valueReader) ZSetMember(k *librdb.Key, m []byte, score float64) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.ZSetMember(k, m, score)
}

func (r *valueReader) StreamEntry(k *librdb.Key, e *librdb.StreamEntry) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.StreamEntry(k, e)
}

// StreamNode forwards a stream node (librdb.StreamNodeVisitor) to the
// stream's builder.
func (r *valueReader) StreamNode(k *librdb.Key, master librdb.StreamID, lp []byte) error {
	if err := r.element(); err != nil {
		return err
	}
	nb, ok := r.b.(librdb.StreamNodeVisitor)
	if !ok {
		return fmt.Errorf("stream node in a %s", r.typ)
	}
	return nb.StreamNode(k, master, lp)
}

func (r *valueReader) StreamMeta(k *librdb.Key, m *librdb.StreamMeta) error {
	if err := r.element(); err != nil {
		return err
	}
	return r.b.StreamMeta(k, m)
}

func (r *valueReader) ModuleValue(*librdb.Key, *librdb.Module) error {
	return errors.New("module values are not supported")
}

// value returns the finished value, nil for an empty aggregate.
func (r *valueReader) value() (*Object, error) {
	switch {
	case r.typ == TypeString:
		return r.str, nil
	case r.missing:
		return nil, nil // no element: an empty key, skipped
	}
	return r.b.finish()
}

// rdbLoader is the Visitor that fills the keyspace from an RDB file
// (rdb.c rdbLoadRio): keys already expired are skipped, as a master
// skips them, and a key met twice is an error.
type rdbLoader struct {
	valueReader
	db       *DB
	loaded   int64
	expired  int64
	empty    int64
	progress func() // called between keys: lets clients in during a long load
	merge    bool   // a key already present is replaced (RDBFLAGS_ALLOW_DUP)
	size     int64  // the file's size: bounds the tables' size hints
	aux      map[string]string
}

func (l *rdbLoader) SelectDB(id int) error {
	if id >= len(l.s.dbs) {
		return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", len(l.s.dbs))
	}
	l.db = l.s.dbs[id]
	return nil
}

// ResizeDB sizes the tables for the keys to come, as rdbLoad's dictExpand
// does, so that loading does not rehash. The hint is the file's word:
// bounded by what the rest of the file could hold (3 bytes a key at least).
func (l *rdbLoader) ResizeDB(keys, expires uint64) error {
	limit := uint64(max(l.size, 0)) / 3
	if keys <= limit {
		l.db.keys.Expand(l.db.keys.Len() + int(keys))
	}
	if expires <= limit {
		l.db.expires.Expand(l.db.expires.Len() + int(expires))
	}
	return nil
}

func (l *rdbLoader) Aux(k, v []byte) error {
	if len(l.aux) < 64 {
		l.aux[string(k)] = string(v)
	}
	return nil
}

func (l *rdbLoader) ModuleAux(m *librdb.Module) error {
	return fmt.Errorf("module %s data cannot be loaded: no modules", m.Name)
}

// Function loads a function library, as rdbFunctionLoad: a library
// already present is an error unless merging (RDBFLAGS_ALLOW_DUP), which
// replaces it. The 7.0 release candidates' format has no "#!" line: it is
// composed from the record's engine and name, as Redis 7.0 does.
func (l *rdbLoader) Function(f *librdb.Function) error {
	code := string(f.Code)
	if f.PreGA {
		code = "#!" + f.Engine + " name=" + f.Name + "\n" + code
	}
	lib, msg := l.s.loadLibrary(code, l.merge)
	if msg != "" {
		return fmt.Errorf("Failed loading library, %s", strings.TrimPrefix(msg, "ERR "))
	}
	l.s.functions().install(lib)
	return nil
}

func (l *rdbLoader) BeginKey(k *librdb.Key) error { return l.begin(k) }

func (l *rdbLoader) EndKey(k *librdb.Key) error {
	o, err := l.value()
	if err != nil {
		return err
	}
	if l.progress != nil {
		defer l.progress()
	}
	s := l.s
	if o == nil {
		l.empty++
		return nil
	}
	if k.Expire >= 0 && k.Expire < s.now {
		l.expired++
		return nil
	}
	if l.db.get(k.Key) != nil {
		if !l.merge {
			return fmt.Errorf("RDB has duplicated key '%s' in DB %d", k.Key, l.db.id)
		}
		s.deleteKey(l.db, k.Key) // DEBUG RELOAD MERGE: the file's value wins
	}
	s.addKey(l.db, k.Key, o)
	s.setAccess(o, k.Idle, int64(k.Freq))
	if k.Expire >= 0 {
		s.setExpire(l.db, k.Key, k.Expire)
	}
	l.loaded++
	return nil
}

// Dump payloads (Redis 7.0 cluster.c createDumpPayload /
// verifyDumpPayload): the value's RDB type and encoding, the 2-byte RDB
// version and the CRC64 of all that, little endian.

// errBadPayload is RESTORE's reply to a payload whose footer is wrong.
const errBadPayload = "ERR DUMP payload version or checksum are wrong"

// dumpPayload is DUMP's payload of o, RDB version 10 as Redis 7.0 writes.
func dumpPayload(o *Object) ([]byte, error) {
	var v librdb.Value
	if err := rdbValue(o, &v); err != nil {
		return nil, err
	}
	return librdb.AppendDumpPayload(nil, &v, librdb.DefaultVersion)
}

// verifyPayload is verifyDumpPayload: at least the 10-byte footer, an RDB
// version this server reads (at most 10, as Redis 7.0) and, unless
// skipped, a matching CRC64.
func verifyPayload(p []byte, skipChecksum bool) bool {
	if len(p) < 10 {
		return false
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > librdb.DefaultVersion {
		return false
	}
	return skipChecksum || librdb.CRC64(0, p[:len(p)-8]) == binary.LittleEndian.Uint64(footer[2:])
}

// payloadReader decodes a payload's one value: the value is wrapped in a
// minimal RDB stream (header, the type byte, an empty key name, the value
// bytes, EOF) for librdb's Decoder, whose checks (sanitize-dump-payload's
// deep ones included: it validates every compact encoding) then apply.
type payloadReader struct {
	valueReader
	obj   *Object
	extra bool
}

func (p *payloadReader) BeginKey(k *librdb.Key) error {
	if p.extra {
		return errors.New("more than one value")
	}
	return p.begin(k)
}

func (p *payloadReader) EndKey(*librdb.Key) error {
	o, err := p.value()
	p.obj, p.extra = o, true
	return err
}

// restoreValue decodes a verified payload into a new object; nil with a
// nil error for an empty aggregate.
func (s *Server) restoreValue(p []byte) (*Object, error) {
	ver := binary.LittleEndian.Uint16(p[len(p)-10:])
	body := p[:len(p)-10]
	if len(body) == 0 {
		return nil, errors.New("empty payload")
	}
	stream := make([]byte, 0, len(body)+20)
	stream = fmt.Appendf(stream, "REDIS%04d", max(ver, 1))
	stream = append(stream, body[0], 0) // type, empty key name
	stream = append(stream, body[1:]...)
	stream = append(stream, librdb.OpEOF)
	stream = append(stream, make([]byte, 8)...) // no checksum: the payload's was checked
	dec := librdb.NewDecoder(bytes.NewReader(stream))
	dec.VerifyChecksum = false
	r := &payloadReader{valueReader: valueReader{s: s}}
	if err := dec.Decode(r); err != nil {
		return nil, err
	}
	if !r.extra {
		return nil, errors.New("no value")
	}
	return r.obj, nil
}
