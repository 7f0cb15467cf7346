package cmdtable

import (
	"bytes"
	"strings"

	"github.com/kvkit/kvkit/libkv/glob"
	"github.com/kvkit/kvkit/libkv/resp"
)

// Implemented tells whether the server implements a command or
// subcommand. COMMAND lists, counts and documents only what it accepts,
// and treats every other name as unknown. A subcommand counts only if its
// container counts too. A nil Implemented accepts every command.
type Implemented func(*Command) bool

func (impl Implemented) has(c *Command) bool {
	if c == nil {
		return false
	}
	if impl == nil {
		return true
	}
	if c.Parent != nil && !impl(c.Parent) {
		return false
	}
	return impl(c)
}

// commandHelp is COMMAND HELP's text (Redis 7.0 server.c commandHelpCommand
// and networking.c addReplyHelp, which adds the first line and the HELP
// entry).
var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

// ExecCommand runs the COMMAND command: argv is the whole argument vector
// ("COMMAND", "INFO", "get", ...), impl says which commands the server
// implements. It writes the reply to w, in w's protocol, as Redis 7.0 does
// (server.c commandCommand and its subcommands): COMMAND, COMMAND COUNT,
// COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p], COMMAND INFO
// [name ...], COMMAND DOCS [name ...], COMMAND GETKEYS cmd args...,
// COMMAND GETKEYSANDFLAGS cmd args... and COMMAND HELP, with Redis's
// errors for an unknown subcommand and a wrong number of arguments.
//
// COMMAND, COMMAND INFO and COMMAND DOCS without names, and COMMAND LIST,
// list commands in the table's order where Redis uses its hash table's
// (random-seeded) order; clients must not depend on either.
func ExecCommand(w *resp.Writer, argv [][]byte, impl Implemented) {
	if len(argv) <= 1 {
		writeAllInfo(w, impl)
		return
	}
	sub := commandCmd.Sub(argv[1])
	if sub == nil {
		w.Error(UnknownSubcommandError(commandCmd, argv[1]))
		return
	}
	if !sub.CheckArity(len(argv)) {
		w.Error(ArityError(sub))
		return
	}
	switch sub.DeclaredName {
	case "count":
		n := 0
		for _, c := range all {
			if impl.has(c) {
				n++
			}
		}
		w.Int(int64(n))
	case "list":
		commandList(w, argv, impl)
	case "info":
		if len(argv) == 2 {
			writeAllInfo(w, impl)
			return
		}
		w.Array(len(argv) - 2)
		for _, name := range argv[2:] {
			writeInfo(w, lookupImplemented(name, impl), impl)
		}
	case "docs":
		commandDocs(w, argv, impl)
	case "getkeys":
		getKeysReply(w, argv, impl, false)
	case "getkeysandflags":
		getKeysReply(w, argv, impl, true)
	case "help":
		w.Array(len(commandHelp))
		for _, line := range commandHelp {
			w.Status(line)
		}
	}
}

// UnknownSubcommandError returns Redis's error for a call of the
// container c with a subcommand it does not have: "ERR unknown subcommand
// 'x'. Try CONFIG HELP." (server.c processCommand). As Redis's "%.128s",
// it shows sub up to a NUL byte and at most 128 bytes of it.
func UnknownSubcommandError(c *Command, sub []byte) string {
	if i := bytes.IndexByte(sub, 0); i >= 0 {
		sub = sub[:i]
	}
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return "ERR unknown subcommand '" + string(sub) + "'. Try " + strings.ToUpper(c.Name) + " HELP."
}

// ArityError returns Redis's error for a call of c with the wrong number
// of arguments: "ERR wrong number of arguments for 'config|get' command".
func ArityError(c *Command) string {
	return "ERR wrong number of arguments for '" + c.Name + "' command"
}

// lookupImplemented is LookupFullName restricted to what impl accepts.
func lookupImplemented(name []byte, impl Implemented) *Command {
	c := LookupFullName(name)
	if !impl.has(c) {
		return nil
	}
	return c
}

func writeAllInfo(w *resp.Writer, impl Implemented) {
	n := 0
	for _, c := range all {
		if impl.has(c) {
			n++
		}
	}
	w.Array(n)
	for _, c := range all {
		if impl.has(c) {
			writeInfo(w, c, impl)
		}
	}
}

// writeInfo writes c's COMMAND INFO entry, or a null for nil (server.c
// addReplyCommandInfo).
func writeInfo(w *resp.Writer, c *Command, impl Implemented) {
	if c == nil {
		w.Null()
		return
	}
	w.Array(10)
	w.BulkString(c.Name)
	w.Int(int64(c.Arity))
	writeNameSet(w, uint(c.Flags), flagNames[:])
	w.Int(int64(c.FirstKey))
	w.Int(int64(c.LastKey))
	w.Int(int64(c.Step))
	writeACL(w, c.ACL)
	w.Set(len(c.Tips))
	for _, t := range c.Tips {
		w.BulkString(t)
	}
	w.Set(len(c.KeySpecs))
	for i := range c.KeySpecs {
		writeKeySpec(w, &c.KeySpecs[i])
	}
	// Redis: an empty set for a plain command, an array for a container.
	if !c.IsContainer() {
		w.Set(0)
		return
	}
	subs := implementedSubs(c, impl)
	w.Array(len(subs))
	for _, s := range subs {
		writeInfo(w, s, impl)
	}
}

// implementedSubs returns the subcommands of c that impl accepts.
func implementedSubs(c *Command, impl Implemented) []*Command {
	if impl == nil {
		return c.Subcommands
	}
	var subs []*Command
	for _, s := range c.Subcommands {
		if impl.has(s) {
			subs = append(subs, s)
		}
	}
	return subs
}

// writeKeySpec writes one key spec as server.c addReplyCommandKeySpecs.
func writeKeySpec(w *resp.Writer, ks *KeySpec) {
	n := 3
	if ks.Notes != "" {
		n++
	}
	w.Map(n)
	if ks.Notes != "" {
		w.BulkString("notes")
		w.BulkString(ks.Notes)
	}
	w.BulkString("flags")
	writeNameSet(w, uint(ks.Flags), keyFlagNames[:])
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	switch bs := &ks.BeginSearch; bs.Type {
	case SearchIndex:
		w.BulkString("index")
		w.BulkString("spec")
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(bs.Index))
	case SearchKeyword:
		w.BulkString("keyword")
		w.BulkString("spec")
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(bs.Keyword)
		w.BulkString("startfrom")
		w.Int(int64(bs.StartFrom))
	default:
		w.BulkString("unknown")
		w.BulkString("spec")
		w.Map(0)
	}
	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	switch fk := &ks.FindKeys; fk.Type {
	case FindRange:
		w.BulkString("range")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(fk.LastKey))
		w.BulkString("keystep")
		w.Int(int64(fk.KeyStep))
		w.BulkString("limit")
		w.Int(int64(fk.Limit))
	case FindKeyNum:
		w.BulkString("keynum")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(fk.KeyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(fk.FirstKey))
		w.BulkString("keystep")
		w.Int(int64(fk.KeyStep))
	default:
		w.BulkString("unknown")
		w.BulkString("spec")
		w.Map(0)
	}
}

// commandDocs is COMMAND DOCS: a map from full name to documentation;
// unknown names are left out (server.c commandDocsCommand).
func commandDocs(w *resp.Writer, argv [][]byte, impl Implemented) {
	var found []*Command
	if len(argv) == 2 {
		for _, c := range all {
			if impl.has(c) {
				found = append(found, c)
			}
		}
	} else {
		for _, name := range argv[2:] {
			if c := lookupImplemented(name, impl); c != nil {
				found = append(found, c)
			}
		}
	}
	w.Map(len(found))
	for _, c := range found {
		w.BulkString(c.Name)
		writeDocs(w, c, impl)
	}
}

// writeDocs writes c's documentation map (server.c addReplyCommandDocs).
func writeDocs(w *resp.Writer, c *Command, impl Implemented) {
	d := &c.Docs
	subs := implementedSubs(c, impl)
	n := 1 // group
	for _, present := range []bool{d.Summary != "", d.Since != "", d.Complexity != "",
		d.DocFlags != 0, d.DeprecatedSince != "", d.ReplacedBy != "", len(d.History) > 0,
		len(d.Arguments) > 0, c.IsContainer()} {
		if present {
			n++
		}
	}
	w.Map(n)
	if d.Summary != "" {
		w.BulkString("summary")
		w.BulkString(d.Summary)
	}
	if d.Since != "" {
		w.BulkString("since")
		w.BulkString(d.Since)
	}
	w.BulkString("group")
	w.BulkString(c.Group)
	if d.Complexity != "" {
		w.BulkString("complexity")
		w.BulkString(d.Complexity)
	}
	if d.DocFlags != 0 {
		w.BulkString("doc_flags")
		writeNameSet(w, uint(d.DocFlags), docFlagNames[:])
	}
	if d.DeprecatedSince != "" {
		w.BulkString("deprecated_since")
		w.BulkString(d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		w.BulkString("replaced_by")
		w.BulkString(d.ReplacedBy)
	}
	if len(d.History) > 0 {
		w.BulkString("history")
		w.Set(len(d.History))
		for _, h := range d.History {
			w.Array(2)
			w.BulkString(h.Version)
			w.BulkString(h.Change)
		}
	}
	if len(d.Arguments) > 0 {
		w.BulkString("arguments")
		writeArgs(w, d.Arguments)
	}
	if c.IsContainer() {
		w.BulkString("subcommands")
		w.Map(len(subs))
		for _, s := range subs {
			w.BulkString(s.Name)
			writeDocs(w, s, impl)
		}
	}
}

// writeArgs writes an argument list (server.c addReplyCommandArgList).
func writeArgs(w *resp.Writer, args []Arg) {
	w.Array(len(args))
	for i := range args {
		a := &args[i]
		n := 2
		hasToken := a.Token != "" || a.EmptyToken
		for _, present := range []bool{a.KeySpecIndex >= 0, hasToken, a.Since != "",
			a.DeprecatedSince != "", a.Flags != 0, a.Type == ArgOneOf || a.Type == ArgBlock} {
			if present {
				n++
			}
		}
		w.Map(n)
		w.BulkString("name")
		w.BulkString(a.Name)
		w.BulkString("type")
		w.BulkString(a.Type.String())
		if a.KeySpecIndex >= 0 {
			w.BulkString("key_spec_index")
			w.Int(int64(a.KeySpecIndex))
		}
		if hasToken {
			w.BulkString("token")
			w.BulkString(a.Token)
		}
		if a.Since != "" {
			w.BulkString("since")
			w.BulkString(a.Since)
		}
		if a.DeprecatedSince != "" {
			w.BulkString("deprecated_since")
			w.BulkString(a.DeprecatedSince)
		}
		if a.Flags != 0 {
			w.BulkString("flags")
			writeNameSet(w, uint(a.Flags), argFlagNames[:])
		}
		if a.Type == ArgOneOf || a.Type == ArgBlock {
			w.BulkString("arguments")
			writeArgs(w, a.Arguments)
		}
	}
}

// commandList is COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p]
// (server.c commandListCommand): full names of commands and subcommands.
func commandList(w *resp.Writer, argv [][]byte, impl Implemented) {
	keep := func(*Command) bool { return true }
	for i := 2; i < len(argv); i++ {
		if !equalFold(argv[i], "filterby") || len(argv)-1-i != 2 {
			w.Error("ERR syntax error")
			return
		}
		arg := argv[i+2]
		switch typ := argv[i+1]; {
		case equalFold(typ, "module"):
			// kv-server loads no modules: no command belongs to one.
			keep = func(*Command) bool { return false }
		case equalFold(typ, "aclcat"):
			cat := ACLCategoryByName(arg)
			keep = func(c *Command) bool { return cat != 0 && c.ACL&cat != 0 }
		case equalFold(typ, "pattern"):
			keep = func(c *Command) bool { return glob.Match(arg, []byte(c.Name), true) }
		default:
			w.Error("ERR syntax error")
			return
		}
		i += 2
	}
	var names []string
	for _, c := range all {
		if !impl.has(c) {
			continue
		}
		if keep(c) {
			names = append(names, c.Name)
		}
		for _, s := range implementedSubs(c, impl) {
			if keep(s) {
				names = append(names, s.Name)
			}
		}
	}
	w.StringArray(names)
}

// getKeysReply is COMMAND GETKEYS and GETKEYSANDFLAGS (server.c
// getKeysSubcommandImpl).
func getKeysReply(w *resp.Writer, argv [][]byte, impl Implemented, withFlags bool) {
	args := argv[2:]
	c := LookupArgv(args)
	switch {
	case !impl.has(c):
		w.Error("ERR Invalid command specified")
		return
	case !c.HasKeys():
		w.Error("ERR The command has no key arguments")
		return
	case !c.CheckArity(len(args)):
		w.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys := c.Keys(args, 0, nil)
	if len(keys) == 0 {
		if c.Flags&FlagNoMandatoryKeys != 0 {
			w.Array(0)
		} else {
			w.Error("ERR Invalid arguments specified for command")
		}
		return
	}
	w.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			w.Bulk(args[k.Pos])
			continue
		}
		w.Array(2)
		w.Bulk(args[k.Pos])
		writeNameSet(w, uint(k.Flags), keyFlagNames[:])
	}
}
