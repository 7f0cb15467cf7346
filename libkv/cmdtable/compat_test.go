package cmdtable

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/libkv/resp"
)

// The tests in this file run Debian's redis-server 7.0 and compare its
// COMMAND replies with ExecCommand's, byte for byte, in RESP2 and RESP3.
// Where Redis lists commands or subcommands in the order of its hash
// tables (seeded at random on every start), both replies are sorted first.

// ours runs ExecCommand with every command implemented.
func ours(proto int, args [][]byte) []byte {
	w := resp.NewWriter(proto)
	ExecCommand(w, args, nil)
	return append([]byte(nil), w.Bytes()...)
}

// normInfo sorts the subcommands of a COMMAND INFO entry.
func normInfo(e *reply) {
	if len(e.elems) == 10 {
		e.elems[9].sortElems(1)
		e.rebuild()
	}
}

// normInfoReply sorts the subcommands of every entry of a COMMAND INFO
// reply; all sorts the entries too.
func normInfoReply(rep *reply, all bool) {
	for _, e := range rep.elems {
		normInfo(e)
	}
	if all {
		rep.sortElems(1)
	}
	rep.rebuild()
}

// normDocsReply sorts the subcommands of every entry of a COMMAND DOCS
// reply; all sorts the entries too.
func normDocsReply(rep *reply, all bool) {
	for i := 1; i < len(rep.elems); i += 2 {
		d := rep.elems[i]
		for j := 0; j+1 < len(d.elems); j += 2 {
			if d.elems[j].str() == "subcommands" {
				d.elems[j+1].sortElems(2)
				d.rebuild()
			}
		}
	}
	if all {
		rep.sortElems(2)
	}
	rep.rebuild()
}

// sameBytes fails the test with the first difference between our reply
// and Redis's.
func sameBytes(t *testing.T, what string, got, want []byte) bool {
	t.Helper()
	if bytes.Equal(got, want) {
		return true
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	t.Errorf("%s: replies differ at byte %d\n ours:  %q\n redis: %q", what, i,
		got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
	return false
}

// compare sends every command to Redis in both protocols and compares the
// replies with ours after norm (which may be nil).
func compare(t *testing.T, addr string, cmds [][][]byte, norm func(*reply)) {
	t.Helper()
	for _, proto := range []int{2, 3} {
		c := dialServer(t, addr, proto)
		replies := c.do(cmds...)
		failures := 0
		for i, args := range cmds {
			want := replies[i]
			got := parseReply(t, ours(proto, args))
			if norm != nil {
				norm(want)
				norm(got)
			}
			what := fmt.Sprintf("RESP%d %q", proto, bytes.Join(args, []byte(" ")))
			if !sameBytes(t, what, got.raw, want.raw) {
				if failures++; failures == 20 {
					t.Fatalf("RESP%d: too many differences", proto)
				}
			}
		}
	}
}

func everyCommand() []*Command {
	var cmds []*Command
	for _, c := range All() {
		cmds = append(cmds, c)
		cmds = append(cmds, c.Subcommands...)
	}
	return cmds
}

func TestCompatInfoDocs(t *testing.T) {
	srv := testutil.StartRedis(t)
	var info, docs [][][]byte
	for _, c := range everyCommand() {
		info = append(info, argv("COMMAND", "INFO", c.Name))
		docs = append(docs, argv("command", "docs", strings.ToUpper(c.Name)))
	}
	odd := []string{"GET", "Config|Get", "config|", "|get", "config|get|x", "get|x",
		"nosuch", "", "|", "config||get", "CONFIG"}
	info = append(info, argv(append([]string{"COMMAND", "INFO"}, odd...)...),
		argv("COMMAND", "INFO", "nosuch"), argv("COMMAND", "INFO", "get", "set", "get"))
	docs = append(docs, argv(append([]string{"COMMAND", "DOCS"}, odd...)...),
		argv("COMMAND", "DOCS", "nosuch"), argv("COMMAND", "DOCS", "get", "set", "get"))
	compare(t, srv.Addr(), info, func(r *reply) { normInfoReply(r, false) })
	compare(t, srv.Addr(), docs, func(r *reply) { normDocsReply(r, false) })
	compare(t, srv.Addr(), [][][]byte{argv("COMMAND"), argv("command", "info")},
		func(r *reply) { normInfoReply(r, true) })
	compare(t, srv.Addr(), [][][]byte{argv("COMMAND", "DOCS")},
		func(r *reply) { normDocsReply(r, true) })
}

func TestCompatListCountHelp(t *testing.T) {
	srv := testutil.StartRedis(t)
	cmds := [][][]byte{
		argv("COMMAND", "COUNT"), argv("command", "count", "x"),
		argv("COMMAND", "HELP"), argv("COMMAND", "help", "x"),
		argv("COMMAND", "NOPE"), argv("COMMAND", strings.Repeat("x\r\n", 60)), argv("COMMAND", "a\x00b"),
		argv("COMMAND", "GETKEYS"), argv("COMMAND", "GETKEYSANDFLAGS", "get"),
		argv("COMMAND", "LIST", "x"), argv("COMMAND", "LIST", "FILTERBY"),
		argv("COMMAND", "LIST", "FILTERBY", "ACLCAT"),
		argv("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read", "x"),
		argv("COMMAND", "LIST", "FILTERBY", "WHAT", "read"),
		argv("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read", "FILTERBY", "PATTERN", "*"),
	}
	compare(t, srv.Addr(), cmds, nil)

	lists := [][][]byte{
		argv("COMMAND", "LIST"),
		argv("COMMAND", "LIST", "FILTERBY", "MODULE", "x"),
		argv("COMMAND", "LIST", "filterby", "aclcat", "nosuch"),
		argv("COMMAND", "LIST", "FILTERBY", "ACLCAT", "READ"),
		argv("COMMAND", "LIST", "FILTERBY", "ACLCAT", "@read"),
	}
	for _, cat := range aclNames {
		lists = append(lists, argv("COMMAND", "LIST", "FILTERBY", "ACLCAT", cat))
	}
	for _, p := range globCases {
		lists = append(lists, argv("COMMAND", "LIST", "FILTERBY", "PATTERN", p))
	}
	compare(t, srv.Addr(), lists, func(r *reply) { r.sortElems(1) })
}

// globCases are patterns for COMMAND LIST FILTERBY PATTERN, compared with
// Redis's stringmatchlen through the real server.
var globCases = []string{
	"*", "", "x*", "X*", "*|*", "config|*", "[a-c]*", "[c-a]*", "?et", "*e[^a-m]*",
	"CONFIG*", "\\*", "[", "[abc", "*[", "s*\\", "\\g\\e\\t", "[\\]]*", "*a*b*c*d*e*",
	"[^a-y]*", "cl*|*k*", "*?", "??", "???", "????*", "*-*", "*_*", "[]]*", "[z-]*",
	"[-a]*", "**get", "*\\|*", "g[e]t", "G[E-E]T", "[G]et",
}

func TestCompatGetKeys(t *testing.T) {
	srv := testutil.StartRedis(t)
	fixed := []string{
		"GET k", "SET k v", "SET k v GET", "SET k v get EX 1", "MSET a 1 b 2 c 3", "MSET a 1 b",
		"DEL a b c", "BITFIELD k GET u8 0", "BITFIELD k GET u8 0 SET u8 0 1", "BITFIELD k OVERFLOW WRAP",
		"BITFIELD k", "BITFIELD k get u8", "BITFIELD_RO k GET u8 0",
		"EVAL s 0", "EVAL s 1 a", "EVAL s 2 a b c", "EVAL s 3 a b", "EVAL s -1 a", "EVAL s 1abc k",
		"EVAL s 01 a", "EVAL s +1 a", "EVAL s ' 1' a", "EVAL s 4294967297 a", "EVALSHA x 1 a",
		"EVAL_RO s 1 a", "FCALL f 2 a b", "FCALL_RO f 0",
		"ZUNIONSTORE d 2 a b", "ZUNIONSTORE d 2 a", "ZUNIONSTORE d 1x a b", "ZUNIONSTORE d 0 a",
		"ZINTERSTORE d 2 a b WEIGHTS 1 2", "ZDIFFSTORE d 1 a", "ZUNION 2 a b", "ZINTER 1 a WITHSCORES",
		"ZDIFF 3 a b", "ZINTERCARD 2 a b LIMIT 1", "SINTERCARD 1 a", "SINTERCARD 9 a",
		"LMPOP 2 a b LEFT", "LMPOP 1x a LEFT", "BLMPOP 0 2 a b LEFT", "ZMPOP 1 a MIN", "BZMPOP 1 1 a MAX",
		"SORT k", "SORT k STORE d", "SORT k BY x STORE d", "SORT k STORE", "SORT k LIMIT 0 1 STORE d",
		"SORT k GET # STORE a STORE b", "SORT k LIMIT store x", "SORT_RO k BY x", "SORT_RO k",
		"MIGRATE h p k 0 5", "MIGRATE h p '' 0 5 KEYS a b", "MIGRATE h p k 0 5 KEYS a b",
		"MIGRATE h p '' 0 5 AUTH pw KEYS a", "MIGRATE h p '' 0 5 AUTH2 u pw KEYS a b",
		"MIGRATE h p '' 0 5 COPY REPLACE KEYS a", "MIGRATE h p '' 0 5 AUTH KEYS a",
		"GEORADIUS k 1 2 3 m", "GEORADIUS k 1 2 3 m STORE x", "GEORADIUS k 1 2 3 m STOREDIST x",
		"GEORADIUS k 1 2 3 m STORE x STOREDIST y", "GEORADIUS k 1 2 3 m STORE", "GEORADIUS k 1 2 3 m x STORE",
		"GEORADIUSBYMEMBER k m 3 km STORE d", "GEORADIUS_RO k 1 2 3 m",
		"XREAD STREAMS a b", "XREAD COUNT 1 STREAMS a b c", "XREAD STREAMS a b c d",
		"XREAD BLOCK 0 STREAMS a", "XREAD STREAMS", "XREADGROUP GROUP g c STREAMS a 0",
		"XREADGROUP GROUP g c NOACK STREAMS a b 0 0", "XREADGROUP GROUP g c COUNT 1 STREAMS a b c",
		"XREAD STREAMS STREAMS STREAMS", "LCS a b", "MEMORY USAGE a", "MEMORY USAGE a SAMPLES 5",
		"OBJECT ENCODING k", "OBJECT HELP", "CONFIG GET x", "CONFIG NOPE x", "NOSUCH a", "PING x",
		"SSUBSCRIBE a", "SPUBLISH a m", "GET", "GET a b", "ZUNIONSTORE d", "XINFO STREAM k",
		"XINFO STREAM k FULL", "XGROUP CREATE k g 0", "CLIENT KILL x", "BLPOP a b 0", "RENAME a b",
		"SMOVE a b m", "LMOVE a b LEFT RIGHT", "COPY a b DB 1", "PFCOUNT a b", "PFMERGE d a b",
		"BITOP AND d a b", "SINTERSTORE d a b", "XADD k * f v", "WATCH a b", "EXISTS a a",
		"TOUCH a", "OBJECT FREQ k", "DEBUG OBJECT k", "SUBSCRIBE a", "PUBLISH a b",
		"FUNCTION LOAD x", "SCRIPT EXISTS a", "RESTORE k 0 x", "GETEX k PERSIST",
	}
	var cmds [][][]byte
	for _, line := range fixed {
		words := strings.Fields(line)
		for i, w := range words {
			if w == "''" {
				words[i] = ""
			} else if w == "' 1'" {
				words[i] = " 1"
			}
		}
		cmds = append(cmds, argv(append([]string{"COMMAND", "GETKEYSANDFLAGS"}, words...)...))
		cmds = append(cmds, argv(append([]string{"COMMAND", "GETKEYS"}, words...)...))
	}
	// Seeded random argument vectors for every command, made of the
	// command's own tokens, numbers and key names.
	rng := rand.New(rand.NewSource(7))
	for _, c := range everyCommand() {
		for i := 0; i < 16; i++ {
			words := append([]string{"COMMAND", "GETKEYSANDFLAGS"}, randomArgv(rng, c)...)
			cmds = append(cmds, argv(words...))
		}
	}
	compare(t, srv.Addr(), cmds, nil)
}

// randomArgv returns an argument vector for c of a length around its
// arity, from c's documented tokens, numbers and plain words.
func randomArgv(rng *rand.Rand, c *Command) []string {
	var words []string
	if c.Parent != nil {
		words = append(words, c.Parent.Name, c.DeclaredName)
	} else {
		words = append(words, c.Name)
	}
	for i, w := range words {
		if rng.Intn(2) == 0 {
			words[i] = strings.ToUpper(w)
		}
	}
	vocab := []string{"k1", "k2", "k3", "0", "1", "2", "3", "-1", "1x", "", "00", "4294967297",
		"99999999999999999999", "STREAMS", "STORE", "KEYS", "GET", "BY", "LIMIT"}
	var tokens func(args []Arg)
	tokens = func(args []Arg) {
		for _, a := range args {
			if a.Token != "" {
				vocab = append(vocab, a.Token, strings.ToLower(a.Token))
			}
			tokens(a.Arguments)
		}
	}
	tokens(c.Docs.Arguments)
	n := c.Arity
	if n < 0 {
		n = -n + rng.Intn(7)
	} else if rng.Intn(8) == 0 {
		n += rng.Intn(3) - 1
	}
	for len(words) < n {
		words = append(words, vocab[rng.Intn(len(vocab))])
	}
	return words
}

// hiddenFlagsUnchecked are the commands TestCompatHiddenFlags does not
// run, because running them would disturb the server or the test
// (shutting down, becoming a replica, unpausing, forking a save, keeping
// the server busy for seconds as PFSELFTEST does).
var hiddenFlagsUnchecked = map[string]bool{
	"shutdown": true, "replicaof": true, "slaveof": true, "sync": true, "psync": true,
	"failover": true, "client|pause": true, "client|unpause": true, "client|kill": true,
	"save": true, "bgsave": true, "bgrewriteaof": true, "monitor": true, "pfselftest": true,
}

// TestCompatHiddenFlags checks hiddenFlags against redis-server by the
// flags' effects: under CLIENT PAUSE WRITE, every command that is not
// write is sent on its own connection with arguments that satisfy its
// arity; those that wait are the may_replicate ones, and those refused
// with "command not allowed" are the protected ones.
func TestCompatHiddenFlags(t *testing.T) {
	srv := testutil.StartRedis(t)
	ctl := dialServer(t, srv.Addr(), 2)
	if rep := ctl.do(argv("CLIENT", "PAUSE", "60000", "WRITE")); rep[0].str() != "OK" {
		t.Fatalf("CLIENT PAUSE: %q", rep[0].raw)
	}
	type probe struct {
		c    *Command
		conn *client
	}
	var probes []probe
	for _, c := range everyCommand() {
		if c.Flags.Has(FlagWrite) || c.IsContainer() || hiddenFlagsUnchecked[c.Name] {
			continue
		}
		words := []string{c.Name}
		if c.Parent != nil {
			words = []string{c.Parent.Name, c.DeclaredName}
		}
		for len(words) < c.Arity || len(words) < -c.Arity {
			words = append(words, "0")
		}
		conn := dialServer(t, srv.Addr(), 2)
		if _, err := conn.conn.Write(encode(argv(words...))); err != nil {
			t.Fatal(err)
		}
		probes = append(probes, probe{c, conn})
	}
	// A command that runs answers at once; on a loaded machine "at once"
	// can take a while, hence the generous deadline.
	deadline := time.Now().Add(2 * time.Second)
	type result struct {
		rep *reply
		err error
	}
	results := make([]result, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.conn.conn.SetReadDeadline(deadline)
			rep, err := readReply(p.conn.r)
			results[i] = result{rep, err}
		}()
	}
	wg.Wait()
	var waiting []*Command
	for i, p := range probes {
		rep, err := results[i].rep, results[i].err
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				waiting = append(waiting, p.c)
				continue
			}
			if err == io.EOF { // QUIT
				continue
			}
			t.Fatalf("%s: %v", p.c.Name, err)
		}
		refused := strings.HasPrefix(rep.str(), "ERR "+strings.ToUpper(rootName(p.c))+" command not allowed")
		if protected := p.c.Flags.Has(FlagProtected); refused != protected {
			t.Errorf("%s: protected is %v, but Redis replies %q", p.c.Name, protected, rep.raw)
		}
		if p.c.Flags.Has(FlagMayReplicate) {
			t.Errorf("%s: may_replicate, but Redis runs it under CLIENT PAUSE WRITE: %q", p.c.Name, rep.raw)
		}
	}
	for _, c := range waiting {
		if !c.Flags.Has(FlagMayReplicate) {
			t.Errorf("%s: not may_replicate, but Redis holds it under CLIENT PAUSE WRITE", c.Name)
		}
	}
	if len(waiting) == 0 {
		t.Error("no command waited under CLIENT PAUSE WRITE")
	}
	ctl.do(argv("CLIENT", "UNPAUSE"))
}

// rootName is the name of c's top-level command.
func rootName(c *Command) string {
	if c.Parent != nil {
		return c.Parent.Name
	}
	return c.Name
}
