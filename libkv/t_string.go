package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"math"
	"math/big"
	"strconv"
	"strings"
)

// String commands (Redis 7.0 t_string.c).
var stringCommands = map[string]cmdFunc{
	"get": cmdGet, "set": cmdSet, "setnx": cmdSetNX, "setex": cmdSetEX, "psetex": cmdPSetEX,
	"getset": cmdGetSet, "getdel": cmdGetDel, "getex": cmdGetEx, "mget": cmdMGet, "mset": cmdMSet,
	"msetnx": cmdMSetNX, "append": cmdAppend, "strlen": cmdStrlen, "getrange": cmdGetRange,
	"substr": cmdGetRange, "setrange": cmdSetRange, "incr": cmdIncr, "decr": cmdDecr,
	"incrby": cmdIncrBy, "decrby": cmdDecrBy, "incrbyfloat": cmdIncrByFloat, "lcs": cmdLCS,
}

// Flags of SET and GETEX options, as Redis's OBJ_* set flags.
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT
	setAnyExpire = setEX | setPX | setEXAT | setPXAT
)

// parseSetOptions parses the options of SET (forSet) or GETEX from args[3:]
// or args[2:] as Redis 7.0's parseExtendedStringArgumentsOrReply: it returns
// the flags and the expire argument, or writes a syntax error.
func (c *Client) parseSetOptions(args [][]byte, forSet bool) (flags int, expire []byte, ok bool) {
	for j := 0; j < len(args); j++ {
		opt := args[j]
		hasNext := j < len(args)-1
		switch {
		case forSet && eqFold(opt, "nx") && flags&setXX == 0:
			flags |= setNX
		case forSet && eqFold(opt, "xx") && flags&setNX == 0:
			flags |= setXX
		case forSet && eqFold(opt, "get"):
			flags |= setGet
		case forSet && eqFold(opt, "keepttl") && flags&(setPersist|setAnyExpire) == 0:
			flags |= setKeepTTL
		case !forSet && eqFold(opt, "persist") && flags&(setAnyExpire|setKeepTTL) == 0:
			flags |= setPersist
		case eqFold(opt, "ex") && flags&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0 && hasNext:
			flags |= setEX
			expire = args[j+1]
			j++
		case eqFold(opt, "px") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && hasNext:
			flags |= setPX
			expire = args[j+1]
			j++
		case eqFold(opt, "exat") && flags&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && hasNext:
			flags |= setEXAT
			expire = args[j+1]
			j++
		case eqFold(opt, "pxat") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0 && hasNext:
			flags |= setPXAT
			expire = args[j+1]
			j++
		default:
			c.addError(errSyntax)
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// expireMillis converts an EX/PX/EXAT/PXAT argument to an absolute time
// in ms, or writes Redis's "invalid expire time" error.
func (c *Client) expireMillis(cmdName string, arg []byte, flags int) (int64, bool) {
	ms, ok := c.intArg(arg)
	if !ok {
		return 0, false
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.addError("ERR invalid expire time in '" + cmdName + "' command")
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		if ms > math.MaxInt64-c.srv.now {
			ms = math.MinInt64 // wraps negative in C, rejected below
		} else {
			ms += c.srv.now
		}
	}
	if ms <= 0 {
		c.addError("ERR invalid expire time in '" + cmdName + "' command")
		return 0, false
	}
	return ms, true
}

// getString looks key up for reading and checks it is a string; o is nil
// when the key is missing, ok false when a WRONGTYPE error was written.
func (c *Client) getString(key []byte) (o *Object, ok bool) {
	o = c.lookupRead(key)
	if o != nil && o.typ != TypeString {
		c.addError(errWrongType)
		return nil, false
	}
	return o, true
}

// replyGet writes key's string value or null (Redis's getGenericCommand).
func (c *Client) replyGet(key []byte) bool {
	o, ok := c.getString(key)
	if !ok {
		return false
	}
	if o == nil {
		c.w.Null()
	} else {
		c.replyStr(o)
	}
	return true
}

// replyStr writes a string object as a bulk string.
func (c *Client) replyStr(o *Object) { c.w.Bulk(o.str()) }

func cmdGet(c *Client, args [][]byte) { c.replyGet(args[1]) }

func cmdSet(c *Client, args [][]byte) {
	flags, expire, ok := c.parseSetOptions(args[3:], true)
	if ok {
		c.setGeneric(flags, args[1], args[2], expire, "set", false)
	}
}

// setGeneric is Redis's setGenericCommand. nxReply makes SETNX-style
// integer replies (1 set, 0 not set) instead of +OK / null.
func (c *Client) setGeneric(flags int, key, val, expire []byte, cmdName string, nxReply bool) {
	var at int64
	if expire != nil {
		var ok bool
		if at, ok = c.expireMillis(cmdName, expire, flags); !ok {
			return
		}
	}
	if flags&setGet != 0 && !c.replyGet(key) {
		return
	}
	found := c.lookupWrite(key) != nil
	if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
		switch {
		case nxReply:
			c.w.Int(0)
		case flags&setGet == 0:
			c.w.Null()
		}
		return
	}
	s := c.srv
	s.setString(c.db, key, val, flags&setKeepTTL != 0)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "set", key, c.db.id)
	if expire != nil {
		s.setExpire(c.db, key, at)
		s.notifyKeyspaceEvent(config.NotifyGeneric, "expire", key, c.db.id)
	}
	switch {
	case nxReply:
		c.w.Int(1)
	case flags&setGet == 0:
		c.w.OK()
	}
}

func cmdSetNX(c *Client, args [][]byte) { c.setGeneric(setNX, args[1], args[2], nil, "setnx", true) }

func cmdSetEX(c *Client, args [][]byte) {
	c.setGeneric(setEX, args[1], args[3], args[2], "setex", false)
}

func cmdPSetEX(c *Client, args [][]byte) {
	c.setGeneric(setPX, args[1], args[3], args[2], "psetex", false)
}

func cmdGetSet(c *Client, args [][]byte) {
	if !c.replyGet(args[1]) {
		return
	}
	s := c.srv
	s.setString(c.db, args[1], args[2], false)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "set", args[1], c.db.id)
}

func cmdGetDel(c *Client, args [][]byte) {
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	c.replyStr(o)
	s := c.srv
	s.deleteKey(c.db, args[1])
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
}

func cmdGetEx(c *Client, args [][]byte) {
	flags, expire, ok := c.parseSetOptions(args[2:], false)
	if !ok {
		return
	}
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	var at int64
	if expire != nil {
		if at, ok = c.expireMillis("getex", expire, flags); !ok {
			return
		}
	}
	c.replyStr(o)
	s := c.srv
	switch {
	case flags&(setEXAT|setPXAT) != 0 && at <= s.now:
		s.deleteKey(c.db, args[1])
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifyGeneric, "del", args[1], c.db.id)
	case expire != nil:
		s.setExpire(c.db, args[1], at)
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifyGeneric, "expire", args[1], c.db.id)
	case flags&setPersist != 0:
		if c.db.removeExpire(args[1]) {
			s.noteWrite(c.db, args[1]) // GETEX looks its key up for reading
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "persist", args[1], c.db.id)
		}
	}
}

func cmdMGet(c *Client, args [][]byte) {
	c.w.Array(len(args) - 1)
	for _, key := range args[1:] {
		o := c.lookupRead(key)
		if o == nil || o.typ != TypeString {
			c.w.Null()
		} else {
			c.replyStr(o)
		}
	}
}

func cmdMSet(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.addError("ERR wrong number of arguments for 'mset' command")
		return
	}
	s := c.srv
	for i := 1; i < len(args); i += 2 {
		s.setString(c.db, args[i], args[i+1], false)
		s.notifyKeyspaceEvent(config.NotifyString, "set", args[i], c.db.id)
	}
	s.dirty += int64(len(args) / 2)
	c.w.OK()
}

func cmdMSetNX(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.addError("ERR wrong number of arguments for 'msetnx' command")
		return
	}
	for i := 1; i < len(args); i += 2 {
		if c.lookupWrite(args[i]) != nil {
			c.w.Int(0)
			return
		}
	}
	s := c.srv
	for i := 1; i < len(args); i += 2 {
		s.setString(c.db, args[i], args[i+1], false)
		s.notifyKeyspaceEvent(config.NotifyString, "set", args[i], c.db.id)
	}
	s.dirty += int64(len(args) / 2)
	c.w.Int(1)
}

// checkStringLength refuses a string that would grow past proto-max-bulk-len.
func (c *Client) checkStringLength(size, add int64) bool {
	total := size + add
	if total > min(c.srv.conf.ProtoMaxBulkLen, maxStringLen) || total < size || total < add {
		c.addError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return false
	}
	return true
}

func cmdAppend(c *Client, args [][]byte) {
	s := c.srv
	o := c.lookupWrite(args[1])
	if o == nil {
		s.addKey(c.db, args[1], s.newString(args[2]))
		s.dirty++
		s.notifyKeyspaceEvent(config.NotifyString, "append", args[1], c.db.id)
		c.w.Int(int64(len(args[2])))
		return
	}
	if o.typ != TypeString {
		c.addError(errWrongType)
		return
	}
	if !c.checkStringLength(int64(o.strLen()), int64(len(args[2]))) {
		return
	}
	before := valueMemory(o)
	o.unshare()
	o.makeRoomFor(int64(len(args[2]))) // sdscatlen
	o.setStr(append(o.str(), args[2]...))
	c.db.resized(o, before)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "append", args[1], c.db.id)
	c.w.Int(int64(o.n))
}

func cmdStrlen(c *Client, args [][]byte) {
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(o.strLen()))
}

func cmdGetRange(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	if o == nil {
		c.w.BulkString("")
		return
	}
	str := o.str()
	n := int64(len(str))
	if start < 0 && end < 0 && start > end {
		c.w.BulkString("")
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.w.BulkString("")
		return
	}
	c.w.Bulk(str[start : end+1])
}

func cmdSetRange(c *Client, args [][]byte) {
	s := c.srv
	offset, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if offset < 0 {
		c.addError("ERR offset is out of range")
		return
	}
	val := args[3]
	o := c.lookupWrite(args[1])
	if o == nil {
		if len(val) == 0 {
			c.w.Int(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		// createObject(OBJ_STRING, sdsnewlen(NULL, offset+len)): raw even
		// when short.
		n := offset + int64(len(val))
		t, alloc := sdsNewAlloc(n)
		o = &Object{typ: TypeString, enc: EncRaw, sds: t}
		o.setStr(make([]byte, n, alloc))
		s.addKey(c.db, args[1], o)
	} else {
		if o.typ != TypeString {
			c.addError(errWrongType)
			return
		}
		if len(val) == 0 {
			c.w.Int(int64(o.strLen()))
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		before := valueMemory(o)
		o.unshare()
		defer c.db.resized(o, before)
	}
	// sdsgrowzero: room as sdsMakeRoomFor gives it, then zeros.
	if need := offset + int64(len(val)); need > int64(o.n) {
		o.makeRoomFor(need - int64(o.n))
	}
	b := o.str()
	if need := int(offset) + len(val); need > len(b) {
		old := len(b)
		b = b[:need]
		clear(b[old:])
	}
	copy(b[offset:], val)
	o.setStr(b)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "setrange", args[1], c.db.id)
	c.w.Int(int64(len(b)))
}

// incrBy is Redis's incrDecrCommand.
func (c *Client) incrBy(key []byte, incr int64) {
	o := c.lookupWrite(key)
	var v int64
	if o != nil {
		if o.typ != TypeString {
			c.addError(errWrongType)
			return
		}
		var ok bool
		if v, ok = argInt(o.str()); !ok {
			c.addError(errNotInt)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.addError(errOverflow)
		return
	}
	v += incr
	s := c.srv
	if o != nil {
		// Redis updates a private int object in place when the result is
		// outside the shared range (keeping the access data the lookup
		// just refreshed); otherwise it stores a new object.
		_, shared := o.sharedInt()
		inPlace := o.enc == EncInt && !shared && (v < 0 || v >= sharedIntegers)
		before := valueMemory(o)
		o.enc, o.private = EncInt, s.noSharedIntegers()
		o.setStr(strconv.AppendInt(o.str()[:0], v, 10))
		if !inPlace {
			s.created(o)
		}
		c.db.resized(o, before)
	} else {
		s.addKey(c.db, key, s.newInt(v))
	}
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "incrby", key, c.db.id)
	c.w.Int(v)
}

func cmdIncr(c *Client, args [][]byte) { c.incrBy(args[1], 1) }
func cmdDecr(c *Client, args [][]byte) { c.incrBy(args[1], -1) }

func cmdIncrBy(c *Client, args [][]byte) {
	if n, ok := c.intArg(args[2]); ok {
		c.incrBy(args[1], n)
	}
}

func cmdDecrBy(c *Client, args [][]byte) {
	n, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.addError("ERR decrement would overflow")
		return
	}
	c.incrBy(args[1], -n)
}

// longDoublePrec is the significand width of x87 80-bit long double, the
// type Redis does INCRBYFLOAT arithmetic in: big.Float at this precision
// reproduces its rounding, so results print as Redis prints them.
const longDoublePrec = 64

// maxLongDoubleExp bounds the binary exponent of a finite long double.
const maxLongDoubleExp = 16384

// parseLongDouble parses b as Redis's string2ld (strtold over the whole
// string, no leading space, no NaN, no overflow).
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 || isSpaceByte(b[0]) {
		return nil, false
	}
	s := string(b)
	if strings.ContainsRune(s, '_') {
		return nil, false
	}
	// strtold accepts "inf" and "infinity" in any case; the caller's NaN or
	// Infinity check then refuses the result, as in Redis.
	if l := strings.ToLower(strings.TrimLeft(s, "+-")); l == "inf" || l == "infinity" {
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	// strtold reads decimal and 0x hexadecimal forms only: base 0 would
	// also take Go's 0b and 0o prefixes.
	base, digits := 10, strings.TrimLeft(s, "+-")
	if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X") {
		base = 0
	}
	f, _, err := big.ParseFloat(s, base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if exp := f.MantExp(nil); exp > maxLongDoubleExp || (exp < -16445 && f.Sign() != 0) {
		return nil, false
	}
	return f, true
}

// formatLongDouble formats f as Redis's ld2string with LD_STR_HUMAN:
// %.17Lf with trailing zeros (and a trailing dot) removed, "-0" as "0".
func formatLongDouble(f *big.Float) []byte {
	b := []byte(f.Text('f', 17))
	if strings.IndexByte(string(b), '.') >= 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b) == "-0" {
		b = []byte{'0'}
	}
	return b
}

// addLongDouble adds two long doubles as Redis's INCRBYFLOAT and
// HINCRBYFLOAT do; ok is false when the result is infinite or NaN, which
// both refuse.
func addLongDouble(a, b *big.Float) (sum *big.Float, ok bool) {
	if a.IsInf() || b.IsInf() {
		// Any infinite operand gives an infinite or NaN result; big.Float
		// would panic on inf + -inf.
		return nil, false
	}
	sum = new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(a, b)
	if sum.IsInf() || sum.MantExp(nil) > maxLongDoubleExp {
		return nil, false
	}
	return sum, true
}

func cmdIncrByFloat(c *Client, args [][]byte) {
	o := c.lookupWrite(args[1])
	cur := new(big.Float).SetPrec(longDoublePrec)
	if o != nil {
		if o.typ != TypeString {
			c.addError(errWrongType)
			return
		}
		v, ok := parseLongDouble(o.str())
		if !ok {
			c.addError(errNotFloat)
			return
		}
		cur = v
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		c.addError(errNotFloat)
		return
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.addError("ERR increment would produce NaN or Infinity")
		return
	}
	res := formatLongDouble(sum)
	s := c.srv
	if o != nil {
		s.setKey(c.db, args[1], newRawString(res), true)
	} else {
		s.addKey(c.db, args[1], newRawString(res))
	}
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "incrbyfloat", args[1], c.db.id)
	c.w.Bulk(res)
}

func cmdLCS(c *Client, args [][]byte) {
	oa := c.lookupRead(args[1])
	ob := c.lookupRead(args[2])
	if (oa != nil && oa.typ != TypeString) || (ob != nil && ob.typ != TypeString) {
		c.addError("ERR The specified keys must contain string values")
		return
	}
	var getIdx, getLen, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "idx"):
			getIdx = true
		case eqFold(args[j], "len"):
			getLen = true
		case eqFold(args[j], "withmatchlen"):
			withMatchLen = true
		case eqFold(args[j], "minmatchlen") && more > 0:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	var a, b []byte
	if oa != nil {
		a = oa.str()
	}
	if ob != nil {
		b = ob.str()
	}
	if getIdx && getLen {
		c.addError("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	alen, blen := len(a), len(b)
	cells := uint64(alen+1) * uint64(blen+1)
	if cells*4 > uint64(c.srv.conf.ProtoMaxBulkLen) {
		c.addError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	// dp[i*(blen+1)+j] is the LCS length of a[:i] and b[:j].
	dp := make([]uint32, cells)
	w := blen + 1
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				dp[i*w+j] = dp[(i-1)*w+j-1] + 1
			} else {
				dp[i*w+j] = max(dp[(i-1)*w+j], dp[i*w+j-1])
			}
		}
	}
	total := dp[alen*w+blen]
	if getLen {
		c.w.Int(int64(total))
		return
	}
	// Walk back from the end, collecting the LCS and, for IDX, the ranges
	// of contiguous matches (latest first), as Redis's lcsCommand.
	result := make([]byte, total)
	idx := total
	type match struct{ a0, a1, b0, b1 int }
	var ranges []match
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if dp[(i-1)*w+j] > dp[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if minMatchLen == 0 || int64(aEnd-aStart+1) >= minMatchLen {
				ranges = append(ranges, match{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	if !getIdx {
		c.w.Bulk(result)
		return
	}
	c.w.Map(2)
	c.w.BulkString("matches")
	c.w.Array(len(ranges))
	for _, m := range ranges {
		if withMatchLen {
			c.w.Array(3)
		} else {
			c.w.Array(2)
		}
		c.w.Array(2)
		c.w.Int(int64(m.a0))
		c.w.Int(int64(m.a1))
		c.w.Array(2)
		c.w.Int(int64(m.b0))
		c.w.Int(int64(m.b1))
		if withMatchLen {
			c.w.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	c.w.BulkString("len")
	c.w.Int(int64(total))
}
