package libkv

import (
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Sizes from Redis 7.0 on 64-bit Linux with jemalloc, used so that MEMORY
// USAGE and used_memory mean what they mean in Redis: the bytes the value
// would occupy there, including allocator rounding.
const (
	dictEntrySize  = 24 // sizeof(dictEntry)
	dictStructSize = 56 // sizeof(dict): a hashtable-encoded value's dict header
	robjSize       = 16 // sizeof(robj)
	expireEntry    = 24 // an expires-dict entry (the key sds is shared)
)

// jemallocSize rounds n up to jemalloc's size class (4 classes per
// doubling above 128 bytes, 16-byte spacing below).
func jemallocSize(n int64) int64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	// n-1 in [2^k, 2^(k+1)): that group has 4 classes spaced 2^(k-2).
	k := bits.Len64(uint64(n-1)) - 1
	step := int64(1) << (k - 2)
	return (n + step - 1) &^ (step - 1)
}

// sdsAllocSize is the allocation of an sds string created for n bytes
// (sdsnewlen), as a key's copy in the keyspace is.
func sdsAllocSize(n int64) int64 {
	t := sdsReqType(n)
	if t == sdsType5 && n == 0 {
		t = sdsType8
	}
	return jemallocSize(sdsHdrSize(t) + n + 1)
}

// valueMemory is Redis's objectComputeSize for o: the bytes the value,
// robj included, would occupy in Redis. used_memory and eviction account
// every key with it, so it must be cheap: aggregate types keep a running
// total.
func valueMemory(o *Object) int64 {
	if o.typ != TypeString {
		return valueTypes[o.typ].memory(o)
	}
	switch o.enc {
	case EncInt:
		return robjSize
	case EncEmbstr:
		return jemallocSize(robjSize + 3 + int64(o.n) + 1)
	}
	alloc := int64(o.c)
	if o.sds == sdsType5 {
		alloc = int64(o.n)
	}
	return robjSize + jemallocSize(sdsHdrSize(o.sds)+alloc+1)
}

// keyMemory is what MEMORY USAGE reports for key holding o: the value, the
// key's sds and the dict entry.
func keyMemory(key []byte, o *Object) int64 {
	return valueMemory(o) + sdsAllocSize(int64(len(key))) + dictEntrySize
}

// usedMemory is used_memory: what the server holds in Redis's terms, as
// zmalloc_used_memory counts it: the startup allocations, the clients'
// buffers, the databases' tables and the keyspace (keys, values, expires;
// see keyMemory). Eviction compares it with maxmemory before every
// command, so it costs one pass over the databases and the clients.
func (s *Server) usedMemory() int64 {
	return s.startupMemory + s.clientsMemory() + s.keyspaceMemory()
}

// keyspaceMemory is the databases' share of used_memory: keys, values,
// expires and the tables' bucket arrays.
func (s *Server) keyspaceMemory() int64 {
	var total int64
	for _, db := range s.dbs {
		total += db.mem + db.tableMemory()
	}
	return total
}

// memoryOverhead is used_memory_overhead, as Redis's
// getMemoryOverheadData: startup memory, clients, and each database's
// hash tables: bucket arrays and the dict entries of the keyspace and of
// the expires (the keys' and values' own bytes are the dataset).
func (s *Server) memoryOverhead() int64 {
	total := s.startupMemory + s.clientsMemory()
	for _, db := range s.dbs {
		total += db.tableMemory() + int64(db.size())*dictEntrySize + int64(db.expires.Len())*expireEntry
	}
	return total
}

// tableMemory is the bucket arrays of db's keyspace and expires: 4 bytes
// a bucket (libkv/dict's entry index; Redis's are 8-byte pointers, but
// its entries are 8 bytes smaller, see dictEntrySize).
func (db *DB) tableMemory() int64 { return int64(db.keys.Buckets()+db.expires.Buckets()) * 4 }

// clientsMemory is mem_clients_normal: query and reply buffers plus a
// fixed per-client size, and the transactions' queued commands and watched
// keys (getClientMemoryUsage's multiStateMemOverhead).
func (s *Server) clientsMemory() int64 {
	var total int64
	for _, c := range s.clients {
		q, r := c.bufferSizes()
		total += q + r + clientStructSize + c.multiMemory()
	}
	return total
}

// startupMemory is used_memory_startup: the Go heap the server holds once
// initialised (command table, configuration, empty databases), as Redis
// reports what its allocator holds at that point. A collection first, so
// that the garbage of start-up (configuration parsing) is not counted.
func startupMemory() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// rssBytes reads the process's resident set size from /proc.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.Sys)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo, in bytes.
func totalSystemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// bytesHuman formats n as Redis's bytesToHuman: B, K, M, G, T, P with two
// decimals.
func bytesHuman(n int64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1024*1024:
		return strconv.FormatFloat(d/1024, 'f', 2, 64) + "K"
	case n < 1024*1024*1024:
		return strconv.FormatFloat(d/(1024*1024), 'f', 2, 64) + "M"
	case n < 1024*1024*1024*1024:
		return strconv.FormatFloat(d/(1024*1024*1024), 'f', 2, 64) + "G"
	case n < 1024*1024*1024*1024*1024:
		return strconv.FormatFloat(d/(1024*1024*1024*1024), 'f', 2, 64) + "T"
	}
	return strconv.FormatFloat(d/(1024*1024*1024*1024*1024), 'f', 2, 64) + "P"
}
