package luaapi

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// structMaxIntSize is struct.c's MAXINTSIZE.
const structMaxIntSize = 32

// structHeader is struct.c's Header: byte order and maximum alignment.
type structHeader struct {
	little bool
	align  int
}

// structOption reads the next format option at fmt[*i] and returns it
// with its size (struct.c optsize).
func structOption(L *lua.LState, f string, i *int, h *structHeader) (byte, int) {
	opt := f[*i]
	*i++
	num := func(def int) int {
		if *i >= len(f) || f[*i] < '0' || f[*i] > '9' {
			return def
		}
		n := 0
		for *i < len(f) && f[*i] >= '0' && f[*i] <= '9' {
			n = n*10 + int(f[*i]-'0')
			*i++
			if n > math.MaxInt32/10 {
				L.RaiseError("integral size overflow")
			}
		}
		return n
	}
	switch opt {
	case 'B', 'b':
		return opt, 1
	case 'H', 'h':
		return opt, 2
	case 'L', 'l', 'T':
		return opt, 8
	case 'f':
		return opt, 4
	case 'd':
		return opt, 8
	case 'x':
		return opt, 1
	case 'c':
		return opt, num(1)
	case 'i', 'I':
		n := num(4)
		if n > structMaxIntSize {
			L.RaiseError("integral size %d is larger than limit of %d", n, structMaxIntSize)
		}
		return opt, n
	case ' ', 's':
		return opt, 0
	case '>':
		h.little = false
		return opt, 0
	case '<', '=':
		h.little = true
		return opt, 0
	case '!':
		a := num(8)
		if a&(a-1) != 0 {
			L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
		return opt, 0
	}
	L.ArgError(1, "invalid format option '"+string(opt)+"'")
	return 0, 0
}

// structPad is struct.c's gettoalign.
func structPad(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	if size <= 1 {
		// "!0" would make struct.c pad by nearly 2^64 bytes.
		return 0
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func putInt(b []byte, v uint64, little bool, size int) []byte {
	buf := make([]byte, size)
	for k := 0; k < size; k++ {
		var byteVal byte
		if k < 8 {
			byteVal = byte(v >> (8 * k))
		} else if int64(v) < 0 {
			byteVal = 0xff
		}
		if little {
			buf[k] = byteVal
		} else {
			buf[size-1-k] = byteVal
		}
	}
	return append(b, buf...)
}

func getInt(b []byte, little, signed bool, size int) float64 {
	var v uint64
	for k := 0; k < size; k++ {
		var c byte
		if little {
			c = b[size-1-k]
		} else {
			c = b[k]
		}
		v = v<<8 | uint64(c)
	}
	if signed && size < 8 && size > 0 {
		mask := uint64(1) << (size*8 - 1)
		v = (v ^ mask) - mask
		return float64(int64(v))
	}
	if signed {
		return float64(int64(v))
	}
	return float64(v)
}

// structFuncs is struct.c's library (Redis deps/lua/src/lua_struct.c).
var structFuncs = map[string]lua.LGFunction{
	"pack": func(L *lua.LState) int {
		f := L.CheckString(1)
		h := structHeader{little: true, align: 1}
		arg := 2
		var b []byte
		for i := 0; i < len(f); {
			opt, size := structOption(L, f, &i, &h)
			for p := structPad(len(b), &h, opt, size); p > 0; p-- {
				b = append(b, 0)
			}
			switch opt {
			case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
				n := float64(L.CheckNumber(arg))
				arg++
				var v uint64
				if opt >= 'a' && opt <= 'z' {
					v = uint64(int64(n))
				} else if n < 0 {
					v = uint64(int64(n))
				} else {
					v = uint64(n)
				}
				b = putInt(b, v, h.little, size)
			case 'x':
				b = append(b, 0)
			case 'f':
				bits := math.Float32bits(float32(L.CheckNumber(arg)))
				arg++
				if h.little {
					b = binary.LittleEndian.AppendUint32(b, bits)
				} else {
					b = binary.BigEndian.AppendUint32(b, bits)
				}
			case 'd':
				bits := math.Float64bits(float64(L.CheckNumber(arg)))
				arg++
				if h.little {
					b = binary.LittleEndian.AppendUint64(b, bits)
				} else {
					b = binary.BigEndian.AppendUint64(b, bits)
				}
			case 'c', 's':
				s := L.CheckString(arg)
				l := len(s)
				if size == 0 {
					size = l
				}
				if l < size {
					// struct.c reports the argument after it.
					L.ArgError(arg+1, "string too short")
				}
				arg++
				b = append(b, s[:size]...)
				if opt == 's' {
					b = append(b, 0)
					size++
				}
			}
		}
		L.Push(lua.LString(b))
		return 1
	},
	"unpack": func(L *lua.LState) int {
		f := L.CheckString(1)
		data := L.CheckString(2)
		pos := L.OptInt(3, 1) - 1
		if pos < 0 || pos > len(data) {
			L.ArgError(3, "offset must be 1 or greater")
		}
		h := structHeader{little: true, align: 1}
		n := 0
		for i := 0; i < len(f); {
			opt, size := structOption(L, f, &i, &h)
			pos += structPad(pos, &h, opt, size)
			if size > len(data)-pos {
				L.ArgError(2, "data string too short")
			}
			switch opt {
			case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
				L.Push(lua.LNumber(getInt([]byte(data[pos:pos+size]), h.little, opt >= 'a' && opt <= 'z', size)))
				n++
			case 'f':
				var bits uint32
				if h.little {
					bits = binary.LittleEndian.Uint32([]byte(data[pos:]))
				} else {
					bits = binary.BigEndian.Uint32([]byte(data[pos:]))
				}
				L.Push(lua.LNumber(math.Float32frombits(bits)))
				n++
			case 'd':
				var bits uint64
				if h.little {
					bits = binary.LittleEndian.Uint64([]byte(data[pos:]))
				} else {
					bits = binary.BigEndian.Uint64([]byte(data[pos:]))
				}
				L.Push(lua.LNumber(math.Float64frombits(bits)))
				n++
			case 'c':
				if size == 0 {
					if n == 0 || L.Get(-1).Type() != lua.LTNumber {
						L.RaiseError("format 'c0' needs a previous size")
					}
					size = int(L.ToNumber(-1))
					L.Pop(1)
					n--
					if size > len(data)-pos {
						L.ArgError(2, "data string too short")
					}
				}
				L.Push(lua.LString(data[pos : pos+size]))
				n++
			case 's':
				e := strings.IndexByte(data[pos:], 0)
				if e < 0 {
					L.RaiseError("unfinished string in data")
				}
				L.Push(lua.LString(data[pos : pos+e]))
				n++
				size = e + 1
			}
			pos += size
		}
		L.Push(lua.LNumber(pos + 1))
		return n + 1
	},
	"size": func(L *lua.LState) int {
		f := L.CheckString(1)
		h := structHeader{little: true, align: 1}
		pos := 0
		for i := 0; i < len(f); {
			opt, size := structOption(L, f, &i, &h)
			pos += structPad(pos, &h, opt, size)
			if opt == 's' {
				L.ArgError(1, "options 's' has no fixed size")
			} else if opt == 'c' && size == 0 {
				L.ArgError(1, "options 'c0' has no fixed size")
			}
			pos += size
		}
		L.Push(lua.LNumber(pos))
		return 1
	},
}
