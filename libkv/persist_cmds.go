package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"math"
)

// The persistence commands: SAVE, BGSAVE, LASTSAVE (persist.go), DUMP and
// RESTORE (Redis 7.0 cluster.c). MIGRATE is in migrate.go.
func init() {
	serverCommands["save"] = cmdSave
	serverCommands["bgsave"] = cmdBgsave
	serverCommands["bgrewriteaof"] = cmdBgrewriteaof
	serverCommands["lastsave"] = cmdLastsave
	keyCommands["dump"] = cmdDump
	keyCommands["restore"] = cmdRestore
}

func cmdDump(c *Client, args [][]byte) {
	o := c.lookupRead(args[1])
	if o == nil {
		c.w.Null()
		return
	}
	p, err := dumpPayload(o)
	if err != nil {
		c.addError("ERR " + err.Error())
		return
	}
	c.w.Bulk(p)
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME
// seconds] [FREQ frequency], with restoreCommand's checks in its order.
func cmdRestore(c *Client, args [][]byte) {
	s := c.srv
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "absttl"):
			absttl = true
		case eqFold(args[j], "idletime") && more >= 1 && freq == -1:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 {
				c.addError("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			j++
		case eqFold(args[j], "freq") && more >= 1 && idle == -1:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.addError("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	key := args[1]
	if !replace && c.lookupWrite(key) != nil {
		c.addError("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.addError("ERR Invalid TTL value, must be >= 0")
		return
	}
	payload := args[3]
	if !verifyPayload(payload, s.rdb.skipChecksum) {
		c.addError(errBadPayload)
		return
	}
	o, err := s.restoreValue(payload)
	if err != nil || o == nil {
		if err != nil {
			s.log.Verbose("RESTORE of key %q: %v", key, err)
		}
		c.addError("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		deleted = s.deleteKey(c.db, key)
	}
	if ttl > 0 && !absttl {
		if ttl > math.MaxInt64-s.now {
			ttl = math.MaxInt64 // as Redis, which adds without overflow checks only below it
		} else {
			ttl += s.now
		}
	}
	if ttl > 0 && ttl <= s.now {
		// An already expired TTL: the key is not created (and a replaced
		// one stays deleted), as restoreCommand.
		if deleted {
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
			c.propagateAs(propDel, key)
		}
		c.w.OK()
		return
	}
	s.addKey(c.db, key, o)
	if ttl > 0 {
		s.setExpire(c.db, key, ttl)
		if !absttl {
			// Replayed with the absolute expiry (restoreCommand).
			pa := append([][]byte(nil), c.curArgs...)
			pa[2] = propInt(ttl)
			c.propagateAs(append(pa, propAbsTTL)...)
		}
	}
	s.setAccess(o, idle, freq)
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyGeneric, "restore", key, c.db.id)
	c.w.OK()
}
