// Package config is kv-server's configuration: the redis.conf file syntax,
// the table of Redis 7.0's directives, and the logic of CONFIG GET, CONFIG
// SET and CONFIG REWRITE, all as Redis 7.0.15's config.c does them and
// checked against the real redis-server. The engine owns the network and
// every side effect; this package parses, validates, stores and writes.
//
// Start-up:
//
//	cfg, err := config.Load(os.Args[1:], config.Options{})
//	if err != nil {
//		fmt.Fprintf(os.Stderr, "\n%v\n", err) // Redis's "*** FATAL CONFIG FILE ERROR" text
//		os.Exit(1)
//	}
//	for _, name := range cfg.Unsupported() {
//		log.Printf("%s is not supported by kv-server and is ignored", name)
//	}
//	cfg.OnApply("maxclients", func(c *config.Config) error { ... })
//	port := cfg.Values.Port // typed values, read directly on the hot path
//
// Commands (under the engine's execution lock):
//
//	CONFIG GET  -> cfg.Get(patterns)           name/value pairs
//	CONFIG SET  -> cfg.Set(args, config.SetEnv{Local: ..., Loading: ...})
//	CONFIG REWRITE -> cfg.Rewrite()
//
// The error of Set and Rewrite is the whole error reply, "ERR ..." or
// "LOADING ...".
//
// What differs from Redis, on purpose:
//   - Redis replies to CONFIG GET, and appends lines in CONFIG REWRITE, in
//     the order of its hash table, which is seeded at random in every
//     process; this package uses argument order, then table order. Compare
//     CONFIG GET replies as maps.
//   - Redis applies dir with chdir() while reading the file; Load only
//     checks it, resolves later relative paths (include, logfile) against
//     it, and leaves the chdir to the engine.
//   - ACL users and modules are the engine's: user directives are stored
//     as written (Config.Users), not checked, and REWRITE writes them back
//     as loaded unless the engine provides Config.UserLines. rename-command
//     is checked only when Options.CommandExists is given.
//   - include nesting is limited to 32 levels (Redis recurses until it
//     crashes).
package config
