// Package resptest talks RESP to a server at the byte level, for tests that
// compare replies exactly: it sends commands as multibulk arrays (or raw
// bytes) and returns each reply's raw bytes, aggregates included.
package resptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Conn is a test connection to a RESP server.
type Conn struct {
	nc net.Conn
	rd *bufio.Reader
}

// Dial connects to addr with a 10 s deadline per operation.
func Dial(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, rd: bufio.NewReader(nc)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Encode returns args as a RESP multibulk request.
func Encode(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// Write sends raw bytes.
func (c *Conn) Write(b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

// Do sends one command and returns its reply's raw bytes.
func (c *Conn) Do(args ...string) ([]byte, error) {
	if err := c.Write(Encode(args...)); err != nil {
		return nil, err
	}
	return c.Read()
}

// Read returns the raw bytes of the next reply (within 10 s).
func (c *Conn) Read() ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out []byte
	err := c.read(&out)
	return out, err
}

// ReadTimeout is Read with a custom deadline; a timeout is an error.
func (c *Conn) ReadTimeout(d time.Duration) ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	var out []byte
	err := c.read(&out)
	return out, err
}

func (c *Conn) read(out *[]byte) error {
	line, err := c.rd.ReadBytes('\n')
	*out = append(*out, line...)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("resptest: malformed reply line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("resptest: bad length %q", line)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(c.rd, buf); err != nil {
			return err
		}
		*out = append(*out, buf...)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("resptest: bad length %q", line)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := c.read(out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("resptest: unknown reply type %q", line)
}

func readFull(rd *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := rd.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadUntilClose returns everything the server sends until it closes the
// connection or d passes; closed reports whether it closed.
func (c *Conn) ReadUntilClose(d time.Duration) (data []byte, closed bool) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		n, err := c.rd.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return data, false
			}
			return data, true
		}
	}
}

// Elements splits the raw bytes of an aggregate reply (array, set, map,
// push) into its header line and the raw bytes of each element (each map
// key and value separately); a non-aggregate reply has no elements.
func Elements(raw []byte) (header []byte, elems [][]byte, err error) {
	c := &Conn{rd: bufio.NewReader(bytes.NewReader(raw))}
	line, err := c.rd.ReadBytes('\n')
	if err != nil {
		return nil, nil, err
	}
	switch line[0] {
	case '*', '~', '>', '%':
	default:
		return line, nil, nil
	}
	n, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil || n < 0 {
		return line, nil, nil
	}
	if line[0] == '%' {
		n *= 2
	}
	for i := 0; i < n; i++ {
		var e []byte
		if err := c.read(&e); err != nil {
			return nil, nil, err
		}
		elems = append(elems, e)
	}
	return line, elems, nil
}
