package libkv

import (
	"crypto/subtle"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kvkit/kvkit/internal/version"
)

// Connection commands (Redis 7.0 server.c, networking.c, acl.c).
var connectionCommands = map[string]cmdFunc{
	"ping": cmdPing, "echo": cmdEcho, "quit": cmdQuit, "reset": cmdReset, "auth": cmdAuth,
	"hello":     cmdHello,
	"client|id": cmdClientID, "client|setname": cmdClientSetName, "client|getname": cmdClientGetName,
	"client|list": cmdClientList, "client|info": cmdClientInfo, "client|kill": cmdClientKill,
	"client|pause": cmdClientPause, "client|unpause": cmdClientUnpause, "client|reply": cmdClientReply,
	"client|no-evict": cmdClientNoEvict, "client|unblock": cmdClientUnblock, "client|help": cmdClientHelp,
}

func cmdPing(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.addError("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.ps.active && c.w.Proto == 2 {
		// A RESP2 subscriber's replies must look like messages.
		c.w.Array(2)
		c.w.BulkString("pong")
		if len(args) == 2 {
			c.w.Bulk(args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.w.Bulk(args[1])
		return
	}
	c.w.Status("PONG")
}

func cmdEcho(c *Client, args [][]byte) { c.w.Bulk(args[1]) }

func cmdQuit(c *Client, args [][]byte) {
	c.w.OK()
	c.closeAfterReply = true
}

// cmdReset returns the connection to its initial state, as Redis's
// clearClientConnectionState: database 0, RESP2, not authenticated when a
// password is required, no name, replies on, MONITOR off, no
// subscriptions (dropped without replies). CLIENT NO-EVICT
// stays as it is, as in Redis 7.0.
func cmdReset(c *Client, args [][]byte) {
	s := c.srv
	if c.monitor {
		s.removeMonitor(c)
	}
	c.pubsubReset()
	c.disableTracking()
	c.db = s.dbs[0]
	c.w.Proto = 2
	c.authed = s.conf.Requirepass == ""
	c.name = ""
	c.reply = replyOn
	c.noTouch = false
	c.discardTransaction()
	c.w.Status("RESET")
}

// checkPassword compares a password with requirepass in constant time.
func (s *Server) checkPassword(user, pass []byte) bool {
	if user != nil && string(user) != "default" {
		return false
	}
	if s.conf.Requirepass == "" {
		return true
	}
	return subtle.ConstantTimeCompare(pass, []byte(s.conf.Requirepass)) == 1
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	var user, pass []byte
	if len(args) == 2 {
		if s.conf.Requirepass == "" {
			c.addError("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
		pass = args[1]
	} else {
		user, pass = args[1], args[2]
	}
	if !s.checkPassword(user, pass) {
		c.addError(errWrongPass)
		return
	}
	c.authed = true
	c.w.OK()
}

// validClientName checks a name as Redis's validateClientName: no spaces,
// newlines or other characters outside '!'..'~'.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

func cmdHello(c *Client, args [][]byte) {
	s := c.srv
	var ver int64
	next := 1
	if len(args) >= 2 {
		v, ok := argInt(args[1])
		if !ok {
			c.addError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.addError("NOPROTO unsupported protocol version")
			return
		}
		ver = v
		next = 2
	}
	var user, pass, name []byte
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "auth") && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case eqFold(args[j], "setname") && more >= 1:
			name = args[j+1]
			j++
		default:
			c.addError("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if !s.checkPassword(user, pass) {
			c.addError(errWrongPass)
			return
		}
		c.authed = true
	}
	if !c.authed {
		c.addError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	// The name is checked after AUTH, as helloCommand does: a bad name
	// fails the command but leaves the client authenticated.
	if name != nil {
		if !validClientName(name) {
			c.addError(errClientName)
			return
		}
		c.name = string(name)
	}
	if ver != 0 {
		c.w.Proto = int(ver)
	}
	if c.w.Proto == 3 {
		// A RESP3 client may be another tracking client's redirection:
		// invalidations then reach it between its replies, through its
		// writer goroutine.
		c.startAsync()
	}
	w := &c.w
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(version.RedisVersion)
	w.BulkString("proto")
	w.Int(int64(w.Proto))
	w.BulkString("id")
	w.Int(int64(c.id))
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

func cmdClientID(c *Client, args [][]byte) { c.w.Int(int64(c.id)) }

func cmdClientSetName(c *Client, args [][]byte) {
	if !validClientName(args[2]) {
		c.addError(errClientName)
		return
	}
	c.name = string(args[2])
	c.w.OK()
}

func cmdClientGetName(c *Client, args [][]byte) {
	if c.name == "" {
		c.w.Null()
		return
	}
	c.w.BulkString(c.name)
}

// info formats c as one line of CLIENT LIST (Redis 7.0 catClientInfoString).
// self is true for the client that runs the command.
func (c *Client) info(now time.Time, self bool) string {
	var b strings.Builder
	// Flag letters in the order of Redis 7.0's catClientInfoString; N
	// when there is none.
	flags := ""
	if c.monitor {
		flags += "O"
	}
	if c.ps.active {
		flags += "P"
	}
	if c.multi != nil {
		flags += "x"
	}
	if c.blocked != nil {
		flags += "b"
	}
	flags = c.trackingFlags(flags)
	if c.dirtyCAS {
		flags += "d"
	}
	if c.closeAfterReply {
		flags += "c"
	}
	if c.unix {
		flags += "U"
	}
	if c.noEvict {
		flags += "e"
	}
	if c.noTouch {
		flags += "T"
	}
	if flags == "" {
		flags = "N"
	}
	idle := (now.UnixMilli() - c.lastInteraction.Load()) / 1000
	b.WriteString("id=" + strconv.FormatUint(c.id, 10))
	b.WriteString(" addr=" + c.addr)
	b.WriteString(" laddr=" + c.laddr)
	b.WriteString(" fd=" + strconv.Itoa(c.fd))
	b.WriteString(" name=" + c.name)
	b.WriteString(" age=" + strconv.FormatInt(int64(now.Sub(c.created)/time.Second), 10))
	b.WriteString(" idle=" + strconv.FormatInt(max(idle, 0), 10))
	b.WriteString(" flags=" + flags)
	b.WriteString(" db=" + strconv.Itoa(c.db.id))
	multi := -1
	if c.multi != nil {
		multi = len(c.multi.cmds)
	}
	b.WriteString(" sub=" + strconv.Itoa(len(c.ps.channels)) + " psub=" + strconv.Itoa(len(c.ps.patterns)) +
		" ssub=" + strconv.Itoa(len(c.ps.shard)) + " multi=" + strconv.Itoa(multi))
	qlen := c.qbufLen.Load()
	qcap, _ := c.bufferSizes()
	if self {
		// The running client's buffer still holds the request being
		// executed, as Redis's querybuf does.
		qlen = int64(len(c.qbuf))
	}
	// Only the client running the command has replies waiting: the others'
	// output was written when their last batch ended.
	obl, argvMem := 0, 0
	if self {
		obl, argvMem = c.w.Len(), c.argvMem
	}
	b.WriteString(" qbuf=" + strconv.FormatInt(qlen, 10))
	b.WriteString(" qbuf-free=" + strconv.FormatInt(qcap-qlen, 10))
	var multiMem int64
	if c.multi != nil {
		multiMem = c.multi.argvLen
	}
	b.WriteString(" argv-mem=" + strconv.Itoa(argvMem) + " multi-mem=" + strconv.FormatInt(multiMem, 10))
	b.WriteString(" rbs=" + strconv.Itoa(ioBufSize) + " rbp=" + strconv.Itoa(obl))
	// omem is what waits for the client's writer goroutine, as Redis's
	// reply list (oll stays 0: there is no list of blocks to count).
	b.WriteString(" obl=" + strconv.Itoa(obl) + " oll=0 omem=" + strconv.FormatInt(c.queued.Load(), 10))
	b.WriteString(" tot-mem=" + strconv.FormatInt(qcap+int64(ioBufSize+argvMem+clientStructSize)+c.multiMemory(), 10))
	b.WriteString(" events=r")
	b.WriteString(" cmd=" + orNULL(c.lastCmd))
	b.WriteString(" user=default redir=" + strconv.FormatInt(c.trackingRedirect(), 10) + " resp=" + strconv.Itoa(c.w.Proto))
	return b.String()
}

// clientStructSize approximates the fixed memory of a client for tot-mem.
const clientStructSize = 1024

func orNULL(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}

// clientTypes are CLIENT LIST TYPE / CLIENT KILL TYPE's names.
func validClientType(t []byte) bool {
	for _, name := range []string{"normal", "master", "replica", "slave", "pubsub"} {
		if eqFold(t, name) {
			return true
		}
	}
	return false
}

func (c *Client) clientType() string {
	if c.ps.active {
		return "pubsub"
	}
	return "normal"
}

func cmdClientList(c *Client, args [][]byte) {
	s := c.srv
	var filterType string
	var ids []uint64
	switch {
	case len(args) == 2:
	case len(args) == 4 && eqFold(args[2], "type"):
		if !validClientType(args[3]) {
			c.addError("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
		filterType = strings.ToLower(string(args[3]))
		if filterType == "slave" {
			filterType = "replica"
		}
	case len(args) > 3 && eqFold(args[2], "id"):
		// As Redis: the clients in the order given, an ID that is not a
		// client (0, negative, gone) skipped, one that is not a number an
		// error.
		for _, a := range args[3:] {
			id, ok := argInt(a)
			if !ok {
				c.addError("ERR Invalid client ID")
				return
			}
			ids = append(ids, uint64(id))
		}
	default:
		c.addError(errSyntax)
		return
	}
	now := time.Now()
	var b strings.Builder
	list := s.clientsByID()
	if ids != nil {
		list = list[:0]
		for _, id := range ids {
			if cl := s.clients[id]; cl != nil {
				list = append(list, cl)
			}
		}
	}
	for _, cl := range list {
		if filterType != "" && cl.clientType() != filterType {
			continue
		}
		b.WriteString(cl.info(now, cl == c))
		b.WriteByte('\n')
	}
	c.w.Verbatim("txt", b.String())
}

// clientsByID returns the connected clients in ID order, as Redis's list.
func (s *Server) clientsByID() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].id < out[j-1].id; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func cmdClientInfo(c *Client, args [][]byte) {
	c.w.Verbatim("txt", c.info(time.Now(), true)+"\n")
}

// cmdClientKill handles both forms, as Redis 7.0's clientCommand: CLIENT
// KILL addr:port (old; may kill the caller; +OK or "No such client") and
// CLIENT KILL <filter> <value> ... (skips the caller unless SKIPME no;
// replies the count). Options are checked in order, so the first bad one
// names the error. Every matching client is killed.
func cmdClientKill(c *Client, args [][]byte) {
	s := c.srv
	var (
		id          uint64
		addr, laddr []byte
		typ         string
		skipMe      = true
	)
	if len(args) == 3 {
		addr, skipMe = args[2], false
	}
	for i := 2; len(args) > 3 && i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.addError(errSyntax)
			return
		}
		opt, val := args[i], args[i+1]
		switch {
		case eqFold(opt, "id"):
			n, ok := argInt(val)
			if !ok || n <= 0 {
				c.addError("ERR client-id should be greater than 0")
				return
			}
			id = uint64(n)
		case eqFold(opt, "type"):
			if !validClientType(val) {
				c.addError("ERR Unknown client type '" + string(val) + "'")
				return
			}
			typ = strings.ToLower(string(val))
			if typ == "slave" {
				typ = "replica"
			}
		case eqFold(opt, "addr"):
			addr = val
		case eqFold(opt, "laddr"):
			laddr = val
		case eqFold(opt, "user"):
			// default is the only user: it matches every client.
			if string(val) != "default" {
				c.addError("ERR No such user '" + string(val) + "'")
				return
			}
		case eqFold(opt, "skipme"):
			switch {
			case eqFold(val, "yes"):
				skipMe = true
			case eqFold(val, "no"):
				skipMe = false
			default:
				c.addError(errSyntax)
				return
			}
		default:
			c.addError(errSyntax)
			return
		}
	}
	killed := 0
	for _, cl := range s.clientsByID() {
		switch {
		case addr != nil && cl.addr != string(addr),
			laddr != nil && cl.laddr != string(laddr),
			typ != "" && cl.clientType() != typ,
			id != 0 && cl.id != id,
			skipMe && cl == c:
			continue
		}
		s.killClient(c, cl)
		killed++
	}
	switch {
	case len(args) > 3:
		c.w.Int(int64(killed))
	case killed == 0:
		c.addError("ERR No such client")
	default:
		c.w.OK()
	}
}

// killClient disconnects cl at once, as Redis's freeClient: it leaves the
// client list now and its connection is closed (its goroutine then ends).
// The caller's own connection is closed after its reply is written.
func (s *Server) killClient(self, cl *Client) {
	if cl == self {
		cl.closeAfterReply = true
		return
	}
	delete(s.clients, cl.id)
	if cl.monitor {
		s.removeMonitor(cl)
	}
	cl.pubsubReset()
	cl.disableTracking()
	s.unblock(cl)
	cl.conn.Close()
}

func cmdClientPause(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.subcommandSyntaxError(args)
		return
	}
	ms, ok := argInt(args[2])
	if !ok {
		c.addError("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.addError("ERR timeout is negative")
		return
	}
	all := true
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			all = false
		case eqFold(args[3], "all"):
		default:
			c.addError("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	// Redis 7.0 computes the end as now + timeout without an overflow
	// check: a timeout that overflows ends in the past and pauses nothing.
	if ms <= math.MaxInt64-c.srv.now {
		c.srv.pause.start(c.srv, pauseDuration(ms), all)
	}
	c.w.OK()
}

func cmdClientUnpause(c *Client, args [][]byte) {
	c.srv.pause.stop()
	c.w.OK()
}

func cmdClientReply(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.reply = replyOn
		c.w.OK()
	case eqFold(args[2], "off"):
		c.reply = replyOff
	case eqFold(args[2], "skip"):
		// Also while this command's own reply is being skipped: SKIP SKIP
		// skips the next command, as in Redis.
		if c.reply != replyOff {
			c.reply = replySkipNext
		}
	default:
		c.addError(errSyntax)
	}
}

func cmdClientNoEvict(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.noEvict = true
	case eqFold(args[2], "off"):
		c.noEvict = false
	default:
		c.addError(errSyntax)
		return
	}
	c.w.OK()
}

// cmdClientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: a blocked client
// is answered as by its timeout or with the UNBLOCKED error; 1 when there
// was one, 0 otherwise.
func cmdClientUnblock(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.subcommandSyntaxError(args)
		return
	}
	id, ok := argInt(args[2])
	if !ok {
		c.addError(errNotInt)
		return
	}
	if len(args) == 4 && !eqFold(args[3], "timeout") && !eqFold(args[3], "error") {
		c.addError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		return
	}
	target := c.srv.clients[uint64(id)]
	if id < 0 || target == nil || target.blocked == nil {
		c.w.Int(0)
		return
	}
	target.unblockReply(len(args) == 4 && eqFold(args[3], "error"))
	c.w.Int(1)
}

func cmdClientHelp(c *Client, args [][]byte) {
	c.replyHelp("CLIENT", clientHelp)
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

// replyHelp writes a container command's HELP text as Redis's
// addReplyHelp: a header line, the given lines, and the HELP line.
func (c *Client) replyHelp(name string, lines []string) {
	c.w.Array(len(lines) + 3)
	c.w.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Status(l)
	}
	c.w.Status("HELP")
	c.w.Status("    Prints this help.")
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError, for a
// known subcommand with an argument count its command refuses.
func (c *Client) subcommandSyntaxError(args [][]byte) {
	c.addError(sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		args[1], strings.ToUpper(string(args[0]))))
}

// pauseDuration converts CLIENT PAUSE's milliseconds; beyond a century the
// pause is, in practice, endless, and a century keeps time arithmetic from
// overflowing.
func pauseDuration(ms int64) time.Duration {
	const century = 100 * 365 * 24 * time.Hour
	if ms >= int64(century/time.Millisecond) {
		return century
	}
	return time.Duration(ms) * time.Millisecond
}
