package libkv

import (
	"errors"
	"math"
	"math/big"
	"os"
	"time"
)

// Blocking commands (Redis 7.0 blocked.c). A client whose BLPOP, BZPOPMIN,
// ... finds nothing to pop is blocked on its keys: its command stays
// unanswered, and its goroutine waits without the engine lock (still
// reading input, so that a peer that goes away is noticed). Clients
// blocked on a key queue in the order they blocked. A command that creates
// a key someone waits for signals it as ready (signalKeyAsReady); after
// the command, the ready keys are served (handleClientsBlockedOnKeys):
// each waiting client, first blocked first, gets its reply written by its
// serve function, run as that client, until the key runs out. A key that
// is created and emptied by the same command thus wakes nobody. A MULTI or
// script can later defer serving by calling handleReadyKeys at its end
// instead of after each command.
//
// A blocked client also leaves its block by its timeout or CLIENT UNBLOCK
// (a null array, or the UNBLOCKED error), or when it is killed or
// disconnects (no reply). Its command is counted in INFO commandstats, the
// slow log and the latency histograms when it is unblocked, as Redis's
// updateStatsOnUnblock does.

// blockKey names a key in one database.
type blockKey struct {
	db  *DB
	key string
}

// blockState is a blocked client's state (Redis's c->bpop).
type blockState struct {
	typ   ObjType // the type of value that can serve the client
	keys  []blockKey
	serve blockServe
	cmd   *command
	args  [][]byte // the blocked command, for its statistics
	// ready, when set, says whether a ready key can serve the client
	// (a stream has entries past the ID the client reads from); a client
	// it refuses stays blocked.
	ready func(key []byte, o *Object) bool
	timer *time.Timer
	done  chan struct{} // closed when the client is unblocked
}

// blockServe pops what the blocked client c waits for from key, which
// holds o (of the client's type, not empty), writes c's reply and
// accounts the change, as the command would have done; it runs under the
// engine lock as c. The client is unblocked afterwards, whatever it wrote
// (BLMOVE into a key of the wrong type replies WRONGTYPE).
type blockServe func(c *Client, key []byte, o *Object)

// blocking is the server's part: who waits for which key, and which keys
// became ready during the current command.
type blocking struct {
	keys     map[blockKey][]*Client
	ready    []blockKey
	readySet map[blockKey]bool
	byType   [TypeStream + 1]int // blocked clients per type
	clients  int                 // INFO blocked_clients
	timed    int                 // INFO clients_in_timeout_table
}

// errTimeoutNotFloat and errTimeoutNegative are getTimeoutFromObjectOrReply's
// errors for a timeout in seconds.
const (
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNegative = "ERR timeout is negative"
)

// timeoutArg parses a blocking command's timeout in seconds as Redis 7.0's
// getTimeoutFromObjectOrReply: a long double (string2ld) times 1000,
// rounded up to whole milliseconds; a value that does not fit a 64-bit
// integer (inf included) converts, as on x86, to its minimum and so counts
// as negative. It returns the timeout, 0 meaning none.
func (c *Client) timeoutArg(a []byte) (time.Duration, bool) {
	f, ok := parseLongDouble(a)
	if !ok {
		c.addError(errTimeoutNotFloat)
		return 0, false
	}
	if f.IsInf() {
		c.addError(errTimeoutNegative)
		return 0, false
	}
	f.Mul(f, big.NewFloat(1000))
	ms, acc := f.Int(nil)
	if acc == big.Below { // f > 0 had a fraction: ceill
		ms.Add(ms, big.NewInt(1))
	}
	if !ms.IsInt64() || ms.Sign() < 0 {
		c.addError(errTimeoutNegative)
		return 0, false
	}
	// Deadlines beyond what a time.Duration holds (292 years) never come.
	return time.Duration(min(ms.Int64(), math.MaxInt64/int64(time.Millisecond))) * time.Millisecond, true
}

// blockForKeys blocks c on keys until one of them holds a value of type
// typ, for at most timeout (0: forever); args is the blocking command. serve
// is called when a key is ready. The key names are copied.
// The command returns at once; the client's goroutine waits (waitUnblocked).
func (c *Client) blockForKeys(typ ObjType, keys [][]byte, timeout time.Duration, args [][]byte, serve blockServe) {
	s := c.srv
	cmd := s.lookupCommand(args)
	if c.denyBlocking {
		// Inside EXEC or a script (CLIENT_DENY_BLOCKING) a command cannot
		// block: it replies as Redis 7.0's blocking commands do there, as
		// if timed out at once: a null bulk for BLMOVE/BRPOPLPUSH, a null
		// array for the others.
		if n := cmd.meta.Name; n == "blmove" || n == "brpoplpush" {
			c.w.Null()
		} else {
			c.w.NullArray()
		}
		return
	}
	bl := &s.blocking
	if bl.keys == nil {
		bl.keys = make(map[blockKey][]*Client)
		bl.readySet = make(map[blockKey]bool)
	}
	b := &blockState{typ: typ, serve: serve, cmd: cmd, args: args, done: make(chan struct{})}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[string(k)] {
			continue // a key named twice blocks once (dictAdd fails)
		}
		seen[string(k)] = true
		bk := blockKey{c.db, string(k)}
		b.keys = append(b.keys, bk)
		bl.keys[bk] = append(bl.keys[bk], c)
	}
	c.blocked = b
	bl.byType[typ]++
	bl.clients++
	if timeout > 0 {
		bl.timed++
		b.timer = time.AfterFunc(timeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if c.blocked == b {
				c.unblockReply(false)
			}
		})
	}
}

// unblockReply ends c's block as by a timeout (a null array) or, when
// asError, by CLIENT UNBLOCK ERROR; under the engine lock.
func (c *Client) unblockReply(asError bool) {
	b := c.blocked
	start := time.Now()
	failed := false
	if asError {
		c.addError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		failed = true
	} else {
		c.w.NullArray()
	}
	c.handOff() // queued before later messages to a subscriber
	c.srv.unblock(c)
	c.callStats(b.cmd, b.args, time.Since(start), failed)
}

// unblock removes c from the keys it waits for and wakes its goroutine;
// under the engine lock. Nothing is written.
func (s *Server) unblock(c *Client) {
	b := c.blocked
	if b == nil {
		return
	}
	bl := &s.blocking
	for _, bk := range b.keys {
		q := bl.keys[bk]
		for i, w := range q {
			if w == c {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(bl.keys, bk)
		} else {
			bl.keys[bk] = q
		}
	}
	if b.timer != nil {
		b.timer.Stop()
		bl.timed--
	}
	bl.byType[b.typ]--
	bl.clients--
	c.blocked = nil
	close(b.done)
}

// signalKeyAsReady records that key of db now holds a value of type typ,
// when some client waits for it (Redis's signalKeyAsReady, called where a
// key is added to a database).
func (s *Server) signalKeyAsReady(db *DB, key []byte, typ ObjType) {
	bl := &s.blocking
	if bl.byType[typ] == 0 {
		return
	}
	bk := blockKey{db, string(key)}
	if _, waited := bl.keys[bk]; !waited || bl.readySet[bk] {
		return
	}
	bl.readySet[bk] = true
	bl.ready = append(bl.ready, bk)
}

// scanDatabaseForReadyKeys signals every key of db that a client waits
// for and that exists (SWAPDB changed what db holds).
func (s *Server) scanDatabaseForReadyKeys(db *DB) {
	for bk := range s.blocking.keys {
		if bk.db != db {
			continue
		}
		if o := db.get([]byte(bk.key)); o != nil {
			s.signalKeyAsReady(db, []byte(bk.key), o.typ)
		}
	}
}

// handleReadyKeys is handleClientsBlockedOnKeys: it serves the clients
// blocked on the keys that became ready, in the order the keys became
// ready and, per key, in the order the clients blocked, for as long as the
// key holds something. Serving may make more keys ready (BLMOVE pushes);
// those are served too.
func (s *Server) handleReadyKeys() {
	bl := &s.blocking
	for len(bl.ready) > 0 {
		ready := bl.ready
		bl.ready = nil
		for _, bk := range ready {
			delete(bl.readySet, bk)
			key := []byte(bk.key)
			for _, w := range append([]*Client(nil), bl.keys[bk]...) {
				if s.expireIfNeeded(bk.db, key) {
					break
				}
				o := bk.db.get(key)
				if o == nil {
					break
				}
				b := w.blocked
				if b == nil || b.typ != o.typ || (b.ready != nil && !b.ready(key, o)) {
					continue
				}
				// Serving changes the value in place without a write
				// lookup; a key made ready by SWAPDB was not preserved
				// by the write that usually makes keys ready.
				s.preserve(bk.db, key)
				start := time.Now()
				errs := s.stats.errorReplies
				s.servedPropagation(w, b.args, func() { b.serve(w, key, o) })
				// A subscriber (RESP3) gets the reply queued now, before
				// any message published after this command.
				w.handOff()
				s.unblock(w)
				w.callStats(b.cmd, b.args, time.Since(start), s.stats.errorReplies != errs)
			}
		}
	}
}

// waitUnblocked runs in c's goroutine after its command blocked, with the
// engine lock held: it writes the replies so far, releases the lock and
// waits for the block to end, reading whatever input arrives meanwhile.
// It returns with the lock held; false when the client is to be closed
// (its peer went away, it was killed, or the server is shutting down).
func (c *Client) waitUnblocked() bool {
	s := c.srv
	b := c.blocked
	c.handOff() // a subscriber's replies are queued before the lock goes
	out := append([]byte(nil), c.w.Bytes()...)
	c.w.Reset()
	s.mu.Unlock()
	ok := c.write(out)
	// The wait is a read of more input; the end of the block interrupts
	// it through the read deadline.
	stop, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-b.done:
		case <-s.done:
		case <-stop:
			return
		}
		c.conn.SetReadDeadline(time.Unix(1, 0))
	}()
	for ok {
		select {
		case <-b.done:
		case <-s.done:
			ok = false
		default:
			want := c.readSize()
			n, err := c.conn.Read(c.qbuf[len(c.qbuf) : len(c.qbuf)+want])
			if n > 0 {
				c.qbuf = c.qbuf[:len(c.qbuf)+n]
				c.lastInteraction.Store(time.Now().UnixMilli())
				s.stats.netInputBytes.Add(int64(n))
				s.stats.ioReadsProcessed.Add(1)
				c.inputWaiting = true
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				ok = false
			}
			if int64(len(c.qbuf)) > c.queryBufLimit {
				s.log.Warning("Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %q)",
					c.id, c.addr, truncate(c.qbuf, 64))
				ok = false
			}
			continue
		}
		break
	}
	close(stop)
	<-exited
	c.conn.SetReadDeadline(time.Time{})
	s.mu.Lock()
	if !ok || c.gone() {
		s.unblock(c)
		c.closeAfterReply = true
		return false
	}
	return true
}
