package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
)

// TestRestore loads the Redis 7.0 corpus into a live redis-server 7.0 with
// RESTORE payloads and with plain commands: the DEBUG DIGEST must equal the
// one the corpus states; keys that exist are errors without --replace.
func TestRestore(t *testing.T) {
	dir := filepath.Join(testdataRDB(t), "redis-7.0")
	kv := testutil.Binary(t, "kv-rdb")
	port := testutil.FreePort(t)
	testutil.Start(t, port, testutil.Program(t, "redis-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--requirepass", "sekret")
	want := readExpectedFile(t, filepath.Join(dir, "expected.txt"))
	file := filepath.Join(dir, "dump.rdb")
	digest := func() string {
		return redisCLI(t, port, "--no-auth-warning", "-a", "sekret", "DEBUG", "DIGEST")
	}
	p := strconv.Itoa(port)
	if st, out := exitStatus(t, exec.Command(kv, "restore", "-q", "--port", p, "-a", "sekret", file)); st != 0 {
		t.Fatalf("restore: exit %d\n%s", st, out)
	}
	if d := digest(); d != want.digest {
		t.Fatalf("after restore: digest %s, want %s", d, want.digest)
	}
	st, out := exitStatus(t, exec.Command(kv, "restore", "-q", "-u", "redis://:sekret@127.0.0.1:"+p, "--db", "0", "--key", "^str:", file))
	if st != 1 || !strings.Contains(out, "BUSYKEY") {
		t.Fatalf("restore over existing keys: exit %d, want 1 with BUSYKEY errors\n%s", st, out)
	}
	for _, args := range [][]string{{"--replace"}, {"--replace", "--commands"}} {
		redisCLI(t, port, "--no-auth-warning", "-a", "sekret", "SET", "str:empty", "changed")
		cmd := exec.Command(kv, append(append([]string{"restore", "-q", "--port", p, "-a", "sekret"}, args...), file)...)
		if st, out := exitStatus(t, cmd); st != 0 {
			t.Fatalf("restore %v: exit %d\n%s", args, st, out)
		}
		if d := digest(); d != want.digest {
			t.Fatalf("after restore %v: digest %s, want %s", args, d, want.digest)
		}
	}
	if st, out := exitStatus(t, exec.Command(kv, "restore", "-q", "--port", p, "-a", "wrong", file)); st != 1 || !strings.Contains(out, "WRONGPASS") {
		t.Fatalf("restore with a wrong password: exit %d\n%s", st, out)
	}
	if st, out := exitStatus(t, exec.Command(kv, "restore", "-q", "--port", strconv.Itoa(testutil.FreePort(t)), file)); st != 2 || !strings.Contains(out, "refused") {
		t.Fatalf("restore to a closed port: exit %d\n%s", st, out)
	}
}
