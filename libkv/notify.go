package libkv

import (
	"strconv"

	"github.com/kvkit/kvkit/libkv/config"
)

// Keyspace notifications (Redis 7.0 notify.c).
//
// A command that changes a key calls notifyKeyspaceEvent after the change,
// under the engine lock, with the class of the event (config.NotifyString,
// NotifyList, NotifyHash, NotifySet, NotifyZset, NotifyStream, or
// NotifyGeneric for type-independent events), the event name Redis 7.0
// uses, the key and the database:
//
//	s.notifyKeyspaceEvent(config.NotifyHash, "hset", key, c.db.id)
//
// It costs one test when notify-keyspace-events does not select the class,
// so call it unconditionally, once per event, in the order Redis emits
// them; a command that empties an aggregate emits its own event first and
// then "del" (NotifyGeneric). The events the engine emits itself are not
// for commands to repeat: "new" (addKey, linkKey and setKey of an absent
// key, as dbAdd), "expired" (deleteExpired), "evicted" (the eviction loop)
// and "keymiss" (lookupRead).
//
// Event names per command are those of Redis 7.0's t_*.c. Wired and
// compared frame by frame with redis-server 7.0.15 (compat/notify_test.go):
// strings, generic key commands, expiry, eviction, hashes, sets, lists
// (the blocking forms included), sorted sets (the blocking pops and the
// STORE forms included), streams, SORT ... STORE, RESTORE, bitmaps and
// HyperLogLog. A command that changes nothing emits nothing (ZADD that
// only meets equal scores, ZREM of absent members); the STORE forms with
// an empty result emit only "del", and only when the destination existed.
// ZPOPMIN/ZPOPMAX, ZMPOP and their blocking forms emit one zpopmin/zpopmax
// event per command however many elements they pop.
// Commands that move elements between keys emit the push on the
// destination first (LMOVE gives lpush/rpush on the destination, then
// lpop/rpop and del on the source); SMOVE emits srem (and del) on the
// source first, then sadd.

// notifyKeyspaceEvent publishes event for key in database dbid, as Redis
// 7.0's notifyKeyspaceEvent: when notify-keyspace-events selects class,
// the message event on __keyspace@<dbid>__:<key> (with K) and then the
// message key on __keyevent@<dbid>__:<event> (with E). Under the engine
// lock; key is copied into the frames, so it may be a reused buffer.
func (s *Server) notifyKeyspaceEvent(class config.KeyspaceEvents, event string, key []byte, dbid int) {
	flags := s.conf.NotifyKeyspaceEvents
	if flags&class == 0 {
		return
	}
	if flags&config.NotifyKeyspace != 0 {
		ch := make([]byte, 0, 16+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(dbid), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(ch, []byte(event), false)
	}
	if flags&config.NotifyKeyevent != 0 {
		ch := make([]byte, 0, 16+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(dbid), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(ch, key, false)
	}
}
