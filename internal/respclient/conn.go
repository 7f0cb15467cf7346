package respclient

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// AppendCommand appends args as a RESP multi-bulk request (*N then $len
// bulk strings), the form Redis parses in networking.c
// processMultibulkBuffer.
func AppendCommand(buf []byte, args ...string) []byte {
	buf = AppendArrayHeader(buf, len(args))
	for _, a := range args {
		buf = AppendBulkHeader(buf, len(a))
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}

// AppendArrayHeader appends "*n\r\n".
func AppendArrayHeader(buf []byte, n int) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, '\r', '\n')
}

// AppendBulkHeader appends "$n\r\n"; the caller appends the n bytes and
// the closing CRLF.
func AppendBulkHeader(buf []byte, n int) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, '\r', '\n')
}

// Conn is a connection to a RESP server: the raw net.Conn for the caller's
// own pipelined writes and a Reader for the replies.
type Conn struct {
	Net  net.Conn
	R    *Reader
	Addr string
	wbuf []byte
}

// Dial connects to addr over network ("tcp" or "unix") within timeout and
// disables Nagle's algorithm on TCP, as redis-benchmark does (hiredis sets
// TCP_NODELAY), so that small requests leave at once.
func Dial(network, addr string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return &Conn{Net: nc, R: NewReader(nc, 16<<10), Addr: addr}, nil
}

// Do sends one command and reads its reply. An error reply is returned as
// a Value of Kind '-', not as err; err is an I/O or protocol error.
func (c *Conn) Do(args ...string) (Value, error) {
	c.wbuf = AppendCommand(c.wbuf[:0], args...)
	if _, err := c.Net.Write(c.wbuf); err != nil {
		return Value{}, err
	}
	return c.R.ReadValue()
}

// DoOK is Do for commands whose error reply is a failure: it returns the
// error reply as an error naming the command.
func (c *Conn) DoOK(args ...string) (Value, error) {
	v, err := c.Do(args...)
	if err != nil {
		return v, fmt.Errorf("%s %s: %w", c.Addr, args[0], err)
	}
	if e := v.Err(); e != "" {
		return v, fmt.Errorf("%s %s: %s", c.Addr, args[0], e)
	}
	return v, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.Net.Close() }
