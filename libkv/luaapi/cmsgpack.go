package luaapi

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// msgpackMaxNesting is lua-cmsgpack's LUACMSGPACK_MAX_NESTING: deeper
// tables are packed as nil.
const msgpackMaxNesting = 16

// msgpackFuncs is lua-cmsgpack 0.4's API as Redis ships it.
var msgpackFuncs = map[string]lua.LGFunction{
	"pack": func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			L.ArgError(1, "MessagePack pack needs input.")
		}
		var b []byte
		for i := 1; i <= n; i++ {
			b = msgpackEncode(b, L.Get(i), 0)
		}
		L.Push(lua.LString(b))
		return 1
	},
	"unpack": func(L *lua.LState) int {
		d := msgpackDecoder{L: L, b: []byte(L.CheckString(1))}
		n := 0
		for d.i < len(d.b) {
			L.Push(d.value())
			n++
		}
		return n
	},
}

func msgpackEncode(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
		}
		return append(b, v...)
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 1<<63 {
			return msgpackInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(float32(f)))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if depth >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			b = msgpackHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		n := 0
		v.ForEach(func(lua.LValue, lua.LValue) { n++ })
		b = msgpackHeader(b, n, 0x80, 0xde, 0xdf)
		v.ForEach(func(k, val lua.LValue) {
			b = msgpackEncode(b, k, depth+1)
			b = msgpackEncode(b, val, depth+1)
		})
		return b
	}
	return append(b, 0xc0)
}

func msgpackHeader(b []byte, n int, fix, m16, m32 byte) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, m32), uint32(n))
}

func msgpackInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// msgpackArrayLen is lua-cmsgpack's table_is_an_array: every key a
// positive integer and no holes.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			ok = false
			return
		}
		count++
		if int(n) > max {
			max = int(n)
		}
	})
	return max, ok && max == count
}

type msgpackDecoder struct {
	L     *lua.LState
	b     []byte
	i     int
	depth int
}

// msgpackMaxDepth bounds the nesting unpack follows (the C library is
// bounded by Lua's C stack instead).
const msgpackMaxDepth = 1000

func (d *msgpackDecoder) take(n int) []byte {
	if n < 0 || d.i+n > len(d.b) {
		d.L.RaiseError("Missing bytes in input.")
	}
	p := d.b[d.i : d.i+n]
	d.i += n
	return p
}

func (d *msgpackDecoder) value() lua.LValue {
	c := d.take(1)[0]
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return lua.LString(d.take(int(c & 0x1f)))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapOf(int(c & 0x0f))
	}
	be := binary.BigEndian
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xca:
		return lua.LNumber(math.Float32frombits(be.Uint32(d.take(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(be.Uint64(d.take(8))))
	case 0xcc:
		return lua.LNumber(d.take(1)[0])
	case 0xcd:
		return lua.LNumber(be.Uint16(d.take(2)))
	case 0xce:
		return lua.LNumber(be.Uint32(d.take(4)))
	case 0xcf:
		return lua.LNumber(be.Uint64(d.take(8)))
	case 0xd0:
		return lua.LNumber(int8(d.take(1)[0]))
	case 0xd1:
		return lua.LNumber(int16(be.Uint16(d.take(2))))
	case 0xd2:
		return lua.LNumber(int32(be.Uint32(d.take(4))))
	case 0xd3:
		return lua.LNumber(int64(be.Uint64(d.take(8))))
	case 0xc4, 0xd9:
		return lua.LString(d.take(int(d.take(1)[0])))
	case 0xc5, 0xda:
		return lua.LString(d.take(int(be.Uint16(d.take(2)))))
	case 0xc6, 0xdb:
		return lua.LString(d.take(int(be.Uint32(d.take(4)))))
	case 0xdc:
		return d.array(int(be.Uint16(d.take(2))))
	case 0xdd:
		return d.array(int(be.Uint32(d.take(4))))
	case 0xde:
		return d.mapOf(int(be.Uint16(d.take(2))))
	case 0xdf:
		return d.mapOf(int(be.Uint32(d.take(4))))
	}
	d.L.RaiseError("Bad data format in input.")
	return nil
}

func (d *msgpackDecoder) nest() {
	d.depth++
	if d.depth > msgpackMaxDepth {
		d.L.RaiseError("Bad data format in input.")
	}
}

func (d *msgpackDecoder) array(n int) lua.LValue {
	d.nest()
	defer func() { d.depth-- }()
	if n > len(d.b)-d.i {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *msgpackDecoder) mapOf(n int) lua.LValue {
	d.nest()
	defer func() { d.depth-- }()
	if n > (len(d.b)-d.i)/2 {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.NewTable()
	for i := 0; i < n; i++ {
		k := d.value()
		v := d.value()
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}
