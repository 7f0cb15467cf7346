package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"kv-check-aof": func() int { return kvCheckAOF(os.Args) },
	}))
}

// TestCLI runs the testscript files in testdata/script. Each script starts
// with copies of the redis-7.0 AOF cases under $WORK/cases/<case> (see
// ../shared/testdata/aof/redis-7.0) and $WORK/cases/ts.aof, the hand-made
// case with a later "#TS:" annotation and one more command appended.
// "status N args..." runs kv-check-aof and expects exit status N.
func TestCLI(t *testing.T) {
	cases := filepath.Join(aofTestdata(t), "redis-7.0")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			dst := filepath.Join(env.WorkDir, "cases")
			copyTree(t, cases, dst)
			hand, err := os.ReadFile(filepath.Join(cases, "oldstyle-handmade", "appendonly.aof"))
			if err != nil {
				return err
			}
			later := "#TS:1700000100\r\n*3\r\n$3\r\nSET\r\n$5\r\nlater\r\n$1\r\nx\r\n"
			return os.WriteFile(filepath.Join(dst, "ts.aof"), append(bytes.Clone(hand), later...), 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 1 {
					ts.Fatalf("usage: status N args...")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("status: %v", err)
				}
				err = ts.Exec("kv-check-aof", args[1:]...)
				got := 0
				if ee, ok := err.(*exec.ExitError); ok {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("status: %v", err)
				}
				if (got == want) == neg {
					ts.Fatalf("exit status %d, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
		},
	})
}
