package luaapi

import lua "github.com/yuin/gopher-lua"

var structFuncs = map[string]lua.LGFunction{}
