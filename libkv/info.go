package libkv

import (
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kvkit/kvkit/internal/version"
)

// infoOrder are the INFO sections in Redis 7.0's order (server.c
// genRedisInfoString). "module_list" is the "# Modules" list of loaded
// modules, printed (empty) for a bare INFO, "all", "everything",
// "module_list" and "modules"; "modules" itself selects the modules' own
// fields, of which kv-server has none.
var infoOrder = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
	"module_list", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

// infoDefault are the sections of a bare INFO and of "default".
var infoDefault = map[string]bool{"server": true, "clients": true, "memory": true, "persistence": true,
	"stats": true, "replication": true, "cpu": true, "module_list": true, "errorstats": true, "cluster": true, "keyspace": true}

func cmdInfo(c *Client, args [][]byte) {
	want := map[string]bool{}
	if len(args) == 1 {
		want = infoDefault
	}
	for _, a := range args[1:] {
		switch name := strings.ToLower(string(a)); name {
		case "default":
			for k := range infoDefault {
				want[k] = true
			}
		case "all", "everything":
			for _, k := range infoOrder {
				want[k] = true
			}
		case "modules":
			want["module_list"] = true
		default:
			want[name] = true
		}
	}
	c.w.Verbatim("txt", c.srv.infoString(want))
}

// infoString renders the wanted INFO sections.
func (s *Server) infoString(want map[string]bool) string {
	var b strings.Builder
	for _, sec := range infoOrder {
		if !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.infoSection(&b, sec)
	}
	return b.String()
}

type infoWriter struct{ b *strings.Builder }

func (w infoWriter) kv(k string, v any) {
	w.b.WriteString(k)
	w.b.WriteByte(':')
	switch x := v.(type) {
	case string:
		w.b.WriteString(x)
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		w.b.WriteString(strconv.FormatFloat(x, 'f', 2, 64))
	}
	w.b.WriteString("\r\n")
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoSection(b *strings.Builder, sec string) {
	w := infoWriter{b}
	now := time.Now()
	switch sec {
	case "server":
		b.WriteString("# Server\r\n")
		w.kv("redis_version", version.RedisVersion)
		w.kv("redis_git_sha1", "00000000")
		w.kv("redis_git_dirty", 0)
		w.kv("redis_build_id", "kvkit-"+version.Version)
		w.kv("redis_mode", "standalone")
		w.kv("os", unameString())
		w.kv("arch_bits", strconv.Itoa(strconv.IntSize))
		w.kv("monotonic_clock", "POSIX clock_gettime")
		w.kv("multiplexing_api", "epoll")
		w.kv("atomicvar_api", "c11-builtin")
		w.kv("gcc_version", "0.0.0")
		w.kv("process_id", syscall.Getpid())
		w.kv("process_supervised", "no")
		w.kv("run_id", s.runID)
		w.kv("tcp_port", s.conf.Port)
		w.kv("server_time_usec", now.UnixMicro())
		up := int64(now.Sub(s.startTime) / time.Second)
		w.kv("uptime_in_seconds", up)
		w.kv("uptime_in_days", up/86400)
		w.kv("hz", s.conf.Hz)
		w.kv("configured_hz", s.conf.Hz)
		w.kv("lru_clock", int64(s.lruClock))
		w.kv("executable", s.execPath)
		w.kv("config_file", s.configFile)
		w.kv("io_threads_active", 0)
	case "clients":
		b.WriteString("# Clients\r\n")
		var maxIn, maxOut int64
		for _, cl := range s.clients {
			q, r := cl.bufferSizes()
			maxIn, maxOut = max(maxIn, q), max(maxOut, r)
		}
		w.kv("connected_clients", len(s.clients))
		w.kv("cluster_connections", 0)
		w.kv("maxclients", s.conf.Maxclients)
		w.kv("client_recent_max_input_buffer", maxIn)
		w.kv("client_recent_max_output_buffer", maxOut)
		w.kv("blocked_clients", s.blocking.clients)
		w.kv("tracking_clients", s.tracking.clients)
		w.kv("clients_in_timeout_table", s.blocking.timed)
	case "memory":
		b.WriteString("# Memory\r\n")
		used := s.usedMemory()
		rss := rssBytes()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		overhead := s.memoryOverhead()
		dataset := used - overhead
		startup := s.startupMemory
		sys := totalSystemMemory()
		w.kv("used_memory", used)
		w.kv("used_memory_human", bytesHuman(used))
		w.kv("used_memory_rss", rss)
		w.kv("used_memory_rss_human", bytesHuman(rss))
		w.kv("used_memory_peak", s.peakMemory)
		w.kv("used_memory_peak_human", bytesHuman(s.peakMemory))
		w.kv("used_memory_peak_perc", strconv.FormatFloat(100*ratio(used, s.peakMemory), 'f', 2, 64)+"%")
		w.kv("used_memory_overhead", overhead)
		w.kv("used_memory_startup", startup)
		w.kv("used_memory_dataset", dataset)
		w.kv("used_memory_dataset_perc", strconv.FormatFloat(100*ratio(dataset, used-startup), 'f', 2, 64)+"%")
		w.kv("allocator_allocated", int64(ms.HeapAlloc))
		w.kv("allocator_active", int64(ms.HeapInuse))
		w.kv("allocator_resident", int64(ms.HeapSys-ms.HeapReleased))
		w.kv("total_system_memory", sys)
		w.kv("total_system_memory_human", bytesHuman(sys))
		sm := s.scriptMemory()
		w.kv("used_memory_lua", sm.vmEval)
		w.kv("used_memory_vm_eval", sm.vmEval)
		w.kv("used_memory_lua_human", bytesHuman(sm.vmEval))
		w.kv("used_memory_scripts_eval", sm.scriptsEval)
		w.kv("number_of_cached_scripts", sm.cached)
		w.kv("number_of_functions", sm.functions)
		w.kv("number_of_libraries", sm.libraries)
		w.kv("used_memory_vm_functions", sm.vmFunctions)
		w.kv("used_memory_vm_total", sm.vmEval+sm.vmFunctions)
		w.kv("used_memory_vm_total_human", bytesHuman(sm.vmEval+sm.vmFunctions))
		w.kv("used_memory_functions", sm.functionsMem)
		w.kv("used_memory_scripts", sm.scriptsEval+sm.functionsMem)
		w.kv("used_memory_scripts_human", bytesHuman(sm.scriptsEval+sm.functionsMem))
		w.kv("maxmemory", int64(s.conf.Maxmemory))
		w.kv("maxmemory_human", bytesHuman(int64(s.conf.Maxmemory)))
		w.kv("maxmemory_policy", s.conf.MaxmemoryPolicy)
		w.kv("allocator_frag_ratio", ratio(int64(ms.HeapInuse), int64(ms.HeapAlloc)))
		w.kv("allocator_frag_bytes", int64(ms.HeapInuse)-int64(ms.HeapAlloc))
		w.kv("allocator_rss_ratio", ratio(int64(ms.HeapSys-ms.HeapReleased), int64(ms.HeapInuse)))
		w.kv("allocator_rss_bytes", int64(ms.HeapSys-ms.HeapReleased)-int64(ms.HeapInuse))
		w.kv("rss_overhead_ratio", ratio(rss, int64(ms.HeapSys-ms.HeapReleased)))
		w.kv("rss_overhead_bytes", rss-int64(ms.HeapSys-ms.HeapReleased))
		w.kv("mem_fragmentation_ratio", ratio(rss, used))
		w.kv("mem_fragmentation_bytes", rss-used)
		w.kv("mem_not_counted_for_evict", s.notCountedMemory())
		w.kv("mem_replication_backlog", 0)
		w.kv("mem_total_replication_buffers", 0)
		w.kv("mem_clients_slaves", 0)
		w.kv("mem_clients_normal", s.clientsMemory())
		w.kv("mem_cluster_links", 0)
		w.kv("mem_aof_buffer", 0)
		w.kv("mem_allocator", memAllocator())
		w.kv("active_defrag_running", 0)
		w.kv("lazyfree_pending_objects", 0)
		w.kv("lazyfreed_objects", 0)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		s.infoPersistence(w)
	case "stats":
		b.WriteString("# Stats\r\n")
		st := &s.stats
		w.kv("total_connections_received", st.connectionsReceived.Load())
		w.kv("total_commands_processed", st.commandsProcessed)
		w.kv("instantaneous_ops_per_sec", s.metrics.ops.rate())
		w.kv("total_net_input_bytes", st.netInputBytes.Load())
		w.kv("total_net_output_bytes", st.netOutputBytes.Load())
		w.kv("total_net_repl_input_bytes", 0)
		w.kv("total_net_repl_output_bytes", 0)
		w.kv("instantaneous_input_kbps", float64(s.metrics.in.rate())/1024)
		w.kv("instantaneous_output_kbps", float64(s.metrics.out.rate())/1024)
		w.kv("instantaneous_input_repl_kbps", "0.00")
		w.kv("instantaneous_output_repl_kbps", "0.00")
		w.kv("rejected_connections", st.rejectedConnections.Load())
		w.kv("sync_full", 0)
		w.kv("sync_partial_ok", 0)
		w.kv("sync_partial_err", 0)
		w.kv("expired_keys", st.expiredKeys)
		w.kv("expired_stale_perc", st.expiredStalePerc)
		w.kv("expired_time_cap_reached_count", st.expireCycleTimeCap)
		w.kv("expire_cycle_cpu_milliseconds", st.expireCycleCPU.Milliseconds())
		w.kv("evicted_keys", s.evict.evicted)
		w.kv("evicted_clients", 0)
		current := s.evict.exceededTime()
		w.kv("total_eviction_exceeded_time", (s.evict.totalOver + current).Milliseconds())
		w.kv("current_eviction_exceeded_time", current.Milliseconds())
		w.kv("keyspace_hits", st.keyspaceHits)
		w.kv("keyspace_misses", st.keyspaceMisses)
		w.kv("pubsub_channels", len(s.pubsub.channels))
		w.kv("pubsub_patterns", len(s.pubsub.patterns))
		w.kv("pubsubshard_channels", len(s.pubsub.shard))
		w.kv("latest_fork_usec", 0)
		w.kv("total_forks", 0)
		w.kv("migrate_cached_sockets", len(s.migrateSockets))
		for _, k := range []string{"slave_expires_tracked_keys", "active_defrag_hits",
			"active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
			"total_active_defrag_time", "current_active_defrag_time"} {
			w.kv(k, 0)
		}
		w.kv("tracking_total_keys", len(s.tracking.table))
		w.kv("tracking_total_items", s.tracking.items)
		w.kv("tracking_total_prefixes", len(s.tracking.prefixes))
		w.kv("unexpected_error_replies", st.unexpectedErrors)
		w.kv("total_error_replies", st.errorReplies)
		w.kv("dump_payload_sanitizations", 0)
		w.kv("total_reads_processed", st.ioReadsProcessed.Load())
		w.kv("total_writes_processed", st.ioWritesProcessed.Load())
		w.kv("io_threaded_reads_processed", 0)
		w.kv("io_threaded_writes_processed", 0)
		w.kv("reply_buffer_shrinks", 0)
		w.kv("reply_buffer_expands", 0)
	case "replication":
		b.WriteString("# Replication\r\n")
		w.kv("role", "master")
		w.kv("connected_slaves", 0)
		w.kv("master_failover_state", "no-failover")
		w.kv("master_replid", s.replID)
		w.kv("master_replid2", strings.Repeat("0", 40))
		w.kv("master_repl_offset", 0)
		w.kv("second_repl_offset", -1)
		w.kv("repl_backlog_active", 0)
		w.kv("repl_backlog_size", 1048576)
		w.kv("repl_backlog_first_byte_offset", 0)
		w.kv("repl_backlog_histlen", 0)
	case "cpu":
		b.WriteString("# CPU\r\n")
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		sys := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
		user := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
		f6 := func(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
		w.kv("used_cpu_sys", f6(sys))
		w.kv("used_cpu_user", f6(user))
		w.kv("used_cpu_sys_children", f6(0))
		w.kv("used_cpu_user_children", f6(0))
		// Go has no main thread: the engine runs on whichever thread holds
		// its lock, so the process's usage is the honest figure.
		w.kv("used_cpu_sys_main_thread", f6(sys))
		w.kv("used_cpu_user_main_thread", f6(user))
	case "module_list":
		b.WriteString("# Modules\r\n")
	case "commandstats":
		b.WriteString("# Commandstats\r\n")
		for _, name := range sortedKeys(s.cmdStats) {
			st := s.cmdStats[name]
			b.WriteString("cmdstat_" + name + ":calls=" + strconv.FormatInt(st.calls, 10) +
				",usec=" + strconv.FormatInt(st.usec, 10) +
				",usec_per_call=" + strconv.FormatFloat(ratio(st.usec, st.calls), 'f', 2, 64) +
				",rejected_calls=" + strconv.FormatInt(st.rejected, 10) +
				",failed_calls=" + strconv.FormatInt(st.failed, 10) + "\r\n")
		}
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		for _, code := range sortedKeys(s.errStats) {
			b.WriteString("errorstat_" + code + ":count=" + strconv.FormatInt(s.errStats[code], 10) + "\r\n")
		}
	case "latencystats":
		b.WriteString("# Latencystats\r\n")
		for _, name := range sortedKeys(s.cmdStats) {
			h := s.cmdStats[name].hist
			if h == nil || h.TotalCount() == 0 {
				continue
			}
			b.WriteString("latency_percentiles_usec_" + name + ":")
			for i, p := range []float64{50, 99, 99.9} {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("p" + strconv.FormatFloat(p, 'f', -1, 64) + "=" +
					strconv.FormatFloat(float64(h.ValueAtQuantile(p))/1000, 'f', 3, 64))
			}
			b.WriteString("\r\n")
		}
	case "cluster":
		b.WriteString("# Cluster\r\n")
		w.kv("cluster_enabled", 0)
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		for _, db := range s.dbs {
			if db.size() == 0 {
				continue
			}
			b.WriteString("db" + strconv.Itoa(db.id) + ":keys=" + strconv.Itoa(db.size()) +
				",expires=" + strconv.Itoa(db.expires.Len()) + ",avg_ttl=" + strconv.FormatInt(s.avgTTL(db), 10) + "\r\n")
		}
	}
}

// newLatencyHistogram tracks a command's latency in nanoseconds, as Redis's
// per-command hdr_histogram (1 ns to 1 s, 2 significant figures).
func newLatencyHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, 1_000_000_000, 2) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// avgTTL estimates the average remaining TTL of db's volatile keys in ms,
// from a bounded sample (Redis keeps a running estimate from its expire
// cycle samples).
func (s *Server) avgTTL(db *DB) int64 {
	var sum, n int64
	for _, e := range db.expires.SomeKeys(nil, 64) {
		if ttl := e.Value - s.now; ttl > 0 {
			sum += ttl
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

func unameString() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return runtime.GOOS
	}
	str := func(a [65]int8) string {
		var b []byte
		for _, c := range a {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Machine)
}
