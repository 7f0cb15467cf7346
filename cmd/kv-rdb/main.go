// Command kv-rdb inspects Redis RDB files of every version: it checks,
// dumps, measures, compares, converts and restores them, streaming in
// constant memory (kvkit issue 6). It reads a path or "-" for standard
// input; lz4-framed input is decompressed transparently.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/internal/version"
)

// Exit statuses (DESIGN.md §2).
const (
	exitOK      = 0
	exitFinding = 1 // corrupt input, or differences found by diff
	exitUsage   = 2 // bad flags or arguments, unreadable input
)

// App returns kv-rdb's command-line definition.
func App() *cli.App {
	return &cli.App{
		Name:  "kv-rdb",
		Usage: "inspect, check, dump, convert and restore Redis RDB files (versions 1..12, VALKEY080)",
		Description: "kv-rdb reads RDB files written by any Redis version (and Valkey 9), streaming in constant\n" +
			"memory. FILE is a path or - for standard input; lz4-framed input (kvkit's .rdb.lz4) is\n" +
			"recognised by its magic and decompressed transparently. Exit status: 0 ok, 1 a finding\n" +
			"(corrupt input, or differences for diff), 2 bad usage or unreadable input.\n\n" +
			"Memory estimates (memory, stats, --min-size/--max-size) are what Redis 7.0's MEMORY USAGE key\n" +
			"SAMPLES 0 reports once the file is loaded: dictionary entry, key, value object and its\n" +
			"allocations in the encoding Redis 7.0 gives it, rounded to jemalloc size classes; not the\n" +
			"expires entry, fragmentation or allocator metadata. 'kv-rdb COMMAND --help' describes each\n" +
			"command and its output.",
		Version:         version.Version,
		HideHelpCommand: true,
		Commands: []*cli.Command{
			checkCommand(),
			dumpCommand(),
			memoryCommand(),
			statsCommand(),
			diffCommand(),
			convertCommand(),
			restoreCommand(),
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError("%v", err)
		},
	}
}

// usageError returns an error that exits with status 2.
func usageError(format string, args ...any) error {
	return cli.Exit("kv-rdb: "+fmt.Sprintf(format, args...), exitUsage)
}

// findingError returns an error that exits with status 1.
func findingError(format string, args ...any) error {
	return cli.Exit("kv-rdb: "+fmt.Sprintf(format, args...), exitFinding)
}

func main() { os.Exit(run(os.Args)) }

// run runs kv-rdb with args and returns the exit status.
func run(args []string) int {
	// kv-rdb's heap is small and made of short-lived buffers: collecting
	// less often costs little memory and saves CPU.
	debug.SetGCPercent(400)
	app := App()
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.Run(args)
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "kv-rdb:", err)
	return exitUsage
}
