package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"unsafe"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/libkv/dict"
)

// Hash commands (Redis 7.0 t_hash.c).
//
// A hash is a listpack of alternating fields and values (Redis's exact
// bytes, held like a string's: Object.ptr/n/c) until it has more than
// hash-max-listpack-entries fields or a field or value longer than
// hash-max-listpack-value bytes; it then becomes a hashtable (libkv/dict)
// and never goes back, as in Redis.
var hashCommands = map[string]cmdFunc{
	"hset": cmdHSet, "hmset": cmdHSet, "hsetnx": cmdHSetNX, "hget": cmdHGet, "hmget": cmdHMGet,
	"hgetall": cmdHGetAll, "hkeys": cmdHKeys, "hvals": cmdHVals, "hdel": cmdHDel,
	"hexists": cmdHExists, "hlen": cmdHLen, "hstrlen": cmdHStrLen, "hincrby": cmdHIncrBy,
	"hincrbyfloat": cmdHIncrByFloat, "hrandfield": cmdHRandField, "hscan": cmdHScan,
}

func init() {
	valueTypes[TypeHash] = &valueType{
		memory: hashMemory,
		dup:    hashDup,
		digest: hashDigest,
		rdbLen: hashRdbLen,
		// rdb_types.go
		rdbValue: hashRdbValue,
		rdbLoad:  hashRdbLoad,
	}
}

// hashTable is the hashtable encoding: fields and values as Go strings,
// with the running sizes objectComputeSize needs.
type hashTable struct {
	d dict.Dict[string]
	// elems is the sum over entries of sdsZmallocSize(field) +
	// sdsZmallocSize(value) + sizeof(dictEntry).
	elems int64
	// slots is the bucket count (dictSlots) as last accounted: a lookup
	// may take a rehash step inside the dict, which changes the size only
	// when the command accounts for it (hashRead, or a write's resized).
	slots int64
}

// lpSafetySize is LISTPACK_MAX_SAFETY_SIZE: a listpack may not grow past
// 1 GB (lpSafeToAdd).
const lpSafetySize = 1 << 30

// hashLP returns a listpack hash's bytes.
func (o *Object) hashLP() []byte { return o.str() }

// setHashLP stores lp as a listpack hash's bytes.
func (o *Object) setHashLP(lp []byte) { o.setStr(lp) }

// hashHT returns a hashtable hash's table.
func (o *Object) hashHT() *hashTable { return (*hashTable)(o.ptr) }

// newHashObject is createHashObject: an empty listpack hash.
func newHashObject() *Object {
	o := &Object{typ: TypeHash, enc: EncListpack}
	o.setHashLP(listpack.New())
	return o
}

// hashMemory is objectComputeSize for a hash: the robj and the listpack's
// allocation, or the robj, the dict, its bucket arrays and every entry with
// its field and value sds (Redis samples five entries; kvkit sums them all).
func hashMemory(o *Object) int64 {
	if o.enc == EncListpack {
		return robjSize + jemallocSize(int64(o.n))
	}
	h := o.hashHT()
	return robjSize + dictStructSize + 8*h.slots + h.elems
}

// hashRead accounts for what a read did to a hashtable hash: a lookup
// moves a bucket of a running rehash, and the rehash's end frees the old
// bucket array.
func (c *Client) hashRead(o *Object) {
	if o == nil || o.enc != EncHashtable {
		return
	}
	h := o.hashHT()
	if slots := int64(h.d.Buckets()); slots != h.slots {
		before := valueMemory(o)
		h.slots = slots
		c.db.resized(o, before)
	}
}

// hashEntrySize is what one hashtable entry adds to hashMemory.
func hashEntrySize(field, value int) int64 {
	return sdsAllocSize(int64(field)) + sdsAllocSize(int64(value)) + dictEntrySize
}

// hashDup is hashTypeDup (COPY): a copy of the listpack at its exact size,
// or a new table presized for the entries.
func hashDup(o *Object) *Object {
	if o.enc == EncListpack {
		d := &Object{typ: TypeHash, enc: EncListpack}
		d.setHashLP(append([]byte(nil), o.hashLP()...))
		return d
	}
	src := o.hashHT()
	h := &hashTable{elems: src.elems}
	h.d.Expand(src.d.Len())
	for f, v := range src.d.All() {
		h.d.Set(f, v)
	}
	h.slots = int64(h.d.Buckets())
	return &Object{typ: TypeHash, enc: EncHashtable, ptr: unsafe.Pointer(h)}
}

// hashDigest is debug.c's xorObjectDigest for a hash: each field and value
// pair is mixed into a digest of its own, and those are XORed together, so
// the order of the pairs does not matter.
func hashDigest(d *[20]byte, o *Object) {
	hashEach(o, func(f, v []byte) bool {
		var ele [20]byte
		mixDigest(&ele, f)
		mixDigest(&ele, v)
		xorDigest(d, ele[:])
		return true
	})
}

// hashRdbLen is rdbSavedObjectLen for a hash: RDB_TYPE_HASH_LISTPACK is the
// listpack saved as one string; RDB_TYPE_HASH is the field count and every
// field and value as strings (rdb.c rdbSaveObject).
func hashRdbLen(o *Object, compress bool) int64 {
	if o.enc == EncListpack {
		return int64(rdbStringLen(o.hashLP(), compress))
	}
	n := int64(rdbLenLen(o.hashHT().d.Len()))
	hashEach(o, func(f, v []byte) bool {
		n += int64(rdbStringLen(f, compress) + rdbStringLen(v, compress))
		return true
	})
	return n
}

// strBytes views a stored string as bytes, for reading only.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// hashLen is hashTypeLength: the number of fields.
func hashLen(o *Object) int {
	if o.enc == EncListpack {
		return listpack.Len(o.hashLP()) / 2
	}
	return o.hashHT().d.Len()
}

// hashEach calls fn for each field and value, in the listpack's order or
// the table's, until fn returns false. The bytes are only valid during the
// call (integers are formatted into buffers reused for the next pair).
func hashEach(o *Object, fn func(field, value []byte) bool) {
	if o.enc == EncHashtable {
		for f, v := range o.hashHT().d.All() {
			if !fn(strBytes(f), strBytes(v)) {
				return
			}
		}
		return
	}
	lp := o.hashLP()
	var fb, vb [20]byte
	for p := listpack.First(lp); p >= 0; {
		vp := listpack.Next(lp, p)
		if !fn(listpack.GetBytes(lp, p, &fb), listpack.GetBytes(lp, vp, &vb)) {
			return
		}
		p = listpack.Next(lp, vp)
	}
}

// hashLPFind returns the position of field in a listpack hash, or -1.
func hashLPFind(lp, field []byte) int {
	p := listpack.First(lp)
	if p < 0 {
		return -1
	}
	return listpack.Find(lp, p, field, 1)
}

// hashGet is hashTypeGetValue: field's value, in buf when it is a
// listpack integer; ok is false when the field is missing. The bytes are
// read-only and valid until the hash changes.
func hashGet(o *Object, field []byte, buf *[20]byte) (val []byte, ok bool) {
	if o.enc == EncHashtable {
		v, ok := o.hashHT().d.GetBytes(field)
		return strBytes(v), ok
	}
	lp := o.hashLP()
	p := hashLPFind(lp, field)
	if p < 0 {
		return nil, false
	}
	return listpack.GetBytes(lp, listpack.Next(lp, p), buf), true
}

// hashTryConversion is hashTypeTryConversion: a listpack hash becomes a
// hashtable before args are added when one of them is longer than
// hash-max-listpack-value, or when all of them together would take the
// listpack past 1 GB.
func (s *Server) hashTryConversion(o *Object, args [][]byte) {
	if o.enc != EncListpack {
		return
	}
	sum := int64(0)
	for _, a := range args {
		if int64(len(a)) > s.conf.HashMaxListpackValue {
			hashConvert(o)
			return
		}
		sum += int64(len(a))
	}
	if int64(o.n)+sum > lpSafetySize {
		hashConvert(o)
	}
}

// hashReserve makes room in a listpack hash for the pairs in args at once,
// so that adding several takes one allocation rather than one per element
// (the garbage would cost the collector, and RSS, more than the bytes). It
// reports whether it did; nothing is reserved for a single pair (an
// overwrite of a value of the same size allocates nothing) or when the hash
// will become a hashtable.
func (s *Server) hashReserve(o *Object, args [][]byte) bool {
	if o.enc != EncListpack || len(args) < 4 || int64(hashLen(o)+len(args)/2) > s.conf.HashMaxListpackEntries {
		return false
	}
	lp := o.hashLP()
	need := len(lp)
	for _, a := range args {
		need += listpack.EntrySizeFor(a)
	}
	if need <= cap(lp) {
		return false
	}
	nb := make([]byte, len(lp), need)
	copy(nb, lp)
	o.setHashLP(nb)
	return true
}

// hashTrim gives back the room hashReserve took for fields that turned out
// to be present already (their values were replaced, not appended).
func hashTrim(o *Object) {
	if o.enc != EncListpack {
		return
	}
	if lp := o.hashLP(); cap(lp)-len(lp) > len(lp)/4 {
		o.setHashLP(append([]byte(nil), lp...))
	}
}

// hashConvert is hashTypeConvertListpack: the listpack's pairs move into a
// table presized for them.
func hashConvert(o *Object) {
	h := &hashTable{}
	h.d.Expand(hashLen(o))
	hashEach(o, func(f, v []byte) bool {
		h.d.Set(string(f), string(v))
		h.elems += hashEntrySize(len(f), len(v))
		return true
	})
	h.slots = int64(h.d.Buckets())
	o.enc, o.ptr, o.n, o.c = EncHashtable, unsafe.Pointer(h), 0, 0
}

// hashSet is hashTypeSet: it stores a copy of value under field and
// reports whether the field existed. A listpack hash becomes a hashtable
// first when field or value is too long for it (HINCRBY's results; other
// commands convert earlier, in hashTryConversion), and after the insertion
// when it has more than hash-max-listpack-entries fields.
func (s *Server) hashSet(o *Object, field, value []byte) (update bool) {
	maxValue := s.conf.HashMaxListpackValue
	if o.enc == EncListpack && (int64(len(field)) > maxValue || int64(len(value)) > maxValue) {
		hashConvert(o)
	}
	if o.enc == EncListpack {
		lp := o.hashLP()
		if p := hashLPFind(lp, field); p >= 0 {
			lp, _ = listpack.Replace(lp, listpack.Next(lp, p), value)
			update = true
		} else {
			lp = listpack.Append(lp, field)
			lp = listpack.Append(lp, value)
		}
		o.setHashLP(lp)
		if int64(hashLen(o)) > s.conf.HashMaxListpackEntries {
			hashConvert(o)
		}
		return update
	}
	h := o.hashHT()
	if old, ok := h.d.GetBytes(field); ok {
		h.elems += sdsAllocSize(int64(len(value))) - sdsAllocSize(int64(len(old)))
		update = true
	} else {
		h.elems += hashEntrySize(len(field), len(value))
	}
	h.d.SetBytes(field, string(value))
	h.slots = int64(h.d.Buckets())
	return update
}

// hashDelete is hashTypeDelete: it removes field and reports whether it
// was there. A table may start shrinking (htNeedsResize, dictResize).
func hashDelete(o *Object, field []byte) bool {
	if o.enc == EncListpack {
		lp := o.hashLP()
		p := hashLPFind(lp, field)
		if p < 0 {
			return false
		}
		o.setHashLP(listpack.DeleteRangeWithEntry(lp, p, 2))
		return true
	}
	h := o.hashHT()
	old, ok := h.d.DeleteBytes(field)
	if ok {
		h.elems -= hashEntrySize(len(field), len(old))
	}
	h.slots = int64(h.d.Buckets())
	return ok
}

// hashStore finishes a write to the hash at key: a new hash is added to the
// keyspace, a changed one has its size accounted (before is its
// valueMemory before the change).
func (c *Client) hashStore(key []byte, o *Object, created bool, before int64) {
	if created {
		c.srv.addKey(c.db, key, o)
	} else {
		c.db.resized(o, before)
	}
}

// cmdHSet is HSET and HMSET: HSET replies with the number of new fields,
// HMSET with OK; both count every pair as a change.
func cmdHSet(c *Client, args [][]byte) {
	if len(args)%2 == 1 {
		c.addError("ERR wrong number of arguments for '" + c.lastCmd + "' command")
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeHash)
	if !ok {
		return
	}
	s := c.srv
	created := o == nil
	if created {
		o = newHashObject()
	}
	before := valueMemory(o)
	s.hashTryConversion(o, args[2:])
	reserved := s.hashReserve(o, args[2:])
	added := 0
	for i := 2; i < len(args); i += 2 {
		if !s.hashSet(o, args[i], args[i+1]) {
			added++
		}
	}
	if reserved {
		hashTrim(o)
	}
	c.hashStore(args[1], o, created, before)
	s.dirty += int64(len(args)-2) / 2
	s.notifyKeyspaceEvent(config.NotifyHash, "hset", args[1], c.db.id)
	if args[0][1] == 's' || args[0][1] == 'S' {
		c.w.Int(int64(added))
	} else {
		c.w.OK()
	}
}

func cmdHSetNX(c *Client, args [][]byte) {
	o, ok := c.lookupWriteType(args[1], TypeHash)
	if !ok {
		return
	}
	s := c.srv
	created := o == nil
	if created {
		o = newHashObject()
	} else if _, found := hashGet(o, args[2], new([20]byte)); found {
		c.hashRead(o)
		c.w.Int(0)
		return
	}
	before := valueMemory(o)
	s.hashTryConversion(o, args[2:4])
	s.hashSet(o, args[2], args[3])
	c.hashStore(args[1], o, created, before)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyHash, "hset", args[1], c.db.id)
	c.w.Int(1)
}

// addHashField is addHashFieldToReply: the value of field, or a null.
func (c *Client) addHashField(o *Object, field []byte) {
	var buf [20]byte
	if o == nil {
		c.w.Null()
		return
	}
	if v, ok := hashGet(o, field, &buf); ok {
		c.w.Bulk(v)
		return
	}
	c.w.Null()
}

func cmdHGet(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeHash)
	if ok {
		c.addHashField(o, args[2])
		c.hashRead(o)
	}
}

// cmdHMGet answers a null for every field of a missing key, as Redis
// treats it as an empty hash.
func cmdHMGet(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeHash)
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, f := range args[2:] {
		c.addHashField(o, f)
	}
	c.hashRead(o)
}

func cmdHDel(c *Client, args [][]byte) {
	o, ok := c.lookupWriteType(args[1], TypeHash)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	s := c.srv
	before := valueMemory(o)
	deleted := 0
	removed := false
	for _, f := range args[2:] {
		if hashDelete(o, f) {
			deleted++
			if hashLen(o) == 0 {
				c.db.resized(o, before)
				s.deleteKey(c.db, args[1])
				o, removed = nil, true
				break
			}
		}
	}
	if o != nil {
		c.db.resized(o, before)
	}
	s.dirty += int64(deleted)
	if deleted > 0 {
		s.notifyKeyspaceEvent(config.NotifyHash, "hdel", args[1], c.db.id)
		if removed {
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
		}
	}
	c.w.Int(int64(deleted))
}

func cmdHLen(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeHash)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(hashLen(o)))
}

// cmdHStrLen is HSTRLEN: a listpack integer's length is that of its
// decimal form.
func cmdHStrLen(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeHash)
	if !ok {
		return
	}
	n := 0
	if o != nil {
		var buf [20]byte
		v, _ := hashGet(o, args[2], &buf)
		n = len(v)
		c.hashRead(o)
	}
	c.w.Int(int64(n))
}

func cmdHExists(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeHash)
	if !ok {
		return
	}
	found := false
	if o != nil {
		_, found = hashGet(o, args[2], new([20]byte))
		c.hashRead(o)
	}
	if found {
		c.w.Int(1)
	} else {
		c.w.Int(0)
	}
}

// Parts of a hash that genericHgetallCommand replies with.
const (
	hashKeys   = 1
	hashValues = 2
)

// hgetall is genericHgetallCommand: HGETALL replies with a map (an empty
// map for a missing key), HKEYS and HVALS with arrays.
func (c *Client) hgetall(key []byte, what int) {
	o, ok := c.lookupReadType(key, TypeHash)
	if !ok {
		return
	}
	n := 0
	if o != nil {
		n = hashLen(o)
	}
	if what == hashKeys|hashValues {
		c.w.Map(n)
	} else {
		c.w.Array(n)
	}
	if o == nil {
		return
	}
	hashEach(o, func(f, v []byte) bool {
		if what&hashKeys != 0 {
			c.w.Bulk(f)
		}
		if what&hashValues != 0 {
			c.w.Bulk(v)
		}
		return true
	})
}

func cmdHGetAll(c *Client, args [][]byte) { c.hgetall(args[1], hashKeys|hashValues) }
func cmdHKeys(c *Client, args [][]byte)   { c.hgetall(args[1], hashKeys) }
func cmdHVals(c *Client, args [][]byte)   { c.hgetall(args[1], hashValues) }

func cmdHIncrBy(c *Client, args [][]byte) {
	incr, ok := c.intArg(args[3])
	if !ok {
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeHash)
	if !ok {
		return
	}
	var value int64
	if o != nil {
		var buf [20]byte
		if v, found := hashGet(o, args[2], &buf); found {
			if value, ok = sds.ParseInt(v); !ok {
				c.hashRead(o)
				c.addError("ERR hash value is not an integer")
				return
			}
		}
		c.hashRead(o)
	}
	if (incr < 0 && value < 0 && incr < math.MinInt64-value) ||
		(incr > 0 && value > 0 && incr > math.MaxInt64-value) {
		c.addError(errOverflow)
		return
	}
	value += incr
	var buf [20]byte
	c.hashUpdate(args[1], o, args[2], strconv.AppendInt(buf[:0], value, 10))
	c.srv.notifyKeyspaceEvent(config.NotifyHash, "hincrby", args[1], c.db.id)
	c.w.Int(value)
}

// hashUpdate stores value under field of the hash o at key (nil: a new
// hash), for HINCRBY and HINCRBYFLOAT, and counts the change.
func (c *Client) hashUpdate(key []byte, o *Object, field, value []byte) {
	s := c.srv
	created := o == nil
	if created {
		o = newHashObject()
	}
	before := valueMemory(o)
	s.hashSet(o, field, value)
	c.hashStore(key, o, created, before)
	s.dirty++
}

// cmdHIncrByFloat is HINCRBYFLOAT, in long double arithmetic as
// INCRBYFLOAT. An infinite increment is refused before the key is looked
// at; a stored "inf" is accepted and then refused as a result.
func cmdHIncrByFloat(c *Client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.addError(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.addError("ERR value is NaN or Infinity")
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeHash)
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(longDoublePrec)
	if o != nil {
		var buf [20]byte
		if v, found := hashGet(o, args[2], &buf); found {
			if cur, ok = parseLongDouble(v); !ok {
				c.hashRead(o)
				c.addError("ERR hash value is not a float")
				return
			}
		}
		c.hashRead(o)
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.addError("ERR increment would produce NaN or Infinity")
		return
	}
	res := formatLongDouble(sum)
	c.hashUpdate(args[1], o, args[2], res)
	c.srv.notifyKeyspaceEvent(config.NotifyHash, "hincrbyfloat", args[1], c.db.id)
	// Replayed as HSET of the result (hincrbyfloatCommand).
	c.propagateAs(propHSet, args[1], args[2], res)
	c.w.Bulk(res)
}

// hrandfield limits (t_hash.c): below HRANDFIELD_SUB_STRATEGY_MUL times
// the count, the hash is copied and thinned out rather than sampled.
const hrandfieldSubStrategyMul = 3

// cmdHRandField is HRANDFIELD key [count [WITHVALUES]].
func cmdHRandField(c *Client, args [][]byte) {
	if len(args) == 2 {
		o, ok := c.lookupReadType(args[1], TypeHash)
		if !ok {
			return
		}
		if o == nil {
			c.w.Null()
			return
		}
		f, _ := hashRandomPair(o, newHashSampler(o))
		c.w.Bulk(f)
		c.hashRead(o)
		return
	}
	l, ok := argInt(args[2])
	if !ok {
		c.addError(errNotInt)
		return
	}
	if l == math.MinInt64 {
		c.addError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withValues := len(args) == 4
	if len(args) > 4 || (withValues && !eqFold(args[3], "withvalues")) {
		c.addError(errSyntax)
		return
	}
	// Redis 7.0.9 refuses a negative count whose reply (two elements per
	// pick) would overflow.
	if withValues && l < -math.MaxInt64/2 {
		c.addError("ERR value is out of range")
		return
	}
	c.hrandfieldWithCount(args[1], l, withValues)
}

// hashSampler picks fields of a hash at random: for a listpack, from an
// index of its pairs' positions built once, so that each pick is O(1)
// (Redis's lpRandomPairs sorts its picks to walk the listpack once).
type hashSampler struct {
	o   *Object
	pos []int // listpack: position of each field
	fb  [20]byte
	vb  [20]byte
}

func newHashSampler(o *Object) *hashSampler {
	hs := &hashSampler{o: o}
	if o.enc == EncListpack {
		lp := o.hashLP()
		for p := listpack.First(lp); p >= 0; p = listpack.Next(lp, listpack.Next(lp, p)) {
			hs.pos = append(hs.pos, p)
		}
	}
	return hs
}

// hashRandomPair is hashTypeRandomElement: a uniformly chosen field of a
// listpack (lpRandomPair), or dictGetFairRandomKey's pick from a table.
// The bytes are valid until the next pick.
func hashRandomPair(o *Object, hs *hashSampler) (field, value []byte) {
	if o.enc == EncHashtable {
		f, v, _ := o.hashHT().d.RandomKey()
		return strBytes(f), strBytes(v)
	}
	lp := o.hashLP()
	p := hs.pos[rand.IntN(len(hs.pos))]
	return listpack.GetBytes(lp, p, &hs.fb), listpack.GetBytes(lp, listpack.Next(lp, p), &hs.vb)
}

// hrandfieldWithCount is hrandfieldWithCountCommand. A negative count
// returns that many fields, repeats allowed, in random order (CASE 1); a
// count at least the size returns the whole hash in its order (CASE 2); a
// count above a third of the size returns the hash less random fields
// (CASE 3); a smaller one samples distinct fields (CASE 4: a listpack keeps
// its order, lpRandomPairsUnique; a table does not). With WITHVALUES a
// RESP2 reply is flat, a RESP3 one has a [field, value] array per pick.
func (c *Client) hrandfieldWithCount(key []byte, l int64, withValues bool) {
	o, ok := c.lookupReadType(key, TypeHash)
	if !ok {
		return
	}
	if o == nil {
		c.w.Array(0)
		return
	}
	defer c.hashRead(o)
	size := int64(hashLen(o))
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	if count == 0 {
		c.w.Array(0)
		return
	}
	resp3 := c.w.Resp3()
	reply := func(f, v []byte) {
		if withValues && resp3 {
			c.w.Array(2)
		}
		c.w.Bulk(f)
		if withValues {
			c.w.Bulk(v)
		}
	}
	header := func(n int64) {
		if withValues && !resp3 {
			n *= 2
		}
		c.w.Array(int(n))
	}
	if !uniq || count == 1 {
		header(count)
		hs := newHashSampler(o)
		for ; count > 0; count-- {
			reply(hashRandomPair(o, hs))
		}
		return
	}
	header(min(count, size))
	switch {
	case count >= size:
		hashEach(o, func(f, v []byte) bool { reply(f, v); return true })
	case count*hrandfieldSubStrategyMul > size:
		// Copy everything, then drop random pairs until count remain; the
		// order of what is left is the copy's (Redis: a temporary dict's).
		type pair struct{ f, v string }
		all := make([]pair, 0, size)
		hashEach(o, func(f, v []byte) bool { all = append(all, pair{string(f), string(v)}); return true })
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, p := range all[:count] {
			reply(strBytes(p.f), strBytes(p.v))
		}
	case o.enc == EncListpack:
		// lpRandomPairsUnique: selection sampling in one pass, each pair
		// taken with probability remaining/left.
		lp := o.hashLP()
		var fb, vb [20]byte
		remaining, index := count, int64(0)
		for p := listpack.First(lp); p >= 0 && remaining > 0; index++ {
			vp := listpack.Next(lp, p)
			if rand.Float64() <= float64(remaining)/float64(size-index) {
				reply(listpack.GetBytes(lp, p, &fb), listpack.GetBytes(lp, vp, &vb))
				remaining--
			}
			p = listpack.Next(lp, vp)
		}
	default:
		seen := make(map[string]struct{}, count)
		for int64(len(seen)) < count {
			f, v, _ := o.hashHT().d.RandomKey()
			if _, dup := seen[f]; dup {
				continue
			}
			seen[f] = struct{}{}
			reply(strBytes(f), strBytes(v))
		}
	}
}

// cmdHScan is HSCAN: the cursor is checked before the key, the options
// after it (a missing key answers an empty scan whatever they are). A
// listpack hash is returned whole with cursor 0; a table is scanned as the
// keyspace is, COUNT counting fields and values alike (Redis's list of
// results holds both), at most 10*COUNT buckets per call.
func cmdHScan(c *Client, args [][]byte) {
	o, cursor, opts, ok := c.scanKeyArgs(args, TypeHash)
	if !ok {
		return
	}
	var out [][]byte
	if o.enc == EncListpack {
		cursor = 0
		hashEach(o, func(f, v []byte) bool {
			if opts.matches(f) {
				out = append(out, append([]byte(nil), f...), append([]byte(nil), v...))
			}
			return true
		})
	} else {
		var found []string
		d := &o.hashHT().d
		for iterations := opts.count * 10; ; iterations-- {
			cursor = d.Scan(cursor, func(f, v string) { found = append(found, f, v) })
			if cursor == 0 || iterations == 0 || int64(len(found)) >= opts.count {
				break
			}
		}
		for i := 0; i < len(found); i += 2 {
			if opts.matches(strBytes(found[i])) {
				out = append(out, strBytes(found[i]), strBytes(found[i+1]))
			}
		}
	}
	c.replyScan(cursor, out)
}

// debugHash answers DEBUG LISTPACK and DEBUG HTSTATS-KEY for a hash of the
// matching encoding and reports whether it did. As Redis's lpRepr, DEBUG
// LISTPACK prints the listpack on the server's standard output (each
// entry's offset and value, not lpRepr's layout) and replies with a status;
// HTSTATS-KEY replies with the table's statistics (after finishing a
// rehash, accounted).
func (c *Client) debugHash(sub string, o *Object) bool {
	switch {
	case sub == "listpack" && o.enc == EncListpack:
		lp := o.hashLP()
		out := fmt.Sprintf("{total bytes %d} {num entries %d}\n", len(lp), listpack.Len(lp))
		for p, e := range listpack.All(lp) {
			out += fmt.Sprintf("{offset %d} {value %q}\n", p, e)
		}
		os.Stdout.WriteString(out + "{end}\n")
		c.w.Status("Listpack structure printed on stdout")
		return true
	case sub == "htstats-key" && o.enc == EncHashtable:
		c.w.Verbatim("txt", htStats(&o.hashHT().d))
		c.hashRead(o)
		return true
	}
	return false
}
