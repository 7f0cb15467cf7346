package cmdtable

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/libkv/resp"
)

func TestTable(t *testing.T) {
	if n := len(All()); n != 240 {
		t.Errorf("%d top-level commands, Redis 7.0.15 has 240", n)
	}
	if n := len(everyCommand()); n != 366 {
		t.Errorf("%d commands and subcommands, Redis 7.0.15 has 366", n)
	}
	for _, c := range everyCommand() {
		if c.Name != strings.ToLower(c.Name) {
			t.Errorf("%q is not lower-case", c.Name)
		}
		if c.Parent != nil && c.Name != c.Parent.Name+"|"+c.DeclaredName {
			t.Errorf("subcommand %q of %q declared as %q", c.Name, c.Parent.Name, c.DeclaredName)
		}
		if c.Parent == nil && c.Name != c.DeclaredName {
			t.Errorf("command %q declared as %q", c.Name, c.DeclaredName)
		}
		if c.Flags.Has(FlagMovableKeys) && c.getkeys == nil && c.Name != "georadius" && c.Name != "georadiusbymember" {
			t.Errorf("%s has movable keys but no getkeys procedure", c.Name)
		}
	}
	var checkArgs func(c *Command, args []Arg)
	checkArgs = func(c *Command, args []Arg) {
		for _, a := range args {
			// SORT's BY and GET patterns name keys too, so a pattern
			// may have a key spec.
			if a.KeySpecIndex >= len(c.KeySpecs) || (a.Type == ArgKey && a.KeySpecIndex < 0) {
				t.Errorf("%s: argument %q of type %v has key spec index %d of %d", c.Name, a.Name, a.Type, a.KeySpecIndex, len(c.KeySpecs))
			}
			checkArgs(c, a.Arguments)
		}
	}
	for _, c := range everyCommand() {
		checkArgs(c, c.Docs.Arguments)
	}
	if n := len(ACLAll.Names()); n != 21 {
		t.Errorf("%d ACL categories, Redis 7.0 has 21", n)
	}
	for name := range getkeysProcs {
		if Lookup([]byte(name)) == nil {
			t.Errorf("getkeys procedure for unknown command %q", name)
		}
	}
	get := Lookup([]byte("get"))
	if get.Arity != 2 || !get.Flags.Has(FlagReadonly|FlagFast) || get.ACL != ACLRead|ACLString|ACLFast ||
		get.FirstKey != 1 || get.LastKey != 1 || get.Step != 1 || get.Group != "string" ||
		get.Docs.Summary != "Get the value of a key" || len(get.KeySpecs) != 1 {
		t.Errorf("GET: %+v", get)
	}
	if got := strings.Join(Lookup([]byte("set")).KeySpecs[0].Flags.Names(), " "); got != "RW access update variable_flags" {
		t.Errorf("SET key spec flags %q", got)
	}
	if got := strings.Join(Lookup([]byte("eval")).Flags.Names(), " "); got !=
		"noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys" {
		t.Errorf("EVAL flags %q", got)
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"get", "get"}, {"GET", "get"}, {"gEt", "get"}, {"ZRANGEBYSCORE", "zrangebyscore"},
		{"georadiusbymember_ro", "georadiusbymember_ro"}, {"nosuch", ""}, {"", ""},
		{"config|get", ""}, {strings.Repeat("a", 100), ""},
	} {
		c := Lookup([]byte(tc.name))
		if got := nameOf(c); got != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"config|get", "config|get"}, {"CONFIG|GET", "config|get"}, {"config", "config"},
		{"config|", ""}, {"|get", ""}, {"config|get|x", ""}, {"get|x", ""}, {"", ""},
		{"config||get", ""}, {"|", ""},
	} {
		if got := nameOf(LookupFullName([]byte(tc.name))); got != tc.want {
			t.Errorf("LookupFullName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ args, want string }{
		{"GET k", "get"}, {"config GET x", "config|get"}, {"CONFIG", "config"},
		{"config nope", ""}, {"get a b", "get"}, {"", ""},
	} {
		if got := nameOf(LookupArgv(argv(strings.Fields(tc.args)...))); got != tc.want {
			t.Errorf("LookupArgv(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
	names := [][]byte{[]byte("get"), []byte("SET"), []byte("ZrangeByScore"), []byte("nosuch")}
	config := Lookup([]byte("config"))
	allocs := testing.AllocsPerRun(100, func() {
		for _, n := range names {
			Lookup(n)
		}
		config.Sub([]byte("GET"))
		LookupArgv([][]byte{[]byte("CLIENT"), []byte("setname")})
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times", allocs)
	}
}

func nameOf(c *Command) string {
	if c == nil {
		return ""
	}
	return c.Name
}

func TestKeysSearchFlags(t *testing.T) {
	spublish := Lookup([]byte("spublish"))
	args := argv("SPUBLISH", "ch", "msg")
	if keys := spublish.Keys(args, 0, nil); len(keys) != 0 {
		t.Errorf("SPUBLISH keys without KeysIncludeNotKeys: %v", keys)
	}
	if keys := spublish.Keys(args, KeysIncludeNotKeys, nil); len(keys) != 0 {
		t.Errorf("SPUBLISH keys, all specs not_key: %v", keys)
	}
	keys, ok := spublish.KeysFromSpecs(args, KeysIncludeNotKeys, nil)
	if want := []KeyRef{{1, KeyNotKey}}; !ok || fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("SPUBLISH channels from the specs: %v %v, want %v", keys, ok, want)
	}
	migrate := Lookup([]byte("migrate"))
	args = argv("MIGRATE", "h", "p", "", "0", "5", "KEYS", "a", "b")
	got := migrate.Keys(args, KeysReturnPartial, nil)
	want := []KeyRef{{3, KeyRW | KeyAccess | KeyDelete}, {7, KeyRW | KeyAccess | KeyDelete | KeyIncomplete},
		{8, KeyRW | KeyAccess | KeyDelete | KeyIncomplete}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MIGRATE with KeysReturnPartial: %v, want %v", got, want)
	}
	got = migrate.Keys(args, 0, []KeyRef{{99, 0}})
	want = []KeyRef{{99, 0}, {7, KeyRW | KeyAccess | KeyDelete}, {8, KeyRW | KeyAccess | KeyDelete}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MIGRATE appended to dst: %v, want %v", got, want)
	}
	if keys := Lookup([]byte("get")).Keys(argv("GET"), 0, nil); len(keys) != 0 {
		t.Errorf("GET without a key: %v", keys)
	}
}

func TestImplemented(t *testing.T) {
	impl := func(c *Command) bool {
		switch c.Name {
		case "get", "config", "config|get", "set|x", "zunionstore":
			return true
		}
		return false
	}
	for _, tc := range []struct{ args, want string }{
		{"COMMAND COUNT", ":3\r\n"},
		{"COMMAND LIST", "*4\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$3\r\nget\r\n$11\r\nzunionstore\r\n"},
		{"COMMAND LIST FILTERBY PATTERN c*", "*2\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n"},
		{"COMMAND INFO set config|set", "*2\r\n$-1\r\n$-1\r\n"},
		{"COMMAND DOCS set config|set", "*0\r\n"},
		{"COMMAND GETKEYS SET k v", "-ERR Invalid command specified\r\n"},
		{"COMMAND GETKEYS CONFIG SET k v", "-ERR Invalid command specified\r\n"},
		{"COMMAND GETKEYS GET k", "*1\r\n$1\r\nk\r\n"},
	} {
		w := resp.NewWriter(2)
		ExecCommand(w, argv(strings.Fields(tc.args)...), impl)
		if got := string(w.Bytes()); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.args, got, tc.want)
		}
	}
	w := resp.NewWriter(3)
	ExecCommand(w, argv("COMMAND", "INFO", "config"), impl)
	if got := w.Bytes(); !bytes.Contains(got, []byte("*1\r\n*10\r\n$10\r\nconfig|get")) ||
		bytes.Contains(got, []byte("config|set")) {
		t.Errorf("COMMAND INFO config lists other subcommands than config|get: %q", got)
	}
}

// FuzzKeys runs key extraction and COMMAND GETKEYSANDFLAGS on arbitrary
// argument vectors: the first byte picks a command, the rest is split at
// newlines into its arguments.
func FuzzKeys(f *testing.F) {
	f.Add([]byte("\x00EVAL\ns\n2\na\nb"))
	f.Add([]byte("\x05MIGRATE\nh\np\n\n0\n5\nKEYS\na"))
	f.Add([]byte("\x09XREAD\nSTREAMS\na\nb"))
	f.Add([]byte("\x10SORT\nk\nLIMIT\n0\n1\nSTORE\nd"))
	f.Add([]byte("\x20ZUNIONSTORE\nd\n4294967297\na"))
	cmds := everyCommand()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		c := cmds[int(data[0])%len(cmds)]
		args := bytes.Split(data[1:], []byte("\n"))
		for _, flags := range []SearchFlags{0, KeysIncludeNotKeys | KeysReturnPartial} {
			keys := c.Keys(args, flags, nil)
			specKeys, _ := c.KeysFromSpecs(args, flags, nil)
			for _, k := range append(keys, specKeys...) {
				if k.Pos < 1 || k.Pos >= len(args) {
					t.Fatalf("%s: key position %d outside %d arguments", c.Name, k.Pos, len(args))
				}
			}
		}
		w := resp.NewWriter(3)
		ExecCommand(w, append(argv("COMMAND", "GETKEYSANDFLAGS"), args...), nil)
		parseReply(t, w.Bytes())
	})
}

func BenchmarkLookup(b *testing.B) {
	names := [][]byte{[]byte("get"), []byte("SET"), []byte("ZRangeByScore"), []byte("hset"),
		[]byte("LPUSH"), []byte("nosuch")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Lookup(names[i%len(names)])
	}
}

func BenchmarkLookupArgvSubcommand(b *testing.B) {
	args := argv("CONFIG", "GET", "maxmemory")
	b.ReportAllocs()
	for b.Loop() {
		LookupArgv(args)
	}
}

func BenchmarkKeys(b *testing.B) {
	for _, words := range []string{"GET k", "MSET a 1 b 2 c 3", "ZUNIONSTORE d 3 a b c", "XREAD COUNT 1 STREAMS a b 0 0"} {
		args := argv(strings.Fields(words)...)
		c := LookupArgv(args)
		b.Run(c.Name, func(b *testing.B) {
			var dst []KeyRef
			b.ReportAllocs()
			for b.Loop() {
				dst = c.Keys(args, 0, dst[:0])
			}
		})
	}
}

// TestAtoi checks C atoi semantics (keynum arguments).
func TestAtoi(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"1", 1}, {" \t2", 2}, {"+3", 3}, {"-4", -4}, {"5x", 5}, {"x5", 0}, {"", 0},
		{"4294967297", 1}, {"2147483648", -2147483648}, {"99999999999999999999", -1},
		{"-99999999999999999999", 0}, {"9223372036854775807", -1}, {"-9223372036854775808", 0},
	} {
		if got := atoi([]byte(tc.in)); got != tc.want {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
