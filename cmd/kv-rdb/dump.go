package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

func dumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "dump",
		Usage:     "print every key: json, jsonl, resp, keys or keyvals",
		ArgsUsage: "FILE",
		Description: "dump streams every selected key to standard output.\n" +
			"  json     one JSON array of key objects {db, key, type, encoding, expire, idle, freq, value}\n" +
			"  jsonl    the same objects, one per line (for jq)\n" +
			"  resp     a RESP command stream (SELECT, SET/RPUSH/SADD/HSET/ZADD/XADD..., PEXPIREAT,\n" +
			"           FUNCTION LOAD) that redis-cli --pipe or kv-server replays; --restore writes RESTORE\n" +
			"           commands with DUMP payloads instead, which keeps module values, LRU/LFU and\n" +
			"           pending entries of deleted stream entries\n" +
			"  keys     one key per line\n" +
			"  keyvals  one line per key: key and value tokens, non-printable bytes as \\xHH\n" +
			"In JSON, values are strings, arrays (list, set), objects (hash: field -> value; zset: member ->\n" +
			"score, infinite scores as \"+inf\"/\"-inf\"), and streams as {entries, length, last_id, ...}.\n" +
			"Hash field expiry (Redis 7.4+) appears as \"field_expires\"; RESP output drops it with a warning.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "jsonl", Usage: "output `FORMAT`: json, jsonl, resp, keys, keyvals"},
			&cli.StringFlag{Name: "escape", Value: "utf8", Usage: "binary data in JSON strings: raw, print, utf8 or base64 (`MODE`)"},
			&cli.BoolFlag{Name: "restore", Usage: "resp format: RESTORE commands with DUMP payloads"},
			&cli.BoolFlag{Name: "replace", Usage: "resp format: delete each key first (RESTORE ... REPLACE with --restore)"},
		}, filterFlags()...),
		Action: runDump,
	}
}

func runDump(c *cli.Context) error {
	f, err := fileAndFilter(c)
	if err != nil {
		return err
	}
	esc, err := parseEscape(c.String("escape"))
	if err != nil {
		return err
	}
	w, flush := bufferedStdout()
	var v librdb.Visitor
	switch format := c.String("format"); format {
	case "json", "jsonl":
		v = &jsonWriter{w: w, esc: esc, lines: format == "jsonl"}
	case "resp":
		v = newRESPWriter(w, c.Bool("restore"), c.Bool("replace"))
	case "keys":
		v = &keysWriter{w: w}
	case "keyvals":
		v = &keysWriter{w: w, vals: true}
	default:
		return usageError("--format %q: want json, jsonl, resp, keys or keyvals", format)
	}
	in, err := openInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.close()
	// RESTORE payloads carry module values as they were read.
	in.dec.KeepModules = c.Bool("restore")
	err = in.decode(newFilterVisitor(f, v, in.prog))
	if ferr := flush(); err == nil && ferr != nil {
		err = ferr
	}
	return err
}

// jsonWriter writes key objects as they stream in.
type jsonWriter struct {
	librdb.NopVisitor
	w      *bufio.Writer
	esc    escapeMode
	lines  bool
	buf    []byte
	n      int64
	first  bool // no element written yet in the current value
	ttls   []byte
	anyTTL bool
}

func (j *jsonWriter) flushBuf() error {
	_, err := j.w.Write(j.buf)
	j.buf = j.buf[:0]
	return err
}

func (j *jsonWriter) str(s []byte) { j.buf = appendJSONString(j.buf, s, j.esc) }

func (j *jsonWriter) sep() {
	if !j.first {
		j.buf = append(j.buf, ',')
	}
	j.first = false
}

func (j *jsonWriter) Header(int, bool) error {
	if !j.lines {
		j.buf = append(j.buf, '[')
	}
	return nil
}

func (j *jsonWriter) BeginKey(k *librdb.Key) error {
	if !j.lines {
		if j.n > 0 {
			j.buf = append(j.buf, ',')
		}
		j.buf = append(j.buf, '\n')
	}
	j.n++
	j.buf = append(j.buf, `{"db":`...)
	j.buf = strconv.AppendInt(j.buf, int64(k.DB), 10)
	j.buf = append(j.buf, `,"key":`...)
	j.str(k.Key)
	j.buf = append(j.buf, `,"type":"`...)
	j.buf = append(j.buf, k.Kind.String()...)
	j.buf = append(j.buf, `","encoding":"`...)
	j.buf = append(j.buf, k.Encoding...)
	j.buf = append(j.buf, '"')
	if k.Expire >= 0 {
		j.buf = append(j.buf, `,"expire":`...)
		j.buf = strconv.AppendInt(j.buf, k.Expire, 10)
	}
	if k.Idle >= 0 {
		j.buf = append(j.buf, `,"idle":`...)
		j.buf = strconv.AppendInt(j.buf, k.Idle, 10)
	}
	if k.Freq >= 0 {
		j.buf = append(j.buf, `,"freq":`...)
		j.buf = strconv.AppendInt(j.buf, int64(k.Freq), 10)
	}
	j.buf = append(j.buf, `,"value":`...)
	switch k.Kind {
	case librdb.KindList, librdb.KindSet:
		j.buf = append(j.buf, '[')
	case librdb.KindHash, librdb.KindZSet:
		j.buf = append(j.buf, '{')
	case librdb.KindStream:
		j.buf = append(j.buf, `{"entries":[`...)
	}
	j.first = true
	j.ttls, j.anyTTL = j.ttls[:0], false
	return nil
}

func (j *jsonWriter) maybeFlush() error {
	if len(j.buf) > 64<<10 {
		return j.flushBuf()
	}
	return nil
}

func (j *jsonWriter) StringValue(_ *librdb.Key, v []byte) error {
	j.str(v)
	return j.maybeFlush()
}

func (j *jsonWriter) ListElement(_ *librdb.Key, e []byte) error {
	j.sep()
	j.str(e)
	return j.maybeFlush()
}

func (j *jsonWriter) SetMember(_ *librdb.Key, m []byte) error { return j.ListElement(nil, m) }

func (j *jsonWriter) HashField(_ *librdb.Key, f, v []byte, exp int64) error {
	if exp >= 0 {
		if len(j.ttls) > 0 {
			j.ttls = append(j.ttls, ',')
		}
		j.ttls = appendJSONString(j.ttls, f, j.esc)
		j.ttls = append(j.ttls, ':')
		j.ttls = strconv.AppendInt(j.ttls, exp, 10)
		j.anyTTL = true
	}
	j.sep()
	j.str(f)
	j.buf = append(j.buf, ':')
	j.str(v)
	return j.maybeFlush()
}

func appendScore(dst []byte, s float64, quoteInf bool) []byte {
	switch {
	case math.IsInf(s, 1):
		if quoteInf {
			return append(dst, `"+inf"`...)
		}
		return append(dst, "+inf"...)
	case math.IsInf(s, -1):
		if quoteInf {
			return append(dst, `"-inf"`...)
		}
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, s, 'g', -1, 64)
}

func (j *jsonWriter) ZSetMember(_ *librdb.Key, m []byte, s float64) error {
	j.sep()
	j.str(m)
	j.buf = append(j.buf, ':')
	j.buf = appendScore(j.buf, s, true)
	return j.maybeFlush()
}

func (j *jsonWriter) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	j.sep()
	j.buf = append(j.buf, `{"id":"`...)
	j.buf = append(j.buf, e.ID.String()...)
	j.buf = append(j.buf, `","fields":[`...)
	for i, f := range e.Fields {
		if i > 0 {
			j.buf = append(j.buf, ',')
		}
		j.str(f)
	}
	j.buf = append(j.buf, "]}"...)
	return j.maybeFlush()
}

func (j *jsonWriter) id(name string, id librdb.StreamID) {
	j.buf = append(j.buf, `,"`...)
	j.buf = append(j.buf, name...)
	j.buf = append(j.buf, `":"`...)
	j.buf = append(j.buf, id.String()...)
	j.buf = append(j.buf, '"')
}

func (j *jsonWriter) num(name string, n int64) {
	j.buf = append(j.buf, `,"`...)
	j.buf = append(j.buf, name...)
	j.buf = append(j.buf, `":`...)
	j.buf = strconv.AppendInt(j.buf, n, 10)
}

func (j *jsonWriter) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	j.buf = append(j.buf, ']')
	j.num("length", int64(m.Length))
	j.id("last_id", m.LastID)
	j.id("first_id", m.FirstID)
	j.id("max_deleted_id", m.MaxDeletedID)
	j.num("entries_added", int64(m.EntriesAdded))
	j.buf = append(j.buf, `,"groups":[`...)
	for gi, g := range m.Groups {
		if gi > 0 {
			j.buf = append(j.buf, ',')
		}
		j.buf = append(j.buf, `{"name":`...)
		j.str(g.Name)
		j.id("last_id", g.LastID)
		if g.EntriesRead >= 0 {
			j.num("entries_read", g.EntriesRead)
		} else {
			j.buf = append(j.buf, `,"entries_read":null`...)
		}
		j.buf = append(j.buf, `,"pending":[`...)
		for i, p := range g.Pending {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			j.buf = append(j.buf, `{"id":"`...)
			j.buf = append(j.buf, p.ID.String()...)
			j.buf = append(j.buf, '"')
			j.num("delivery_time", p.DeliveryTime)
			j.num("delivery_count", int64(p.DeliveryCount))
			j.buf = append(j.buf, '}')
		}
		j.buf = append(j.buf, `],"consumers":[`...)
		for i, cons := range g.Consumers {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			j.buf = append(j.buf, `{"name":`...)
			j.str(cons.Name)
			j.num("seen_time", cons.SeenTime)
			if cons.ActiveTime >= 0 {
				j.num("active_time", cons.ActiveTime)
			}
			j.buf = append(j.buf, `,"pending":[`...)
			for pi, id := range cons.Pending {
				if pi > 0 {
					j.buf = append(j.buf, ',')
				}
				j.buf = append(j.buf, '"')
				j.buf = append(j.buf, id.String()...)
				j.buf = append(j.buf, '"')
			}
			j.buf = append(j.buf, "]}"...)
		}
		j.buf = append(j.buf, "]}"...)
	}
	j.buf = append(j.buf, ']')
	return nil
}

func (j *jsonWriter) ModuleValue(_ *librdb.Key, m *librdb.Module) error {
	j.buf = fmt.Appendf(j.buf, `{"module":%q,"encver":%d,"size":%d}`, m.Name, m.EncVersion, m.Size)
	return nil
}

func (j *jsonWriter) EndKey(k *librdb.Key) error {
	switch k.Kind {
	case librdb.KindList, librdb.KindSet:
		j.buf = append(j.buf, ']')
	case librdb.KindHash, librdb.KindZSet, librdb.KindStream:
		j.buf = append(j.buf, '}')
	}
	if j.anyTTL {
		j.buf = append(j.buf, `,"field_expires":{`...)
		j.buf = append(j.buf, j.ttls...)
		j.buf = append(j.buf, '}')
	}
	j.buf = append(j.buf, '}')
	if j.lines {
		j.buf = append(j.buf, '\n')
	}
	return j.maybeFlush()
}

func (j *jsonWriter) End(uint64) error {
	if !j.lines {
		j.buf = append(j.buf, "\n]\n"...)
	}
	return j.flushBuf()
}

// keysWriter writes one line per key: the raw key, or with vals the
// printable key and value tokens.
type keysWriter struct {
	librdb.NopVisitor
	w    *bufio.Writer
	vals bool
	buf  []byte
}

func (kw *keysWriter) BeginKey(k *librdb.Key) error {
	if !kw.vals {
		kw.w.Write(k.Key)
		return kw.w.WriteByte('\n')
	}
	kw.buf = appendPrintable(kw.buf[:0], k.Key)
	return nil
}

func (kw *keysWriter) tok(s []byte) error {
	if kw.vals {
		kw.buf = append(kw.buf, ' ')
		kw.buf = appendPrintable(kw.buf, s)
		if len(kw.buf) > 64<<10 {
			_, err := kw.w.Write(kw.buf)
			kw.buf = kw.buf[:0]
			return err
		}
	}
	return nil
}

func (kw *keysWriter) StringValue(_ *librdb.Key, v []byte) error { return kw.tok(v) }
func (kw *keysWriter) ListElement(_ *librdb.Key, e []byte) error { return kw.tok(e) }
func (kw *keysWriter) SetMember(_ *librdb.Key, m []byte) error   { return kw.tok(m) }
func (kw *keysWriter) HashField(_ *librdb.Key, f, v []byte, _ int64) error {
	kw.tok(f)
	return kw.tok(v)
}
func (kw *keysWriter) ZSetMember(_ *librdb.Key, m []byte, s float64) error {
	kw.tok(m)
	return kw.tok(appendScore(nil, s, false))
}
func (kw *keysWriter) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	kw.tok([]byte(e.ID.String()))
	for _, f := range e.Fields {
		kw.tok(f)
	}
	return nil
}

func (kw *keysWriter) EndKey(*librdb.Key) error {
	if kw.vals {
		kw.buf = append(kw.buf, '\n')
		_, err := kw.w.Write(kw.buf)
		return err
	}
	return nil
}

// warnOut receives warnings (tests silence it).
var warnOut io.Writer = os.Stderr

// warnOnce prints a warning to standard error the first time.
type warnOnce map[string]bool

func (w warnOnce) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !w[msg] {
		w[msg] = true
		fmt.Fprintln(warnOut, "kv-rdb: warning:", msg)
	}
}
