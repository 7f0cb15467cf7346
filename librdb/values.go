package librdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Module value opcodes (Redis module.h REDISMODULE_*; rdb.h RDB_MODULE_OPCODE_*).
const (
	moduleOpEOF    = 0
	moduleOpSint   = 1
	moduleOpUint   = 2
	moduleOpFloat  = 3
	moduleOpDouble = 4
	moduleOpString = 5
)

// Quicklist 2 node containers (Redis 7.0 quicklist.h).
const (
	quicklistPlain  = 1
	quicklistPacked = 2
)

// Stream listpack entry flags (Redis t_stream.c).
const (
	streamItemDeleted    = 1
	streamItemSameFields = 2
)

// readValue reads the value of k (whose type byte was read) and calls the
// visitor's value methods.
func (d *Decoder) readValue(v Visitor, k *Key) error {
	var err error
	switch k.RDBType {
	case TypeString:
		if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
			return err
		}
		return call(v.StringValue(k, d.bufs[0]))
	case TypeList, TypeSet:
		n, err := d.readCount("element")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			if k.RDBType == TypeList {
				err = v.ListElement(k, d.bufs[0])
			} else {
				err = v.SetMember(k, d.bufs[0])
			}
			if err != nil {
				return call(err)
			}
		}
		return nil
	case TypeZSet, TypeZSet2:
		n, err := d.readCount("member")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			var score float64
			if k.RDBType == TypeZSet {
				score, err = d.readDouble()
			} else {
				score, err = d.readBinaryDouble()
			}
			if err != nil {
				return err
			}
			if math.IsNaN(score) {
				return d.errorf("zset member %q has a NaN score", d.bufs[0])
			}
			if err := call(v.ZSetMember(k, d.bufs[0], score)); err != nil {
				return err
			}
		}
		return nil
	case TypeHash, TypeHashMetadataPreGA, TypeHashMetadata:
		return d.readHashTable(v, k)
	case TypeHashZipmap:
		blob, err := d.readBlob()
		if err != nil {
			return err
		}
		_, err = ZipmapEach(blob, func(f, val []byte) error {
			return call(v.HashField(k, f, val, -1))
		})
		return d.blobErr(err)
	case TypeListZiplist:
		blob, err := d.readBlob()
		if err != nil {
			return err
		}
		_, err = ZiplistEach(blob, d.listFn(v, k))
		return d.blobErr(err)
	case TypeListQuicklist:
		n, err := d.readCount("quicklist node")
		if err != nil {
			return err
		}
		nv, nodes := v.(QuicklistVisitor)
		for i := uint64(0); i < n; i++ {
			blob, err := d.readBlob()
			if err != nil {
				return err
			}
			if !nodes {
				if _, err := ZiplistEach(blob, d.listFn(v, k)); err != nil {
					return d.blobErr(err)
				}
				continue
			}
			d.lp.Reset()
			if _, err := ZiplistEach(blob, func(e Entry) error {
				if e.IsInt {
					d.lp.AppendInt(e.Int)
				} else {
					d.lp.AppendString(e.Str)
				}
				return nil
			}); err != nil {
				return d.blobErr(err)
			}
			if d.lp.Len() > 0 {
				d.bufs[1] = d.lp.AppendTo(d.bufs[1][:0])
				if err := call(nv.ListNode(k, d.bufs[1], false, d.lp.Len())); err != nil {
					return err
				}
			}
		}
		return nil
	case TypeListQuicklist2:
		n, err := d.readCount("quicklist node")
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			container, _, err := d.readLen()
			if err != nil {
				return err
			}
			if container != quicklistPlain && container != quicklistPacked {
				return d.errorf("quicklist node container %d is neither plain nor packed", container)
			}
			blob, err := d.readBlob()
			if err != nil {
				return err
			}
			nv, nodes := v.(QuicklistVisitor)
			switch {
			case container == quicklistPlain && nodes:
				err = nv.ListNode(k, blob, true, 1)
			case container == quicklistPlain:
				err = v.ListElement(k, blob)
			case nodes:
				var count int
				if count, err = ListpackEach(blob, func(Entry) error { return nil }); err != nil {
					return d.blobErr(err)
				}
				if count > 0 {
					err = nv.ListNode(k, blob, false, count)
				}
			default:
				if _, err := ListpackEach(blob, d.listFn(v, k)); err != nil {
					return d.blobErr(err)
				}
			}
			if err := call(err); err != nil {
				return err
			}
		}
		return nil
	case TypeSetIntset:
		blob, err := d.readBlob()
		if err != nil {
			return err
		}
		_, err = IntsetEach(blob, func(x int64) error {
			d.bufs[1] = strconv.AppendInt(d.bufs[1][:0], x, 10)
			return call(v.SetMember(k, d.bufs[1]))
		})
		return d.blobErr(err)
	case TypeSetListpack:
		blob, err := d.readBlob()
		if err != nil {
			return err
		}
		clear(d.seenMap())
		_, err = ListpackEach(blob, func(e Entry) error {
			d.bufs[1] = e.Append(d.bufs[1][:0])
			if err := d.dup(d.bufs[1]); err != nil {
				return err
			}
			return call(v.SetMember(k, d.bufs[1]))
		})
		return d.blobErr(err)
	case TypeZSetZiplist, TypeZSetListpack:
		return d.readPairs(v, k, false)
	case TypeHashZiplist, TypeHashListpack:
		return d.readPairs(v, k, false)
	case TypeHashListpackExPreGA, TypeHashListpackEx:
		if k.RDBType == TypeHashListpackEx {
			if _, err := d.readMillis(); err != nil { // the hash's minimum field expiry
				return err
			}
		}
		return d.readPairs(v, k, true)
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return d.readStream(v, k)
	case TypeModule2:
		m := &Module{}
		if m.ID, _, err = d.readLen(); err != nil {
			return err
		}
		m.Name, m.EncVersion = moduleName(m.ID)
		if err := d.readModule(m); err != nil {
			return err
		}
		return call(v.ModuleValue(k, m))
	case TypeModulePreGA:
		id, _, err := d.readLen()
		if err != nil {
			return err
		}
		name, _ := moduleName(id)
		return d.errorf("value of module %s in the pre-GA module format cannot be skipped without the module", name)
	}
	return d.errorf("unknown RDB object type %d", k.RDBType)
}

// readBlob reads a string holding a compact encoding into bufs[2].
func (d *Decoder) readBlob() ([]byte, error) {
	var err error
	d.bufs[2], err = d.readString(d.bufs[2])
	return d.bufs[2], err
}

// blobErr reports a codec error at the current offset with the key.
func (d *Decoder) blobErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(visitorError); ok {
		return err
	}
	return d.wrap(fmt.Errorf("%s value: %w", d.key.Encoding, err))
}

func (d *Decoder) listFn(v Visitor, k *Key) func(Entry) error {
	return func(e Entry) error {
		d.bufs[1] = e.Append(d.bufs[1][:0])
		return call(v.ListElement(k, d.bufs[1]))
	}
}

func (d *Decoder) seenMap() map[string]struct{} {
	if d.seen == nil {
		d.seen = make(map[string]struct{})
	}
	return d.seen
}

var errDuplicate = errors.New("duplicate element")

// dup records s and fails if it was already seen in the current blob, as
// Redis's integrity checks of compact hashes, sets and zsets do.
func (d *Decoder) dup(s []byte) error {
	if _, ok := d.seen[string(s)]; ok {
		return fmt.Errorf("%w %q", errDuplicate, s)
	}
	d.seen[string(s)] = struct{}{}
	return nil
}

// readPairs reads a ziplist or listpack of field/value (hash) or
// member/score (zset) pairs; withTTL reads field/value/expiry triplets
// (HASH_LISTPACK_EX, where 0 means no expiry).
func (d *Decoder) readPairs(v Visitor, k *Key, withTTL bool) error {
	blob, err := d.readBlob()
	if err != nil {
		return err
	}
	clear(d.seenMap())
	group := 2
	if withTTL {
		group = 3
	}
	i := 0
	var val []byte
	fn := func(e Entry) error {
		switch i % group {
		case 0:
			d.bufs[0] = e.Append(d.bufs[0][:0])
			if err := d.dup(d.bufs[0]); err != nil {
				return err
			}
		case 1:
			d.bufs[1] = e.Append(d.bufs[1][:0])
			val = d.bufs[1]
			if k.Kind == KindZSet {
				score, err := strconv.ParseFloat(string(val), 64)
				if err != nil || math.IsNaN(score) {
					return fmt.Errorf("bad score %q of member %q", val, d.bufs[0])
				}
				if err := call(v.ZSetMember(k, d.bufs[0], score)); err != nil {
					return err
				}
			} else if !withTTL {
				if err := call(v.HashField(k, d.bufs[0], val, -1)); err != nil {
					return err
				}
			}
		case 2:
			if !e.IsInt {
				return fmt.Errorf("field %q: expiry %q is not an integer", d.bufs[0], e.Str)
			}
			exp := e.Int
			if exp == 0 {
				exp = -1
			}
			if err := call(v.HashField(k, d.bufs[0], val, exp)); err != nil {
				return err
			}
		}
		i++
		return nil
	}
	var n int
	if k.RDBType == TypeHashZiplist || k.RDBType == TypeZSetZiplist {
		n, err = ZiplistEach(blob, fn)
	} else {
		n, err = ListpackEach(blob, fn)
	}
	if err != nil {
		return d.blobErr(err)
	}
	if n%group != 0 {
		return d.blobErr(fmt.Errorf("%d entries do not make whole %d-tuples", n, group))
	}
	return nil
}

// readHashTable reads a hash stored field by field: type 4, and the
// field-expiry variants (Redis 7.4 HASH_METADATA: minimum expiry, then per
// field a relative TTL+1 or 0 before the field; its release candidates
// and Valkey 9's HASH_2 store an absolute 8-byte expiry, Valkey after the
// value).
func (d *Decoder) readHashTable(v Visitor, k *Key) error {
	var minExpire int64
	var err error
	if k.RDBType == TypeHashMetadata {
		if minExpire, err = d.readMillis(); err != nil {
			return err
		}
	}
	n, err := d.readCount("field")
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		exp := int64(-1)
		if k.RDBType == TypeHashMetadata {
			ttl, _, err := d.readLen()
			if err != nil {
				return err
			}
			if ttl != 0 {
				exp = int64(ttl) + minExpire - 1
			}
		} else if k.RDBType == TypeHashMetadataPreGA && !d.valkey {
			if exp, err = d.readMillis(); err != nil {
				return err
			}
			if exp == 0 {
				exp = -1
			}
		}
		if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
			return err
		}
		if d.bufs[1], err = d.readString(d.bufs[1]); err != nil {
			return err
		}
		if k.RDBType == TypeHashMetadataPreGA && d.valkey {
			if exp, err = d.readMillis(); err != nil {
				return err
			}
			if exp < 0 {
				exp = -1
			}
		}
		if err := call(v.HashField(k, d.bufs[0], d.bufs[1], exp)); err != nil {
			return err
		}
	}
	return nil
}

// readModule walks a self-describing module payload (MODULE_2 values and
// module AUX) up to its EOF opcode, filling m.Size and, with KeepModules,
// m.Raw.
func (d *Decoder) readModule(m *Module) error {
	before := d.r.offset()
	if d.KeepModules {
		d.r.capturing, d.r.captured = true, d.r.captured[:0]
		defer func() { d.r.capturing = false }()
	}
	if err := d.skipModule(m.Name); err != nil {
		return err
	}
	m.Size = d.r.offset() - before
	if d.KeepModules {
		m.Raw = bytes.Clone(d.r.captured)
	}
	return nil
}

// skipModule walks a module payload up to its EOF opcode.
func (d *Decoder) skipModule(name string) error {
	for {
		op, _, err := d.readLen()
		if err != nil {
			return err
		}
		switch op {
		case moduleOpEOF:
			return nil
		case moduleOpSint, moduleOpUint:
			if _, _, err := d.readLen(); err != nil {
				return err
			}
		case moduleOpFloat:
			if err := d.r.skip(4); err != nil {
				return err
			}
		case moduleOpDouble:
			if err := d.r.skip(8); err != nil {
				return err
			}
		case moduleOpString:
			if err := d.skipString(); err != nil {
				return err
			}
		default:
			return d.errorf("module %s: unknown module opcode %d", name, op)
		}
	}
}

func (d *Decoder) readStreamID() (StreamID, error) {
	ms, _, err := d.readLen()
	if err != nil {
		return StreamID{}, err
	}
	seq, _, err := d.readLen()
	return StreamID{ms, seq}, err
}

func (d *Decoder) readRawID() (StreamID, error) {
	b, err := d.r.next(16)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

// readStream reads a stream (Redis 7.x rdb.c rdbLoadObject,
// RDB_TYPE_STREAM_LISTPACKS*): listpack nodes keyed by their master ID,
// then length, last ID, (v2+) first ID, max deleted ID, entries added,
// then consumer groups with their PELs and consumers.
func (d *Decoder) readStream(v Visitor, k *Key) error {
	nodes, err := d.readCount("stream node")
	if err != nil {
		return err
	}
	var first StreamID
	haveFirst := false
	var prev StreamID
	live := uint64(0)
	nv, byNode := v.(StreamNodeVisitor)
	for i := uint64(0); i < nodes; i++ {
		if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
			return err
		}
		if len(d.bufs[0]) != 16 {
			return d.errorf("stream node key has %d bytes, want 16", len(d.bufs[0]))
		}
		master := StreamID{binary.BigEndian.Uint64(d.bufs[0]), binary.BigEndian.Uint64(d.bufs[0][8:])}
		blob, err := d.readBlob()
		if err != nil {
			return err
		}
		n, err := d.streamNode(v, k, master, blob, &prev, i == 0, !byNode, func(id StreamID) {
			if !haveFirst {
				first, haveFirst = id, true
			}
		})
		if err != nil {
			return err
		}
		live += n
		if byNode {
			if err := call(nv.StreamNode(k, master, blob)); err != nil {
				return err
			}
		}
	}
	m := &StreamMeta{}
	if m.Length, _, err = d.readLen(); err != nil {
		return err
	}
	// The stored length is what XLEN reports; Redis does not check it
	// against the entries (Redis 5 files exist where they differ).
	_ = live
	if m.LastID, err = d.readStreamID(); err != nil {
		return err
	}
	v2 := k.RDBType >= TypeStreamListpacks2
	if v2 {
		if m.FirstID, err = d.readStreamID(); err != nil {
			return err
		}
		if m.MaxDeletedID, err = d.readStreamID(); err != nil {
			return err
		}
		if m.EntriesAdded, _, err = d.readLen(); err != nil {
			return err
		}
	} else {
		m.Derived = true
		m.EntriesAdded = m.Length
		if haveFirst {
			m.FirstID = first
		}
	}
	ngroups, err := d.readCount("consumer group")
	if err != nil {
		return err
	}
	for g := uint64(0); g < ngroups; g++ {
		var grp StreamGroup
		if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
			return err
		}
		grp.Name = append([]byte(nil), d.bufs[0]...)
		if grp.LastID, err = d.readStreamID(); err != nil {
			return err
		}
		if v2 {
			er, _, err := d.readLen()
			if err != nil {
				return err
			}
			grp.EntriesRead = int64(er)
		} else {
			grp.EntriesRead = estimateEntriesRead(m, grp.LastID)
		}
		npel, err := d.readCount("pending entry")
		if err != nil {
			return err
		}
		for p := uint64(0); p < npel; p++ {
			var pe StreamPending
			if pe.ID, err = d.readRawID(); err != nil {
				return err
			}
			if pe.DeliveryTime, err = d.readMillis(); err != nil {
				return err
			}
			if pe.DeliveryCount, _, err = d.readLen(); err != nil {
				return err
			}
			grp.Pending = append(grp.Pending, pe)
		}
		ncons, err := d.readCount("consumer")
		if err != nil {
			return err
		}
		for c := uint64(0); c < ncons; c++ {
			var cons StreamConsumer
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			cons.Name = append([]byte(nil), d.bufs[0]...)
			if cons.SeenTime, err = d.readMillis(); err != nil {
				return err
			}
			cons.ActiveTime = -1
			if k.RDBType >= TypeStreamListpacks3 {
				if cons.ActiveTime, err = d.readMillis(); err != nil {
					return err
				}
			}
			np, err := d.readCount("consumer pending entry")
			if err != nil {
				return err
			}
			for p := uint64(0); p < np; p++ {
				id, err := d.readRawID()
				if err != nil {
					return err
				}
				cons.Pending = append(cons.Pending, id)
			}
			grp.Consumers = append(grp.Consumers, cons)
		}
		m.Groups = append(m.Groups, grp)
	}
	return call(v.StreamMeta(k, m))
}

// estimateEntriesRead is Redis 7.0's streamEstimateDistanceFromFirstEverEntry
// (t_stream.c), used for groups loaded from pre-7.0 streams; -1 is unknown.
func estimateEntriesRead(m *StreamMeta, id StreamID) int64 {
	if m.EntriesAdded == 0 {
		return 0
	}
	if m.Length == 0 && id.Compare(m.LastID) < 1 {
		return int64(m.EntriesAdded)
	}
	switch id.Compare(m.LastID) {
	case 0:
		return int64(m.EntriesAdded)
	case 1:
		return -1
	}
	if m.MaxDeletedID == (StreamID{}) || m.MaxDeletedID.Compare(m.FirstID) < 0 {
		switch id.Compare(m.FirstID) {
		case -1:
			return int64(m.EntriesAdded - m.Length)
		case 0:
			return int64(m.EntriesAdded - m.Length + 1)
		}
	}
	return -1
}

// streamNode walks one stream listpack (t_stream.c layout: master entry
// count, deleted, master field count, fields, 0; then per entry flags,
// ms-diff, seq-diff, [field count, field/value pairs | values], lp-count)
// and passes each live entry to the visitor when entries is set. It
// returns the number of live entries.
func (d *Decoder) streamNode(v Visitor, k *Key, master StreamID, blob []byte, prev *StreamID, firstNode, entries bool, onLive func(StreamID)) (uint64, error) {
	ents := d.entriesBuf[:0]
	if _, err := ListpackEach(blob, func(e Entry) error {
		ents = append(ents, e)
		return nil
	}); err != nil {
		return 0, d.blobErr(err)
	}
	d.entriesBuf = ents
	pos := 0
	bad := func(what string) error {
		return d.errorf("stream node %s: %s", master, what)
	}
	nextInt := func() (int64, bool) {
		if pos >= len(ents) || !ents[pos].IsInt {
			return 0, false
		}
		pos++
		return ents[pos-1].Int, true
	}
	count, ok1 := nextInt()
	deleted, ok2 := nextInt()
	nfields, ok3 := nextInt()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || nfields < 0 || int(nfields) > len(ents)-pos {
		return 0, bad("bad master entry")
	}
	masterFields := ents[pos : pos+int(nfields)]
	pos += int(nfields)
	if z, ok := nextInt(); !ok || z != 0 {
		return 0, bad("master entry not terminated by 0")
	}
	if count+deleted == 0 {
		return 0, bad("empty node")
	}
	var live uint64
	for seen := int64(0); pos < len(ents); seen++ {
		start := pos
		flags, ok1 := nextInt()
		msd, ok2 := nextInt()
		seqd, ok3 := nextInt()
		if !ok1 || !ok2 || !ok3 {
			return live, bad("bad entry header")
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
		if !(firstNode && seen == 0) && id.Compare(*prev) <= 0 {
			return live, bad("entry IDs not increasing")
		}
		*prev = id
		var fields []Entry
		var values []Entry
		d.fields = d.fields[:0]
		d.intArena = d.intArena[:0]
		if flags&streamItemSameFields != 0 {
			if int(nfields) > len(ents)-pos {
				return live, bad("truncated entry")
			}
			fields = masterFields
			values = ents[pos : pos+int(nfields)]
			pos += int(nfields)
			// Node by node (entries false) the visitor takes the
			// listpack: no entry is assembled.
			for i := 0; entries && i < len(fields); i++ {
				d.fields = append(d.fields, d.entryBytes(fields[i]), d.entryBytes(values[i]))
			}
		} else {
			nf, ok := nextInt()
			if !ok || nf < 0 || int(nf)*2 > len(ents)-pos {
				return live, bad("bad field count")
			}
			for i := 0; entries && i < int(nf)*2; i++ {
				d.fields = append(d.fields, d.entryBytes(ents[pos+i]))
			}
			pos += int(nf) * 2
		}
		lpCount, ok := nextInt()
		if !ok || int(lpCount) != pos-start-1 {
			return live, bad("bad entry back-count")
		}
		if flags&streamItemDeleted != 0 {
			continue
		}
		live++
		onLive(id)
		if !entries {
			continue
		}
		d.entry.ID = id
		d.entry.Fields = d.fields
		if err := call(v.StreamEntry(k, &d.entry)); err != nil {
			return live, err
		}
	}
	if live != uint64(count) {
		return live, bad(fmt.Sprintf("master entry says %d live entries, found %d", count, live))
	}
	return live, nil
}

// entryBytes returns a listpack entry as bytes: strings alias the blob,
// integers are formatted into a per-entry arena (sized so that appending
// never moves earlier slices).
func (d *Decoder) entryBytes(e Entry) []byte {
	if !e.IsInt {
		return e.Str
	}
	if cap(d.intArena)-len(d.intArena) < 20 {
		d.intArena = make([]byte, 0, max(4096, 2*cap(d.intArena)))
	}
	start := len(d.intArena)
	d.intArena = strconv.AppendInt(d.intArena, e.Int, 10)
	return d.intArena[start:len(d.intArena):len(d.intArena)]
}
