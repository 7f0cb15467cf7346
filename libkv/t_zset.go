package libkv

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/libkv/config"
	"github.com/kvkit/kvkit/libkv/resp"
)

// Sorted-set commands (Redis 7.0 t_zset.c).
var zsetCommands = map[string]cmdFunc{
	"zadd":             cmdZadd,
	"zincrby":          cmdZincrby,
	"zrem":             cmdZrem,
	"zcard":            cmdZcard,
	"zscore":           cmdZscore,
	"zmscore":          cmdZmscore,
	"zrank":            func(c *Client, args [][]byte) { zrankGeneric(c, args, false) },
	"zrevrank":         func(c *Client, args [][]byte) { zrankGeneric(c, args, true) },
	"zcount":           cmdZcount,
	"zlexcount":        cmdZlexcount,
	"zrange":           func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeAuto, dirAuto) },
	"zrangestore":      func(c *Client, args [][]byte) { zrangeGeneric(c, args, true, zrangeAuto, dirAuto) },
	"zrevrange":        func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeRank, dirReverse) },
	"zrangebyscore":    func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeScore, dirForward) },
	"zrevrangebyscore": func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeScore, dirReverse) },
	"zrangebylex":      func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeLex, dirForward) },
	"zrevrangebylex":   func(c *Client, args [][]byte) { zrangeGeneric(c, args, false, zrangeLex, dirReverse) },
	"zremrangebyrank":  func(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeRank) },
	"zremrangebyscore": func(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeScore) },
	"zremrangebylex":   func(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeLex) },
	"zpopmin":          func(c *Client, args [][]byte) { zpopMinMax(c, args, false) },
	"zpopmax":          func(c *Client, args [][]byte) { zpopMinMax(c, args, true) },
	"zmpop":            cmdZmpop,
	"bzpopmin":         func(c *Client, args [][]byte) { bzpopMinMax(c, args, false) },
	"bzpopmax":         func(c *Client, args [][]byte) { bzpopMinMax(c, args, true) },
	"bzmpop":           cmdBzmpop,
	"zrandmember":      cmdZrandmember,
	"zunion":           func(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, opUnion, false) },
	"zinter":           func(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, opInter, false) },
	"zdiff":            func(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, opDiff, false) },
	"zunionstore":      func(c *Client, args [][]byte) { zsetOpGeneric(c, args, args[1], 2, opUnion, false) },
	"zinterstore":      func(c *Client, args [][]byte) { zsetOpGeneric(c, args, args[1], 2, opInter, false) },
	"zdiffstore":       func(c *Client, args [][]byte) { zsetOpGeneric(c, args, args[1], 2, opDiff, false) },
	"zintercard":       func(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, opInter, true) },
	"zscan":            cmdZscan,
}

// Error replies of t_zset.c.
const (
	errZsetNaN      = "ERR resulting score is not a number (NaN)"
	errMinMaxFloat  = "ERR min or max is not a float"
	errMinMaxString = "ERR min or max not valid string range item"
)

// cmdZadd is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...
func cmdZadd(c *Client, args [][]byte) { zaddGeneric(c, args, 0) }

// cmdZincrby is ZINCRBY key increment member: ZADD's code with INCR, so
// that, as in Redis, an increment spelled like an option ("nx") is read
// as one and the command ends in a syntax error.
func cmdZincrby(c *Client, args [][]byte) { zaddGeneric(c, args, zaddIncr) }

// zaddGeneric is zaddGenericCommand: options, then every score is parsed
// before anything changes, then each pair is applied.
func zaddGeneric(c *Client, args [][]byte, flags int) {
	s := c.srv
	ch := false
	i := 2
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			flags |= zaddNX
		case eqFold(a, "xx"):
			flags |= zaddXX
		case eqFold(a, "ch"):
			ch = true
		case eqFold(a, "incr"):
			flags |= zaddIncr
		case eqFold(a, "gt"):
			flags |= zaddGT
		case eqFold(a, "lt"):
			flags |= zaddLT
		default:
			goto parsed
		}
	}
parsed:
	incr, nx, xx := flags&zaddIncr != 0, flags&zaddNX != 0, flags&zaddXX != 0
	gt, lt := flags&zaddGT != 0, flags&zaddLT != 0
	elements := len(args) - i
	if elements%2 != 0 || elements == 0 {
		c.addError(errSyntax)
		return
	}
	elements /= 2
	if nx && xx {
		c.addError("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.addError("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elements > 1 {
		c.addError("ERR INCR option supports a single increment-element pair")
		return
	}
	scores := make([]float64, elements)
	for j := range scores {
		f, ok := parseFloat(args[i+2*j])
		if !ok {
			c.addError(errNotFloat)
			return
		}
		scores[j] = f
	}
	key := args[1]
	o, ok := c.lookupWriteType(key, TypeZSet)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	if o == nil && !xx {
		if s.conf.ZsetMaxListpackEntries == 0 || s.conf.ZsetMaxListpackValue < int64(len(args[i+1])) {
			o = newZsetSkiplist()
		} else {
			o = newZsetListpack()
		}
		s.addKey(c.db, key, o)
	}
	if o != nil {
		before := valueMemory(o)
		zzlReserve(o, args[i:], scores, s.conf.ZsetMaxListpackEntries)
		for j := range scores {
			out, newscore, ok := s.zsetAdd(o, scores[j], args[i+2*j+1], flags)
			if !ok {
				c.db.resized(o, before)
				s.dirty += int64(added + updated)
				c.addError(errZsetNaN)
				// zaddGenericCommand's cleanup still announces the
				// pairs applied before the failing one.
				zaddNotify(c, key, incr, added+updated)
				return
			}
			if out&zaddOutAdded != 0 {
				added++
			}
			if out&zaddOutUpdated != 0 {
				updated++
			}
			if out&zaddOutNop == 0 {
				processed++
			}
			score = newscore
		}
		c.db.resized(o, before)
		s.dirty += int64(added + updated)
	}
	zaddNotify(c, key, incr, added+updated)
	switch {
	case incr && processed > 0:
		c.w.Double(score)
	case incr:
		c.w.Null()
	case ch:
		c.w.Int(int64(added + updated))
	default:
		c.w.Int(int64(added))
	}
}

// zaddNotify emits ZADD's event, "zincr" with INCR (and for ZINCRBY) or
// "zadd", when changed elements were added or updated: a ZADD that changes
// nothing emits nothing.
func zaddNotify(c *Client, key []byte, incr bool, changed int) {
	if changed == 0 {
		return
	}
	event := "zadd"
	if incr {
		event = "zincr"
	}
	c.srv.notifyKeyspaceEvent(config.NotifyZset, event, key, c.db.id)
}

// cmdZrem is ZREM key member ...
func cmdZrem(c *Client, args [][]byte) {
	s := c.srv
	o, ok := c.lookupWriteType(args[1], TypeZSet)
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
		if zsetDel(o, m) {
			deleted++
			if zsetLen(o) == 0 {
				break
			}
		}
	}
	c.db.resized(o, before)
	if deleted > 0 {
		s.notifyKeyspaceEvent(config.NotifyZset, "zrem", args[1], c.db.id)
	}
	if zsetLen(o) == 0 {
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	}
	s.dirty += int64(deleted)
	c.w.Int(int64(deleted))
}

// cmdZcard is ZCARD key.
func cmdZcard(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(zsetLen(o)))
}

// cmdZscore is ZSCORE key member.
func cmdZscore(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	if score, ok := zsetScore(o, args[2]); ok {
		c.w.Double(score)
	} else {
		c.w.Null()
	}
}

// cmdZmscore is ZMSCORE key member ...: a null for each member of a
// missing key.
func cmdZmscore(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		if o == nil {
			c.w.Null()
		} else if score, ok := zsetScore(o, m); ok {
			c.w.Double(score)
		} else {
			c.w.Null()
		}
	}
}

// zrankGeneric is ZRANK / ZREVRANK key member.
func zrankGeneric(c *Client, args [][]byte, rev bool) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	if r, ok := zsetRank(o, args[2], rev); ok {
		c.w.Int(int64(r))
	} else {
		c.w.Null()
	}
}

// parseRangeFloat parses one end of a score range as zslParseRange does
// with strtod: leading white space allowed, nothing after the number
// (the argument is read as a C string, so a NUL ends it), and an empty
// string is 0; NaN is refused, overflow gives ±inf.
func parseRangeFloat(a []byte) (float64, bool) {
	if i := bytes.IndexByte(a, 0); i >= 0 {
		a = a[:i]
	}
	if len(a) == 0 {
		return 0, true
	}
	t := a
	for len(t) > 0 && isSpaceByte(t[0]) {
		t = t[1:]
	}
	f, err := parseCFloat(string(t))
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseScoreRange is zslParseRange: "(" makes an end exclusive.
func parseScoreRange(min, max []byte) (r scoreRange, ok bool) {
	parse := func(a []byte) (float64, bool, bool) {
		ex := len(a) > 0 && a[0] == '('
		if ex {
			a = a[1:]
		}
		f, ok := parseRangeFloat(a)
		return f, ex, ok
	}
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parse(min)
	r.max, r.maxex, ok2 = parse(max)
	return r, ok1 && ok2
}

// parseLexBound is zslParseLexRangeItem: "+", "-", or "(" / "[" and a
// member. "+" and "-" count as exclusive, as in Redis.
func parseLexBound(a []byte) (b lexBound, ex, ok bool) {
	if len(a) == 0 {
		return b, false, false
	}
	switch a[0] {
	case '+', '-':
		if len(a) > 1 && a[1] != 0 {
			return b, false, false
		}
		b.inf = 1
		if a[0] == '-' {
			b.inf = -1
		}
		return b, true, true
	case '(':
		return lexBound{s: string(a[1:])}, true, true
	case '[':
		return lexBound{s: string(a[1:])}, false, true
	}
	return b, false, false
}

// parseLexRange is zslParseLexRange.
func parseLexRange(min, max []byte) (r lexRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseLexBound(min)
	r.max, r.maxex, ok2 = parseLexBound(max)
	return r, ok1 && ok2
}

// cmdZcount is ZCOUNT key min max.
func cmdZcount(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.addError(errMinMaxFloat)
		return
	}
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	if o.enc == EncSkiplist {
		zsl := o.zs().zsl
		first := zsl.firstInRange(&r)
		if first == nil {
			c.w.Int(0)
			return
		}
		last := zsl.lastInRange(&r)
		c.w.Int(int64(zsl.rank(last.score, last.ele) - zsl.rank(first.score, first.ele) + 1))
		return
	}
	n := 0
	for it := zsetIterScore(o, &r, false); it.valid() && it.inScore(&r); it.next() {
		n++
	}
	c.w.Int(int64(n))
}

// cmdZlexcount is ZLEXCOUNT key min max.
func cmdZlexcount(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.addError(errMinMaxString)
		return
	}
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	if o.enc == EncSkiplist {
		zsl := o.zs().zsl
		first := zsl.firstInLex(&r)
		if first == nil {
			c.w.Int(0)
			return
		}
		last := zsl.lastInLex(&r)
		c.w.Int(int64(zsl.rank(last.score, last.ele) - zsl.rank(first.score, first.ele) + 1))
		return
	}
	n := 0
	for it := zsetIterLex(o, &r, false); it.valid() && it.inLex(&r); it.next() {
		n++
	}
	c.w.Int(int64(n))
}

// Range kinds and directions of zrangeGenericCommand.
type zrangeType int

const (
	zrangeAuto zrangeType = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

type zrangeDir int

const (
	dirAuto zrangeDir = iota
	dirForward
	dirReverse
)

// zrangeResult collects a range's elements for the client or for the
// destination of ZRANGESTORE (zrange_result_handler).
type zrangeResult struct {
	withscores bool
	dst        *Object // ZRANGESTORE's new value, nil for a reply
	srv        *Server
	arena      []byte
	items      []zrangeItem
}

type zrangeItem struct {
	off, n int
	score  float64
}

func (h *zrangeResult) emit(ele []byte, score float64) {
	if h.dst != nil {
		h.srv.zsetAdd(h.dst, score, ele, 0)
		return
	}
	h.items = append(h.items, zrangeItem{len(h.arena), len(ele), score})
	h.arena = append(h.arena, ele...)
}

// reply writes the elements: with scores, a flat array in RESP2 and
// [member, score] pairs in RESP3 (order matters, so no map).
func (h *zrangeResult) reply(w *resp.Writer) {
	if h.withscores && !w.Resp3() {
		w.Array(2 * len(h.items))
	} else {
		w.Array(len(h.items))
	}
	for _, it := range h.items {
		if h.withscores && w.Resp3() {
			w.Array(2)
		}
		w.Bulk(h.arena[it.off : it.off+it.n])
		if h.withscores {
			w.Double(it.score)
		}
	}
}

// zrangeGeneric is zrangeGenericCommand for ZRANGE, ZRANGESTORE and the
// older forms, which fix the kind or direction (and then refuse the
// option that would set it).
func zrangeGeneric(c *Client, args [][]byte, store bool, kind zrangeType, dir zrangeDir) {
	s := c.srv
	first := 1
	if store {
		first = 2
	}
	key := args[first]
	minidx, maxidx := first+1, first+2
	withscores := false
	var offset, limit int64 = 0, -1
	for j := first + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && eqFold(a, "withscores"):
			withscores = true
		case eqFold(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.intArg(args[j+1]); !ok {
				return
			}
			if limit, ok = c.intArg(args[j+2]); !ok {
				return
			}
			j += 2
		case dir == dirAuto && eqFold(a, "rev"):
			dir = dirReverse
		case kind == zrangeAuto && eqFold(a, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && eqFold(a, "byscore"):
			kind = zrangeScore
		default:
			c.addError(errSyntax)
			return
		}
	}
	if dir == dirAuto {
		dir = dirForward
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		c.addError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withscores && kind == zrangeLex {
		c.addError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	rev := dir == dirReverse
	if rev && kind != zrangeRank {
		minidx, maxidx = maxidx, minidx
	}
	var start, end int64
	var sr scoreRange
	var lr lexRange
	switch kind {
	case zrangeRank:
		var ok bool
		if start, ok = c.intArg(args[minidx]); !ok {
			return
		}
		if end, ok = c.intArg(args[maxidx]); !ok {
			return
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(args[minidx], args[maxidx]); !ok {
			c.addError(errMinMaxFloat)
			return
		}
	case zrangeLex:
		var ok bool
		if lr, ok = parseLexRange(args[minidx], args[maxidx]); !ok {
			c.addError(errMinMaxString)
			return
		}
	}
	h := &zrangeResult{withscores: withscores, srv: s}
	// genericZrangeCommand reads the source with lookupKeyRead for
	// ZRANGESTORE too: a missing one is a keyspace miss ("keymiss").
	o, ok := c.lookupReadType(key, TypeZSet)
	if !ok {
		return
	}
	if store {
		// zrangeResultBeginStore: a rank range longer than the listpack
		// limit starts as a skiplist, anything else as a listpack that
		// zsetAdd converts when it outgrows it.
		if kind == zrangeRank && o != nil && zrankLen(zsetLen(o), start, end) > s.conf.ZsetMaxListpackEntries {
			h.dst = newZsetSkiplist()
		} else {
			h.dst = newZsetListpack()
		}
	}
	if o != nil {
		switch kind {
		case zrangeRank:
			zrangeByRank(h, o, start, end, rev)
		case zrangeScore:
			zrangeByScore(h, o, &sr, offset, limit, rev)
		case zrangeLex:
			zrangeByLex(h, o, &lr, offset, limit, rev)
		}
	}
	if !store {
		h.reply(&c.w)
		return
	}
	dst := args[1]
	if n := zsetLen(h.dst); n > 0 {
		s.setKey(c.db, dst, h.dst, false)
		s.notifyKeyspaceEvent(config.NotifyZset, "zrangestore", dst, c.db.id)
		s.dirty++
		c.w.Int(int64(n))
		return
	}
	if s.deleteKey(c.db, dst) {
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", dst, c.db.id)
		s.dirty++
	}
	c.w.Int(0)
}

// zrankLen is the number of elements ranks start..end select in a sorted
// set of llen elements, after genericZrangebyrankCommand's sanitizing.
func zrankLen(llen int, start, end int64) int64 {
	n := int64(llen)
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		return 0
	}
	if end >= n {
		end = n - 1
	}
	return end - start + 1
}

// zrangeByRank is genericZrangebyrankCommand.
func zrangeByRank(h *zrangeResult, o *Object, start, end int64, rev bool) {
	n := zrankLen(zsetLen(o), start, end)
	if n == 0 {
		return
	}
	if start < 0 {
		start = max(start+int64(zsetLen(o)), 0)
	}
	it := zsetIterAtRank(o, int(start), rev)
	for ; n > 0 && it.valid(); n-- {
		h.emit(it.elem())
		it.next()
	}
}

// zrangeByScore is genericZrangebyscoreCommand. As in Redis the offset
// skips elements without looking at their scores, and a negative offset
// skips everything (its post-decrement never reaches zero); a negative
// limit means no limit.
func zrangeByScore(h *zrangeResult, o *Object, r *scoreRange, offset, limit int64, rev bool) {
	if offset > 0 && offset >= int64(zsetLen(o)) {
		return
	}
	it := zsetIterScore(o, r, rev)
	for ; it.valid() && offset != 0; offset-- {
		it.next()
	}
	for ; it.valid() && limit != 0; limit-- {
		if !it.inScore(r) {
			break
		}
		h.emit(it.elem())
		it.next()
	}
}

// zrangeByLex is genericZrangebylexCommand, with zrangeByScore's offset
// and limit rules.
func zrangeByLex(h *zrangeResult, o *Object, r *lexRange, offset, limit int64, rev bool) {
	if offset > 0 && offset >= int64(zsetLen(o)) {
		return
	}
	it := zsetIterLex(o, r, rev)
	for ; it.valid() && offset != 0; offset-- {
		it.next()
	}
	for ; it.valid() && limit != 0; limit-- {
		if !it.inLex(r) {
			break
		}
		h.emit(it.elem())
		it.next()
	}
}

// zremrangeGeneric is zremrangeGenericCommand: ZREMRANGEBYRANK, -SCORE
// and -LEX.
func zremrangeGeneric(c *Client, args [][]byte, kind zrangeType) {
	s := c.srv
	var start, end int64
	var sr scoreRange
	var lr lexRange
	var ok bool
	switch kind {
	case zrangeRank:
		if start, ok = c.intArg(args[2]); !ok {
			return
		}
		if end, ok = c.intArg(args[3]); !ok {
			return
		}
	case zrangeScore:
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			c.addError(errMinMaxFloat)
			return
		}
	case zrangeLex:
		if lr, ok = parseLexRange(args[2], args[3]); !ok {
			c.addError(errMinMaxString)
			return
		}
	}
	o, ok := c.lookupWriteType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	before := valueMemory(o)
	deleted := 0
	switch kind {
	case zrangeRank:
		llen := int64(zsetLen(o))
		n := zrankLen(int(llen), start, end)
		if n == 0 {
			c.w.Int(0)
			return
		}
		if start < 0 {
			start = max(start+llen, 0)
		}
		deleted = zsetDeleteRank(o, int(start), int(start+n-1))
	case zrangeScore:
		deleted = zsetDeleteScore(o, &sr)
	case zrangeLex:
		deleted = zsetDeleteLex(o, &lr)
	}
	if o.enc == EncSkiplist {
		o.zs().shrinkIfNeeded()
	}
	c.db.resized(o, before)
	if deleted > 0 {
		s.notifyKeyspaceEvent(config.NotifyZset, zremrangeEvents[kind], args[1], c.db.id)
	}
	if zsetLen(o) == 0 {
		s.deleteKey(c.db, args[1])
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	}
	s.dirty += int64(deleted)
	c.w.Int(int64(deleted))
}

// zremrangeEvents are ZREMRANGEBY*'s event names by range kind
// (zremrangeGenericCommand).
var zremrangeEvents = [...]string{
	zrangeRank:  "zremrangebyrank",
	zrangeScore: "zremrangebyscore",
	zrangeLex:   "zremrangebylex",
}

// zpopMinMax is ZPOPMIN / ZPOPMAX key [count]: count is parsed first; in
// RESP3 a count gives [member, score] pairs.
func zpopMinMax(c *Client, args [][]byte, max bool) {
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		// getPositiveLongFromObjectOrReply: one message for both.
		n, ok := argInt(args[2])
		if !ok || n < 0 {
			c.addError(errNotIntPos)
			return
		}
		count = n
	}
	c.zpop(args[1:2], max, false, count, c.w.Resp3() && count != -1, false)
}

// zpop is genericZpopCommand: it pops up to count elements (-1: one, in
// the single-pop reply shape) from the first existing key of keys and
// writes the reply. emitKey puts the key in the reply (BZPOP*, ZMPOP);
// nested gives [member, score] pairs; nilWhenEmpty answers a null array
// rather than an empty one when no key exists. The blocking forms serve
// their clients with it, given the key that became ready.
func (c *Client) zpop(keys [][]byte, max, emitKey bool, count int64, nested, nilWhenEmpty bool) {
	s := c.srv
	var o *Object
	var key []byte
	for _, k := range keys {
		var ok bool
		if o, ok = c.lookupWriteType(k, TypeZSet); !ok {
			return
		}
		if o != nil {
			key = k
			break
		}
	}
	if o == nil {
		if nilWhenEmpty {
			c.w.NullArray()
		} else {
			c.w.Array(0)
		}
		return
	}
	if count == 0 {
		c.w.Array(0)
		return
	}
	if count == -1 {
		count = 1
	}
	n := min(count, int64(zsetLen(o)))
	w := &c.w
	switch {
	case !nested && !emitKey:
		w.Array(int(2 * n))
	case nested && !emitKey:
		w.Array(int(n))
	case !nested && emitKey:
		w.Array(int(2*n + 1))
		w.Bulk(key)
	default:
		w.Array(2)
		w.Bulk(key)
		w.Array(int(n))
	}
	before := valueMemory(o)
	for i := int64(0); i < n; i++ {
		it := zsetIterAtRank(o, 0, max)
		ele, score := it.elem()
		if nested {
			w.Array(2)
		}
		w.Bulk(ele)
		w.Double(score)
		if o.enc == EncListpack {
			lp := o.lp()
			if max {
				o.setLp(listpack.DeleteRangeWithEntry(lp, it.p, 2))
			} else {
				o.setLp(listpack.DeleteRangeWithEntry(lp, listpack.First(lp), 2))
			}
		} else {
			o.zs().remove(it.node.ele)
		}
	}
	c.db.resized(o, before)
	// genericZpopCommand emits its event once, at the first element popped.
	event := "zpopmin"
	if max {
		event = "zpopmax"
	}
	s.notifyKeyspaceEvent(config.NotifyZset, event, key, c.db.id)
	if zsetLen(o) == 0 {
		s.deleteKey(c.db, key)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
	}
	s.dirty += n
}

// parseRangeLong is getRangeLongFromObjectOrReply with a message: the
// message also replaces "not an integer".
func (c *Client) parseRangeLong(a []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := argInt(a)
	if !ok || n < lo || n > hi {
		c.addError("ERR " + msg)
		return 0, false
	}
	return n, true
}

// parseZmpop parses ZMPOP's and BZMPOP's numkeys MIN|MAX [COUNT count]
// from args[numkeysIdx] on (zmpopGenericCommand).
func (c *Client) parseZmpop(args [][]byte, numkeysIdx int) (keys [][]byte, max bool, count int64, ok bool) {
	numkeys, ok := c.parseRangeLong(args[numkeysIdx], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)) {
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	if whereIdx >= len(args) {
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	switch {
	case eqFold(args[whereIdx], "min"):
	case eqFold(args[whereIdx], "max"):
		max = true
	default:
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			if count, ok = c.parseRangeLong(args[j], 1, math.MaxInt64, "count should be greater than 0"); !ok {
				return nil, false, 0, false
			}
		} else {
			c.addError(errSyntax)
			return nil, false, 0, false
		}
	}
	if count == -1 {
		count = 1
	}
	return args[numkeysIdx+1 : whereIdx], max, count, true
}

// cmdZmpop is ZMPOP numkeys key ... MIN|MAX [COUNT count].
func cmdZmpop(c *Client, args [][]byte) {
	keys, max, count, ok := c.parseZmpop(args, 1)
	if !ok {
		return
	}
	c.zpop(keys, max, true, count, true, true)
}

// blockingZpop is blockingGenericZpopCommand once the arguments are read:
// the first non-empty sorted set among keys is popped as zpop does, else
// the client blocks until one is, then is served the same reply.
func (c *Client) blockingZpop(args, keys [][]byte, timeout time.Duration, max bool, count int64, nested bool) {
	for _, key := range keys {
		o, ok := c.lookupWriteType(key, TypeZSet)
		if !ok {
			return
		}
		if o != nil {
			c.zpop([][]byte{key}, max, true, count, nested, nested)
			return
		}
	}
	c.blockForKeys(TypeZSet, keys, timeout, args, func(w *Client, key []byte, _ *Object) {
		w.zpop([][]byte{key}, max, true, count, nested, nested)
	})
}

// bzpopMinMax is BZPOPMIN / BZPOPMAX key ... timeout: the reply is the
// key, member and score in one flat array; a timeout gives a null array.
func bzpopMinMax(c *Client, args [][]byte, max bool) {
	timeout, ok := c.timeoutArg(args[len(args)-1])
	if !ok {
		return
	}
	c.blockingZpop(args, args[1:len(args)-1], timeout, max, -1, false)
}

// cmdBzmpop is BZMPOP timeout numkeys key ... MIN|MAX [COUNT count]: the
// arguments after the timeout are checked first, as zmpopGenericCommand
// does.
func cmdBzmpop(c *Client, args [][]byte) {
	keys, max, count, ok := c.parseZmpop(args, 2)
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(args[1])
	if !ok {
		return
	}
	c.blockingZpop(args, keys, timeout, max, count, true)
}

// cmdZrandmember is ZRANDMEMBER key [count [WITHSCORES]].
func cmdZrandmember(c *Client, args [][]byte) {
	if len(args) >= 3 {
		l, ok := c.intArg(args[2])
		if !ok {
			return
		}
		if l == math.MinInt64 {
			c.addError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
			return
		}
		withscores := false
		if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
			c.addError(errSyntax)
			return
		} else if len(args) == 4 {
			withscores = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.addError("ERR value is out of range")
				return
			}
		}
		zrandmemberWithCount(c, args[1], l, withscores)
		return
	}
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	it := zsetIterAtRank(o, rand.IntN(zsetLen(o)), false)
	ele, _ := it.elem()
	c.w.Bulk(ele)
}

// zrandmemberWithCount is zrandmemberWithCountCommand. A negative count
// may repeat members and returns exactly -count of them; a positive one
// returns distinct members, the whole set when count reaches its size.
func zrandmemberWithCount(c *Client, key []byte, l int64, withscores bool) {
	o, ok := c.lookupReadType(key, TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Array(0)
		return
	}
	size := zsetLen(o)
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	if count == 0 {
		c.w.Array(0)
		return
	}
	w := &c.w
	one := func(ele []byte, score float64) {
		if withscores && w.Resp3() {
			w.Array(2)
		}
		w.Bulk(ele)
		if withscores {
			w.Double(score)
		}
	}
	header := func(n int64) {
		if withscores && !w.Resp3() {
			w.Array(int(2 * n))
		} else {
			w.Array(int(n))
		}
	}
	if !uniq || count == 1 {
		header(count)
		for ; count > 0; count-- {
			it := zsetIterAtRank(o, rand.IntN(size), false)
			one(it.elem())
		}
		return
	}
	if count >= int64(size) {
		// The whole set, in zuiNext's order: from the tail.
		header(int64(size))
		for it := zsetIterAtRank(o, 0, true); it.valid(); it.next() {
			one(it.elem())
		}
		return
	}
	header(count)
	var ranks []int
	if count*3 > int64(size) {
		ranks = rand.Perm(size)[:count]
	} else {
		seen := make(map[int]struct{}, count)
		for int64(len(ranks)) < count {
			r := rand.IntN(size)
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				ranks = append(ranks, r)
			}
		}
	}
	for _, r := range ranks {
		it := zsetIterAtRank(o, r, false)
		one(it.elem())
	}
}

// Set operations of zunionInterDiffGenericCommand.
type zsetOp int

const (
	opUnion zsetOp = iota
	opInter
	opDiff
)

// zsetOpStoreEvents are the events of ZUNIONSTORE, ZINTERSTORE and
// ZDIFFSTORE by operation.
var zsetOpStoreEvents = [...]string{opUnion: "zunionstore", opInter: "zinterstore", opDiff: "zdiffstore"}

// zsetOpSrc is one input of a set operation (zsetopsrc): a sorted set, a
// set (its members score 1), or nil for a missing key; and its weight.
type zsetOpSrc struct {
	o      *Object
	weight float64
}

func (src *zsetOpSrc) length() int {
	switch {
	case src.o == nil:
		return 0
	case src.o.typ == TypeSet:
		return setSize(src.o)
	}
	return zsetLen(src.o)
}

// each calls fn for every element in zuiNext's order (a sorted set from
// its tail, a set in its own order) until fn returns false.
func (src *zsetOpSrc) each(fn func(ele []byte, score float64) bool) {
	if src.o == nil {
		return
	}
	if src.o.typ == TypeSet {
		var buf [20]byte
		for e := range setElems(src.o) {
			if !fn(e.bytes(&buf), 1) {
				return
			}
		}
		return
	}
	for it := zsetIterAtRank(src.o, 0, true); it.valid(); it.next() {
		if !fn(it.elem()) {
			return
		}
	}
}

// find is zuiFind: ele's score in the input.
func (src *zsetOpSrc) find(ele []byte) (float64, bool) {
	switch {
	case src.o == nil:
		return 0, false
	case src.o.typ == TypeSet:
		return 1, setIsMember(src.o, ele)
	}
	return zsetScore(src.o, ele)
}

// aggregate is zunionInterAggregate: SUM turns inf + -inf into 0.
func aggregate(target *float64, val float64, agg int) {
	switch agg {
	case 0:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case 1:
		if val < *target {
			*target = val
		}
	case 2:
		if val > *target {
			*target = val
		}
	}
}

// zsetOpGeneric is zunionInterDiffGenericCommand: ZUNION, ZINTER, ZDIFF,
// their STORE forms (dst not nil) and ZINTERCARD (cardOnly).
func zsetOpGeneric(c *Client, args [][]byte, dst []byte, numkeysIdx int, op zsetOp, cardOnly bool) {
	s := c.srv
	setnum, ok := c.intArg(args[numkeysIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.addError("ERR at least 1 input key is needed for '" + c.lastCmd + "' command")
		return
	}
	if setnum > int64(len(args)-numkeysIdx-1) {
		c.addError(errSyntax)
		return
	}
	src := make([]zsetOpSrc, setnum)
	j := numkeysIdx + 1
	for i := range src {
		// Redis 7.0 reads the sources with lookupKeyRead even for the
		// STORE forms: a missing one is a keyspace miss ("keymiss").
		o := c.lookupRead(args[j])
		if o != nil && o.typ != TypeZSet && o.typ != TypeSet {
			c.addError(errWrongType)
			return
		}
		src[i] = zsetOpSrc{o: o, weight: 1}
		j++
	}
	agg, withscores := 0, false
	var limit int64
	for j < len(args) {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != opDiff && !cardOnly && remaining >= int(setnum)+1 && eqFold(a, "weights"):
			j++
			for i := range src {
				f, ok := parseFloat(args[j])
				if !ok {
					c.addError("ERR weight value is not a float")
					return
				}
				src[i].weight = f
				j++
			}
		case op != opDiff && !cardOnly && remaining >= 2 && eqFold(a, "aggregate"):
			switch b := args[j+1]; {
			case eqFold(b, "sum"):
				agg = 0
			case eqFold(b, "min"):
				agg = 1
			case eqFold(b, "max"):
				agg = 2
			default:
				c.addError(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && eqFold(a, "withscores"):
			withscores = true
			j++
		case cardOnly && remaining >= 2 && eqFold(a, "limit"):
			n, ok := argInt(args[j+1])
			if !ok {
				c.addError("ERR LIMIT can't be negative")
				return
			}
			if n < 0 {
				c.addError("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			c.addError(errSyntax)
			return
		}
	}
	if op != opDiff {
		slices.SortStableFunc(src, func(a, b zsetOpSrc) int { return a.length() - b.length() })
	}
	res := newZsetSkiplist()
	z := res.zs()
	maxelelen := 0
	add := func(score float64, ele string) {
		z.insert(score, ele)
		maxelelen = max(maxelelen, len(ele))
	}
	var card int64
	switch op {
	case opInter:
		src[0].each(func(ele []byte, sc float64) bool {
			score := src[0].weight * sc
			if math.IsNaN(score) {
				score = 0
			}
			for k := 1; k < len(src); k++ {
				// The same key twice: Redis uses the score it holds
				// rather than looking into the set it is iterating.
				v, found := sc, src[k].o == src[0].o
				if !found {
					v, found = src[k].find(ele)
				}
				if !found {
					return true
				}
				aggregate(&score, v*src[k].weight, agg)
			}
			if cardOnly {
				card++
				return limit == 0 || card < limit
			}
			add(score, string(ele))
			return true
		})
	case opUnion:
		acc := map[string]float64{}
		for i := range src {
			src[i].each(func(ele []byte, sc float64) bool {
				score := src[i].weight * sc
				if math.IsNaN(score) {
					score = 0
				}
				if cur, ok := acc[string(ele)]; ok {
					aggregate(&cur, score, agg)
					acc[string(ele)] = cur
				} else {
					acc[string(ele)] = score
				}
				return true
			})
		}
		z.expand(len(acc))
		for ele, score := range acc {
			add(score, ele)
		}
	case opDiff:
		src[0].each(func(ele []byte, sc float64) bool {
			for k := 1; k < len(src); k++ {
				if src[k].o == src[0].o {
					return false // zsetChooseDiffAlgorithm: nothing is left
				}
				if _, found := src[k].find(ele); found {
					return true
				}
			}
			add(sc, string(ele))
			return true
		})
	}
	switch {
	case dst != nil:
		if z.zsl.length > 0 {
			s.convertToListpackIfNeeded(res, maxelelen)
			s.setKey(c.db, dst, res, false)
			c.w.Int(int64(zsetLen(res)))
			s.notifyKeyspaceEvent(config.NotifyZset, zsetOpStoreEvents[op], dst, c.db.id)
			s.dirty++
		} else {
			c.w.Int(0)
			if s.deleteKey(c.db, dst) {
				s.notifyKeyspaceEvent(config.NotifyGeneric, "del", dst, c.db.id)
				s.dirty++
			}
		}
	case cardOnly:
		c.w.Int(card)
	default:
		w := &c.w
		if withscores && !w.Resp3() {
			w.Array(2 * z.zsl.length)
		} else {
			w.Array(z.zsl.length)
		}
		for n := z.zsl.first(); n != nil; n = n.levels()[0].forward {
			if withscores && w.Resp3() {
				w.Array(2)
			}
			w.BulkString(n.ele)
			if withscores {
				w.Double(n.score)
			}
		}
	}
}

// cmdZscan is ZSCAN key cursor [MATCH pattern] [COUNT count]: a listpack
// is returned whole with cursor 0; a skiplist's dict is scanned as the
// keyspace is, its scores formatted "%.17g" (so -0 stays "-0", where a listpack holds "0").
func cmdZscan(c *Client, args [][]byte) {
	o, cursor, opts, ok := c.scanKeyArgs(args, TypeZSet)
	if !ok {
		return
	}
	var out [][]byte
	if o.enc == EncListpack {
		for _, e := range listpack.All(o.lp()) {
			out = append(out, append([]byte(nil), e...))
		}
		cursor = 0
	} else {
		z := o.zs()
		for iterations := opts.count * 10; ; iterations-- {
			cursor = z.dict.Scan(cursor, func(k string, n *zslNode) {
				out = append(out, unsafe.Slice(unsafe.StringData(k), len(k)), resp.FormatDouble(nil, n.score))
			})
			if cursor == 0 || iterations == 0 || int64(len(out)/2) >= opts.count {
				break
			}
		}
	}
	kept := out[:0]
	for i := 0; i+1 < len(out); i += 2 {
		if opts.matches(out[i]) {
			kept = append(kept, out[i], out[i+1])
		}
	}
	c.replyScan(cursor, kept)
}
