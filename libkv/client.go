package libkv

import (
	"net"
	"strconv"
	"sync"
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
	srv     *Server
	id      uint64
	conn    net.Conn
	unix    bool
	fd      int
	addr    string
	laddr   string
	name    string
	db      *DB
	w       resp.Writer
	authed  bool
	created time.Time

	lastInteraction int64 // Unix ms, under the engine lock
	lastCmd         string
	closeAfterReply bool
	reply           replyMode
	noEvict         bool
	noTouch         bool
	monitor         bool
	failed          bool // the current command replied with an error

	parser proto.Parser
	qbuf   []byte

	// Output that must be written while the client's own goroutine waits
	// for input (MONITOR feeds): appended under outMu and written by a
	// writer goroutine, which also takes the client's own replies from then
	// on so that order is kept.
	outMu   sync.Mutex
	pending []byte
	wake    chan struct{}
	async   bool
}

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
		c.unix = true
		c.addr = "/" + s.conf.Unixsocket + ":0"
		c.laddr = s.conf.Unixsocket + ":0"
		c.addr = c.laddr
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
	c.lastInteraction = time.Now().UnixMilli()
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

// freeClient unregisters c and closes its connection.
func (s *Server) freeClient(c *Client) {
	c.conn.Close()
	s.mu.Lock()
	delete(s.clients, c.id)
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

// serve is the client's goroutine: read, parse every complete request,
// execute them as one batch under the engine lock, write the replies.
func (c *Client) serve() {
	s := c.srv
	defer s.freeClient(c)
	c.qbuf = make([]byte, 0, ioBufSize)
	var arena [][]byte
	var ends []int
	for {
		if len(c.qbuf) == cap(c.qbuf) {
			nb := make([]byte, len(c.qbuf), 2*cap(c.qbuf))
			copy(nb, c.qbuf)
			c.qbuf = nb
		}
		n, err := c.conn.Read(c.qbuf[len(c.qbuf):cap(c.qbuf)])
		if n > 0 {
			c.qbuf = c.qbuf[:len(c.qbuf)+n]
			s.stats.netInputBytes.Add(int64(n))
			s.stats.ioReadsProcessed.Add(1)
		}
		if err != nil {
			return
		}
		lim := proto.Limits{MaxBulkLen: s.conf.ProtoMaxBulkLen, Unauthenticated: !c.authed}
		pos := 0
		var perr error
		arena, ends = arena[:0], ends[:0]
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
			if len(args) > 0 {
				arena = append(arena, args...)
				ends = append(ends, len(arena))
			}
		}
		if len(ends) > 0 {
			c.execBatch(arena, ends)
		}
		if perr != nil {
			s.mu.Lock()
			c.addError(perr.Error())
			s.mu.Unlock()
			s.log.Verbose("Protocol error (%s) from client: %s", perr.Error(), c.addr)
			c.closeAfterReply = true
		}
		if !c.flush() || c.closeAfterReply {
			return
		}
		keep := pos
		if start, pending := c.parser.Pending(); pending {
			keep = start
		}
		if keep > 0 {
			rest := copy(c.qbuf, c.qbuf[keep:])
			c.qbuf = c.qbuf[:rest]
			c.parser.Rebase(keep)
		}
		if int64(len(c.qbuf)) > s.conf.ClientQueryBufferLimit {
			s.log.Warning("Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %q)",
				c.id, c.addr, truncate(c.qbuf, 64))
			return
		}
		if len(c.qbuf) == 0 && cap(c.qbuf) > maxIdleBufSize {
			c.qbuf = make([]byte, 0, ioBufSize)
		}
	}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// execBatch runs the commands of one read under a single hold of the engine
// lock; ends[i] is the end of command i's arguments in arena.
func (c *Client) execBatch(arena [][]byte, ends []int) {
	s := c.srv
	s.mu.Lock()
	start := 0
	for _, end := range ends {
		args := arena[start:end]
		start = end
		for s.pause.active() && s.pause.blocks(s, args) {
			resume := s.pause.resume
			s.mu.Unlock()
			s.pause.wait(s, resume)
			s.mu.Lock()
		}
		c.process(args)
		if c.closeAfterReply {
			break
		}
	}
	s.mu.Unlock()
}

// flush writes the pending replies; false when the connection failed.
func (c *Client) flush() bool {
	if c.w.Len() == 0 {
		return true
	}
	out := c.w.Bytes()
	c.srv.stats.netOutputBytes.Add(int64(len(out)))
	if c.async {
		c.asyncWrite(out)
		c.w.Reset()
		return true
	}
	_, err := c.conn.Write(out)
	c.srv.stats.ioWritesProcessed.Add(1)
	if cap(out) > maxIdleBufSize {
		c.w = resp.Writer{Proto: c.w.Proto}
	} else {
		c.w.Reset()
	}
	return err == nil
}

// startAsync switches c to writing through its writer goroutine.
func (c *Client) startAsync() {
	if c.async {
		return
	}
	c.async = true
	c.wake = make(chan struct{}, 1)
	go func() {
		for range c.wake {
			c.outMu.Lock()
			out := c.pending
			c.pending = nil
			c.outMu.Unlock()
			if len(out) > 0 {
				if _, err := c.conn.Write(out); err != nil {
					c.conn.Close()
				}
			}
		}
	}()
}

// asyncWrite queues b (copied) for c's writer goroutine.
func (c *Client) asyncWrite(b []byte) {
	c.outMu.Lock()
	c.pending = append(c.pending, b...)
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
