package luaapi

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func newState(tb testing.TB) *lua.LState {
	L := lua.NewState()
	tb.Cleanup(L.Close)
	Open(L)
	return L
}

// eval runs code and returns its single result as a string, or the error.
func eval(L *lua.LState, code string) (string, error) {
	if err := L.DoString(code); err != nil {
		return "", err
	}
	v := L.Get(-1)
	L.Pop(1)
	return lua.LVAsString(v), nil
}

func TestLibraries(t *testing.T) {
	L := newState(t)
	for _, tc := range []struct{ code, want string }{
		{`return bit.tohex(bit.bxor(0xf0f0, 0xffff))`, "00000f0f"},
		{`return bit.arshift(-16, 2)`, "-4"},
		{`return bit.ror(1, 1)`, "-2147483648"},
		{`return cjson.encode({1, 'x', {true, false}})`, `[1,"x",[true,false]]`},
		{`return cjson.encode({a = {b = 'c/d'}})`, `{"a":{"b":"c\/d"}}`},
		{`return cjson.decode('{"a":[1,2,{"b":"\\u00e9"}]}').a[3].b`, "é"},
		{`return cjson.decode('[1,null]')[2] == cjson.null and 'null' or 'other'`, "null"},
		{`local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'two', {3})) return a .. b .. c[1]`, "1two3"},
		{`return #cmsgpack.pack(string.rep('x', 70000))`, "70005"},
		{`local v = struct.unpack('>i2', struct.pack('>i2', -300)) return v`, "-300"},
		{`return struct.size('!4bi4')`, "8"},
		{`local s = struct.pack('<s', 'ab') return #s`, "3"},
	} {
		got, err := eval(L, tc.code)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.code, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ code, want string }{
		{`return cjson.decode('[1,')`, "Expected value but found T_END at character 4"},
		{`return cjson.encode({[1] = 1, [100] = 2})`, "excessively sparse array"},
		{`return cmsgpack.unpack('\221\255\255\255\255')`, "Missing bytes in input."},
		{`return struct.unpack('i4', 'ab')`, "data string too short"},
		{`return struct.pack('i40', 1)`, "integral size 40 is larger than limit of 32"},
	} {
		if _, err := eval(L, tc.code); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
}

// FuzzDecoders feeds arbitrary bytes to the decoders that read untrusted
// input (cjson.decode, cmsgpack.unpack, struct.unpack): each either
// returns or raises a Lua error, never panics or allocates without bound.
func FuzzDecoders(f *testing.F) {
	for _, seed := range []string{`{"a":[1,2,{"b":null}]}`, `[1,`, "\x93\x01\x02\xa1x", "\xdd\xff\xff\xff\xff", "\xdf\x00\x00\x00\x01\xc0\xc0", "abc\x00def"} {
		f.Add([]byte(seed), ">i2s")
	}
	L := newState(f)
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		for _, fn := range []string{"cjson.decode", "cmsgpack.unpack"} {
			L.SetTop(0)
			_ = L.CallByParam(lua.P{Fn: L.GetField(L.GetGlobal(strings.Split(fn, ".")[0]), strings.Split(fn, ".")[1]), NRet: lua.MultRet, Protect: true}, lua.LString(data))
		}
		L.SetTop(0)
		_ = L.CallByParam(lua.P{Fn: L.GetField(L.GetGlobal("struct"), "unpack"), NRet: lua.MultRet, Protect: true}, lua.LString(format), lua.LString(data))
	})
}
