package cmdtable

// Command is one entry of the command table: a command, or a subcommand of
// a container command such as CONFIG. The fields are those of Redis 7.0's
// COMMAND INFO and COMMAND DOCS replies (server.c addReplyCommandInfo,
// addReplyCommandDocs). A Command is shared, read-only data.
type Command struct {
	// Name is the full name, lower-case: "get", or "config|get" for a
	// subcommand (Redis's fullname).
	Name string
	// DeclaredName is the bare name: "get" for both GET and CONFIG GET.
	DeclaredName string
	// Arity is the number of arguments including the command name (and
	// the subcommand name); -N means at least N.
	Arity int
	// Flags are the command's CMD_* flags.
	Flags Flags
	// FirstKey, LastKey and Step are the legacy key positions COMMAND
	// INFO shows: argument index of the first key, of the last key
	// (negative: counted from the end, -1 the last argument), and the
	// distance between keys; all 0 for a command without keys.
	FirstKey, LastKey, Step int
	// ACL is the set of ACL categories.
	ACL ACLCategories
	// Tips are the hints for clients and proxies, such as
	// "nondeterministic_output" or "request_policy:all_shards".
	Tips []string
	// KeySpecs say where the keys are in the argument vector.
	KeySpecs []KeySpec
	// Group is the documentation group ("string", "server", ...).
	Group string
	// Docs is the command's COMMAND DOCS entry, group aside.
	Docs Docs
	// Subcommands are the subcommands of a container command, in name order.
	Subcommands []*Command
	// Parent is the container of a subcommand, nil for a top-level
	// command.
	Parent *Command

	getkeys getkeysProc // Redis's getkeys_proc, or nil
	subs    *nameIndex  // subcommands by DeclaredName
}

// KeySpec is a key specification (Redis 7.0 server.h keySpec): where to
// start looking for keys (BeginSearch) and how to find them from there
// (FindKeys).
type KeySpec struct {
	Notes       string // a remark for humans, often empty
	Flags       KeyFlags
	BeginSearch BeginSearch
	FindKeys    FindKeys
}

// SearchType is the kind of a key spec's begin_search step.
type SearchType uint8

// Begin-search kinds.
const (
	SearchUnknown SearchType = iota // keys cannot be found by the spec
	SearchIndex                     // the search starts at a fixed argument index
	SearchKeyword                   // the search starts after a keyword
)

// BeginSearch is the begin_search part of a key spec. For SearchIndex,
// Index is the argument index. For SearchKeyword, the search looks for
// Keyword (case-insensitive) starting at argument StartFrom (negative:
// from the end, going backwards) and the keys start just after it.
type BeginSearch struct {
	Type      SearchType
	Index     int
	Keyword   string
	StartFrom int
}

// FindType is the kind of a key spec's find_keys step.
type FindType uint8

// Find-keys kinds.
const (
	FindUnknown FindType = iota // keys cannot be found by the spec
	FindRange                   // keys are a range of arguments
	FindKeyNum                  // an argument holds the number of keys
)

// FindKeys is the find_keys part of a key spec. For FindRange, LastKey is
// the index of the last key relative to the begin-search result (negative:
// relative to the end of the arguments), KeyStep the distance between
// keys and Limit, when LastKey is -1, divides the remaining arguments (2:
// only the first half are keys). For FindKeyNum, the argument at KeyNumIdx
// (relative to the begin-search result) holds the number of keys, the
// first of which is at FirstKey (relative too), every KeyStep arguments.
type FindKeys struct {
	Type      FindType
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// Docs is a command's documentation as COMMAND DOCS returns it. An empty
// string field is absent from the reply.
type Docs struct {
	Summary         string
	Since           string // the Redis version that added the command
	Complexity      string
	DocFlags        DocFlags
	DeprecatedSince string
	ReplacedBy      string
	History         []History
	Arguments       []Arg
}

// History is one change of a command's behaviour.
type History struct {
	Version string
	Change  string
}

// Arg documents one argument (Redis 7.0 server.h redisCommandArg).
type Arg struct {
	Name            string
	Type            ArgType
	KeySpecIndex    int    // index into the command's KeySpecs, -1 if none
	Token           string // the literal word that introduces the argument
	EmptyToken      bool   // the token is present and empty (MIGRATE's "" key)
	Since           string
	DeprecatedSince string
	Flags           ArgFlags
	Arguments       []Arg // the members of a oneof or block argument
}

// IsContainer reports whether c has subcommands (CONFIG, CLIENT, ...).
func (c *Command) IsContainer() bool { return len(c.Subcommands) > 0 }

// HasKeys reports whether c can take keys, as Redis's doesCommandHaveKeys:
// it has a getkeys procedure or a key spec that is not not_key.
func (c *Command) HasKeys() bool {
	if c.getkeys != nil {
		return true
	}
	for i := range c.KeySpecs {
		if c.KeySpecs[i].Flags&KeyNotKey == 0 {
			return true
		}
	}
	return false
}

// CheckArity reports whether argc arguments (command name included)
// satisfy c's arity.
func (c *Command) CheckArity(argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// Sub returns the subcommand of c named name (case-insensitive, the bare
// name such as "get"), or nil. It does not allocate.
func (c *Command) Sub(name []byte) *Command { return c.subs.find(name) }

// nameIndex finds commands by name, case-insensitively, without
// allocating: an open-addressing hash table (FNV-1a over the lower-cased
// name, linear probing) that is at most a quarter full.
type nameIndex struct {
	mask  uint32
	slots []nameSlot
}

type nameSlot struct {
	name string // lower-case
	cmd  *Command
}

func hashName(name []byte) uint32 {
	h := uint32(2166136261)
	for _, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		h ^= uint32(ch)
		h *= 16777619
	}
	return h
}

func newNameIndex(cmds []*Command, key func(*Command) string) *nameIndex {
	size := 4
	for size < 4*len(cmds) {
		size *= 2
	}
	ix := &nameIndex{mask: uint32(size - 1), slots: make([]nameSlot, size)}
	for _, c := range cmds {
		name := key(c)
		i := hashName([]byte(name)) & ix.mask
		for ix.slots[i].cmd != nil {
			i = (i + 1) & ix.mask
		}
		ix.slots[i] = nameSlot{name, c}
	}
	return ix
}

func (ix *nameIndex) find(name []byte) *Command {
	if ix == nil {
		return nil
	}
	for i := hashName(name) & ix.mask; ; i = (i + 1) & ix.mask {
		s := &ix.slots[i]
		if s.cmd == nil {
			return nil
		}
		if equalFold(name, s.name) {
			return s.cmd
		}
	}
}

var (
	byName     *nameIndex // top-level commands
	all        []*Command // top-level commands in name order
	commandCmd *Command   // the COMMAND container
)

func init() {
	all = commandTable
	byName = newNameIndex(all, func(c *Command) string { return c.Name })
	for _, c := range all {
		if len(c.Subcommands) > 0 {
			c.subs = newNameIndex(c.Subcommands, func(c *Command) string { return c.DeclaredName })
			for _, s := range c.Subcommands {
				s.Parent = c
			}
		}
	}
	for name, proc := range getkeysProcs {
		Lookup([]byte(name)).getkeys = proc
	}
	for name, f := range hiddenFlags {
		LookupFullName([]byte(name)).Flags |= f
	}
	commandCmd = Lookup([]byte("command"))
}

// All returns the top-level commands of the table, in name order. The
// slice is shared: do not modify it.
func All() []*Command { return all }

// Lookup returns the top-level command named name (case-insensitive), or
// nil. It does not allocate: it is meant for every incoming command.
func Lookup(name []byte) *Command { return byName.find(name) }

// LookupArgv returns the command an argument vector calls, as Redis's
// lookupCommand: argv[0] names the command and, when that command is a
// container and argv has a second element, argv[1] names the subcommand.
// It returns nil for an unknown command or subcommand (a container named
// alone is returned itself). It does not allocate.
func LookupArgv(argv [][]byte) *Command {
	if len(argv) == 0 {
		return nil
	}
	c := Lookup(argv[0])
	if c == nil || len(argv) == 1 || !c.IsContainer() {
		return c
	}
	return c.Sub(argv[1])
}

// LookupFullName returns the command with the full name name, such as
// "get" or "config|get" (case-insensitive), or nil, as Redis's
// lookupCommandBySds: "config|get|x", "get|x" and "config|" name nothing.
func LookupFullName(name []byte) *Command {
	for i, ch := range name {
		if ch != '|' {
			continue
		}
		c := Lookup(name[:i])
		if c == nil {
			return nil
		}
		return c.Sub(name[i+1:])
	}
	return Lookup(name)
}
