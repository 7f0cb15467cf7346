package compat

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
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
