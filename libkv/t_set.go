package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"

	"github.com/kvkit/kvkit/internal/intset"
	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/libkv/dict"
)

// Set commands (Redis 7.0 t_set.c).
var setCommands = map[string]cmdFunc{
	"sadd":        cmdSadd,
	"srem":        cmdSrem,
	"smove":       cmdSmove,
	"sismember":   cmdSismember,
	"smismember":  cmdSmismember,
	"scard":       cmdScard,
	"spop":        cmdSpop,
	"srandmember": cmdSrandmember,
	"smembers":    cmdSinter, // Redis 7.0 serves SMEMBERS with sinterCommand
	"sinter":      cmdSinter,
	"sintercard":  cmdSintercard,
	"sinterstore": cmdSinterstore,
	"sunion":      cmdSunion,
	"sunionstore": cmdSunionstore,
	"sdiff":       cmdSdiff,
	"sdiffstore":  cmdSdiffstore,
	"sscan":       cmdSscan,
}

// A set is encoded as Redis 7.0 encodes it:
//
//   - intset: every member is an integer (string2ll accepts it) and there
//     are at most set-max-intset-entries of them. The Object holds the
//     intset's bytes (internal/intset) the way a string holds its bytes:
//     ptr, length n, capacity c. No allocation besides the bytes.
//   - hashtable: otherwise. ptr points to a setDict.
//
// A set converts from intset to hashtable when a non-integer member is
// added or the intset grows past set-max-intset-entries, and never back,
// except where Redis builds a new set (SPOP with a count close to the
// size, the STORE commands), which starts as an intset again.

// setDict is a hashtable-encoded set: the members are the keys of a dict
// with empty values, as Redis's setDictType. mem is the running total of
// what Redis allocates per member (a dictEntry and the member's sds), so
// that the set's memory is known in O(1). buckets is the dict's bucket
// count as last accounted (see setResized): any lookup may take a rehash
// step that frees a table, and any iteration may start a shrink, so the
// live count changes outside the set commands too (DEBUG DIGEST, COPY's
// source); the accounted size changes only where it is accounted.
type setDict struct {
	d       dict.Dict[struct{}]
	mem     int64
	buckets int
}

// setMemberSize is what Redis allocates for a hashtable member of n bytes:
// its dictEntry and the sds (sdsdup, or sdsfromlonglong on conversion).
func setMemberSize(n int) int64 { return dictEntrySize + sdsAllocSize(int64(n)) }

// add inserts member m (copied) and reports whether it was absent.
func (h *setDict) add(m []byte) bool {
	if h.d.SetBytes(m, struct{}{}) {
		return false
	}
	h.mem += setMemberSize(len(m))
	return true
}

// remove deletes member m and reports whether it was present; the dict
// shrinks below 10% fill as setTypeRemove's dictResize.
func (h *setDict) remove(m []byte) bool {
	if _, ok := h.d.DeleteBytes(m); !ok {
		return false
	}
	h.mem -= setMemberSize(len(m))
	return true
}

func (o *Object) setHT() *setDict { return (*setDict)(o.ptr) }

// intset returns an intset-encoded set's bytes.
func (o *Object) intset() intset.Intset { return intset.Intset(o.str()) }

// newIntsetObject is createIntsetObject: an empty intset-encoded set.
func newIntsetObject() *Object {
	o := &Object{typ: TypeSet, enc: EncIntset}
	o.setStr(intset.New())
	return o
}

// newSetObject is createSetObject: an empty hashtable-encoded set.
func newSetObject() *Object {
	return &Object{typ: TypeSet, enc: EncHashtable, ptr: unsafe.Pointer(&setDict{})}
}

// newSetFor is setTypeCreate: a set that can hold member, an intset when
// member is an integer.
func newSetFor(member []byte) *Object {
	if _, ok := sds.ParseInt(member); ok {
		return newIntsetObject()
	}
	return newSetObject()
}

// setSize is setTypeSize: the number of members.
func setSize(o *Object) int {
	if o.enc == EncIntset {
		return o.intset().Len()
	}
	return o.setHT().d.Len()
}

// maxIntsetEntries is set-max-intset-entries, capped at 2^30 as
// setTypeAdd does; kvkit also keeps an intset's bytes under the Object's
// 4 GiB length field, which only a configuration past 500 million
// entries could reach.
func (s *Server) maxIntsetEntries() int {
	return int(min(s.conf.SetMaxIntsetEntries, 1<<30, (maxStringLen-intset.HeaderSize)/intset.Enc64))
}

// setConvert is setTypeConvert to hashtable: the dict is presized for the
// intset's members.
func setConvert(o *Object) {
	is := o.intset()
	h := &setDict{}
	h.d.Expand(is.Len())
	var buf [20]byte
	for i := range is.Len() {
		h.add(strconv.AppendInt(buf[:0], is.Get(i), 10))
	}
	o.enc, o.ptr, o.n, o.c = EncHashtable, unsafe.Pointer(h), 0, 0
	setSyncBuckets(o)
}

// setResized accounts for a set after a command used it, before being its
// valueMemory beforehand: the members' total changed with each add and
// remove, and lookups may have moved rehash steps or started a resize
// (Redis's dictSlots, and so MEMORY USAGE, change on reads too).
func (db *DB) setResized(o *Object, before int64) {
	setSyncBuckets(o)
	db.resized(o, before)
}

// setSyncBuckets records a hashtable's live bucket count as its accounted
// one: for a set about to be accounted (setResized) or stored.
func setSyncBuckets(o *Object) {
	if o.enc == EncHashtable {
		h := o.setHT()
		h.buckets = h.d.Buckets()
	}
}

// setsRead accounts for the rehash steps of a read-only command's lookups.
func (db *DB) setsRead(sets ...*Object) {
	for _, o := range sets {
		if o != nil && o.enc == EncHashtable {
			db.setResized(o, valueMemory(o))
		}
	}
}

// setAdd is setTypeAdd: it adds member m (copied) and reports whether it
// was absent, converting the encoding as needed.
func (s *Server) setAdd(o *Object, m []byte) bool {
	if o.enc == EncHashtable {
		return o.setHT().add(m)
	}
	v, ok := sds.ParseInt(m)
	if !ok {
		setConvert(o)
		return o.setHT().add(m)
	}
	return s.setAddInt(o, v)
}

// setAddInt adds the integer member v to an intset, converting it when it
// grows past set-max-intset-entries.
func (s *Server) setAddInt(o *Object, v int64) bool {
	is, added := o.intset().Add(v)
	o.setStr(is)
	if added && is.Len() > s.maxIntsetEntries() {
		setConvert(o)
	}
	return added
}

// setRemove is setTypeRemove.
func setRemove(o *Object, m []byte) bool {
	if o.enc == EncHashtable {
		return o.setHT().remove(m)
	}
	v, ok := sds.ParseInt(m)
	if !ok {
		return false
	}
	is, removed := o.intset().Remove(v)
	o.setStr(is)
	return removed
}

// setIsMember is setTypeIsMember.
func setIsMember(o *Object, m []byte) bool {
	if o.enc == EncHashtable {
		_, ok := o.setHT().d.GetBytes(m)
		return ok
	}
	v, ok := sds.ParseInt(m)
	return ok && o.intset().Find(v)
}

// setElem is a member as setTypeNext yields it: an intset's integer, or a
// hashtable's string (owned by the set; valid while the command runs).
type setElem struct {
	str   string
	num   int64
	isInt bool
}

// bytes returns the member's string form, formatting an integer into buf.
func (e setElem) bytes(buf *[20]byte) []byte {
	if e.isInt {
		return strconv.AppendInt(buf[:0], e.num, 10)
	}
	return unsafe.Slice(unsafe.StringData(e.str), len(e.str))
}

// setElems iterates over the members: an intset's in ascending order, a
// hashtable's in table order.
func setElems(o *Object) iter.Seq[setElem] {
	return func(yield func(setElem) bool) {
		if o.enc == EncIntset {
			is := o.intset()
			for i := range is.Len() {
				if !yield(setElem{num: is.Get(i), isInt: true}) {
					return
				}
			}
			return
		}
		for k := range o.setHT().d.All() {
			if !yield(setElem{str: k}) {
				return
			}
		}
	}
}

// setRandom is setTypeRandomElement: a random member of a non-empty set
// (dictGetFairRandomKey for a hashtable).
func setRandom(o *Object) setElem {
	if o.enc == EncIntset {
		return setElem{num: o.intset().Random(), isInt: true}
	}
	k, _, _ := o.setHT().d.RandomKey()
	return setElem{str: k}
}

// setAddElem adds a member taken from another set; an integer goes into
// an intset without formatting.
func (s *Server) setAddElem(o *Object, e setElem) bool {
	if e.isInt && o.enc == EncIntset {
		return s.setAddInt(o, e.num)
	}
	var buf [20]byte
	return s.setAdd(o, e.bytes(&buf))
}

// setHasElem is setTypeIsMember for a member taken from another set.
func setHasElem(o *Object, e setElem) bool {
	if e.isInt && o.enc == EncIntset {
		return o.intset().Find(e.num)
	}
	var buf [20]byte
	return setIsMember(o, e.bytes(&buf))
}

// setRemoveElem is setTypeRemove for a member taken from a set.
func setRemoveElem(o *Object, e setElem) bool {
	var buf [20]byte
	return setRemove(o, e.bytes(&buf))
}

// replyElem writes a member as a bulk string.
func (c *Client) replyElem(e setElem) {
	if e.isInt {
		c.w.BulkInt(e.num)
	} else {
		c.w.BulkString(e.str)
	}
}

// setMemory is objectComputeSize for a set: the robj, then an intset's
// allocation, or the dict, its bucket array and, per member, a dictEntry
// and the sds. (Redis averages the first five members' sizes; the exact
// sum is the same for members of one size class.)
func setMemory(o *Object) int64 {
	if o.enc == EncIntset {
		return robjSize + jemallocSize(int64(o.n))
	}
	h := o.setHT()
	return robjSize + dictStructSize + 8*int64(h.buckets) + h.mem
}

// setDup is setTypeDup: an intset's bytes copied, or a hashtable presized
// for the members.
func setDup(o *Object) *Object {
	if o.enc == EncIntset {
		d := &Object{typ: TypeSet, enc: EncIntset}
		d.setStr(append(intset.Intset(nil), o.intset()...))
		return d
	}
	d := newSetObject()
	h := d.setHT()
	h.d.Expand(setSize(o))
	for k := range o.setHT().d.All() {
		h.d.Set(k, struct{}{}) // strings are immutable: the key is shared
		h.mem += setMemberSize(len(k))
	}
	setSyncBuckets(d)
	return d
}

// setDigest is debug.c's xorObjectDigest for a set: the members' SHA-1s
// XORed, so that the order does not matter.
func setDigest(d *[20]byte, o *Object) {
	var buf [20]byte
	for e := range setElems(o) {
		xorDigest(d, e.bytes(&buf))
	}
}

// setRdbLen is rdbSavedObjectLen for a set: RDB_TYPE_SET_INTSET is the
// intset's bytes as one string; RDB_TYPE_SET is the member count and each
// member as a string.
func setRdbLen(o *Object, compress bool) int64 {
	if o.enc == EncIntset {
		return int64(rdbStringLen(o.intset(), compress))
	}
	n := int64(rdbLenLen(setSize(o)))
	for k := range o.setHT().d.All() {
		n += int64(rdbStringLen(unsafe.Slice(unsafe.StringData(k), len(k)), compress))
	}
	return n
}

func init() {
	valueTypes[TypeSet] = &valueType{memory: setMemory, dup: setDup, digest: setDigest, rdbLen: setRdbLen,
		rdbValue: setRdbValue, rdbLoad: setRdbLoad} // rdb_types.go
}

// SADD key member [member ...]
func cmdSadd(c *Client, args [][]byte) {
	s := c.srv
	o, ok := c.lookupWriteType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil {
		o = newSetFor(args[2])
		s.addKey(c.db, args[1], o)
	}
	before := valueMemory(o)
	added := 0
	for _, m := range args[2:] {
		if s.setAdd(o, m) {
			added++
		}
	}
	c.db.setResized(o, before)
	s.dirty += int64(added)
	if added > 0 {
		s.notifyKeyspaceEvent(config.NotifySet, "sadd", args[1], c.db.id)
	}
	c.w.Int(int64(added))
}

// SREM key member [member ...]
func cmdSrem(c *Client, args [][]byte) {
	s := c.srv
	o, ok := c.lookupWriteType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	before := valueMemory(o)
	deleted := 0
	for _, m := range args[2:] {
		if setRemove(o, m) {
			deleted++
			if setSize(o) == 0 {
				break
			}
		}
	}
	c.db.setResized(o, before)
	if deleted > 0 {
		s.notifyKeyspaceEvent(config.NotifySet, "srem", args[1], c.db.id)
	}
	if setSize(o) == 0 {
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	}
	s.dirty += int64(deleted)
	c.w.Int(int64(deleted))
}

// SMOVE source destination member
func cmdSmove(c *Client, args [][]byte) {
	s := c.srv
	src, dst, m := c.lookupWrite(args[1]), c.lookupWrite(args[2]), args[3]
	if src == nil {
		c.w.Int(0)
		return
	}
	if src.typ != TypeSet || (dst != nil && dst.typ != TypeSet) {
		c.addError(errWrongType)
		return
	}
	if src == dst {
		c.w.Int(boolInt(setIsMember(src, m)))
		c.db.setsRead(src)
		return
	}
	before := valueMemory(src)
	if !setRemove(src, m) {
		c.db.setResized(src, before)
		c.w.Int(0)
		return
	}
	c.db.setResized(src, before)
	s.notifyKeyspaceEvent(config.NotifySet, "srem", args[1], c.db.id)
	if setSize(src) == 0 {
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	}
	if dst == nil {
		dst = newSetFor(m)
		s.addKey(c.db, args[2], dst)
	}
	s.dirty++
	before = valueMemory(dst)
	if s.setAdd(dst, m) {
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifySet, "sadd", args[2], c.db.id)
	} else {
		s.unchanged(c.db, args[2]) // Redis signals dst only when the member was added
	}
	c.db.setResized(dst, before)
	c.w.Int(1)
}

// SISMEMBER key member
func cmdSismember(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeSet)
	if !ok {
		return
	}
	c.w.Int(boolInt(o != nil && setIsMember(o, args[2])))
	c.db.setsRead(o)
}

// SMISMEMBER key member [member ...]: a missing key is an empty set.
func cmdSmismember(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeSet)
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		c.w.Int(boolInt(o != nil && setIsMember(o, m)))
	}
	c.db.setsRead(o)
}

// SCARD key
func cmdScard(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(setSize(o)))
}

// SPOP key [count]
func cmdSpop(c *Client, args [][]byte) {
	s := c.srv
	if len(args) == 3 {
		spopWithCount(c, args)
		return
	}
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	before := valueMemory(o)
	e := setRandom(o)
	c.replyElem(e)
	var buf [20]byte
	// Replayed as SREM of the member popped (spopCommand).
	c.propagateAs(propSRem, args[1], append([]byte(nil), e.bytes(&buf)...))
	setRemoveElem(o, e)
	c.db.setResized(o, before)
	s.notifyKeyspaceEvent(config.NotifySet, "spop", args[1], c.db.id)
	if setSize(o) == 0 {
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	}
	s.dirty++
}

// spopMoveStrategyMul is SPOP_MOVE_STRATEGY_MUL: SPOP with a count builds
// a new set of the members that stay once they are fewer than a fifth of
// those popped.
const spopMoveStrategyMul = 5

// spopWithCount is spopWithCountCommand, with its three cases: the whole
// set (served as SUNION of the key, then deleted), count random pops, or
// the set rebuilt from the members that remain and the rest popped.
func spopWithCount(c *Client, args [][]byte) {
	s := c.srv
	count, ok := sds.ParseInt(args[2])
	if !ok || count < 0 {
		c.addError(errNotIntPos)
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil || count == 0 {
		c.w.Set(0)
		return
	}
	size := int64(setSize(o))
	s.notifyKeyspaceEvent(config.NotifySet, "spop", args[1], c.db.id)
	s.dirty += min(count, size)
	if count >= size {
		c.sunionDiff(args[1:2], nil, setOpUnion)
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
		c.propagateAs(delOrUnlink(s.conf.LazyfreeLazyServerDel), args[1])
		return
	}
	// Replayed as one SREM per member popped (Redis 7.0
	// spopWithCountCommand), wrapped in MULTI/EXEC by propagatePending.
	c.preventPropagation()
	var buf [20]byte
	srem := func(e setElem) {
		s.alsoPropagate(c.db.id, propSRem, args[1], append([]byte(nil), e.bytes(&buf)...))
	}
	c.w.Set(int(count))
	before := valueMemory(o)
	remaining := size - count
	if remaining*spopMoveStrategyMul > count {
		for ; count > 0; count-- {
			e := setRandom(o)
			c.replyElem(e)
			srem(e)
			setRemoveElem(o, e)
		}
		c.db.setResized(o, before)
		return
	}
	var newset *Object
	for ; remaining > 0; remaining-- {
		e := setRandom(o)
		if newset == nil {
			newset = newSetFor(e.bytes(&buf))
		}
		s.setAddElem(newset, e)
		setRemoveElem(o, e)
	}
	for e := range setElems(o) {
		c.replyElem(e)
		srem(e)
	}
	c.db.setResized(o, before)
	// dbOverwrite: the key keeps its TTL, and under an LFU policy its
	// access data.
	setSyncBuckets(newset)
	lru := o.lru
	s.setKey(c.db, args[1], newset, true)
	if s.lfuPolicy() {
		newset.lru = lru
	}
}

// SRANDMEMBER key [count]
func cmdSrandmember(c *Client, args [][]byte) {
	if len(args) == 3 {
		srandmemberWithCount(c, args)
		return
	}
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	o, ok := c.lookupReadType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	c.replyElem(setRandom(o))
	c.db.setsRead(o)
}

// srandmemberSubStrategyMul is SRANDMEMBER_SUB_STRATEGY_MUL: a count above
// a third of the set is served by removing random members from a copy.
const srandmemberSubStrategyMul = 3

// srandmemberWithCount is srandmemberWithCountCommand: a negative count
// samples with repetition; a count at least the size returns the whole
// set; otherwise count distinct random members, picked by removing from
// a copy of the set (count above a third of it) or by drawing until
// enough distinct ones are found.
func srandmemberWithCount(c *Client, args [][]byte) {
	l, ok := sds.ParseInt(args[2])
	if !ok {
		c.addError(errNotInt)
		return
	}
	if l == math.MinInt64 {
		c.addError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	uniq, count := l >= 0, l
	if !uniq {
		count = -l
	}
	o, ok := c.lookupReadType(args[1], TypeSet)
	if !ok {
		return
	}
	if o == nil || count == 0 {
		c.w.Array(0)
		return
	}
	defer c.db.setsRead(o)
	size := int64(setSize(o))
	if !uniq || count == 1 {
		c.w.Array(int(count))
		for ; count > 0; count-- {
			c.replyElem(setRandom(o))
		}
		return
	}
	if count >= size {
		c.w.Array(int(size))
		for e := range setElems(o) {
			c.replyElem(e)
		}
		return
	}
	c.w.Array(int(count))
	if count*srandmemberSubStrategyMul > size {
		// All members, then a random count of them (a partial
		// Fisher-Yates shuffle: the same distribution as removing
		// random ones from a copy until count remain).
		all := make([]setElem, 0, size)
		for e := range setElems(o) {
			all = append(all, e)
		}
		for i := range int(count) {
			j := i + rand.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
			c.replyElem(all[i])
		}
		return
	}
	seen := make(map[setElem]struct{}, count)
	for int64(len(seen)) < count {
		e := setRandom(o)
		if _, dup := seen[e]; !dup {
			seen[e] = struct{}{}
			c.replyElem(e)
		}
	}
}

// lookupSets looks up the source keys of SINTER, SUNION, SDIFF and their
// STORE forms as lookupKeyRead: a missing key is nil (an empty set); ok is
// false, with WRONGTYPE written, at the first key of another type.
func (c *Client) lookupSets(keys [][]byte) ([]*Object, bool) {
	sets := make([]*Object, len(keys))
	for i, k := range keys {
		o, ok := c.lookupReadType(k, TypeSet)
		if !ok {
			return nil, false
		}
		sets[i] = o
	}
	return sets, true
}

// storeSet is the end of the STORE commands: a non-empty result replaces
// dst (its TTL dropped) and is notified as event, an empty one deletes it;
// the reply is the size.
func (c *Client) storeSet(dst []byte, o *Object, event string) {
	s := c.srv
	n := setSize(o)
	if n > 0 {
		setSyncBuckets(o)
		c.lookupWrite(dst) // setKey's lookup: an expired dst is expired first
		s.setKey(c.db, dst, o, false)
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifySet, event, dst, c.db.id)
	} else if s.deleteKey(c.db, dst) {
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", dst, c.db.id)
	}
	c.w.Int(int64(n))
}

// sinterGeneric is sinterGenericCommand: SINTER (dst nil), SINTERSTORE,
// and SINTERCARD (cardOnly, stopping at limit unless it is 0). The
// smallest set is walked and each member tested against the others.
func (c *Client) sinterGeneric(keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	s := c.srv
	sets, ok := c.lookupSets(keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			if s.deleteKey(c.db, dst) {
				s.dirty++
				s.notifyKeyspaceEvent(config.NotifyGeneric, "del", dst, c.db.id)
			}
			c.w.Int(0)
		case cardOnly:
			c.w.Int(0)
		default:
			c.w.Set(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *Object) int { return setSize(a) - setSize(b) })
	var dstset *Object
	var out []setElem
	if dst != nil {
		dstset = newIntsetObject()
	}
	var card int64
	for e := range setElems(sets[0]) {
		j := 1
		for ; j < len(sets); j++ {
			if sets[j] != sets[0] && !setHasElem(sets[j], e) {
				break
			}
		}
		if j < len(sets) {
			continue
		}
		switch {
		case cardOnly:
			card++
		case dst == nil:
			out = append(out, e)
		default:
			s.setAddElem(dstset, e)
		}
		if cardOnly && limit != 0 && card >= limit {
			break
		}
	}
	c.db.setsRead(sets...)
	switch {
	case cardOnly:
		c.w.Int(card)
	case dst != nil:
		c.storeSet(dst, dstset, "sinterstore")
	default:
		c.w.Set(len(out))
		for _, e := range out {
			c.replyElem(e)
		}
	}
}

// SINTER key [key ...], and SMEMBERS key
func cmdSinter(c *Client, args [][]byte) { c.sinterGeneric(args[1:], nil, false, 0) }

// SINTERSTORE destination key [key ...]
func cmdSinterstore(c *Client, args [][]byte) { c.sinterGeneric(args[2:], args[1], false, 0) }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSintercard(c *Client, args [][]byte) {
	numkeys, ok := sds.ParseInt(args[1])
	if !ok || numkeys < 1 {
		c.addError("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(args)-2) {
		c.addError("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(args); j++ {
		if !eqFold(args[j], "limit") || j == len(args)-1 {
			c.addError(errSyntax)
			return
		}
		j++
		if limit, ok = sds.ParseInt(args[j]); !ok || limit < 0 {
			c.addError("ERR LIMIT can't be negative")
			return
		}
	}
	c.sinterGeneric(args[2:2+numkeys], nil, true, limit)
}

// SUNION and SDIFF operations of sunionDiff.
const (
	setOpUnion = iota
	setOpDiff
)

// sunionDiff is sunionDiffGenericCommand: the result is built in a new set
// that starts as an intset (createIntsetObject) and converts as members
// are added, then replied (dst nil) or stored. SDIFF picks, as Redis, the
// cheaper of testing each member of the first set against the others
// (work: size of the first set times the number of sets, halved) and
// copying the first set then removing the others' members (work: the
// sum of the sizes).
func (c *Client) sunionDiff(keys [][]byte, dst []byte, op int) {
	s := c.srv
	sets, ok := c.lookupSets(keys)
	if !ok {
		return
	}
	diffAlgo := 1
	if op == setOpDiff && sets[0] != nil {
		var one, two int64
		for _, o := range sets {
			if o != nil {
				one += int64(setSize(sets[0]))
				two += int64(setSize(o))
			}
		}
		one /= 2
		if one > two {
			diffAlgo = 2
		}
		if diffAlgo == 1 && len(sets) > 1 {
			// Largest first: a member is likelier to be found early.
			size := func(o *Object) int {
				if o == nil {
					return 0
				}
				return setSize(o)
			}
			slices.SortStableFunc(sets[1:], func(a, b *Object) int { return size(b) - size(a) })
		}
	}
	dstset := newIntsetObject()
	card := 0
	switch {
	case op == setOpUnion:
		for _, o := range sets {
			if o == nil {
				continue
			}
			for e := range setElems(o) {
				if s.setAddElem(dstset, e) {
					card++
				}
			}
		}
	case sets[0] == nil:
	case diffAlgo == 1:
		for e := range setElems(sets[0]) {
			j := 1
			for ; j < len(sets); j++ {
				if sets[j] == nil {
					continue
				}
				if sets[j] == sets[0] || setHasElem(sets[j], e) {
					break
				}
			}
			if j == len(sets) {
				s.setAddElem(dstset, e)
				card++
			}
		}
	default:
		for j, o := range sets {
			if o == nil {
				continue
			}
			for e := range setElems(o) {
				if j == 0 {
					if s.setAddElem(dstset, e) {
						card++
					}
				} else if setRemoveElem(dstset, e) {
					card--
				}
			}
			if card == 0 {
				break
			}
		}
	}
	c.db.setsRead(sets...)
	if dst != nil {
		event := "sunionstore"
		if op == setOpDiff {
			event = "sdiffstore"
		}
		c.storeSet(dst, dstset, event)
		return
	}
	c.w.Set(card)
	for e := range setElems(dstset) {
		c.replyElem(e)
	}
}

// SUNION key [key ...]
func cmdSunion(c *Client, args [][]byte) { c.sunionDiff(args[1:], nil, setOpUnion) }

// SUNIONSTORE destination key [key ...]
func cmdSunionstore(c *Client, args [][]byte) { c.sunionDiff(args[2:], args[1], setOpUnion) }

// SDIFF key [key ...]
func cmdSdiff(c *Client, args [][]byte) { c.sunionDiff(args[1:], nil, setOpDiff) }

// SDIFFSTORE destination key [key ...]
func cmdSdiffstore(c *Client, args [][]byte) { c.sunionDiff(args[2:], args[1], setOpDiff) }

// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned
// whole with cursor 0 whatever the cursor; a hashtable is scanned as the
// keyspace is, about COUNT buckets' worth per call. As Redis, the cursor is
// checked first, then the key (a missing one gives an empty scan even with
// bad options), then the options.
func cmdSscan(c *Client, args [][]byte) {
	o, cursor, opts, ok := c.scanKeyArgs(args, TypeSet)
	if !ok {
		return
	}
	var elems []setElem
	if o.enc == EncIntset {
		for e := range setElems(o) {
			elems = append(elems, e)
		}
		cursor = 0
	} else {
		d := &o.setHT().d
		// count*10 wraps for a huge COUNT as in cmdScan: the whole
		// table is then scanned.
		for iterations := opts.count * 10; ; iterations-- {
			cursor = d.Scan(cursor, func(k string, _ struct{}) { elems = append(elems, setElem{str: k}) })
			if cursor == 0 || iterations == 0 || int64(len(elems)) >= opts.count {
				break
			}
		}
	}
	c.db.setsRead(o)
	var buf [20]byte
	out := elems[:0]
	for _, e := range elems {
		if opts.matches(e.bytes(&buf)) {
			out = append(out, e)
		}
	}
	c.w.Array(2)
	c.w.Bulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.w.Array(len(out))
	for _, e := range out {
		c.replyElem(e)
	}
}
