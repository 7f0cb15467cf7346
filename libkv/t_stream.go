package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"bytes"
	"strconv"
	"time"
	"unsafe"

	"github.com/kvkit/kvkit/internal/sds"
)

// Stream commands (Redis 7.0 t_stream.c).
var streamCommands = map[string]cmdFunc{
	"xadd":                  cmdXAdd,
	"xrange":                func(c *Client, args [][]byte) { c.xrange(args, false) },
	"xrevrange":             func(c *Client, args [][]byte) { c.xrange(args, true) },
	"xlen":                  cmdXLen,
	"xdel":                  cmdXDel,
	"xtrim":                 cmdXTrim,
	"xread":                 cmdXRead,
	"xreadgroup":            cmdXRead,
	"xgroup|create":         cmdXGroup,
	"xgroup|createconsumer": cmdXGroup,
	"xgroup|delconsumer":    cmdXGroup,
	"xgroup|destroy":        cmdXGroup,
	"xgroup|setid":          cmdXGroup,
	"xgroup|help":           cmdXGroup,
	"xack":                  cmdXAck,
	"xpending":              cmdXPending,
	"xclaim":                cmdXClaim,
	"xautoclaim":            cmdXAutoClaim,
	"xinfo|stream":          cmdXInfo,
	"xinfo|groups":          cmdXInfo,
	"xinfo|consumers":       cmdXInfo,
	"xinfo|help":            cmdXInfo,
	"xsetid":                cmdXSetID,
}

// errInvalidStreamID is streamGenericParseIDOrReply's error.
const errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"

// noSuchGroup is the NOGROUP error of XGROUP and XINFO CONSUMERS.
func (c *Client) noSuchGroup(name, key []byte) {
	c.addError("NOGROUP No such consumer group '" + string(cString(name)) + "' for key name '" + string(cString(key)) + "'")
}

func init() {
	valueTypes[TypeStream] = &valueType{
		memory: func(o *Object) int64 { return o.stream().memory() },
		dup:    streamDup,
		digest: streamDigest,
		rdbLen: streamRDBLen,

		rdbValue: streamRdbValue,
		rdbLoad:  streamRdbLoad,
	}
}

// newStreamObject wraps s (a new empty stream when nil) in an Object.
func newStreamObject(s *streamValue) *Object {
	if s == nil {
		s = newStreamValue()
	}
	return &Object{typ: TypeStream, enc: EncStream, ptr: unsafe.Pointer(s)}
}

// string2ull is Redis's string2ull (util.c): a canonical integer, refused
// when negative, else whatever strtoull accepts in full (leading spaces, a
// sign, leading zeros), refused on overflow.
func string2ull(b []byte) (uint64, bool) {
	if v, ok := sds.ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(b) && sds.IsSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (^uint64(0)-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply: "<ms>-<seq>", "<ms>"
// (sequence missingSeq), "-" and "+" unless strict, and with seqStar the
// "<ms>-*" form (seqGiven false). The argument is read as a C string.
func parseStreamID(a []byte, missingSeq uint64, strict, seqStar bool) (id streamID, seqGiven, ok bool) {
	if len(a) > 127 {
		return id, false, false
	}
	if i := bytes.IndexByte(a, 0); i >= 0 {
		a = a[:i]
	}
	if len(a) == 1 && (a[0] == '-' || a[0] == '+') {
		if strict {
			return id, false, false
		}
		if a[0] == '+' {
			return maxStreamID, true, true
		}
		return id, true, true
	}
	msPart, seqPart, dash := bytes.Cut(a, []byte{'-'})
	if id.ms, ok = string2ull(msPart); !ok {
		return id, false, false
	}
	switch {
	case !dash:
		id.seq = missingSeq
	case seqStar && len(seqPart) == 1 && seqPart[0] == '*':
		return id, false, true
	default:
		if id.seq, ok = string2ull(seqPart); !ok {
			return id, false, false
		}
	}
	return id, true, true
}

// streamIDArg parses an ID (with strict, "-" and "+" refused) or writes
// the error.
func (c *Client) streamIDArg(a []byte, missingSeq uint64, strict bool) (streamID, bool) {
	id, _, ok := parseStreamID(a, missingSeq, strict, false)
	if !ok {
		c.addError(errInvalidStreamID)
	}
	return id, ok
}

// intervalIDArg is streamParseIntervalIDOrReply: a "(" prefix makes the
// bound exclusive (and the ID strict); exclusive bounds are moved by one.
func (c *Client) intervalIDArg(a []byte, missingSeq uint64, start bool) (streamID, bool) {
	ex := len(a) > 1 && a[0] == '('
	var id streamID
	var ok bool
	if ex {
		id, ok = c.streamIDArg(a[1:], missingSeq, true)
	} else {
		id, ok = c.streamIDArg(a, missingSeq, false)
	}
	if !ok || !ex {
		return id, ok
	}
	if start {
		if id, ok = id.incr(); !ok {
			c.addError("ERR invalid start ID for the interval")
		}
	} else if id, ok = id.decr(); !ok {
		c.addError("ERR invalid end ID for the interval")
	}
	return id, ok
}

func (c *Client) bulkID(id streamID) {
	var buf [48]byte
	c.w.Bulk(id.append(buf[:0]))
}

// replyEntry writes one entry: its ID and its field/value array.
func (c *Client) replyEntry(n *streamNode, e *streamEntry) {
	c.w.Array(2)
	c.bulkID(e.id)
	c.w.Array(2 * e.nfields)
	n.fields(e, func(f, v []byte) {
		c.w.Bulk(f)
		c.w.Bulk(v)
	})
}

type streamItem struct {
	n *streamNode
	e streamEntry
}

// collect gathers up to count (0: all) live entries in [start, end].
func (s *streamValue) collect(start, end streamID, rev bool, count int64) []streamItem {
	var items []streamItem
	s.rangeEach(start, end, rev, func(n *streamNode, e *streamEntry) bool {
		items = append(items, streamItem{n, *e})
		return count == 0 || int64(len(items)) < count
	})
	return items
}

func (c *Client) replyItems(items []streamItem) {
	c.w.Array(len(items))
	for i := range items {
		c.replyEntry(items[i].n, &items[i].e)
	}
}

// replyOneEntry writes the entry id, or a null when it is gone; it
// reports whether the entry exists (XCLAIM, XAUTOCLAIM, XINFO STREAM).
func (c *Client) replyOneEntry(s *streamValue, id streamID) bool {
	if n, e := s.lookup(id); n != nil {
		c.replyEntry(n, e)
		return true
	}
	c.w.Null()
	return false
}

// parseTrimArgs is streamParseAddOrTrimArgsOrReply: it returns the index
// of XADD's ID argument (for XTRIM, the argument count), or -1 after an
// error reply.
func (c *Client) parseTrimArgs(args [][]byte, xadd bool, a *trimArgs, noMkstream *bool) int {
	*a = trimArgs{}
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			return c.finishTrimArgs(a, limitGiven, xadd, i)
		case eqFold(opt, "maxlen") && more > 0, eqFold(opt, "minid") && more > 0:
			if a.strategy != trimNone {
				c.addError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.approx = next[0] == '~'
				i++
			}
			if eqFold(opt, "maxlen") {
				n, ok := c.intArg(args[i+1])
				if !ok {
					return -1
				}
				if n < 0 {
					c.addError("ERR The MAXLEN argument must be >= 0.")
					return -1
				}
				a.maxLen, a.strategy = n, trimMaxLen
			} else {
				id, ok := c.streamIDArg(args[i+1], 0, true)
				if !ok {
					return -1
				}
				a.minID, a.strategy = id, trimMinID
			}
			i++
			a.argIdx = i
		case eqFold(opt, "limit") && more > 0:
			n, ok := c.intArg(args[i+1])
			if !ok {
				return -1
			}
			if n < 0 {
				c.addError("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			a.limit, limitGiven = n, true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			*noMkstream = true
		case xadd:
			return c.finishTrimArgs(a, limitGiven, xadd, i)
		default:
			c.addError(errSyntax)
			return -1
		}
	}
	return c.finishTrimArgs(a, limitGiven, xadd, i)
}

func (c *Client) finishTrimArgs(a *trimArgs, limitGiven, xadd bool, i int) int {
	if a.limit != 0 && a.strategy == trimNone {
		c.addError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && a.strategy == trimNone {
		c.addError("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	switch {
	case limitGiven && !a.approx:
		c.addError("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return -1
	case !limitGiven && a.approx:
		a.limit = 100 * c.srv.conf.StreamNodeMaxEntries
	case !limitGiven:
		a.limit = 0
	}
	return i
}

// lookupStream is lookupReadType for streams: the value, or nil when the
// key is missing; ok is false after a WRONGTYPE reply.
func (c *Client) lookupStream(key []byte) (*streamValue, bool) {
	o, ok := c.lookupReadType(key, TypeStream)
	if o == nil {
		return nil, ok
	}
	return o.stream(), true
}

func cmdXAdd(c *Client, args [][]byte) {
	var a trimArgs
	noMk := false
	idPos := c.parseTrimArgs(args, true, &a, &noMk)
	if idPos < 0 {
		return
	}
	var id streamID
	idGiven, seqGiven := false, true
	if idPos < len(args) && !(len(args[idPos]) == 1 && args[idPos][0] == '*') {
		var ok bool
		id, seqGiven, ok = parseStreamID(args[idPos], 0, true, true)
		if !ok {
			c.addError(errInvalidStreamID)
			return
		}
		idGiven = true
	}
	fields := len(args) - idPos - 1
	if fields < 2 || fields%2 == 1 {
		c.addError("ERR wrong number of arguments for 'xadd' command")
		return
	}
	if idGiven && seqGiven && id.isZero() {
		c.addError("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	key := args[1]
	o, ok := c.lookupWriteType(key, TypeStream)
	if !ok {
		return
	}
	srv := c.srv
	created := false
	if o == nil {
		if noMk {
			c.w.Null()
			return
		}
		o, created = newStreamObject(nil), true
	}
	s := o.stream()
	if s.lastID == maxStreamID {
		c.addError("ERR The stream has exhausted the last possible ID, unable to add more items")
		return
	}
	switch {
	case !idGiven:
		if now := uint64(srv.now); now > s.lastID.ms {
			id = streamID{now, 0}
		} else {
			id, _ = s.lastID.incr()
		}
	case !seqGiven && s.lastID.ms == id.ms:
		if s.lastID.seq == ^uint64(0) {
			// Redis 7.0's streamAppendItem fails here without setting
			// errno, and xaddCommand reports the size error.
			c.addError("ERR Elements are too large to be stored")
			return
		}
		id = streamID{id.ms, s.lastID.seq + 1}
	}
	if id.cmp(s.lastID) <= 0 {
		c.addError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
		return
	}
	total := 0
	for _, b := range args[idPos+1:] {
		total += len(b)
	}
	if total > streamLPMaxSize {
		c.addError("ERR Elements are too large to be stored")
		return
	}
	before := int64(0)
	if !created {
		before = valueMemory(o)
	}
	s.appendEntry(id, args[idPos+1:], srv.conf.StreamNodeMaxBytes, srv.conf.StreamNodeMaxEntries)
	c.bulkID(id)
	srv.dirty++
	trimmed := int64(0)
	if a.strategy != trimNone {
		trimmed = s.trim(&a)
	}
	if created {
		srv.addKey(c.db, key, o)
	} else {
		c.db.resized(o, before)
		srv.signalKeyAsReady(c.db, key, TypeStream)
	}
	c.srv.notifyKeyspaceEvent(config.NotifyStream, "xadd", key, c.db.id)
	if trimmed > 0 {
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xtrim", key, c.db.id)
	}
}

func (c *Client) xrange(args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := c.intervalIDArg(startArg, 0, true)
	if !ok {
		return
	}
	end, ok := c.intervalIDArg(endArg, ^uint64(0), false)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if eqFold(args[j], "count") && j+1 < len(args) {
			if count, ok = c.intArg(args[j+1]); !ok {
				return
			}
			count = max(count, 0)
			j++
		} else {
			c.addError(errSyntax)
			return
		}
	}
	s, ok := c.lookupStream(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Array(0)
		return
	}
	if count == 0 {
		c.w.NullArray()
		return
	}
	c.replyItems(s.collect(start, end, rev, max(count, 0)))
}

func cmdXLen(c *Client, args [][]byte) {
	s, ok := c.lookupStream(args[1])
	if ok {
		if s == nil {
			c.w.Int(0)
		} else {
			c.w.Int(int64(s.length))
		}
	}
}

func cmdXDel(c *Client, args [][]byte) {
	o, ok := c.lookupWriteType(args[1], TypeStream)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	ids := make([]streamID, 0, len(args)-2)
	for _, a := range args[2:] {
		id, ok := c.streamIDArg(a, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	s := o.stream()
	before := valueMemory(o)
	deleted, first := 0, false
	for _, id := range ids {
		n, e := s.lookup(id)
		if n == nil {
			continue
		}
		s.deleteEntry(n, e)
		if id == s.firstID {
			first = true
		}
		if id.cmp(s.maxDeletedID) > 0 {
			s.maxDeletedID = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.length == 0 {
			s.firstID = streamID{}
		} else if first {
			s.firstID = s.edgeID(true)
		}
		c.db.resized(o, before)
		c.srv.dirty += int64(deleted)
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xdel", args[1], c.db.id)
	}
	c.w.Int(int64(deleted))
}

func cmdXTrim(c *Client, args [][]byte) {
	var a trimArgs
	if c.parseTrimArgs(args, false, &a, nil) < 0 {
		return
	}
	o, ok := c.lookupWriteType(args[1], TypeStream)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	before := valueMemory(o)
	deleted := o.stream().trim(&a)
	if deleted > 0 {
		c.db.resized(o, before)
		c.srv.dirty += deleted
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xtrim", args[1], c.db.id)
	}
	c.w.Int(deleted)
}

// xreadArgs is XREAD's and XREADGROUP's parsed request.
type xreadArgs struct {
	timeout    int64 // ms, -1 without BLOCK
	count      int64
	keys       [][]byte
	ids        []streamID
	group      []byte
	consumer   []byte
	noack      bool
	groups     []*streamGroup
	xreadgroup bool
}

// parseXRead parses XREAD/XREADGROUP and resolves keys, groups and IDs as
// xreadCommand does; ok is false after an error reply.
func (c *Client) parseXRead(args [][]byte) (r xreadArgs, ok bool) {
	r.timeout = -1
	r.xreadgroup = len(args[0]) == 10
	streamsArg := 0
	for i := 1; i < len(args) && streamsArg == 0; i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case eqFold(o, "block") && more > 0:
			i++
			t, ok := sds.ParseInt(args[i])
			if !ok {
				c.addError("ERR timeout is not an integer or out of range")
				return r, false
			}
			if t < 0 {
				c.addError("ERR timeout is negative")
				return r, false
			}
			if t > 0 && t > 1<<63-1-c.srv.now {
				c.addError("ERR timeout is out of range")
				return r, false
			}
			r.timeout = t
		case eqFold(o, "count") && more > 0:
			i++
			n, ok := c.intArg(args[i])
			if !ok {
				return r, false
			}
			r.count = max(n, 0)
		case eqFold(o, "streams") && more > 0:
			streamsArg = i + 1
			if (len(args)-streamsArg)%2 != 0 {
				c.addError("ERR Unbalanced '" + string(args[0]) + "' list of streams: for each stream key an ID or '$' must be specified.")
				return r, false
			}
		case eqFold(o, "group") && more >= 2:
			if !r.xreadgroup {
				c.addError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return r, false
			}
			r.group, r.consumer = args[i+1], args[i+2]
			i += 2
		case eqFold(o, "noack"):
			if !r.xreadgroup {
				c.addError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return r, false
			}
			r.noack = true
		default:
			c.addError(errSyntax)
			return r, false
		}
	}
	if streamsArg == 0 {
		c.addError(errSyntax)
		return r, false
	}
	if r.xreadgroup && r.group == nil {
		c.addError("ERR Missing GROUP option for XREADGROUP")
		return r, false
	}
	n := (len(args) - streamsArg) / 2
	r.keys = args[streamsArg : streamsArg+n]
	r.ids = make([]streamID, n)
	if r.group != nil {
		r.groups = make([]*streamGroup, n)
	}
	for i, a := range args[streamsArg+n:] {
		key := r.keys[i]
		s, ok := c.lookupStream(key)
		if !ok {
			return r, false
		}
		if r.group != nil {
			var g *streamGroup
			if s != nil {
				g = s.group(r.group)
			}
			if g == nil {
				c.addError("NOGROUP No such key '" + string(cString(key)) + "' or consumer group '" + string(cString(r.group)) + "' in XREADGROUP with GROUP option")
				return r, false
			}
			r.groups[i] = g
		}
		switch {
		case len(a) == 1 && a[0] == '$':
			if r.xreadgroup {
				c.addError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return r, false
			}
			if s != nil {
				r.ids[i] = s.lastID
			}
		case len(a) == 1 && a[0] == '>':
			if !r.xreadgroup {
				c.addError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return r, false
			}
			r.ids[i] = maxStreamID
		default:
			id, ok := c.streamIDArg(a, 0, true)
			if !ok {
				return r, false
			}
			r.ids[i] = id
		}
	}
	return r, true
}

func cmdXRead(c *Client, args [][]byte) {
	r, ok := c.parseXRead(args)
	if !ok {
		return
	}
	switch {
	case c.serveXRead(&r):
	case r.timeout == -1:
		c.w.NullArray()
	default:
		c.blockXRead(&r, args)
	}
}

// serveXRead replies with what the streams have for r, as xreadCommand's
// synchronous path: each key in turn is served when it has something past
// the requested ID (or, for XREADGROUP, always when reading history); it
// reports false (nothing written) when no key was served.
func (c *Client) serveXRead(r *xreadArgs) bool {
	mark := c.w.Len()
	served := 0
	now := c.srv.now
	for i, key := range r.keys {
		o := c.lookupRead(key) // a second lookup, as xreadCommand's serving loop
		if o == nil || o.typ != TypeStream {
			continue
		}
		s := o.stream()
		gt := r.ids[i]
		hist := false
		if r.groups != nil {
			switch {
			case gt != maxStreamID:
				hist = true
			case s.length > 0 && s.edgeID(false).cmp(r.groups[i].lastID) > 0:
				gt = r.groups[i].lastID
			default:
				continue
			}
		} else if s.length == 0 || s.edgeID(false).cmp(gt) <= 0 {
			continue
		}
		start, _ := gt.incr()
		served++
		if !c.w.Resp3() {
			c.w.Array(2)
		}
		c.w.Bulk(key)
		if r.groups == nil {
			c.replyItems(s.collect(start, maxStreamID, false, r.count))
			continue
		}
		g := r.groups[i]
		c.srv.preserve(c.db, key) // the group changes in place
		before := valueMemory(o)
		cons := c.streamConsumer(key, g, r.consumer, now)
		if hist {
			c.replyConsumerHistory(s, cons, start, r.count, now)
		} else {
			c.replyGroupRead(s, g, cons, start, r.count, r.noack, now)
		}
		s.groupChanged(g)
		c.db.resized(o, before)
		c.srv.dirty++
	}
	if served == 0 {
		return false
	}
	// The count goes in front of what was written (Redis's deferred
	// length).
	body := append([]byte(nil), c.w.Bytes()[mark:]...)
	c.w.Truncate(mark)
	if c.w.Resp3() {
		c.w.Map(served)
	} else {
		c.w.Array(served)
	}
	c.w.Raw(body)
	return true
}

// xreadBlockedCount is XREAD_BLOCKED_DEFAULT_COUNT: what a blocked XREAD
// without COUNT gets at most when served.
const xreadBlockedCount = 1000

// blockXRead blocks c on r's keys (blockForKeys with BLOCKED_STREAM). A
// key made ready serves the client, as blocked.c's
// serveClientsBlockedOnStreamKey, when the stream's last ID is past the
// one the client reads from: its own for XREAD ("$" resolved when it
// blocked), its group's last delivered ID for XREADGROUP (whose group, if
// destroyed meanwhile, unblocks it with NOGROUP).
func (c *Client) blockXRead(r *xreadArgs, args [][]byte) {
	ids := make(map[string]streamID, len(r.keys))
	for i, k := range r.keys {
		if _, dup := ids[string(k)]; !dup { // the first of a repeated key counts
			ids[string(k)] = r.ids[i]
		}
	}
	count := r.count
	if count == 0 {
		count = xreadBlockedCount
	}
	group := bytes.Clone(r.group)
	consumer := bytes.Clone(r.consumer)
	noack := r.noack
	// from is the ID the client reads after; g its group (nil for XREAD,
	// or when destroyed).
	from := func(key []byte, s *streamValue) (gt streamID, g *streamGroup) {
		if group == nil {
			return ids[string(key)], nil
		}
		if g = s.group(group); g != nil {
			gt = g.lastID
		}
		return gt, g
	}
	c.blockForKeys(TypeStream, r.keys, time.Duration(r.timeout)*time.Millisecond, args, func(w *Client, key []byte, o *Object) {
		s := o.stream()
		gt, g := from(key, s)
		if group != nil && g == nil {
			w.addError("NOGROUP the consumer group this client was blocked on no longer exists")
			return
		}
		start, _ := gt.incr()
		if w.w.Resp3() {
			w.w.Map(1)
		} else {
			w.w.Array(1)
			w.w.Array(2)
		}
		w.w.Bulk(key)
		if g == nil {
			w.replyItems(s.collect(start, maxStreamID, false, count))
			return
		}
		now := w.srv.now
		before := valueMemory(o)
		cons := w.streamConsumer(key, g, consumer, now)
		w.replyGroupRead(s, g, cons, start, count, noack, now)
		s.groupChanged(g)
		w.db.resized(o, before)
	})
	if c.blocked == nil {
		return // inside EXEC: replied as timed out, not blocked
	}
	c.blocked.ready = func(key []byte, o *Object) bool {
		s := o.stream()
		gt, g := from(key, s)
		return (group != nil && g == nil) || s.lastID.cmp(gt) > 0
	}
}

// replyGroupRead is streamReplyWithRange with a group: new entries from
// start are delivered to cons, moving the group's last ID and read
// counter and, without NOACK, creating (or taking over) NACKs.
func (c *Client) replyGroupRead(s *streamValue, g *streamGroup, cons *streamConsumer, start streamID, count int64, noack bool, now int64) {
	items := s.collect(start, maxStreamID, false, count)
	c.w.Array(len(items))
	for i := range items {
		it := &items[i]
		id := it.e.id
		if id.cmp(g.lastID) > 0 {
			if g.entriesRead != entriesReadInvalid && !s.rangeHasTombstones(id, nil) {
				g.entriesRead++
			} else if s.entriesAdded != 0 {
				g.entriesRead = s.estimateDistance(id)
			}
			g.lastID = id
		}
		c.replyEntry(it.n, &it.e)
		if noack {
			continue
		}
		nack := &streamNACK{deliveryTime: now, deliveryCount: 1, consumer: cons}
		if g.pel.insert(id, nack) {
			cons.pel.insert(id, nack)
			continue
		}
		old := g.pel.find(id)
		old.consumer.pel.remove(id)
		old.consumer, old.deliveryTime, old.deliveryCount = cons, now, 1
		cons.pel.insert(id, old)
	}
}

// replyConsumerHistory is streamReplyWithRangeFromConsumerPEL: the
// consumer's pending entries from start, a deleted entry as its ID and a
// null.
func (c *Client) replyConsumerHistory(s *streamValue, cons *streamConsumer, start streamID, count int64, now int64) {
	var ents []pelEntry
	for pe := range cons.pel.from(start) {
		if count > 0 && int64(len(ents)) == count {
			break
		}
		ents = append(ents, pe)
	}
	c.w.Array(len(ents))
	for _, pe := range ents {
		if nd, e := s.lookup(pe.id); nd != nil {
			c.replyEntry(nd, e)
			pe.nack.deliveryTime = now
			pe.nack.deliveryCount++
		} else {
			c.w.Array(2)
			c.bulkID(pe.id)
			c.w.NullArray()
		}
	}
}

func cmdXGroup(c *Client, args [][]byte) {
	opt := args[1]
	if eqFold(opt, "help") {
		c.replyHelp("XGROUP", xgroupHelp)
		return
	}
	if c.db.get(args[2]) != nil {
		// Redis 7.0 touches no WATCH for a consumer group change (only
		// for the stream MKSTREAM creates).
		defer c.srv.unchanged(c.db, args[2])
	}
	entriesRead := int64(entriesReadInvalid)
	mkstream := false
	entriesReadArg := func(a []byte) bool {
		n, ok := c.intArg(a)
		if !ok {
			return false
		}
		if n < 0 && n != entriesReadInvalid {
			c.addError("ERR value for ENTRIESREAD must be positive or -1")
			return false
		}
		entriesRead = n
		return true
	}
	switch {
	case eqFold(opt, "create") && len(args) >= 5 && len(args) <= 8:
		for i := 5; i < len(args); {
			switch {
			case eqFold(args[i], "mkstream"):
				mkstream = true
				i++
			case eqFold(args[i], "entriesread") && i+1 < len(args):
				if !entriesReadArg(args[i+1]) {
					return
				}
				i += 2
			default:
				c.subcommandSyntaxError(args)
				return
			}
		}
	case eqFold(opt, "setid") && (len(args) == 5 || len(args) == 7):
		if len(args) == 7 {
			if !eqFold(args[5], "entriesread") {
				c.subcommandSyntaxError(args)
				return
			}
			if !entriesReadArg(args[6]) {
				return
			}
		}
	}
	key, name := args[2], args[3]
	o, ok := c.lookupWriteType(key, TypeStream)
	if !ok {
		return
	}
	var s *streamValue
	if o != nil {
		s = o.stream()
	}
	var g *streamGroup
	if !mkstream {
		if s == nil {
			c.addError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		if g = s.group(name); g == nil && (eqFold(opt, "setid") || eqFold(opt, "createconsumer") || eqFold(opt, "delconsumer")) {
			c.noSuchGroup(name, key)
			return
		}
	}
	srv := c.srv
	switch {
	case eqFold(opt, "create") && len(args) >= 5 && len(args) <= 8:
		var id streamID
		if a := args[4]; len(a) == 1 && a[0] == '$' {
			if s != nil {
				id = s.lastID
			}
		} else if id, ok = c.streamIDArg(a, 0, true); !ok {
			return
		}
		if s == nil {
			o = newStreamObject(nil)
			srv.addKey(c.db, key, o)
			s = o.stream()
		}
		before := valueMemory(o)
		if s.createGroup(name, id, entriesRead) == nil {
			c.addError("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.db.resized(o, before)
		c.w.OK()
		srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-create", key, c.db.id)
	case eqFold(opt, "setid") && (len(args) == 5 || len(args) == 7):
		var id streamID
		if a := args[4]; len(a) == 1 && a[0] == '$' {
			id = s.lastID
		} else if id, ok = c.streamIDArg(a, 0, false); !ok {
			return
		}
		g.lastID, g.entriesRead = id, entriesRead
		c.w.OK()
		srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-setid", key, c.db.id)
	case eqFold(opt, "destroy") && len(args) == 4:
		if g == nil {
			c.w.Int(0)
			return
		}
		before := valueMemory(o)
		s.destroyGroup(name)
		c.db.resized(o, before)
		c.w.Int(1)
		srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-destroy", key, c.db.id)
		// Clients blocked on the group get NOGROUP.
		srv.signalKeyAsReady(c.db, key, TypeStream)
	case eqFold(opt, "createconsumer") && len(args) == 5:
		before := valueMemory(o)
		if g.createConsumer(args[4], srv.now) == nil {
			c.w.Int(0)
			return
		}
		s.groupChanged(g)
		c.db.resized(o, before)
		srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-createconsumer", key, c.db.id)
		c.w.Int(1)
	case eqFold(opt, "delconsumer") && len(args) == 5:
		cons := g.consumer(args[4])
		if cons == nil {
			c.w.Int(0)
			return
		}
		before := valueMemory(o)
		pending := cons.pel.len()
		g.deleteConsumer(cons)
		s.groupChanged(g)
		c.db.resized(o, before)
		srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-delconsumer", key, c.db.id)
		c.w.Int(int64(pending))
	default:
		c.subcommandSyntaxError(args)
	}
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

// lookupGroup finds key's group for XACK/XCLAIM-style commands: o and g
// are nil when either is missing; ok is false after WRONGTYPE. The lookup
// counts as a read (Redis's lookupKeyRead), but with write set the caller
// changes the group in place, so a snapshot in progress gets the stream
// first (what lookupWrite does for other writes).
func (c *Client) lookupGroup(key, name []byte, write bool) (o *Object, g *streamGroup, ok bool) {
	o, ok = c.lookupReadType(key, TypeStream)
	if o != nil {
		if write {
			c.srv.preserve(c.db, key)
		}
		g = o.stream().group(name)
	}
	return o, g, ok
}

func (c *Client) noGroupOrKey(key, name []byte) {
	c.addError("NOGROUP No such key '" + string(cString(key)) + "' or consumer group '" + string(cString(name)) + "'")
}

func cmdXAck(c *Client, args [][]byte) {
	o, g, ok := c.lookupGroup(args[1], args[2], true)
	if !ok {
		return
	}
	if o == nil || g == nil {
		c.w.Int(0)
		return
	}
	ids := make([]streamID, 0, len(args)-3)
	for _, a := range args[3:] {
		id, ok := c.streamIDArg(a, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	before := valueMemory(o)
	n := 0
	for _, id := range ids {
		if g.ack(id) {
			n++
		}
	}
	if n > 0 {
		o.stream().groupChanged(g)
		c.db.resized(o, before)
		c.srv.dirty += int64(n)
	}
	c.w.Int(int64(n))
}

func cmdXPending(c *Client, args [][]byte) {
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.addError(errSyntax)
		return
	}
	var start, end streamID
	var count, minIdle int64
	var consumerName []byte
	if len(args) >= 6 {
		si := 3
		var ok bool
		if eqFold(args[3], "idle") {
			if minIdle, ok = c.intArg(args[4]); !ok {
				return
			}
			if len(args) < 8 {
				c.addError(errSyntax)
				return
			}
			si += 2
		}
		if count, ok = c.intArg(args[si+2]); !ok {
			return
		}
		count = max(count, 0)
		if start, ok = c.intervalIDArg(args[si], 0, true); !ok {
			return
		}
		if end, ok = c.intervalIDArg(args[si+1], ^uint64(0), false); !ok {
			return
		}
		if si+3 < len(args) {
			consumerName = args[si+3]
		}
	}
	o, g, ok := c.lookupGroup(args[1], args[2], false)
	if !ok {
		return
	}
	if o == nil || g == nil {
		c.noGroupOrKey(args[1], args[2])
		return
	}
	if justInfo {
		c.w.Array(4)
		c.w.Int(int64(g.pel.len()))
		if g.pel.len() == 0 {
			c.w.Null()
			c.w.Null()
			c.w.NullArray()
			return
		}
		first, _ := g.pel.ceil(streamID{})
		last, _ := g.pel.floor(maxStreamID)
		c.bulkID(first.id)
		c.bulkID(last.id)
		n := 0
		for _, cons := range g.consumers {
			if cons.pel.len() > 0 {
				n++
			}
		}
		c.w.Array(n)
		for _, cons := range g.consumers {
			if cons.pel.len() > 0 {
				c.w.Array(2)
				c.w.BulkString(cons.name)
				c.w.BulkInt(int64(cons.pel.len()))
			}
		}
		return
	}
	pel := &g.pel
	if consumerName != nil {
		cons := g.consumer(consumerName)
		if cons == nil {
			c.w.Array(0)
			return
		}
		pel = &cons.pel
	}
	now := c.srv.now
	var out []pelEntry
	for pe := range pel.from(start) {
		if count == 0 || pe.id.cmp(end) > 0 {
			break
		}
		if minIdle != 0 && now-pe.nack.deliveryTime < minIdle {
			continue
		}
		out = append(out, pe)
		count--
	}
	c.w.Array(len(out))
	for _, pe := range out {
		c.w.Array(4)
		c.bulkID(pe.id)
		c.w.BulkString(pe.nack.consumer.name)
		c.w.Int(max(now-pe.nack.deliveryTime, 0))
		c.w.Int(pe.nack.deliveryCount)
	}
}

// streamConsumer finds the named consumer of g (a group of the stream at
// key), refreshing its seen time, or creates it (a change, notified, as
// streamCreateConsumer does).
func (c *Client) streamConsumer(key []byte, g *streamGroup, name []byte, now int64) *streamConsumer {
	cons, created := g.lookupOrCreateConsumer(name, now)
	if created {
		c.srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyStream, "xgroup-createconsumer", key, c.db.id)
	}
	return cons
}

// claim moves NACK n of id into cons's PEL (out of its previous
// consumer's, if any), as XCLAIM and XAUTOCLAIM do.
func (g *streamGroup) claim(id streamID, n *streamNACK, cons *streamConsumer) {
	if n.consumer != cons {
		if n.consumer != nil {
			n.consumer.pel.remove(id)
		}
		cons.pel.insert(id, n)
		n.consumer = cons
	}
}

func cmdXClaim(c *Client, args [][]byte) {
	o, g, ok := c.lookupGroup(args[1], args[2], true)
	if !ok {
		return
	}
	if o == nil || g == nil {
		c.noGroupOrKey(args[1], args[2])
		return
	}
	minIdle, ok := sds.ParseInt(args[4])
	if !ok {
		c.addError("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	var ids []streamID
	j := 5
	for ; j < len(args); j++ {
		id, _, ok := parseStreamID(args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	srv := c.srv
	now := srv.now
	retry, delivery := int64(-1), int64(-1)
	force, justID := false, false
	var lastID streamID
	optInt := func(a []byte, msg string) (int64, bool) {
		n, ok := sds.ParseInt(a)
		if !ok {
			c.addError("ERR Invalid " + msg + " option argument for XCLAIM")
		}
		return n, ok
	}
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case eqFold(opt, "force"):
			force = true
		case eqFold(opt, "justid"):
			justID = true
		case eqFold(opt, "idle") && more > 0:
			j++
			n, ok := optInt(args[j], "IDLE")
			if !ok {
				return
			}
			delivery = now - n
		case eqFold(opt, "time") && more > 0:
			j++
			if delivery, ok = optInt(args[j], "TIME"); !ok {
				return
			}
		case eqFold(opt, "retrycount") && more > 0:
			j++
			if retry, ok = optInt(args[j], "RETRYCOUNT"); !ok {
				return
			}
		case eqFold(opt, "lastid") && more > 0:
			j++
			if lastID, ok = c.streamIDArg(args[j], 0, true); !ok {
				return
			}
		default:
			c.addError(sprintf("ERR Unrecognized XCLAIM option '%s'", cString(opt)))
			return
		}
	}
	s := o.stream()
	before := valueMemory(o)
	// A moved last ID counts as a change only when no claim carries it
	// (Redis propagates it with the claims, else as XGROUP SETID).
	propagateLast := false
	if lastID.cmp(g.lastID) > 0 {
		g.lastID = lastID
		propagateLast = true
	}
	if delivery == -1 || delivery < 0 || delivery > now {
		delivery = now
	}
	var out []streamID
	var cons *streamConsumer
	for _, id := range ids {
		n := g.pel.find(id)
		if nd, _ := s.lookup(id); nd == nil {
			if n != nil {
				g.ack(id)
				srv.dirty++
				propagateLast = false
			}
			continue
		}
		if force && n == nil {
			n = &streamNACK{deliveryTime: now, deliveryCount: 1}
			g.pel.insert(id, n)
		}
		if n == nil {
			continue
		}
		if n.consumer != nil && minIdle != 0 && now-n.deliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = c.streamConsumer(args[1], g, args[3], now)
		}
		n.deliveryTime = delivery
		if retry >= 0 {
			n.deliveryCount = retry
		} else if !justID {
			n.deliveryCount++
		}
		g.claim(id, n, cons)
		out = append(out, id)
		srv.dirty++
		propagateLast = false
	}
	if propagateLast {
		srv.dirty++
	}
	s.groupChanged(g)
	c.db.resized(o, before)
	c.w.Array(len(out))
	for _, id := range out {
		if justID {
			c.bulkID(id)
		} else {
			c.replyOneEntry(s, id)
		}
	}
}

func cmdXAutoClaim(c *Client, args [][]byte) {
	minIdle, ok := sds.ParseInt(args[4])
	if !ok {
		c.addError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := c.intervalIDArg(args[5], 0, true)
	if !ok {
		return
	}
	const attemptsFactor = 10
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "count") && more > 0:
			n, ok := sds.ParseInt(args[j+1])
			if !ok || n < 1 || n > (1<<63-1)/16 {
				c.addError("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case eqFold(args[j], "justid"):
			justID = true
		default:
			c.addError(errSyntax)
			return
		}
	}
	o, g, ok := c.lookupGroup(args[1], args[2], true)
	if !ok {
		return
	}
	if o == nil || g == nil {
		c.noGroupOrKey(args[1], args[2])
		return
	}
	s := o.stream()
	srv := c.srv
	now := srv.now
	before := valueMemory(o)
	attempts := count * attemptsFactor
	var deleted, claimed []streamID
	var cons *streamConsumer
	// A cursor walks the PEL by ID: entries are removed on the way.
	pe, more := g.pel.ceil(start)
	for attempts > 0 && count > 0 && more {
		attempts--
		if nd, _ := s.lookup(pe.id); nd == nil {
			g.ack(pe.id)
			srv.dirty++
			deleted = append(deleted, pe.id)
			count--
			pe, more = g.pel.ceil(pe.id)
			continue
		}
		cur := pe
		if nextID, ok := pe.id.incr(); ok {
			pe, more = g.pel.ceil(nextID)
		} else {
			more = false
		}
		if minIdle != 0 && now-cur.nack.deliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = c.streamConsumer(args[1], g, args[3], now)
		}
		cur.nack.deliveryTime = now
		if !justID {
			cur.nack.deliveryCount++
		}
		g.claim(cur.id, cur.nack, cons)
		claimed = append(claimed, cur.id)
		count--
		srv.dirty++
	}
	var next streamID
	if more {
		next = pe.id
	}
	s.groupChanged(g)
	c.db.resized(o, before)
	c.w.Array(3)
	c.bulkID(next)
	c.w.Array(len(claimed))
	for _, id := range claimed {
		if justID {
			c.bulkID(id)
		} else {
			c.replyOneEntry(s, id)
		}
	}
	c.w.Array(len(deleted))
	for _, id := range deleted {
		c.bulkID(id)
	}
}

func cmdXInfo(c *Client, args [][]byte) {
	opt := args[1]
	if eqFold(opt, "help") {
		if len(args) != 2 {
			c.subcommandSyntaxError(args)
			return
		}
		c.replyHelp("XINFO", xinfoHelp)
		return
	}
	key := args[2]
	o, ok := c.lookupReadType(key, TypeStream)
	if !ok {
		return
	}
	if o == nil {
		c.addError(errNoSuchKey)
		return
	}
	s := o.stream()
	switch {
	case eqFold(opt, "consumers") && len(args) == 4:
		g := s.group(args[3])
		if g == nil {
			c.noSuchGroup(args[3], key)
			return
		}
		now := c.srv.now
		c.w.Array(len(g.consumers))
		for _, cons := range g.consumers {
			c.w.Map(3)
			c.w.BulkString("name")
			c.w.BulkString(cons.name)
			c.w.BulkString("pending")
			c.w.Int(int64(cons.pel.len()))
			c.w.BulkString("idle")
			c.w.Int(max(now-cons.seenTime, 0))
		}
	case eqFold(opt, "groups") && len(args) == 3:
		c.w.Array(len(s.groups))
		for _, g := range s.groups {
			c.w.Map(6)
			c.w.BulkString("name")
			c.w.BulkString(g.name)
			c.w.BulkString("consumers")
			c.w.Int(int64(len(g.consumers)))
			c.w.BulkString("pending")
			c.w.Int(int64(g.pel.len()))
			c.w.BulkString("last-delivered-id")
			c.bulkID(g.lastID)
			c.replyGroupCounters(s, g)
		}
	case eqFold(opt, "stream"):
		c.xinfoStream(s, args)
	default:
		c.subcommandSyntaxError(args)
	}
}

// replyGroupCounters writes a group's entries-read and lag fields.
func (c *Client) replyGroupCounters(s *streamValue, g *streamGroup) {
	c.w.BulkString("entries-read")
	if g.entriesRead != entriesReadInvalid {
		c.w.Int(g.entriesRead)
	} else {
		c.w.Null()
	}
	c.w.BulkString("lag")
	if lag, ok := s.lag(g); ok {
		c.w.Int(lag)
	} else {
		c.w.Null()
	}
}

func (c *Client) xinfoStream(s *streamValue, args [][]byte) {
	opts := args[3:]
	full := len(opts) > 0
	count := int64(10)
	if full {
		if !eqFold(opts[0], "full") {
			c.subcommandSyntaxError(args)
			return
		}
		if len(opts) > 1 {
			if len(opts) != 3 || !eqFold(opts[1], "count") {
				c.subcommandSyntaxError(args)
				return
			}
			n, ok := c.intArg(opts[2])
			if !ok {
				return
			}
			count = max(n, 0)
		}
	}
	if full {
		c.w.Map(9)
	} else {
		c.w.Map(10)
	}
	c.w.BulkString("length")
	c.w.Int(int64(s.length))
	c.w.BulkString("radix-tree-keys")
	c.w.Int(int64(len(s.nodes)))
	c.w.BulkString("radix-tree-nodes")
	c.w.Int(int64(s.raxNodes))
	c.w.BulkString("last-generated-id")
	c.bulkID(s.lastID)
	c.w.BulkString("max-deleted-entry-id")
	c.bulkID(s.maxDeletedID)
	c.w.BulkString("entries-added")
	c.w.Int(int64(s.entriesAdded))
	c.w.BulkString("recorded-first-entry-id")
	c.bulkID(s.firstID)
	if !full {
		c.w.BulkString("groups")
		c.w.Int(int64(len(s.groups)))
		for _, rev := range []bool{false, true} {
			if rev {
				c.w.BulkString("last-entry")
			} else {
				c.w.BulkString("first-entry")
			}
			if items := s.collect(streamID{}, maxStreamID, rev, 1); len(items) > 0 {
				c.replyEntry(items[0].n, &items[0].e)
			} else {
				c.w.Null()
			}
		}
		return
	}
	c.w.BulkString("entries")
	c.replyItems(s.collect(streamID{}, maxStreamID, false, count))
	c.w.BulkString("groups")
	c.w.Array(len(s.groups))
	limit := func(n int) int {
		if count > 0 && int64(n) > count {
			return int(count)
		}
		return n
	}
	for _, g := range s.groups {
		c.w.Map(7)
		c.w.BulkString("name")
		c.w.BulkString(g.name)
		c.w.BulkString("last-delivered-id")
		c.bulkID(g.lastID)
		c.replyGroupCounters(s, g)
		c.w.BulkString("pel-count")
		c.w.Int(int64(g.pel.len()))
		c.w.BulkString("pending")
		c.w.Array(limit(g.pel.len()))
		for pe := range g.pel.limited(limit(g.pel.len())) {
			c.w.Array(4)
			c.bulkID(pe.id)
			c.w.BulkString(pe.nack.consumer.name)
			c.w.Int(pe.nack.deliveryTime)
			c.w.Int(pe.nack.deliveryCount)
		}
		c.w.BulkString("consumers")
		c.w.Array(len(g.consumers))
		for _, cons := range g.consumers {
			c.w.Map(4)
			c.w.BulkString("name")
			c.w.BulkString(cons.name)
			c.w.BulkString("seen-time")
			c.w.Int(cons.seenTime)
			c.w.BulkString("pel-count")
			c.w.Int(int64(cons.pel.len()))
			c.w.BulkString("pending")
			c.w.Array(limit(cons.pel.len()))
			for pe := range cons.pel.limited(limit(cons.pel.len())) {
				c.w.Array(3)
				c.bulkID(pe.id)
				c.w.Int(pe.nack.deliveryTime)
				c.w.Int(pe.nack.deliveryCount)
			}
		}
	}
}

func cmdXSetID(c *Client, args [][]byte) {
	defer c.srv.unchanged(c.db, args[1]) // Redis 7.0's XSETID touches no WATCH
	id, ok := c.streamIDArg(args[2], 0, true)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel streamID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			if entriesAdded, ok = c.intArg(args[i+1]); !ok {
				return
			}
			if entriesAdded < 0 {
				c.addError("ERR entries_added must be positive")
				return
			}
		case eqFold(args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = c.streamIDArg(args[i+1], 0, true); !ok {
				return
			}
			if id.cmp(maxDel) < 0 {
				c.addError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.addError(errSyntax)
			return
		}
	}
	o, ok := c.lookupWriteType(args[1], TypeStream)
	if !ok {
		return
	}
	if o == nil {
		c.addError(errNoSuchKey)
		return
	}
	s := o.stream()
	if s.length > 0 {
		if id.cmp(s.edgeID(false)) < 0 {
			c.addError("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.length > uint64(entriesAdded) {
			c.addError("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.lastID = id
	if entriesAdded != -1 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if !maxDel.isZero() {
		s.maxDeletedID = maxDel
	}
	c.w.OK()
	c.srv.dirty++
	c.srv.notifyKeyspaceEvent(config.NotifyStream, "xsetid", args[1], c.db.id)
}

// streamDup is streamDup (t_stream.c) for COPY: nodes copied to exact-size
// allocations, the groups with their PELs and consumers.
func streamDup(o *Object) *Object {
	src := o.stream()
	d := newStreamValue()
	for _, n := range src.nodes {
		lp := append([]byte(nil), n.lp...)
		d.addNode(&streamNode{master: n.master, lp: lp, alloc: int(jemallocSize(int64(len(lp))))})
	}
	d.length, d.lastID, d.firstID = src.length, src.lastID, src.firstID
	d.maxDeletedID, d.entriesAdded = src.maxDeletedID, src.entriesAdded
	for _, g := range src.groups {
		ng := d.createGroup([]byte(g.name), g.lastID, g.entriesRead)
		nacks := make(map[streamID]*streamNACK, g.pel.len())
		for pe := range g.pel.all() {
			n := &streamNACK{deliveryTime: pe.nack.deliveryTime, deliveryCount: pe.nack.deliveryCount}
			nacks[pe.id] = n
			ng.pel.insert(pe.id, n)
		}
		for _, cons := range g.consumers {
			nc := ng.createConsumer([]byte(cons.name), cons.seenTime)
			for pe := range cons.pel.all() {
				n := nacks[pe.id]
				n.consumer = nc
				nc.pel.insert(pe.id, n)
			}
		}
		d.groupChanged(ng)
	}
	return newStreamObject(d)
}

// streamDigest is debug.c's xorObjectDigest for a stream: each entry's
// "<ms>.<seq>", fields and values mixed in; groups are not part of it.
func streamDigest(d *[20]byte, o *Object) {
	var buf [48]byte
	o.stream().rangeEach(streamID{}, maxStreamID, false, func(n *streamNode, e *streamEntry) bool {
		b := strconv.AppendUint(buf[:0], e.id.ms, 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, e.id.seq, 10)
		mixDigest(d, b)
		n.fields(e, func(f, v []byte) {
			mixDigest(d, f)
			mixDigest(d, v)
		})
		return true
	})
}

// rdbLenU is rdbSaveLen's size for an unsigned 64-bit value.
func rdbLenU(v uint64) int {
	if v > 1<<32-1 {
		return 9
	}
	return rdbLenLen(int(v))
}

// streamRDBLen is rdbSavedObjectLen for a stream as RDB_TYPE_STREAM_LISTPACKS_3
// (rdb.c rdbSaveObject): the nodes (key and listpack strings), the
// metadata, and each group with its PEL and consumers.
func streamRDBLen(o *Object, compress bool) int64 {
	s := o.stream()
	n := rdbLenU(uint64(len(s.nodes)))
	for _, nd := range s.nodes {
		k := encodeStreamID(nd.master)
		n += rdbStringLen(k[:], compress) + rdbStringLen(nd.lp, compress)
	}
	for _, v := range []uint64{s.length, s.lastID.ms, s.lastID.seq, s.firstID.ms, s.firstID.seq,
		s.maxDeletedID.ms, s.maxDeletedID.seq, s.entriesAdded, uint64(len(s.groups))} {
		n += rdbLenU(v)
	}
	for _, g := range s.groups {
		n += rdbStringLen([]byte(g.name), compress)
		n += rdbLenU(g.lastID.ms) + rdbLenU(g.lastID.seq) + rdbLenU(uint64(g.entriesRead))
		n += rdbLenU(uint64(g.pel.len()))
		for pe := range g.pel.all() {
			n += 16 + 8 + rdbLenU(uint64(pe.nack.deliveryCount))
		}
		n += rdbLenU(uint64(len(g.consumers)))
		for _, cons := range g.consumers {
			n += rdbStringLen([]byte(cons.name), compress) + 8
			n += rdbLenU(uint64(cons.pel.len())) + 16*cons.pel.len()
		}
	}
	return int64(n)
}
