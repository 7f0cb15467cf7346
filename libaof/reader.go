package libaof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kvkit/kvkit/internal/sds"
)

// RecordKind says what a Record holds.
type RecordKind int

// The records of an AOF command stream.
const (
	// Command is a RESP array of bulk strings: "*<argc>\r\n" then argc
	// times "$<len>\r\n<bytes>\r\n".
	Command RecordKind = iota
	// Annotation is a line starting with '#', such as the "#TS:<unix
	// seconds>\r\n" lines of aof-timestamp-enabled (Redis 7.0).
	Annotation
)

// Record is one command or annotation of an AOF. Its slices point into the
// Reader's buffers and are valid until the next call to Next.
type Record struct {
	Kind   RecordKind
	Offset int64 // stream offset of the record's first byte ('*' or '#')
	End    int64 // stream offset just past the record
	// Argc is a command's argument count as its header says (and as read).
	Argc int64
	// Args holds a command's arguments, Args[0] being the command name
	// (the first Reader.MaxArgs of them when that is set).
	// An argument longer than Reader.MaxArgLen holds only its first
	// MaxArgLen bytes; Sizes holds every argument's real length.
	Args  [][]byte
	Sizes []int64
	// Line is an annotation's text: what follows '#', without the line end.
	Line []byte
}

// SyntaxError is a place where the stream stops being a valid AOF. Offset is
// the stream offset of the bad byte or of the item that could not be read in
// full (as redis-check-aof's "0x<offset>: <reason>"). Truncated is true when
// the stream simply ended too early: the bytes before Offset were fine.
type SyntaxError struct {
	Offset    int64
	Reason    string
	Truncated bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("offset %d (0x%x): %s", e.Offset, e.Offset, e.Reason)
}

// Limits that follow redis-check-aof 7.0: header lines are read with
// fgets(buf,128) and annotations with fgets(buf,1024), so a longer line is
// not accepted as one line.
const (
	maxHeaderLine     = 127
	maxAnnotationLine = 1023
	maxBulkLen        = math.MaxInt64 - 2 // LONG_MAX - 2
	defaultBufSize    = 1 << 20
	inlineArgMax      = 64 << 10 // bigger arguments are streamed, not buffered
)

// Reader reads an AOF command stream: RESP commands and '#' annotation
// lines, accepting exactly what redis-check-aof 7.0 accepts
// (redis-check-aof.c checkSingleAof/processRESP), so that the offset where
// it stops agrees with redis-check-aof's ok_up_to. Lengths are parsed as C
// strtol does (leading blanks and a sign allowed, "\r\n" required right
// after the digits); a command may have zero arguments ("*0\r\n" — the
// server's loader rejects it, the checker does not); an annotation line ends
// at "\n" or after 1023 bytes.
//
// Memory stays bounded whatever the input: the buffer is 1 MiB, arguments
// longer than 64 KiB are streamed through it, and a claimed length is never
// allocated before the bytes arrive.
type Reader struct {
	// MaxArgLen, when > 0, keeps at most that many bytes of each argument
	// (the rest is read and dropped); 0 keeps everything.
	MaxArgLen int
	// MaxArgs, when > 0, keeps at most that many arguments of a command;
	// the others are read and checked but not kept (Record.Argc counts
	// them all). 0 keeps every argument.
	MaxArgs int

	rd   io.Reader
	rerr error  // first error from rd (io.EOF at the end)
	buf  []byte // buffered input: buf[pos:end] is unread
	pos  int
	end  int
	base int64 // stream offset of buf[0]
	keep int   // buf[keep:] must survive refills (the current command)

	err error // sticky: after an error every Next returns it

	refs  []argRef
	arena []byte
	rec   Record
}

type argRef struct {
	inArena bool
	off, n  int
	size    int64
}

// NewReader returns a Reader of rd whose first byte is at stream offset
// offset (non-zero after an RDB preamble, so that offsets are file offsets).
func NewReader(rd io.Reader, offset int64) *Reader {
	return &Reader{rd: rd, buf: make([]byte, defaultBufSize), base: offset}
}

// Offset returns the stream offset of the next unread byte.
func (r *Reader) Offset() int64 { return r.base + int64(r.pos) }

// Buffered returns the number of bytes read from the underlying reader and
// not consumed yet.
func (r *Reader) Buffered() int { return r.end - r.pos }

// fill reads more input so that at least need bytes are unread, keeping
// buf[r.keep:]. It returns false when the input ends first (r.rerr says why).
// need must not exceed len(r.buf).
func (r *Reader) fill(need int) bool {
	for r.end-r.pos < need {
		if r.rerr != nil {
			return false
		}
		if len(r.buf)-r.end < need-(r.end-r.pos) {
			if r.keep > 0 {
				r.shift(r.keep)
			}
			if len(r.buf)-r.end < need-(r.end-r.pos) {
				// The current command does not fit: move its arguments
				// out of the buffer and keep only the unread part.
				r.evacuate()
				r.shift(r.pos)
			}
		}
		n, err := r.rd.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.rerr = err
		} else if n == 0 {
			continue
		}
	}
	return true
}

// shift drops buf[:n].
func (r *Reader) shift(n int) {
	copy(r.buf, r.buf[n:r.end])
	r.end -= n
	r.pos -= n
	r.keep -= n
	r.base += int64(n)
	for i := range r.refs {
		if !r.refs[i].inArena {
			r.refs[i].off -= n
		}
	}
}

// evacuate copies the current command's buffered arguments into the arena.
func (r *Reader) evacuate() {
	for i := range r.refs {
		a := &r.refs[i]
		if !a.inArena {
			off := len(r.arena)
			r.arena = append(r.arena, r.buf[a.off:a.off+a.n]...)
			a.inArena, a.off = true, off
		}
	}
	r.keep = r.pos
}

func (r *Reader) readErr() error {
	if r.rerr == io.EOF {
		return nil
	}
	return r.rerr
}

// Next returns the next record. At the clean end of the stream it returns
// io.EOF; at a place that is not a valid AOF, a *SyntaxError (Truncated when
// the input ended inside the record); an error of the underlying reader is
// returned as is. After an error, Next keeps returning it.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (*Record, error) {
	r.keep = r.pos
	r.refs = r.refs[:0]
	r.arena = r.arena[:0]
	if !r.fill(1) {
		if err := r.readErr(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	start := r.Offset()
	switch r.buf[r.pos] {
	case '#':
		return r.annotation(start)
	case '*':
		return r.command(start)
	}
	return nil, &SyntaxError{Offset: start, Reason: fmt.Sprintf("format error: expected '*' or '#' at the start of a record, got %s", quoteByte(r.buf[r.pos]))}
}

func (r *Reader) annotation(start int64) (*Record, error) {
	n := r.lineLen(maxAnnotationLine)
	if n < 0 {
		return nil, r.readErr()
	}
	line := r.buf[r.pos+1 : r.pos+n]
	r.pos += n
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	r.rec = Record{Kind: Annotation, Offset: start, End: r.Offset(), Line: line}
	return &r.rec, nil
}

// lineLen returns the length of the line at r.pos as fgets(buf, max+1)
// reads it: through the first '\n', or max bytes, or up to the end of the
// input. It returns -1 on a read error.
func (r *Reader) lineLen(max int) int {
	for scanned := 0; ; {
		avail := r.end - r.pos
		if i := bytes.IndexByte(r.buf[r.pos+scanned:r.pos+min(avail, max)], '\n'); i >= 0 {
			return scanned + i + 1
		}
		if avail >= max {
			return max
		}
		scanned = avail
		if !r.fill(avail + 1) {
			if r.readErr() != nil {
				return -1
			}
			return r.end - r.pos
		}
	}
}

// header reads a "<prefix><number>\r\n" line as readLong does.
func (r *Reader) header(prefix byte, what string) (int64, error) {
	// Fast path for what Redis writes: prefix, 1-18 digits, "\r\n".
	if b := r.buf[r.pos:r.end]; len(b) > 3 && b[0] == prefix {
		var v int64
		i := 1
		for ; i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9'; i++ {
			v = v*10 + int64(b[i]-'0')
		}
		if i > 1 && i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			r.pos += i + 2
			return v, nil
		}
	}
	at := r.Offset()
	n := r.lineLen(maxHeaderLine)
	if n < 0 {
		return 0, r.readErr()
	}
	if n == 0 {
		return 0, &SyntaxError{Offset: at, Reason: "unexpected end of file, expected " + what, Truncated: true}
	}
	line := r.buf[r.pos : r.pos+n]
	r.pos += n
	if line[0] != prefix {
		return 0, &SyntaxError{Offset: at, Reason: fmt.Sprintf("expected '%c' (%s), got %s", prefix, what, quoteByte(line[0]))}
	}
	v, rest := strtol(line[1:])
	if len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n' {
		return v, nil
	}
	truncated := line[n-1] != '\n' && n < maxHeaderLine // the input ended inside the line
	got := rest
	if len(got) > 2 {
		got = got[:2]
	}
	return 0, &SyntaxError{Offset: at, Reason: fmt.Sprintf("expected \"\\r\\n\" after the %s, got %q", what, got), Truncated: truncated}
}

// strtol parses b as C strtol(b, &end, 10) does and returns the value and
// the bytes after it. Without digits the value is 0 and rest is all of b;
// out-of-range values clamp to LONG_MIN/LONG_MAX.
func strtol(b []byte) (int64, []byte) {
	i := 0
	for i < len(b) && sds.IsSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	j := i
	var n uint64
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		if n <= 1<<63 {
			n = n*10 + uint64(b[j]-'0')
		}
	}
	if j == i {
		return 0, b
	}
	switch {
	case neg && n >= 1<<63:
		return math.MinInt64, b[j:]
	case neg:
		return -int64(n), b[j:]
	case n > math.MaxInt64:
		return math.MaxInt64, b[j:]
	}
	return int64(n), b[j:]
}

func (r *Reader) command(start int64) (*Record, error) {
	argc, err := r.header('*', "argument count")
	if err != nil {
		return nil, err
	}
	for i := int64(0); i < argc; i++ {
		if err := r.bulk(); err != nil {
			return nil, err
		}
	}
	rec := &r.rec
	*rec = Record{Kind: Command, Offset: start, End: r.Offset(), Argc: max(argc, 0), Args: rec.Args[:0], Sizes: rec.Sizes[:0]}
	for _, a := range r.refs {
		if a.inArena {
			rec.Args = append(rec.Args, r.arena[a.off:a.off+a.n:a.off+a.n])
		} else {
			rec.Args = append(rec.Args, r.buf[a.off:a.off+a.n:a.off+a.n])
		}
		rec.Sizes = append(rec.Sizes, a.size)
	}
	return rec, nil
}

func (r *Reader) bulk() error {
	n, err := r.header('$', "bulk length")
	if err != nil {
		return err
	}
	if n < 0 || n > maxBulkLen {
		return &SyntaxError{Offset: r.Offset(), Reason: fmt.Sprintf("bulk length %d is out of range", n)}
	}
	at := r.Offset()
	keepN := n
	if r.MaxArgLen > 0 && keepN > int64(r.MaxArgLen) {
		keepN = int64(r.MaxArgLen)
	}
	keep := r.MaxArgs <= 0 || len(r.refs) < r.MaxArgs
	if !keep {
		keepN = 0
	}
	if n <= inlineArgMax {
		if r.end-r.pos < int(n)+2 && !r.fill(int(n)+2) {
			if err := r.readErr(); err != nil {
				return err
			}
			return &SyntaxError{Offset: at, Truncated: true,
				Reason: fmt.Sprintf("expected to read %d bytes, got %d", n+2, r.end-r.pos)}
		}
		if keep {
			r.refs = append(r.refs, argRef{off: r.pos, n: int(keepN), size: n})
		}
		r.pos += int(n)
	} else {
		// Stream a long argument through the buffer into the arena.
		r.evacuate()
		ref := argRef{inArena: true, off: len(r.arena), size: n}
		for left := n; left > 0; {
			if r.pos == r.end && !r.fill(1) {
				if err := r.readErr(); err != nil {
					return err
				}
				got := n - left + int64(r.end-r.pos)
				return &SyntaxError{Offset: at, Truncated: true,
					Reason: fmt.Sprintf("expected to read %d bytes, got %d", n+2, got)}
			}
			k := int(min(left, int64(r.end-r.pos)))
			if room := int(keepN) - ref.n; room > 0 {
				c := min(room, k)
				r.arena = append(r.arena, r.buf[r.pos:r.pos+c]...)
				ref.n += c
			}
			r.pos += k
			r.keep = r.pos
			left -= int64(k)
		}
		if keep {
			r.refs = append(r.refs, ref)
		}
		if !r.fill(2) {
			if err := r.readErr(); err != nil {
				return err
			}
			return &SyntaxError{Offset: at, Truncated: true,
				Reason: fmt.Sprintf("expected to read %d bytes, got %d", n+2, n+int64(r.end-r.pos))}
		}
	}
	if r.buf[r.pos] != '\r' || r.buf[r.pos+1] != '\n' {
		return &SyntaxError{Offset: at, Reason: fmt.Sprintf("expected \"\\r\\n\" after %d bytes of bulk data, got %q", n, r.buf[r.pos:r.pos+2])}
	}
	r.pos += 2
	return nil
}

func quoteByte(c byte) string {
	return fmt.Sprintf("%q (0x%02x)", rune(c), c)
}

// IsTruncated reports whether err is a *SyntaxError for input that ended
// too early.
func IsTruncated(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) && se.Truncated
}
