package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/testutil"
)

// TestStockRedisConf starts kv-server with Debian's stock Redis 7.0
// redis.conf (paths that need root overridden on the command line, as a user
// would) and checks that values from the file and from the command line
// are in force.
func TestStockRedisConf(t *testing.T) {
	conf := filepath.Join(testutil.RepoRoot(t), "..", "shared", "reference", "redis-7.0", "redis.conf")
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("the stock redis.conf is missing (shared/ beside the repository): %v", err)
	}
	dir := t.TempDir()
	port := testutil.FreePort(t)
	srv := testutil.Start(t, port, testutil.Binary(t, "kv-server"), conf,
		"--port", strconv.Itoa(port), "--daemonize", "no", "--logfile", "",
		"--dir", dir, "--pidfile", filepath.Join(dir, "kv.pid"), "--unixsocket", "")
	get := func(name string) string {
		out := testutil.RedisCLI(t, srv.Addr(), "CONFIG", "GET", name)
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), name))
	}
	for name, want := range map[string]string{
		"port": strconv.Itoa(port), "databases": "16", "tcp-keepalive": "300", "timeout": "0",
		"dir": dir, "loglevel": "notice", "save": "3600 1 300 100 60 10000",
	} {
		if got := get(name); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
		}
	}
	if pid, err := os.ReadFile(filepath.Join(dir, "kv.pid")); err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(srv.Cmd.Process.Pid) {
		t.Errorf("pidfile: %q, %v; want the server's pid %d", pid, err, srv.Cmd.Process.Pid)
	}
}

// TestBadConfigFile checks the fatal error for a misspelled directive: it
// names the file's line and the server exits with status 1.
func TestBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "bad.conf")
	os.WriteFile(conf, []byte("port 7000\nmaxmemroy 10mb\n"), 0o644)
	out, err := exec.Command(testutil.Binary(t, "kv-server"), conf).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	for _, want := range []string{"*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***", "at line 2", ">>> 'maxmemroy 10mb'", "Bad directive or wrong number of arguments"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestVersionAndHelp checks --version and --help exit 0 without starting.
func TestVersionAndHelp(t *testing.T) {
	for _, arg := range []string{"--version", "-v", "--help", "-h"} {
		out, err := exec.Command(testutil.Binary(t, "kv-server"), arg).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "kv-server") {
			t.Errorf("kv-server %s: %v\n%s", arg, err, out)
		}
	}
}

// TestDaemonize checks daemonize yes: the command returns at once with
// status 0, a detached server keeps serving, writes its pid file and its
// log file, and stops on SIGTERM, removing the pid file.
func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	port := testutil.FreePort(t)
	pidfile, logfile := filepath.Join(dir, "kv.pid"), filepath.Join(dir, "kv.log")
	cmd := exec.Command(testutil.Binary(t, "kv-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile, "--dir", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kv-server --daemonize yes: %v\n%s", err, out)
	}
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(pidfile); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				pid = n
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no pid file within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	proc, _ := os.FindProcess(pid)
	defer proc.Signal(syscall.SIGKILL) // the daemon is this test's grandchild
	if pid == cmd.Process.Pid {
		t.Errorf("pid file holds the launcher's pid %d, not the daemon's", pid)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if i > 500 {
			t.Fatal("the daemon does not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := testutil.RedisCLI(t, addr, "PING"); strings.TrimSpace(out) != "PONG" {
		t.Errorf("PING: %q", out)
	}
	proc.Signal(syscall.SIGTERM)
	for i := 0; ; i++ {
		if _, err := os.Stat(pidfile); os.IsNotExist(err) {
			break
		}
		if i > 500 {
			t.Fatal("the pid file is still there 10s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if log, _ := os.ReadFile(logfile); !strings.Contains(string(log), "Ready to accept connections") ||
		!strings.Contains(string(log), "Received SIGTERM scheduling shutdown") {
		t.Errorf("log file:\n%s", log)
	}
}
