package librdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/kvkit/kvkit/internal/sds"
)

// DefaultVersion is the RDB version the Encoder writes unless asked
// otherwise: 10, the newest Redis 7.0 loads.
const DefaultVersion = 10

// ErrFieldTTL is returned for a hash with field expiry written below RDB
// version 12, which has no way to store it.
var ErrFieldTTL = errors.New("hash field expiry needs RDB version 12")

// ErrModuleValue is returned for a module value decoded without
// Decoder.KeepModules: only its raw payload can be written back.
var ErrModuleValue = errors.New("module values cannot be re-encoded (decode with KeepModules)")

// KeyMeta is what precedes a key in the file: expiry (absolute Unix ms),
// LRU idle seconds and LFU counter, each -1 when absent.
type KeyMeta struct {
	Expire int64
	Idle   int64
	Freq   int
}

// NoMeta is a KeyMeta with nothing set.
var NoMeta = KeyMeta{Expire: -1, Idle: -1, Freq: -1}

// Encoder writes an RDB file: RDB version 10 by default, with the
// encodings Redis 7.0 chooses at its default thresholds (listpack hashes
// and sorted sets, intsets, quicklist 2 lists of listpack nodes up to 8
// KiB, stream listpacks 2) unless the Value says which encoding its caller
// holds (Blob, Table, Nodes), LZF-compressed strings longer than 20 bytes,
// and the CRC64 trailer. Version 11 adds listpack sets and stream
// listpacks 3 (Redis 7.2); version 12 adds hash field expiry (Redis 7.4).
// Call WriteHeader first and Close last; Close does not close w.
type Encoder struct {
	w       io.Writer
	version int
	crc     uint64
	buf     []byte
	lp      ListpackBuilder
	lzf     []byte
	tmp     []byte
	err     error
	// Compress enables LZF for strings longer than 20 bytes (Redis's
	// rdbcompression yes, the default).
	Compress bool
}

// NewEncoder returns an Encoder writing RDB version (10, 11 or 12) to w.
func NewEncoder(w io.Writer, version int) (*Encoder, error) {
	if version < 10 || version > 12 {
		return nil, fmt.Errorf("rdb: cannot write RDB version %d (10, 11 or 12)", version)
	}
	return &Encoder{w: w, version: version, Compress: true}, nil
}

// flush writes the buffer when it is large (force: always), updating the
// CRC.
func (e *Encoder) flush(force bool) error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) == 0 || !force && len(e.buf) < 256<<10 {
		return nil
	}
	e.crc = CRC64(e.crc, e.buf)
	_, e.err = e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return e.err
}

// WriteHeader writes the magic and version ("REDIS0010").
func (e *Encoder) WriteHeader() error {
	e.buf = fmt.Appendf(e.buf, "REDIS%04d", e.version)
	return e.flush(false)
}

// WriteAux writes an AUX field (redis-ver, redis-bits, ctime, used-mem,
// aof-base, ...).
func (e *Encoder) WriteAux(key, value string) error {
	e.buf = append(e.buf, OpAux)
	e.buf = e.appendString(e.buf, []byte(key))
	e.buf = e.appendString(e.buf, []byte(value))
	return e.flush(false)
}

// WriteFunction writes a function library's code (FUNCTION2 opcode, Redis
// 7.0+; the code starts with its "#!<engine> name=<lib>" line).
func (e *Encoder) WriteFunction(code []byte) error {
	e.buf = append(e.buf, OpFunction2)
	e.buf = e.appendString(e.buf, code)
	return e.flush(false)
}

// SelectDB writes a SELECTDB record and a RESIZEDB hint (keys, expires).
func (e *Encoder) SelectDB(db int, keys, expires uint64) error {
	e.buf = append(e.buf, OpSelectDB)
	e.buf = appendLen(e.buf, uint64(db))
	e.buf = append(e.buf, OpResizeDB)
	e.buf = appendLen(e.buf, keys)
	e.buf = appendLen(e.buf, expires)
	return e.flush(false)
}

// WriteKey writes one key with its expiry/idle/freq prefix and value.
func (e *Encoder) WriteKey(key []byte, v *Value, m KeyMeta) error {
	if m.Expire >= 0 {
		e.buf = append(e.buf, OpExpireTimeMs)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(m.Expire))
	}
	if m.Idle >= 0 {
		e.buf = append(e.buf, OpIdle)
		e.buf = appendLen(e.buf, uint64(m.Idle))
	} else if m.Freq >= 0 {
		e.buf = append(e.buf, OpFreq, byte(m.Freq))
	}
	start := len(e.buf)
	e.buf = append(e.buf, 0) // type, set by appendObject
	e.buf = e.appendString(e.buf, key)
	var t byte
	var err error
	e.buf, t, err = e.appendObject(e.buf, v)
	if err != nil {
		e.buf = e.buf[:start]
		return fmt.Errorf("rdb: key %q: %w", key, err)
	}
	e.buf[start] = t
	return e.flush(false)
}

// Close writes the EOF opcode and the CRC64 trailer and flushes.
func (e *Encoder) Close() error {
	e.buf = append(e.buf, OpEOF)
	if err := e.flush(true); err != nil {
		return err
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf, e.crc)
	_, e.err = e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return e.err
}

// AppendDumpPayload appends the DUMP/RESTORE payload of v: type byte,
// object, 2-byte RDB version and CRC64 of the preceding bytes (Redis 7.0
// cluster.c createDumpPayload).
func AppendDumpPayload(dst []byte, v *Value, version int) ([]byte, error) {
	e := &Encoder{version: version, Compress: true}
	start := len(dst)
	dst = append(dst, 0)
	dst, t, err := e.appendObject(dst, v)
	if err != nil {
		return dst[:start], err
	}
	dst[start] = t
	dst = binary.LittleEndian.AppendUint16(dst, uint16(version))
	return binary.LittleEndian.AppendUint64(dst, CRC64(0, dst[start:])), nil
}

// appendLen appends an RDB length (rdb.c rdbSaveLen).
func appendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0x81), n)
}

// appendString appends an RDB string: as an integer when it is one that
// fits 32 bits (rdbTryIntegerEncoding), LZF-compressed when longer than 20
// bytes and compressible, else raw.
func (e *Encoder) appendString(dst []byte, s []byte) []byte {
	if len(s) <= 11 {
		if v, ok := sds.ParseInt(s); ok {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				return append(dst, 0xC0|encInt8, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				return binary.LittleEndian.AppendUint16(append(dst, 0xC0|encInt16), uint16(v))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				return binary.LittleEndian.AppendUint32(append(dst, 0xC0|encInt32), uint32(v))
			}
		}
	}
	if e.Compress && len(s) > 20 {
		if c := LZFCompress(e.lzf[:0], s, len(s)-4); c != nil {
			e.lzf = c
			dst = append(dst, 0xC0|encLZF)
			dst = appendLen(dst, uint64(len(c)))
			dst = appendLen(dst, uint64(len(s)))
			return append(dst, c...)
		}
	}
	dst = appendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendObject appends v's value and returns the RDB type to write.
func (e *Encoder) appendObject(dst []byte, v *Value) ([]byte, byte, error) {
	switch v.Kind {
	case KindString:
		return e.appendString(dst, v.Str), TypeString, nil
	case KindList:
		if v.Nodes != nil {
			return e.appendNodes(dst, v.Nodes), TypeListQuicklist2, nil
		}
		return e.appendQuicklist(dst, v.Elems), TypeListQuicklist2, nil
	case KindSet:
		if v.Blob != nil {
			return e.appendString(dst, v.Blob), TypeSetIntset, nil
		}
		if v.Table {
			return e.appendElems(dst, v.Elems), TypeSet, nil
		}
		return e.appendSet(dst, v.Elems)
	case KindHash:
		if v.Blob != nil {
			return e.appendString(dst, v.Blob), TypeHashListpack, nil
		}
		if v.Table {
			return e.appendHashTable(dst, v.Fields, false, 0), TypeHash, nil
		}
		return e.appendHash(dst, v.Fields)
	case KindZSet:
		if v.Blob != nil {
			return e.appendString(dst, v.Blob), TypeZSetListpack, nil
		}
		if v.Table {
			return e.appendSkiplist(dst, v.Members), TypeZSet2, nil
		}
		return e.appendZSet(dst, v.Members)
	case KindStream:
		return e.appendStream(dst, v)
	case KindModule:
		if v.Module != nil && v.Module.Raw != nil {
			// MODULE_2 is self-describing: id, then the opcodes as read.
			dst = appendLen(dst, v.Module.ID)
			return append(dst, v.Module.Raw...), TypeModule2, nil
		}
	}
	return dst, 0, ErrModuleValue
}

// WriteModuleAux writes a module AUX record read with
// Decoder.KeepModules (its Raw payload); others give ErrModuleValue.
func (e *Encoder) WriteModuleAux(m *Module) error {
	if m.Raw == nil {
		return ErrModuleValue
	}
	e.buf = append(e.buf, OpModuleAux)
	e.buf = appendLen(e.buf, m.ID)
	e.buf = appendLen(e.buf, moduleOpUint)
	e.buf = appendLen(e.buf, m.When)
	e.buf = append(e.buf, m.Raw...)
	return e.flush(false)
}

// appendQuicklist writes listpack nodes of at most 8 KiB (list-max-
// listpack-size -2), each as a PACKED container.
func (e *Encoder) appendQuicklist(dst []byte, elems [][]byte) []byte {
	var nodes [][]byte
	e.lp.Reset()
	for _, el := range elems {
		if e.lp.Len() > 0 && e.lp.Size()+len(el)+11 > ListMaxListpackBytes {
			nodes = append(nodes, e.lp.AppendTo(nil))
			e.lp.Reset()
		}
		e.lp.AppendString(el)
	}
	if e.lp.Len() > 0 {
		nodes = append(nodes, e.lp.AppendTo(nil))
	}
	dst = appendLen(dst, uint64(len(nodes)))
	for _, n := range nodes {
		dst = appendLen(dst, quicklistPacked)
		dst = e.appendString(dst, n)
	}
	return dst
}

// appendNodes writes a list's nodes as they are (rdb.c rdbSaveObject for
// a quicklist): per node its container, then an LZF string of its
// compressed bytes when it is compressed, else its listpack or element
// as a string (compressed here when that pays, as rdbSaveRawString).
func (e *Encoder) appendNodes(dst []byte, nodes []QuicklistNode) []byte {
	dst = appendLen(dst, uint64(len(nodes)))
	for _, n := range nodes {
		if n.Plain {
			dst = appendLen(dst, quicklistPlain)
		} else {
			dst = appendLen(dst, quicklistPacked)
		}
		if n.LZF == nil {
			dst = e.appendString(dst, n.Data)
			continue
		}
		dst = append(dst, 0xC0|encLZF) // rdbSaveLzfBlob
		dst = appendLen(dst, uint64(len(n.LZF)))
		dst = appendLen(dst, uint64(n.Size))
		dst = append(dst, n.LZF...)
	}
	return dst
}

func maxElemLen(elems [][]byte) int {
	m := 0
	for _, e := range elems {
		m = max(m, len(e))
	}
	return m
}

// Redis 7.2 set listpack thresholds (set-max-listpack-entries/-value).
const (
	setMaxListpackEntries = 128
	setMaxListpackValue   = 64
)

// dedupe returns the distinct byte strings of elems, first occurrence
// first. A corrupt source can repeat a member; Redis refuses such a file,
// so the Encoder never writes one.
func dedupe(elems [][]byte) [][]byte {
	seen := make(map[string]struct{}, len(elems))
	out := elems[:0:0]
	for _, e := range elems {
		if _, ok := seen[string(e)]; !ok {
			seen[string(e)] = struct{}{}
			out = append(out, e)
		}
	}
	return out
}

func (e *Encoder) appendSet(dst []byte, elems [][]byte) ([]byte, byte, error) {
	elems = dedupe(elems)
	if len(elems) <= SetMaxIntsetEntries {
		ints := make([]int64, 0, len(elems))
		for _, m := range elems {
			v, ok := sds.ParseInt(m)
			if !ok {
				ints = nil
				break
			}
			ints = append(ints, v)
		}
		if ints != nil && len(ints) > 0 {
			sort.Slice(ints, func(i, j int) bool { return ints[i] < ints[j] })
			e.tmp = AppendIntset(e.tmp[:0], ints)
			return e.appendString(dst, e.tmp), TypeSetIntset, nil
		}
	}
	if e.version >= 11 && len(elems) <= setMaxListpackEntries && maxElemLen(elems) <= setMaxListpackValue {
		e.lp.Reset()
		for _, m := range elems {
			e.lp.AppendString(m)
		}
		e.tmp = e.lp.AppendTo(e.tmp[:0])
		return e.appendString(dst, e.tmp), TypeSetListpack, nil
	}
	return e.appendElems(dst, elems), TypeSet, nil
}

// appendElems writes a set as RDB_TYPE_SET: its size, then its members.
func (e *Encoder) appendElems(dst []byte, elems [][]byte) []byte {
	dst = appendLen(dst, uint64(len(elems)))
	for _, m := range elems {
		dst = e.appendString(dst, m)
	}
	return dst
}

func (e *Encoder) appendHash(dst []byte, fields []HashEntry) ([]byte, byte, error) {
	// A repeated field keeps its last value (what HSET would do).
	idx := make(map[string]int, len(fields))
	uniq := fields[:0:0]
	for _, f := range fields {
		if i, ok := idx[string(f.Field)]; ok {
			uniq[i] = f
			continue
		}
		idx[string(f.Field)] = len(uniq)
		uniq = append(uniq, f)
	}
	fields = uniq
	small := len(fields) <= HashMaxListpackEntries
	ttl := false
	minExp := int64(math.MaxInt64)
	for _, f := range fields {
		if len(f.Field) > HashMaxListpackValue || len(f.Value) > HashMaxListpackValue {
			small = false
		}
		if f.Expire >= 0 {
			ttl = true
			minExp = min(minExp, f.Expire)
		}
	}
	if ttl && e.version < 12 {
		return dst, 0, ErrFieldTTL
	}
	if small {
		e.lp.Reset()
		for _, f := range fields {
			e.lp.AppendString(f.Field)
			e.lp.AppendString(f.Value)
			if ttl {
				if f.Expire >= 0 {
					e.lp.AppendInt(f.Expire)
				} else {
					e.lp.AppendInt(0)
				}
			}
		}
		t := byte(TypeHashListpack)
		if ttl {
			t = TypeHashListpackEx
			dst = binary.LittleEndian.AppendUint64(dst, uint64(minExp))
		}
		e.tmp = e.lp.AppendTo(e.tmp[:0])
		return e.appendString(dst, e.tmp), t, nil
	}
	t := byte(TypeHash)
	if ttl {
		t = TypeHashMetadata
		dst = binary.LittleEndian.AppendUint64(dst, uint64(minExp))
	}
	return e.appendHashTable(dst, fields, ttl, minExp), t, nil
}

// appendHashTable writes a hash's size and fields as RDB_TYPE_HASH (with
// ttl, as RDB_TYPE_HASH_METADATA: expiries relative to minExp).
func (e *Encoder) appendHashTable(dst []byte, fields []HashEntry, ttl bool, minExp int64) []byte {
	dst = appendLen(dst, uint64(len(fields)))
	for _, f := range fields {
		if ttl {
			if f.Expire >= 0 {
				dst = appendLen(dst, uint64(f.Expire-minExp+1))
			} else {
				dst = appendLen(dst, 0)
			}
		}
		dst = e.appendString(dst, f.Field)
		dst = e.appendString(dst, f.Value)
	}
	return dst
}

// appendScoreString formats a score as Redis's d2string would store it
// in a listpack: integers as integers, otherwise a round-trip decimal.
func appendScoreString(dst []byte, s float64) []byte {
	switch {
	case math.IsInf(s, 1):
		return append(dst, "inf"...)
	case math.IsInf(s, -1):
		return append(dst, "-inf"...)
	case s == math.Trunc(s) && math.Abs(s) < 1<<53 && !(s == 0 && math.Signbit(s)):
		return strconv.AppendInt(dst, int64(s), 10)
	}
	return strconv.AppendFloat(dst, s, 'g', 17, 64)
}

func (e *Encoder) appendZSet(dst []byte, members []ZSetEntry) ([]byte, byte, error) {
	// A repeated member keeps its last score (what ZADD would do).
	idx := make(map[string]int, len(members))
	ms := make([]ZSetEntry, 0, len(members))
	for _, m := range members {
		if i, ok := idx[string(m.Member)]; ok {
			ms[i] = m
			continue
		}
		idx[string(m.Member)] = len(ms)
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Score != ms[j].Score {
			return ms[i].Score < ms[j].Score
		}
		return bytes.Compare(ms[i].Member, ms[j].Member) < 0
	})
	small := len(ms) <= ZSetMaxListpackEntries
	for _, m := range ms {
		if len(m.Member) > ZSetMaxListpackValue {
			small = false
		}
	}
	if small {
		e.lp.Reset()
		var sb []byte
		for _, m := range ms {
			e.lp.AppendString(m.Member)
			sb = appendScoreString(sb[:0], m.Score)
			e.lp.AppendString(sb)
		}
		e.tmp = e.lp.AppendTo(e.tmp[:0])
		return e.appendString(dst, e.tmp), TypeZSetListpack, nil
	}
	return e.appendSkiplist(dst, ms), TypeZSet2, nil
}

// appendSkiplist writes members in ascending order as RDB_TYPE_ZSET_2:
// from the tail, as Redis saves a skiplist so that loading can insert
// each member at the head.
func (e *Encoder) appendSkiplist(dst []byte, ms []ZSetEntry) []byte {
	dst = appendLen(dst, uint64(len(ms)))
	for i := len(ms) - 1; i >= 0; i-- {
		dst = e.appendString(dst, ms[i].Member)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(ms[i].Score))
	}
	return dst
}

// Stream node limits (stream-node-max-entries 100, -max-bytes 4096).
const (
	streamNodeMaxEntries = 100
	streamNodeMaxBytes   = 4096
)

func sameFields(e *StreamEntry, master [][]byte) bool {
	if len(e.Fields)/2 != len(master) {
		return false
	}
	for i, f := range master {
		if !bytes.Equal(e.Fields[2*i], f) {
			return false
		}
	}
	return true
}

func appendRawID(dst []byte, id StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

// appendStream writes a stream as STREAM_LISTPACKS_2 (v10, what Redis 7.0
// writes) or _3 (v11+): its StreamNodes as they are, or listpack nodes
// built from Entries as t_stream.c streamAppendItem builds them.
func (e *Encoder) appendStream(dst []byte, v *Value) ([]byte, byte, error) {
	m := v.Stream
	if m == nil {
		m = &StreamMeta{}
	}
	nodes := v.StreamNodes
	for i := 0; v.StreamNodes == nil && i < len(v.Entries); {
		first := &v.Entries[i]
		var master [][]byte
		for j := 0; j+1 < len(first.Fields); j += 2 {
			master = append(master, first.Fields[j])
		}
		// First pass: how many entries fit the node's limits; second
		// pass: the node with its live count in the master entry.
		n := e.buildStreamNode(v.Entries[i:], master, -1)
		e.buildStreamNode(v.Entries[i:i+n], master, n)
		nodes = append(nodes, StreamNode{first.ID, e.lp.AppendTo(nil)})
		i += n
	}
	dst = appendLen(dst, uint64(len(nodes)))
	var key [16]byte
	for _, n := range nodes {
		dst = e.appendString(dst, appendRawID(key[:0], n.Master))
		dst = e.appendString(dst, n.Listpack)
	}
	t := byte(TypeStreamListpacks2)
	if e.version >= 11 {
		t = TypeStreamListpacks3
	}
	dst = appendLen(dst, m.Length)
	dst = appendLen(dst, m.LastID.Ms)
	dst = appendLen(dst, m.LastID.Seq)
	dst = appendLen(dst, m.FirstID.Ms)
	dst = appendLen(dst, m.FirstID.Seq)
	dst = appendLen(dst, m.MaxDeletedID.Ms)
	dst = appendLen(dst, m.MaxDeletedID.Seq)
	dst = appendLen(dst, m.EntriesAdded)
	dst = appendLen(dst, uint64(len(m.Groups)))
	for _, g := range m.Groups {
		dst = e.appendString(dst, g.Name)
		dst = appendLen(dst, g.LastID.Ms)
		dst = appendLen(dst, g.LastID.Seq)
		dst = appendLen(dst, uint64(g.EntriesRead)) // -1 (unknown) as Redis writes it
		dst = appendLen(dst, uint64(len(g.Pending)))
		for _, p := range g.Pending {
			dst = appendRawID(dst, p.ID)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(p.DeliveryTime))
			dst = appendLen(dst, p.DeliveryCount)
		}
		dst = appendLen(dst, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			dst = e.appendString(dst, c.Name)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(c.SeenTime))
			if e.version >= 11 {
				at := c.ActiveTime
				if at < 0 {
					at = c.SeenTime
				}
				dst = binary.LittleEndian.AppendUint64(dst, uint64(at))
			}
			dst = appendLen(dst, uint64(len(c.Pending)))
			for _, id := range c.Pending {
				dst = appendRawID(dst, id)
			}
		}
	}
	return dst, t, nil
}

// buildStreamNode writes into e.lp a node of entries with the given master
// fields. With count -1 it stops at the node limits and returns how many
// entries fit; otherwise it writes exactly count entries.
func (e *Encoder) buildStreamNode(entries []StreamEntry, master [][]byte, count int) int {
	first := entries[0].ID
	e.lp.Reset()
	e.lp.AppendInt(int64(max(count, 0)))
	e.lp.AppendInt(0)
	e.lp.AppendInt(int64(len(master)))
	for _, f := range master {
		e.lp.AppendString(f)
	}
	e.lp.AppendInt(0)
	n := 0
	for ; n < len(entries); n++ {
		if count >= 0 && n == count {
			break
		}
		if count < 0 && n > 0 && (n >= streamNodeMaxEntries || e.lp.Size() >= streamNodeMaxBytes) {
			break
		}
		en := &entries[n]
		nf := len(en.Fields) / 2
		same := sameFields(en, master)
		if same {
			e.lp.AppendInt(streamItemSameFields)
		} else {
			e.lp.AppendInt(0)
		}
		e.lp.AppendInt(int64(en.ID.Ms - first.Ms))
		e.lp.AppendInt(int64(en.ID.Seq - first.Seq))
		if same {
			for j := 1; j < len(en.Fields); j += 2 {
				e.lp.AppendString(en.Fields[j])
			}
			e.lp.AppendInt(int64(nf + 3))
		} else {
			e.lp.AppendInt(int64(nf))
			for _, f := range en.Fields {
				e.lp.AppendString(f)
			}
			e.lp.AppendInt(int64(2*nf + 4))
		}
	}
	return n
}
