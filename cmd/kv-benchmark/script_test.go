package main

import (
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kvkit/kvkit/internal/testutil"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kv-benchmark": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script against one
// redis-server ($PORT) and a port where nothing listens ($CLOSED_PORT).
func TestScripts(t *testing.T) {
	srv := testutil.StartRedis(t)
	closed := testutil.FreePort(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PORT", strconv.Itoa(srv.Port))
			env.Setenv("CLOSED_PORT", strconv.Itoa(closed))
			return nil
		},
	})
}
