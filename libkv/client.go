package libkv

import (
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kvkit/kvkit/libkv/proto"
	"github.com/kvkit/kvkit/libkv/resp"
)

// replyMode is CLIENT REPLY's state.
type replyMode uint8

const (
	replyOn replyMode = iota
	replyOff
	replySkipNext // skip the reply of the next command only
	replySkip     // skipping the current command's reply
)

// Client is one connection's state (Redis's client struct).
type Client struct {
	// propArgs and propSkip are a command's propagation requests
	// (propagate.go).
	propArgs  [][]byte
	propSkip  bool
	propForce bool
	curArgs   [][]byte // the arguments of the command running
	srv       *Server
	id        uint64
	conn      net.Conn
	unix      bool
	fd        int
	addr      string
	laddr     string
	name      string
	db        *DB
	w         resp.Writer
	authed    bool
	created   time.Time

	lastInteraction atomic.Int64 // Unix ms of the last read or command, for timeout
	pauseWaiting    atomic.Bool  // waiting for a CLIENT PAUSE to end: never idle-closed
	lastCmd         string
	closeAfterReply bool
	reply           replyMode
	noEvict         bool
	noTouch         bool
	monitor         bool
	failed          bool // the current command replied with an error
	// blocked is set while the client waits in a blocking command
	// (blocked.go); inputWaiting when input read during the wait awaits
	// parsing.
	blocked      *blockState
	inputWaiting bool
	argv         [][]byte // the request being processed (Redis's c->argv)

	// Transaction state (multi.go): multi is the open transaction
	// (CLIENT_MULTI); dirtyCAS a watched key was touched (CLIENT_DIRTY_CAS);
	// dirtyExec a command failed to queue (CLIENT_DIRTY_EXEC).
	multi     *multiState
	dirtyCAS  bool
	dirtyExec bool
	watched   []*watchedKey
	// denyBlocking is Redis's CLIENT_DENY_BLOCKING, set for the script
	// client and while EXEC runs the queued commands: a blocking command
	// must not block then, but answer as if its timeout had expired.
	denyBlocking bool
	execReplies  bool           // EXEC filtered its replies for CLIENT REPLY itself
	ps           clientPubsub   // subscriptions (pubsub.go)
	tr           clientTracking // client-side caching (tracking.go)

	parser proto.Parser
	qbuf   []byte
	arena  [][]byte // the arguments of a batch, reused
	ends   []int    // where each command of a batch ends in arena
	// The query buffer's length and capacity for CLIENT LIST, which other
	// clients' goroutines read.
	qbufLen, qbufCap atomic.Int64
	outCap           atomic.Int64 // the reply buffer's capacity
	argvMem          int          // bytes of the arguments of the command running
	// client-query-buffer-limit and proto-max-bulk-len as of the client's
	// last batch: its goroutine reads them without the engine lock.
	queryBufLimit, maxBulkLen int64

	// Output that must be written while the client's own goroutine waits
	// for input (MONITOR feeds): appended under outMu and written by a
	// writer goroutine, which also takes the client's own replies from then
	// on so that order is kept.
	outMu   sync.Mutex
	pending []byte
	wake    chan struct{}
	async   bool
	// obufSoftSince is when pending went over the soft output limit (Unix
	// ms, 0 when under it); obufClosed is set once the client was closed
	// for overcoming a limit: what is queued then is dropped. Both under
	// outMu.
	obufSoftSince int64
	obufClosed    bool
	// queued is len(pending), for other goroutines (CLIENT LIST omem,
	// used_memory, INFO clients).
	queued atomic.Int64
}

// drainTimeout bounds how long the last replies to a closing client may
// take to write.
const drainTimeout = 10 * time.Second

const (
	ioBufSize      = 16 << 10
	maxIdleBufSize = 64 << 10
)

// newClient registers a connection; a non-empty reject is the error line
// to send before closing (maxclients, protected mode).
func (s *Server) newClient(nc net.Conn) (*Client, string) {
	c := &Client{srv: s, conn: nc, created: time.Now(), fd: -1}
	c.addr = nc.RemoteAddr().String()
	c.laddr = nc.LocalAddr().String()
	if _, ok := nc.(*net.UnixConn); ok {
		// Redis names both ends of a Unix socket connection "<path>:0".
		c.unix = true
		c.addr = s.unixSocket + ":0"
		c.laddr = c.addr
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { c.fd = int(fd) })
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) >= s.conf.Maxclients {
		return nil, "ERR max number of clients reached"
	}
	if msg := s.protectedModeRefusal(c); msg != "" {
		return nil, msg
	}
	c.id = s.nextID.Add(1)
	c.db = s.dbs[0]
	c.w.Proto = 2
	c.authed = s.conf.Requirepass == ""
	c.lastInteraction.Store(time.Now().UnixMilli())
	c.syncLimits()
	s.clients[c.id] = c
	return c, ""
}

// protectedModeRefusal returns Redis's DENIED message for a non-loopback
// client when protected mode is on and no password is set (networking.c).
func (s *Server) protectedModeRefusal(c *Client) string {
	if !s.conf.ProtectedMode || s.conf.Requirepass != "" || c.unix {
		return ""
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsLoopback() {
		return ""
	}
	return "DENIED Redis is running in protected mode because protected mode is enabled and " +
		"no password is set for the default user. In this mode connections are only accepted " +
		"from the loopback interface. If you want to connect from external computers to Redis " +
		"you may adopt one of the following solutions: 1) Just disable protected mode sending " +
		"the command 'CONFIG SET protected-mode no' from the loopback interface by connecting " +
		"to Redis from the same host the server is running, however MAKE SURE Redis is not " +
		"publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change " +
		"permanent. 2) Alternatively you can just disable the protected mode by editing the Redis " +
		"configuration file, and setting the protected mode option to 'no', and then restarting " +
		"the server. 3) If you started the server manually just for testing, restart it with the " +
		"'--protected-mode no' option. 4) Set up an authentication password for the default user. " +
		"NOTE: You only need to do one of the above things in order for the server to start " +
		"accepting connections from the outside."
}

// freeClient unregisters c and closes its connection, after its writer
// goroutine (if any) has written the queued output.
func (s *Server) freeClient(c *Client) {
	// As Redis's freeClient, pending output is dropped, except for a client
	// closed after its reply (QUIT, a protocol error), whose writer
	// goroutine delivers what is queued and then closes. Closing here also
	// unblocks a writer stuck on a peer that stopped reading.
	if !c.async || !c.closeAfterReply {
		c.conn.Close()
	}
	s.mu.Lock()
	delete(s.clients, c.id)
	c.unwatchAll()
	c.pubsubReset()
	c.disableTracking()
	if c.monitor {
		for i, m := range s.monitors {
			if m == c {
				s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	if c.async {
		close(c.wake)
	}
}

// serve is the client's goroutine: read, parse the complete requests,
// execute them in batches under the engine lock, write the replies. It
// follows Redis 7.0's readQueryFromClient and processInputBuffer.
func (c *Client) serve() {
	s := c.srv
	defer s.freeClient(c)
	c.qbuf = make([]byte, 0, ioBufSize)
	var ignored int64 // bytes read after the connection was marked to close
	for {
		var n int
		var err error
		if c.inputWaiting {
			// Read while blocked: process it before reading more.
			c.inputWaiting = false
		} else {
			want := c.readSize()
			n, err = c.conn.Read(c.qbuf[len(c.qbuf) : len(c.qbuf)+want])
		}
		if n > 0 {
			// Redis's readQueryFromClient: any input counts as interaction.
			c.lastInteraction.Store(time.Now().UnixMilli())
			c.qbuf = c.qbuf[:len(c.qbuf)+n]
			s.stats.netInputBytes.Add(int64(n))
			s.stats.ioReadsProcessed.Add(1)
			c.qbufLen.Store(int64(len(c.qbuf)))
			c.qbufCap.Store(int64(cap(c.qbuf)))
		}
		if err != nil {
			return
		}
		// The query buffer limit applies to what is not yet parsed into
		// arguments, checked before parsing, without a reply.
		unparsed := int64(len(c.qbuf))
		if _, parsed, _, ok := c.parser.Pending(); ok {
			unparsed -= int64(parsed)
		}
		if c.closeAfterReply {
			// Redis stops processing input once a client is to be closed;
			// with no reply to write (CLIENT REPLY OFF) it is not closed but
			// keeps buffering input until the limit.
			ignored += unparsed
			unparsed = ignored
			c.qbuf = c.qbuf[:0]
		}
		if unparsed > c.queryBufLimit {
			s.log.Warning("Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %q)",
				c.id, c.addr, truncate(c.qbuf, 64))
			return
		}
		if c.closeAfterReply {
			continue
		}
		pos, wrote, ok := c.processInput()
		if !ok || (c.closeAfterReply && wrote) {
			return
		}
		c.compact(pos)
	}
}

// bigArg is Redis's PROTO_MBULK_BIG_ARG: from this bulk length on, reads
// take exactly the rest of the bulk.
const bigArg = 32 << 10

// readSize makes room in the query buffer and returns how much the next
// read may take, sized as Redis's readQueryFromClient sizes its reads, so
// that the query buffer limit and the inline limit see the same amounts:
// the rest of a big bulk being read; otherwise 16 KB for a small buffer,
// or all the free room of a buffer grown as sds grows (sdsMakeRoomFor:
// double the needed size below 1 MB, add 1 MB above). Unlike Redis, room
// for a big bulk grows with the bytes received (at most doubling, or 1 MB
// at a time), not at once to the length the client claims.
func (c *Client) readSize() int {
	l := len(c.qbuf)
	want := ioBufSize
	newCap := l + want
	if _, parsed, bulkLen, ok := c.parser.Pending(); ok && bulkLen >= bigArg && int(bulkLen)+2 > l-parsed {
		want = min(int(bulkLen)+2-(l-parsed), max(l, 1<<20))
		newCap = l + want
	} else if cap(c.qbuf) >= ioBufSize {
		if cap(c.qbuf)-l >= ioBufSize {
			return cap(c.qbuf) - l
		}
		if newCap < 1<<20 {
			newCap *= 2
		} else {
			newCap += 1 << 20
		}
		want = newCap - l
	}
	if cap(c.qbuf)-l < want {
		nb := make([]byte, l, newCap)
		copy(nb, c.qbuf)
		c.qbuf = nb
	}
	return want
}

// processInput parses and executes every complete request in the query
// buffer and writes the replies. It returns the offset of the first
// unconsumed byte, whether anything was written, and false when the
// connection failed.
func (c *Client) processInput() (pos int, wrote, ok bool) {
	arena, ends := c.arena, c.ends
	defer func() {
		clear(arena[:cap(arena)]) // let go of the query buffer
		c.arena, c.ends = arena[:0], ends[:0]
	}()
	for {
		lim := proto.Limits{MaxBulkLen: c.maxBulkLen, Unauthenticated: !c.authed}
		arena, ends = arena[:0], ends[:0]
		var perr error
		more := false
		for {
			args, used, err := c.parser.Next(c.qbuf, pos, lim)
			if err != nil {
				perr = err
				break
			}
			if used == 0 {
				break
			}
			pos += used
			arena = append(arena, args...)
			ends = append(ends, len(arena))
			if len(args) > 0 && changesLimits(args[0]) {
				// The requests after it are parsed with the limits it sets.
				more = true
				break
			}
		}
		if len(ends) > 0 {
			// Publish the buffer as Redis reports it after processing, before
			// any reply can reach the client: CLIENT LIST from a client that
			// has seen the reply must not find the request still buffered.
			c.qbufLen.Store(int64(len(c.qbuf) - pos))
			c.execBatch(arena, ends)
		}
		if perr != nil && !c.closeAfterReply {
			c.protocolError(perr)
		}
		if c.closeAfterReply || !more {
			break
		}
	}
	wrote = c.w.Len() > 0
	return pos, wrote, c.flush()
}

// changesLimits reports whether the command named name can change the
// parser's limits (authentication, proto-max-bulk-len).
func changesLimits(name []byte) bool {
	return eqFold(name, "auth") || eqFold(name, "hello") || eqFold(name, "reset") || eqFold(name, "config")
}

// protocolError replies to a malformed request and marks the connection to
// be closed after the reply (networking.c setProtocolError). The error is
// counted even when CLIENT REPLY OFF or SKIP suppresses it.
func (c *Client) protocolError(err error) {
	s := c.srv
	s.mu.Lock()
	mark := c.w.Len()
	c.addError("ERR " + err.Error())
	if c.reply != replyOn {
		c.w.Truncate(mark)
	}
	c.closeAfterReply = true
	c.handOff()
	s.mu.Unlock()
	s.log.Verbose("Protocol error (%s) from client: %s", err.Error(), c.addr)
}

// compact drops the consumed bytes before pos (keeping a partly read
// request whole, since its arguments are offsets into the buffer) and
// returns a grown buffer to its usual size once it is mostly empty.
func (c *Client) compact(pos int) {
	keep := pos
	if start, _, _, pending := c.parser.Pending(); pending {
		keep = start
	}
	if keep > 0 {
		rest := copy(c.qbuf, c.qbuf[keep:])
		c.qbuf = c.qbuf[:rest]
		c.parser.Rebase(keep)
	}
	if cap(c.qbuf) > maxIdleBufSize && len(c.qbuf) <= ioBufSize/2 {
		nb := make([]byte, len(c.qbuf), ioBufSize)
		copy(nb, c.qbuf)
		c.qbuf = nb
	}
	c.qbufLen.Store(int64(len(c.qbuf)))
	c.qbufCap.Store(int64(cap(c.qbuf)))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// gone reports whether c was killed or the server is shutting down; under
// the engine lock.
func (c *Client) gone() bool {
	select {
	case <-c.srv.done:
		return true
	default:
		return c.srv.clients[c.id] != c
	}
}

// syncLimits copies the settings c's goroutine needs; under the engine lock.
func (c *Client) syncLimits() {
	c.queryBufLimit = c.srv.conf.ClientQueryBufferLimit
	c.maxBulkLen = min(c.srv.conf.ProtoMaxBulkLen, maxStringLen)
}

// execBatch runs the commands of one read under a single hold of the engine
// lock; ends[i] is the end of command i's arguments in arena.
func (c *Client) execBatch(arena [][]byte, ends []int) {
	s := c.srv
	s.lockWaiters.Add(1) // a snapshot's walk gives way to clients (snapshot.go)
	s.mu.Lock()
	s.lockWaiters.Add(-1)
	if c.gone() {
		// Killed (CLIENT KILL) while its requests were being read: as in
		// Redis, a freed client runs nothing more.
		c.closeAfterReply = true
		s.mu.Unlock()
		return
	}
	start := 0
	for _, end := range ends {
		args := arena[start:end]
		start = end
		if len(args) == 0 {
			// An empty request (*0, a blank line) still ends a CLIENT
			// REPLY SKIP, as Redis's resetClient.
			if c.reply == replySkipNext {
				c.reply = replyOn
			}
			continue
		}
		c.argvMem = 0
		for _, a := range args {
			c.argvMem += len(a)
		}
		for s.pause.active() && s.pause.blocks(c, args) {
			resume := s.pause.resume
			c.handOff()
			s.mu.Unlock()
			// The replies of the commands before it go out now, as Redis
			// writes them while the client is blocked.
			c.flush()
			c.pauseWaiting.Store(true)
			s.pause.wait(s, resume)
			c.pauseWaiting.Store(false)
			c.lastInteraction.Store(time.Now().UnixMilli())
			s.mu.Lock()
			if c.gone() {
				// Killed (or the server shut down) while it waited: as in
				// Redis, where freeing a client drops its pending command,
				// the command does not run.
				c.closeAfterReply = true
				s.mu.Unlock()
				return
			}
		}
		c.process(args)
		if c.blocked != nil && !c.waitUnblocked() {
			s.mu.Unlock()
			return
		}
		if c.closeAfterReply {
			break
		}
	}
	c.syncLimits()
	// beforeSleep's BCAST invalidations, after this client's replies.
	s.running = c
	s.trackingBroadcast()
	s.running = nil
	if len(c.ps.pushed) > 0 {
		c.w.Raw(c.ps.pushed)
		c.ps.pushed = c.ps.pushed[:0]
	}
	aofw, synced := s.aof.w, s.aofFlush()
	c.handOff()
	s.mu.Unlock()
	if synced > 0 {
		// appendfsync always: the replies go out once the writes of this
		// batch are on disk.
		s.aofWaitSynced(aofw, synced)
	}
}

// handOff queues the replies of a client with a writer goroutine before
// the engine lock is released: messages other clients publish to it from
// then on must come after them. Under the engine lock. A client closing
// after its reply keeps it for processInput, which closes the connection
// once it sees a reply written.
func (c *Client) handOff() {
	if c.async && !c.closeAfterReply {
		c.flush()
	}
}

// writeStall is how long a reply write may block before the client is
// switched to its writer goroutine: a client that sends a long pipeline
// before reading any reply must not stop its own input from being read, as
// Redis's event loop keeps reading while replies queue up.
const writeStall = 20 * time.Millisecond

// flush writes the pending replies; false when the connection failed.
func (c *Client) flush() bool {
	if c.w.Len() == 0 {
		return true
	}
	out := c.w.Bytes()
	ok := c.write(out)
	if cap(out) > maxIdleBufSize {
		c.w.Release() // other goroutines read c.w.Proto (CLIENT LIST)
	} else {
		c.w.Reset()
	}
	c.outCap.Store(int64(cap(c.w.Bytes())))
	return ok
}

// write sends out, replies, to the client; false when the connection
// failed.
func (c *Client) write(out []byte) bool {
	if len(out) == 0 {
		return true
	}
	if c.async {
		c.asyncWrite(out) // counted when its writer goroutine writes it
		return true
	}
	c.srv.stats.ioWritesProcessed.Add(1)
	c.conn.SetWriteDeadline(time.Now().Add(writeStall))
	n, err := c.conn.Write(out)
	// What a stalled write leaves is counted by the writer goroutine.
	c.srv.stats.netOutputBytes.Add(int64(n))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.conn.SetWriteDeadline(time.Time{})
		c.startAsync()
		c.asyncWrite(out[n:])
		return true
	}
	return err == nil
}

// bufferSizes returns the capacities, in bytes, of c's query buffer and of
// its reply buffer as of its last write, plus the output queued for its
// writer goroutine (a subscriber's backlog counts in used_memory, as
// Redis's reply lists do). Unlike c.qbuf and c.w, which only c's goroutine
// may touch, it is safe from any goroutine (INFO clients, used_memory).
func (c *Client) bufferSizes() (query, reply int64) {
	return c.qbufCap.Load(), c.outCap.Load() + c.queued.Load()
}

// startAsync switches c to writing through a writer goroutine, for good:
// its output queues in pending (without bound, as Redis's default
// client-output-buffer-limit for normal clients) while the client's own
// goroutine goes on reading. The goroutine closes the connection once
// freeClient has closed wake and the queue is written.
func (c *Client) startAsync() {
	if c.async {
		return
	}
	c.async = true
	c.wake = make(chan struct{}, 1)
	// The last synchronous write left its short deadline on the
	// connection: the writer goroutine's writes must not inherit it.
	c.conn.SetWriteDeadline(time.Time{})
	go func() {
		failed := false
		// Two buffers in turn: the one written and the one filling, so a
		// subscriber's steady stream of messages allocates nothing.
		var spare []byte
		write := func() {
			c.outMu.Lock()
			out := c.pending
			c.pending = spare[:0]
			c.queued.Store(0)
			c.outMu.Unlock()
			if len(out) > 0 && !failed {
				// Messages published to the client count too, as in Redis's
				// stat_net_output_bytes.
				c.srv.stats.netOutputBytes.Add(int64(len(out)))
				c.srv.stats.ioWritesProcessed.Add(1)
				if _, err := c.conn.Write(out); err != nil {
					failed = true
					c.conn.Close()
				}
			}
			spare = nil
			if cap(out) <= maxIdleBufSize {
				spare = out
			}
		}
		for range c.wake {
			// Let the goroutines already runnable (other clients'
			// commands) run first, so that what they publish goes out in
			// the same write: Redis likewise writes each client's output
			// once per event-loop turn, not once per message.
			runtime.Gosched()
			write()
		}
		// Closing after the reply: deliver it, but give up on a peer that
		// does not read it within drainTimeout.
		c.conn.SetWriteDeadline(time.Now().Add(drainTimeout))
		write()
		c.conn.Close()
	}()
}

// asyncWrite queues b (copied) for c's writer goroutine. A client whose
// queue overcomes client-output-buffer-limit for its class is closed, as
// Redis's closeClientOnOutputBufferLimitReached: its queued output is
// dropped and its connection closed, which ends its goroutines (the
// reading one frees it).
func (c *Client) asyncWrite(b []byte) {
	c.outMu.Lock()
	if c.obufClosed {
		c.outMu.Unlock()
		return
	}
	c.pending = append(c.pending, b...)
	if c.overOutputLimit(int64(len(c.pending))) {
		c.obufClosed = true
		c.pending = nil
		c.queued.Store(0)
		c.outMu.Unlock()
		c.srv.log.Warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.obufInfo())
		c.conn.Close()
		return
	}
	c.queued.Store(int64(len(c.pending)))
	c.outMu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// addError writes an error reply and counts it in the error statistics
// (INFO errorstats): the code is the error's first word.
func (c *Client) addError(msg string) {
	s := c.srv
	code := msg
	for i := 0; i < len(msg); i++ {
		if msg[i] == ' ' {
			code = msg[:i]
			break
		}
	}
	if len(s.errStats) < 128 || s.errStats[code] > 0 {
		s.errStats[code]++
	}
	s.stats.errorReplies++
	c.failed = true
	c.w.Error(msg)
}

func (c *Client) String() string { return "id=" + strconv.FormatUint(c.id, 10) + " addr=" + c.addr }
