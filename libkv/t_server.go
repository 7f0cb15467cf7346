package libkv

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/kvkit/kvkit/internal/version"
	"github.com/kvkit/kvkit/libkv/cmdtable"
	"github.com/kvkit/kvkit/libkv/proto"
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
		line = proto.AppendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	// A monitor sees its own commands too, as in Redis.
	for _, m := range s.monitors {
		m.asyncWrite(line)
	}
}

// cmdLolwut: Redis 7.0 has no artwork of its own version, so LOLWUT prints
// the version line (lolwutUnstableCommand) unless VERSION asks otherwise.
func cmdLolwut(c *Client, args [][]byte) {
	if len(args) >= 3 && eqFold(args[1], "version") {
		if _, ok := c.intArg(args[2]); !ok {
			return
		}
	}
	c.w.Verbatim("txt", "Redis ver. "+version.RedisVersion+"\n")
}

func cmdShutdown(c *Client, args [][]byte) {
	s := c.srv
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"), eqFold(a, "now"), eqFold(a, "force"):
		case eqFold(a, "save"):
			s.log.Warning("Error trying to save the DB: persistence is not available in this kv-server build")
			c.addError("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		case eqFold(a, "abort"):
			if len(args) != 2 {
				c.addError(errSyntax)
				return
			}
			c.addError("ERR No shutdown in progress.")
			return
		default:
			c.addError(errSyntax)
			return
		}
	}
	s.log.Warning("User requested shutdown...")
	s.log.Warning("%s is now ready to exit, bye bye...", "kv-server")
	c.closeAfterReply = true
	go s.Close()
}

// usedMemory is used_memory: what the server would hold in Redis's terms
// (startup overhead, clients, datasets).
func (s *Server) usedMemory() int64 {
	total := s.memoryOverhead()
	for _, db := range s.dbs {
		total += db.mem
	}
	return total
}

// memoryOverhead is used_memory_overhead: startup memory, clients and the
// dictionaries' bucket arrays.
func (s *Server) memoryOverhead() int64 {
	total := s.startupMemory + s.clientsMemory()
	for _, db := range s.dbs {
		total += int64(db.keys.Buckets()+db.expires.Buckets()) * 4
	}
	return total
}

// clientsMemory is mem_clients_normal: query and reply buffers plus a
// fixed per-client size.
func (s *Server) clientsMemory() int64 {
	var total int64
	for _, c := range s.clients {
		q, r := c.bufferSizes()
		total += q + r + clientStructSize
	}
	return total
}

func cmdMemoryUsage(c *Client, args [][]byte) {
	if len(args) > 3 {
		if len(args) != 5 || !eqFold(args[3], "samples") {
			c.addError(errSyntax)
			return
		}
		if _, ok := c.intArg(args[4]); !ok {
			return
		}
	}
	o := c.lookupNoTouch(args[2])
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
	w.Map(len(pairs) + len(dbs) + 14)
	for _, p := range pairs {
		w.BulkString(p.k)
		w.Int(p.v)
	}
	for _, db := range dbs {
		w.BulkString("db." + strconv.Itoa(db.id))
		w.Map(2)
		w.BulkString("overhead.hashtable.main")
		w.Int(int64(db.keys.Buckets())*4 + int64(db.size())*dictEntrySize)
		w.BulkString("overhead.hashtable.expires")
		w.Int(int64(db.expires.Buckets())*4 + int64(db.expires.Len())*expireEntry)
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
	w.BulkString("rss-overhead.ratio")
	w.Double(ratio(rss, used))
	w.BulkString("rss-overhead.bytes")
	w.Int(rss - used)
	w.BulkString("fragmentation")
	w.Double(ratio(rss, used))
}

func cmdMemoryDoctor(c *Client, args [][]byte) {
	s := c.srv
	var keys int
	for _, db := range s.dbs {
		keys += db.size()
	}
	used := s.usedMemory()
	var report string
	if used < 5<<20 {
		report = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
	} else {
		report = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
	}
	c.w.Verbatim("txt", report)
}

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
	idle := (int64(c.srv.lruClock) - int64(o.lru)) & (1<<24 - 1)
	c.w.Int(idle)
}

func cmdObjectFreq(c *Client, args [][]byte) {
	if c.objectLookup(args[2]) == nil {
		return
	}
	c.addError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
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
	binary.BigEndian.PutUint32(typ[:], uint32(o.typ))
	mixDigest(&d, typ[:])
	if o.typ == TypeString {
		mixDigest(&d, o.str())
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
	case sub == "help":
		c.replyHelp("DEBUG", []string{
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"OBJECT <key>",
			"    Show low level info about the `key` and associated value.",
			"POPULATE <count> [<prefix>] [<size>]",
			"    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		})
	case sub == "sleep" && len(args) == 3:
		secs, err := strconv.ParseFloat(string(args[2]), 64)
		if err != nil {
			secs = 0
		}
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.w.OK()
	case sub == "set-active-expire" && len(args) == 3:
		s.activeExpire = string(args[2]) != "0"
		c.w.OK()
	case sub == "object" && len(args) == 3:
		o := c.db.get(args[2])
		if o == nil {
			c.addError(errNoSuchKey)
			return
		}
		idle := (int64(s.lruClock) - int64(o.lru)) & (1<<24 - 1)
		c.w.Status(sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
			o, o.refcount(), o.enc, rdbStringLen(o.str(), s.conf.Rdbcompression), o.lru, idle))
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
		c.addError("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try DEBUG HELP.")
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
	}
	c.w.OK()
}
