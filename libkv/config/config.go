package config

import (
	"errors"
	"os"
	"strings"

	"github.com/kvkit/kvkit/libkv/glob"
)

// Version is the Redis version kvkit's configuration is compatible with; it
// appears in the fatal configuration error text.
const Version = "7.0.15"

// Config is a server's configuration: the typed Values the engine reads,
// the file it came from, the file-only directives, and the apply hooks the
// engine registered for CONFIG SET. Its methods implement CONFIG GET, SET
// and REWRITE as Redis 7.0's config.c does. A Config is not safe for
// concurrent use: the engine calls it under its execution lock.
type Config struct {
	Values Values
	// File is the absolute path of the configuration file, or "" when the
	// server was started without one (CONFIG REWRITE then fails).
	File string
	// Renames holds the rename-command directives, in file order.
	Renames []Rename
	// Users holds the arguments of each user directive ("user", name,
	// rules...), in file order. kvkit does not check ACL rules here.
	Users [][]string
	// Modules holds the arguments of each loadmodule directive (path,
	// module arguments...).
	Modules [][]string
	// ModuleConfigs holds "module.name value..." directives (names with a
	// dot): name and the values joined by spaces, the last one of a name
	// winning.
	ModuleConfigs [][2]string
	// Sentinel holds the arguments after "sentinel" of each sentinel
	// directive, when loaded with Options.Sentinel.
	Sentinel [][]string
	// UserLines, when set, returns the "user ..." lines CONFIG REWRITE
	// writes, as Redis writes its ACL users (ACLDescribeUser). When nil,
	// REWRITE writes back the user directives that were loaded.
	UserLines func() []string

	hooks    map[*Directive]ApplyFunc
	explicit []string // directives given in the file or on the command line
	seen     map[string]bool
}

// Rename is one rename-command directive. NewName "" removes the command.
type Rename struct {
	Command, NewName string
}

// ApplyFunc applies a directive's new value (read from c.Values) to the
// running server after CONFIG SET. A returned error's text is shown to the
// client as Redis shows the error of its apply functions: "CONFIG SET failed
// (possibly related to argument 'port') - <text>".
type ApplyFunc func(c *Config) error

// Default returns the configuration of a server started without a file and
// without arguments: Redis 7.0's defaults, with dir the current directory.
func Default() *Config {
	c := &Config{}
	st := &setState{}
	for _, d := range directives {
		if d.Name == "dir" || d.Name == "replicaof" {
			continue // the start directory, set below; no master
		}
		args := []string{d.Default}
		if d.Flags&MultiArg != 0 {
			args = strings.Fields(d.Default)
		}
		if msg := d.set(&c.Values, args, st); msg != "" {
			panic("config: bad default for " + d.Name + ": " + msg)
		}
	}
	if wd, err := os.Getwd(); err == nil {
		c.Values.Dir = wd
	}
	return c
}

// OnApply registers fn to run after CONFIG SET changed the directive name
// (canonical name or alias). Hooks of one CONFIG SET run in the order their
// directives appear in it; when one fails, all values are restored and the
// hooks that ran are run again with the old values. Registering a hook for
// a name that is not a directive is a programming error and panics.
func (c *Config) OnApply(name string, fn ApplyFunc) {
	d := Lookup(name)
	if d == nil {
		panic("config: OnApply for unknown directive " + name)
	}
	if c.hooks == nil {
		c.hooks = map[*Directive]ApplyFunc{}
	}
	c.hooks[d] = fn
}

// Unsupported returns the names of the directives that the file or the
// command line set, that kv-server does not implement (see Implemented),
// and whose value is not the default (the stock redis.conf spells out many
// defaults), in the order they first appeared, each once: the engine logs
// them once at start-up. File-only directives (rename-command, user,
// loadmodule) count whenever they appear.
func (c *Config) Unsupported() []string {
	var out []string
	for _, name := range c.explicit {
		if Implemented[name] {
			continue
		}
		if d := Lookup(name); d != nil && d.kind != kindSpecial && d.get(&c.Values) == d.Default {
			continue
		}
		if name == "client-output-buffer-limit" && c.Values.ClientOutputBufferLimit == defaultObuf ||
			name == "oom-score-adj-values" && c.Values.OomScoreAdjValues == defaultOOMValues ||
			name == "notify-keyspace-events" && c.Values.NotifyKeyspaceEvents == 0 {
			continue
		}
		out = append(out, name)
	}
	return out
}

func (c *Config) noteExplicit(name string) {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if !c.seen[name] {
		c.seen[name] = true
		c.explicit = append(c.explicit, name)
	}
}

// Get implements CONFIG GET pattern [pattern ...] (Redis 7.0 configGetCommand):
// it returns name, value, name, value... A pattern without glob characters
// (*?[) is looked up exactly, case-insensitively, and is answered under the
// name as written; hidden directives are found only that way. A glob
// pattern matches canonical names and aliases alike, without case. Each
// directive appears once, under the first name that matched it.
//
// Redis replies in the order of its hash table, which is random per process;
// Get replies in argument order, then table order. Compare replies as maps.
func (c *Config) Get(patterns []string) []string {
	var out []string
	have := map[string]bool{} // lower-case names already in out
	add := func(name string, d *Directive) {
		have[strings.ToLower(name)] = true
		out = append(out, name, d.get(&c.Values))
	}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			if have[strings.ToLower(p)] {
				continue
			}
			if d := Lookup(p); d != nil {
				add(p, d)
			}
			continue
		}
		for _, d := range directives {
			if d.Flags&Hidden != 0 {
				continue
			}
			for _, name := range []string{d.Name, d.Alias} {
				if name != "" && !have[name] && glob.MatchString(p, name, true) {
					add(name, d)
				}
			}
		}
	}
	return out
}

// SetEnv describes the client and server state CONFIG SET depends on.
type SetEnv struct {
	// Local is true for a client on a loopback or Unix socket connection;
	// enable-protected-configs "local" allows such clients only.
	Local bool
	// Loading is true while the server loads its dataset; DenyLoading
	// directives are refused then.
	Loading bool
}

// Set implements CONFIG SET name value [name value ...] as Redis 7.0's
// configSetCommand: every name is checked first (unknown, immutable,
// protected, loading, duplicate), then every value is parsed and stored,
// then the apply hooks of the directives whose value changed run. Any
// failure restores every value and the error is returned, its text the
// whole error reply ("ERR ..." or "LOADING ..."), e.g.
//
//	ERR Unknown option or number of arguments for CONFIG SET - 'foo'
//	ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value
//
// args holds the arguments after SET; an odd count is "ERR syntax error"
// and fewer than two the arity error.
func (c *Config) Set(args []string, env SetEnv) error {
	if len(args) < 2 {
		return errors.New("ERR wrong number of arguments for 'config|set' command")
	}
	if len(args)%2 != 0 {
		return errors.New("ERR syntax error")
	}
	n := len(args) / 2
	dirs := make([]*Directive, n)
	var invalidName, errArg, errStr string
	invalid, denyLoading := false, false
	for i := 0; i < n; i++ {
		name := args[2*i]
		d := Lookup(name)
		if d == nil {
			if !invalid {
				invalidName = name
				invalid = true
			}
			continue
		}
		if invalid {
			continue
		}
		if d.Flags&Immutable != 0 || d.Flags&Protected != 0 && !c.protectedAllowed(env) {
			errStr = "can't set protected config"
			if d.Flags&Immutable != 0 {
				errStr = "can't set immutable config"
			}
			errArg, invalid = name, true
			continue
		}
		if env.Loading && d.Flags&DenyLoading != 0 {
			denyLoading, invalid = true, true
			continue
		}
		for j := 0; j < i; j++ {
			// Redis compares its table entries, and an alias is an entry of
			// its own: "hash-max-ziplist-entries 1 hash-max-listpack-entries 2"
			// is not a duplicate there, so it is not one here either.
			if dirs[j] == d && strings.EqualFold(entryName(d, args[2*j]), entryName(d, name)) {
				errStr, errArg, invalid = "duplicate parameter", name, true
				break
			}
		}
		dirs[i] = d
	}
	if invalid {
		return setError(denyLoading, invalidName, errArg, errStr)
	}

	old := c.Values
	st := &setState{cwd: c.Values.Dir}
	var changed []*Directive
	var changedNames []string
	for i, d := range dirs {
		before := d.get(&c.Values)
		value := args[2*i+1]
		var vals []string
		if d.Flags&MultiArg != 0 {
			vals = splitSpaces(value)
		} else {
			vals = []string{value}
		}
		if msg := d.set(&c.Values, vals, st); msg != "" {
			c.Values = old
			return setError(false, "", entryName(d, args[2*i]), msg)
		}
		switch d.Name {
		case "hz":
			c.Values.Hz = clampHz(c.Values.Hz) // updateHZ
		case "repl-backlog-size":
			// resizeReplicationBacklog raises it to CONFIG_REPL_BACKLOG_MIN_SIZE.
			if c.Values.ReplBacklogSize < 16*1024 {
				c.Values.ReplBacklogSize = 16 * 1024
			}
		}
		if d.get(&c.Values) != before || d.kind == kindSpecial {
			changed = append(changed, d)
			changedNames = append(changedNames, entryName(d, args[2*i]))
		}
	}
	var ran []ApplyFunc
	for i, d := range changed {
		fn := c.hooks[d]
		if fn == nil {
			continue
		}
		ran = append(ran, fn)
		if err := fn(c); err != nil {
			c.Values = old
			for _, r := range ran {
				_ = r(c) // as Redis, a failure to re-apply the old value is only logged by the hook
			}
			return setError(false, "", changedNames[i], err.Error())
		}
	}
	return nil
}

// entryName is the name Redis reports for a table entry looked up by name:
// the alias when the alias was used, else the canonical name.
func entryName(d *Directive, asWritten string) string {
	if d.Alias != "" && strings.EqualFold(asWritten, d.Alias) {
		return d.Alias
	}
	return d.Name
}

func setError(loading bool, invalidName, arg, msg string) error {
	switch {
	case loading:
		return errors.New("LOADING Redis is loading the dataset in memory")
	case invalidName != "":
		return errors.New("ERR Unknown option or number of arguments for CONFIG SET - '" + invalidName + "'")
	case msg != "":
		return errors.New("ERR CONFIG SET failed (possibly related to argument '" + arg + "') - " + msg)
	}
	return errors.New("ERR CONFIG SET failed (possibly related to argument '" + arg + "')")
}

func (c *Config) protectedAllowed(env SetEnv) bool {
	switch c.Values.EnableProtectedConfigs {
	case "yes":
		return true
	case "local":
		return env.Local
	}
	return false
}

// splitSpaces splits a CONFIG SET value of a MultiArg directive on single
// spaces, as sdssplitlen(value, " ") does: "" gives no element, and two
// spaces in a row give an empty element.
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

func clampHz(hz int) int {
	const minHz, maxHz = 1, 500 // CONFIG_MIN_HZ, CONFIG_MAX_HZ
	if hz < minHz {
		return minHz
	}
	if hz > maxHz {
		return maxHz
	}
	return hz
}
