package libkv

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/kvkit/kvkit/internal/sds"
	"github.com/kvkit/kvkit/libkv/luaapi"
	"github.com/kvkit/kvkit/libkv/resp"
)

// scriptGlobals are the globals Redis 7.0's sandbox leaves to scripts
// (script_lua.c's allow lists): everything else is absent, and reading
// it is an error.
var scriptGlobals = []string{
	"assert", "collectgarbage", "error", "getmetatable", "ipairs", "load", "loadstring", "next",
	"pairs", "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber",
	"tostring", "type", "unpack", "xpcall", "_VERSION", "coroutine", "string", "table", "math",
}

// newLuaState creates the sandboxed interpreter: the allowed standard
// libraries, redis, cjson, cmsgpack, bit and struct, all behind a read-only
// global table (Redis 7.0's lua_enablereadonlytable). It returns the
// state and the table holding the real globals.
func newLuaState(s *Server) (*lua.LState, *lua.LTable) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	luaapi.Open(L)
	old := L.G.Global
	real := L.NewTable()
	for _, name := range append(scriptGlobals, "cjson", "cmsgpack", "bit", "struct") {
		real.RawSetString(name, old.RawGetString(name))
	}
	real.RawSetString("redis", newRedisTable(L, s))
	real.RawSetString("pcall", L.NewFunction(luaPcall))
	g := L.NewTable() // what scripts see: empty, reads go to real
	real.RawSetString("_G", g)
	gm := L.NewTable()
	gm.RawSetString("__index", real)
	gm.RawSetString("__newindex", L.NewFunction(luaReadonlyError))
	gm.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(g, gm)
	rm := L.NewTable()
	rm.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	L.SetMetatable(real, rm)
	L.G.Global = g
	L.Env = g
	return L, real
}

// luaAPIError raises the error of a redis.* function as Redis 7.0's
// luaPushError + luaError: a table {err="ERR <msg>"}, without a position.
func luaAPIError(L *lua.LState, msg string) {
	t := L.NewTable()
	t.RawSetString("err", lua.LString("ERR "+msg))
	L.Error(t, 1)
}

// luaPcall is Redis 7.0's pcall (luaRedisPcall): Lua's pcall, except that
// an error table {err=...} is returned as its message string.
func luaPcall(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(1, "value expected")
	}
	err := L.PCall(n-1, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	var obj lua.LValue = lua.LString(err.Error())
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if msg, ok := t.RawGetString("err").(lua.LString); ok {
			obj = msg
		}
	}
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

func luaReadonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// readonly returns a read-only view of t: an empty table whose reads go to
// t and whose writes fail, as Redis 7.0 protects its library tables.
func readonly(L *lua.LState, t *lua.LTable) *lua.LTable { return readonlyIndex(L, t) }

// readonlyIndex is a read-only table whose reads go to index (a table or
// an __index function).
func readonlyIndex(L *lua.LState, index lua.LValue) *lua.LTable {
	v := L.NewTable()
	m := L.NewTable()
	m.RawSetString("__index", index)
	m.RawSetString("__newindex", L.NewFunction(luaReadonlyError))
	m.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(v, m)
	return v
}

// Constants of the redis table (Redis 7.0 script_lua.c).
const (
	replAOF   = 1
	replSlave = 2
	replAll   = 3
)

// redisVersionNum is 7.0.15 as REDIS_VERSION_NUM (0x00MMmmpp).
const redisVersionNum = 7<<16 | 0<<8 | 15

// newRedisTable builds the redis table scripts call.
func newRedisTable(L *lua.LState, s *Server) *lua.LTable {
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return s.luaRedisCall(L, true) },
		"pcall": func(L *lua.LState) int { return s.luaRedisCall(L, false) },
		"error_reply": func(L *lua.LState) int {
			return statusTable(L, "err", "wrong number or type of arguments")
		},
		"status_reply": func(L *lua.LState) int {
			return statusTable(L, "ok", "wrong number or type of arguments")
		},
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaAPIError(L, "wrong number of arguments")
			}
			L.Push(lua.LString(sha1hex([]byte(L.ToString(1)))))
			return 1
		},
		"log": func(L *lua.LState) int { return s.luaLog(L) },
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaAPIError(L, "redis.setresp() requires one argument.")
			}
			v := L.ToInt(1)
			if v != 2 && v != 3 {
				luaAPIError(L, "RESP version must be 2 or 3.")
			}
			if r := s.script.run; r != nil {
				r.fake.w.Proto = v
			}
			return 0
		},
		"set_repl": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaAPIError(L, "redis.set_repl() requires two arguments.")
			}
			if v := L.ToInt(1); v&^replAll != 0 {
				luaAPIError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
			}
			return 0
		},
		// Effects replication is the only mode of Redis 7.0.
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": logDebug, "LOG_VERBOSE": logVerbose, "LOG_NOTICE": logNotice, "LOG_WARNING": logWarning,
		"REPL_NONE": 0, "REPL_AOF": replAOF, "REPL_SLAVE": replSlave, "REPL_REPLICA": replSlave, "REPL_ALL": replAll,
		"REDIS_VERSION_NUM": redisVersionNum,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	return readonly(L, t)
}

// statusTable is redis.error_reply and redis.status_reply: {field=msg}.
func statusTable(L *lua.LState, field, usage string) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		// Returned, not raised: the script's reply is this error.
		t := L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+usage))
		L.Push(t)
		return 1
	}
	msg := L.ToString(1)
	t := L.NewTable()
	t.RawSetString(field, lua.LString(msg))
	L.Push(t)
	return 1
}

// luaLog is redis.log(level, message...).
func (s *Server) luaLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		luaAPIError(L, "redis.log() requires two arguments or more.")
	}
	if L.Get(1).Type() != lua.LTNumber {
		luaAPIError(L, "First argument must be a number (log level).")
	}
	level := L.ToInt(1)
	if level < logDebug || level > logWarning {
		luaAPIError(L, "Invalid debug level.")
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		if i > 2 {
			b.WriteByte(' ')
		}
		b.WriteString(L.ToString(i))
	}
	s.log.logf(level, "%s", b.String())
	return 0
}

// luaRedisCall is redis.call (raise) and redis.pcall: the arguments, the
// command, and its reply converted to Lua (Redis's luaRedisGenericCommand).
func (s *Server) luaRedisCall(L *lua.LState, raise bool) int {
	r := s.script.run
	n := L.GetTop()
	fail := func(msg string) int {
		t := L.NewTable()
		t.RawSetString("err", lua.LString(msg))
		if raise {
			L.Error(t, 1)
		}
		L.Push(t)
		return 1
	}
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			// Commands read their arguments and copy what they keep (the
			// engine's rule for the parser's reused buffers), so the Lua
			// string's bytes are passed without a copy.
			args[i-1] = unsafe.Slice(unsafe.StringData(string(v)), len(v))
		case lua.LNumber:
			// Not lua_tolstring's %.14g: Redis 7.0 formats numbers with
			// %.17g so that they keep their precision.
			args[i-1] = resp.AppendG17(nil, float64(v))
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	if r == nil {
		return fail("ERR redis.call is not available here")
	}
	reply, msg := r.scriptCall(args)
	if msg != "" {
		return fail(msg)
	}
	v, _ := respToLua(L, reply)
	if t, ok := v.(*lua.LTable); ok && len(reply) > 0 && reply[0] == '-' {
		// The command's error is counted already: the script's own
		// error reply made of it is not counted again (Redis's
		// ignore_error_stats_update).
		t.RawSetString(ignoreErrStats, lua.LTrue)
		if raise {
			L.Error(t, 1)
		}
	}
	L.Push(v)
	return 1
}

// respToLua converts one reply of the script's client to Lua (Redis 7.0's
// redisProtocolToLuaType): integers to numbers, bulk strings to strings,
// null to false (RESP2) or nil (RESP3), status and error to {ok=} and
// {err=}, arrays to tables; RESP3 maps, sets, doubles, big numbers and
// verbatim strings to {map=}, {set=}, {double=}, {big_number=},
// {verbatim_string={format=,string=}}. It returns the rest of b.
func respToLua(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) < 3 {
		return lua.LNil, nil
	}
	i := bytes.IndexByte(b, '\r')
	if i < 0 || i+2 > len(b) {
		return lua.LNil, nil
	}
	raw, rest := b[1:i], b[i+2:]
	switch b[0] {
	case ':':
		n, _ := sds.ParseInt(raw)
		return lua.LNumber(n), rest
	case '$', '=':
		n64, _ := sds.ParseInt(raw)
		n := int(n64)
		if n < 0 {
			return lua.LFalse, rest
		}
		str := string(rest[:n])
		rest = rest[n+2:]
		if b[0] == '=' {
			t, vt := L.NewTable(), L.NewTable()
			vt.RawSetString("format", lua.LString(str[:3]))
			vt.RawSetString("string", lua.LString(str[4:]))
			t.RawSetString("verbatim_string", vt)
			return t, rest
		}
		return lua.LString(str), rest
	}
	line := string(raw)
	switch b[0] {
	case '+', '-':
		t := L.NewTable()
		field := "ok"
		if b[0] == '-' {
			field = "err"
		}
		t.RawSetString(field, lua.LString(line))
		return t, rest
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(n, 0)
		var v, k lua.LValue
		switch b[0] {
		case '%':
			for j := 0; j < n; j++ {
				k, rest = respToLua(L, rest)
				v, rest = respToLua(L, rest)
				t.RawSet(k, v)
			}
			w := L.NewTable()
			w.RawSetString("map", t)
			return w, rest
		case '~':
			for j := 0; j < n; j++ {
				k, rest = respToLua(L, rest)
				t.RawSet(k, lua.LTrue)
			}
			w := L.NewTable()
			w.RawSetString("set", t)
			return w, rest
		}
		for j := 0; j < n; j++ {
			v, rest = respToLua(L, rest)
			t.RawSetInt(j+1, v)
		}
		return t, rest
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(line == "t"), rest
	case ',':
		f, _ := strconv.ParseFloat(line, 64)
		switch line {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	}
	return lua.LNil, nil
}

// ignoreErrStats marks an error table made from a command's error reply,
// whose error statistics were counted when the command failed.
const ignoreErrStats = "ignore_error_stats_update"

// scriptError writes a script's error reply, counted in the error
// statistics unless counted already (counted).
func (c *Client) scriptError(msg string, counted bool) {
	if counted {
		c.failed = true
		c.w.Error(msg)
		return
	}
	c.addError(msg)
}

// luaToReply writes a script's Lua result as Redis 7.0's
// luaReplyToRedisReply: numbers truncated to integers, booleans as 1/nil
// (RESP2 scripts) or true/false (after redis.setresp(3)), tables as
// {err=}, {ok=}, {double=}, {big_number=}, {map=}, {set=},
// {verbatim_string=} or an array up to the first nil. luaResp is the
// script's redis.setresp protocol.
func luaToReply(L *lua.LState, c *Client, v lua.LValue, luaResp, depth int) {
	w := &c.w
	switch v := v.(type) {
	case lua.LString:
		w.Bulk([]byte(v))
	case lua.LBool:
		if luaResp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(int64(v))
	case *lua.LTable:
		if depth > 1000 {
			w.Error("ERR reached lua stack limit")
			return
		}
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			c.scriptError(string(e), v.RawGetString(ignoreErrStats) != lua.LNil)
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			w.Status(strings.ReplaceAll(strings.ReplaceAll(string(s), "\r", " "), "\n", " "))
			return
		}
		if d, ok := v.RawGetString("double").(lua.LNumber); ok {
			w.Double(float64(d))
			return
		}
		if s, ok := v.RawGetString("big_number").(lua.LString); ok {
			w.BigNumber(string(s))
			return
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			var keys, vals []lua.LValue
			m.ForEach(func(k, val lua.LValue) { keys = append(keys, k); vals = append(vals, val) })
			w.Map(len(keys))
			for i := range keys {
				luaToReply(L, c, keys[i], luaResp, depth+1)
				luaToReply(L, c, vals[i], luaResp, depth+1)
			}
			return
		}
		if st, ok := v.RawGetString("set").(*lua.LTable); ok {
			var keys []lua.LValue
			st.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
			w.Set(len(keys))
			for _, k := range keys {
				luaToReply(L, c, k, luaResp, depth+1)
			}
			return
		}
		if vt, ok := v.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, _ := vt.RawGetString("format").(lua.LString)
			s, _ := vt.RawGetString("string").(lua.LString)
			w.Verbatim(string(f), string(s))
			return
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.Array(n)
		for j := 1; j <= n; j++ {
			luaToReply(L, c, v.RawGetInt(j), luaResp, depth+1)
		}
	default:
		w.Null()
	}
}
