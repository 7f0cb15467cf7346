package libkv

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/kvkit/kvkit/libkv/cmdtable"
)

// Scripting (Redis 7.0 eval.c, script.c, script_lua.c): EVAL and its
// variants, SCRIPT, and the run context shared with functions.
//
// Atomicity and -BUSY. A script runs on its caller's goroutine with the
// engine lock held, so it is atomic. Once it has run longer than
// busy-reply-threshold, the instruction hook (luaHook.Done, which
// gopher-lua calls before every VM instruction) marks the server busy and,
// every hookEvery instructions, releases the engine lock for a moment, as
// Redis's hook calls processEventsWhileBlocked: the clients waiting for the
// lock then run, and process() answers every command without the
// allow_busy flag with -BUSY. SCRIPT KILL and FUNCTION KILL (allow_busy)
// set the run's kill flag, which the hook turns into an error that unwinds
// the script. Go's mutex hands itself to a waiter that has waited for 1 ms
// (starvation mode), so waiting clients are not starved by the script's
// immediate re-lock. The cron skips its keyspace work while busy.
//
// Effects replication. Redis 7.0 replicates a script as the write commands
// it executed, wrapped in MULTI/EXEC. scriptRun.effects collects them
// (copies of the arguments, with the database they ran in); when the run
// ends the server's scriptEffects hook, if set, receives them. Nothing
// consumes the hook yet: the AOF and replication will.

// hookEvery is how many VM instructions pass between two checks of the
// clock and the kill flag (Redis's hook runs every 100000 instructions).
const hookEvery = 10000

const (
	errBusyEval = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunc = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy  = "NOTBUSY No scripts in execution right now."
	errUnkill   = "UNKILLABLE Sorry the script already executed write commands against the dataset. " +
		"You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errNoScript = "NOSCRIPT No matching script. Please use EVAL."
)

// ScriptEffect is one write command a script executed, for effects
// replication: the database it ran in and its arguments (copies).
type ScriptEffect struct {
	DB   int
	Args [][]byte
}

// scriptEngine is the server's Lua interpreter and script caches; under
// the engine lock.
type scriptEngine struct {
	L       *lua.LState
	globals *lua.LTable // the sandbox's real globals (the proxy's __index)
	scripts map[string]*evalScript
	bodyMem int64      // bytes of the cached script bodies
	run     *scriptRun // the run in progress (&runCtx), or nil
	runCtx  scriptRun
	fake    *Client        // the client scripts' commands run as
	handler *lua.LFunction // luaErrorHandler
	busy    bool
	funcs   *functionLib // FUNCTION libraries (function.go)
	// effects, when set, receives the write commands of each script run
	// that wrote, in order, to be wrapped in MULTI/EXEC.
	effects func([]ScriptEffect)
}

// evalScript is a cached EVAL script.
type evalScript struct {
	sha  string
	body string
	fn   *lua.LFunction
}

// scriptRun is the context of the script (or function) running now.
type scriptRun struct {
	s        *Server
	caller   *Client
	fake     *Client  // the client the script's commands run as
	eval     bool     // EVAL (not FCALL): selects the -BUSY and kill errors
	name     string   // sha1 of an EVAL script, the function's name
	args     [][]byte // the EVAL or FCALL command, for FUNCTION STATS
	readOnly bool     // EVAL_RO, FCALL_RO or the no-writes flag
	allowOOM bool     // the allow-oom flag: no memory check of its writes
	start    time.Time
	wrote    bool
	killed   bool
	effects  []ScriptEffect
	done     chan struct{} // nil (never ready), closedChan once killed
	ticks    int
}

// scripting returns the server's script engine, creating the interpreter
// on first use.
func (s *Server) scripting() *scriptEngine {
	e := &s.script
	if e.L == nil {
		e.L, e.globals = newLuaState(s)
		e.scripts = map[string]*evalScript{}
	}
	return e
}

// scriptBusy reports whether a script has run past busy-reply-threshold;
// under the engine lock.
func (s *Server) scriptBusy() bool { return s.script.busy }

// busyError is the -BUSY reply for the running script's kind.
func (s *Server) busyError() string {
	if r := s.script.run; r != nil && !r.eval {
		return errBusyFunc
	}
	return errBusyEval
}

// A scriptRun is the context gopher-lua checks before each instruction:
// every hookEvery calls Done looks at the clock and yields the engine lock
// once the script is busy; a killed run's Done channel is closed.
func (r *scriptRun) Deadline() (time.Time, bool) { return time.Time{}, false }
func (r *scriptRun) Value(any) any               { return nil }
func (r *scriptRun) Err() error                  { return errScriptKilled }
func (r *scriptRun) Done() <-chan struct{} {
	r.ticks++
	if r.ticks >= hookEvery {
		r.ticks = 0
		r.tick()
	}
	return r.done
}

// closedChan is the Done channel of a killed run.
var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

type scriptKilledError struct{}

func (scriptKilledError) Error() string { return "Script killed by user with SCRIPT KILL..." }

var errScriptKilled error = scriptKilledError{}

// tick is the hook's periodic work (Redis's luaMaskCountHook and
// scriptInterrupt): past the threshold, mark the server busy, log it once,
// and let the waiting clients in.
func (r *scriptRun) tick() {
	s := r.s
	if r.killed {
		return
	}
	limit := s.conf.BusyReplyThreshold
	if limit <= 0 || time.Since(r.start) < time.Duration(limit)*time.Millisecond {
		return
	}
	if !s.script.busy {
		s.script.busy = true
		what := "SCRIPT KILL"
		if !r.eval {
			what = "FUNCTION KILL"
		}
		s.log.Warning("Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.",
			time.Since(r.start).Milliseconds(), what, r.name)
	}
	s.mu.Unlock()
	runtime.Gosched()
	s.mu.Lock()
	select {
	case <-s.done:
		// SHUTDOWN (allow_busy) ran meanwhile: the script stops with it.
		r.killed = true
	default:
	}
	if r.killed {
		r.done = closedChan
	}
}

// scriptKill is SCRIPT KILL (eval) and FUNCTION KILL (Redis's scriptKill).
func (c *Client) scriptKill(eval bool) {
	r := c.srv.script.run
	switch {
	case r == nil:
		c.addError(errNotBusy)
	case r.wrote:
		c.addError(errUnkill)
	case eval && !r.eval:
		c.addError(errBusyFunc)
	case !eval && r.eval:
		c.addError(errBusyEval)
	default:
		r.killed = true
		c.w.OK()
	}
}

func sha1hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

var scriptCommands = map[string]cmdFunc{
	"eval":          func(c *Client, args [][]byte) { c.evalCommand(args, false, false) },
	"evalsha":       func(c *Client, args [][]byte) { c.evalCommand(args, true, false) },
	"eval_ro":       func(c *Client, args [][]byte) { c.evalCommand(args, false, true) },
	"evalsha_ro":    func(c *Client, args [][]byte) { c.evalCommand(args, true, true) },
	"script|load":   scriptLoadCommand,
	"script|exists": scriptExistsCommand,
	"script|flush":  scriptFlushCommand,
	"script|kill":   func(c *Client, args [][]byte) { c.scriptKill(true) },
	"script|help":   scriptHelpCommand,
	"script|debug":  scriptDebugCommand,
}

// keysAndArgs splits EVAL/FCALL arguments after the script: numkeys, the
// keys, the arguments; it writes Redis's errors.
func (c *Client) keysAndArgs(args [][]byte) (keys, argv [][]byte, ok bool) {
	n, ok := c.intArg(args[0])
	if !ok {
		return nil, nil, false
	}
	if n > int64(len(args)-1) {
		c.addError("ERR Number of keys can't be greater than number of args")
		return nil, nil, false
	}
	if n < 0 {
		c.addError("ERR Number of keys can't be negative")
		return nil, nil, false
	}
	return args[1 : 1+n], args[1+n:], true
}

// evalCommand is EVAL, EVALSHA, EVAL_RO and EVALSHA_RO (evalGenericCommand).
func (c *Client) evalCommand(args [][]byte, bySHA, ro bool) {
	e := c.srv.scripting()
	keys, argv, ok := c.keysAndArgs(args[2:])
	if !ok {
		return
	}
	var sha string
	var sc *evalScript
	if bySHA {
		if sc = e.scripts[string(args[1])]; sc == nil {
			sha = strings.ToLower(string(args[1]))
			sc = e.scripts[sha]
		}
	} else {
		sha = sha1hex(args[1])
		sc = e.scripts[sha]
	}
	if sc == nil {
		if bySHA {
			c.addError(errNoScript)
			return
		}
		var err string
		if sc, err = e.compile(sha, string(args[1])); err != "" {
			c.addError(err)
			return
		}
	}
	flags, err := parseShebang(sc.body)
	if err != "" {
		c.addError(err)
		return
	}
	if flags.noWrites {
		ro = true
	}
	if msg := c.checkScriptFlags(flags, true); msg != "" {
		c.addError(msg)
		return
	}
	c.runScript(sc.fn, true, sc.sha, flags, ro, keys, argv, args)
}

// compile compiles an EVAL body and caches it under sha (luaCreateFunction);
// the error is Redis's reply text.
func (e *scriptEngine) compile(sha, body string) (*evalScript, string) {
	src := body
	if strings.HasPrefix(src, "#!") {
		// The shebang line is parsed by parseShebang; Lua must not see it.
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:]
		} else {
			src = ""
		}
	}
	// The body becomes a function without varargs, as Redis's f_<sha>:
	// gopher-lua builds Lua 5.1's implicit "arg" table on every call of a
	// vararg chunk. The wrapper keeps the body's line numbers.
	lines := strings.Count(src, "\n") + 1
	chunk, err := e.L.Load(strings.NewReader("return function() "+src+"\nend"), "user_script")
	if err != nil && strings.Contains(err.Error(), "outside a vararg function") {
		// A body that uses "..." (always empty, as in Redis) needs the
		// vararg form, which then builds no "arg" table.
		chunk, err = e.L.Load(strings.NewReader("return function(...) "+src+"\nend"), "user_script")
	}
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + luaCompileError(err, lines)
	}
	e.L.Push(chunk)
	if err := e.L.PCall(0, 1, nil); err != nil {
		return nil, "ERR Error compiling script (new function): " + luaCompileError(err, lines)
	}
	fn, _ := e.L.Get(-1).(*lua.LFunction)
	e.L.Pop(1)
	sc := &evalScript{sha: sha, body: body, fn: fn}
	e.scripts[sha] = sc
	e.bodyMem += int64(len(body))
	return sc, ""
}

// shebangFlags are the flags of a "#!lua flags=..." line (Redis 7.0
// script.c scripts_flags_def).
type shebangFlags struct {
	shebang                                                   bool
	noWrites, allowOOM, allowStale, noCluster, allowCrossSlot bool
}

// parseShebang reads an EVAL script's "#!lua [flags=a,b]" line
// (evalExtractShebangFlags); error is Redis's reply text.
func parseShebang(body string) (shebangFlags, string) {
	var f shebangFlags
	if !strings.HasPrefix(body, "#!") {
		return f, ""
	}
	f.shebang = true
	i := strings.IndexByte(body, '\n')
	if i < 0 {
		return f, "ERR Invalid script shebang"
	}
	parts := strings.Fields(body[:i])
	if len(parts) == 0 || parts[0] != "#!lua" {
		return f, "ERR Unexpected engine in script shebang: " + first(parts)
	}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return f, "ERR Unknown lua shebang option: " + p
		}
		for _, name := range strings.Split(v, ",") {
			if name == "" {
				continue
			}
			if !f.set(name) {
				return f, "ERR Unexpected flag in script shebang: " + name
			}
		}
	}
	return f, ""
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// set turns on the flag called name, or reports that there is none.
func (f *shebangFlags) set(name string) bool {
	switch name {
	case "no-writes":
		f.noWrites = true
	case "allow-oom":
		f.allowOOM = true
	case "allow-stale":
		f.allowStale = true
	case "no-cluster":
		f.noCluster = true
	case "allow-cross-slot-keys":
		f.allowCrossSlot = true
	default:
		return false
	}
	return true
}

// checkScriptFlags applies a flagged script's checks before it runs
// (scriptPrepareForRun); kv-server is never a cluster node or a stale
// replica, so only the memory check applies. Scripts without a shebang
// are checked command by command instead.
func (c *Client) checkScriptFlags(f shebangFlags, eval bool) string {
	if eval && !f.shebang {
		return ""
	}
	if !f.noWrites && !f.allowOOM && c.srv.conf.Maxmemory > 0 && c.evictBeforeCommand(true) {
		return "OOM command not allowed when used memory > 'maxmemory'."
	}
	return ""
}

// runScript calls fn with KEYS/ARGV as globals (EVAL) or as its two
// arguments (FCALL), and writes the converted result to c.
func (c *Client) runScript(fn *lua.LFunction, eval bool, name string, flags shebangFlags, ro bool, keys, argv, cmdArgs [][]byte) {
	s := c.srv
	e := s.scripting()
	L := e.L
	// One script runs at a time: its client and run context are reused.
	fake := e.fake
	if fake == nil {
		fake = &Client{srv: s, authed: true, addr: "lua", denyBlocking: true}
		e.fake = fake
		e.handler = L.NewFunction(luaErrorHandler)
	}
	fake.db = c.db
	fake.w.Proto = 2
	fake.w.Reset()
	r := &e.runCtx
	*r = scriptRun{s: s, caller: c, fake: fake, eval: eval, name: name, args: cmdArgs, readOnly: ro, allowOOM: flags.allowOOM, start: time.Now()}
	e.run = r
	L.SetContext(r)
	keysT, argvT := bytesTable(L, keys), bytesTable(L, argv)
	L.Push(fn)
	nargs := 0
	if eval {
		e.globals.RawSetString("KEYS", keysT)
		e.globals.RawSetString("ARGV", argvT)
	} else {
		L.Push(keysT)
		L.Push(argvT)
		nargs = 2
	}
	errors := s.stats.errorReplies
	err := L.PCall(nargs, 1, e.handler)
	L.RemoveContext()
	e.run = nil
	e.busy = false
	if err != nil {
		msg, counted := scriptErrorMessage(L, err, r)
		c.scriptError(msg, counted)
	} else {
		luaToReply(L, c, L.Get(-1), fake.w.Proto, 0)
		L.Pop(1)
	}
	if s.stats.errorReplies != errors {
		// As call() in Redis: an error reply during the script, its
		// commands' included, makes the script's call a failed one.
		c.failed = true
	}
	if len(r.effects) > 0 && e.effects != nil {
		e.effects(r.effects)
	}
}

// bytesTable makes a Lua array of strings.
func bytesTable(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, b := range items {
		t.Append(lua.LString(b))
	}
	return t
}

// scriptErrorMessage formats a script's error as Redis 7.0's
// luaCallFunction: "<msg> script: <name>, on @<source>:<line>.".
func scriptErrorMessage(L *lua.LState, err error, r *scriptRun) (msg string, counted bool) {
	var obj lua.LValue
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	t, ok := obj.(*lua.LTable)
	if !ok {
		if r.killed {
			return "ERR Script killed by user with SCRIPT KILL...", false
		}
		return "ERR Error running script, " + strings.ReplaceAll(err.Error(), "\n", " "), false
	}
	msg = lua.LVAsString(t.RawGetString("err"))
	counted = t.RawGetString(ignoreErrStats) != lua.LNil
	if r.killed {
		// Redis 7.0 names SCRIPT KILL even when FUNCTION KILL stopped it.
		msg = "ERR Script killed by user with SCRIPT KILL..."
	}
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r", " "), "\n", " ")
	src, line := t.RawGetString("source"), t.RawGetString("line")
	if src != lua.LNil && line != lua.LNil {
		return sprintf("%s script: %s, on %s:%s.", msg, r.name, lua.LVAsString(src), lua.LVAsString(line)), counted
	}
	return sprintf("%s script: %s", msg, r.name), counted
}

// luaErrorHandler is the message handler of every script call (Redis's
// __redis__err__handler): it turns the error into a table {err=...} with
// the source and line of the Lua code that raised it.
func luaErrorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+luaErrString(v)))
	}
	for level := 0; level < 8; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
			continue
		}
		t.RawSetString("source", lua.LString("@"+strings.TrimPrefix(dbg.Source, "@")))
		t.RawSetString("line", lua.LString(sprintf("%d", dbg.CurrentLine)))
		break
	}
	L.Push(t)
	return 1
}

// luaErrString is an error value as Lua's tostring shows it, with
// gopher-lua's stack traceback dropped.
func luaErrString(v lua.LValue) string {
	s := lua.LVAsString(v)
	if v.Type() != lua.LTString && v.Type() != lua.LTNumber {
		s = v.String()
	}
	if i := strings.Index(s, "\nstack traceback:"); i >= 0 {
		s = s[:i]
	}
	// Lua 5.1's luaL_argerror quotes the function name; gopher-lua does not.
	return badArgument.ReplaceAllString(s, "bad argument #$1 to '$2' (")
}

var badArgument = regexp.MustCompile(`bad argument #(\d+) to ([\w.]+) \(`)

// luaCompileError is a compile error in Lua 5.1's shape, "chunk:line:
// message near 'token'", from gopher-lua's "chunk line:L(column:C) near
// 'token': message" or "chunk at EOF: message"; lines is the number of
// lines of the source, where the end of input is reported. (The messages
// themselves are gopher-lua's: "syntax error" where Lua says "unexpected
// symbol" or "'end' expected".)
func luaCompileError(err error, lines int) string {
	s := err.Error()
	if ae, ok := err.(*lua.ApiError); ok {
		s = luaErrString(ae.Object)
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if m := compileErrAt.FindStringSubmatch(s); m != nil {
		line, _ := strconv.Atoi(m[2])
		near := m[3]
		if line > lines {
			// The end of the body, as the wrapper's "end" (see compile).
			line, near = lines, "<eof>"
		}
		msg := strings.Replace(m[4], "unterminated string", "unfinished string", 1)
		return sprintf("%s:%d: %s near '%s'", m[1], line, msg, near)
	}
	if m := compileErrEOF.FindStringSubmatch(s); m != nil {
		return sprintf("%s:%d: %s near '<eof>'", m[1], lines, m[2])
	}
	return s
}

var (
	compileErrAt  = regexp.MustCompile(`^(\S+) line:(\d+)\(column:\d+\) near '(.*)':\s+(.*)$`)
	compileErrEOF = regexp.MustCompile(`^(\S+) at EOF:\s+(.*)$`)
)

func scriptLoadCommand(c *Client, args [][]byte) {
	e := c.srv.scripting()
	sha := sha1hex(args[2])
	if e.scripts[sha] == nil {
		if _, err := e.compile(sha, string(args[2])); err != "" {
			c.addError(err)
			return
		}
	}
	c.w.BulkString(sha)
}

func scriptExistsCommand(c *Client, args [][]byte) {
	e := c.srv.scripting()
	c.w.Array(len(args) - 2)
	for _, a := range args[2:] {
		if e.scripts[strings.ToLower(string(a))] != nil {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	}
}

func scriptFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async")) {
		c.addError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	// Redis 7.0 also recreates the interpreter; kv-server's globals are
	// read-only (as 7.0's), so no script can leave state behind in it.
	e := c.srv.scripting()
	e.scripts = map[string]*evalScript{}
	e.bodyMem = 0
	c.w.OK()
}

// scriptDebugCommand is SCRIPT DEBUG: NO is accepted; kv-server has no
// Lua debugger (Redis's LDB), so YES and SYNC are refused with an error
// that says so.
func scriptDebugCommand(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "no"):
		c.w.OK()
	case eqFold(args[2], "yes"), eqFold(args[2], "sync"):
		c.addError("ERR kv-server has no Lua debugger: SCRIPT DEBUG YES and SYNC are not supported")
	default:
		c.addError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func scriptHelpCommand(c *Client, args [][]byte) {
	c.replyHelp("SCRIPT", []string{
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
}

// scriptCall runs one redis.call/pcall command as the script's client
// (Redis's scriptCall): the checks, the command, and the write tracking.
// It returns the reply bytes (RESP of the script's protocol) or the error
// message of a refused call.
func (r *scriptRun) scriptCall(args [][]byte) ([]byte, string) {
	s := r.s
	fake := r.fake
	cmd := s.lookupCommand(args)
	switch {
	case cmd == nil:
		if meta := cmdtable.LookupArgv(args); meta != nil && meta.Flags.Has(cmdtable.FlagNoScript) {
			return nil, "ERR This Redis command is not allowed from script"
		}
		return nil, "ERR Unknown Redis command called from script"
	case !cmd.meta.CheckArity(len(args)):
		return nil, "ERR Wrong number of args calling Redis command from script"
	case cmd.meta.Flags.Has(cmdtable.FlagNoScript):
		return nil, "ERR This Redis command is not allowed from script"
	case cmd.meta.Flags.Has(cmdtable.FlagWrite) && r.readOnly:
		return nil, "ERR Write commands are not allowed from read-only scripts."
	}
	write := cmd.meta.Flags.Has(cmdtable.FlagWrite)
	if write && cmd.meta.Flags.Has(cmdtable.FlagDenyOOM) && !r.wrote && !r.allowOOM && s.conf.Maxmemory > 0 && fake.evictBeforeCommand(true) {
		// As scriptVerifyOOM: only a script that has not written yet may be
		// refused, so that a script is never left half done.
		return nil, errOOM
	}
	dirty := s.dirty
	fake.w.Reset()
	fake.call(cmd, args, time.Now())
	if write {
		r.wrote = true
	}
	if s.dirty != dirty && s.script.effects != nil && (write || cmd.meta.Flags.Has(cmdtable.FlagMayReplicate)) {
		cp := make([][]byte, len(args))
		for i, a := range args {
			cp[i] = append([]byte(nil), a...)
		}
		r.effects = append(r.effects, ScriptEffect{DB: fake.db.id, Args: cp})
	}
	return fake.w.Bytes(), ""
}

// scriptMemoryInfo is INFO memory's scripting figures, in bytes and counts.
type scriptMemoryInfo struct {
	vmEval, vmFunctions          int64 // the interpreters' heaps
	scriptsEval, functionsMem    int64 // the cached bodies and library code
	cached, functions, libraries int64
}

// luaHeapBase is what a fresh Lua 5.1 heap with Redis's libraries takes in
// Redis 7.0 (INFO's used_memory_vm_eval on a new server): gopher-lua does
// not count its heap, so the interpreters are reported at this size.
const luaHeapBase = 32768

// scriptMemory returns INFO memory's scripting figures. The cached scripts
// are counted as Redis's evalScriptsMemory counts them: the body and a
// dict entry with its 40-byte SHA key per script.
func (s *Server) scriptMemory() scriptMemoryInfo {
	m := scriptMemoryInfo{vmEval: luaHeapBase, vmFunctions: luaHeapBase}
	e := &s.script
	m.cached = int64(len(e.scripts))
	m.scriptsEval = e.bodyMem + m.cached*(dictEntrySize+sdsAllocSize(40))
	if fl := e.funcs; fl != nil {
		m.libraries, m.functions = int64(len(fl.libs)), int64(len(fl.funcs))
		for _, l := range fl.libs {
			m.functionsMem += int64(len(l.code)) + dictEntrySize
		}
		m.functionsMem += m.functions * dictEntrySize
	}
	return m
}
