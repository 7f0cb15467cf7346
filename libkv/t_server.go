package libkv

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
	"github.com/kvkit/kvkit/libkv/config"
	"github.com/kvkit/kvkit/libkv/dict"
	"github.com/kvkit/kvkit/libkv/glob"

	"github.com/kvkit/kvkit/internal/sds"
)

// Server commands (Redis 7.0 server.c, debug.c, object.c, latency.c).
var serverCommands = map[string]cmdFunc{
	"time": cmdTime, "info": cmdInfo, "monitor": cmdMonitor, "lolwut": cmdLolwut, "shutdown": cmdShutdown,
	"command": cmdCommand, "command|count": cmdCommand, "command|info": cmdCommand, "command|docs": cmdCommand,
	"command|list": cmdCommand, "command|getkeys": cmdCommand, "command|getkeysandflags": cmdCommand,
	"command|help": cmdCommand,
	"slowlog|get":  cmdSlowlogGet, "slowlog|len": cmdSlowlogLen, "slowlog|reset": cmdSlowlogReset,
	"slowlog|help":   cmdSlowlogHelp,
	"latency|latest": cmdLatencyLatest, "latency|history": cmdLatencyHistory, "latency|reset": cmdLatencyReset,
	"latency|doctor": cmdLatencyDoctor, "latency|help": cmdLatencyHelp,
	"latency|graph": cmdLatencyGraph, "latency|histogram": cmdLatencyHistogram,
	"debug":        cmdDebug,
	"memory|usage": cmdMemoryUsage, "memory|stats": cmdMemoryStats, "memory|doctor": cmdMemoryDoctor,
	"memory|malloc-stats": cmdMemoryMallocStats, "memory|purge": cmdMemoryPurge, "memory|help": cmdMemoryHelp,
	"object|encoding": cmdObjectEncoding, "object|freq": cmdObjectFreq, "object|idletime": cmdObjectIdletime,
	"object|refcount": cmdObjectRefcount, "object|help": cmdObjectHelp,
}

func cmdTime(c *Client, args [][]byte) {
	now := time.Now()
	c.w.Array(2)
	c.w.BulkInt(now.Unix())
	c.w.BulkInt(int64(now.Nanosecond() / 1000))
}

func cmdCommand(c *Client, args [][]byte) {
	cmdtable.ExecCommand(&c.w, args, c.srv.implemented)
}

// cmdMonitor turns c into a monitor: from now on it receives every command
// the server executes (Redis's replicationFeedMonitors).
func cmdMonitor(c *Client, args [][]byte) {
	if c.denyBlocking {
		// Inside EXEC: a monitor gets no reply per command.
		c.addError("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.monitor {
		return
	}
	c.monitor = true
	c.srv.monitors = append(c.srv.monitors, c)
	c.startAsync()
	c.w.OK()
}

func (s *Server) removeMonitor(c *Client) {
	for i, m := range s.monitors {
		if m == c {
			s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
			break
		}
	}
	c.monitor = false
}

// feedMonitors sends the command line to every monitor in Redis's format:
// +<unix time with µs> [<db> <addr>] "arg" "arg" ...
func (s *Server) feedMonitors(c *Client, args [][]byte) {
	now := time.Now()
	line := make([]byte, 0, 64)
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	line = append(line, strings.Repeat("0", 6-len(us))+us...)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(c.db.id), 10)
	line = append(line, ' ')
	if c.unix {
		line = append(line, "unix:"+s.conf.Unixsocket...)
	} else {
		line = append(line, c.addr...)
	}
	line = append(line, ']')
	for _, a := range args {
		line = append(line, ' ')
		line = sds.AppendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	// A monitor sees its own commands too, as in Redis.
	for _, m := range s.monitors {
		m.asyncWrite(line)
	}
}

// cmdLolwut: Redis 7.0 has no artwork of its own version, so LOLWUT prints
// the version line (lolwutUnstableCommand) unless VERSION asks otherwise.
func cmdShutdown(c *Client, args [][]byte) {
	s := c.srv
	// As Redis's shutdownCommand: every argument is parsed first (an
	// unknown one is a syntax error), then ABORT with anything else and
	// SAVE with NOSAVE are rejected as combinations.
	var nosave, save, abort, other, force bool
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"):
			nosave = true
		case eqFold(a, "save"):
			save = true
		case eqFold(a, "now"):
			other = true
		case eqFold(a, "force"):
			other, force = true, true
		case eqFold(a, "abort"):
			abort = true
		default:
			c.addError(errSyntax)
			return
		}
	}
	if (abort && (nosave || save || other)) || (nosave && save) {
		c.addError(errSyntax)
		return
	}
	if abort {
		c.addError("ERR No shutdown in progress.")
		return
	}
	s.log.Warning("User requested shutdown...")
	if !s.shutdownSave(save, nosave, force) {
		c.addError("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	s.log.Warning("%s is now ready to exit, bye bye...", "kv-server")
	c.closeAfterReply = true
	go s.Close()
}

func cmdMemoryUsage(c *Client, args [][]byte) {
	// SAMPLES may repeat; each value must be an integer >= 0 (memoryCommand).
	for j := 3; j < len(args); j += 2 {
		if !eqFold(args[j], "samples") || j+1 >= len(args) {
			c.addError(errSyntax)
			return
		}
		n, ok := c.intArg(args[j+1])
		if !ok {
			return
		}
		if n < 0 {
			c.addError(errSyntax)
			return
		}
	}
	// memoryCommand reads the dictionary directly (dictFind): a key whose
	// time has passed still has a size until something expires it.
	o := c.db.get(args[2])
	if o == nil {
		c.w.Null()
		return
	}
	c.w.Int(keyMemory(args[2], o))
}

func cmdMemoryStats(c *Client, args [][]byte) {
	s := c.srv
	used := s.usedMemory()
	overhead := s.memoryOverhead()
	var keys int64
	for _, db := range s.dbs {
		keys += int64(db.size())
	}
	w := &c.w
	type kv struct {
		k string
		v int64
	}
	pairs := []kv{{"peak.allocated", s.peakMemory}, {"total.allocated", used}, {"startup.allocated", s.startupMemory},
		{"replication.backlog", 0}, {"clients.slaves", 0}, {"clients.normal", s.clientsMemory()},
		{"cluster.links", 0}, {"aof.buffer", 0}, {"lua.caches", 0}, {"functions.caches", 0}}
	var dbs []*DB
	for _, db := range s.dbs {
		if db.size() > 0 {
			dbs = append(dbs, db)
		}
	}
	w.Map(len(pairs) + len(dbs) + 17)
	for _, p := range pairs {
		w.BulkString(p.k)
		w.Int(p.v)
	}
	for _, db := range dbs {
		w.BulkString("db." + strconv.Itoa(db.id))
		w.Map(3)
		w.BulkString("overhead.hashtable.main")
		w.Int(int64(db.keys.Buckets())*4 + int64(db.size())*dictEntrySize)
		w.BulkString("overhead.hashtable.expires")
		w.Int(int64(db.expires.Buckets())*4 + int64(db.expires.Len())*expireEntry)
		w.BulkString("overhead.hashtable.slot-to-keys") // cluster mode only
		w.Int(0)
	}
	dataset := used - overhead
	perKey := int64(0)
	if keys > 0 {
		perKey = (used - s.startupMemory) / keys
	}
	w.BulkString("overhead.total")
	w.Int(overhead)
	w.BulkString("keys.count")
	w.Int(keys)
	w.BulkString("keys.bytes-per-key")
	w.Int(perKey)
	w.BulkString("dataset.bytes")
	w.Int(dataset)
	w.BulkString("dataset.percentage")
	w.Double(100 * ratio(dataset, used-s.startupMemory))
	w.BulkString("peak.percentage")
	w.Double(100 * ratio(used, s.peakMemory))
	rss := rssBytes()
	for _, p := range []kv{{"allocator.allocated", used}, {"allocator.active", used}, {"allocator.resident", rss}} {
		w.BulkString(p.k)
		w.Int(p.v)
	}
	w.BulkString("allocator-fragmentation.ratio")
	w.Double(1)
	w.BulkString("allocator-fragmentation.bytes")
	w.Int(0)
	// kv-server's "allocator" is the Go runtime, whose resident memory is
	// the process's: no allocator RSS overhead of its own.
	w.BulkString("allocator-rss.ratio")
	w.Double(1)
	w.BulkString("allocator-rss.bytes")
	w.Int(0)
	w.BulkString("rss-overhead.ratio")
	w.Double(ratio(rss, used))
	w.BulkString("rss-overhead.bytes")
	w.Int(rss - used)
	w.BulkString("fragmentation")
	w.Double(ratio(rss, used))
	w.BulkString("fragmentation.bytes")
	w.Int(rss - used)
}

// cmdMemoryDoctor is Redis 7.0's getMemoryDoctorReport (object.c) over
// kv-server's own figures: under 5 MB the instance counts as empty;
// otherwise a peak over 150% of current use, fragmentation (RSS over used
// memory) above 1.4 and 10 MB, and client buffers above 200 KB per client
// are reported in Redis's words. kv-server has no allocator fragmentation,
// replicas or scripts, so those reports never appear.
func cmdMemoryDoctor(c *Client, args [][]byte) {
	s := c.srv
	used := s.usedMemory()
	rss := rssBytes()
	var empty, bigPeak, highFrag, bigClientBuf bool
	reports := 0
	if used < 5<<20 {
		empty = true
		reports++
	} else {
		if float32(s.peakMemory)/float32(used) > 1.5 {
			bigPeak = true
			reports++
		}
		if ratio(rss, used) > 1.4 && rss-used > 10<<20 {
			highFrag = true
			reports++
		}
		if n := int64(len(s.clients)); n > 0 && s.clientsMemory()/n > 200<<10 {
			bigClientBuf = true
			reports++
		}
	}
	var b strings.Builder
	switch {
	case reports == 0:
		b.WriteString("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
	case empty:
		b.WriteString("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
			"Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
	default:
		b.WriteString("Sam, I detected a few issues in this Redis instance memory implants:\n\n")
		if bigPeak {
			b.WriteString(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
		}
		if highFrag {
			b.WriteString(sprintf(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"%s\".\n\n",
				memAllocator()))
		}
		if bigClientBuf {
			b.WriteString(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n")
		}
		b.WriteString("I'm here to keep you safe, Sam. I want to help you.\n")
	}
	c.w.Verbatim("txt", b.String())
}

// memAllocator is INFO's mem_allocator: the Go runtime stands for Redis's
// allocator.
func memAllocator() string { return "go-" + runtime.Version() }

func cmdMemoryMallocStats(c *Client, args [][]byte) {
	c.w.Verbatim("txt", "Stats not supported for the current allocator")
}

func cmdMemoryPurge(c *Client, args [][]byte) { c.w.OK() }

func cmdMemoryHelp(c *Client, args [][]byte) {
	c.replyHelp("MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}

// objectLookup is OBJECT's lookupKeyReadWithFlags(LOOKUP_NOTOUCH|LOOKUP_NONOTIFY).
func (c *Client) objectLookup(key []byte) *Object {
	o := c.lookupNoTouch(key)
	if o == nil {
		c.w.Null()
	}
	return o
}

func cmdObjectEncoding(c *Client, args [][]byte) {
	if o := c.objectLookup(args[2]); o != nil {
		c.w.BulkString(o.enc.String())
	}
}

func cmdObjectRefcount(c *Client, args [][]byte) {
	o := c.objectLookup(args[2])
	if o != nil {
		c.w.Int(o.refcount())
	}
}

func cmdObjectIdletime(c *Client, args [][]byte) {
	o := c.objectLookup(args[2])
	if o == nil {
		return
	}
	if c.srv.lfuPolicy() {
		c.addError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.w.Int(c.srv.idleTime(o))
}

func cmdObjectFreq(c *Client, args [][]byte) {
	o := c.objectLookup(args[2])
	if o == nil {
		return
	}
	if !c.srv.lfuPolicy() {
		c.addError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.w.Int(int64(c.srv.lfuDecr(c.srv.lru(o))))
}

func cmdObjectHelp(c *Client, args [][]byte) {
	c.replyHelp("OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}

// Dataset digests as Redis 7.0's debug.c computes them, so that DEBUG
// DIGEST compares datasets across kv-server and redis-server: per key, a
// SHA-1 chain over the key, the type and the value, XORed into the total.

func xorDigest(digest *[20]byte, b []byte) {
	h := sha1.Sum(b)
	for i := range digest {
		digest[i] ^= h[i]
	}
}

func mixDigest(digest *[20]byte, b []byte) {
	xorDigest(digest, b)
	*digest = sha1.Sum(digest[:])
}

// objectDigest is xorObjectDigest: it continues d's chain with key's value
// o in db.
func (s *Server) objectDigest(d [20]byte, db *DB, key []byte, o *Object) [20]byte {
	var typ [4]byte
	binary.BigEndian.PutUint32(typ[:], o.typ.code())
	mixDigest(&d, typ[:])
	if o.typ == TypeString {
		mixDigest(&d, o.str())
	} else {
		valueTypes[o.typ].digest(&d, o)
	}
	if db.expireAt(key) != -1 {
		xorDigest(&d, []byte("!!expire!!"))
	}
	return d
}

// datasetDigest is computeDatasetDigest: all zeros for an empty dataset.
func (s *Server) datasetDigest() [20]byte {
	var final [20]byte
	for _, db := range s.dbs {
		if db.size() == 0 {
			continue
		}
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], uint32(db.id))
		mixDigest(&final, id[:])
		for k, o := range db.keys.All() {
			var d [20]byte
			mixDigest(&d, []byte(k))
			d = s.objectDigest(d, db, []byte(k), o)
			xorDigest(&final, d[:])
		}
	}
	return final
}

// debugDenied is Redis's message when enable-debug-command refuses DEBUG.
const debugDenied = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."

// debugAllowed applies enable-debug-command: yes, or local for loopback
// and unix socket clients.
func (c *Client) debugAllowed() bool {
	switch c.srv.conf.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		return c.unix || strings.HasPrefix(c.addr, "127.") || strings.HasPrefix(c.addr, "[::1]")
	}
	return false
}

func cmdDebug(c *Client, args [][]byte) {
	s := c.srv
	if !c.debugAllowed() {
		c.addError(debugDenied)
		return
	}
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		c.replyHelp("DEBUG", debugHelp)
	case sub == "sleep" && len(args) == 3:
		// strtod: the longest number at the start, 0 when there is none.
		time.Sleep(time.Duration(strtod(args[2]) * float64(time.Second)))
		c.w.OK()
	case sub == "set-active-expire" && len(args) == 3:
		s.activeExpire = atoi(args[2]) != 0
		c.w.OK()
	case sub == "log" && len(args) == 3:
		s.log.Warning("DEBUG LOG: %s", args[2])
		c.w.OK()
	case sub == "change-repl-id" && len(args) == 2:
		s.replID = randomID()
		c.w.OK()
	case sub == "protocol" && len(args) == 3:
		c.debugProtocol(strings.ToLower(string(args[2])))
	case sub == "error" && len(args) == 3:
		// The argument is the whole error line, newlines made spaces; sent
		// as raw protocol, it counts in no error statistics (debug.c).
		msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(args[2]))
		c.w.Raw([]byte("-" + msg + "\r\n"))
	case (sub == "leak" || sub == "replicate") && len(args) == 3:
		// LEAK leaks the string on purpose; REPLICATE feeds replicas, of
		// which kv-server has none.
		c.w.OK()
	case sub == "set-skip-checksum-validation" && len(args) == 3:
		s.rdb.skipChecksum = atoi(args[2]) != 0 // RDB loading and RESTORE
		c.w.OK()
	case sub == "set-disable-deny-scripts" && len(args) == 3:
		// A flag for scripts, which kv-server does not have: accepted as
		// Redis accepts it.
		c.w.OK()
	case sub == "reload":
		c.debugReload(args)
	case sub == "pause-cron" && len(args) == 3:
		s.pauseCron = atoi(args[2]) != 0
		c.w.OK()
	case sub == "quicklist-packed-threshold" && len(args) == 3:
		n, ok := config.ParseMemory(string(args[2]))
		if !ok || n > 1<<32-1<<20 {
			c.addError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		setPackedThreshold(int64(n))
		c.w.OK()
	case sub == "stringmatch-test" && len(args) == 2:
		stringmatchTest()
		c.w.Status("Apparently Redis did not crash: test passed")
	case sub == "sdslen" && len(args) == 3:
		c.debugSdslen(args[2])
	case (sub == "listpack" || sub == "htstats-key") && len(args) == 3,
		sub == "quicklist" && (len(args) == 3 || len(args) == 4):
		o := c.db.get(args[2])
		if o == nil {
			c.addError(errNoSuchKey)
			return
		}
		if o.typ == TypeHash && c.debugHash(sub, o) {
			return
		}
		c.addError(map[string]string{
			"listpack":    "ERR Not a listpack encoded object.",
			"quicklist":   "ERR Not a quicklist encoded object.",
			"htstats-key": "ERR The value stored at the specified key is not represented using an hash table",
		}[sub])
	case sub == "structsize" && len(args) == 2:
		// The C sizes kv-server's memory accounting assumes (memory.go).
		c.w.BulkString(sprintf("bits:64 robj:%d dictentry:%d sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ", robjSize, dictEntrySize))
	case sub == "htstats" && len(args) == 3:
		id, ok := c.intArg(args[2])
		if !ok {
			return
		}
		if id < 0 || id >= int64(len(s.dbs)) {
			c.addError("ERR Out of range database")
			return
		}
		db := s.dbs[id]
		c.w.Verbatim("txt", "[Dictionary HT]\n"+htStats(&db.keys)+"[Expires HT]\n"+htStats(&db.expires))
	case sub == "client-eviction" && len(args) == 2 && s.conf.MaxmemoryClients == 0:
		c.addError("ERR maxmemory-clients is disabled.")
	case sub == "object" && len(args) == 3:
		o := c.db.get(args[2])
		if o == nil {
			c.addError(errNoSuchKey)
			return
		}
		serialized, extra := int64(0), ""
		if o.typ == TypeString {
			serialized = int64(rdbStringLen(o.str(), s.conf.Rdbcompression))
		} else {
			vt := valueTypes[o.typ]
			serialized = vt.rdbLen(o, s.conf.Rdbcompression)
			if vt.debugObject != nil {
				extra = vt.debugObject(o)
			}
		}
		c.w.Status(sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
			o, o.refcount(), o.enc, serialized, s.lru(o), s.idleTime(o), extra))
	case sub == "digest" && len(args) == 2:
		d := s.datasetDigest()
		c.w.Status(hex.EncodeToString(d[:]))
	case sub == "digest-value" && len(args) >= 2:
		c.w.Array(len(args) - 2)
		for _, key := range args[2:] {
			var d [20]byte
			if o := c.db.get(key); o != nil {
				d = s.objectDigest(d, c.db, key, o)
			}
			c.w.Status(hex.EncodeToString(d[:]))
		}
	case sub == "populate" && len(args) >= 3 && len(args) <= 5:
		s.debugPopulate(c, args)
	default:
		c.subcommandSyntaxError(args)
	}
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: keys prefix:N
// (default "key") holding "value:N", zero-padded or cut to size bytes.
func (s *Server) debugPopulate(c *Client, args [][]byte) {
	count, ok := argInt(args[2])
	if !ok || count < 0 {
		c.addError(errNotIntPos)
		return
	}
	prefix := "key"
	if len(args) >= 4 {
		prefix = string(args[3])
	}
	var size int64
	if len(args) == 5 {
		size, ok = argInt(args[4])
		if !ok || size < 0 {
			c.addError(errNotIntPos)
			return
		}
		// Redis allocates whatever size asks and dies of it; kvkit keeps to
		// the string limit instead.
		if !c.checkStringLength(size, 0) {
			return
		}
	}
	for j := int64(0); j < count; j++ {
		key := []byte(prefix + ":" + strconv.FormatInt(j, 10))
		if c.lookupWrite(key) != nil {
			continue
		}
		val := []byte("value:" + strconv.FormatInt(j, 10))
		if size > 0 {
			v := make([]byte, size)
			copy(v, val)
			val = v
		}
		s.addKey(c.db, key, newRawString(val))
		// Redis signals each key although the command does not count as
		// a change (server.dirty stays).
		s.signalModifiedKey(c.db, string(key))
	}
	c.w.OK()
}

// debugHelp is DEBUG HELP's text, Redis 7.0's (debug.c) word for word: it
// lists every subcommand Redis has, including those kv-server answers with
// an error because they concern what it does not have (AOF, replication,
// crashes, allocator, listpack and quicklist internals).
var debugHelp = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"CONFIG-REWRITE-FORCE-ALL",
	"    Like CONFIG REWRITE but writes all configuration options, including",
	"    keywords not listed in original configuration file or default values.",
	"CRASH-AND-RECOVER [<milliseconds>]",
	"    Hard crash and restart after a <milliseconds> delay (default 0).",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"REPLICATE <string>",
	"    Replicates the provided string to replicas, allowing data divergence.",
	"MALLCTL <key> [<val>]",
	"    Get or set a malloc tuning integer.",
	"MALLCTL-STR <key> [<val>]",
	"    Get or set a malloc tuning string.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"RESTART [<milliseconds>]",
	"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
	"SDSLEN <key>",
	"    Show low level SDS string info representing `key` and value.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"CLIENT-EVICTION",
	"    Show low level client eviction pools info (maxmemory-clients).",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
	"CLUSTERLINK KILL <to|from|all> <node-id>",
	"    Kills the link based on the direction to/from (both) with the provided node.",
}

// debugProtocol is DEBUG PROTOCOL: one test value of each RESP type, as
// Redis's debug.c sends them (attributes only in RESP3, then a real reply;
// push refused in RESP2).
func (c *Client) debugProtocol(name string) {
	switch name {
	case "string":
		c.w.BulkString("Hello World")
	case "integer":
		c.w.Int(12345)
	case "double":
		c.w.Double(3.141)
	case "bignum":
		c.w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		c.w.Null()
	case "array", "set":
		if name == "set" {
			c.w.Set(3)
		} else {
			c.w.Array(3)
		}
		for j := int64(0); j < 3; j++ {
			c.w.Int(j)
		}
	case "map":
		c.w.Map(3)
		for j := int64(0); j < 3; j++ {
			c.w.Int(j)
			c.w.Bool(j == 1)
		}
	case "attrib":
		if c.w.Resp3() {
			c.w.Raw([]byte("|1\r\n"))
			c.w.BulkString("key-popularity")
			c.w.Array(2)
			c.w.BulkString("key:123")
			c.w.Int(90)
		}
		c.w.BulkString("Some real reply following the attribute")
	case "push":
		if !c.w.Resp3() {
			c.addError("ERR RESP2 is not supported by this command")
			return
		}
		c.w.Push(2)
		c.w.BulkString("server-cpu-usage")
		c.w.Int(42)
		c.w.BulkString("Some real reply following the push reply")
	case "true", "false":
		c.w.Bool(name == "true")
	case "verbatim":
		c.w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		c.addError("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// debugSdslen is DEBUG SDSLEN: the key's and the value's sds length, free
// space and allocation, as Redis's memory layout would have them.
func (c *Client) debugSdslen(key []byte) {
	o := c.db.get(key)
	if o == nil {
		c.addError(errNoSuchKey)
		return
	}
	if o.typ != TypeString || o.enc == EncInt {
		c.addError("ERR Not an sds encoded string.")
		return
	}
	kt, kalloc := sdsNewAlloc(int64(len(key)))
	keyAvail := kalloc - int64(len(key))
	if kt == sdsType5 {
		keyAvail = 0
	}
	n := int64(o.n)
	var avail, zmalloc int64
	switch {
	case o.enc == EncEmbstr: // an sdshdr8 inside the object's allocation
		zmalloc = valueMemory(o) - robjSize
	case o.sds == sdsType5:
		zmalloc = valueMemory(o) - robjSize
	default:
		avail = int64(o.c) - n
		zmalloc = valueMemory(o) - robjSize
	}
	c.w.Status(sprintf("key_sds_len:%d, key_sds_avail:%d, key_zmalloc: %d, val_sds_len:%d, val_sds_avail:%d, val_zmalloc: %d",
		len(key), keyAvail, sdsAllocSize(int64(len(key))), n, avail, zmalloc))
}

// stringmatchTest is DEBUG STRINGMATCH-TEST (util.c
// stringmatchlen_fuzz_test): glob matching of random patterns against
// random strings, which must simply not crash or hang.
func stringmatchTest() {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "*?[]^-\\ab"
	pat, str := make([]byte, 32), make([]byte, 32)
	for i := 0; i < 1000; i++ {
		for j := range pat {
			pat[j] = alphabet[r.IntN(len(alphabet))]
			str[j] = alphabet[r.IntN(len(alphabet))]
		}
		glob.Match(pat[:r.IntN(len(pat))], str[:r.IntN(len(str))], r.IntN(2) == 0)
	}
}

// htStats is dictGetStats for one table (dict.c): size, elements, used
// slots, chain lengths and their distribution (lengths from 49 up are
// counted but, as in Redis, not listed). A resize in progress is finished
// first, so only the main table is reported.
func htStats[V any](d *dict.Dict[V]) string {
	for d.Rehashing() {
		d.RehashFor(time.Millisecond)
	}
	if d.Len() == 0 {
		return "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
	}
	const vectLen = 50 // DICT_STATS_VECTLEN
	var clvector [vectLen]int64
	var slots, maxChain, total int64
	size := int64(d.Buckets())
	var cursor uint64
	for {
		// Without a resize, each Scan step visits exactly one bucket.
		var chain int64
		cursor = d.Scan(cursor, func(string, V) { chain++ })
		if chain > 0 {
			slots++
			total += chain
			maxChain = max(maxChain, chain)
		}
		clvector[min(chain, vectLen-1)]++
		if cursor == 0 {
			break
		}
	}
	var b strings.Builder
	b.WriteString(sprintf("Hash table 0 stats (main hash table):\n table size: %d\n number of elements: %d\n different slots: %d\n max chain length: %d\n avg chain length (counted): %.02f\n avg chain length (computed): %.02f\n Chain length distribution:\n",
		size, d.Len(), slots, maxChain, float32(total)/float32(slots), float32(d.Len())/float32(slots)))
	for i := 0; i < vectLen-1; i++ {
		if clvector[i] != 0 {
			b.WriteString(sprintf("   %d: %d (%.02f%%)\n", i, clvector[i], float32(clvector[i])/float32(size)*100))
		}
	}
	return b.String()
}
