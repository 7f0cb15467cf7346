package libkv

import (
	"sync"
	"time"
	"unsafe"

	"github.com/kvkit/kvkit/librdb"
)

// Forkless snapshots (docs/persistence.md). A snapshot walks the keyspace
// in short steps under the engine lock, interleaved with commands, and
// hands the encoded bytes to a writer goroutine that does the file I/O
// outside the lock. Every change to a key goes through a few central
// functions (db.go); there, a key the walk has not reached yet is written
// with its old value and expiry first (preserve). Each key is written
// exactly once: a bit of Object.lru says whether the current snapshot has
// written it (snapParity), and keys created during the snapshot count as
// written, since they did not exist when it started. Whole-database
// changes keep the snapshot's view cheaply: FLUSHDB/FLUSHALL hand the old
// tables to the snapshot (detach), SWAPDB swaps which live database holds
// which of the snapshot's databases.
//
// The memory the snapshot adds is the bytes queued for the writer: at
// most snapQueueLimit from the walk (which waits for the writer beyond
// it), plus what preserve writes for keys changed during the snapshot,
// plus the tables FLUSHDB/FLUSHALL detached until the walk passes them.

// snapFlag is the bit of Object.lru that records whether the snapshot in
// progress has written the key: it has when the bit equals
// Server.snapParity. Outside a snapshot every key's bit equals
// snapParity; starting one flips snapParity, making every key unwritten.
const snapFlag = 1 << 31

// snapQueueLimit is how many encoded bytes the walk lets wait for the
// writer before it pauses; snapChunk is the unit handed over.
const (
	snapQueueLimit = 4 << 20
	snapChunk      = 256 << 10
)

// snapStep bounds the time one step of the walk holds the engine lock;
// snapYield is the pause after a step while clients wait for the lock.
const (
	snapStep  = time.Millisecond
	snapYield = 9 * time.Millisecond
)

// snapshot is a point-in-time RDB image being written while clients run.
// Its databases are numbered as they were when it started ("start db").
type snapshot struct {
	s    *Server
	enc  *librdb.Encoder
	sink *rdbSink
	// startOf maps a live database index to the start db whose keys it
	// holds (-1: a table created after the start, by a flush); liveOf is
	// the inverse (-1: the start db's table was detached).
	startOf, liveOf []int
	detached        []*DB        // start db -> tables a flush handed over
	sizes           [][2]uint64  // start db -> keys and expires at the start
	db              int          // start db the walk is in
	cursor          uint64       // the walk's Scan cursor in that db
	curDB           int          // database of the last SELECTDB written
	keys            int64        // keys written
	total           int64        // keys at the start
	err             error        // first encoding error
	discard         bool         // failed or aborted: walk on only to restore the flags
	val             librdb.Value // reused for each key: the encoder would make it escape
}

// visited reports whether o was written by (or created during) the
// current snapshot.
func (s *Server) visited(o *Object) bool { return o.lru&snapFlag == s.snapParity }

// markVisited sets o's snapshot bit to the current parity.
func (s *Server) markVisited(o *Object) { o.lru = o.lru&^snapFlag | s.snapParity }

// newSnapshot starts a snapshot of the keyspace as it is now, encoding
// into sink; the caller holds the engine lock.
func (s *Server) newSnapshot(sink *rdbSink, aofBase bool) (*snapshot, error) {
	enc, err := librdb.NewEncoder(sink, librdb.DefaultVersion)
	if err != nil {
		return nil, err
	}
	enc.Compress = s.conf.Rdbcompression
	sn := &snapshot{s: s, enc: enc, sink: sink, curDB: -1}
	n := len(s.dbs)
	sn.startOf, sn.liveOf, sn.detached, sn.sizes = make([]int, n), make([]int, n), make([]*DB, n), make([][2]uint64, n)
	for i, db := range s.dbs {
		sn.startOf[i], sn.liveOf[i] = i, i
		sn.sizes[i] = [2]uint64{uint64(db.keys.Len()), uint64(db.expires.Len())}
		sn.total += int64(db.keys.Len())
	}
	if err := enc.WriteHeader(); err != nil {
		return nil, err
	}
	if err := s.writeAux(enc, aofBase); err != nil {
		return nil, err
	}
	// The function libraries come before the keys (rdbSaveFunctions).
	if fl := s.script.funcs; fl != nil {
		for _, l := range fl.sortedLibs() {
			if err := enc.WriteFunction([]byte(l.code)); err != nil {
				return nil, err
			}
		}
	}
	s.snapParity ^= snapFlag // every key is now unwritten
	return sn, nil
}

// write encodes one key of start db i; src is the table it is in. key
// is only read.
func (sn *snapshot) write(i int, src *DB, key []byte, o *Object) {
	s := sn.s
	s.markVisited(o)
	if sn.discard {
		return
	}
	if sn.curDB != i {
		sn.curDB = i
		if err := sn.enc.SelectDB(i, sn.sizes[i][0], sn.sizes[i][1]); err != nil {
			sn.fail(err)
			return
		}
	}
	v := &sn.val
	if err := rdbValue(o, v); err != nil {
		sn.fail(err)
		return
	}
	if err := sn.enc.WriteKey(key, v, s.keyMeta(o, src.expireAt(key))); err != nil {
		sn.fail(err)
		return
	}
	sn.keys++
}

func (sn *snapshot) fail(err error) {
	if sn.err == nil {
		sn.err = err
	}
	sn.discard = true
}

// source returns the table start db i is walked in, nil when none.
func (sn *snapshot) source(i int) *DB {
	if j := sn.liveOf[i]; j >= 0 {
		return sn.s.dbs[j]
	}
	return sn.detached[i]
}

// step walks on until the time budget is spent (0: to the end) or the
// sink holds more than limit bytes; it reports whether the walk is done.
func (sn *snapshot) step(budget time.Duration, limit int) bool {
	start := time.Now()
	for n := 0; sn.db < len(sn.sizes); n++ {
		i := sn.db
		src := sn.source(i)
		if src == nil || sn.discard && sn.liveOf[i] < 0 {
			sn.db, sn.cursor = sn.db+1, 0
			continue
		}
		sn.cursor = src.keys.Scan(sn.cursor, func(k string, o *Object) {
			if !sn.s.visited(o) {
				// The encoder only reads the key: no copy.
				sn.write(i, src, unsafe.Slice(unsafe.StringData(k), len(k)), o)
			}
		})
		if sn.cursor == 0 {
			sn.db++
			if sn.liveOf[i] < 0 {
				sn.detached[i] = nil // walked: its memory goes back
			}
		}
		if limit > 0 && sn.sink.size() > limit {
			return false
		}
		if budget > 0 && n&15 == 15 && time.Since(start) > budget {
			return false
		}
	}
	return true
}

// preserve writes key of live db before it changes, if the snapshot has
// not written it yet: every change to the keyspace calls it first.
func (s *Server) preserve(db *DB, key []byte) {
	sn := s.snap
	if sn == nil {
		return
	}
	i := sn.startOf[db.id]
	if i < 0 {
		return
	}
	o := db.get(key)
	if o == nil || s.visited(o) {
		return
	}
	sn.write(i, db, key, o)
}

// snapFlush is called before db is emptied: a snapshot in progress keeps
// the old tables (they are what it must still write) instead of writing
// them all now.
func (s *Server) snapFlush(db *DB) {
	sn := s.snap
	if sn == nil || db.keys.Len() == 0 {
		return
	}
	i := sn.startOf[db.id]
	if i < 0 {
		return
	}
	sn.detached[i] = &DB{id: db.id, keys: db.keys, expires: db.expires}
	sn.liveOf[i], sn.startOf[db.id] = -1, -1
}

// snapSwap is called when SWAPDB exchanges the contents of live
// databases a and b.
func (s *Server) snapSwap(a, b int) {
	sn := s.snap
	if sn == nil {
		return
	}
	ia, ib := sn.startOf[a], sn.startOf[b]
	sn.startOf[a], sn.startOf[b] = ib, ia
	if ia >= 0 {
		sn.liveOf[ia] = b
	}
	if ib >= 0 {
		sn.liveOf[ib] = a
	}
}

// emptyDB empties db (FLUSHDB, FLUSHALL, DEBUG RELOAD) and returns how
// many keys it held.
func (s *Server) emptyDB(db *DB) int {
	s.touchAllWatchedKeysInDb(db, nil) // as Redis's emptyData (signalFlushedDb)
	s.snapFlush(db)
	return db.empty()
}

// finish writes the EOF opcode and the checksum (zeroed when rdbchecksum
// is off, as Redis writes it) into the sink.
func (sn *snapshot) finish(checksum bool) error {
	if sn.err != nil {
		return sn.err
	}
	if err := sn.enc.Close(); err != nil {
		return err
	}
	if !checksum {
		b := sn.sink.buf
		clear(b[len(b)-8:])
	}
	return nil
}

// rdbSink collects the Encoder's output until it is handed over: to the
// file directly (SAVE) or to the writer goroutine's queue (BGSAVE).
type rdbSink struct {
	buf  []byte
	pipe *rdbPipe // nil: out writes synchronously
	out  func([]byte) error
	err  error
}

// Write appends p; it never fails (errors surface at hand-over).
func (k *rdbSink) Write(p []byte) (int, error) {
	k.buf = append(k.buf, p...)
	return len(p), nil
}

// size is the number of bytes waiting: in the sink and the queue.
func (k *rdbSink) size() int {
	n := len(k.buf)
	if k.pipe != nil {
		n += int(k.pipe.queuedBytes())
	}
	return n
}

// handOver passes the collected bytes on when at least min are waiting.
func (k *rdbSink) handOver(min int) {
	if len(k.buf) < min || len(k.buf) == 0 {
		return
	}
	if k.pipe != nil {
		k.pipe.push(k.buf)
		k.buf = k.pipe.reuse()
		return
	}
	if k.err == nil {
		k.err = k.out(k.buf)
	}
	k.buf = k.buf[:0]
}

// rdbPipe is the queue from the engine to the snapshot's writer
// goroutine. push never blocks (a command must not wait for the disk);
// the walk waits instead, when the queue is over its limit.
type rdbPipe struct {
	mu     sync.Mutex
	cond   sync.Cond
	q      [][]byte
	queued int64 // bytes pushed and not yet written
	peak   int64
	closed bool
	// free holds written chunks for reuse: the walk then produces no
	// garbage for the collector to lag behind on.
	free [][]byte
}

// reuse returns an empty buffer, a written chunk's when there is one.
func (p *rdbPipe) reuse() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return nil
}

func newRDBPipe() *rdbPipe {
	p := &rdbPipe{}
	p.cond.L = &p.mu
	return p
}

func (p *rdbPipe) push(b []byte) {
	p.mu.Lock()
	p.q = append(p.q, b)
	p.queued += int64(len(b))
	p.peak = max(p.peak, p.queued)
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *rdbPipe) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *rdbPipe) queuedBytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued
}

// peakBytes is the largest number of bytes that waited in the queue.
func (p *rdbPipe) peakBytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak
}

// pop returns the next chunk, or false once the pipe is closed and empty.
func (p *rdbPipe) pop() ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.q) == 0 && !p.closed {
		p.cond.Wait()
	}
	if len(p.q) == 0 {
		return nil, false
	}
	b := p.q[0]
	p.q[0] = nil
	p.q = p.q[1:]
	return b, true
}

// written records that a popped chunk is on disk; it may be reused.
func (p *rdbPipe) written(b []byte) {
	p.mu.Lock()
	p.queued -= int64(len(b))
	if len(p.free) < 4 {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// waitBelow blocks until fewer than limit bytes are queued.
func (p *rdbPipe) waitBelow(limit int64) {
	p.mu.Lock()
	for p.queued >= limit {
		p.cond.Wait()
	}
	p.mu.Unlock()
}
