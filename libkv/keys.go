package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"math"
	"strconv"

	"github.com/kvkit/kvkit/libkv/glob"
)

// Generic keyspace commands (Redis 7.0 db.c and expire.c).
var keyCommands = map[string]cmdFunc{
	"del": cmdDel, "unlink": cmdDel, "exists": cmdExists, "type": cmdType, "rename": cmdRename,
	"renamenx": cmdRenameNX, "move": cmdMove, "copy": cmdCopy, "keys": cmdKeys, "scan": cmdScan,
	"randomkey": cmdRandomKey, "touch": cmdTouch, "expire": cmdExpire, "pexpire": cmdPExpire,
	"expireat": cmdExpireAt, "pexpireat": cmdPExpireAt, "ttl": cmdTTL, "pttl": cmdPTTL,
	"expiretime": cmdExpireTime, "pexpiretime": cmdPExpireTime, "persist": cmdPersist,
	"select": cmdSelect, "swapdb": cmdSwapDB, "dbsize": cmdDBSize, "flushdb": cmdFlushDB,
	"flushall": cmdFlushAll,
}

// cmdDel serves DEL and UNLINK: values are freed by Go's collector either
// way, so UNLINK's non-blocking promise holds for both.
func cmdDel(c *Client, args [][]byte) {
	s := c.srv
	n := 0
	for _, key := range args[1:] {
		s.expireIfNeeded(c.db, key)
		if s.deleteKey(c.db, key) {
			n++
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
		}
	}
	c.w.Int(int64(n))
}

// lookupNoTouch is lookupKeyReadWithFlags(LOOKUP_NOTOUCH): hit/miss
// counted, access time left alone.
func (c *Client) lookupNoTouch(key []byte) *Object {
	saved := c.noTouch
	c.noTouch = true
	o := c.lookupRead(key)
	c.noTouch = saved
	return o
}

func cmdExists(c *Client, args [][]byte) {
	n := 0
	for _, key := range args[1:] {
		if c.lookupNoTouch(key) != nil {
			n++
		}
	}
	c.w.Int(int64(n))
}

func cmdType(c *Client, args [][]byte) {
	o := c.lookupNoTouch(args[1])
	if o == nil {
		c.w.Status("none")
		return
	}
	c.w.Status(o.typ.String())
}

func cmdTouch(c *Client, args [][]byte) {
	n := 0
	for _, key := range args[1:] {
		if c.lookupRead(key) != nil {
			n++
		}
	}
	c.w.Int(int64(n))
}

func cmdRename(c *Client, args [][]byte)   { c.rename(args, false) }
func cmdRenameNX(c *Client, args [][]byte) { c.rename(args, true) }

func (c *Client) rename(args [][]byte, nx bool) {
	s := c.srv
	src, dst := args[1], args[2]
	o := c.lookupWrite(src)
	if o == nil {
		c.addError(errNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.w.Int(0)
		} else {
			c.w.OK()
		}
		return
	}
	expire := c.db.expireAt(src)
	if c.lookupWrite(dst) != nil {
		if nx {
			c.w.Int(0)
			return
		}
		s.deleteKey(c.db, dst)
	}
	s.deleteKey(c.db, src)
	s.linkKey(c.db, dst, o)
	if expire >= 0 {
		s.setExpire(c.db, dst, expire)
	}
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyGeneric, "rename_from", src, c.db.id)
	s.notifyKeyspaceEvent(config.NotifyGeneric, "rename_to", dst, c.db.id)
	if nx {
		c.w.Int(1)
	} else {
		c.w.OK()
	}
}

// dbArg parses a database number as getIntFromObjectOrReply and checks the
// range; errMsg overrides the "not an integer" message when not empty.
func (c *Client) dbArg(a []byte, errMsg string) (int, bool) {
	n, ok := argInt(a)
	switch {
	case ok && errMsg == "" && (n < math.MinInt32 || n > math.MaxInt32):
		// getIntFromObjectOrReply's own range message (Redis's wording).
		c.addError("ERR value is out of range, value must between -2147483648 and 2147483647")
		return 0, false
	case !ok || n < math.MinInt32 || n > math.MaxInt32:
		if errMsg == "" {
			errMsg = errNotInt
		}
		c.addError(errMsg)
		return 0, false
	}
	if n < 0 || n >= int64(len(c.srv.dbs)) {
		c.addError(errDBIndex)
		return 0, false
	}
	return int(n), true
}

func cmdMove(c *Client, args [][]byte) {
	s := c.srv
	id, ok := c.dbArg(args[2], "")
	if !ok {
		return
	}
	dst := s.dbs[id]
	if dst == c.db {
		c.addError(errSameObject)
		return
	}
	o := c.lookupWrite(args[1])
	if o == nil {
		c.w.Int(0)
		return
	}
	expire := c.db.expireAt(args[1])
	if s.expireIfNeeded(dst, args[1]) || dst.get(args[1]) == nil {
		s.deleteKey(c.db, args[1])
		s.linkKey(dst, args[1], o)
		if expire >= 0 {
			s.setExpire(dst, args[1], expire)
		}
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifyGeneric, "move_from", args[1], c.db.id)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "move_to", args[1], dst.id)
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

func cmdCopy(c *Client, args [][]byte) {
	s := c.srv
	dst := c.db
	replace := false
	for j := 3; j < len(args); j++ {
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "db") && j+1 < len(args):
			id, ok := c.dbArg(args[j+1], "")
			if !ok {
				return
			}
			dst = s.dbs[id]
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	if dst == c.db && string(args[1]) == string(args[2]) {
		c.addError(errSameObject)
		return
	}
	o := c.lookupRead(args[1])
	if o == nil {
		c.w.Int(0)
		return
	}
	expire := c.db.expireAt(args[1])
	if !s.expireIfNeeded(dst, args[2]) && dst.get(args[2]) != nil {
		if !replace {
			c.w.Int(0)
			return
		}
		s.deleteKey(dst, args[2])
	}
	s.addKey(dst, args[2], o.dup())
	if expire >= 0 {
		s.setExpire(dst, args[2], expire)
	}
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyGeneric, "copy_to", args[2], dst.id)
	c.w.Int(1)
}

// dup returns a deep copy of o with the same encoding (COPY).
func (o *Object) dup() *Object {
	if o.typ != TypeString {
		return valueTypes[o.typ].dup(o)
	}
	if o.enc == EncRaw { // createRawStringObject: raw, a new sds of the length
		t, alloc := sdsNewAlloc(int64(o.n))
		d := newSdsObject(o.str(), t, alloc)
		d.lru = o.lru
		return d
	}
	d := *o
	d.setStr(append([]byte(nil), o.str()...))
	d.private = true // dupStringObject never returns a shared integer
	return &d
}

func cmdKeys(c *Client, args [][]byte) {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	s := c.srv
	var keys []string
	for k := range c.db.keys.All() {
		if (all || glob.Match(pattern, []byte(k), false)) && !s.keyIsExpired(c.db, k) {
			keys = append(keys, k)
		}
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.BulkString(k)
	}
}

// keyIsExpired reports whether key's time has passed, without deleting it.
func (s *Server) keyIsExpired(db *DB, key string) bool {
	if db.expires.Len() == 0 {
		return false
	}
	t, ok := db.expires.Get(key)
	return ok && t <= s.now
}

func cmdRandomKey(c *Client, args [][]byte) {
	s := c.srv
	// Expired keys found on the way are deleted, as Redis's dbRandomKey;
	// the number of tries is bounded because every try removes one.
	for c.db.size() > 0 {
		k, _, _ := c.db.keys.RandomKey()
		if s.keyIsExpired(c.db, k) {
			s.deleteExpired(c.db, k)
			continue
		}
		c.w.BulkString(k)
		return
	}
	c.w.Null()
}

const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// expireGeneric is Redis 7.0's expireGenericCommand: basetime is added to
// the argument (now for EXPIRE/PEXPIRE, 0 for the AT forms), unit 1000 for
// seconds.
func (c *Client) expireGeneric(args [][]byte, basetime int64, unit int64) {
	s := c.srv
	var flags int
	for _, opt := range args[3:] {
		switch {
		case eqFold(opt, "nx"):
			flags |= expireNX
		case eqFold(opt, "xx"):
			flags |= expireXX
		case eqFold(opt, "gt"):
			flags |= expireGT
		case eqFold(opt, "lt"):
			flags |= expireLT
		default:
			c.addError("ERR Unsupported option " + string(opt))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.addError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.addError("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.intArg(args[2])
	if !ok {
		return
	}
	invalid := "ERR invalid expire time in '" + c.lastCmd + "' command"
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.addError(invalid)
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		c.addError(invalid)
		return
	}
	when += basetime
	key := args[1]
	if c.lookupWrite(key) == nil {
		c.w.Int(0)
		return
	}
	if flags != 0 {
		cur := c.db.expireAt(key)
		if (flags&expireNX != 0 && cur != -1) ||
			(flags&expireXX != 0 && cur == -1) ||
			(flags&expireGT != 0 && (when <= cur || cur == -1)) ||
			(flags&expireLT != 0 && cur != -1 && when >= cur) {
			c.w.Int(0)
			return
		}
	}
	if when <= s.now {
		s.deleteKey(c.db, key)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
		c.propagateAs(delOrUnlink(s.conf.LazyfreeLazyExpire), key)
	} else {
		s.setExpire(c.db, key, when)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "expire", key, c.db.id)
		if basetime != 0 || unit != 1 {
			// Replayed as an absolute expiry (expireGenericCommand);
			// PEXPIREAT itself goes as sent, options included.
			c.propagateAs(propPexpireat, key, propInt(when))
		}
	}
	s.dirty++
	c.w.Int(1)
}

func cmdExpire(c *Client, args [][]byte)    { c.expireGeneric(args, c.srv.now, 1000) }
func cmdPExpire(c *Client, args [][]byte)   { c.expireGeneric(args, c.srv.now, 1) }
func cmdExpireAt(c *Client, args [][]byte)  { c.expireGeneric(args, 0, 1000) }
func cmdPExpireAt(c *Client, args [][]byte) { c.expireGeneric(args, 0, 1) }

// ttlGeneric is Redis's ttlGenericCommand: -2 missing, -1 no expiry.
func (c *Client) ttlGeneric(key []byte, ms, abs bool) {
	if c.lookupNoTouch(key) == nil {
		c.w.Int(-2)
		return
	}
	t := c.db.expireAt(key)
	if t == -1 {
		c.w.Int(-1)
		return
	}
	if !abs {
		t -= c.srv.now
	}
	t = max(t, 0)
	if !ms {
		t = (t + 500) / 1000
	}
	c.w.Int(t)
}

func cmdTTL(c *Client, args [][]byte)         { c.ttlGeneric(args[1], false, false) }
func cmdPTTL(c *Client, args [][]byte)        { c.ttlGeneric(args[1], true, false) }
func cmdExpireTime(c *Client, args [][]byte)  { c.ttlGeneric(args[1], false, true) }
func cmdPExpireTime(c *Client, args [][]byte) { c.ttlGeneric(args[1], true, true) }

func cmdPersist(c *Client, args [][]byte) {
	if c.lookupWrite(args[1]) == nil {
		c.w.Int(0)
		return
	}
	if !c.db.removeExpire(args[1]) {
		c.w.Int(0)
		return
	}
	s := c.srv
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyGeneric, "persist", args[1], c.db.id)
	c.w.Int(1)
}

func cmdSelect(c *Client, args [][]byte) {
	id, ok := c.dbArg(args[1], "")
	if !ok {
		return
	}
	c.db = c.srv.dbs[id]
	c.w.OK()
}

func cmdSwapDB(c *Client, args [][]byte) {
	s := c.srv
	a, ok := c.dbArg(args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := c.dbArg(args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	if a != b {
		da, db := s.dbs[a], s.dbs[b]
		// Watchers stay with their database number: what they watch is
		// replaced by the other database's key.
		s.touchAllWatchedKeysInDb(da, db)
		s.touchAllWatchedKeysInDb(db, da)
		da.keys, db.keys = db.keys, da.keys
		da.expires, db.expires = db.expires, da.expires
		da.mem, db.mem = db.mem, da.mem
		da.expireCursor, db.expireCursor = db.expireCursor, da.expireCursor
		s.snapSwap(a, b)
		s.dirty++
		// Clients blocked on keys of either database may find them now.
		s.scanDatabaseForReadyKeys(da)
		s.scanDatabaseForReadyKeys(db)
	}
	c.w.OK()
}

func cmdDBSize(c *Client, args [][]byte) { c.w.Int(int64(c.db.size())) }

// flushFlags checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument.
func (c *Client) flushFlags(args [][]byte) bool {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "sync") && !eqFold(args[1], "async")) {
		c.addError(errSyntax)
		return false
	}
	return true
}

func cmdFlushDB(c *Client, args [][]byte) {
	if !c.flushFlags(args) {
		return
	}
	c.srv.dirty += int64(c.srv.emptyDB(c.db))
	c.srv.trackingInvalidateKeysOnFlush()
	c.forcePropagation() // even when the database was empty, as Redis 7.0
	c.w.OK()
}

func cmdFlushAll(c *Client, args [][]byte) {
	if !c.flushFlags(args) {
		return
	}
	s := c.srv
	for _, db := range s.dbs {
		s.dirty += int64(s.emptyDB(db))
	}
	s.trackingInvalidateKeysOnFlush()
	// As flushAllDataAndResetRDB: a BGSAVE in progress is abandoned, and
	// with save points the empty dataset is saved at once.
	s.abortBgsave()
	if len(s.conf.Save) > 0 {
		s.saveSync()
	}
	c.forcePropagation() // even when empty or saved, as Redis 7.0
	c.w.OK()
}

// parseCursor parses a SCAN cursor as Redis's parseScanCursorOrReply
// (strtoul): decimal, an optional sign (a negative value wraps around), no
// leading space, nothing after the digits, within 64 bits.
func parseCursor(a []byte) (uint64, bool) {
	if len(a) == 0 || isSpaceByte(a[0]) {
		return 0, false
	}
	neg := false
	if a[0] == '+' || a[0] == '-' {
		neg = a[0] == '-'
		a = a[1:]
	}
	if len(a) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range a {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanOptions are the COUNT, MATCH and TYPE options of SCAN and its
// per-type forms (HSCAN, SSCAN, ZSCAN).
type scanOptions struct {
	count   int64
	pattern []byte // nil: no MATCH
	typ     []byte // nil: no TYPE
}

// parseScanOptions parses scanGenericCommand's options in args, which
// follow the cursor; TYPE is SCAN's alone (keyspace true). It writes the
// error and returns false on a bad option.
func (c *Client) parseScanOptions(args [][]byte, keyspace bool) (scanOptions, bool) {
	opts := scanOptions{count: 10}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.addError(errSyntax)
			return opts, false
		}
		switch {
		case eqFold(args[i], "count"):
			n, ok := c.intArg(args[i+1])
			if !ok {
				return opts, false
			}
			if n < 1 {
				c.addError(errSyntax)
				return opts, false
			}
			opts.count = n
		case eqFold(args[i], "match"):
			opts.pattern = args[i+1]
		case keyspace && eqFold(args[i], "type"):
			opts.typ = args[i+1]
		default:
			c.addError(errSyntax)
			return opts, false
		}
	}
	return opts, true
}

// matches reports whether an element passes the MATCH filter.
func (opts *scanOptions) matches(elem []byte) bool {
	p := opts.pattern
	return p == nil || (len(p) == 1 && p[0] == '*') || glob.Match(p, elem, false)
}

// scanKeyArgs reads the arguments of HSCAN, SSCAN and ZSCAN (key cursor
// [options]) in Redis's order: the cursor first, then the key (which must
// hold type t; a missing one answers an empty scan whatever the options
// are), then the options. ok is false when the reply has been written.
func (c *Client) scanKeyArgs(args [][]byte, t ObjType) (o *Object, cursor uint64, opts scanOptions, ok bool) {
	if cursor, ok = parseCursor(args[2]); !ok {
		c.addError("ERR invalid cursor")
		return nil, 0, opts, false
	}
	if o, ok = c.lookupReadType(args[1], t); !ok {
		return nil, 0, opts, false
	}
	if o == nil {
		c.replyScan(0, nil)
		return nil, 0, opts, false
	}
	opts, ok = c.parseScanOptions(args[3:], false)
	return o, cursor, opts, ok
}

// replyScan writes a SCAN-family reply: the next cursor and the elements.
func (c *Client) replyScan(cursor uint64, elems [][]byte) {
	c.w.Array(2)
	c.w.Bulk(strconv.AppendUint(nil, cursor, 10))
	c.w.Array(len(elems))
	for _, e := range elems {
		c.w.Bulk(e)
	}
}

// cmdScan is Redis 7.0's scanGenericCommand over the keyspace: about COUNT
// buckets' worth of keys per call (at most 10*COUNT buckets visited), then
// the MATCH and TYPE filters and expired keys removed, in that order.
func cmdScan(c *Client, args [][]byte) {
	s := c.srv
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.addError("ERR invalid cursor")
		return
	}
	opts, ok := c.parseScanOptions(args[2:], true)
	if !ok {
		return
	}
	count, typ := opts.count, opts.typ
	var keys []string
	// As scanGenericCommand's `do {...} while (cursor && maxiterations--
	// && ...)`: count*10 wraps around for a huge COUNT (Redis's long
	// multiplication overflows the same way), leaving a negative budget
	// that never reaches zero, so the whole table is scanned.
	for iterations := count * 10; ; iterations-- {
		cursor = c.db.keys.Scan(cursor, func(k string, _ *Object) { keys = append(keys, k) })
		if cursor == 0 || iterations == 0 || int64(len(keys)) >= count {
			break
		}
	}
	out := keys[:0]
	for _, k := range keys {
		if !opts.matches([]byte(k)) {
			continue
		}
		if typ != nil {
			o := c.db.get([]byte(k))
			if o == nil || !eqFold(typ, o.typ.String()) {
				continue
			}
		}
		if s.expireIfNeeded(c.db, []byte(k)) {
			continue
		}
		out = append(out, k)
	}
	c.w.Array(2)
	c.w.Bulk(strconv.AppendUint(nil, cursor, 10))
	c.w.Array(len(out))
	for _, k := range out {
		c.w.BulkString(k)
	}
}
