package config

import "time"

// Values holds the value of every directive, typed, for the engine to read
// on its hot path without lookups or parsing. A directive's field is its
// name in CamelCase: maxmemory-policy is MaxmemoryPolicy, server_cpulist is
// ServerCpulist. Booleans are bool; strings and enums are string (an enum
// holds its canonical lower-case name, e.g. "allkeys-lru"; shutdown-on-sig*
// hold the chosen flags separated by spaces, e.g. "save now"); numbers are
// int when Redis bounds them to 32 bits, uint64 for maxmemory and
// cluster-link-sendbuf-limit (unsigned long long), int64 otherwise; the
// few second counts that always fit are time.Duration. Units are Redis's: milliseconds for busy-reply-threshold,
// cluster-node-timeout and latency-monitor-threshold, microseconds for
// slowlog-log-slower-than, seconds for repl-backlog-ttl, minutes for
// lfu-decay-time, bytes for memory values. A percent value
// (maxmemory-clients 10%) is stored negated (-10), as Redis stores it.
//
// Values is written only by Load, Config.Set and Default; it is not safe
// to read while another goroutine runs Config.Set (the engine runs CONFIG
// SET under its execution lock).
type Values struct {
	Rdbchecksum                       bool          // rdbchecksum
	Daemonize                         bool          // daemonize
	IoThreadsDoReads                  bool          // io-threads-do-reads
	AlwaysShowLogo                    bool          // always-show-logo
	ProtectedMode                     bool          // protected-mode
	Rdbcompression                    bool          // rdbcompression
	RdbCompressionLz4                 bool          // rdb-compression-lz4 (kvkit's own)
	RdbDelSyncFiles                   bool          // rdb-del-sync-files
	Activerehashing                   bool          // activerehashing
	StopWritesOnBgsaveError           bool          // stop-writes-on-bgsave-error
	SetProcTitle                      bool          // set-proc-title
	DynamicHz                         bool          // dynamic-hz
	LazyfreeLazyEviction              bool          // lazyfree-lazy-eviction
	LazyfreeLazyExpire                bool          // lazyfree-lazy-expire
	LazyfreeLazyServerDel             bool          // lazyfree-lazy-server-del
	LazyfreeLazyUserDel               bool          // lazyfree-lazy-user-del
	LazyfreeLazyUserFlush             bool          // lazyfree-lazy-user-flush
	ReplDisableTcpNodelay             bool          // repl-disable-tcp-nodelay
	ReplDisklessSync                  bool          // repl-diskless-sync
	AofRewriteIncrementalFsync        bool          // aof-rewrite-incremental-fsync
	NoAppendfsyncOnRewrite            bool          // no-appendfsync-on-rewrite
	ClusterRequireFullCoverage        bool          // cluster-require-full-coverage
	RdbSaveIncrementalFsync           bool          // rdb-save-incremental-fsync
	AofLoadTruncated                  bool          // aof-load-truncated
	AofUseRdbPreamble                 bool          // aof-use-rdb-preamble
	AofTimestampEnabled               bool          // aof-timestamp-enabled
	ClusterReplicaNoFailover          bool          // cluster-replica-no-failover
	ReplicaLazyFlush                  bool          // replica-lazy-flush
	ReplicaServeStaleData             bool          // replica-serve-stale-data
	ReplicaReadOnly                   bool          // replica-read-only
	ReplicaIgnoreMaxmemory            bool          // replica-ignore-maxmemory
	JemallocBgThread                  bool          // jemalloc-bg-thread
	Activedefrag                      bool          // activedefrag
	SyslogEnabled                     bool          // syslog-enabled
	ClusterEnabled                    bool          // cluster-enabled
	Appendonly                        bool          // appendonly
	ClusterAllowReadsWhenDown         bool          // cluster-allow-reads-when-down
	ClusterAllowPubsubshardWhenDown   bool          // cluster-allow-pubsubshard-when-down
	CrashLogEnabled                   bool          // crash-log-enabled
	CrashMemcheckEnabled              bool          // crash-memcheck-enabled
	UseExitOnPanic                    bool          // use-exit-on-panic
	DisableThp                        bool          // disable-thp
	ClusterAllowReplicaMigration      bool          // cluster-allow-replica-migration
	ReplicaAnnounced                  bool          // replica-announced
	LatencyTracking                   bool          // latency-tracking
	AofDisableAutoGc                  bool          // aof-disable-auto-gc
	ReplicaIgnoreDiskWriteErrors      bool          // replica-ignore-disk-write-errors
	Aclfile                           string        // aclfile
	Unixsocket                        string        // unixsocket
	Pidfile                           string        // pidfile
	ReplicaAnnounceIp                 string        // replica-announce-ip
	Masteruser                        string        // masteruser
	ClusterAnnounceIp                 string        // cluster-announce-ip
	ClusterConfigFile                 string        // cluster-config-file
	ClusterAnnounceHostname           string        // cluster-announce-hostname
	SyslogIdent                       string        // syslog-ident
	Dbfilename                        string        // dbfilename
	Appendfilename                    string        // appendfilename
	Appenddirname                     string        // appenddirname
	ServerCpulist                     string        // server_cpulist
	BioCpulist                        string        // bio_cpulist
	AofRewriteCpulist                 string        // aof_rewrite_cpulist
	BgsaveCpulist                     string        // bgsave_cpulist
	IgnoreWarnings                    string        // ignore-warnings
	ProcTitleTemplate                 string        // proc-title-template
	BindSourceAddr                    string        // bind-source-addr
	Logfile                           string        // logfile
	Masterauth                        string        // masterauth
	Requirepass                       string        // requirepass
	Supervised                        string        // supervised
	SyslogFacility                    string        // syslog-facility
	ReplDisklessLoad                  string        // repl-diskless-load
	Loglevel                          string        // loglevel
	MaxmemoryPolicy                   string        // maxmemory-policy
	Appendfsync                       string        // appendfsync
	OomScoreAdj                       string        // oom-score-adj
	AclPubsubDefault                  string        // acl-pubsub-default
	SanitizeDumpPayload               string        // sanitize-dump-payload
	EnableProtectedConfigs            string        // enable-protected-configs
	EnableDebugCommand                string        // enable-debug-command
	EnableModuleCommand               string        // enable-module-command
	ClusterPreferredEndpointType      string        // cluster-preferred-endpoint-type
	PropagationErrorBehavior          string        // propagation-error-behavior
	ShutdownOnSigint                  string        // shutdown-on-sigint
	ShutdownOnSigterm                 string        // shutdown-on-sigterm
	Databases                         int           // databases
	Port                              int           // port
	IoThreads                         int           // io-threads
	AutoAofRewritePercentage          int           // auto-aof-rewrite-percentage
	ClusterReplicaValidityFactor      int           // cluster-replica-validity-factor
	ListMaxListpackSize               int           // list-max-listpack-size
	TcpKeepalive                      time.Duration // tcp-keepalive (whole seconds)
	ClusterMigrationBarrier           int           // cluster-migration-barrier
	ActiveDefragCycleMin              int           // active-defrag-cycle-min
	ActiveDefragCycleMax              int           // active-defrag-cycle-max
	ActiveDefragThresholdLower        int           // active-defrag-threshold-lower
	ActiveDefragThresholdUpper        int           // active-defrag-threshold-upper
	LfuLogFactor                      int           // lfu-log-factor
	LfuDecayTime                      int           // lfu-decay-time
	ReplicaPriority                   int           // replica-priority
	ReplDisklessSyncDelay             time.Duration // repl-diskless-sync-delay (whole seconds)
	MaxmemorySamples                  int           // maxmemory-samples
	MaxmemoryEvictionTenacity         int           // maxmemory-eviction-tenacity
	Timeout                           time.Duration // timeout (whole seconds)
	ReplicaAnnouncePort               int           // replica-announce-port
	TcpBacklog                        int           // tcp-backlog
	ClusterPort                       int           // cluster-port
	ClusterAnnounceBusPort            int           // cluster-announce-bus-port
	ClusterAnnouncePort               int           // cluster-announce-port
	ClusterAnnounceTlsPort            int           // cluster-announce-tls-port
	ReplTimeout                       time.Duration // repl-timeout (whole seconds)
	ReplPingReplicaPeriod             time.Duration // repl-ping-replica-period (whole seconds)
	ListCompressDepth                 int           // list-compress-depth
	RdbKeySaveDelay                   int           // rdb-key-save-delay
	KeyLoadDelay                      int           // key-load-delay
	ActiveExpireEffort                int           // active-expire-effort
	Hz                                int           // hz
	MinReplicasToWrite                int           // min-replicas-to-write
	MinReplicasMaxLag                 int           // min-replicas-max-lag
	WatchdogPeriod                    int           // watchdog-period
	ShutdownTimeout                   time.Duration // shutdown-timeout (whole seconds)
	ReplDisklessSyncMaxReplicas       int           // repl-diskless-sync-max-replicas
	SocketMarkId                      int           // socket-mark-id
	Maxclients                        int           // maxclients
	Unixsocketperm                    int           // unixsocketperm
	ActiveDefragMaxScanFields         int64         // active-defrag-max-scan-fields
	SlowlogMaxLen                     int64         // slowlog-max-len
	AcllogMaxLen                      int64         // acllog-max-len
	BusyReplyThreshold                int64         // busy-reply-threshold
	ClusterNodeTimeout                int64         // cluster-node-timeout
	SlowlogLogSlowerThan              int64         // slowlog-log-slower-than
	LatencyMonitorThreshold           int64         // latency-monitor-threshold
	ProtoMaxBulkLen                   int64         // proto-max-bulk-len
	StreamNodeMaxEntries              int64         // stream-node-max-entries
	ReplBacklogSize                   int64         // repl-backlog-size
	Maxmemory                         uint64        // maxmemory
	ClusterLinkSendbufLimit           uint64        // cluster-link-sendbuf-limit
	HashMaxListpackEntries            int64         // hash-max-listpack-entries
	SetMaxIntsetEntries               int64         // set-max-intset-entries
	ZsetMaxListpackEntries            int64         // zset-max-listpack-entries
	ActiveDefragIgnoreBytes           int64         // active-defrag-ignore-bytes
	HashMaxListpackValue              int64         // hash-max-listpack-value
	StreamNodeMaxBytes                int64         // stream-node-max-bytes
	ZsetMaxListpackValue              int64         // zset-max-listpack-value
	HllSparseMaxBytes                 int64         // hll-sparse-max-bytes
	TrackingTableMaxKeys              int64         // tracking-table-max-keys
	ClientQueryBufferLimit            int64         // client-query-buffer-limit
	MaxmemoryClients                  int64         // maxmemory-clients
	ReplBacklogTtl                    int64         // repl-backlog-ttl
	AutoAofRewriteMinSize             int64         // auto-aof-rewrite-min-size
	LoadingProcessEventsIntervalBytes int           // loading-process-events-interval-bytes
	TlsPort                           int           // tls-port
	TlsSessionCacheSize               int           // tls-session-cache-size
	TlsSessionCacheTimeout            int           // tls-session-cache-timeout
	TlsCluster                        bool          // tls-cluster
	TlsReplication                    bool          // tls-replication
	TlsAuthClients                    string        // tls-auth-clients
	TlsPreferServerCiphers            bool          // tls-prefer-server-ciphers
	TlsSessionCaching                 bool          // tls-session-caching
	TlsCertFile                       string        // tls-cert-file
	TlsKeyFile                        string        // tls-key-file
	TlsKeyFilePass                    string        // tls-key-file-pass
	TlsClientCertFile                 string        // tls-client-cert-file
	TlsClientKeyFile                  string        // tls-client-key-file
	TlsClientKeyFilePass              string        // tls-client-key-file-pass
	TlsDhParamsFile                   string        // tls-dh-params-file
	TlsCaCertFile                     string        // tls-ca-cert-file
	TlsCaCertDir                      string        // tls-ca-cert-dir
	TlsProtocols                      string        // tls-protocols
	TlsCiphers                        string        // tls-ciphers
	TlsCiphersuites                   string        // tls-ciphersuites

	// Dir is the absolute working directory (dir). The engine changes into
	// it at start-up and in its "dir" apply hook.
	Dir string
	// Save holds the snapshot points (save); empty means no snapshots.
	Save []SavePoint
	// ClientOutputBufferLimit holds the limits per client class
	// (client-output-buffer-limit), indexed by ClientNormal,
	// ClientReplica and ClientPubSub.
	ClientOutputBufferLimit [3]OutputBufferLimit
	// OomScoreAdjValues holds the oom_score_adj values for the master,
	// replica and background child processes (oom-score-adj-values).
	OomScoreAdjValues [3]int
	// NotifyKeyspaceEvents holds the keyspace notification classes.
	NotifyKeyspaceEvents KeyspaceEvents
	// Bind holds the listen addresses (bind); empty means none.
	Bind []string
	// Replicaof is the master to replicate (replicaof); Host is "" for none.
	Replicaof ReplicaOf
	// LatencyTrackingInfoPercentiles holds the percentiles INFO
	// latencystats reports (latency-tracking-info-percentiles).
	LatencyTrackingInfoPercentiles []float64
}

// SavePoint is one "save <seconds> <changes>" rule: snapshot when at least
// Changes writes happened in the last Seconds seconds.
type SavePoint struct {
	Seconds int64
	Changes int
}

// Client classes, the indexes of Values.ClientOutputBufferLimit.
const (
	ClientNormal  = 0
	ClientReplica = 1
	ClientPubSub  = 2
)

// OutputBufferLimit is one class's client-output-buffer-limit: a client is
// disconnected when its output buffer exceeds Hard bytes, or stays above
// Soft bytes for SoftSeconds seconds. Zero disables a limit.
type OutputBufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int64
}

// ReplicaOf is the replicaof directive: the master's host and port.
type ReplicaOf struct {
	Host string
	Port int
}

// KeyspaceEvents is a set of keyspace notification classes, as Redis
// 7.0's NOTIFY_* flags (server.h).
type KeyspaceEvents uint32

// Keyspace notification classes, one per character of
// notify-keyspace-events.
const (
	NotifyKeyspace KeyspaceEvents = 1 << 0  // K
	NotifyKeyevent KeyspaceEvents = 1 << 1  // E
	NotifyGeneric  KeyspaceEvents = 1 << 2  // g
	NotifyString   KeyspaceEvents = 1 << 3  // $
	NotifyList     KeyspaceEvents = 1 << 4  // l
	NotifySet      KeyspaceEvents = 1 << 5  // s
	NotifyHash     KeyspaceEvents = 1 << 6  // h
	NotifyZset     KeyspaceEvents = 1 << 7  // z
	NotifyExpired  KeyspaceEvents = 1 << 8  // x
	NotifyEvicted  KeyspaceEvents = 1 << 9  // e
	NotifyStream   KeyspaceEvents = 1 << 10 // t
	NotifyKeyMiss  KeyspaceEvents = 1 << 11 // m
	NotifyLoaded   KeyspaceEvents = 1 << 12 // module only
	NotifyModule   KeyspaceEvents = 1 << 13 // d
	NotifyNew      KeyspaceEvents = 1 << 14 // n
	// NotifyAll is the A alias: every class but m and n.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
		NotifyZset | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)
