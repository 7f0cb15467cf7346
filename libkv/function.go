package libkv

import (
	"encoding/binary"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/kvkit/kvkit/libkv/glob"
	"github.com/kvkit/kvkit/librdb"
)

// Functions (Redis 7.0 functions.c, function_lua.c): libraries loaded by
// FUNCTION LOAD, whose code registers functions with
// redis.register_function, called by FCALL and FCALL_RO.

// functionLib is the server's function libraries and their functions.
type functionLib struct {
	libs  map[string]*library
	funcs map[string]*function // every library's functions by name
}

// library is one loaded library.
type library struct {
	name  string
	code  string
	funcs []*function // in registration order
}

// function is one registered function.
type function struct {
	name  string
	desc  string
	hasD  bool
	flags shebangFlags
	fn    *lua.LFunction
	lib   *library
}

// functions returns the server's libraries, creating the set on first use.
func (s *Server) functions() *functionLib {
	e := s.scripting()
	if e.funcs == nil {
		e.funcs = &functionLib{libs: map[string]*library{}, funcs: map[string]*function{}}
	}
	return e.funcs
}

var functionCommands = map[string]cmdFunc{
	"function|load":    functionLoadCommand,
	"function|delete":  functionDeleteCommand,
	"function|list":    functionListCommand,
	"function|flush":   functionFlushCommand,
	"function|stats":   functionStatsCommand,
	"function|kill":    func(c *Client, args [][]byte) { c.scriptKill(false) },
	"function|dump":    functionDumpCommand,
	"function|restore": functionRestoreCommand,
	"function|help":    functionHelpCommand,
	"fcall":            func(c *Client, args [][]byte) { c.fcallCommand(args, false) },
	"fcall_ro":         func(c *Client, args [][]byte) { c.fcallCommand(args, true) },
}

func init() {
	for name, fn := range functionCommands {
		scriptCommands[name] = fn
	}
}

// validName reports whether name is a valid library or function name:
// letters, digits and underscores, at least one.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// parseLibraryShebang reads "#!lua name=<lib>" (functionExtractLibMetaData).
func parseLibraryShebang(code string) (string, string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "ERR Missing library metadata"
	}
	line := code
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	parts := strings.Split(line, " ")
	engine := parts[0][2:]
	name := ""
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", "ERR Invalid metadata value given: " + p
		}
		if name != "" {
			return "", "ERR Invalid metadata value, name argument was given multiple times"
		}
		name = v
	}
	if name == "" {
		return "", "ERR Library name was not given"
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "ERR Engine '" + engine + "' not found"
	}
	return name, ""
}

// loadLibrary compiles and runs a library's code, collecting its functions
// (functionsCreateWithLibraryCtx); replace allows an existing library of
// the same name to be replaced. It does not install the library.
func (s *Server) loadLibrary(code string, replace bool) (*library, string) {
	fl := s.functions()
	name, msg := parseLibraryShebang(code)
	if msg != "" {
		return nil, msg
	}
	if !validName(name) {
		return nil, "ERR " + errBadName
	}
	if fl.libs[name] != nil && !replace {
		return nil, "ERR Library '" + name + "' already exists"
	}
	e := s.scripting()
	L := e.L
	src := "--" + code[strings.IndexByte(code+"\n", '\n'):]
	fn, err := L.Load(strings.NewReader(src), "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + luaCompileError(err, strings.Count(src, "\n")+1)
	}
	lib := &library{name: name, code: code}
	seen := map[string]bool{}
	// While the code runs, redis is the load-time table (register_function,
	// log, the constants), as function_lua.c's luaEngineLoadCode.
	saved := e.globals.RawGetString("redis")
	e.globals.RawSetString("redis", loadRedisTable(L, saved, func(f *function) string {
		if seen[f.name] {
			return "Function already exists in the library"
		}
		seen[f.name] = true
		f.lib = lib
		lib.funcs = append(lib.funcs, f)
		return ""
	}))
	L.Push(fn)
	perr := L.PCall(0, 0, L.NewFunction(luaErrorHandler))
	e.globals.RawSetString("redis", saved)
	if perr != nil {
		m := "ERR unknown error"
		if ae, ok := perr.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				m = lua.LVAsString(t.RawGetString("err"))
			}
		}
		return nil, "ERR Error registering functions: " + m
	}
	if len(lib.funcs) == 0 {
		return nil, "ERR No functions registered"
	}
	for _, f := range lib.funcs {
		if old := fl.funcs[f.name]; old != nil && old.lib.name != name {
			return nil, "ERR Function " + f.name + " already exists"
		}
	}
	return lib, ""
}

// install adds lib, replacing a library of the same name.
func (fl *functionLib) install(lib *library) {
	fl.remove(lib.name)
	fl.libs[lib.name] = lib
	for _, f := range lib.funcs {
		fl.funcs[f.name] = f
	}
}

func (fl *functionLib) remove(name string) {
	if old := fl.libs[name]; old != nil {
		for _, f := range old.funcs {
			delete(fl.funcs, f.name)
		}
		delete(fl.libs, name)
	}
}

// loadRedisTable is the redis table library code sees while it loads:
// register_function, log, setresp and the constants; add registers a
// function or returns why not.
func loadRedisTable(L *lua.LState, full lua.LValue, add func(*function) string) *lua.LTable {
	t := L.NewTable()
	for _, name := range []string{"log", "setresp", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		t.RawSetString(name, L.GetField(full, name))
	}
	t.RawSetString("register_function", L.NewFunction(func(L *lua.LState) int {
		fail := func(msg string) int {
			e := L.NewTable()
			e.RawSetString("err", lua.LString("ERR "+msg))
			L.Error(e, 1)
			return 0
		}
		f := &function{}
		var cb lua.LValue
		switch L.GetTop() {
		case 1:
			arg, ok := L.Get(1).(*lua.LTable)
			if !ok {
				return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
			}
			var bad string
			arg.ForEach(func(k, v lua.LValue) {
				ks, ok := k.(lua.LString)
				if !ok {
					bad = "named argument key given to redis.register_function is not a string"
					return
				}
				switch string(ks) {
				case "function_name":
					if s, ok := v.(lua.LString); ok {
						f.name = string(s)
					} else {
						bad = "function_name argument given to redis.register_function must be a string"
					}
				case "description":
					if s, ok := v.(lua.LString); ok {
						f.desc, f.hasD = string(s), true
					} else {
						bad = "description argument given to redis.register_function must be a string"
					}
				case "callback":
					if _, ok := v.(*lua.LFunction); ok {
						cb = v
					} else {
						bad = "callback argument given to redis.register_function must be a function"
					}
				case "flags":
					ft, ok := v.(*lua.LTable)
					if !ok {
						bad = "flags argument to redis.register_function must be a table representing function flags"
						return
					}
					ft.ForEach(func(_, fv lua.LValue) {
						fs, ok := fv.(lua.LString)
						if !ok || !f.flags.set(string(fs)) {
							bad = "unknown flag given"
						}
					})
				default:
					bad = "unknown argument given to redis.register_function"
				}
			})
			if bad != "" {
				return fail(bad)
			}
			if f.name == "" {
				return fail("redis.register_function must get a function name argument")
			}
			if cb == nil {
				return fail("redis.register_function must get a callback argument")
			}
		case 2:
			if t := L.Get(1).Type(); t != lua.LTString && t != lua.LTNumber {
				return fail("first argument to redis.register_function must be a string")
			}
			f.name = L.ToString(1)
			if _, ok := L.Get(2).(*lua.LFunction); !ok {
				return fail("second argument to redis.register_function must be a function")
			}
			cb = L.Get(2)
		default:
			return fail("wrong number of arguments to redis.register_function")
		}
		if !validName(f.name) {
			return fail(errBadName)
		}
		f.fn = cb.(*lua.LFunction)
		if msg := add(f); msg != "" {
			return fail(msg)
		}
		return 0
	}))
	// Redis 7.0 reports a missing field of this table as a missing global.
	return readonlyIndex(L, L.NewFunction(func(L *lua.LState) int {
		if x := t.RawGet(L.Get(2)); x != lua.LNil {
			L.Push(x)
			return 1
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
}

func functionLoadCommand(c *Client, args [][]byte) {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if !eqFold(args[i], "replace") {
			c.addError("ERR Unknown option given: " + string(args[i]))
			return
		}
		replace = true
	}
	if i != len(args)-1 {
		c.addError("ERR Function code was not given")
		return
	}
	lib, msg := c.srv.loadLibrary(string(args[i]), replace)
	if msg != "" {
		c.addError(msg)
		return
	}
	c.srv.functions().install(lib)
	c.srv.dirty++
	c.w.BulkString(lib.name)
}

func functionDeleteCommand(c *Client, args [][]byte) {
	fl := c.srv.functions()
	if fl.libs[string(args[2])] == nil {
		c.addError("ERR Library not found")
		return
	}
	fl.remove(string(args[2]))
	c.srv.dirty++
	c.w.OK()
}

func functionFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async")) {
		c.addError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.srv.script.funcs = nil
	c.srv.dirty++
	c.w.OK()
}

// sortedLibs returns the libraries by name (Redis lists them in its dict's
// order, which no client may rely on).
func (fl *functionLib) sortedLibs() []*library {
	libs := make([]*library, 0, len(fl.libs))
	for _, l := range fl.libs {
		libs = append(libs, l)
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].name < libs[j].name })
	return libs
}

func functionListCommand(c *Client, args [][]byte) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case eqFold(args[i], "withcode") && !withCode:
			withCode = true
		case eqFold(args[i], "libraryname") && pattern == nil && i+1 < len(args):
			i++
			pattern = args[i]
		default:
			c.addError("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	var libs []*library
	for _, l := range c.srv.functions().sortedLibs() {
		if pattern == nil || glob.Match(pattern, []byte(l.name), false) {
			libs = append(libs, l)
		}
	}
	w := &c.w
	w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			w.Map(4)
		} else {
			w.Map(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.funcs))
		for _, f := range l.funcs {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.name)
			w.BulkString("description")
			if f.hasD {
				w.BulkString(f.desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			names := f.flags.names()
			w.Set(len(names))
			for _, n := range names {
				w.Status(n)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.code)
		}
	}
}

// names lists the flags that are set, in Redis's scripts_flags_def order.
func (f shebangFlags) names() []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.noWrites, "no-writes"}, {f.allowOOM, "allow-oom"}, {f.allowStale, "allow-stale"},
		{f.noCluster, "no-cluster"}, {f.allowCrossSlot, "allow-cross-slot-keys"}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

func functionStatsCommand(c *Client, args [][]byte) {
	s := c.srv
	fl := s.functions()
	w := &c.w
	w.Map(2)
	w.BulkString("running_script")
	if r := s.script.run; r != nil && !r.eval {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(r.name)
		w.BulkString("command")
		w.Array(len(r.args))
		for _, a := range r.args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(r.start).Milliseconds())
	} else {
		w.Null()
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(len(fl.libs)))
	w.BulkString("functions_count")
	w.Int(int64(len(fl.funcs)))
}

// fcallCommand is FCALL and FCALL_RO (fcallCommandGeneric).
func (c *Client) fcallCommand(args [][]byte, ro bool) {
	f := c.srv.functions().funcs[string(args[1])]
	if f == nil {
		c.addError("ERR Function not found")
		return
	}
	keys, argv, ok := c.keysAndArgs(args[2:])
	if !ok {
		return
	}
	if ro && !f.flags.noWrites {
		c.addError("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	f.flags.shebang = true
	if msg := c.checkScriptFlags(f.flags, false); msg != "" {
		c.addError(msg)
		return
	}
	c.runScript(f.fn, false, f.name, f.flags, ro || f.flags.noWrites, keys, argv, args)
}

// FUNCTION DUMP/RESTORE payloads: each library as RDB_OPCODE_FUNCTION2
// and its code as an RDB string, then the 2-byte RDB version and the
// CRC64 of all before it (functions.c functionDumpCommand).

// dumpVersion is the RDB version of kv-server's payloads (Redis 7.0's).
const dumpVersion = 10

func functionDumpCommand(c *Client, args [][]byte) {
	var b []byte
	for _, l := range c.srv.functions().sortedLibs() {
		b = append(b, librdb.OpFunction2)
		b = appendRDBString(b, []byte(l.code))
	}
	b = binary.LittleEndian.AppendUint16(b, dumpVersion)
	b = binary.LittleEndian.AppendUint64(b, librdb.CRC64(0, b))
	c.w.Bulk(b)
}

// appendRDBString appends s as rdbSaveRawString with rdbcompression on:
// LZF when longer than 20 bytes and it saves at least 4 bytes, else raw.
// (Library code is never written integer-encoded: it starts with "#!".)
func appendRDBString(b, s []byte) []byte {
	if len(s) > 20 {
		if z := librdb.LZFCompress(nil, s, len(s)-4); z != nil {
			b = append(b, 0xC3)
			b = appendRDBLen(b, uint64(len(z)))
			b = appendRDBLen(b, uint64(len(s)))
			return append(b, z...)
		}
	}
	return append(appendRDBLen(b, uint64(len(s))), s...)
}

func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 1<<32-1:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// readRDBLen reads an RDB length; encoded reports the 0xC0 special form
// (its low 6 bits are returned).
func readRDBLen(b []byte) (n uint64, encoded bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], true
	case 3:
		return uint64(b[0] & 0x3f), true, b[1:], true
	}
	switch b[0] {
	case 0x80:
		if len(b) < 5 {
			return 0, false, nil, false
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
	case 0x81:
		if len(b) < 9 {
			return 0, false, nil, false
		}
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
	}
	return 0, false, nil, false
}

// readRDBString reads a raw or LZF RDB string (library code is never
// integer-encoded).
func readRDBString(b []byte) ([]byte, []byte, bool) {
	n, enc, b, ok := readRDBLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(b)) < n {
			return nil, nil, false
		}
		return b[:n], b[n:], true
	}
	if n != 3 {
		return nil, nil, false
	}
	clen, _, b, ok := readRDBLen(b)
	if !ok {
		return nil, nil, false
	}
	ulen, _, b, ok := readRDBLen(b)
	if !ok || uint64(len(b)) < clen || ulen > clen*100+64 { // LZF expands at most ~88 times
		return nil, nil, false
	}
	out, err := librdb.LZFDecompress(nil, b[:clen], int(ulen))
	if err != nil {
		return nil, nil, false
	}
	return out, b[clen:], true
}

func functionRestoreCommand(c *Client, args [][]byte) {
	s := c.srv
	policy := "append"
	if len(args) > 4 {
		c.addError(errSyntax)
		return
	}
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "append"), eqFold(args[3], "replace"), eqFold(args[3], "flush"):
			policy = strings.ToLower(string(args[3]))
		default:
			c.addError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	p := args[2]
	if len(p) < 10 || binary.LittleEndian.Uint16(p[len(p)-10:]) > 10 ||
		librdb.CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(p[len(p)-8:]) {
		c.addError("ERR DUMP payload version or checksum are wrong")
		return
	}
	body := p[:len(p)-10]
	var libs []*library
	fresh := &functionLib{libs: map[string]*library{}, funcs: map[string]*function{}}
	for len(body) > 0 {
		if body[0] != librdb.OpFunction2 {
			c.addError("ERR given type is not a function")
			return
		}
		code, rest, ok := readRDBString(body[1:])
		if !ok {
			c.addError("ERR Failed loading library")
			return
		}
		body = rest
		// Each library is checked on its own here, against the others in
		// the payload; against the installed ones below, by policy.
		saved := s.script.funcs
		s.script.funcs = fresh
		lib, msg := s.loadLibrary(string(code), false)
		s.script.funcs = saved
		if msg != "" {
			c.addError(msg)
			return
		}
		fresh.install(lib)
		libs = append(libs, lib)
	}
	fl := s.functions()
	if policy == "flush" {
		s.script.funcs = fresh
		s.dirty++
		c.w.OK()
		return
	}
	for _, lib := range libs {
		if fl.libs[lib.name] != nil && policy == "append" {
			c.addError("ERR Library " + lib.name + " already exists")
			return
		}
		for _, f := range lib.funcs {
			if old := fl.funcs[f.name]; old != nil && (policy == "append" || old.lib.name != lib.name) {
				c.addError("ERR Function " + f.name + " already exists")
				return
			}
		}
	}
	for _, lib := range libs {
		fl.install(lib)
	}
	s.dirty++
	c.w.OK()
}

func functionHelpCommand(c *Client, args [][]byte) {
	c.replyHelp("FUNCTION", []string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	})
}
