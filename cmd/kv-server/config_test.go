package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
