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
// Event names per command are those of Redis 7.0's t_*.c. For the types
// being written as this is, as redis-server 7.0.15 emits them (add the
// commands to compat/notify_test.go, whose harness compares every frame):
//   - lists: lpush/rpush (also the X forms), lpop/rpop (also LMPOP and the
//     blocking pops), linsert, lset, ltrim, lrem; LMOVE and RPOPLPUSH emit
//     the push on the destination first, then the pop on the source, then
//     its del if emptied (RPOPLPUSH l l2: lpush l2, rpop l, del l).
//   - hashes: hset (HSET, HMSET, HSETNX), hdel, hincrby, hincrbyfloat.
//   - sets: sadd, srem, spop; SMOVE srem (and del) on the source, then sadd
//     on the destination; sinterstore/sunionstore/sdiffstore on the
//     destination (nothing for an empty result on a missing destination).
//   - sorted sets: zadd, zincr (ZINCRBY and ZADD INCR), zrem,
//     zremrangebyscore, zremrangebyrank, zremrangebylex, zpopmin/zpopmax,
//     zinterstore, zunionstore, zdiffstore, zrangestore.
//   - streams: xadd, xtrim, xdel, xsetid, xgroup-create,
//     xgroup-createconsumer, xgroup-delconsumer, xgroup-destroy,
//     xgroup-setid.
//   - bitmaps: setbit (SETBIT, BITFIELD); BITOP set. HyperLogLog: pfadd
//     (PFADD, PFMERGE). SORT ... STORE: sortstore. RESTORE: restore.

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
