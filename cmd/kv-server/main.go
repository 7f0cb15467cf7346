// Command kv-server is kvkit's data server, a Redis 7.0 compatible
// in-memory store: kv-server [config-file] [--directive value ...].
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/internal/version"
	"github.com/kvkit/kvkit/libkv"
	"github.com/kvkit/kvkit/libkv/config"
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
	cfg, err := config.Load(args, config.Options{CommandExists: libkv.CommandExists})
	if err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			fmt.Fprintln(os.Stderr, fe.Error())
			return cli.Exit("", 1)
		}
		return cli.Exit(err.Error(), 1)
	}
	v := &cfg.Values
	if v.Daemonize && os.Getenv(daemonEnv) == "" {
		return daemonize()
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// io-threads is how many threads Redis lets do network I/O (1 by
		// default: one thread does everything). kv-server's commands run
		// one at a time under the engine lock either way; what more
		// threads buy is parallel reads, writes and parsing, at the price
		// of lock hand-offs between them, which on this machine cost more
		// than they bring for request-reply traffic (docs/benchmarks.md).
		runtime.GOMAXPROCS(max(1, v.IoThreads))
	}
	if os.Getenv("GOGC") == "" {
		// Redis's RSS is its live data plus fragmentation; a Go heap
		// grows to (1 + GOGC/100) times the live data between
		// collections. At the default 100, loading 100,000 sorted sets
		// of 100 members (each ZADD's 3.5 KB of arguments becoming
		// garbage) ends at 1.8x Redis's RSS; at 50, 1.4x
		// (docs/benchmarks.md). The pointer-light keyspace keeps the
		// extra collections cheap. GOGC in the environment still wins.
		debug.SetGCPercent(50)
	}
	if err := os.Chdir(v.Dir); err != nil {
		return cli.Exit(fmt.Sprintf("Can't chdir to '%s': %v", v.Dir, err), 1)
	}
	srv, err := libkv.New(cfg)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	log := srv.Logger()
	log.Notice("oO0OoO0OoO0Oo kvkit kv-server is starting oO0OoO0OoO0Oo")
	log.Notice("kv-server version=%s, redis_version=%s, bits=64, pid=%d, just started",
		version.Version, version.RedisVersion, os.Getpid())
	if cfg.File == "" && len(args) == 0 {
		log.Warning("Warning: no config file specified, using the default config. In order to specify a config file use kv-server /path/to/redis.conf")
	} else {
		log.Notice("Configuration loaded")
	}
	for _, name := range cfg.Unsupported() {
		log.Warning("Directive '%s' is accepted but not supported by kv-server yet: it has no effect", name)
	}
	pidfile := v.Pidfile
	if pidfile == "" && v.Daemonize {
		pidfile = "/var/run/redis.pid"
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			log.Warning("Failed to write PID file: %v", err)
		} else {
			defer os.Remove(pidfile)
		}
	}
	if err := srv.Start(); err != nil {
		log.Warning("%v", err)
		return cli.Exit("", 1)
	}
	log.Notice("Server initialized")
	log.Notice("Ready to accept connections")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case sig := <-sigs:
			name := "SIGTERM"
			if sig == syscall.SIGINT {
				name = "SIGINT"
			}
			// Saves first when save points exist; a failed save keeps
			// the server running, as Redis.
			if srv.SignalShutdown(name) {
				log.Warning("kv-server is now ready to exit, bye bye...")
				return nil
			}
		case <-srv.Done():
			return nil
		}
	}
}

// daemonEnv marks the re-executed child of a daemonizing kv-server.
const daemonEnv = "KVKIT_DAEMONIZED"

// daemonize runs kv-server again as a detached session leader with the
// same arguments and returns at once, as redis-server's daemonize forks:
// Go cannot fork a running process, so the child is a fresh one.
func daemonize() error {
	self, err := os.Executable()
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	return nil
}

func main() {
	if err := App().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
