package libkv

import (
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
)

// Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis 7.0
// multi.c), and the modified-key signal that invalidates WATCH.
var multiCommands = map[string]cmdFunc{
	"multi": cmdMulti, "exec": cmdExec, "discard": cmdDiscard, "watch": cmdWatch, "unwatch": cmdUnwatch,
}

// errExecAbort is Redis's shared.execaborterr: EXEC after a command failed
// to queue.
const errExecAbort = "EXECABORT Transaction discarded because of previous errors."

// Sizes Redis 7.0 counts in a client's multi-state memory
// (multiStateMemOverhead): a multiCmd slot, an argv pointer, and a watched
// key's list node plus watchedKey struct.
const (
	multiCmdSize   = 24
	argvPtrSize    = 8
	watchedKeySize = 24 + 32
)

// multiState is a client's open transaction (Redis's multiState with the
// CLIENT_MULTI flag): the queued commands with their arguments copied.
type multiState struct {
	cmds  []queuedCmd
	flags cmdtable.Flags // union of the queued commands' flags (mstate.cmd_flags)
	// argvLen is mstate.argv_len_sums: the queued arguments' bytes plus a
	// pointer per argument; alloc is mstate.alloc_count, the slots
	// reserved (2, then doubling), both for CLIENT LIST's multi-mem and
	// tot-mem.
	argvLen int64
	alloc   int
}

type queuedCmd struct {
	cmd  *command
	args [][]byte
}

// watchedKey is one key a client watches (Redis's watchedKey). expired
// records that the key was already logically expired when WATCH ran: its
// deletion by expiry is then no change.
type watchedKey struct {
	c       *Client
	db      *DB
	key     string
	expired bool
}

// notQueued reports whether cmd runs at once inside MULTI, as the
// commands processCommand exempts from queueing.
func notQueued(cmd *command) bool {
	switch cmd.meta.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// oomInMulti reports whether cmd is refused while memory is over the
// limit because c is queueing: processCommand refuses every command
// inside MULTI but EXEC, DISCARD, QUIT and RESET (queueing costs memory),
// and EXEC itself when a queued command is denyoom.
func (c *Client) oomInMulti(cmd *command) bool {
	switch cmd.meta.Name {
	case "exec":
		return c.multi != nil && c.multi.flags.Has(cmdtable.FlagDenyOOM)
	case "discard", "quit", "reset":
		return false
	}
	return c.multi != nil
}

// pausedByExec reports whether an EXEC must wait for a CLIENT PAUSE
// WRITE: processCommand counts the queued commands' flags as EXEC's.
func (c *Client) pausedByExec(cmd *command) bool {
	return cmd.meta.Name == "exec" && c.multi != nil &&
		c.multi.flags&(cmdtable.FlagWrite|cmdtable.FlagMayReplicate) != 0
}

// queue adds a command to the transaction and replies +QUEUED. As Redis
// 7.0's queueMultiCommand, nothing is stored once the transaction is
// bound to fail.
func (c *Client) queue(cmd *command, args [][]byte) {
	c.lastCmd = cmd.meta.Name
	m := c.multi
	if !c.dirtyCAS && !c.dirtyExec {
		n := 0
		for _, a := range args {
			n += len(a)
		}
		buf := make([]byte, 0, n)
		copied := make([][]byte, len(args))
		for i, a := range args {
			buf = append(buf, a...)
			copied[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
		}
		if len(m.cmds) == m.alloc {
			m.alloc = max(2, m.alloc*2)
		}
		m.cmds = append(m.cmds, queuedCmd{cmd: cmd, args: copied})
		m.flags |= cmd.meta.Flags
		m.argvLen += int64(n + argvPtrSize*len(args))
	}
	c.w.Status("QUEUED")
}

// flagTransaction marks the transaction to abort at EXEC, after a command
// was refused while queueing (Redis's flagTransaction).
func (c *Client) flagTransaction() {
	if c.multi != nil {
		c.dirtyExec = true
	}
}

// discardTransaction ends the transaction and unwatches every key.
func (c *Client) discardTransaction() {
	c.multi = nil
	c.dirtyCAS, c.dirtyExec = false, false
	c.unwatchAll()
}

// execAbort answers an EXEC refused before it ran (execCommandAbort):
// the transaction is discarded, the reason given after EXECABORT, and
// MONITOR still sees the EXEC so that the MULTI it saw is closed.
func (c *Client) execAbort(reason string, args [][]byte) {
	c.discardTransaction()
	c.addError("EXECABORT Transaction discarded because of: " + reason)
	if len(c.srv.monitors) > 0 {
		c.srv.feedMonitors(c, args)
	}
}

// multiMemory is multiStateMemOverhead: queued arguments, reserved
// command slots and watched keys, in bytes.
func (c *Client) multiMemory() int64 {
	n := int64(len(c.watched)) * watchedKeySize
	if m := c.multi; m != nil {
		n += m.argvLen + int64(m.alloc)*multiCmdSize
	}
	return n
}

func cmdMulti(c *Client, args [][]byte) {
	if c.multi != nil {
		c.addError("ERR MULTI calls can not be nested")
		return
	}
	c.multi = &multiState{}
	c.w.OK()
}

func cmdDiscard(c *Client, args [][]byte) {
	if c.multi == nil {
		c.addError("ERR DISCARD without MULTI")
		return
	}
	c.discardTransaction()
	c.w.OK()
}

// cmdExec runs the queued commands, each through call() as Redis's
// execCommand does: each one is counted, logged and fed to MONITOR on its
// own, then EXEC itself. A touched watched key (or one that expired since
// WATCH) makes the reply a null array; a refused queued command makes it
// EXECABORT. Errors of the commands themselves go in the reply array and
// roll nothing back.
func cmdExec(c *Client, args [][]byte) {
	if c.multi == nil {
		c.addError("ERR EXEC without MULTI")
		return
	}
	if c.watchedKeyExpired() {
		c.dirtyCAS = true
	}
	if c.dirtyCAS || c.dirtyExec {
		if c.dirtyExec {
			c.addError(errExecAbort)
		} else {
			c.w.NullArray()
		}
		c.discardTransaction()
		return
	}
	m := c.multi
	c.unwatchAll()
	deny := c.denyBlocking
	c.denyBlocking = true
	// CLIENT REPLY OFF or ON among the queued commands takes effect from
	// the next reply, as Redis drops replies when they are added: the
	// array header may go out without its elements.
	c.execReplies = true
	mark := c.w.Len()
	c.w.Array(len(m.cmds))
	c.dropSuppressed(mark)
	for _, q := range m.cmds {
		mark = c.w.Len()
		c.call(q.cmd, q.args, time.Now())
		c.dropSuppressed(mark)
	}
	c.denyBlocking = deny
	// The queued commands that wrote propagated themselves, wrapped in
	// MULTI/EXEC when there are several; EXEC itself is never replayed.
	// (After them: each nested call resets the client's propagation state.)
	c.preventPropagation()
	c.lastCmd = "exec"
	// Redis counts EXEC as failed only for an error after its last queued
	// command (incrCommandStatsOnError compares against the error count
	// at the previous call), so the queued commands' errors are not EXEC's.
	c.failed = false
	c.discardTransaction()
}

// dropSuppressed removes the replies written since mark when CLIENT
// REPLY suppresses them.
func (c *Client) dropSuppressed(mark int) {
	if c.reply == replyOff || c.reply == replySkip {
		c.w.Truncate(mark)
	}
}

func cmdWatch(c *Client, args [][]byte) {
	if c.multi != nil {
		c.addError("ERR WATCH inside MULTI is not allowed")
		return
	}
	// No point in watching more once the transaction is bound to fail.
	if !c.dirtyCAS {
		for _, k := range args[1:] {
			c.watch(k)
		}
	}
	c.w.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.unwatchAll()
	c.dirtyCAS = false
	c.w.OK()
}

// watch adds key of c's database to c's watched keys (watchForKey).
func (c *Client) watch(key []byte) {
	for _, wk := range c.watched {
		if wk.db == c.db && wk.key == string(key) {
			return
		}
	}
	db := c.db
	wk := &watchedKey{c: c, db: db, key: string(key), expired: c.srv.keyIsExpired(db, string(key))}
	if db.watched == nil {
		db.watched = make(map[string][]*watchedKey)
	}
	db.watched[wk.key] = append(db.watched[wk.key], wk)
	c.watched = append(c.watched, wk)
}

// unwatchAll forgets every key c watches (unwatchAllKeys); clearing the
// dirty flag is the caller's business.
func (c *Client) unwatchAll() {
	for _, wk := range c.watched {
		list := wk.db.watched[wk.key]
		for i, x := range list {
			if x == wk {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(wk.db.watched, wk.key)
		} else {
			wk.db.watched[wk.key] = list
		}
	}
	c.watched = nil
}

// watchedKeyExpired reports whether a watched key has expired since WATCH
// (isWatchedKeyExpired): EXEC then fails as if the key had been touched.
func (c *Client) watchedKeyExpired() bool {
	for _, wk := range c.watched {
		if !wk.expired && c.srv.keyIsExpired(wk.db, wk.key) {
			return true
		}
	}
	return false
}

// noteWrite records that the running command may change key of db, when
// some client watches it or tracking may have to tell of it; call()
// signals the recorded keys once the command has changed the dataset.
func (s *Server) noteWrite(db *DB, key []byte) {
	if s.trackingWants(key) {
		s.written = append(s.written, blockKey{db: db, key: string(key)})
		return
	}
	if len(db.watched) == 0 {
		return
	}
	if _, ok := db.watched[string(key)]; ok {
		s.written = append(s.written, blockKey{db: db, key: string(key)})
	}
}

// unchanged withdraws key of db from the keys the running command
// signals at its end, for a command that looked it up for writing and
// changed other keys but not this one, where Redis does not signal it.
func (s *Server) unchanged(db *DB, key []byte) {
	kept := s.written[:0]
	for _, w := range s.written {
		if w.db != db || w.key != string(key) {
			kept = append(kept, w)
		}
	}
	clear(s.written[len(kept):])
	s.written = kept
}

// signalModifiedKey is Redis's signalModifiedKey: key's tracking clients
// are told (tracking.go), and every client watching key in db will fail
// its EXEC (touchWatchedKey).
// A watcher that saw the key already expired ignores its deletion, and,
// as Redis 7.0 does, the walk over the watchers stops at such a watcher
// when the key still exists.
func (s *Server) signalModifiedKey(db *DB, key string) {
	s.touchWatchedKey(db, key)
	by := s.running
	if s.tracking.by != nil {
		by = s.tracking.by
	}
	if s.tracking.outside {
		by = nil
	}
	s.trackingInvalidateKey(by, key, true)
}

// touchWatchedKey is the WATCH half of signalModifiedKey.
func (s *Server) touchWatchedKey(db *DB, key string) {
	if len(db.watched) == 0 {
		return
	}
	list := db.watched[key]
	if len(list) == 0 {
		return
	}
	// Marking a client dirty unwatches its keys, which edits list: walk a
	// copy.
	for _, wk := range append([]*watchedKey(nil), list...) {
		if wk.expired {
			if db.get([]byte(key)) == nil {
				wk.expired = false
				continue
			}
			break
		}
		wk.c.dirtyCAS = true
		wk.c.unwatchAll()
	}
}

// signalWritten signals the keys recorded since mark when changed (the
// command changed the dataset: one that looked a key up for writing but
// changed nothing, as SETNX on an existing key, touches no watcher), and
// forgets them.
func (s *Server) signalWritten(mark int, changed bool) {
	if len(s.written) == mark {
		return
	}
	if changed {
		for _, w := range s.written[mark:] {
			s.signalModifiedKey(w.db, w.key)
		}
	}
	clear(s.written[mark:])
	s.written = s.written[:mark]
}

// changes counts the changes commands made to the dataset: s.dirty less
// the deletions of expired keys, which signal their keys themselves and
// must not make a command that found an expired key count as a write.
func (s *Server) changes() int64 { return s.dirty - s.stats.expiredKeys }

// touchAllWatchedKeysInDb marks dirty the watchers of every key of
// emptied that exists there, or in replacedWith (SWAPDB; nil for FLUSHDB
// and FLUSHALL), before the change, as Redis 7.0's function of that name,
// with its handling of keys that were expired at WATCH time.
func (s *Server) touchAllWatchedKeysInDb(emptied, replacedWith *DB) {
	for key, list := range emptied.watched {
		kb := []byte(key)
		inEmptied := emptied.get(kb) != nil
		inReplaced := replacedWith != nil && replacedWith.get(kb) != nil
		if !inEmptied && !inReplaced {
			continue
		}
		for _, wk := range list {
			if wk.expired {
				if !inReplaced {
					wk.expired = false
					continue
				} else if s.keyIsExpired(replacedWith, key) {
					continue
				}
			} else if !inEmptied && s.keyIsExpired(replacedWith, key) {
				wk.expired = true
				continue
			}
			wk.c.dirtyCAS = true
		}
	}
}
