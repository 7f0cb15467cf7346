package libkv

import (
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
	k := int64(62)
	for k > 0 && n-1 < 1<<k {
		k--
	}
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
