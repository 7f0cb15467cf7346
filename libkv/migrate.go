package libkv

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
)

// MIGRATE, as Redis 7.0 cluster.c migrateCommand: the keys are sent to the
// target as RESTORE commands carrying DUMP payloads, over a connection kept
// per host:port and closed after 10 s unused (migrateCloseTimedoutSockets).
//
// Like Redis, which does the network I/O synchronously in its single
// thread, MIGRATE runs entirely under the engine lock: every other client
// waits until it ends. Each connect, write and read is bounded by the
// command's timeout, so the wait is bounded too; a MIGRATE aimed at the
// server itself waits for its own timeout and fails, as in Redis.

// Limits of Redis 7.0's migrate socket cache (cluster.c).
const (
	migrateCacheItems = 64               // MIGRATE_SOCKET_CACHE_ITEMS
	migrateCacheTTL   = 10 * time.Second // MIGRATE_SOCKET_CACHE_TTL
	migrateChunk      = 64 * 1024        // writes go out in 64K chunks
	migrateLineMax    = 1023             // syncReadLine's buffer of 1024
)

// migrateSocket is one cached connection to a MIGRATE target.
type migrateSocket struct {
	conn    net.Conn
	r       *bufio.Reader
	lastDB  int64 // database last SELECTed on it, -1 for unknown
	lastUse time.Time
}

func init() {
	keyCommands["migrate"] = cmdMigrate
}

// errMigrateConnect is migrateGetSocket's error when the target cannot be
// reached at all (Redis passes it to addReplyError with its dash).
const errMigrateConnect = "IOERR error or timeout connecting to the client"

// migrateGetSocket returns the cached connection to host:port, or opens
// one. A refused connection is not an error here: Redis's non-blocking
// connect reports it only on the first write, so it is returned as a
// socket whose writes fail. It returns nil after a resolution failure or a
// connect timeout.
func (s *Server) migrateGetSocket(host, port []byte, timeout time.Duration) (*migrateSocket, string) {
	name := string(host) + ":" + string(port)
	if cs := s.migrateSockets[name]; cs != nil {
		cs.lastUse = time.Now()
		return cs, name
	}
	if len(s.migrateSockets) >= migrateCacheItems {
		// Too many: drop one at random, as Redis.
		n := rand.IntN(len(s.migrateSockets))
		for k, cs := range s.migrateSockets {
			if n == 0 {
				cs.conn.Close()
				delete(s.migrateSockets, k)
				break
			}
			n--
		}
	}
	addr := net.JoinHostPort(string(host), strconv.Itoa(atoiPrefix(port)))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" && !op.Timeout() && op.Addr != nil {
			// Resolved, then refused or reset: a socket that fails on use.
			conn = failedConn{err: err}
		} else {
			return nil, name
		}
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cs := &migrateSocket{conn: conn, r: bufio.NewReader(conn), lastDB: -1, lastUse: time.Now()}
	if s.migrateSockets == nil {
		s.migrateSockets = make(map[string]*migrateSocket)
	}
	s.migrateSockets[name] = cs
	return cs, name
}

// migrateCloseSocket drops the cached connection name, if any.
func (s *Server) migrateCloseSocket(name string) {
	if cs := s.migrateSockets[name]; cs != nil {
		cs.conn.Close()
		delete(s.migrateSockets, name)
	}
}

// migrateCron closes the cached connections unused for 10 seconds
// (Redis's migrateCloseTimedoutSockets, run once a second).
func (s *Server) migrateCron(now time.Time) {
	if now.Sub(s.migrateCronLast) < time.Second {
		return
	}
	s.migrateCronLast = now
	for name, cs := range s.migrateSockets {
		if now.Sub(cs.lastUse) > migrateCacheTTL {
			s.migrateCloseSocket(name)
		}
	}
}

// migrateCloseAll closes every cached connection (at shutdown).
func (s *Server) migrateCloseAll() {
	for name := range s.migrateSockets {
		s.migrateCloseSocket(name)
	}
}

// atoiPrefix is C's atoi on a port argument: leading digits, else 0.
func atoiPrefix(b []byte) int {
	n := 0
	for _, ch := range b {
		if ch < '0' || ch > '9' || n > 1<<20 {
			break
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

// failedConn is a connection whose connect failed after resolution: every
// read and write returns that error.
type failedConn struct {
	net.Conn
	err error
}

func (f failedConn) Read([]byte) (int, error)         { return 0, f.err }
func (f failedConn) Write([]byte) (int, error)        { return 0, f.err }
func (f failedConn) Close() error                     { return nil }
func (f failedConn) SetReadDeadline(time.Time) error  { return nil }
func (f failedConn) SetWriteDeadline(time.Time) error { return nil }

// appendBulkCommand appends args as a RESP array of bulk strings.
func appendBulkCommand(buf []byte, args ...[]byte) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}

// writeAll sends buf in 64K chunks, each bounded by timeout (connSyncWrite).
func (cs *migrateSocket) writeAll(buf []byte, timeout time.Duration) error {
	for len(buf) > 0 {
		n := min(len(buf), migrateChunk)
		cs.conn.SetWriteDeadline(time.Now().Add(timeout))
		w, err := cs.conn.Write(buf[:n])
		if err != nil {
			return err
		}
		buf = buf[w:]
	}
	return nil
}

// readLine reads one reply line bounded by timeout, without its CRLF, cut
// to the 1023 bytes syncReadLine keeps. An empty line is an error, as
// syncReadLine's zero return is.
func (cs *migrateSocket) readLine(timeout time.Duration) (string, error) {
	cs.conn.SetReadDeadline(time.Now().Add(timeout))
	var line []byte
	for {
		chunk, err := cs.r.ReadSlice('\n')
		if len(line) < migrateLineMax+2 {
			line = append(line, chunk[:min(len(chunk), migrateLineMax+2-len(line))]...)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	l := string(line)
	for len(l) > 0 && (l[len(l)-1] == '\n' || l[len(l)-1] == '\r') {
		l = l[:len(l)-1]
	}
	if len(l) > migrateLineMax {
		l = l[:migrateLineMax]
	}
	if l == "" {
		return "", errors.New("empty reply line")
	}
	return l, nil
}

// isTimeout reports an I/O deadline expiry (Redis's errno == ETIMEDOUT).
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// cmdMigrate is MIGRATE host port key|"" destination-db timeout [COPY]
// [REPLACE] [AUTH password] [AUTH2 username password] [KEYS key ...].
// Replies +OK, +NOKEY when no key exists, -IOERR on a connection failure
// (after one retry with a fresh connection unless it timed out), or the
// target's first error as "ERR Target instance replied with error: ...".
// The keys the target acknowledged are deleted unless COPY, and propagate
// as a DEL of those keys.
func cmdMigrate(c *Client, args [][]byte) {
	s := c.srv
	copyKeys, replace := false, false
	var username, password []byte
	firstKey, numKeys := 3, 1
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "copy"):
			copyKeys = true
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "auth"):
			if more < 1 {
				c.addError(errSyntax)
				return
			}
			j++
			password = args[j]
		case eqFold(args[j], "auth2"):
			if more < 2 {
				c.addError(errSyntax)
				return
			}
			username, password = args[j+1], args[j+2]
			j += 2
		case eqFold(args[j], "keys"):
			if len(args[3]) != 0 {
				c.addError("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			firstKey, numKeys = j+1, len(args)-j-1
			j = len(args) // the remaining arguments are keys
		default:
			c.addError(errSyntax)
			return
		}
	}
	timeoutMS, ok := c.intArg(args[5])
	if !ok {
		return
	}
	dbid, ok := c.intArg(args[4])
	if !ok {
		return
	}
	if timeoutMS <= 0 {
		timeoutMS = 1000
	}
	timeout := time.Duration(min(timeoutMS, int64(time.Duration(1<<62)/time.Millisecond))) * time.Millisecond

	type item struct {
		key []byte
		o   *Object
	}
	var items []item
	for _, k := range args[firstKey : firstKey+numKeys] {
		if o := c.lookupRead(k); o != nil {
			items = append(items, item{k, o})
		}
	}
	if len(items) == 0 {
		c.w.Status("NOKEY")
		return
	}
	restore := []byte("RESTORE")
	if s.conf.ClusterEnabled {
		restore = []byte("RESTORE-ASKING")
	}

	mayRetry := true
	for {
		writeError := false
		cs, name := s.migrateGetSocket(args[1], args[2], timeout)
		if cs == nil {
			c.addError(errMigrateConnect)
			return
		}
		var buf []byte
		if password != nil {
			if username != nil {
				buf = appendBulkCommand(buf, []byte("AUTH"), username, password)
			} else {
				buf = appendBulkCommand(buf, []byte("AUTH"), password)
			}
		}
		sel := cs.lastDB != dbid
		if sel {
			buf = appendBulkCommand(buf, []byte("SELECT"), propInt(dbid))
		}
		// Keys that expired since the lookup are left out, as Redis.
		var sent []item
		nowMS := time.Now().UnixMilli()
		for _, it := range items {
			var ttl int64
			if at := c.db.expireAt(it.key); at != -1 {
				ttl = at - nowMS
				if ttl < 0 {
					continue
				}
				ttl = max(ttl, 1)
			}
			p, err := dumpPayload(it.o)
			if err != nil {
				c.addError("ERR " + err.Error())
				return
			}
			sent = append(sent, it)
			if replace {
				buf = appendBulkCommand(buf, restore, it.key, propInt(ttl), p, []byte("REPLACE"))
			} else {
				buf = appendBulkCommand(buf, restore, it.key, propInt(ttl), p)
			}
		}

		var err error
		if err = cs.writeAll(buf, timeout); err != nil {
			writeError = true
		}
		var authReply, selReply string
		if err == nil && password != nil {
			authReply, err = cs.readLine(timeout)
		}
		if err == nil && sel {
			selReply, err = cs.readLine(timeout)
		}
		if err != nil {
			// Nothing was acknowledged: retry once on a new connection
			// unless the target timed out.
			s.migrateCloseSocket(name)
			if !isTimeout(err) && mayRetry {
				mayRetry = false
				continue
			}
			c.addError(migrateIOError(writeError))
			return
		}

		targetErr := false
		var deleted [][]byte
		j := 0
		for ; j < len(sent); j++ {
			reply, rerr := cs.readLine(timeout)
			if rerr != nil {
				err = rerr
				break
			}
			if (password != nil && authReply[0] == '-') || (sel && selReply[0] == '-') || reply[0] == '-' {
				if !targetErr {
					cs.lastDB = -1
					e := reply
					if password != nil && authReply[0] == '-' {
						e = authReply
					} else if sel && selReply[0] == '-' {
						e = selReply
					}
					targetErr = true
					c.addError("ERR Target instance replied with error: " + e[1:])
				}
			} else if !copyKeys {
				key := sent[j].key
				s.deleteKey(c.db, key)
				s.notifyKeyspaceEvent(config.NotifyGeneric, "del", key, c.db.id)
				s.dirty++
				deleted = append(deleted, key)
			}
		}
		if !targetErr && err != nil && j == 0 && mayRetry && !isTimeout(err) {
			s.migrateCloseSocket(name)
			mayRetry = false
			continue
		}
		if err != nil {
			s.migrateCloseSocket(name)
		}
		if len(deleted) > 0 {
			c.propagateAs(append([][]byte{[]byte("DEL")}, deleted...)...)
		}
		if !targetErr && err != nil {
			c.addError(migrateIOError(false))
			return
		}
		if !targetErr {
			cs.lastDB = dbid
			c.w.OK()
		}
		return
	}
}

// migrateIOError is MIGRATE's reply to a connection failure.
func migrateIOError(writing bool) string {
	if writing {
		return "IOERR error or timeout writing to target instance"
	}
	return "IOERR error or timeout reading to target instance"
}
