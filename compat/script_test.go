package compat

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/redis/go-redis/v9"
)

// TestScriptLibrary runs the real-world scripts of testdata/scripts on
// both servers: each <name>.lua is loaded with SCRIPT LOAD, then
// <name>.txt runs as a diff script with $<name> replaced by its SHA1.
func TestScriptLibrary(t *testing.T) {
	sources, err := filepath.Glob("testdata/scripts/*.lua")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no scripts in testdata/scripts: %v", err)
	}
	shas := map[string]string{}
	bodies := map[string]string{}
	for _, path := range sources {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".lua")
		sum := sha1.Sum(body)
		shas[name], bodies[name] = hex.EncodeToString(sum[:]), string(body)
	}
	p := startPair(t)
	for name := range shas {
		driver, err := os.ReadFile(filepath.Join("testdata/scripts", name+".txt"))
		if err != nil {
			t.Fatalf("script %s has no driver: %v", name, err)
		}
		text := string(driver)
		for n, sha := range shas {
			text = strings.ReplaceAll(text, "$"+n+" ", sha+" ")
		}
		path := filepath.Join(t.TempDir(), name+".txt")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, proto := range []int{2, 3} {
			t.Run(name+"/RESP"+string(rune('0'+proto)), func(t *testing.T) {
				s := p.session(t, proto)
				s.do(compareExact, "FLUSHALL")
				s.do(compareExact, "SCRIPT", "FLUSH")
				s.do(compareExact, "SCRIPT", "LOAD", bodies[name])
				runScript(t, s, path)
				s.do(compareExact, "DEBUG", "DIGEST")
			})
		}
	}
}

// busyRun starts a script on its own connection to srv and waits until
// another connection gets -BUSY; it returns both connections and the
// -BUSY reply.
func busyRun(t *testing.T, srv *testutil.Server, args ...string) (runner, other *resptest.Conn, busy []byte) {
	t.Helper()
	runner, err := resptest.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	other, err = resptest.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close(); other.Close() })
	if err := runner.Write(resptest.Encode(args...)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		reply, err := other.Do("PING")
		if err != nil {
			t.Fatalf("%s: PING during a script: %v", srv, err)
		}
		if bytes.HasPrefix(reply, []byte("-BUSY")) {
			return runner, other, reply
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: no -BUSY within 10 s of %q", srv, args)
	return nil, nil, nil
}

// TestScriptBusy checks busy-reply-threshold: while a script runs past it,
// other clients get -BUSY (the EVAL or the FUNCTION variant), the wrong
// KILL subcommand is refused, the right one stops the script (whose caller
// gets the kill error), and a script that wrote cannot be killed. Every
// reply is compared with redis-server's.
func TestScriptBusy(t *testing.T) {
	p := startPair(t, "--busy-reply-threshold", "100")
	loopLib := "#!lua name=busylib\nredis.register_function('spin', function() while true do end end)\n" +
		"redis.register_function('spinwrite', function(k) redis.call('set', k[1], 'x') local t0 = redis.call('time') " +
		"while true do local t = redis.call('time') if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 600000 then break end end return 'done' end)"
	type step struct {
		name string
		run  []string
		kill [][]string // sent while busy, in order, replies compared
	}
	steps := []step{
		{"eval", []string{"EVAL", "local i = 0 while true do i = i + 1 end", "0"},
			[][]string{{"FUNCTION", "KILL"}, {"GET", "k"}, {"SCRIPT", "KILL"}}},
		{"function", []string{"FCALL", "spin", "0"},
			[][]string{{"SCRIPT", "KILL"}, {"SET", "k", "v"}, {"FUNCTION", "KILL"}}},
		{"unkillable", []string{"FCALL", "spinwrite", "1", "w"},
			[][]string{{"FUNCTION", "KILL"}}},
	}
	for _, srv := range []*testutil.Server{p.kv, p.redis} {
		if out := testutil.RedisCLI(t, srv.Addr(), "FUNCTION", "LOAD", "REPLACE", loopLib); out != "busylib\n" {
			t.Fatalf("%s: FUNCTION LOAD: %q", srv, out)
		}
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var got [2][][]byte
			for i, srv := range []*testutil.Server{p.kv, p.redis} {
				runner, other, busy := busyRun(t, srv, st.run...)
				got[i] = append(got[i], busy)
				for _, k := range st.kill {
					reply, err := other.Do(k...)
					if err != nil {
						t.Fatal(err)
					}
					got[i] = append(got[i], reply)
				}
				reply, err := runner.ReadTimeout(10 * time.Second)
				if err != nil {
					t.Fatalf("%s: the script's reply: %v", srv, err)
				}
				got[i] = append(got[i], reply)
				if reply, _ := other.Do("PING"); string(reply) != "+PONG\r\n" {
					t.Fatalf("%s: PING after the script: %q", srv, reply)
				}
			}
			for j := range got[1] {
				if j >= len(got[0]) || !bytes.Equal(got[0][j], got[1][j]) {
					t.Errorf("reply %d: kv-server %q, redis-server %q", j, got[0], got[1])
					break
				}
			}
		})
	}
}

// luaGen writes random scripts: redis.call/pcall of string, hash, set and
// list commands on a few keys, arithmetic and string work, and return
// values of every shape the Lua -> RESP conversion handles.
type luaGen struct{ gen }

func (g luaGen) arg() string {
	switch g.r.IntN(6) {
	case 0:
		return "KEYS[" + strconv.Itoa(1+g.r.IntN(3)) + "]"
	case 1:
		return "ARGV[" + strconv.Itoa(1+g.r.IntN(3)) + "]"
	case 2:
		return strconv.Itoa(g.r.IntN(200) - 100)
	case 3:
		return strconv.FormatFloat(g.r.Float64()*100-50, 'f', 3, 64)
	}
	return "'" + g.pick("a", "b", "", "x y", "10", "-3") + "'"
}

func (g luaGen) call() string {
	fn := g.pick("redis.call", "redis.pcall")
	k := "KEYS[" + strconv.Itoa(1+g.r.IntN(3)) + "]"
	switch g.r.IntN(14) {
	case 0:
		return fn + "('set', " + k + ", " + g.arg() + ")"
	case 1:
		return fn + "('get', " + k + ")"
	case 2:
		return fn + "('incrby', " + k + ", " + g.arg() + ")"
	case 3:
		return fn + "('append', " + k + ", " + g.arg() + ")"
	case 4:
		return fn + "('hset', " + k + ", " + g.arg() + ", " + g.arg() + ")"
	case 5:
		return fn + "('hget', " + k + ", " + g.arg() + ")"
	case 6:
		return fn + "('sadd', " + k + ", " + g.arg() + ")"
	case 7:
		return fn + "('sismember', " + k + ", " + g.arg() + ")"
	case 8:
		return fn + "('rpush', " + k + ", " + g.arg() + ", " + g.arg() + ")"
	case 9:
		return fn + "('lrange', " + k + ", 0, -1)"
	case 10:
		return fn + "('del', " + k + ")"
	case 11:
		return fn + "('exists', " + k + ", " + k + ")"
	case 12:
		return fn + "('type', " + k + ")"
	}
	return fn + "('incrbyfloat', " + k + ", " + g.arg() + ")"
}

// value is a Lua expression of a random shape, depth-bounded.
func (g luaGen) value(depth int) string {
	n := 12
	if depth > 2 {
		n = 9
	}
	switch g.r.IntN(n) {
	case 0:
		return g.call()
	case 1:
		return g.arg()
	case 2:
		return g.pick("true", "false", "nil")
	case 3:
		return "tostring(" + g.arg() + ")"
	case 4:
		return "{err=" + g.pick("'ERR custom'", "'PLAIN text'", "'x'") + "}"
	case 5:
		return "{ok=" + g.pick("'OK'", "'DONE'") + "}"
	case 6:
		return "{double=" + g.arg() + "}"
	case 7:
		return "(tonumber(" + g.arg() + ") or 0) * " + strconv.Itoa(g.r.IntN(7)-3)
	case 8:
		return "type(" + g.call() + ")"
	}
	parts := make([]string, g.r.IntN(4))
	for i := range parts {
		parts[i] = g.value(depth + 1)
	}
	if g.r.IntN(4) == 0 {
		return "{map={" + g.pick("a", "b") + "=" + g.value(depth+1) + "}}"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (g luaGen) script() string {
	var b strings.Builder
	if g.r.IntN(4) == 0 {
		b.WriteString("redis.setresp(3)\n")
	}
	for i := g.r.IntN(4); i > 0; i-- {
		b.WriteString("local _ = " + g.call() + "\n")
	}
	if g.r.IntN(10) == 0 {
		b.WriteString("error(" + g.pick("'oops'", "{err='CODE bad'}") + ")\n")
	}
	b.WriteString("return " + g.value(0))
	return b.String()
}

// TestScriptRandom runs seeded random scripts on both servers in RESP2 and
// RESP3, by EVAL and by EVALSHA, and compares every reply and the final
// DEBUG DIGEST.
func TestScriptRandom(t *testing.T) {
	p := startPair(t)
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			g := luaGen{gen{rand.New(rand.NewPCG(uint64(proto), 7))}}
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			for i := 0; i < 400; i++ {
				body := g.script()
				args := []string{"3", "k1", "k2", "k3", g.value0(), g.value0(), g.value0()}
				if g.r.IntN(2) == 0 {
					s.do(compareExact, append([]string{"EVAL", body}, args...)...)
				} else {
					sum := sha1.Sum([]byte(body))
					s.do(compareExact, "SCRIPT", "LOAD", body)
					s.do(compareExact, append([]string{"EVALSHA", hex.EncodeToString(sum[:])}, args...)...)
				}
			}
			s.do(compareExact, "DEBUG", "DIGEST")
		})
	}
}

// value0 is an ARGV value: a string the commands parse variously.
func (g luaGen) value0() string {
	return g.pick("1", "-7", "2.5", "abc", "", "9223372036854775807", "x y")
}

// TestScriptGoRedis runs go-redis's Script helper (EVALSHA, then EVAL on
// NOSCRIPT) and its script commands against both servers.
func TestScriptGoRedis(t *testing.T) {
	p := startPair(t)
	ctx := context.Background()
	var logs [2][]string
	for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
		defer rdb.Close()
		var log []string
		add := func(v any, err error) { log = append(log, fmt.Sprintf("%v %v", v, err)) }
		sc := redis.NewScript("return {KEYS[1], ARGV[1], redis.call('incr', KEYS[1])}")
		add(sc.Exists(ctx, rdb).Result())
		add(sc.Run(ctx, rdb, []string{"gr:n"}, "arg").Result())
		add(sc.Exists(ctx, rdb).Result())
		add(sc.Run(ctx, rdb, []string{"gr:n"}, "arg").Result())
		add(rdb.ScriptFlush(ctx).Result())
		add(sc.RunRO(ctx, rdb, []string{"gr:n"}, "arg").Result())
		add(rdb.Eval(ctx, "return redis.error_reply('MY failure')", nil).Result())
		add(rdb.FunctionLoadReplace(ctx, "#!lua name=grlib\nredis.register_function{function_name='grf', callback=function(k, a) return #a end, flags={'no-writes'}}").Result())
		add(rdb.FCall(ctx, "grf", nil, 1, 2, 3).Result())
		add(rdb.FCallRO(ctx, "grf", nil, 1).Result())
		libs, err := rdb.FunctionList(ctx, redis.FunctionListQuery{LibraryNamePattern: "grlib", WithCode: true}).Result()
		add(fmt.Sprintf("%+v", libs), err)
		add(rdb.FunctionDelete(ctx, "grlib").Result())
		logs[i] = log
	}
	compareLogs(t, "go-redis scripts", logs[0], logs[1])
}
