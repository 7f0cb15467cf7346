package libkv

import (
	"unsafe"

	"github.com/kvkit/kvkit/libkv/config"
	"github.com/kvkit/kvkit/libkv/dict"
)

// DB is one of the numbered databases (SELECT n): the keyspace and the
// expires table, both keyed by the key's bytes as a string.
type DB struct {
	id      int
	keys    dict.Dict[*Object]
	expires dict.Dict[int64] // absolute expiry, Unix milliseconds
	mem     int64            // accounted bytes of keys, values and expires (see keyMemory)

	expireCursor uint64 // where the active expire cycle resumes its scan of expires

	// watched maps each key some client WATCHes to its watchers (Redis's
	// db->watched_keys); it stays with the DB through SWAPDB.
	watched map[string][]*watchedKey
}

func newDB(id int) *DB {
	return &DB{id: id}
}

// size is DBSIZE: the number of keys, expired ones not yet removed included.
func (db *DB) size() int { return db.keys.Len() }

// get returns key's value without any expiry check.
func (db *DB) get(key []byte) *Object {
	o, _ := db.keys.GetBytes(key)
	return o
}

// expireAt returns the key's absolute expiry in ms, or -1.
func (db *DB) expireAt(key []byte) int64 {
	if db.expires.Len() == 0 {
		return -1
	}
	if t, ok := db.expires.GetBytes(key); ok {
		return t
	}
	return -1
}

// expireIfNeeded deletes key when its time has passed, as Redis's
// expireIfNeeded on a master: the deletion is counted and propagated as a
// DEL. It reports whether the key was expired.
func (s *Server) expireIfNeeded(db *DB, key []byte) bool {
	t := db.expireAt(key)
	if t < 0 || t > s.now {
		return false
	}
	if s.pause.active() {
		// Redis 7.0 deletes nothing while clients are paused (a write that
		// replicas would see); the key reads as missing but stays.
		return true
	}
	s.deleteExpired(db, string(key))
	return true
}

func (s *Server) deleteExpired(db *DB, key string) {
	s.preserve(db, []byte(key))
	o, _ := db.keys.Delete(key)
	db.expires.Delete(key)
	db.mem -= keyMemory([]byte(key), o) + expireEntry
	s.stats.expiredKeys++
	s.dirty++
	s.touchWatchedKey(db, key)
	s.notifyKeyspaceEvent(config.NotifyExpired, "expired", []byte(key), db.id)
	// signalModifiedKey(NULL, ...) in Redis: no client deleted it, so a
	// BCAST NOLOOP client is told too.
	s.trackingInvalidateKey(nil, key, true)
	s.prop.expiredDirty++
	s.propagateDeletion(db.id, []byte(key), s.conf.LazyfreeLazyExpire)
}

// lookupRead finds key for a read: expired keys are removed first, and the
// keyspace hit/miss counters and the key's access time are updated (unless
// the client is in CLIENT NO-TOUCH mode).
func (c *Client) lookupRead(key []byte) *Object {
	s := c.srv
	if s.expireIfNeeded(c.db, key) {
		s.stats.keyspaceMisses++
		s.notifyKeyspaceEvent(config.NotifyKeyMiss, "keymiss", key, c.db.id)
		return nil
	}
	o := c.db.get(key)
	if o == nil {
		s.stats.keyspaceMisses++
		s.notifyKeyspaceEvent(config.NotifyKeyMiss, "keymiss", key, c.db.id)
		return nil
	}
	s.stats.keyspaceHits++
	if !c.noTouch {
		s.touch(o)
	}
	return o
}

// lookupWrite finds key for a write: expired keys are removed first; no
// hit/miss accounting, as Redis's lookupKeyWrite.
func (c *Client) lookupWrite(key []byte) *Object {
	c.srv.noteWrite(c.db, key)
	if c.srv.expireIfNeeded(c.db, key) {
		return nil
	}
	c.srv.preserve(c.db, key) // the caller may change it in place
	o := c.db.get(key)
	if o != nil && !c.noTouch {
		c.srv.touch(o)
	}
	return o
}

// exists reports whether key is present and not expired, without touching
// its access time or the hit counters.
func (c *Client) exists(key []byte) bool {
	if c.srv.expireIfNeeded(c.db, key) {
		return false
	}
	return c.db.get(key) != nil
}

// setKey stores o under key, replacing any value. keepTTL keeps an existing
// expiry (SET KEEPTTL); otherwise it is removed, as Redis's setKey.
func (s *Server) setKey(db *DB, key []byte, o *Object, keepTTL bool) {
	s.noteWrite(db, key)
	s.preserve(db, key)
	s.created(o)
	if old := db.get(key); old != nil {
		db.mem -= valueMemory(old)
	} else {
		db.mem += sdsAllocSize(int64(len(key))) + dictEntrySize
		s.signalKeyAsReady(db, key, o.typ)
		s.notifyKeyspaceEvent(config.NotifyNew, "new", key, db.id)
	}
	db.keys.SetBytes(key, o)
	db.mem += valueMemory(o)
	if !keepTTL {
		db.removeExpire(key)
	}
}

// setString stores val under key as setKey(s.newString(val)) would, but
// when key already holds a string whose buffer can take val, that object and
// buffer are reused, so overwrites (the common case of SET and MSET)
// allocate nothing. The object ends as a new one would be (encoding, sds
// layout, access data), so nothing a client sees changes; nothing holds an
// Object across commands, since replies copy bytes. A buffer much larger
// than needed is not reused, so a shrinking value returns its memory.
func (s *Server) setString(db *DB, key, val []byte, keepTTL bool) {
	s.noteWrite(db, key)
	s.preserve(db, key)
	o := db.get(key)
	enc, t, alloc := stringLayout(val)
	need := int64(len(val))
	if enc == EncRaw {
		need = alloc
	}
	if o == nil || o.typ != TypeString || int64(o.c) < need || int64(o.c) > 2*need+64 {
		s.setKey(db, key, s.newString(val), keepTTL)
		return
	}
	before := valueMemory(o)
	b := append(o.str()[:0], val...) // within capacity: no allocation
	o.ptr, o.n = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
	o.enc, o.sds = enc, 0
	if enc == EncRaw {
		o.sds, o.c = t, uint32(alloc) // the allocation Redis's new sds would have
	}
	o.private = enc == EncInt && s.noSharedIntegers()
	s.created(o)
	db.mem += valueMemory(o) - before
	if !keepTTL {
		db.removeExpire(key)
	}
}

// addKey stores a new object o under a key known to be absent.
func (s *Server) addKey(db *DB, key []byte, o *Object) {
	s.created(o)
	s.linkKey(db, key, o)
}

// linkKey stores an existing value o under a key known to be absent,
// keeping its access data (RENAME and MOVE, as Redis's dbAdd). To a
// snapshot in progress it is a new key.
func (s *Server) linkKey(db *DB, key []byte, o *Object) {
	s.noteWrite(db, key)
	s.markVisited(o)
	db.keys.SetBytes(key, o)
	db.mem += keyMemory(key, o)
	s.signalKeyAsReady(db, key, o.typ)
	s.notifyKeyspaceEvent(config.NotifyNew, "new", key, db.id)
}

// deleteKey removes key and its expiry; it reports whether the key existed.
func (s *Server) deleteKey(db *DB, key []byte) bool {
	s.preserve(db, key)
	o, ok := db.keys.DeleteBytes(key)
	if !ok {
		return false
	}
	s.noteWrite(db, key)
	db.mem -= keyMemory(key, o)
	db.removeExpire(key)
	return true
}

// removeExpire drops key's expiry; it reports whether there was one.
func (db *DB) removeExpire(key []byte) bool {
	if db.expires.Len() == 0 {
		return false
	}
	if _, ok := db.expires.DeleteBytes(key); !ok {
		return false
	}
	db.mem -= expireEntry
	return true
}

// setExpire sets key's absolute expiry in ms; the key must exist.
func (s *Server) setExpire(db *DB, key []byte, at int64) {
	s.noteWrite(db, key)
	s.preserve(db, key)
	if !db.expires.SetBytes(key, at) {
		db.mem += expireEntry
	}
}

// resized accounts for a value changed in place (APPEND, SETRANGE, INCR):
// before is its valueMemory before the change.
func (db *DB) resized(o *Object, before int64) { db.mem += valueMemory(o) - before }

// emptyDB removes every key of db.
func (db *DB) empty() int {
	n := db.keys.Len()
	db.keys = dict.Dict[*Object]{}
	db.expires = dict.Dict[int64]{}
	db.mem = 0
	db.expireCursor = 0
	return n
}

// lookupReadType is lookupRead for a command that works on type t: o is
// nil when the key is missing; ok is false when the key holds another type
// and the WRONGTYPE error was written (Redis's checkType).
func (c *Client) lookupReadType(key []byte, t ObjType) (o *Object, ok bool) {
	o = c.lookupRead(key)
	if o != nil && o.typ != t {
		c.addError(errWrongType)
		return nil, false
	}
	return o, true
}

// lookupWriteType is lookupWrite with lookupReadType's type check. Every
// change to a value goes through lookupWrite (or setKey, addKey, deleteKey):
// snapshots (preserve) and WATCH hook there.
func (c *Client) lookupWriteType(key []byte, t ObjType) (o *Object, ok bool) {
	o = c.lookupWrite(key)
	if o != nil && o.typ != t {
		c.addError(errWrongType)
		return nil, false
	}
	return o, true
}
