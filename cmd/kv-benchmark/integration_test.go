package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/loadgen"
	"github.com/kvkit/kvkit/internal/testutil"
)

// servers are the servers every integration test runs against: Redis 7.0
// and kvkit's kv-server.
var servers = []struct {
	name  string
	start func(t testing.TB) *testutil.Server
}{
	// DEBUG is disabled by default in Redis 7.0; the latency tests slow
	// the server down with DEBUG SLEEP.
	{"redis-server", func(t testing.TB) *testutil.Server { return testutil.StartRedis(t, "--enable-debug-command", "yes") }},
	{"kv-server", func(t testing.TB) *testutil.Server { return testutil.StartKV(t, "--enable-debug-command", "yes") }},
}

func forEachServer(t *testing.T, f func(t *testing.T, srv *testutil.Server)) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { f(t, s.start(t)) })
	}
}

type outcome struct {
	report loadgen.JSONReport
	tests  []loadgen.JSONTest
	stdout string
	stderr string
	code   int
}

// bench runs kv-benchmark against srv with args (plus --json) and returns
// its report, output and exit status.
func bench(t *testing.T, srv *testutil.Server, args ...string) outcome {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	full := append([]string{"-p", strconv.Itoa(srv.Port), "--json", jsonPath}, args...)
	cmd := exec.Command(testutil.Binary(t, "kv-benchmark"), full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	o := outcome{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		o.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kv-benchmark %s: %v", strings.Join(args, " "), err)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("kv-benchmark %s wrote no JSON (exit %d): %v\n%s%s", strings.Join(args, " "), o.code, err, o.stdout, o.stderr)
	}
	if err := json.Unmarshal(b, &o.report); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, b)
	}
	o.tests = o.report.Tests
	return o
}

func mustSucceed(t *testing.T, o outcome) {
	t.Helper()
	if o.code != 0 {
		t.Fatalf("exit status %d\n%s%s", o.code, o.stdout, o.stderr)
	}
}

// infoField returns a field of INFO section from redis-cli.
func infoField(t *testing.T, srv *testutil.Server, section, field string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field) + `:(.*?)\r?$`).FindStringSubmatch(testutil.RedisCLI(t, srv.Addr(), "INFO", section))
	if m == nil {
		return ""
	}
	return m[1]
}

// calls returns how many times the server ran command, from INFO commandstats.
func calls(t *testing.T, srv *testutil.Server, command string) int64 {
	t.Helper()
	v := infoField(t, srv, "commandstats", "cmdstat_"+command)
	m := regexp.MustCompile(`calls=(\d+)`).FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func dbsize(t *testing.T, srv *testutil.Server) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(testutil.RedisCLI(t, srv.Addr(), "DBSIZE")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func within(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance*want }

// The requested number of requests is sent exactly, also when the pipeline
// does not divide it.
func TestRequestCount(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		o := bench(t, srv, "-n", "3001", "-c", "7", "-P", "4", "-t", "set,get", "-q")
		mustSucceed(t, o)
		for i, cmd := range []string{"set", "get"} {
			if got := calls(t, srv, cmd); got != 3001 {
				t.Errorf("server ran %s %d times, want 3001", cmd, got)
			}
			if o.tests[i].Requests != 3001 || o.tests[i].Latency.Count != 3001 {
				t.Errorf("%s: report counts %d requests, %d latencies; want 3001", cmd, o.tests[i].Requests, o.tests[i].Latency.Count)
			}
		}
	})
}

// --test-time runs for that long; --warmup is not part of it.
func TestDuration(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		start := time.Now()
		o := bench(t, srv, "--test-time", "1", "--warmup", "0.3", "-c", "4", "-t", "get", "-q")
		wall := time.Since(start)
		mustSucceed(t, o)
		if e := o.tests[0].ElapsedSec; e < 1 || e > 1.3 {
			t.Errorf("measured %.3fs, want 1s", e)
		}
		if wall < 1300*time.Millisecond {
			t.Errorf("run took %v, want at least 1.3s (warm-up and test)", wall)
		}
		if got := calls(t, srv, "get"); got <= o.tests[0].Requests {
			t.Errorf("server ran GET %d times, report says %d measured: the warm-up sent nothing", got, o.tests[0].Requests)
		}
	})
}

// -r spreads keys over exactly the key space; without it every request
// uses the one key "key:__rand_int__", as redis-benchmark does.
func TestKeySpace(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		mustSucceed(t, bench(t, srv, "-t", "set", "-n", "200", "-c", "4", "-q"))
		if n := dbsize(t, srv); n != 1 {
			t.Errorf("without -r: %d keys, want 1", n)
		}
		if v := testutil.RedisCLI(t, srv.Addr(), "EXISTS", "key:__rand_int__"); strings.TrimSpace(v) != "1" {
			t.Errorf("without -r the key is not key:__rand_int__")
		}
		testutil.RedisCLI(t, srv.Addr(), "FLUSHALL")
		mustSucceed(t, bench(t, srv, "-t", "set", "-n", "20000", "-c", "8", "-P", "8", "-r", "500", "-q"))
		if n := dbsize(t, srv); n != 500 {
			t.Errorf("-r 500: %d keys, want 500", n)
		}
		if v := testutil.RedisCLI(t, srv.Addr(), "EXISTS", "key:000000000499"); strings.TrimSpace(v) != "1" {
			t.Errorf("-r 500: key:000000000499 missing; keys are not 12-digit padded 0..499")
		}
		testutil.RedisCLI(t, srv.Addr(), "FLUSHALL")
		// Sequential visits each key of the range once per pass.
		mustSucceed(t, bench(t, srv, "-t", "set", "-n", "1000", "-c", "5", "--key-pattern", "S", "--key-minimum", "1000", "--key-maximum", "1999", "-q"))
		if n := dbsize(t, srv); n != 1000 {
			t.Errorf("sequential 1000..1999 with 1000 requests: %d keys, want 1000", n)
		}
		testutil.RedisCLI(t, srv.Addr(), "FLUSHALL")
		// Zipf concentrates on few keys where uniform would touch ~all.
		mustSucceed(t, bench(t, srv, "-t", "set", "-n", "5000", "-c", "5", "--key-pattern", "zipf", "--key-zipf-exp", "1.2", "-r", "1000000", "-q"))
		if n := dbsize(t, srv); n > 2500 || n < 10 {
			t.Errorf("zipf 1.2 over 1e6 keys, 5000 requests: %d distinct keys, want a skewed set (10..2500)", n)
		}
	})
}

// --ratio keeps the SET:GET mix within 5%, counted by the server.
func TestRatio(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		o := bench(t, srv, "--ratio", "1:4", "-n", "10000", "-c", "6", "-P", "3", "-r", "1000")
		mustSucceed(t, o)
		sets, gets := calls(t, srv, "set"), calls(t, srv, "get")
		if sets+gets != 10000 {
			t.Errorf("server ran %d SET + %d GET, want 10000 in all", sets, gets)
		}
		if !within(float64(sets)/float64(sets+gets), 0.2, 0.05) {
			t.Errorf("SET share %d/%d, want 1/5 within 5%%", sets, sets+gets)
		}
		cs := o.tests[0].Commands
		if len(cs) != 2 || cs[0].Requests != sets || cs[1].Requests != gets {
			t.Errorf("report per command %+v, server saw SET %d GET %d", cs, sets, gets)
		}
	})
}

// --rps holds the request rate within 5%.
func TestRate(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		o := bench(t, srv, "--rps", "2000", "--test-time", "1.5", "-c", "8", "-t", "get", "-q")
		mustSucceed(t, o)
		if r := o.tests[0].OpsPerSec; !within(r, 2000, 0.05) {
			t.Errorf("rate %.1f requests/s, want 2000 within 5%%", r)
		}
	})
}

// Percentiles reflect a server slowed by DEBUG SLEEP; with --rps beyond
// what the server can do, latency counts from the intended send time
// (coordinated omission), so it grows with the backlog.
func TestLatencyPercentiles(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		o := bench(t, srv, "-c", "1", "-n", "15", "debug", "sleep", "0.02")
		mustSucceed(t, o)
		l := o.tests[0].Latency
		if l.Min < 20 || l.P50 < 20 || l.P50 > 60 || l.Max > 500 || !(l.Min <= l.P50 && l.P50 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("DEBUG SLEEP 0.02: latency %+v, want min and p50 from 20 ms, ordered", l)
		}
		// 50 requests/s possible, 100/s asked for, for 1 s: the backlog
		// reaches about half a second.
		o = bench(t, srv, "-c", "1", "--rps", "100", "--test-time", "1", "debug", "sleep", "0.02")
		mustSucceed(t, o)
		l = o.tests[0].Latency
		if l.P90 < 200 || l.Min < 20 {
			t.Errorf("rate-limited beyond capacity: latency %+v, want p90 above 200 ms (measured from the intended send time)", l)
		}
	})
}

// A connection dropped by the server is counted and replaced; the run goes
// on and reports it.
func TestDroppedConnection(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		done := make(chan outcome, 1)
		go func() { done <- bench(t, srv, "--test-time", "1.5", "-c", "4", "-t", "get", "-q") }()
		time.Sleep(700 * time.Millisecond)
		testutil.RedisCLI(t, srv.Addr(), "CLIENT", "KILL", "TYPE", "normal")
		o := <-done
		if o.code != 1 {
			t.Fatalf("exit status %d, want 1 (errors seen)\n%s%s", o.code, o.stdout, o.stderr)
		}
		r := o.tests[0]
		if r.Errors < 1 || len(r.ErrorMessages) == 0 || !strings.HasPrefix(r.ErrorMessages[0].Message, "connection lost") {
			t.Errorf("errors %d %+v, want connection lost", r.Errors, r.ErrorMessages)
		}
		if !strings.Contains(o.stderr, "connection lost") {
			t.Errorf("stderr does not report the error:\n%s", o.stderr)
		}
		if n := calls(t, srv, "get"); n <= r.Requests/2 || r.ElapsedSec < 1.4 {
			t.Errorf("the run did not go on after the drop: %d requests in %.2fs", r.Requests, r.ElapsedSec)
		}
	})
}

// Ctrl-C prints the results so far and exits 130.
func TestInterrupt(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		cmd := exec.Command(testutil.Binary(t, "kv-benchmark"), "-p", strconv.Itoa(srv.Port), "-n", "1000000000", "-c", "2", "-t", "get")
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("exit %v, want status 130", err)
		}
		if !regexp.MustCompile(`\| GET \(interrupted\) +\| +[1-9][0-9]*\.[0-9]{2} \|`).MatchString(out.String()) {
			t.Errorf("no partial result after SIGINT:\n%s", out.String())
		}
	})
}

// Connection options: a unix socket, SELECT, RESP3, AUTH with an ACL user.
func TestConnectionOptions(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "redis.sock")
	srv := testutil.StartRedis(t, "--unixsocket", sock, "--requirepass", "secret")
	testutil.RedisCLI(t, srv.Addr(), "-a", "secret", "--no-auth-warning", "ACL", "SETUSER", "bench", "on", ">pw", "~*", "+@all")
	cli := func(args ...string) string {
		return strings.TrimSpace(testutil.RedisCLI(t, srv.Addr(), append([]string{"-a", "secret", "--no-auth-warning"}, args...)...))
	}

	o := bench(t, srv, "-s", sock, "-a", "secret", "--dbnum", "3", "-t", "set", "-n", "500", "-r", "20", "-q")
	mustSucceed(t, o)
	if n := cli("-n", "3", "DBSIZE"); n != "20" {
		t.Errorf("--dbnum 3 over a unix socket: db 3 holds %s keys, want 20", n)
	}
	// In RESP3 HGETALL replies with a map; the reader must count it as one reply.
	cli("HSET", "h", "a", "1", "b", "2")
	o = bench(t, srv, "-3", "--user", "bench", "-a", "pw", "-n", "300", "-c", "3", "-P", "5", "hgetall", "h")
	mustSucceed(t, o)
	if r := o.tests[0]; r.Requests != 300 || r.Errors != 0 {
		t.Errorf("RESP3 HGETALL as ACL user: %d requests, %d errors", r.Requests, r.Errors)
	}
	if m := regexp.MustCompile(`cmdstat_hello:calls=(\d+)`).FindStringSubmatch(cli("INFO", "commandstats")); m == nil || m[1] != "3" {
		t.Errorf("HELLO calls: %v, want once per connection (3)", m)
	}
}

// -I holds idle connections until interrupted.
func TestIdle(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		cmd := exec.Command(testutil.Binary(t, "kv-benchmark"), "-p", strconv.Itoa(srv.Port), "-I", "-c", "7")
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for infoField(t, srv, "clients", "connected_clients") != "8" { // 7 + redis-cli
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("connected_clients = %s, want 8", infoField(t, srv, "clients", "connected_clients"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("exit %v, want status 130", err)
		}
		if !strings.HasPrefix(out.String(), "Creating 7 idle connections and waiting forever (Ctrl+C when done)\n") {
			t.Errorf("output %q", out.String())
		}
	})
}

// --data-size-range draws value sizes from the range; --seed without
// --distinct-client-seed makes every connection walk the same keys.
func TestValuesAndSeeds(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		mustSucceed(t, bench(t, srv, "-t", "set", "-n", "2000", "-r", "50", "--data-size-range", "10-20", "-q"))
		sizes := map[string]bool{}
		for i := 0; i < 50; i++ {
			n := strings.TrimSpace(testutil.RedisCLI(t, srv.Addr(), "STRLEN", fmt.Sprintf("key:%012d", i)))
			if v, _ := strconv.Atoi(n); v < 10 || v > 20 {
				t.Fatalf("value size %s outside 10-20", n)
			}
			sizes[n] = true
		}
		if len(sizes) < 3 {
			t.Errorf("value sizes %v: not drawn from the range", sizes)
		}
		testutil.RedisCLI(t, srv.Addr(), "FLUSHALL")
		// --rps paces the connections, so that each sends exactly two
		// requests: its first two keys.
		seeded := []string{"-t", "set", "-n", "16", "-c", "8", "--rps", "80", "-r", "1000000000", "--seed", "7", "-q"}
		mustSucceed(t, bench(t, srv, seeded...))
		if n := dbsize(t, srv); n != 2 {
			t.Errorf("--seed 7, 8 connections, two requests each: %d keys, want 2 (every connection walks the same sequence)", n)
		}
		testutil.RedisCLI(t, srv.Addr(), "FLUSHALL")
		mustSucceed(t, bench(t, srv, append(seeded, "--distinct-client-seed")...))
		if n := dbsize(t, srv); n != 16 {
			t.Errorf("--distinct-client-seed: %d keys, want 16", n)
		}
	})
}

// -l repeats the tests until interrupted.
func TestLoop(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *testutil.Server) {
		cmd := exec.Command(testutil.Binary(t, "kv-benchmark"), "-p", strconv.Itoa(srv.Port), "-l", "-n", "200", "-c", "2", "-t", "ping_mbulk", "-q")
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(600 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		if n := strings.Count(out.String(), "PING_MBULK: "); n < 3 {
			t.Errorf("-l ran the test %d times in 0.6s:\n%s", n, out.String())
		}
	})
}
