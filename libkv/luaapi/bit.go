package luaapi

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// tobit normalizes a number to a signed 32-bit integer as LuaBitOp's
// barg: the number modulo 2^32 (doubles are first rounded to integers).
func tobit(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	f = math.RoundToEven(f)
	m := math.Mod(f, 4294967296)
	if m < 0 {
		m += 4294967296
	}
	return int32(uint32(m))
}

func bitResult(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

// bitFold applies op to every argument, as bit.band/bor/bxor.
func bitFold(op func(a, b int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		v := tobit(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			v = op(v, tobit(L, i))
		}
		return bitResult(L, v)
	}
}

func bitShift(op func(a uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		return bitResult(L, int32(op(uint32(tobit(L, 1)), uint(tobit(L, 2))&31)))
	}
}

// bitFuncs is LuaBitOp 1.0's bit library (Redis deps/lua/src/lua_bit.c).
var bitFuncs = map[string]lua.LGFunction{
	"tobit":   func(L *lua.LState) int { return bitResult(L, tobit(L, 1)) },
	"bnot":    func(L *lua.LState) int { return bitResult(L, ^tobit(L, 1)) },
	"band":    bitFold(func(a, b int32) int32 { return a & b }),
	"bor":     bitFold(func(a, b int32) int32 { return a | b }),
	"bxor":    bitFold(func(a, b int32) int32 { return a ^ b }),
	"lshift":  bitShift(func(a uint32, n uint) uint32 { return a << n }),
	"rshift":  bitShift(func(a uint32, n uint) uint32 { return a >> n }),
	"arshift": bitShift(func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
	"rol":     bitShift(func(a uint32, n uint) uint32 { return a<<n | a>>(32-n) }),
	"ror":     bitShift(func(a uint32, n uint) uint32 { return a>>n | a<<(32-n) }),
	"bswap": func(L *lua.LState) int {
		b := uint32(tobit(L, 1))
		return bitResult(L, int32(b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24))
	},
	"tohex": func(L *lua.LState) int {
		b := uint32(tobit(L, 1))
		n := int32(8)
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			n = tobit(L, 2)
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n = -n
			digits = "0123456789ABCDEF"
		}
		if n > 8 {
			n = 8
		}
		buf := make([]byte, n)
		for i := int(n) - 1; i >= 0; i-- {
			buf[i] = digits[b&15]
			b >>= 4
		}
		L.Push(lua.LString(buf))
		return 1
	},
}
