// Command kv-server is kvkit's data server, a Redis 7.0 compatible
// in-memory store: kv-server [config-file] [--directive value ...].
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/internal/version"
)

// App returns kv-server's command-line definition. Arguments are parsed as
// redis-server parses them (any redis.conf directive as --name value), so
// the flags listed here are documentation for the common directives.
func App() *cli.App {
	return &cli.App{
		Name:      "kv-server",
		Usage:     "Redis 7.0 compatible in-memory data server",
		UsageText: "kv-server [config-file] [--directive value ...]\nkv-server - (read the configuration from standard input)",
		Description: "kv-server speaks RESP2 and RESP3 and reads redis.conf. Every redis.conf directive can be\n" +
			"given on the command line as --name value [value ...]; command-line directives are applied\n" +
			"after the configuration file, as redis-server does.",
		Version:         version.Version,
		SkipFlagParsing: true,
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "port", Usage: "TCP port to listen on (6379; 0 disables TCP)"},
			&cli.StringFlag{Name: "bind", Usage: "addresses to listen on"},
			&cli.StringFlag{Name: "dir", Usage: "working directory for RDB and AOF files"},
			&cli.StringFlag{Name: "unixsocket", Usage: "path of a unix socket to listen on"},
			&cli.StringFlag{Name: "requirepass", Usage: "password of the default user"},
			&cli.StringFlag{Name: "daemonize", Usage: "yes to run in the background"},
			&cli.StringFlag{Name: "loglevel", Usage: "debug, verbose, notice or warning"},
			&cli.StringFlag{Name: "logfile", Usage: "log file (empty: standard output)"},
			&cli.StringFlag{Name: "save", Usage: "snapshot points, \"\" to disable"},
			&cli.StringFlag{Name: "appendonly", Usage: "yes to enable the append-only file"},
		},
		Action: run,
	}
}

func run(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 1 {
		switch args[0] {
		case "-h", "--help":
			return cli.ShowAppHelp(c)
		case "-v", "--version":
			cli.ShowVersion(c)
			return nil
		}
	}
	return fmt.Errorf("kv-server: not implemented yet")
}

func main() {
	if err := App().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
