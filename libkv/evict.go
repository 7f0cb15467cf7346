package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"math"
	"runtime"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/kvkit/kvkit/libkv/dict"
)

// maxmemory enforcement, as Redis 7.0's evict.c: before each command (and
// after CONFIG SET maxmemory) the server frees keys chosen by
// maxmemory-policy until used_memory, less the memory not counted for
// eviction, is back under maxmemory, or refuses the commands that may
// grow the dataset with errOOM when it cannot.

// errOOM is Redis's shared.oomerr, the reply to a denyoom command (and to
// any command queued in MULTI) when memory cannot be freed.
const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// evictionPoolSize is EVPOOL_SIZE: how many eviction candidates the pool
// keeps between performEvictions calls.
const evictionPoolSize = 16

// Results of performEvictions (EVICT_OK, EVICT_RUNNING, EVICT_FAIL).
const (
	evictOK      = iota // under the limit, or freed enough
	evictRunning        // over the time budget: evictionProc goes on in the background
	evictFail           // over the limit and nothing (more) may be evicted
)

// evictPolicy is maxmemory-policy as evict.c's MAXMEMORY_FLAG_* bits.
type evictPolicy uint8

const (
	policyLRU     evictPolicy = 1 << iota // MAXMEMORY_FLAG_LRU: allkeys-lru, volatile-lru
	policyLFU                             // MAXMEMORY_FLAG_LFU: allkeys-lfu, volatile-lfu
	policyAllKeys                         // MAXMEMORY_FLAG_ALLKEYS: sample the keyspace, not the expires
	policyTTL                             // volatile-ttl
	policyRandom                          // allkeys-random, volatile-random
	// noeviction is 0.
)

// parseEvictPolicy maps a canonical maxmemory-policy name to its flags.
func parseEvictPolicy(name string) evictPolicy {
	switch name {
	case "volatile-lru":
		return policyLRU
	case "volatile-lfu":
		return policyLFU
	case "volatile-ttl":
		return policyTTL
	case "volatile-random":
		return policyRandom
	case "allkeys-lru":
		return policyLRU | policyAllKeys
	case "allkeys-lfu":
		return policyLFU | policyAllKeys
	case "allkeys-random":
		return policyRandom | policyAllKeys
	}
	return 0
}

// evictionPoolEntry is a candidate for eviction (evictionPoolEntry):
// idle is its score, larger is better to evict (idle time for LRU,
// 255-counter for LFU, the inverse of the expiry time for volatile-ttl).
// key is the keyspace's own immutable string, so holding it copies nothing.
type evictionPoolEntry struct {
	idle uint64
	key  string
	dbid int
	used bool
}

// evictor is the state evict.c keeps in globals.
type evictor struct {
	pool    [evictionPoolSize]evictionPoolEntry
	keys    []dict.Entry[*Object] // sample buffers, reused
	expires []dict.Entry[int64]
	nextDB  int  // the random policies' round-robin over databases (next_db)
	running bool // isEvictionProcRunning
	// clientsMem is clientsMemory as of clientsAt (command time, Unix ms).
	clientsMem, clientsAt int64
	evicted               int64
	exceeded              time.Time     // stat_last_eviction_exceeded_time: when the limit was first found exceeded, zero when not
	totalOver             time.Duration // stat_total_eviction_exceeded_time
}

// exceededTime is INFO's current_eviction_exceeded_time.
func (e *evictor) exceededTime() time.Duration {
	if e.exceeded.IsZero() {
		return 0
	}
	return time.Since(e.exceeded)
}

// evictionTimeLimit is evictionTimeLimitUs: how long one performEvictions
// call may evict before handing over to evictionProc. Tenacity 0..10 gives
// 0..500 µs linearly, 11..99 grows 15% a step (about 2 minutes at 99), 100
// is unlimited.
func (s *Server) evictionTimeLimit() time.Duration {
	t := s.conf.MaxmemoryEvictionTenacity
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t)-10)) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// notCountedMemory is freeMemoryGetNotCountedMemory: memory that
// used_memory includes but eviction must not try to free, because
// evicting keys would grow it (replicas' output buffers, the AOF buffer,
// which receive the DELs). kv-server has neither yet, so it is 0.
func (s *Server) notCountedMemory() int64 { return 0 }

// evictionUsedMemory is usedMemory for the check before every command,
// with the clients' buffers summed at most once per millisecond of command
// time: the check runs for every command, and the sum is a pass over all
// clients where the rest is a pass over the databases.
func (s *Server) evictionUsedMemory() int64 {
	e := &s.evict
	if e.clientsAt != s.now {
		e.clientsMem, e.clientsAt = s.clientsMemory(), s.now
	}
	return s.startupMemory + e.clientsMem + s.keyspaceMemory()
}

// overMaxmemory is getMaxmemoryState: it reports how many bytes must be
// freed to be back under maxmemory, 0 when none.
func (s *Server) overMaxmemory() int64 {
	limit := int64(s.conf.Maxmemory)
	if limit == 0 {
		return 0
	}
	used := s.evictionUsedMemory()
	if used <= limit {
		return 0
	}
	used = max(used-s.notCountedMemory(), 0)
	if used <= limit {
		return 0
	}
	return used - limit
}

// performEvictions is Redis 7.0's performEvictions: while over maxmemory,
// evict the best key by policy: for LRU, LFU and volatile-ttl the best of
// the eviction pool, refilled by sampling maxmemory-samples keys of every
// database; for the random policies a random key of the next database in
// turn. After evictionTimeLimit it stops and leaves the rest to
// evictionProc. It returns evictOK, evictRunning or evictFail.
func (s *Server) performEvictions() int {
	// isSafeToPerformEvictions: a paused server's dataset stays static.
	if s.pause.active() {
		return evictOK
	}
	e := &s.evict
	result := evictFail
	toFree := s.overMaxmemory()
	policy := parseEvictPolicy(s.conf.MaxmemoryPolicy)
	switch {
	case toFree == 0:
		result = evictOK
	case policy == 0:
		// Over the limit under noeviction: fail.
	default:
		result = s.evictUntil(toFree, policy)
	}
	// update_metrics: the time spent over the limit.
	if result == evictOK {
		if !e.exceeded.IsZero() {
			e.totalOver += time.Since(e.exceeded)
			e.exceeded = time.Time{}
		}
	} else if e.exceeded.IsZero() {
		e.exceeded = time.Now()
	}
	return result
}

// evictUntil evicts keys until toFree bytes are freed, nothing is left to
// evict (evictFail) or the time budget is spent (evictRunning).
func (s *Server) evictUntil(toFree int64, policy evictPolicy) int {
	e := &s.evict
	start := time.Now()
	limit := s.evictionTimeLimit()
	var freed int64
	keys := 0
	for freed < toFree {
		db, key, ok := s.evictionCandidate(policy)
		if !ok {
			s.latency.sample(s, "eviction-cycle", time.Since(start))
			return evictFail
		}
		// As Redis, count what deleting the key freed from the keyspace
		// alone: the memory of propagating the DEL is freed later.
		before := db.mem
		// deleteKey only reads the key: a view of the keyspace's string
		// saves a copy per eviction.
		kb := unsafe.Slice(unsafe.StringData(key), len(key))
		mark := len(s.written)
		s.propagateDeletion(db.id, kb, s.conf.LazyfreeLazyEviction)
		if s.conf.LatencyMonitorThreshold > 0 {
			// latencyStartMonitor reads the clock only when monitoring.
			delStart := time.Now()
			s.deleteKey(db, kb)
			s.latency.sample(s, "eviction-del", time.Since(delStart))
		} else {
			s.deleteKey(db, kb)
		}
		// An evicted key is touched, as any deletion, by no client
		// (signalModifiedKey(NULL, ...)).
		s.tracking.outside = true
		s.signalWritten(mark, true)
		s.tracking.outside = false
		freed += before - db.mem
		s.notifyKeyspaceEvent(config.NotifyEvicted, "evicted", kb, db.id)
		e.evicted++ // not a change for rdb_changes_since_last_save, as in Redis
		keys++
		if keys%16 == 0 && time.Since(start) > limit {
			// Out of time but still over the limit: evictionProc goes on.
			if !e.running {
				e.running = true
				s.wg.Add(1)
				go s.evictionProc()
			}
			break
		}
	}
	s.latency.sample(s, "eviction-cycle", time.Since(start))
	if e.running {
		return evictRunning
	}
	return evictOK
}

// evictionCandidate picks the next key to evict under policy, or reports
// false when no database has a key the policy may evict.
func (s *Server) evictionCandidate(policy evictPolicy) (db *DB, key string, ok bool) {
	e := &s.evict
	if policy&policyRandom != 0 {
		// One key per database in turn (next_db), so that no database
		// is emptied first.
		for range s.dbs {
			e.nextDB = (e.nextDB + 1) % len(s.dbs)
			db := s.dbs[e.nextDB]
			if policy&policyAllKeys != 0 {
				if k, _, ok := db.keys.RandomKey(); ok {
					return db, k, true
				}
			} else if k, _, ok := db.expires.RandomKey(); ok {
				return db, k, true
			}
		}
		return nil, "", false
	}
	for {
		total := 0
		for _, db := range s.dbs {
			if policy&policyAllKeys != 0 {
				total += db.keys.Len()
			} else {
				total += db.expires.Len()
			}
			s.populatePool(db, policy)
		}
		if total == 0 {
			return nil, "", false
		}
		// From the best candidate down; a candidate whose key is gone
		// (deleted or, for volatile policies, persisted since it was
		// sampled) is a ghost, dropped.
		for k := evictionPoolSize - 1; k >= 0; k-- {
			c := &e.pool[k]
			if !c.used {
				continue
			}
			db := s.dbs[c.dbid]
			key := c.key
			*c = evictionPoolEntry{}
			var found bool
			if policy&policyAllKeys != 0 {
				_, found = db.keys.Get(key)
			} else {
				_, found = db.expires.Get(key)
			}
			if found {
				return db, key, true
			}
		}
	}
}

// populatePool is evictionPoolPopulate: it samples maxmemory-samples keys
// of db (of its expires under a volatile policy) and inserts each into the
// pool, kept sorted by ascending idle, when it beats the worst candidate
// or the pool has room.
func (s *Server) populatePool(db *DB, policy evictPolicy) {
	e := &s.evict
	n := s.conf.MaxmemorySamples
	if policy&policyAllKeys != 0 {
		if db.keys.Len() == 0 {
			return
		}
		e.keys = db.keys.SomeKeys(e.keys[:0], n)
		for _, ent := range e.keys {
			e.insert(s.evictionScore(ent.Value, policy), ent.Key, db.id)
		}
		return
	}
	if db.expires.Len() == 0 {
		return
	}
	e.expires = db.expires.SomeKeys(e.expires[:0], n)
	for _, ent := range e.expires {
		var idle uint64
		if policy&policyTTL != 0 {
			// The sooner it expires, the better to evict.
			idle = math.MaxUint64 - uint64(ent.Value)
		} else {
			o, ok := db.keys.Get(ent.Key)
			if !ok {
				continue // an expires entry always has its key; be safe
			}
			idle = s.evictionScore(o, policy)
		}
		e.insert(idle, ent.Key, db.id)
	}
}

// evictionScore is the pool's idle for a value under an LRU or LFU policy:
// the idle time, or 255 minus the decayed LFU counter.
func (s *Server) evictionScore(o *Object, policy evictPolicy) uint64 {
	if policy&policyLFU != 0 {
		return uint64(255 - s.lfuDecr(s.lru(o)))
	}
	return uint64(s.idleTime(o))
}

// insert puts a sampled key into the pool as evictionPoolPopulate does.
func (e *evictor) insert(idle uint64, key string, dbid int) {
	p := &e.pool
	k := 0
	for k < evictionPoolSize && p[k].used && p[k].idle < idle {
		k++
	}
	switch {
	case k == 0 && p[evictionPoolSize-1].used:
		// Worse than every candidate of a full pool.
		return
	case k < evictionPoolSize && !p[k].used:
		// An empty slot.
	case !p[evictionPoolSize-1].used:
		// Room on the right: shift k.. right.
		copy(p[k+1:], p[k:evictionPoolSize-1])
	default:
		// Full: drop the least idle (p[0]) and insert at k-1.
		k--
		copy(p[:k], p[1:k+1])
	}
	p[k] = evictionPoolEntry{idle: idle, key: key, dbid: dbid, used: true}
}

// evictionProc is evictionTimeProc: started when performEvictions ran out
// of time while still over the limit, it goes on evicting, one time budget
// per hold of the engine lock so that clients are served in between, until
// memory is under the limit or nothing is left to evict.
func (s *Server) evictionProc() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			s.mu.Lock()
			s.evict.running = false
			s.mu.Unlock()
			return
		default:
		}
		s.mu.Lock()
		s.updateClock()
		r := s.performEvictions()
		if r != evictRunning {
			// Under the limit (evictOK), or nothing left to evict.
			s.evict.running = false
		}
		s.mu.Unlock()
		if r != evictRunning {
			return
		}
		runtime.Gosched()
	}
}

// evictBeforeCommand is processCommand's maxmemory step: it evicts as
// needed and reports whether the command must be refused with errOOM
// (only commands flagged denyoom are; reads and deletes still run).
func (c *Client) evictBeforeCommand(denyoom bool) (reject bool) {
	s := c.srv
	if s.conf.Maxmemory == 0 {
		return false
	}
	return s.performEvictions() == evictFail && denyoom
}

// applyMaxmemory is CONFIG SET maxmemory's apply function
// (updateMaxmemory): a warning when the new limit is below current use,
// then an eviction pass; and the Go runtime's soft memory limit.
func (s *Server) applyMaxmemory() {
	s.setMemoryLimit()
	if s.conf.Maxmemory == 0 {
		return
	}
	if used := s.usedMemory() - s.notCountedMemory(); int64(s.conf.Maxmemory) < used {
		s.log.Warning("WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current memory usage (%d). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", s.conf.Maxmemory, used)
	}
	s.performEvictions()
}

// Headroom of the Go runtime's soft memory limit over maxmemory.
const (
	memoryLimitSlackRatio = 4       // maxmemory/4 ...
	memoryLimitSlackMin   = 8 << 20 // ... or 8 MB, whichever is more
)

// setMemoryLimit sets the Go runtime's soft memory limit from maxmemory,
// so that the process's RSS follows the accounted memory. used_memory
// counts the keyspace in Redis's terms, which match kv-server's own
// allocations per key closely (see docs/benchmarks.md); what it does not
// see is garbage: by default the collector lets the heap grow to twice
// the live data before collecting (GOGC=100), so a server held at
// maxmemory by eviction, whose writes turn into garbage at the rate they
// arrive, would sit near twice maxmemory. The limit makes the collector
// run when the heap nears it instead. It is maxmemory plus a quarter
// (8 MB at least): room for the runtime's own memory, client buffers
// and a few GC cycles' worth of garbage, so the collector is not made to
// run back to back (a limit at the live heap itself would have it spend
// up to half the CPU). It is a soft limit: if the live heap exceeds it
// (maxmemory below what the server really holds) Go keeps running and
// caps the collector's CPU instead of failing. maxmemory 0 removes the
// limit. The limit is per process: one Server per process is assumed.
func (s *Server) setMemoryLimit() {
	m := int64(s.conf.Maxmemory)
	if m <= 0 || m > math.MaxInt64/2 {
		debug.SetMemoryLimit(math.MaxInt64)
		return
	}
	debug.SetMemoryLimit(m + max(m/memoryLimitSlackRatio, memoryLimitSlackMin))
}
