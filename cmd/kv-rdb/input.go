package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

// input is an opened RDB source with its progress reporter.
type input struct {
	name  string
	f     *os.File
	size  int64 // -1 when unknown (a pipe)
	count *countingReader
	dec   *librdb.Decoder
	prog  *progress
}

// countingReader counts the raw bytes read (before lz4 decompression), for
// progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// openInput opens path ("-" is standard input). A missing or unreadable
// file is a usage error (exit status 2).
func openInput(c *cli.Context, path string) (*input, error) {
	in := &input{name: path, size: -1}
	if path == "-" {
		in.f = os.Stdin
		in.name = "standard input"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageError("%v", err)
		}
		in.f = f
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			in.size = st.Size()
		}
	}
	in.count = &countingReader{r: in.f}
	in.dec = librdb.NewDecoder(in.count)
	in.prog = newProgress(c, in)
	return in, nil
}

func (in *input) close() {
	in.prog.stop()
	if in.f != os.Stdin {
		in.f.Close()
	}
}

// decode runs the decoder and turns a corrupt-file error into exit status 1.
func (in *input) decode(v librdb.Visitor) error {
	err := in.dec.Decode(v)
	in.prog.stop()
	return in.result(err)
}

func (in *input) result(err error) error {
	var re *librdb.Error
	if errors.As(err, &re) {
		return findingError("%s: %v", in.name, err)
	}
	return err
}

// progress prints bytes read, keys, rate and ETA to a terminal standard
// error every quarter second; it is silent when standard error is not a
// terminal or --quiet is given.
type progress struct {
	in    *input
	keys  atomic.Int64
	done  chan struct{}
	start time.Time
	on    bool
}

func stderrIsTerminal() bool {
	st, err := os.Stderr.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(c *cli.Context, in *input) *progress {
	p := &progress{in: in, done: make(chan struct{}), start: time.Now()}
	if c.Bool("quiet") || !stderrIsTerminal() {
		return p
	}
	p.on = true
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(os.Stderr, "\r\033[K"+p.line())
			}
		}
	}()
	return p
}

func (p *progress) line() string {
	n := p.in.count.n.Load()
	el := time.Since(p.start).Seconds()
	rate := float64(n) / el
	s := fmt.Sprintf("%s read, %d keys, %s/s", humanBytes(n), p.keys.Load(), humanBytes(int64(rate)))
	if p.in.size > 0 && rate > 0 {
		eta := time.Duration(float64(p.in.size-n)/rate) * time.Second
		s += fmt.Sprintf(", %.1f%%, ETA %s", 100*float64(n)/float64(p.in.size), eta.Round(time.Second))
	}
	return s
}

func (p *progress) stop() {
	if p.on {
		select {
		case <-p.done:
		default:
			close(p.done)
		}
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// bufferedStdout returns a buffered standard output and its flush.
func bufferedStdout() (*bufio.Writer, func() error) {
	w := bufio.NewWriterSize(os.Stdout, 256<<10)
	return w, w.Flush
}
