// Package testutil starts the programs that kvkit's tests talk to: kvkit's
// own binaries (built once per test process) and Debian's Redis 7.0 tools.
//
// Servers bind 127.0.0.1 on a free port, run in a temporary directory, and
// are stopped by their own pid when the test ends. A missing Redis program
// fails the test with a message that says what to install; it never skips.
package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testutil: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Program returns the path of a Redis program (redis-server, redis-cli,
// redis-check-rdb, redis-check-aof, redis-benchmark, redis-sentinel), or
// fails the test saying which Debian packages provide it.
func Program(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Redis 7.0 with 'apt-get install redis-server redis-tools redis-sentinel' (make test does this when run as root)", name)
	}
	return path
}

// RepoRoot returns the directory that holds kvkit's go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		t.Fatalf("testutil: cannot find the module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// concurrent names the binaries that run goroutines against shared state,
// which are worth building with the race detector (it slows the sequential
// file tools, kv-rdb and kv-check-aof, several times over for nothing).
var concurrent = map[string]bool{"kv-server": true, "kv-benchmark": true}

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

// Binary builds ./cmd/NAME once per test process and returns the path of
// the executable. Under the race detector (go test -race) a concurrent
// binary (see concurrent) is built with it as well, and Start makes a detected race end the process
// (GORACE halt_on_error), so integration tests catch data races in kvkit's
// servers, not only in the test code.
func Binary(t testing.TB, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "kvkit-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, name)
	args := []string{"build", "-o", out}
	if raceEnabled && concurrent[name] {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/"+name)...)
	cmd.Dir = RepoRoot(t)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testutil: go build ./cmd/%s: %v\n%s", name, err, msg)
	}
	built[name] = out
	return out
}

// Server is a server process started by a test.
type Server struct {
	Port int
	Dir  string // the server's working directory, a fresh temporary one
	Cmd  *exec.Cmd
	Log  string // the file that receives the process's stdout and stderr
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop sends SIGTERM to the server's own pid and waits up to 10 s for it
// to exit, then kills it. It reports whether the process had already died
// of a data race (exit status 66, see Binary).
func (s *Server) Stop() (raced bool) {
	if s.Cmd.ProcessState == nil {
		done := make(chan struct{})
		go func() { s.Cmd.Wait(); close(done) }()
		s.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.Cmd.Process.Kill()
			<-done
		}
	}
	return s.Cmd.ProcessState.ExitCode() == 66
}

// Start runs bin with args in a fresh temporary directory, waits until
// port accepts connections (at most 10 s) and stops the process when the
// test ends. The caller puts the port into args.
func Start(t testing.TB, port int, bin string, args ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1 exitcode=66")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("testutil: start %s: %v", bin, err)
	}
	logf.Close()
	s := &Server{Port: port, Dir: dir, Cmd: cmd, Log: logPath}
	t.Cleanup(func() {
		if s.Stop() {
			msg, _ := os.ReadFile(logPath)
			t.Errorf("%s died of a data race:\n%s", filepath.Base(bin), msg)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			msg, _ := os.ReadFile(logPath)
			t.Fatalf("testutil: %s did not listen on %s within 10s:\n%s", filepath.Base(bin), s.Addr(), msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartRedis starts Debian's redis-server 7.0 on a free port with no
// persistence, plus any extra directives ("--name", "value", ...).
func StartRedis(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := Program(t, "redis-server")
	port := FreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, extra...)
	return Start(t, port, bin, args...)
}

// StartKV starts kvkit's kv-server (built from this tree) on a free port
// with no persistence, plus any extra directives.
func StartKV(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := Binary(t, "kv-server")
	port := FreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, extra...)
	return Start(t, port, bin, args...)
}

// RedisCLI runs redis-cli against addr with args and returns its standard
// output; a non-zero exit fails the test.
func RedisCLI(t testing.TB, addr string, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(Program(t, "redis-cli"), append([]string{"-h", host, "-p", port}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// LogLines returns the lines the server has written to its log so far.
func (s *Server) LogLines() []string {
	f, err := os.Open(s.Log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// String describes the server for test messages.
func (s *Server) String() string {
	return fmt.Sprintf("%s (pid %d, dir %s)", s.Addr(), s.Cmd.Process.Pid, s.Dir)
}
