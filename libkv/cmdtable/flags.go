package cmdtable

import "github.com/kvkit/kvkit/libkv/resp"

// Flags is a command's set of CMD_* flags (Redis 7.0 server.h). The
// constants are declared in the order in which COMMAND INFO lists them
// (server.c addReplyCommandFlags).
type Flags uint32

// Command flags. MayReplicate, Sentinel, OnlySentinel and Protected exist
// in Redis but COMMAND INFO never shows them; see the package doc for
// where the table gets them from.
const (
	FlagWrite Flags = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagSentinel
	FlagOnlySentinel
	FlagNoMandatoryKeys
	FlagProtected
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

// flagNames holds the name of each Flags bit, bit 0 first; "" marks the
// flags that COMMAND INFO hides on purpose.
var flagNames = [...]string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
	"fast", "no_auth", "", "", "", "no_mandatory_keys", "", "no_async_loading",
	"no_multi", "movablekeys", "allow_busy",
}

// hiddenFlagNames names the flags that COMMAND INFO does not show.
var hiddenFlagNames = map[Flags]string{
	FlagMayReplicate: "may_replicate", FlagSentinel: "sentinel",
	FlagOnlySentinel: "only_sentinel", FlagProtected: "protected",
}

// Has reports whether every flag of f2 is set in f.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// Names returns the names of the flags in f in COMMAND INFO order,
// including the ones COMMAND INFO hides.
func (f Flags) Names() []string {
	var names []string
	for i, n := range flagNames {
		bit := Flags(1) << i
		if f&bit == 0 {
			continue
		}
		if n == "" {
			n = hiddenFlagNames[bit]
		}
		names = append(names, n)
	}
	return names
}

// ACLCategories is a set of ACL categories (Redis 7.0 acl.c
// ACLCommandCategories), in the order COMMAND INFO lists them.
type ACLCategories uint32

// ACL categories.
const (
	ACLKeyspace ACLCategories = 1 << iota
	ACLRead
	ACLWrite
	ACLSet
	ACLSortedSet
	ACLList
	ACLHash
	ACLString
	ACLBitmap
	ACLHyperLogLog
	ACLGeo
	ACLStream
	ACLPubSub
	ACLAdmin
	ACLFast
	ACLSlow
	ACLBlocking
	ACLDangerous
	ACLConnection
	ACLTransaction
	ACLScripting

	// ACLAll holds every category; ACLAll.Names() is what ACL CAT lists.
	ACLAll = ACLScripting<<1 - 1
)

var aclNames = [...]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// ACLCategoryByName returns the category named name (without the '@',
// case-insensitive, as ACLGetCommandCategoryFlagByName), or 0 if there is
// none.
func ACLCategoryByName(name []byte) ACLCategories {
	for i, n := range aclNames {
		if equalFold(name, n) {
			return 1 << i
		}
	}
	return 0
}

// Names returns the category names in c ("read", "slow", ...), without '@'.
func (c ACLCategories) Names() []string {
	var names []string
	for i, n := range aclNames {
		if c&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

func writeACL(w *resp.Writer, c ACLCategories) {
	names := c.Names()
	w.Set(len(names))
	for _, n := range names {
		w.Status("@" + n)
	}
}

// KeyFlags is the set of CMD_KEY_* flags of a key spec or of an extracted
// key (Redis 7.0 server.h), in the order COMMAND INFO lists them (server.c
// addReplyFlagsForKeyArgs).
type KeyFlags uint16

// Key flags: RO, RW, OW and RM say what the command does to the key as a
// whole; access, update, insert and delete what it does to the value;
// not_key marks a key-like argument that is not a key (a shard channel);
// incomplete a spec that may miss keys; variable_flags a spec whose flags
// depend on the arguments.
const (
	KeyRO KeyFlags = 1 << iota
	KeyRW
	KeyOW
	KeyRM
	KeyAccess
	KeyUpdate
	KeyInsert
	KeyDelete
	KeyNotKey
	KeyIncomplete
	KeyVariableFlags
)

var keyFlagNames = [...]string{
	"RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
	"incomplete", "variable_flags",
}

// Names returns the names of the flags in f ("RO", "access", ...).
func (f KeyFlags) Names() []string {
	var names []string
	for i, n := range keyFlagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// ArgFlags is the set of flags of a documented argument (Redis 7.0
// server.h CMD_ARG_*).
type ArgFlags uint8

// Argument flags.
const (
	ArgOptional ArgFlags = 1 << iota
	ArgMultiple
	ArgMultipleToken
)

var argFlagNames = [...]string{"optional", "multiple", "multiple_token"}

// DocFlags is the set of documentation flags of a command (Redis 7.0
// server.h CMD_DOC_*).
type DocFlags uint8

// Documentation flags: a deprecated command, a system command that is not
// meant to be called by users.
const (
	DocDeprecated DocFlags = 1 << iota
	DocSyscmd
)

var docFlagNames = [...]string{"deprecated", "syscmd"}

// writeNameSet writes the names of the bits set in bits as a set of status
// strings, as Redis's addReplyFlagsForCommand and its siblings do; bits
// whose name is "" are not shown.
func writeNameSet(w *resp.Writer, bits uint, names []string) {
	n := 0
	for i, name := range names {
		if name != "" && bits&(1<<i) != 0 {
			n++
		}
	}
	w.Set(n)
	for i, name := range names {
		if name != "" && bits&(1<<i) != 0 {
			w.Status(name)
		}
	}
}

// ArgType is the type of a documented argument (Redis 7.0 server.h
// redisCommandArgType).
type ArgType uint8

// Argument types, named as COMMAND DOCS names them.
const (
	ArgString    ArgType = iota // "string"
	ArgInteger                  // "integer"
	ArgDouble                   // "double"
	ArgKey                      // "key"
	ArgPattern                  // "pattern"
	ArgUnixTime                 // "unix-time"
	ArgPureToken                // "pure-token"
	ArgOneOf                    // "oneof": one of Arguments
	ArgBlock                    // "block": all of Arguments
)

var argTypeNames = [...]string{"string", "integer", "double", "key", "pattern",
	"unix-time", "pure-token", "oneof", "block"}

// String returns the name COMMAND DOCS gives t.
func (t ArgType) String() string {
	if int(t) < len(argTypeNames) {
		return argTypeNames[t]
	}
	return "unknown"
}
