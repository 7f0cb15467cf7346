package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

func restoreCommand() *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "load an RDB file into a live server over RESP, pipelined",
		ArgsUsage: "FILE",
		Description: "restore sends every selected key to a running redis-server or kv-server. By default each key\n" +
			"is one RESTORE with an RDB version 10 DUMP payload (exact encodings, LRU/LFU kept); --commands\n" +
			"sends plain writes instead (SET, RPUSH, HSET, ZADD, XADD, ...), for servers that refuse RESTORE.\n" +
			"Without --replace, keys that already exist are errors (BUSYKEY) and are counted. Replies are read\n" +
			"while commands stream (pipelining); the exit status is 1 if any command failed.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "host", Aliases: []string{"H"}, Value: "127.0.0.1", Usage: "server `HOST`"},
			&cli.IntFlag{Name: "port", Aliases: []string{"p"}, Value: 6379, Usage: "server `PORT`"},
			&cli.StringFlag{Name: "uri", Aliases: []string{"u"}, Usage: "server `URI`: redis://[user:password@]host:port"},
			&cli.StringFlag{Name: "password", Aliases: []string{"a"}, Usage: "AUTH with `PASSWORD`"},
			&cli.StringFlag{Name: "user", Usage: "AUTH as `USER` (with --password)"},
			&cli.BoolFlag{Name: "replace", Usage: "replace existing keys"},
			&cli.BoolFlag{Name: "commands", Usage: "send plain write commands instead of RESTORE"},
		}, filterFlags()...),
		Action: runRestore,
	}
}

// replyReader counts replies and errors from the server.
type replyReader struct {
	r     *bufio.Reader
	mu    sync.Mutex
	n     int64
	errs  int64
	first []string
}

// skip reads one RESP reply (of any type) and reports whether it was an
// error.
func (rr *replyReader) skip() (bool, error) {
	line, err := rr.r.ReadString('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 3 {
		return false, fmt.Errorf("bad reply %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return false, nil
	case '-':
		rr.mu.Lock()
		if len(rr.first) < 5 {
			rr.first = append(rr.first, body)
		}
		rr.mu.Unlock()
		return true, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return false, err
		}
		if n >= 0 {
			_, err = rr.r.Discard(n + 2)
		}
		return false, err
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return false, err
		}
		for i := 0; i < n; i++ {
			if _, err := rr.skip(); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("bad reply %q", line)
}

func runRestore(c *cli.Context) error {
	f, err := fileAndFilter(c)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(c.String("host"), strconv.Itoa(c.Int("port")))
	user, pass := c.String("user"), c.String("password")
	if u := c.String("uri"); u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "redis" && pu.Scheme != "kv") || pu.Host == "" {
			return usageError("--uri %q: want redis://[user:password@]host:port", u)
		}
		addr = pu.Host
		if pu.Port() == "" {
			addr = net.JoinHostPort(pu.Hostname(), "6379")
		}
		if pu.User != nil {
			if p, ok := pu.User.Password(); ok {
				user, pass = pu.User.Username(), p
			} else {
				pass = pu.User.Username()
			}
		}
	}
	in, err := openInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.close()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return usageError("%v", err)
	}
	defer conn.Close()
	in.dec.KeepModules = !c.Bool("commands")
	bw := bufio.NewWriterSize(conn, 256<<10)
	rw := newRESPWriter(bw, !c.Bool("commands"), c.Bool("replace"))
	rr := &replyReader{r: bufio.NewReaderSize(conn, 64<<10)}
	// Authenticate before pipelining: a server drops an unauthenticated
	// client that sends a large pipeline.
	if pass != "" {
		if user != "" {
			rw.command([]byte("AUTH"), []byte(user), []byte(pass))
		} else {
			rw.command([]byte("AUTH"), []byte(pass))
		}
		if err := bw.Flush(); err != nil {
			return findingError("%s: %v", addr, err)
		}
		isErr, err := rr.skip()
		if err != nil {
			return findingError("%s: %v", addr, err)
		}
		if isErr {
			return findingError("%s: AUTH: %s", addr, rr.first[0])
		}
		rw.cmds = 0
	}
	readErr := make(chan error, 1)
	var sent int64 = -1 // set when every command is written
	var sentMu sync.Mutex
	go func() {
		for {
			sentMu.Lock()
			done := sent >= 0 && rr.n >= sent
			sentMu.Unlock()
			if done {
				readErr <- nil
				return
			}
			isErr, err := rr.skip()
			if err != nil {
				readErr <- err
				return
			}
			sentMu.Lock()
			rr.n++
			if isErr {
				rr.errs++
			}
			sentMu.Unlock()
		}
	}()
	decErr := in.decode(newFilterVisitor(f, rw, in.prog))
	if err := bw.Flush(); err != nil && decErr == nil {
		decErr = err
	}
	sentMu.Lock()
	sent = rw.cmds
	caughtUp := rr.n >= sent
	sentMu.Unlock()
	if caughtUp {
		// The reader may be blocked waiting for a reply that will not
		// come; a PING makes it return.
		rw.command([]byte("PING"))
		bw.Flush()
	}
	if err := <-readErr; err != nil && !errors.Is(err, io.EOF) {
		return findingError("reading replies from %s: %v", addr, err)
	}
	if decErr != nil {
		return decErr
	}
	fmt.Fprintf(os.Stderr, "kv-rdb: sent %d commands to %s, %d errors\n", rw.cmds, addr, rr.errs)
	for _, e := range rr.first {
		fmt.Fprintf(os.Stderr, "kv-rdb: error: %s\n", e)
	}
	if rr.errs > 0 {
		return cli.Exit("", exitFinding)
	}
	return nil
}
