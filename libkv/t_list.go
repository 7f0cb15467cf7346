package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"math"

	"github.com/kvkit/kvkit/internal/listpack"
	"strconv"
	"time"
	"unsafe"
)

// List commands (Redis 7.0 t_list.c). Lists are always quicklists
// (quicklist.go); an emptied list is deleted.
var listCommands = map[string]cmdFunc{
	"lpush": cmdLPush, "rpush": cmdRPush, "lpushx": cmdLPushX, "rpushx": cmdRPushX,
	"lpop": cmdLPop, "rpop": cmdRPop, "llen": cmdLLen, "lindex": cmdLIndex,
	"lset": cmdLSet, "lrange": cmdLRange, "ltrim": cmdLTrim, "lrem": cmdLRem,
	"linsert": cmdLInsert, "lpos": cmdLPos, "lmove": cmdLMove, "rpoplpush": cmdRPopLPush,
	"lmpop": cmdLMPop,
	"blpop": cmdBLPop, "brpop": cmdBRPop, "blmove": cmdBLMove, "brpoplpush": cmdBRPopLPush,
	"blmpop": cmdBLMPop,
}

func init() {
	valueTypes[TypeList] = &valueType{
		memory:      func(o *Object) int64 { return o.list().memory() },
		dup:         func(o *Object) *Object { return newListObject(o.list().dup()) },
		digest:      listDigest,
		rdbLen:      listRdbLen,
		debugObject: listDebugObject,
		// rdb_types.go
		rdbValue: listRdbValue,
		rdbLoad:  listRdbLoad,
	}
}

// list returns a list object's quicklist.
func (o *Object) list() *quicklist { return (*quicklist)(o.ptr) }

func newListObject(ql *quicklist) *Object {
	return &Object{typ: TypeList, enc: EncQuicklist, ptr: unsafe.Pointer(ql)}
}

// newList is createQuicklistObject with the list-max-listpack-size and
// list-compress-depth in force: a list keeps the settings it was created
// with.
func (s *Server) newList() *Object {
	return newListObject(newQuicklist(s.conf.ListMaxListpackSize, s.conf.ListCompressDepth))
}

// listDigest mixes every element, head to tail, as debug.c does for lists.
func listDigest(d *[20]byte, o *Object) {
	o.list().each(func(v []byte) { mixDigest(d, v) })
}

// listRdbLen is rdbSavedObjectLen for RDB_TYPE_LIST_QUICKLIST_2: the node
// count, then per node its container and its listpack, as an LZF blob for
// a compressed node or as a (possibly compressed) raw string otherwise.
func listRdbLen(o *Object, compress bool) int64 {
	ql := o.list()
	n := rdbLenLen(ql.len)
	for node := ql.head; node != nil; node = node.next {
		n++ // container: 1 (plain) or 2 (packed)
		if node.lzf != nil {
			n += 1 + rdbLenLen(len(node.lzf)) + rdbLenLen(node.sz) + len(node.lzf)
		} else {
			n += rdbStringLen(node.lp, compress)
		}
	}
	return int64(n)
}

// listDebugObject is DEBUG OBJECT's quicklist part (debug.c).
func listDebugObject(o *Object) string {
	ql := o.list()
	size := 0
	for n := ql.head; n != nil; n = n.next {
		size += n.sz
	}
	compressed := 0
	if ql.compress != 0 {
		compressed = 1
	}
	avg := float64(ql.count) / float64(ql.len)
	return " ql_nodes:" + strconv.Itoa(ql.len) +
		" ql_avg_node:" + strconv.FormatFloat(avg, 'f', 2, 64) +
		" ql_listpack_max:" + strconv.Itoa(ql.fill) +
		" ql_compressed:" + strconv.Itoa(compressed) +
		" ql_uncompressed_size:" + strconv.Itoa(size)
}

// rangeLongArg is getRangeLongFromObjectOrReply: a long in [lo, hi], with
// msg (when not empty) as the error for a bad number and for one out of
// range.
func (c *Client) rangeLongArg(a []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := argInt(a)
	if !ok {
		if msg != "" {
			c.addError("ERR " + msg)
		} else {
			c.addError(errNotInt)
		}
		return 0, false
	}
	if n < lo || n > hi {
		if msg != "" {
			c.addError("ERR " + msg)
		} else {
			c.addError(sprintf("ERR value is out of range, value must between %d and %d", lo, hi))
		}
		return 0, false
	}
	return n, true
}

// positiveLongArg is getPositiveLongFromObjectOrReply.
func (c *Client) positiveLongArg(a []byte, msg string) (int64, bool) {
	if msg == "" {
		msg = "value is out of range, must be positive"
	}
	return c.rangeLongArg(a, 0, math.MaxInt64, msg)
}

// listEnd parses LEFT or RIGHT (getListPositionFromObjectOrReply): head is
// true for LEFT.
func (c *Client) listEnd(a []byte) (head, ok bool) {
	switch {
	case eqFold(a, "left"):
		return true, true
	case eqFold(a, "right"):
		return false, true
	}
	c.addError(errSyntax)
	return false, false
}

// listChanged accounts for a list changed in place, notifies event (when
// not empty) and deletes the list when it became empty, notifying "del";
// before is its valueMemory before the change.
func (c *Client) listChanged(key []byte, o *Object, before int64, event string) {
	s := c.srv
	c.db.resized(o, before)
	if event != "" {
		s.notifyKeyspaceEvent(config.NotifyList, event, key, c.db.id)
	}
	if o.list().count == 0 {
		s.deleteKey(c.db, key)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
	}
}

// listEvent is the event of a push or pop at the head or the tail.
func listEvent(push, head bool) string {
	switch {
	case push && head:
		return "lpush"
	case push:
		return "rpush"
	case head:
		return "lpop"
	}
	return "rpop"
}

func cmdLPush(c *Client, args [][]byte)  { pushGeneric(c, args, true, false) }
func cmdRPush(c *Client, args [][]byte)  { pushGeneric(c, args, false, false) }
func cmdLPushX(c *Client, args [][]byte) { pushGeneric(c, args, true, true) }
func cmdRPushX(c *Client, args [][]byte) { pushGeneric(c, args, false, true) }

// pushGeneric is pushGenericCommand; xx is the X form (only existing lists).
func pushGeneric(c *Client, args [][]byte, head, xx bool) {
	s := c.srv
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		if xx {
			c.w.Int(0)
			return
		}
		o = s.newList()
		s.addKey(c.db, args[1], o)
	}
	before := valueMemory(o)
	ql := o.list()
	for _, v := range args[2:] {
		ql.push(v, head)
	}
	c.db.resized(o, before)
	s.dirty += int64(len(args) - 2)
	s.notifyKeyspaceEvent(config.NotifyList, listEvent(true, head), args[1], c.db.id)
	c.w.Int(int64(ql.count))
}

func cmdLPop(c *Client, args [][]byte) { popGeneric(c, args, true) }
func cmdRPop(c *Client, args [][]byte) { popGeneric(c, args, false) }

// popGeneric is popGenericCommand: without a count one element or a null;
// with one an array, a null array for a missing key, and an empty array
// for a count of 0.
func popGeneric(c *Client, args [][]byte, head bool) {
	if len(args) > 3 {
		c.addError("ERR wrong number of arguments for '" + c.lastCmd + "' command")
		return
	}
	hasCount := len(args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = c.positiveLongArg(args[2], ""); !ok {
			return
		}
	}
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		if hasCount {
			c.w.NullArray()
		} else {
			c.w.Null()
		}
		return
	}
	if hasCount && count == 0 {
		c.w.Array(0)
		return
	}
	if !hasCount {
		before := valueMemory(o)
		v, _ := o.list().pop(nil, head)
		c.w.Bulk(v)
		c.srv.dirty++
		c.listChanged(args[1], o, before, listEvent(false, head))
		return
	}
	c.popRange(args[1], o, head, count, false)
}

// popRange is listPopRangeAndReply(WithKey): up to count elements from one
// end, in the order popped, optionally preceded by the key's name.
func (c *Client) popRange(key []byte, o *Object, head bool, count int64, withKey bool) {
	ql := o.list()
	n := int(min(count, int64(ql.count)))
	start, end := 0, n-1
	if !head {
		start, end = -n, -1
	}
	if withKey {
		c.w.Array(2)
		c.w.Bulk(key)
		// [B]LMPOP is replayed as [LR]POP key count, the count capped at
		// the length (listPopRangeAndReplyWithKey).
		c.propagateAs(propPop(head), key, propInt(int64(n)))
	}
	c.listRangeReply(o, start, end, !head)
	before := valueMemory(o)
	ql.delRange(start, n)
	c.srv.dirty += int64(n)
	c.listChanged(key, o, before, listEvent(false, head))
}

// listRangeReply is addListRangeReply: elements start..end (Redis's index
// rules), from end to start when reverse.
func (c *Client) listRangeReply(o *Object, start, end int, reverse bool) {
	ql := o.list()
	llen := ql.count
	if start < 0 {
		start += llen
	}
	if end < 0 {
		end += llen
	}
	start = max(start, 0)
	if start > end || start >= llen {
		c.w.Array(0)
		return
	}
	end = min(end, llen-1)
	n := end - start + 1
	c.w.Array(n)
	from := start
	if reverse {
		from = end
	}
	// Walking the nodes may compress some (quicklistCompress on leaving a
	// node), as in Redis: the memory is accounted.
	before := valueMemory(o)
	it := ql.iterAt(from, !reverse)
	var buf [20]byte
	for ; n > 0; n-- {
		node, p, _ := it.next()
		if node.plain {
			c.w.Bulk(node.lp)
		} else {
			c.w.Bulk(listpack.GetBytes(node.lp, p, &buf))
		}
	}
	it.release()
	c.db.resized(o, before)
}

func cmdLLen(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeList)
	switch {
	case !ok:
	case o == nil:
		c.w.Int(0)
	default:
		c.w.Int(int64(o.list().count))
	}
}

func cmdLIndex(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	idx, ok := c.intArg(args[2])
	if !ok {
		return
	}
	before := valueMemory(o)
	v, found := o.list().index(nil, clampIndex(idx))
	c.db.resized(o, before)
	if !found {
		c.w.Null()
		return
	}
	c.w.Bulk(v)
}

// clampIndex brings a 64-bit index into int range without changing
// whether it is in a list's range.
func clampIndex(i int64) int {
	return int(max(min(i, math.MaxInt32), math.MinInt32))
}

func cmdLSet(c *Client, args [][]byte) {
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.addError(errNoSuchKey)
		return
	}
	idx, ok := c.intArg(args[2])
	if !ok {
		return
	}
	before := valueMemory(o)
	if !o.list().replaceAtIndex(clampIndex(idx), args[3]) {
		c.addError(errOutOfRange)
		return
	}
	c.db.resized(o, before)
	c.srv.dirty++
	c.srv.notifyKeyspaceEvent(config.NotifyList, "lset", args[1], c.db.id)
	c.w.OK()
}

func cmdLRange(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	o, ok := c.lookupReadType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Array(0)
		return
	}
	c.listRangeReply(o, clampIndex(start), clampIndex(end), false)
}

func cmdLTrim(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.OK()
		return
	}
	ql := o.list()
	llen := int64(ql.count)
	if start < 0 {
		start += llen
	}
	if end < 0 {
		end += llen
	}
	start = max(start, 0)
	var ltrim, rtrim int64
	if start > end || start >= llen {
		ltrim, rtrim = llen, 0
	} else {
		end = min(end, llen-1)
		ltrim, rtrim = start, llen-end-1
	}
	before := valueMemory(o)
	ql.delRange(0, int(ltrim))
	ql.delRange(int(-rtrim), int(rtrim))
	c.listChanged(args[1], o, before, "ltrim")
	c.srv.dirty += ltrim + rtrim
	// Redis signals the key to WATCH even when nothing was trimmed.
	c.srv.signalModifiedKey(c.db, string(args[1]))
	c.w.OK()
}

func cmdLRem(c *Client, args [][]byte) {
	toremove, ok := c.intArg(args[2])
	if !ok {
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	ql := o.list()
	before := valueMemory(o)
	var it *qlIter
	if toremove < 0 {
		toremove = -toremove
		it = ql.iterAt(-1, false)
	} else {
		it = ql.iterAt(0, true)
	}
	var removed int64
	for {
		n, p, ok := it.next()
		if !ok {
			break
		}
		if nodeEqual(n, p, args[3]) {
			it.delEntry(n, p)
			removed++
			if toremove != 0 && removed == toremove {
				break
			}
		}
	}
	it.release()
	c.srv.dirty += removed
	event := ""
	if removed > 0 {
		event = "lrem"
	}
	c.listChanged(args[1], o, before, event)
	c.w.Int(removed)
}

// nodeEqual is listTypeEqual for the element at p of n.
func nodeEqual(n *qlNode, p int, v []byte) bool {
	if n.plain {
		return string(n.lp) == string(v)
	}
	return listpack.Compare(n.lp, p, v)
}

func cmdLInsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		c.addError(errSyntax)
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	ql := o.list()
	before := valueMemory(o)
	it := ql.iterAt(0, true)
	inserted := false
	for {
		n, p, ok := it.next()
		if !ok {
			break
		}
		if nodeEqual(n, p, args[3]) {
			ql.insert(it, n, p, it.offset, args[4], after)
			inserted = true
			break
		}
	}
	it.release()
	c.db.resized(o, before)
	if !inserted {
		c.w.Int(-1)
		return
	}
	c.srv.dirty++
	c.srv.notifyKeyspaceEvent(config.NotifyList, "linsert", args[1], c.db.id)
	c.w.Int(int64(ql.count))
}

func cmdLPos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case eqFold(args[j], "rank") && more:
			j++
			var ok bool
			if rank, ok = c.intArg(args[j]); !ok {
				return
			}
			if rank == 0 {
				c.addError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... " +
					"or use negative to start from the end of the list")
				return
			}
		case eqFold(args[j], "count") && more:
			j++
			var ok bool
			if count, ok = c.positiveLongArg(args[j], "COUNT can't be negative"); !ok {
				return
			}
		case eqFold(args[j], "maxlen") && more:
			j++
			var ok bool
			if maxlen, ok = c.positiveLongArg(args[j], "MAXLEN can't be negative"); !ok {
				return
			}
		default:
			c.addError(errSyntax)
			return
		}
	}
	forward := true
	if rank < 0 {
		// -LONG_MIN overflows to LONG_MIN again, as in C: then every
		// match counts, from the tail.
		rank = -rank
		forward = false
	}
	o, ok := c.lookupReadType(args[1], TypeList)
	if !ok {
		return
	}
	if o == nil {
		if count != -1 {
			c.w.Array(0)
		} else {
			c.w.Null()
		}
		return
	}
	ql := o.list()
	var it *qlIter
	if forward {
		it = ql.iterAt(0, true)
	} else {
		it = ql.iterAt(-1, false)
	}
	before := valueMemory(o)
	llen := int64(ql.count)
	var index, matches, arraylen int64
	matchIndex := int64(-1)
	var found []int64
	for maxlen == 0 || index < maxlen {
		n, p, ok := it.next()
		if !ok {
			break
		}
		if nodeEqual(n, p, args[2]) {
			matches++
			matchIndex = index
			if !forward {
				matchIndex = llen - index - 1
			}
			if matches >= rank {
				if count == -1 {
					break
				}
				arraylen++
				found = append(found, matchIndex)
				if count != 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		index++
		matchIndex = -1
	}
	it.release()
	c.db.resized(o, before)
	if count != -1 {
		c.w.Array(int(arraylen))
		for _, i := range found {
			c.w.Int(i)
		}
		return
	}
	if matchIndex != -1 {
		c.w.Int(matchIndex)
	} else {
		c.w.Null()
	}
}

func cmdLMove(c *Client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	c.lmove(args[1], args[2], from, to)
}

func cmdRPopLPush(c *Client, args [][]byte) { c.lmove(args[1], args[2], false, true) }

// lmove is lmoveGenericCommand: pops from src's end (head when from) and
// pushes the element onto dst's end (head when to), replying with it.
func (c *Client) lmove(src, dst []byte, from, to bool) {
	s := c.srv
	so, ok := c.lookupWriteType(src, TypeList)
	if !ok {
		return
	}
	if so == nil {
		c.w.Null()
		return
	}
	do, ok := c.lookupWriteType(dst, TypeList)
	if !ok {
		return
	}
	before := valueMemory(so)
	v, _ := so.list().pop(nil, from)
	if do == so {
		// The same list: it is not deleted between the pop and the push.
		so.list().push(v, to)
		c.db.resized(so, before)
		s.notifyKeyspaceEvent(config.NotifyList, listEvent(true, to), dst, c.db.id)
		s.notifyKeyspaceEvent(config.NotifyList, listEvent(false, from), src, c.db.id)
	} else {
		c.db.resized(so, before)
		c.pushOnto(dst, do, v, to)
		// lmoveGenericCommand notifies the push on dst first, then the
		// pop on src and its deletion.
		c.listChanged(src, so, valueMemory(so), listEvent(false, from))
	}
	s.dirty++
	c.w.Bulk(v)
}

// pushOnto is lmoveHandlePush without the reply: dst (holding do, nil
// when missing) gets v at its head or tail, created as needed.
func (c *Client) pushOnto(dst []byte, do *Object, v []byte, head bool) {
	s := c.srv
	if do == nil {
		do = s.newList()
		s.addKey(c.db, dst, do)
	}
	before := valueMemory(do)
	do.list().push(v, head)
	c.db.resized(do, before)
	s.notifyKeyspaceEvent(config.NotifyList, listEvent(true, head), dst, c.db.id)
}

func cmdLMPop(c *Client, args [][]byte) {
	keys, head, count, ok := c.mpopArgs(args, 1)
	if !ok {
		return
	}
	for _, key := range keys {
		o, ok := c.lookupWriteType(key, TypeList)
		if !ok {
			return
		}
		if o == nil {
			continue
		}
		c.popRange(key, o, head, count, true)
		return
	}
	c.w.NullArray()
}

// mpopArgs parses LMPOP/BLMPOP's numkeys key... LEFT|RIGHT [COUNT count]
// from args[at] on (lmpopGenericCommand).
func (c *Client) mpopArgs(args [][]byte, at int) (keys [][]byte, head bool, count int64, ok bool) {
	numkeys, ok := c.rangeLongArg(args[at], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)-at-1) { // no room for LEFT|RIGHT
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	whereIdx := at + int(numkeys) + 1
	if head, ok = c.listEnd(args[whereIdx]); !ok {
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			if count, ok = c.rangeLongArg(args[j], 1, math.MaxInt64, "count should be greater than 0"); !ok {
				return nil, false, 0, false
			}
			continue
		}
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : whereIdx], head, count, true
}

func cmdBLPop(c *Client, args [][]byte) { c.blockingPop(args, true) }
func cmdBRPop(c *Client, args [][]byte) { c.blockingPop(args, false) }

// blockingPop is blockingPopGenericCommand for BLPOP and BRPOP: the first
// non-empty list among the keys is popped, else the client blocks.
func (c *Client) blockingPop(args [][]byte, head bool) {
	timeout, ok := c.timeoutArg(args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	serve := func(w *Client, key []byte, o *Object) {
		before := valueMemory(o)
		v, _ := o.list().pop(nil, head)
		w.w.Array(2)
		w.w.Bulk(key)
		w.w.Bulk(v)
		w.srv.dirty++
		w.propagateAs(propPop(head), key) // BLPOP -> LPOP, BRPOP -> RPOP
		w.listChanged(key, o, before, listEvent(false, head))
	}
	for _, key := range keys {
		o, ok := c.lookupWriteType(key, TypeList)
		if !ok {
			return
		}
		if o != nil {
			serve(c, key, o)
			return
		}
	}
	c.blockForKeys(TypeList, keys, timeout, args, serve)
}

func cmdBLMPop(c *Client, args [][]byte) {
	keys, head, count, ok := c.mpopArgs(args, 2)
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(args[1])
	if !ok {
		return
	}
	serve := func(w *Client, key []byte, o *Object) { w.popRange(key, o, head, count, true) }
	for _, key := range keys {
		o, ok := c.lookupWriteType(key, TypeList)
		if !ok {
			return
		}
		if o != nil {
			serve(c, key, o)
			return
		}
	}
	c.blockForKeys(TypeList, keys, timeout, args, serve)
}

func cmdBLMove(c *Client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(args[5])
	if !ok {
		return
	}
	c.blockingMove(args, from, to, timeout)
}

func cmdBRPopLPush(c *Client, args [][]byte) {
	timeout, ok := c.timeoutArg(args[3])
	if !ok {
		return
	}
	c.blockingMove(args, false, true, timeout)
}

// blockingMove is blmoveGenericCommand: LMOVE when the source exists,
// else a block on it. Served, it is LMOVE again: a destination of the
// wrong type by then gets the client WRONGTYPE and leaves the source as it
// is, as Redis 7.0's serveClientBlockedOnList.
func (c *Client) blockingMove(args [][]byte, from, to bool, timeout time.Duration) {
	src, dst := args[1], args[2]
	so, ok := c.lookupWriteType(src, TypeList)
	if !ok {
		return
	}
	if so != nil {
		c.lmove(src, dst, from, to)
		// Replayed without blocking: BLMOVE -> LMOVE with the sent
		// directions, BRPOPLPUSH -> RPOPLPUSH (lmoveGenericCommand).
		if len(args) == 6 {
			c.propagateAs(propLMove, src, dst, args[3], args[4])
		} else {
			c.propagateAs(propRPopLPush, src, dst)
		}
		return
	}
	dst = append([]byte(nil), dst...)
	isBLMove := len(args) == 6
	c.blockForKeys(TypeList, args[1:2], timeout, args, func(w *Client, key []byte, o *Object) {
		w.lmove(key, dst, from, to)
		// Served: serveClientBlockedOnList writes LMOVE with left/right
		// words, or RPOPLPUSH for BRPOPLPUSH.
		if isBLMove {
			w.propagateAs(propLMove, key, dst, propEnd(from), propEnd(to))
		} else {
			w.propagateAs(propRPopLPush, key, dst)
		}
	})
}
