package libkv

import (
	"bufio"
	"io"
	"strconv"

	"github.com/kvkit/kvkit/libaof"
	"github.com/kvkit/kvkit/libkv/resp"
	"github.com/kvkit/kvkit/librdb"
)

// The RESP form of an AOF BASE file (aof-use-rdb-preamble no), as Redis
// 7.0's rewriteAppendOnlyFileRio writes it: a "#TS:" annotation with
// aof-timestamp-enabled, FUNCTION LOAD of each library, then per non-empty
// database SELECT and per key SET, or RPUSH/SADD/ZADD/HMSET batches of at
// most AOF_REWRITE_ITEMS_PER_CMD elements, or a stream's XADDs, XSETID,
// XGROUP CREATE, XGROUP CREATECONSUMER and XCLAIM ... JUSTID FORCE; then
// PEXPIREAT for a key with an expiry.
//
// The forkless snapshot (snapshot.go) produces an RDB stream whatever the
// BASE's form; respBase decodes that stream as it is written and writes
// the commands instead, so the point-in-time walk is the same for both.

// aofRewriteItemsPerCmd is Redis's AOF_REWRITE_ITEMS_PER_CMD.
const aofRewriteItemsPerCmd = 64

// respBase is an io.WriteCloser taking an RDB stream and writing the
// equivalent RESP commands to its destination; Close waits for the last
// command and reports the first error (a malformed stream or a write
// error).
type respBase struct {
	pw   *io.PipeWriter
	done chan error
}

// newRESPBase starts converting into w; ts > 0 writes the "#TS:<ts>"
// annotation first.
func newRESPBase(w io.Writer, ts int64) *respBase {
	pr, pw := io.Pipe()
	rb := &respBase{pw: pw, done: make(chan error, 1)}
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		if ts > 0 {
			bw.Write(libaof.AppendTimestamp(nil, ts))
		}
		v := &respBaseVisitor{w: bw, db: -1}
		dec := librdb.NewDecoder(pr)
		dec.VerifyChecksum = false // our own stream, in memory
		err := dec.Decode(v)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			_, err = io.Copy(io.Discard, pr) // nothing follows the EOF record
		}
		pr.CloseWithError(err)
		rb.done <- err
	}()
	return rb
}

func (rb *respBase) Write(b []byte) (int, error) { return rb.pw.Write(b) }

func (rb *respBase) Close() error {
	rb.pw.Close()
	return <-rb.done
}

// respBaseVisitor writes the commands of each record.
type respBaseVisitor struct {
	librdb.NopVisitor
	w     *bufio.Writer
	db    int
	key   []byte
	name  string   // the batch command of the current key
	items [][]byte // the pending batch's arguments, copied
	n     int      // elements in the pending batch
	num   []byte
}

func (v *respBaseVisitor) header(n int) {
	v.w.WriteByte('*')
	v.num = strconv.AppendInt(v.num[:0], int64(n), 10)
	v.w.Write(v.num)
	v.w.WriteString("\r\n")
}

func (v *respBaseVisitor) bulk(b []byte) {
	v.w.WriteByte('$')
	v.num = strconv.AppendInt(v.num[:0], int64(len(b)), 10)
	v.w.Write(v.num)
	v.w.WriteString("\r\n")
	v.w.Write(b)
	v.w.WriteString("\r\n")
}

func (v *respBaseVisitor) command(args ...[]byte) {
	v.header(len(args))
	for _, a := range args {
		v.bulk(a)
	}
}

func (v *respBaseVisitor) Function(f *librdb.Function) error {
	code := f.Code
	if f.PreGA {
		code = append([]byte("#!"+f.Engine+" name="+f.Name+"\n"), code...)
	}
	v.command([]byte("FUNCTION"), []byte("LOAD"), code)
	return nil
}

func (v *respBaseVisitor) BeginKey(k *librdb.Key) error {
	if k.DB != v.db {
		v.command([]byte("SELECT"), strconv.AppendInt(nil, int64(k.DB), 10))
		v.db = k.DB
	}
	v.key = append(v.key[:0], k.Key...)
	v.name, v.n = "", 0
	v.items = v.items[:0]
	return nil
}

// add queues one element (its arguments copied: they alias the decoder's
// buffers) of a batch command, writing the batch when it is full.
func (v *respBaseVisitor) add(name string, args ...[]byte) {
	v.name = name
	for _, a := range args {
		v.items = append(v.items, append([]byte(nil), a...))
	}
	if v.n++; v.n == aofRewriteItemsPerCmd {
		v.flush()
	}
}

func (v *respBaseVisitor) flush() {
	if v.n == 0 {
		return
	}
	v.header(2 + len(v.items))
	v.bulk([]byte(v.name))
	v.bulk(v.key)
	for _, a := range v.items {
		v.bulk(a)
	}
	v.items, v.n = v.items[:0], 0
}

func (v *respBaseVisitor) StringValue(_ *librdb.Key, b []byte) error {
	v.command([]byte("SET"), v.key, b)
	return nil
}

func (v *respBaseVisitor) ListElement(_ *librdb.Key, e []byte) error {
	v.add("RPUSH", e)
	return nil
}

func (v *respBaseVisitor) SetMember(_ *librdb.Key, m []byte) error {
	v.add("SADD", m)
	return nil
}

func (v *respBaseVisitor) HashField(_ *librdb.Key, f, val []byte, _ int64) error {
	v.add("HMSET", f, val)
	return nil
}

func (v *respBaseVisitor) ZSetMember(_ *librdb.Key, m []byte, score float64) error {
	v.add("ZADD", resp.FormatDouble(nil, score), m)
	return nil
}

func (v *respBaseVisitor) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	v.header(3 + len(e.Fields))
	v.bulk([]byte("XADD"))
	v.bulk(v.key)
	v.bulk([]byte(e.ID.String()))
	for _, f := range e.Fields {
		v.bulk(f)
	}
	return nil
}

// StreamMeta writes what rewriteStreamObject writes after the entries.
func (v *respBaseVisitor) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	id := func(x librdb.StreamID) []byte { return []byte(x.String()) }
	num := func(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
	if m.Length == 0 {
		// An empty stream: the XADD MAXLEN 0 trick.
		v.command([]byte("XADD"), v.key, []byte("MAXLEN"), []byte("0"), []byte("0-1"), []byte("x"), []byte("y"))
	}
	v.command([]byte("XSETID"), v.key, id(m.LastID), []byte("ENTRIESADDED"), strconv.AppendUint(nil, m.EntriesAdded, 10),
		[]byte("MAXDELETEDID"), id(m.MaxDeletedID))
	for _, g := range m.Groups {
		v.command([]byte("XGROUP"), []byte("CREATE"), v.key, g.Name, id(g.LastID), []byte("ENTRIESREAD"), num(g.EntriesRead))
		pending := make(map[librdb.StreamID]librdb.StreamPending, len(g.Pending))
		for _, p := range g.Pending {
			pending[p.ID] = p
		}
		for _, c := range g.Consumers {
			if len(c.Pending) == 0 {
				v.command([]byte("XGROUP"), []byte("CREATECONSUMER"), v.key, g.Name, c.Name)
				continue
			}
			for _, pid := range c.Pending {
				p := pending[pid]
				v.command([]byte("XCLAIM"), v.key, g.Name, c.Name, []byte("0"), id(pid),
					[]byte("TIME"), num(p.DeliveryTime), []byte("RETRYCOUNT"), strconv.AppendUint(nil, p.DeliveryCount, 10),
					[]byte("JUSTID"), []byte("FORCE"))
			}
		}
	}
	return nil
}

func (v *respBaseVisitor) EndKey(k *librdb.Key) error {
	v.flush()
	if k.Expire >= 0 {
		v.command([]byte("PEXPIREAT"), v.key, strconv.AppendInt(nil, k.Expire, 10))
	}
	return nil
}
