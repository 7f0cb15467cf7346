package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"encoding/binary"
	"math"
	"math/bits"

	"github.com/kvkit/kvkit/internal/sds"
)

// Bitmap and bitfield commands (Redis 7.0 bitops.c). Bits are numbered
// from the most significant bit of the first byte: bit 0 is 0x80 of byte
// 0, bit 8 is 0x80 of byte 1.
var bitopsCommands = map[string]cmdFunc{
	"setbit": cmdSetBit, "getbit": cmdGetBit, "bitcount": cmdBitCount, "bitpos": cmdBitPos,
	"bitop": cmdBitOp, "bitfield": cmdBitField, "bitfield_ro": cmdBitFieldRO,
}

const (
	errBitOffset    = "ERR bit offset is not an integer or out of range"
	errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffsetArg parses a bit offset as getBitOffsetFromArgument: an
// integer, or with hash set "#n" meaning n*width, below
// proto-max-bulk-len bytes (capped at the longest string kvkit holds, less
// a bitfield's width); ok false after writing the error.
func (c *Client) bitOffsetArg(a []byte, hash bool, width int) (uint64, bool) {
	usehash := hash && width > 0 && len(a) > 0 && a[0] == '#'
	if usehash {
		a = a[1:]
	}
	n, ok := sds.ParseInt(a)
	if !ok {
		c.addError(errBitOffset)
		return 0, false
	}
	if usehash {
		n *= int64(width) // wraps as in C; a negative result is refused below
	}
	if n < 0 || n>>3 >= min(c.srv.conf.ProtoMaxBulkLen, maxStringLen-8) {
		c.addError(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// growZero is sdsgrowzero: the string grows to n bytes of which the new
// ones are zero, its allocation as sdsMakeRoomFor gives it.
func (o *Object) growZero(n int64) {
	if n <= int64(o.n) {
		return
	}
	o.makeRoomFor(n - int64(o.n))
	b := o.str()
	old := len(b)
	b = b[:n]
	clear(b[old:])
	o.setStr(b)
}

// newZeroString is createObject(OBJ_STRING, sdsnewlen(NULL, n)): n zero
// bytes in a raw string, whatever its length.
func newZeroString(n int64) *Object {
	t, alloc := sdsNewAlloc(n)
	o := &Object{typ: TypeString, enc: EncRaw, sds: t}
	o.setStr(make([]byte, n, alloc))
	return o
}

// lookupStringForBit is lookupStringForBitCommand: key's string, created
// or unshared and zero-padded so that bit maxbit exists. grew reports a
// new key or a longer string; o is nil after a WRONGTYPE error.
func (c *Client) lookupStringForBit(key []byte, maxbit uint64) (o *Object, grew bool) {
	n := int64(maxbit>>3) + 1
	o = c.lookupWrite(key)
	if o == nil {
		o = newZeroString(n)
		c.srv.addKey(c.db, key, o)
		return o, true
	}
	if o.typ != TypeString {
		c.addError(errWrongType)
		return nil, false
	}
	if o.enc == EncRaw && n <= int64(o.n) {
		return o, false // the common case: nothing to unshare or grow
	}
	before := valueMemory(o)
	o.unshare()
	old := o.n
	o.growZero(n)
	c.db.resized(o, before)
	return o, o.n != old
}

func cmdSetBit(c *Client, args [][]byte) {
	offset, ok := c.bitOffsetArg(args[2], false, 0)
	if !ok {
		return
	}
	on, ok := sds.ParseInt(args[3])
	if !ok || on&^1 != 0 {
		c.addError("ERR bit is not an integer or out of range")
		return
	}
	o, grew := c.lookupStringForBit(args[1], offset)
	if o == nil {
		return
	}
	b := o.str()
	byteIdx, mask := offset>>3, byte(1)<<(7-offset&7)
	old := b[byteIdx]&mask != 0
	if grew || old != (on == 1) {
		b[byteIdx] = b[byteIdx]&^mask | byte(on)<<(7-offset&7)
		c.srv.dirty++
		c.srv.notifyKeyspaceEvent(config.NotifyString, "setbit", args[1], c.db.id)
	}
	c.w.Int(boolInt(old))
}

func cmdGetBit(c *Client, args [][]byte) {
	offset, ok := c.bitOffsetArg(args[2], false, 0)
	if !ok {
		return
	}
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	var bit bool
	if o != nil {
		if b := o.str(); offset>>3 < uint64(len(b)) {
			bit = b[offset>>3]&(1<<(7-offset&7)) != 0
		}
	}
	c.w.Int(boolInt(bit))
}

// popcount counts the set bits of b (redisPopcount).
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// bitpos is redisBitpos: the position of the first bit equal to bit in b;
// for a clear bit not found, the position just past b (the string reads as
// zero padded on the right); for a set bit not found, -1.
func bitpos(b []byte, bit bool) int64 {
	skip := byte(0)
	if !bit {
		skip = 0xff
	}
	for i, x := range b {
		if x != skip {
			if !bit {
				x = ^x
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(x))
		}
	}
	if bit {
		return -1
	}
	return int64(len(b)) * 8
}

// bitUnit parses BITCOUNT's and BITPOS's BYTE|BIT argument.
func (c *Client) bitUnit(a []byte) (isbit, ok bool) {
	switch a = cString(a); {
	case eqFold(a, "bit"):
		return true, true
	case eqFold(a, "byte"):
		return false, true
	}
	c.addError(errSyntax)
	return false, false
}

// bitRange clamps a BITCOUNT/BITPOS range of a string of n bytes as
// Redis: negative indexes count from the end, in bits with isbit; the
// result is in bytes, with the masks of the bits of the first and last
// byte that lie outside a bit range.
func bitRange(start, end, n int64, isbit bool) (s, e int64, firstMask, lastMask byte) {
	total := n
	if isbit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isbit && start <= end {
		firstMask = byte(^((1 << (8 - start&7)) - 1) & 0xff)
		lastMask = byte((1 << (7 - end&7)) - 1)
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask
}

func cmdBitCount(c *Client, args [][]byte) {
	o, ok := c.getString(args[1])
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	p := o.str()
	var start, end int64
	var firstMask, lastMask byte
	switch len(args) {
	case 4, 5:
		if start, ok = c.intArg(args[2]); !ok {
			return
		}
		if end, ok = c.intArg(args[3]); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.w.Int(0)
			return
		}
		var isbit bool
		if len(args) == 5 {
			if isbit, ok = c.bitUnit(args[4]); !ok {
				return
			}
		}
		start, end, firstMask, lastMask = bitRange(start, end, int64(len(p)), isbit)
	case 2:
		start, end = 0, int64(len(p))-1
	default:
		c.addError(errSyntax)
		return
	}
	if start > end {
		c.w.Int(0)
		return
	}
	n := popcount(p[start : end+1])
	n -= int64(bits.OnesCount8(p[start]&firstMask) + bits.OnesCount8(p[end]&lastMask))
	c.w.Int(n)
}

func cmdBitPos(c *Client, args [][]byte) {
	want, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if want != 0 && want != 1 {
		c.addError("ERR The bit argument must be 1 or 0.")
		return
	}
	bit := want == 1
	o := c.lookupRead(args[1])
	if o == nil {
		// A missing key is an infinite run of clear bits.
		c.w.Int(-(want))
		return
	}
	if o.typ != TypeString {
		c.addError(errWrongType)
		return
	}
	p := o.str()
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch len(args) {
	case 4, 5, 6:
		if start, ok = c.intArg(args[3]); !ok {
			return
		}
		var isbit bool
		if len(args) == 6 {
			if isbit, ok = c.bitUnit(args[5]); !ok {
				return
			}
		}
		if len(args) >= 5 {
			if end, ok = c.intArg(args[4]); !ok {
				return
			}
			endGiven = true
		} else {
			end = int64(len(p)) - 1
			if isbit {
				end = int64(len(p))<<3 - 1
			}
		}
		start, end, firstMask, lastMask = bitRange(start, end, int64(len(p)), isbit)
	case 3:
		start, end = 0, int64(len(p))-1
	default:
		c.addError(errSyntax)
		return
	}
	if start > end {
		c.w.Int(-1)
		return
	}
	// The range's bytes in up to three parts, as Redis: a first byte
	// with bits outside the range masked, the whole bytes, a last byte
	// likewise masked. pos is relative to start, which moves past each
	// part that has no answer.
	bytes := end - start + 1
	var pos int64
	masked := func(x, mask byte) byte {
		if bit {
			return x &^ mask
		}
		return x | mask
	}
	done := false
	if firstMask != 0 {
		x := masked(p[start], firstMask)
		if lastMask != 0 && bytes == 1 {
			x = masked(x, lastMask)
		}
		pos = bitpos([]byte{x}, bit)
		if bytes == 1 || (pos != -1 && pos != 8) {
			done = true
		} else {
			start++
			bytes--
		}
	}
	if !done {
		cur := bytes
		if lastMask != 0 {
			cur--
		}
		if cur > 0 {
			pos = bitpos(p[start:start+cur], bit)
			if bytes == cur || (pos != -1 && pos != cur<<3) {
				done = true
			} else {
				start += cur
				bytes -= cur
			}
		}
	}
	if !done {
		pos = bitpos([]byte{masked(p[end], lastMask)}, bit)
	}
	// Looking for a clear bit in an explicit range, the bits right of
	// the range do not count as zero padding: not found.
	if endGiven && !bit && pos == bytes<<3 {
		c.w.Int(-1)
		return
	}
	if pos != -1 {
		pos += start << 3
	}
	c.w.Int(pos)
}

// BITOP operations.
const (
	bitopAnd = iota
	bitopOr
	bitopXor
	bitopNot
)

func cmdBitOp(c *Client, args [][]byte) {
	var op int
	switch name := cString(args[1]); {
	case eqFold(name, "and"):
		op = bitopAnd
	case eqFold(name, "or"):
		op = bitopOr
	case eqFold(name, "xor"):
		op = bitopXor
	case eqFold(name, "not"):
		op = bitopNot
	default:
		c.addError(errSyntax)
		return
	}
	if op == bitopNot && len(args) != 4 {
		c.addError("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, len(args)-3)
	maxlen := 0
	for j, key := range args[3:] {
		o := c.lookupRead(key)
		if o == nil {
			continue // a missing key is an empty string
		}
		if o.typ != TypeString {
			c.addError(errWrongType)
			return
		}
		srcs[j] = o.str()
		maxlen = max(maxlen, len(srcs[j]))
	}
	s, dest := c.srv, args[2]
	if maxlen == 0 {
		// An empty result deletes the destination.
		if s.deleteKey(c.db, dest) {
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", dest, c.db.id)
		}
		c.w.Int(0)
		return
	}
	res := newZeroString(int64(maxlen))
	out := res.str()
	switch op {
	case bitopNot:
		for i, x := range srcs[0] {
			out[i] = ^x
		}
	case bitopAnd:
		copy(out, srcs[0])
		for _, src := range srcs[1:] {
			for i := range out {
				if i < len(src) {
					out[i] &= src[i]
				} else {
					out[i] = 0
				}
			}
		}
	default:
		for _, src := range srcs {
			for i, x := range src {
				if op == bitopOr {
					out[i] |= x
				} else {
					out[i] ^= x
				}
			}
		}
	}
	s.setKey(c.db, dest, res, false)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "set", dest, c.db.id)
	c.w.Int(int64(maxlen))
}

// Overflow behaviours of BITFIELD SET and INCRBY.
const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	offset   uint64
	value    int64 // SET value or INCRBY increment
	opcode   byte  // 'g', 's' or 'i'
	overflow int
	width    int
	signed   bool
}

// bitfieldTypeArg parses a bitfield type as getBitfieldTypeFromArgument:
// i1..i64 or u1..u63, the number read up to a NUL byte as C's strlen.
func (c *Client) bitfieldTypeArg(a []byte) (signed bool, width int, ok bool) {
	a = cString(a)
	if len(a) == 0 || (a[0] != 'i' && a[0] != 'u') {
		c.addError(errBitfieldType)
		return false, 0, false
	}
	signed = a[0] == 'i'
	n, ok := sds.ParseInt(a[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.addError(errBitfieldType)
		return false, 0, false
	}
	return signed, int(n), true
}

// parseBitfield parses BITFIELD's operations (bitfieldGeneric's first
// loop); ok is false after writing the error.
func (c *Client) parseBitfield(args [][]byte) (ops []bitfieldOp, readonly, ok bool) {
	overflow := overflowWrap
	readonly = true
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op bitfieldOp
		switch sub := cString(args[j]); {
		case eqFold(sub, "get") && rem >= 2:
			op.opcode = 'g'
		case eqFold(sub, "set") && rem >= 3:
			op.opcode = 's'
		case eqFold(sub, "incrby") && rem >= 3:
			op.opcode = 'i'
		case eqFold(sub, "overflow") && rem >= 1:
			j++
			switch name := cString(args[j]); {
			case eqFold(name, "wrap"):
				overflow = overflowWrap
			case eqFold(name, "sat"):
				overflow = overflowSat
			case eqFold(name, "fail"):
				overflow = overflowFail
			default:
				c.addError("ERR Invalid OVERFLOW type specified")
				return nil, false, false
			}
			continue
		default:
			c.addError(errSyntax)
			return nil, false, false
		}
		if op.signed, op.width, ok = c.bitfieldTypeArg(args[j+1]); !ok {
			return nil, false, false
		}
		if op.offset, ok = c.bitOffsetArg(args[j+2], true, op.width); !ok {
			return nil, false, false
		}
		if op.opcode != 'g' {
			readonly = false
			if op.value, ok = c.intArg(args[j+3]); !ok {
				return nil, false, false
			}
			j++
		}
		op.overflow = overflow
		ops = append(ops, op)
		j += 2
	}
	return ops, readonly, true
}

// getUnsignedBitfield reads width bits at offset of p as an unsigned
// number, most significant bit first.
func getUnsignedBitfield(p []byte, offset uint64, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		b := p[offset>>3] >> (7 - offset&7) & 1
		v = v<<1 | uint64(b)
		offset++
	}
	return v
}

// getSignedBitfield is getUnsignedBitfield sign-extended from width bits.
func getSignedBitfield(p []byte, offset uint64, width int) int64 {
	v := int64(getUnsignedBitfield(p, offset, width))
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= -1 << width
	}
	return v
}

// setBitfield writes the low width bits of v at offset of p.
func setBitfield(p []byte, offset uint64, width int, v uint64) {
	for i := width - 1; i >= 0; i-- {
		mask := byte(1) << (7 - offset&7)
		if v>>i&1 != 0 {
			p[offset>>3] |= mask
		} else {
			p[offset>>3] &^= mask
		}
		offset++
	}
}

// checkUnsignedOverflow is checkUnsignedBitfieldOverflow: whether value+incr
// leaves the range of a width-bit unsigned field, and the value to store
// then under WRAP or SAT.
func checkUnsignedOverflow(value uint64, incr int64, width int, overflow int) (bool, uint64) {
	maxv := uint64(1)<<width - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	if value > maxv || (incr > 0 && incr > maxincr) {
		if overflow == overflowSat {
			return true, maxv
		}
	} else if incr < 0 && incr < minincr {
		if overflow == overflowSat {
			return true, 0
		}
	} else {
		return false, 0
	}
	return true, (value + uint64(incr)) & maxv
}

// checkSignedOverflow is checkSignedBitfieldOverflow for a width-bit
// signed field.
func checkSignedOverflow(value, incr int64, width int, overflow int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	// maxincr and minincr may wrap; they are used only when value is in
	// range, where they do not.
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	switch {
	case value > maxv || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		if overflow == overflowSat {
			return true, maxv
		}
	case value < minv || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		if overflow == overflowSat {
			return true, minv
		}
	default:
		return false, 0
	}
	c := uint64(value) + uint64(incr)
	if width < 64 {
		mask := ^uint64(0) << width
		if c&(1<<(width-1)) != 0 {
			c |= mask
		} else {
			c &^= mask
		}
	}
	return true, int64(c)
}

func cmdBitField(c *Client, args [][]byte)   { c.bitfield(args, false) }
func cmdBitFieldRO(c *Client, args [][]byte) { c.bitfield(args, true) }

// bitfield is bitfieldGeneric: BITFIELD, or BITFIELD_RO with ro set.
func (c *Client) bitfield(args [][]byte, ro bool) {
	ops, readonly, ok := c.parseBitfield(args)
	if !ok {
		return
	}
	var o *Object
	var grew bool
	if readonly {
		if o, ok = c.getString(args[1]); !ok {
			return
		}
	} else {
		if ro {
			c.addError("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		var highest uint64
		for _, op := range ops {
			if op.opcode != 'g' {
				highest = max(highest, op.offset+uint64(op.width)-1)
			}
		}
		if o, grew = c.lookupStringForBit(args[1], highest); o == nil {
			return
		}
	}
	c.w.Array(len(ops))
	changes := 0
	for _, op := range ops {
		if op.opcode == 'g' {
			// Read from a zero-padded copy of the 9 bytes the field can
			// span, so reads past the end see zeros.
			var buf [9]byte
			byteIdx := op.offset >> 3
			if o != nil {
				if b := o.str(); byteIdx < uint64(len(b)) {
					copy(buf[:], b[byteIdx:])
				}
			}
			off := op.offset - byteIdx*8
			if op.signed {
				c.w.Int(getSignedBitfield(buf[:], off, op.width))
			} else {
				c.w.Int(int64(getUnsignedBitfield(buf[:], off, op.width)))
			}
			continue
		}
		p := o.str()
		var reply, stored, old uint64
		var fail bool
		if op.signed {
			sold := getSignedBitfield(p, op.offset, op.width)
			var over bool
			var wrapped, newv int64
			if op.opcode == 'i' {
				over, wrapped = checkSignedOverflow(sold, op.value, op.width, op.overflow)
				newv = sold + op.value
				if over {
					newv = wrapped
				}
				reply = uint64(newv)
			} else {
				newv = op.value
				if over, wrapped = checkSignedOverflow(newv, 0, op.width, op.overflow); over {
					newv = wrapped
				}
				reply = uint64(sold)
			}
			fail = over && op.overflow == overflowFail
			stored, old = uint64(newv), uint64(sold)
		} else {
			old = getUnsignedBitfield(p, op.offset, op.width)
			var over bool
			var wrapped, newv uint64
			if op.opcode == 'i' {
				newv = old + uint64(op.value)
				if over, wrapped = checkUnsignedOverflow(old, op.value, op.width, op.overflow); over {
					newv = wrapped
				}
				reply = newv
			} else {
				newv = uint64(op.value)
				if over, wrapped = checkUnsignedOverflow(newv, 0, op.width, op.overflow); over {
					newv = wrapped
				}
				reply = old
			}
			fail = over && op.overflow == overflowFail
			stored = newv
		}
		if fail {
			c.w.Null()
			continue
		}
		c.w.Int(int64(reply))
		setBitfield(p, op.offset, op.width, stored)
		// Redis counts a write that changes the field or follows the
		// creation or growth of the string; a failed one counts nothing.
		if grew || stored != old {
			changes++
		}
	}
	c.srv.dirty += int64(changes)
	if changes > 0 {
		c.srv.notifyKeyspaceEvent(config.NotifyString, "setbit", args[1], c.db.id)
	}
}
