package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kvkit/kvkit/internal/testutil"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"kv-rdb": func() int { return run(os.Args) },
	}))
}

// TestCLI runs the testscript files in testdata/script: every subcommand,
// filter and error path. $RDB is ../shared/testdata/rdb.
func TestCLI(t *testing.T) {
	rdb := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "rdb")
	if _, err := os.Stat(filepath.Join(rdb, "redis-7.0", "dump.rdb")); err != nil {
		t.Fatalf("test data missing: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("RDB", rdb)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits N cmd args...: run cmd and require exit status N.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exits N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
			// truncate FILE N OUT: copy the first N bytes of FILE to OUT.
			"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: truncate FILE N OUT")
				}
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), b[:min(n, len(b))], 0o644))
			},
		},
	})
}
