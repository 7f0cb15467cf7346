package libkv

import "strconv"

// Command propagation, as Redis 7.0's alsoPropagate and
// propagatePendingCommands (server.c): what a command changed is queued as
// commands to replay (an "execution unit"), and once the outermost call
// returns the queue goes to the propagation sinks (the AOF now, replication
// later) in command order, wrapped in MULTI/EXEC when it holds more than
// one command.
//
// By default call() queues the command's own argv when it changed the
// dataset (s.dirty moved, not counting expired keys deleted on the way,
// which queue their own DEL). A command whose effect must be replayed in
// another form says so, as Redis's rewriteClientCommandVector and
// alsoPropagate calls do:
//
//   - c.propagateAs(args...) replaces the argv that call() queues
//     (SET ... EX -> SET ... PXAT, INCRBYFLOAT -> SET ... KEEPTTL, BLPOP ->
//     LPOP, EXPIRE -> PEXPIREAT, ...). It has effect only if the command
//     changed the dataset.
//   - c.forcePropagation() queues the argv even without a change (FLUSHALL,
//     FLUSHDB).
//   - c.preventPropagation() stops call() from queueing the argv, and the
//     command queues what it wants with s.alsoPropagate(db, args...)
//     (SPOP with a count -> SREM commands).
//
// How later commands hook in:
//   - Sorted sets, streams: the same two calls (ZPOPMIN/BZPOPMIN served ->
//     ZPOPMIN key count; XADD with * -> the generated ID, XCLAIM/XAUTOCLAIM
//     -> XCLAIM ... JUSTID LASTID, XREADGROUP -> XCLAIM + XGROUP SETID).
//   - MULTI/EXEC and scripts: EXEC (and EVAL) run their commands through
//     c.call, nested: s.prop.depth > 0 keeps the inner calls from flushing
//     the queue, so the outermost call flushes it once, wrapped in
//     MULTI/EXEC when it holds more than one command, as Redis 7.0. EXEC
//     itself calls c.preventPropagation() (its argv is not replayed).
//   - Blocked clients served in handleReadyKeys are an execution unit each
//     (servedPropagation).
//
// Arguments are not copied: the queue is flushed before the command's
// arguments are reused, and the sinks encode what they keep.

// propOp is one command to propagate, to run in database db.
type propOp struct {
	db   int
	args [][]byte
}

// propagation is the server's propagation state.
type propagation struct {
	ops   []propOp
	depth int // nesting of call(): the outermost one flushes
	// expiredDirty counts the s.dirty increments of expired-key deletions,
	// which propagate as their own DEL and do not make the command that
	// met the key a change.
	expiredDirty int64
	sinks        []func(db int, args [][]byte)
}

var (
	propMulti = [][]byte{[]byte("MULTI")}
	propExec  = [][]byte{[]byte("EXEC")}
)

// alsoPropagate queues args to be replayed in database db after the
// current command (Redis's alsoPropagate).
func (s *Server) alsoPropagate(db int, args ...[]byte) {
	if len(s.prop.sinks) == 0 {
		return
	}
	s.prop.ops = append(s.prop.ops, propOp{db: db, args: args})
}

// propagateAs makes call() replay args instead of the command's argv.
func (c *Client) propagateAs(args ...[]byte) { c.propArgs = args }

// preventPropagation keeps call() from replaying the command's argv.
func (c *Client) preventPropagation() { c.propSkip = true }

// forcePropagation makes call() replay the command's argv even when it
// changed nothing (forceCommandPropagation: FLUSHALL and FLUSHDB on empty
// databases, FLUSHALL whose save reset the change counter).
func (c *Client) forcePropagation() { c.propForce = true }

// propagatePending hands the queued commands to the sinks: one command as
// is, several wrapped in MULTI/EXEC (the MULTI in the first command's
// database), as propagatePendingCommands.
func (s *Server) propagatePending() {
	ops := s.prop.ops
	if len(ops) == 0 {
		return
	}
	s.prop.ops = ops[:0]
	multi := len(ops) > 1
	for _, sink := range s.prop.sinks {
		if multi {
			sink(ops[0].db, propMulti)
		}
		for _, op := range ops {
			sink(op.db, op.args)
		}
		if multi {
			sink(ops[0].db, propExec)
		}
	}
	clear(ops)
}

// propagateDeletion queues the DEL (UNLINK when lazy) of a key deleted by
// expiry or eviction (propagateDeletion in db.c).
func (s *Server) propagateDeletion(db int, key []byte, lazy bool) {
	if len(s.prop.sinks) == 0 {
		return
	}
	s.alsoPropagate(db, delOrUnlink(lazy), append([]byte(nil), key...))
	if s.prop.depth == 0 {
		// Outside a command (active expiry, eviction before a command,
		// the cron): each deletion is propagated alone, at once.
		s.propagatePending()
	}
}

var (
	propDel       = []byte("DEL")
	propUnlink    = []byte("UNLINK")
	propSet       = []byte("SET")
	propPXAT      = []byte("PXAT")
	propKeepTTL   = []byte("KEEPTTL")
	propPexpireat = []byte("PEXPIREAT")
	propPersist   = []byte("PERSIST")
	propHSet      = []byte("HSET")
	propSRem      = []byte("SREM")
	propLPop      = []byte("LPOP")
	propRPop      = []byte("RPOP")
	propLMove     = []byte("LMOVE")
	propRPopLPush = []byte("RPOPLPUSH")
	propLeft      = []byte("left") // shared.left: lower case, as Redis writes it
	propAbsTTL    = []byte("ABSTTL")
	propRight     = []byte("right")
)

// delOrUnlink is UNLINK when lazy, else DEL.
func delOrUnlink(lazy bool) []byte {
	if lazy {
		return propUnlink
	}
	return propDel
}

// propInt is n in decimal, as an argument to propagate.
func propInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// propEnd is "left" or "right", Redis's shared.left / shared.right.
func propEnd(head bool) []byte {
	if head {
		return propLeft
	}
	return propRight
}

// propPop is LPOP or RPOP.
func propPop(head bool) []byte {
	if head {
		return propLPop
	}
	return propRPop
}

// servedPropagation runs serve for a blocked client w as its own execution
// unit: what it changed is propagated (in the non-blocking form the serve
// function gives with propagateAs, else as the blocked argv), then flushed.
func (s *Server) servedPropagation(w *Client, args [][]byte, serve func()) {
	w.propArgs, w.propSkip = nil, false
	dirty := s.dirty - s.prop.expiredDirty
	s.prop.depth++
	serve()
	s.prop.depth--
	if s.dirty-s.prop.expiredDirty > dirty && !w.propSkip {
		if w.propArgs != nil {
			args = w.propArgs
		}
		s.alsoPropagate(w.db.id, args...)
	}
	w.propArgs, w.propSkip = nil, false
	if s.prop.depth == 0 {
		s.propagatePending()
	}
}
