// Package luaapi provides the Lua libraries Redis 7.0 gives scripts beside
// Lua 5.1's own (deps/lua/src in Redis): bit (LuaBitOp), cjson (lua-cjson),
// cmsgpack (lua-cmsgpack) and struct (Roberto Ierusalimschy's struct), for
// gopher-lua states. Behaviour follows those C libraries as Redis builds
// them; where gopher-lua differs (table iteration order), the difference
// is noted at the function.
package luaapi

import lua "github.com/yuin/gopher-lua"

// Open registers the bit, cjson, cmsgpack and struct tables as globals of L.
func Open(L *lua.LState) {
	for name, fns := range map[string]map[string]lua.LGFunction{
		"bit":      bitFuncs,
		"cjson":    cjsonFuncs,
		"cmsgpack": msgpackFuncs,
		"struct":   structFuncs,
	} {
		t := L.NewTable()
		for n, fn := range fns {
			t.RawSetString(n, L.NewFunction(fn))
		}
		L.SetGlobal(name, t)
	}
	openCjson(L, L.GetGlobal("cjson").(*lua.LTable))
}
