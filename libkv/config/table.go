package config

import (
	"math"
	"strings"
	"time"
)

// Flags describe how a directive may be changed, as the *_CONFIG flags of
// Redis 7.0's config.c.
type Flags uint16

const (
	// Immutable directives are read from the file and the command line
	// only; CONFIG SET refuses them ("can't set immutable config").
	Immutable Flags = 1 << iota
	// Protected directives are settable only when enable-protected-configs
	// allows it ("can't set protected config").
	Protected
	// Hidden directives are not matched by CONFIG GET patterns, only by
	// their exact name.
	Hidden
	// Sensitive directives hold secrets: the engine redacts their values
	// from SLOWLOG, MONITOR and the command log.
	Sensitive
	// DenyLoading directives cannot be set while a dataset is loading
	// (CONFIG SET replies -LOADING).
	DenyLoading
	// MultiArg directives take several arguments in the file (save 3600 1
	// 300 100); CONFIG SET splits its value on single spaces.
	MultiArg
)

type kind uint8

const (
	kindBool kind = iota
	kindString
	kindEnum
	kindNumeric
	kindSpecial
)

// Numeric value flags, as config.c's INTEGER/MEMORY/PERCENT/OCTAL_CONFIG.
type numFlags uint8

const (
	numMemory numFlags = 1 << iota
	numPercent
	numOctal
)

type enumOption struct {
	name string
	val  int
}

// Directive describes one configuration directive of Redis 7.0: its name,
// its alias (the pre-5.0 "slave" name or the pre-7.0 "ziplist" name), its
// flags and its default. The validation rules are the ones of config.c.
type Directive struct {
	Name  string // canonical name, lower case
	Alias string // other accepted name, or ""
	Flags Flags
	// Default is the value CONFIG GET shows on a fresh Redis 7.0 server.
	// For dir it is "": the default is the directory the server starts in.
	Default string

	kind        kind
	emptyIsNull bool                  // string: "" means unset (written nowhere by REWRITE)
	check       func(v string) string // string: extra validation, returns the error or ""
	enum        []enumOption          // enum: the options, in Redis's order
	flagsEnum   bool                  // enum: several options OR-ed together (shutdown-on-*)
	lo, hi      int64                 // numeric bounds (hi as uint64 when unsigned)
	unsigned    bool                  // numeric: bounds checked as unsigned (uint, size_t, ull)
	nflags      numFlags              // numeric: memory, percent or octal
	unit        time.Duration         // numeric: unit of a time.Duration field
	special     *specialOps           // special: its own parse, format and rewrite
	defNum      int64                 // numeric, bool (1/0) and enum default, for REWRITE
	field       int                   // index of the field in Values
}

// Implemented reports whether kv-server acts on this directive. Every
// directive is accepted, stored and shown by CONFIG GET; the engine logs
// "not supported" once for those that are set but not implemented.
func (d *Directive) Implemented() bool { return Implemented[d.Name] }

// Implemented is the set of directives (canonical names, and the file-only
// directives include, rename-command, user, loadmodule) that kv-server acts
// on. Edit it as the engine grows.
var Implemented = map[string]bool{
	"include": true,

	"bind": true, "port": true, "unixsocket": true, "unixsocketperm": true,
	"protected-mode": true, "tcp-keepalive": true, "timeout": true,
	"maxclients": true, "databases": true, "requirepass": true,
	"daemonize": true, "pidfile": true, "loglevel": true, "logfile": true,
	"dir": true, "hz": true, "proto-max-bulk-len": true,
	"client-query-buffer-limit": true, "enable-debug-command": true,
	"active-expire-effort": true, "latency-monitor-threshold": true,
	"slowlog-log-slower-than": true, "slowlog-max-len": true,
	"io-threads": true, // GOMAXPROCS (cmd/kv-server)
	"maxmemory":  true, "maxmemory-policy": true, "maxmemory-samples": true,
	"maxmemory-eviction-tenacity": true, "lfu-log-factor": true, "lfu-decay-time": true,
	// Values are freed by Go's collector off the command path whatever
	// these say, which is what the lazy variants promise.
	"lazyfree-lazy-eviction": true, "lazyfree-lazy-expire": true,
	"lazyfree-lazy-server-del": true, "lazyfree-lazy-user-del": true,
	"lazyfree-lazy-user-flush": true,
	// Snapshots (libkv/persist.go). rdb-del-sync-files deletes the RDB
	// files written only for replication; kv-server writes none, so it
	// holds. sanitize-dump-payload: RESTORE always validates deeply.
	"save": true, "dbfilename": true, "rdbcompression": true, "rdbchecksum": true,
	"stop-writes-on-bgsave-error": true, "rdb-del-sync-files": true,
	"rdb-key-save-delay": true, "key-load-delay": true, "sanitize-dump-payload": true,
	"shutdown-on-sigterm": true, "shutdown-on-sigint": true,
	"rdb-compression-lz4": true,
	// The append-only file (libkv/aof.go).
	"appendonly": true, "appendfilename": true, "appenddirname": true,
	"appendfsync": true, "aof-load-truncated": true, "aof-timestamp-enabled": true,
	"no-appendfsync-on-rewrite": true, "auto-aof-rewrite-percentage": true,
	"auto-aof-rewrite-min-size": true, "aof-use-rdb-preamble": true,
}

// fileOnly lists the directives that only a configuration file (or the
// command line) may hold: they have no CONFIG GET/SET entry.
var fileOnly = []string{"include", "rename-command", "user", "loadmodule"}

const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
)

var (
	maxmemoryPolicy  = []enumOption{{"volatile-lru", 0}, {"volatile-lfu", 1}, {"volatile-random", 2}, {"volatile-ttl", 3}, {"allkeys-lru", 4}, {"allkeys-lfu", 5}, {"allkeys-random", 6}, {"noeviction", 7}}
	syslogFacility   = []enumOption{{"user", 0}, {"local0", 1}, {"local1", 2}, {"local2", 3}, {"local3", 4}, {"local4", 5}, {"local5", 6}, {"local6", 7}, {"local7", 8}}
	loglevels        = []enumOption{{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}}
	supervisedModes  = []enumOption{{"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}}
	aofFsync         = []enumOption{{"everysec", 1}, {"always", 2}, {"no", 0}}
	disklessLoad     = []enumOption{{"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}}
	tlsAuthClients   = []enumOption{{"no", 0}, {"yes", 1}, {"optional", 2}}
	oomScoreAdj      = []enumOption{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}} // "relative" reads back as "yes", as in Redis
	aclPubsubDefault = []enumOption{{"allchannels", 1}, {"resetchannels", 0}}
	sanitizePayload  = []enumOption{{"no", 0}, {"yes", 1}, {"clients", 2}}
	protectedAction  = []enumOption{{"no", 0}, {"yes", 1}, {"local", 2}}
	endpointType     = []enumOption{{"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}}
	propagationError = []enumOption{{"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}}
	shutdownFlags    = []enumOption{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
)

func boolD(name, alias string, f Flags, def bool) *Directive {
	d := &Directive{Name: name, Alias: alias, Flags: f, kind: kindBool, Default: "no"}
	if def {
		d.Default, d.defNum = "yes", 1
	}
	return d
}

// strD declares a string directive. A nil-default string (emptyIsNull) is
// one Redis keeps as NULL when empty: REWRITE then drops its lines.
func strD(name, alias string, f Flags, emptyIsNull bool, def string, check func(string) string) *Directive {
	return &Directive{Name: name, Alias: alias, Flags: f, kind: kindString, emptyIsNull: emptyIsNull, Default: def, check: check}
}

func enumD(name, alias string, f Flags, opts []enumOption, def string) *Directive {
	d := &Directive{Name: name, Alias: alias, Flags: f, kind: kindEnum, enum: opts, Default: def}
	for _, o := range opts {
		if o.name == def {
			d.defNum = int64(o.val)
		}
	}
	return d
}

func numD(name, alias string, f Flags, lo, hi, def int64, nf numFlags) *Directive {
	return &Directive{Name: name, Alias: alias, Flags: f, kind: kindNumeric, lo: lo, hi: hi, defNum: def, nflags: nf}
}

// unsignedD declares a numeric directive whose C type is unsigned (unsigned
// int, size_t, unsigned long long): Redis checks its bounds as unsigned, so
// -1 is "too large" rather than "too small".
func unsignedD(name, alias string, f Flags, lo int64, hi uint64, def int64, nf numFlags) *Directive {
	d := numD(name, alias, f, lo, int64(hi), def, nf)
	d.unsigned = true
	return d
}

func durD(name, alias string, f Flags, lo, hi, def int64, unit time.Duration) *Directive {
	d := numD(name, alias, f, lo, hi, def, 0)
	d.unit = unit
	return d
}

func specialD(name, alias string, f Flags, def string, ops *specialOps) *Directive {
	return &Directive{Name: name, Alias: alias, Flags: f, kind: kindSpecial, Default: def, special: ops}
}

func flagsEnumD(name string, opts []enumOption) *Directive {
	d := enumD(name, "", MultiArg, opts, "default")
	d.flagsEnum = true
	return d
}

const mb = 1024 * 1024

// directives is the table of Redis 7.0.15's configuration directives, in
// the order of config.c's static_configs (plus the 7.0.x additions).
var directives = []*Directive{
	boolD("rdbchecksum", "", Immutable, true),
	boolD("daemonize", "", Immutable, false),
	boolD("io-threads-do-reads", "", Immutable, false),
	boolD("always-show-logo", "", Immutable, false),
	boolD("protected-mode", "", 0, true),
	boolD("rdbcompression", "", 0, true),
	boolD("rdb-del-sync-files", "", 0, false),
	boolD("activerehashing", "", 0, true),
	boolD("stop-writes-on-bgsave-error", "", 0, true),
	boolD("set-proc-title", "", Immutable, true),
	boolD("dynamic-hz", "", 0, true),
	boolD("lazyfree-lazy-eviction", "", 0, false),
	boolD("lazyfree-lazy-expire", "", 0, false),
	boolD("lazyfree-lazy-server-del", "", 0, false),
	boolD("lazyfree-lazy-user-del", "", 0, false),
	boolD("lazyfree-lazy-user-flush", "", 0, false),
	boolD("repl-disable-tcp-nodelay", "", 0, false),
	boolD("repl-diskless-sync", "", 0, true),
	boolD("aof-rewrite-incremental-fsync", "", 0, true),
	boolD("no-appendfsync-on-rewrite", "", 0, false),
	boolD("cluster-require-full-coverage", "", 0, true),
	boolD("rdb-save-incremental-fsync", "", 0, true),
	boolD("aof-load-truncated", "", 0, true),
	boolD("aof-use-rdb-preamble", "", 0, true),
	boolD("aof-timestamp-enabled", "", 0, false),
	boolD("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
	boolD("replica-lazy-flush", "slave-lazy-flush", 0, false),
	boolD("replica-serve-stale-data", "slave-serve-stale-data", 0, true),
	boolD("replica-read-only", "slave-read-only", 0, true),
	boolD("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true),
	boolD("jemalloc-bg-thread", "", 0, true),
	boolD("activedefrag", "", 0, false),
	boolD("syslog-enabled", "", Immutable, false),
	boolD("cluster-enabled", "", Immutable, false),
	boolD("appendonly", "", DenyLoading, false),
	boolD("cluster-allow-reads-when-down", "", 0, false),
	boolD("cluster-allow-pubsubshard-when-down", "", 0, true),
	boolD("crash-log-enabled", "", 0, true),
	boolD("crash-memcheck-enabled", "", 0, true),
	boolD("use-exit-on-panic", "", Hidden, false),
	boolD("disable-thp", "", Immutable, true),
	boolD("cluster-allow-replica-migration", "", 0, true),
	boolD("replica-announced", "", 0, true),
	boolD("latency-tracking", "", 0, true),
	boolD("aof-disable-auto-gc", "", 0, false),
	boolD("replica-ignore-disk-write-errors", "", 0, false),

	strD("aclfile", "", Immutable, false, "", nil),
	strD("unixsocket", "", Immutable, true, "", nil),
	strD("pidfile", "", Immutable, true, "", nil),
	strD("replica-announce-ip", "slave-announce-ip", 0, true, "", nil),
	strD("masteruser", "", Sensitive, true, "", nil),
	strD("cluster-announce-ip", "", 0, true, "", nil),
	strD("cluster-config-file", "", Immutable, false, "nodes.conf", nil),
	strD("cluster-announce-hostname", "", 0, true, "", checkHostname),
	strD("syslog-ident", "", Immutable, false, "redis", nil),
	strD("dbfilename", "", Protected, false, "dump.rdb", checkDBFilename),
	strD("appendfilename", "", Immutable, false, "appendonly.aof", checkAOFFilename),
	strD("appenddirname", "", Immutable, false, "appendonlydir", checkAOFDirname),
	strD("server_cpulist", "", Immutable, true, "", nil),
	strD("bio_cpulist", "", Immutable, true, "", nil),
	strD("aof_rewrite_cpulist", "", Immutable, true, "", nil),
	strD("bgsave_cpulist", "", Immutable, true, "", nil),
	strD("ignore-warnings", "", 0, false, "", nil),
	strD("proc-title-template", "", 0, false, "{title} {listen-addr} {server-mode}", checkProcTitleTemplate),
	strD("bind-source-addr", "", 0, true, "", nil),
	strD("logfile", "", Immutable, false, "", nil),
	strD("masterauth", "", Sensitive, true, "", nil),
	strD("requirepass", "", Sensitive, true, "", nil),

	enumD("supervised", "", Immutable, supervisedModes, "no"),
	enumD("syslog-facility", "", Immutable, syslogFacility, "local0"),
	enumD("repl-diskless-load", "", DenyLoading, disklessLoad, "disabled"),
	enumD("loglevel", "", 0, loglevels, "notice"),
	enumD("maxmemory-policy", "", 0, maxmemoryPolicy, "noeviction"),
	enumD("appendfsync", "", 0, aofFsync, "everysec"),
	enumD("oom-score-adj", "", 0, oomScoreAdj, "no"),
	enumD("acl-pubsub-default", "", 0, aclPubsubDefault, "resetchannels"),
	enumD("sanitize-dump-payload", "", 0, sanitizePayload, "no"),
	enumD("enable-protected-configs", "", Immutable, protectedAction, "no"),
	enumD("enable-debug-command", "", Immutable, protectedAction, "no"),
	enumD("enable-module-command", "", Immutable, protectedAction, "no"),
	enumD("cluster-preferred-endpoint-type", "", 0, endpointType, "ip"),
	enumD("propagation-error-behavior", "", 0, propagationError, "ignore"),
	flagsEnumD("shutdown-on-sigint", shutdownFlags),
	flagsEnumD("shutdown-on-sigterm", shutdownFlags),

	numD("databases", "", Immutable, 1, intMax, 16, 0),
	numD("port", "", 0, 0, 65535, 6379, 0),
	numD("io-threads", "", Immutable, 1, 128, 1, 0),
	numD("auto-aof-rewrite-percentage", "", 0, 0, intMax, 100, 0),
	numD("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, intMax, 10, 0),
	numD("list-max-listpack-size", "list-max-ziplist-size", 0, intMin, intMax, -2, 0),
	durD("tcp-keepalive", "", 0, 0, intMax, 300, time.Second),
	numD("cluster-migration-barrier", "", 0, 0, intMax, 1, 0),
	numD("active-defrag-cycle-min", "", 0, 1, 99, 1, 0),
	numD("active-defrag-cycle-max", "", 0, 1, 99, 25, 0),
	numD("active-defrag-threshold-lower", "", 0, 0, 1000, 10, 0),
	numD("active-defrag-threshold-upper", "", 0, 0, 1000, 100, 0),
	numD("lfu-log-factor", "", 0, 0, intMax, 10, 0),
	numD("lfu-decay-time", "", 0, 0, intMax, 1, 0),
	numD("replica-priority", "slave-priority", 0, 0, intMax, 100, 0),
	durD("repl-diskless-sync-delay", "", 0, 0, intMax, 5, time.Second),
	numD("maxmemory-samples", "", 0, 1, intMax, 5, 0),
	numD("maxmemory-eviction-tenacity", "", 0, 0, 100, 10, 0),
	durD("timeout", "", 0, 0, intMax, 0, time.Second),
	numD("replica-announce-port", "slave-announce-port", 0, 0, 65535, 0, 0),
	numD("tcp-backlog", "", Immutable, 0, intMax, 511, 0),
	numD("cluster-port", "", Immutable, 0, 65535, 0, 0),
	numD("cluster-announce-bus-port", "", 0, 0, 65535, 0, 0),
	numD("cluster-announce-port", "", 0, 0, 65535, 0, 0),
	numD("cluster-announce-tls-port", "", 0, 0, 65535, 0, 0),
	durD("repl-timeout", "", 0, 1, intMax, 60, time.Second),
	durD("repl-ping-replica-period", "repl-ping-slave-period", 0, 1, intMax, 10, time.Second),
	numD("list-compress-depth", "", 0, 0, intMax, 0, 0),
	numD("rdb-key-save-delay", "", Hidden, intMin, intMax, 0, 0),
	numD("key-load-delay", "", Hidden, intMin, intMax, 0, 0),
	numD("active-expire-effort", "", 0, 1, 10, 1, 0),
	numD("hz", "", 0, 0, intMax, 10, 0),
	numD("min-replicas-to-write", "min-slaves-to-write", 0, 0, intMax, 0, 0),
	numD("min-replicas-max-lag", "min-slaves-max-lag", 0, 0, intMax, 10, 0),
	numD("watchdog-period", "", Hidden, 0, intMax, 0, 0),
	durD("shutdown-timeout", "", 0, 0, intMax, 10, time.Second),
	numD("repl-diskless-sync-max-replicas", "", 0, 0, intMax, 0, 0),
	unsignedD("socket-mark-id", "", Immutable, 0, uintMax, 0, 0),
	unsignedD("maxclients", "", 0, 1, uintMax, 10000, 0),
	unsignedD("unixsocketperm", "", Immutable, 0, 0777, 0, numOctal),
	numD("active-defrag-max-scan-fields", "", 0, 1, longMax, 1000, 0),
	numD("slowlog-max-len", "", 0, 0, longMax, 128, 0),
	numD("acllog-max-len", "", 0, 0, longMax, 128, 0),
	numD("busy-reply-threshold", "lua-time-limit", 0, 0, longMax, 5000, 0),
	numD("cluster-node-timeout", "", 0, 0, llongMax, 15000, 0),
	numD("slowlog-log-slower-than", "", 0, -1, llongMax, 10000, 0),
	numD("latency-monitor-threshold", "", 0, 0, llongMax, 0, 0),
	numD("proto-max-bulk-len", "", 0, mb, longMax, 512*mb, numMemory),
	numD("stream-node-max-entries", "", 0, 0, llongMax, 100, 0),
	numD("repl-backlog-size", "", 0, 1, llongMax, mb, numMemory),
	unsignedD("maxmemory", "", 0, 0, math.MaxUint64, 0, numMemory),
	unsignedD("cluster-link-sendbuf-limit", "", 0, 0, math.MaxUint64, 0, numMemory),
	unsignedD("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, 0, longMax, 512, 0),
	unsignedD("set-max-intset-entries", "", 0, 0, longMax, 512, 0),
	unsignedD("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, 0, longMax, 128, 0),
	unsignedD("active-defrag-ignore-bytes", "", 0, 1, llongMax, 100*mb, numMemory),
	unsignedD("hash-max-listpack-value", "hash-max-ziplist-value", 0, 0, longMax, 64, numMemory),
	unsignedD("stream-node-max-bytes", "", 0, 0, longMax, 4096, numMemory),
	unsignedD("zset-max-listpack-value", "zset-max-ziplist-value", 0, 0, longMax, 64, numMemory),
	unsignedD("hll-sparse-max-bytes", "", 0, 0, longMax, 3000, numMemory),
	unsignedD("tracking-table-max-keys", "", 0, 0, longMax, 1000000, 0),
	unsignedD("client-query-buffer-limit", "", 0, mb, longMax, 1024*mb, numMemory),
	numD("maxmemory-clients", "", 0, -100, math.MaxInt64, 0, numMemory|numPercent),
	numD("repl-backlog-ttl", "", 0, 0, longMax, 3600, 0),
	numD("auto-aof-rewrite-min-size", "", 0, 0, llongMax, 64*mb, numMemory),
	numD("loading-process-events-interval-bytes", "", Hidden, 1024, intMax, 2*mb, 0),

	numD("tls-port", "", 0, 0, 65535, 0, 0),
	numD("tls-session-cache-size", "", 0, 0, intMax, 20*1024, 0),
	numD("tls-session-cache-timeout", "", 0, 0, intMax, 300, 0),
	boolD("tls-cluster", "", 0, false),
	boolD("tls-replication", "", 0, false),
	enumD("tls-auth-clients", "", 0, tlsAuthClients, "yes"),
	boolD("tls-prefer-server-ciphers", "", 0, false),
	boolD("tls-session-caching", "", 0, true),
	strD("tls-cert-file", "", 0, true, "", nil),
	strD("tls-key-file", "", 0, true, "", nil),
	strD("tls-key-file-pass", "", 0, true, "", nil),
	strD("tls-client-cert-file", "", 0, true, "", nil),
	strD("tls-client-key-file", "", 0, true, "", nil),
	strD("tls-client-key-file-pass", "", 0, true, "", nil),
	strD("tls-dh-params-file", "", 0, true, "", nil),
	strD("tls-ca-cert-file", "", 0, true, "", nil),
	strD("tls-ca-cert-dir", "", 0, true, "", nil),
	strD("tls-protocols", "", 0, true, "", nil),
	strD("tls-ciphers", "", 0, true, "", nil),
	strD("tls-ciphersuites", "", 0, true, "", nil),

	specialD("dir", "", Protected|DenyLoading, "", dirOps),
	specialD("save", "", MultiArg, "3600 1 300 100 60 10000", saveOps),
	specialD("client-output-buffer-limit", "", MultiArg, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", obufOps),
	specialD("oom-score-adj-values", "", MultiArg, "0 200 800", oomValuesOps),
	specialD("notify-keyspace-events", "", 0, "", notifyOps),
	specialD("bind", "", MultiArg, "* -::*", bindOps),
	specialD("replicaof", "slaveof", Immutable|MultiArg, "", replicaofOps),
	specialD("latency-tracking-info-percentiles", "", MultiArg, "50 99 99.9", percentilesOps),

	// kvkit's own directives, Hidden so that CONFIG GET * and patterns
	// show exactly Redis 7.0's names; CONFIG GET of the exact name works.

	// rdb-compression-lz4 yes writes RDB snapshots as an lz4 frame
	// (docs/persistence.md); loading recognises the frame whatever it says.
	boolD("rdb-compression-lz4", "", Hidden, false),
}

// byName maps canonical names and aliases, lower case, to directives.
var byName = map[string]*Directive{}

func init() {
	for _, d := range directives {
		if d.kind == kindNumeric {
			d.Default = formatNumber(d, d.defNum)
		}
		byName[d.Name] = d
		if d.Alias != "" {
			byName[d.Alias] = d
		}
	}
	bindFields()
}

// Lookup returns the directive called name (canonical or alias, any case),
// or nil. File-only directives (include, rename-command, user, loadmodule)
// are not in the table.
func Lookup(name string) *Directive {
	if d, ok := byName[name]; ok {
		return d
	}
	return byName[strings.ToLower(name)]
}

// Directives returns every directive, in Redis's table order. The slice is
// shared: do not modify it.
func Directives() []*Directive { return directives }
