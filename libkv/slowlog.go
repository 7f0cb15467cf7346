package libkv

import (
	"strconv"
	"time"
)

// Slow log limits from Redis 7.0 slowlog.h: arguments kept per entry and
// bytes kept per argument.
const (
	slowlogMaxArgc = 32
	slowlogMaxArg  = 128
)

type slowlogEntry struct {
	id       int64
	time     int64 // Unix seconds
	duration int64 // microseconds
	args     [][]byte
	addr     string
	name     string
}

// slowlog is the SLOWLOG ring: newest first, at most slowlog-max-len.
type slowlog struct {
	entries []slowlogEntry
	nextID  int64
}

// record adds the command if it ran at least slowlog-log-slower-than
// microseconds (a negative threshold disables the log).
func (l *slowlog) record(s *Server, c *Client, args [][]byte, d time.Duration) {
	limit := s.conf.SlowlogLogSlowerThan
	if limit < 0 || d.Microseconds() < limit {
		return
	}
	n := min(len(args), slowlogMaxArgc)
	kept := make([][]byte, n)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgc-1 && len(args) > slowlogMaxArgc {
			kept[i] = []byte("... (" + strconv.Itoa(len(args)-slowlogMaxArgc+1) + " more arguments)")
			break
		}
		a := args[i]
		if len(a) > slowlogMaxArg {
			kept[i] = append(append([]byte(nil), a[:slowlogMaxArg]...),
				"... ("+strconv.Itoa(len(a)-slowlogMaxArg)+" more bytes)"...)
		} else {
			kept[i] = append([]byte(nil), a...)
		}
	}
	e := slowlogEntry{id: l.nextID, time: time.Now().Unix(), duration: d.Microseconds(), args: kept, addr: c.addr, name: c.name}
	l.nextID++
	l.entries = append([]slowlogEntry{e}, l.entries...)
	if limit := int(s.conf.SlowlogMaxLen); len(l.entries) > limit {
		l.entries = l.entries[:limit]
	}
}

func cmdSlowlogGet(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.subcommandSyntaxError(args)
		return
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := argInt(args[2])
		if !ok || n < -1 {
			c.addError("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	entries := c.srv.slowlog.entries
	if count >= 0 && int64(len(entries)) > count {
		entries = entries[:count]
	}
	c.w.Array(len(entries))
	for _, e := range entries {
		c.w.Array(6)
		c.w.Int(e.id)
		c.w.Int(e.time)
		c.w.Int(e.duration)
		c.w.Array(len(e.args))
		for _, a := range e.args {
			c.w.Bulk(a)
		}
		c.w.BulkString(e.addr)
		c.w.BulkString(e.name)
	}
}

func cmdSlowlogLen(c *Client, args [][]byte) { c.w.Int(int64(len(c.srv.slowlog.entries))) }

func cmdSlowlogReset(c *Client, args [][]byte) {
	c.srv.slowlog.entries = nil
	c.w.OK()
}

func cmdSlowlogHelp(c *Client, args [][]byte) {
	c.replyHelp("SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
}
