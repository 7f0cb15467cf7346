// Package dict is the engine's hash table: the keyspace, the expires table
// and the large encodings of hashes, sets and sorted sets. It gives the
// guarantees of Redis 7.0's dict.c that a Go map cannot:
//
//   - incremental rehashing: a resize allocates the new table at once but
//     moves entries a bucket at a time, one step per operation plus what the
//     server cron asks for with RehashFor, so no single command pays for
//     moving millions of keys;
//   - a SCAN cursor (Scan) that returns every element present for the whole
//     scan at least once, even when the table grows or shrinks between calls;
//   - sampling (SomeKeys, RandomKey) for eviction and RANDOMKEY; Scan, whose
//     callback may delete the key it is given, drives the active expire
//     cycle, as in Redis 7.0 (expire.c);
//   - Redis's resize policy: grow at load factor 1 (5 while resizing is
//     disabled, see SetResizeEnabled), shrink below 10% fill.
//
// # Layout
//
// Redis chains entries through pointers, one allocation per entry. Here each
// table owns an arena of entries, allocated in pages, and chains link entries
// by uint32 index:
//
//	buckets []uint32       entry index + 1 of each chain's head, 0 = empty
//	pages   [][]entry[V]   entry{key string; val V; hash, next uint32}
//
// so an entry holds one pointer of its own (the key's bytes) besides those
// inside V, the bucket array holds none, and the garbage collector sees one
// object per page rather than one per key. Inserting allocates nothing but
// the occasional page, and deleted slots go on a free list. Because a resize
// copies every entry into the new table's arena and drops the old arena when
// it is done, a shrink returns the memory of deleted entries, as Redis's
// frees do. With V a pointer an entry is 32 bytes and a bucket 4: fewer
// bytes than a Go map needs, and fewer for the collector to scan. The price
// is in lookups on tables larger than the CPU cache: a hit loads the bucket,
// then about 1.5 entries at load factor 1 (the chain), where a map's group
// probe loads one control word and one slot. The package benchmarks compare time, bytes, scannable bytes and
// objects per entry with a Go map.
//
// Open addressing (Go's own maps, Swiss tables) would save the chain links,
// but there an element sits wherever its probe sequence found room, not in
// the bucket its hash selects, so the argument behind the reverse-binary SCAN
// cursor (a bucket of the smaller table holds exactly what its expansions in
// the larger one hold) fails; and compacting deletes move entries under a
// running iteration.
//
// A Dict is not safe for concurrent use: even Get performs a rehash step.
// The engine serializes commands, as Redis does.
package dict

import (
	"hash/maphash"
	"iter"
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

const (
	// initialSize is the number of buckets of a new table (DICT_HT_INITIAL_SIZE).
	initialSize = 4
	// forceResizeRatio is the load factor above which a table grows even
	// while resizing is disabled (dict_force_resize_ratio).
	forceResizeRatio = 5
	// minFillPercent is the fill below which a table shrinks
	// (HASHTABLE_MIN_FILL, server.h).
	minFillPercent = 10
	// maxPageShift caps the page size of an arena at 1024 entries: large
	// enough that pages are few, small enough that growing the arena never
	// copies entries.
	maxPageShift = 10
	// fairSamples is the number of entries RandomKey samples before picking
	// one (GETFAIR_NUM_ENTRIES).
	fairSamples = 15
	// maxBuckets is the largest table: entries keep 32 bits of their hash.
	maxBuckets = 1 << 32
)

// seed keys the hash function for the whole process, as Redis's SipHash
// key is: random at start, so that clients cannot choose colliding keys.
var seed = maphash.MakeSeed()

// resizeDisabled mirrors Redis's dict_can_resize, a process-wide switch
// because its reason (a fork sharing memory pages) is process-wide.
var resizeDisabled atomic.Bool

// SetResizeEnabled allows or forbids resizing of every Dict in the process,
// as Redis's dictEnableResize/dictDisableResize do while a child process
// exists. While forbidden, tables do not shrink and grow only when they hold
// more than 5 entries per bucket, so that few pages are written. Resizing is
// allowed by default.
func SetResizeEnabled(on bool) { resizeDisabled.Store(!on) }

// Entry is a key and its value, as returned by SomeKeys.
type Entry[V any] struct {
	Key   string
	Value V
}

// Dict is a hash table from string keys to values of type V. The zero value
// is an empty Dict ready to use. Each of its two tables holds at most
// 2^32-1 entries.
type Dict[V any] struct {
	// ht[1] has buckets only while rehashing from ht[0] into it.
	ht [2]table[V]
	// rehashIdx is the next bucket of ht[0] to move to ht[1] while
	// rehashing: all buckets below it are empty.
	rehashIdx int
	// paused counts running iterations and Scan calls: while non-zero no
	// entry moves and no shrink starts, so that iteration visits each
	// element once.
	paused int
}

type entry[V any] struct {
	key string
	val V
	// hash holds the low 32 bits of the key's hash: the bucket index in
	// every table up to 2^32 buckets, so rehashing need not hash again.
	hash uint32
	// next is the index + 1 of the next entry in the chain or the free
	// list, 0 at the end.
	next uint32
}

// table is one of a Dict's two hash tables and the arena of its entries.
type table[V any] struct {
	buckets []uint32 // power-of-two length, or nil for no table
	pages   [][]entry[V]
	shift   uint   // log2 of the page size
	free    uint32 // head of the free list of deleted slots (index + 1)
	slots   uint32 // slots handed out of the pages so far
	used    int    // live entries
}

func newTable[V any](size int) table[V] {
	return table[V]{buckets: make([]uint32, size), shift: uint(min(bits.TrailingZeros(uint(size)), maxPageShift))}
}

func (t *table[V]) mask() uint64 { return uint64(len(t.buckets) - 1) }

// at returns the entry whose index + 1 is i.
func (t *table[V]) at(i uint32) *entry[V] {
	i--
	return &t.pages[i>>t.shift][i&(1<<t.shift-1)]
}

// alloc returns the index + 1 of a free slot, from the free list or from the
// end of the last page (adding a page when full).
func (t *table[V]) alloc() uint32 {
	if i := t.free; i != 0 {
		t.free = t.at(i).next
		return i
	}
	if int(t.slots>>t.shift) == len(t.pages) {
		t.pages = append(t.pages, make([]entry[V], 1<<t.shift))
	}
	t.slots++
	return t.slots
}

// release clears the slot i (so that the collector can free its key and
// value) and puts it on the free list.
func (t *table[V]) release(i uint32) {
	*t.at(i) = entry[V]{next: t.free}
	t.free = i
}

// insert links a new entry at the head of its bucket.
func (t *table[V]) insert(key string, val V, h uint32) {
	i := t.alloc()
	b := &t.buckets[uint64(h)&t.mask()]
	*t.at(i) = entry[V]{key: key, val: val, hash: h, next: *b}
	*b = i
	t.used++
}

// lookup returns the index + 1 of key's entry and of the entry before it in
// the chain (0 when it is the head), or 0 when key is absent.
func (t *table[V]) lookup(key string, h uint32) (i, prev uint32) {
	if t.buckets == nil {
		return 0, 0
	}
	for i = t.buckets[uint64(h)&t.mask()]; i != 0; {
		e := t.at(i)
		if e.hash == h && e.key == key {
			return i, prev
		}
		prev, i = i, e.next
	}
	return 0, 0
}

func hash(key string) uint32 { return uint32(maphash.String(seed, key)) }

func (d *Dict[V]) rehashing() bool { return d.ht[1].buckets != nil }

// ntables is the number of tables to search: 2 while rehashing, else 1.
func (d *Dict[V]) ntables() int {
	if d.rehashing() {
		return 2
	}
	return 1
}

// Len returns the number of entries.
func (d *Dict[V]) Len() int { return d.ht[0].used + d.ht[1].used }

// Buckets returns the number of buckets of both tables, Redis's dictSlots.
func (d *Dict[V]) Buckets() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

// Overhead returns the bytes the Dict itself occupies: bucket arrays and
// entry arenas, free slots included, but not the bytes of keys or what
// values point to. The engine adds it to used_memory, as Redis counts its
// dict tables (INFO memory, MEMORY STATS overhead.hashtable.main).
func (d *Dict[V]) Overhead() int {
	n := int(unsafe.Sizeof(*d))
	for k := range d.ht {
		t := &d.ht[k]
		n += 4*len(t.buckets) + int(unsafe.Sizeof(t.pages[0:0]))*cap(t.pages) +
			int(unsafe.Sizeof(entry[V]{}))*len(t.pages)<<t.shift
	}
	return n
}

// Rehashing reports whether a resize is in progress.
func (d *Dict[V]) Rehashing() bool { return d.rehashing() }

// Get returns the value stored under key and whether there is one.
func (d *Dict[V]) Get(key string) (V, bool) {
	d.rehashStep()
	h := hash(key)
	for k := range d.ntables() {
		t := &d.ht[k]
		if i, _ := t.lookup(key, h); i != 0 {
			return t.at(i).val, true
		}
	}
	var zero V
	return zero, false
}

// GetBytes is Get for a key held in a byte slice; it does not copy the key.
func (d *Dict[V]) GetBytes(key []byte) (V, bool) { return d.Get(unsafeString(key)) }

// Set stores val under key, replacing any value already there, and reports
// whether it replaced one. A replaced entry keeps its original key string.
func (d *Dict[V]) Set(key string, val V) (replaced bool) { return d.set(key, val, false) }

// SetBytes is Set for a key held in a byte slice: it copies the key into a
// new string only when the key is not present yet.
func (d *Dict[V]) SetBytes(key []byte, val V) (replaced bool) {
	return d.set(unsafeString(key), val, true)
}

func (d *Dict[V]) set(key string, val V, clone bool) bool {
	d.rehashStep()
	d.expandIfNeeded()
	h := hash(key)
	for k := range d.ntables() {
		t := &d.ht[k]
		if i, _ := t.lookup(key, h); i != 0 {
			t.at(i).val = val
			return true
		}
	}
	if clone {
		key = strings.Clone(key)
	}
	// While rehashing, new entries go to the new table, so that the old
	// one only empties.
	t := &d.ht[0]
	if d.rehashing() {
		t = &d.ht[1]
	}
	t.insert(key, val, h)
	return false
}

// Delete removes key and returns the value it held, if any. It may start a
// shrink when the table is less than 10% full.
func (d *Dict[V]) Delete(key string) (V, bool) {
	var zero V
	if d.Len() == 0 {
		return zero, false
	}
	d.rehashStep()
	h := hash(key)
	for k := range d.ntables() {
		t := &d.ht[k]
		i, prev := t.lookup(key, h)
		if i == 0 {
			continue
		}
		e := t.at(i)
		val := e.val
		if prev == 0 {
			t.buckets[uint64(h)&t.mask()] = e.next
		} else {
			t.at(prev).next = e.next
		}
		t.release(i)
		t.used--
		d.ShrinkIfNeeded()
		return val, true
	}
	return zero, false
}

// DeleteBytes is Delete for a key held in a byte slice.
func (d *Dict[V]) DeleteBytes(key []byte) (V, bool) { return d.Delete(unsafeString(key)) }

// Clear removes every entry and frees both tables at once: the collector
// reclaims the arenas, so unlike Redis's dictEmpty there is no per-bucket
// work to spread. It must not be called during an iteration or a Scan
// callback.
func (d *Dict[V]) Clear() {
	d.ht = [2]table[V]{}
	d.rehashIdx = 0
}

// expandIfNeeded grows the table as Redis 7.0's _dictExpandIfNeeded: to
// the initial size when there is none, else when the entries reach the
// bucket count (resizing allowed) or exceed 5 per bucket (forbidden).
func (d *Dict[V]) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	t := &d.ht[0]
	size := len(t.buckets)
	if size == 0 {
		d.Expand(initialSize)
		return
	}
	if t.used >= size && (!resizeDisabled.Load() || t.used/size > forceResizeRatio) {
		d.Expand(t.used + 1)
	}
}

// ShrinkIfNeeded starts a shrink to the smallest power of two (at least 4)
// that holds the entries when the table is more than 4 buckets and less than
// 10% full, as Redis's htNeedsResize and dictResize. It does nothing while
// resizing is disabled, rehashing is under way or paused by an iteration or
// Scan. It reports whether a shrink started. Delete calls it; the server
// cron calls it too, for tables left sparse while resizing was disabled.
func (d *Dict[V]) ShrinkIfNeeded() bool {
	t := &d.ht[0]
	if d.paused > 0 || d.rehashing() || resizeDisabled.Load() ||
		len(t.buckets) <= initialSize || t.used*100/len(t.buckets) >= minFillPercent {
		return false
	}
	return d.Expand(max(t.used, initialSize))
}

// Expand resizes the table to the smallest power of two that is at least
// n buckets, as Redis's dictExpand (used with the RDB's RESIZEDB hint
// before loading a database). The first table is allocated at once; later
// ones start an incremental rehash. It reports false, doing nothing, when a
// rehash is under way, n is below the number of entries, or the size would
// not change, or n is above 2^32. Callers passing an untrusted n (a file's
// hint) must bound it by what they will really insert.
func (d *Dict[V]) Expand(n int) bool {
	if d.rehashing() || n < d.ht[0].used || n > maxBuckets {
		return false
	}
	size := initialSize
	for size < n {
		size *= 2
	}
	if size == len(d.ht[0].buckets) {
		return false
	}
	if d.ht[0].buckets == nil {
		d.ht[0] = newTable[V](size)
		return true
	}
	d.ht[1] = newTable[V](size)
	d.rehashIdx = 0
	return true
}

// rehashStep moves one bucket, as Redis does on every lookup and update,
// unless an iteration or Scan has paused rehashing.
func (d *Dict[V]) rehashStep() {
	if d.paused == 0 && d.rehashing() {
		d.rehash(1)
	}
}

// rehash moves up to n non-empty buckets from ht[0] to ht[1], visiting at
// most 10*n empty ones, as Redis's dictRehash. When ht[0] is empty it takes
// ht[1]'s place, the old arena goes to the collector, and a shrink starts if
// the table is now sparse. It reports whether buckets remain to move.
func (d *Dict[V]) rehash(n int) bool {
	if !d.rehashing() {
		return false
	}
	t0, t1 := &d.ht[0], &d.ht[1]
	emptyVisits := n * 10
	for ; n > 0 && t0.used != 0; n-- {
		for t0.buckets[d.rehashIdx] == 0 {
			d.rehashIdx++
			if emptyVisits--; emptyVisits == 0 {
				return true
			}
		}
		for i := t0.buckets[d.rehashIdx]; i != 0; {
			e := t0.at(i)
			next := e.next
			t1.insert(e.key, e.val, e.hash)
			*e = entry[V]{} // the old arena must not keep the value alive
			t0.used--
			i = next
		}
		t0.buckets[d.rehashIdx] = 0
		d.rehashIdx++
	}
	if t0.used == 0 {
		d.ht[0], d.ht[1] = d.ht[1], table[V]{}
		d.rehashIdx = 0
		// Deletes during the rehash may have left the new table sparse;
		// they could not start a shrink then.
		return d.ShrinkIfNeeded()
	}
	return true
}

// RehashFor moves buckets in batches of 100 until the rehash is done or the
// duration has passed, as Redis's dictRehashMilliseconds called from the
// server cron (activerehashing). It returns the number of buckets moved, a
// multiple of 100 rounded up, and does nothing while rehashing is paused.
func (d *Dict[V]) RehashFor(dur time.Duration) int {
	if d.paused > 0 {
		return 0
	}
	start := time.Now()
	moved := 0
	for d.rehash(100) {
		moved += 100
		if time.Since(start) > dur {
			break
		}
	}
	return moved
}

func (d *Dict[V]) pause() { d.paused++ }

func (d *Dict[V]) resume() {
	d.paused--
	// Deletes during the pause could not shrink the table.
	d.ShrinkIfNeeded()
}

// All iterates over the entries, as Redis's safe iterator: rehashing is
// paused until the loop ends, so each entry present for the whole loop is
// visited exactly once. The loop body may delete the current key, and may
// insert or replace keys (inserted keys may or may not be visited); it must
// not delete other keys or call Clear.
func (d *Dict[V]) All() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		d.pause()
		defer d.resume()
		for k := 0; k < 2; k++ {
			// Re-read the table each round: an insert in the loop body
			// may have started a rehash, whose new table must be visited.
			if k == 1 && !d.rehashing() {
				return
			}
			t := &d.ht[k]
			for b := 0; b < len(t.buckets); b++ {
				for i := t.buckets[b]; i != 0; {
					e := t.at(i)
					next := e.next
					if !yield(e.key, e.val) {
						return
					}
					i = next
				}
			}
		}
	}
}

// Scan calls fn for the entries of the buckets at cursor and returns the
// next cursor, 0 when the scan is complete; start with cursor 0. As Redis's
// dictScan, the cursor counts in reverse-binary order over the bucket index,
// so that an element present from the first call to the last is returned at
// least once even if the table grows or shrinks between calls; an element
// may be returned more than once when the table shrinks. During a rehash
// both tables are visited, the smaller at the cursor and the larger at every
// index that expands it. fn may delete the key it is given; it must not
// delete other keys or call Clear.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, val V)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	d.pause()
	defer d.resume()
	v := cursor
	if !d.rehashing() {
		t := &d.ht[0]
		m := t.mask()
		t.visit(v&m, fn)
		return nextCursor(v, m)
	}
	small, large := &d.ht[0], &d.ht[1]
	if len(small.buckets) > len(large.buckets) {
		small, large = large, small
	}
	m0, m1 := small.mask(), large.mask()
	small.visit(v&m0, fn)
	// Visit the indices of the larger table that expand the smaller
	// table's index: those that agree with v on the bits of m0.
	for {
		large.visit(v&m1, fn)
		v = nextCursor(v, m1)
		if v&(m0^m1) == 0 {
			return v
		}
	}
}

// nextCursor increments the bits of v under mask in reverse-binary order:
// set the bits above the mask, reverse, add one, reverse back.
func nextCursor(v, mask uint64) uint64 {
	v |= ^mask
	return bits.Reverse64(bits.Reverse64(v) + 1)
}

// visit calls fn for each entry of bucket b, reading the next link before
// the call so that fn may delete the entry.
func (t *table[V]) visit(b uint64, fn func(string, V)) {
	for i := t.buckets[b]; i != 0; {
		e := t.at(i)
		next := e.next
		fn(e.key, e.val)
		i = next
	}
}

// SomeKeys appends to dst up to n entries sampled from nearby buckets and
// returns the extended slice, as Redis's dictGetSomeKeys, for eviction
// (evict.c evictionPoolPopulate). It starts at a random bucket and walks on, jumping
// to another random bucket after a run of empty ones; it gives up after 10*n
// buckets, so it may return fewer than n entries even when the Dict has
// more, and an entry may appear twice. The sample is cheap, not uniform.
func (d *Dict[V]) SomeKeys(dst []Entry[V], n int) []Entry[V] {
	d.sample(n, func(e *entry[V]) { dst = append(dst, Entry[V]{e.key, e.val}) })
	return dst
}

// sample calls fn for up to n entries chosen as SomeKeys describes.
func (d *Dict[V]) sample(n int, fn func(*entry[V])) {
	n = min(n, d.Len())
	if n <= 0 {
		return
	}
	// Do rehash work proportional to the sample, as Redis does.
	for j := 0; j < n && d.rehashing(); j++ {
		d.rehashStep()
	}
	tables := 1
	maxMask := d.ht[0].mask()
	if d.rehashing() {
		tables = 2
		maxMask = max(maxMask, d.ht[1].mask())
	}
	i := rand.Uint64() & maxMask
	stored, emptyRun := 0, 0
	for steps := n * 10; stored < n && steps > 0; steps-- {
		for k := 0; k < tables; k++ {
			// Below rehashIdx ht[0] is empty; if ht[1] is smaller than
			// i as well (a shrink), no table has entries here: jump to
			// rehashIdx.
			if tables == 2 && k == 0 && i < uint64(d.rehashIdx) {
				if i < uint64(len(d.ht[1].buckets)) {
					continue
				}
				i = uint64(d.rehashIdx)
			}
			t := &d.ht[k]
			if i >= uint64(len(t.buckets)) {
				continue
			}
			head := t.buckets[i]
			if head == 0 {
				// After a run of empty buckets (at least 5, and more
				// than n), try elsewhere.
				if emptyRun++; emptyRun >= 5 && emptyRun > n {
					i = rand.Uint64() & maxMask
					emptyRun = 0
				}
				continue
			}
			emptyRun = 0
			for j := head; j != 0; {
				e := t.at(j)
				j = e.next
				fn(e)
				if stored++; stored == n {
					return
				}
			}
		}
		i = (i + 1) & maxMask
	}
}

// RandomKey returns a random entry, as Redis's dictGetFairRandomKey: it
// samples up to 15 entries as SomeKeys does and picks one of them, which
// spreads the choice more evenly than picking a random bucket (an entry in a
// long chain would be chosen less often); when the sample finds nothing it
// picks a random non-empty bucket and a random entry of its chain. ok is
// false when the Dict is empty.
func (d *Dict[V]) RandomKey() (key string, val V, ok bool) {
	// Reservoir sampling: the k-th sampled entry replaces the choice with
	// probability 1/k, a uniform pick without storing the sample.
	k := 0
	d.sample(fairSamples, func(e *entry[V]) {
		if k++; rand.IntN(k) == 0 {
			key, val, ok = e.key, e.val, true
		}
	})
	if ok {
		return key, val, true
	}
	return d.randomBucketKey()
}

// randomBucketKey is Redis's dictGetRandomKey: a random non-empty bucket
// (of either table while rehashing, skipping ht[0]'s emptied buckets),
// then a random entry of its chain.
func (d *Dict[V]) randomBucketKey() (string, V, bool) {
	if d.Len() == 0 {
		var zero V
		return "", zero, false
	}
	d.rehashStep()
	var t *table[V]
	var head uint32
	if d.rehashing() {
		s0 := uint64(len(d.ht[0].buckets))
		from := uint64(d.rehashIdx)
		for head == 0 {
			h := from + rand.Uint64N(uint64(d.Buckets())-from)
			if h >= s0 {
				t, head = &d.ht[1], d.ht[1].buckets[h-s0]
			} else {
				t, head = &d.ht[0], d.ht[0].buckets[h]
			}
		}
	} else {
		t = &d.ht[0]
		for head == 0 {
			head = t.buckets[rand.Uint64()&t.mask()]
		}
	}
	n := 0
	for i := head; i != 0; i = t.at(i).next {
		n++
	}
	i := head
	for j := rand.IntN(n); j > 0; j-- {
		i = t.at(i).next
	}
	e := t.at(i)
	return e.key, e.val, true
}

// unsafeString views b as a string for a lookup that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
