package main

import (
	"bufio"
	"strconv"

	"github.com/kvkit/kvkit/librdb"
)

// respBatch is how many elements go into one RPUSH/SADD/HSET/ZADD, so
// that no command grows with the key.
const respBatch = 512

// respWriter turns keys into a RESP command stream that recreates them.
type respWriter struct {
	librdb.NopVisitor
	w       *bufio.Writer
	restore bool
	replace bool
	db      int
	args    [][]byte // pending command: name, key, elements...
	num     [24]byte
	batch   []byte // arena of the pending batch's elements
	fixed   int    // args that start every batch (name, key)
	warn    warnOnce
	key     []byte
	col     *librdb.Collector
	payload []byte
	cmds    int64
	elems   int // elements of the current key
}

func newRESPWriter(w *bufio.Writer, restore, replace bool) *respWriter {
	r := &respWriter{w: w, restore: restore, replace: replace, db: -1, warn: warnOnce{}}
	if restore {
		r.col = &librdb.Collector{}
	}
	return r
}

// command writes one RESP array of bulk strings.
func (r *respWriter) command(args ...[]byte) {
	r.cmds++
	r.w.WriteByte('*')
	r.w.Write(strconv.AppendInt(r.num[:0], int64(len(args)), 10))
	r.w.WriteString("\r\n")
	for _, a := range args {
		r.w.WriteByte('$')
		r.w.Write(strconv.AppendInt(r.num[:0], int64(len(a)), 10))
		r.w.WriteString("\r\n")
		r.w.Write(a)
		r.w.WriteString("\r\n")
	}
}

func (r *respWriter) Function(f *librdb.Function) error {
	code := f.Code
	if f.PreGA {
		code = append([]byte("#!"+f.Engine+" name="+f.Name+"\n"), code...)
	}
	r.command([]byte("FUNCTION"), []byte("LOAD"), []byte("REPLACE"), code)
	return nil
}

func (r *respWriter) BeginKey(k *librdb.Key) error {
	if k.DB != r.db {
		r.command([]byte("SELECT"), []byte(strconv.Itoa(k.DB)))
		r.db = k.DB
	}
	r.key = append(r.key[:0], k.Key...)
	if r.restore {
		r.col.BeginKey(k)
		return nil
	}
	if r.replace {
		r.command([]byte("DEL"), r.key)
	}
	r.args = r.args[:0]
	r.elems = 0
	return nil
}

// start begins a batch command for the current key.
func (r *respWriter) start(name string) {
	if len(r.args) == 0 {
		r.args = append(r.args, []byte(name), r.key)
		r.fixed = 2
	}
}

// add appends an element argument (copied) and flushes full batches.
func (r *respWriter) add(name string, elems ...[]byte) {
	r.start(name)
	r.elems++
	for _, e := range elems {
		r.args = append(r.args, r.keep(e))
	}
	if len(r.args)-r.fixed >= respBatch {
		r.flushBatch()
	}
}

func (r *respWriter) flushBatch() {
	if len(r.args) > r.fixed {
		r.command(r.args...)
	}
	r.args = r.args[:0]
	r.batch = r.batch[:0]
}

// keep copies e into the batch arena. A full arena is replaced, not grown,
// so earlier slices stay valid until the batch is written.
func (r *respWriter) keep(e []byte) []byte {
	if cap(r.batch)-len(r.batch) < len(e) {
		r.batch = make([]byte, 0, max(64<<10, len(e)))
	}
	start := len(r.batch)
	r.batch = append(r.batch, e...)
	return r.batch[start:len(r.batch):len(r.batch)]
}

func (r *respWriter) StringValue(k *librdb.Key, v []byte) error {
	if r.restore {
		return r.col.StringValue(k, v)
	}
	r.command([]byte("SET"), r.key, v)
	return nil
}

func (r *respWriter) ListElement(k *librdb.Key, e []byte) error {
	if r.restore {
		return r.col.ListElement(k, e)
	}
	r.add("RPUSH", e)
	return nil
}

func (r *respWriter) SetMember(k *librdb.Key, m []byte) error {
	if r.restore {
		return r.col.SetMember(k, m)
	}
	r.add("SADD", m)
	return nil
}

func (r *respWriter) HashField(k *librdb.Key, f, v []byte, exp int64) error {
	if r.restore {
		return r.col.HashField(k, f, v, exp)
	}
	if exp >= 0 {
		r.warn.warn("hash field expiry (Redis 7.4+) cannot be expressed for Redis 7.0 and was dropped")
	}
	r.add("HSET", f, v)
	return nil
}

func (r *respWriter) ZSetMember(k *librdb.Key, m []byte, s float64) error {
	if r.restore {
		return r.col.ZSetMember(k, m, s)
	}
	r.add("ZADD", appendScore(nil, s, false), m)
	return nil
}

func (r *respWriter) StreamEntry(k *librdb.Key, e *librdb.StreamEntry) error {
	if r.restore {
		return r.col.StreamEntry(k, e)
	}
	args := [][]byte{[]byte("XADD"), r.key, []byte(e.ID.String())}
	args = append(args, e.Fields...)
	r.command(args...)
	return nil
}

// StreamMeta restores the stream's counters, consumer groups, consumers
// and pending entries with XSETID, XGROUP CREATE/CREATECONSUMER and XCLAIM
// ... FORCE JUSTID (pending entries of deleted entries cannot be restored
// this way; --restore keeps them).
func (r *respWriter) StreamMeta(k *librdb.Key, m *librdb.StreamMeta) error {
	if r.restore {
		return r.col.StreamMeta(k, m)
	}
	id := func(x librdb.StreamID) []byte { return []byte(x.String()) }
	created := m.Length > 0
	if !created && m.LastID != (librdb.StreamID{}) {
		// An empty stream that had entries: add one and trim it away.
		r.command([]byte("XADD"), r.key, []byte("MAXLEN"), []byte("0"), id(m.LastID), []byte("x"), []byte("x"))
		created = true
	}
	if created {
		r.command([]byte("XSETID"), r.key, id(m.LastID), []byte("ENTRIESADDED"), []byte(strconv.FormatUint(m.EntriesAdded, 10)),
			[]byte("MAXDELETEDID"), id(m.MaxDeletedID))
	}
	for _, g := range m.Groups {
		args := [][]byte{[]byte("XGROUP"), []byte("CREATE"), r.key, g.Name, id(g.LastID)}
		if !created {
			args = append(args, []byte("MKSTREAM"))
			created = true
		}
		if g.EntriesRead >= 0 {
			args = append(args, []byte("ENTRIESREAD"), []byte(strconv.FormatInt(g.EntriesRead, 10)))
		}
		r.command(args...)
		pending := map[librdb.StreamID]librdb.StreamPending{}
		for _, p := range g.Pending {
			pending[p.ID] = p
		}
		for _, c := range g.Consumers {
			if len(c.Pending) == 0 {
				r.command([]byte("XGROUP"), []byte("CREATECONSUMER"), r.key, g.Name, c.Name)
				continue
			}
			for _, pid := range c.Pending {
				p := pending[pid]
				r.command([]byte("XCLAIM"), r.key, g.Name, c.Name, []byte("0"), id(pid),
					[]byte("TIME"), []byte(strconv.FormatInt(p.DeliveryTime, 10)),
					[]byte("RETRYCOUNT"), []byte(strconv.FormatUint(p.DeliveryCount, 10)), []byte("FORCE"), []byte("JUSTID"))
			}
		}
	}
	return nil
}

func (r *respWriter) ModuleValue(k *librdb.Key, m *librdb.Module) error {
	if r.restore {
		return r.col.ModuleValue(k, m)
	}
	r.warn.warn("key %q holds a value of module %s, which has no command form; skipped", k.Key, m.Name)
	return nil
}

func (r *respWriter) EndKey(k *librdb.Key) error {
	if r.restore {
		return r.endRestore(k)
	}
	empty := r.elems == 0 && k.Kind != librdb.KindString && k.Kind != librdb.KindStream
	r.flushBatch()
	if k.Expire >= 0 && !empty {
		r.command([]byte("PEXPIREAT"), r.key, []byte(strconv.FormatInt(k.Expire, 10)))
	}
	return nil
}

// endRestore writes RESTORE key ttl payload ABSTTL [REPLACE] [IDLETIME s |
// FREQ f] for the collected key.
func (r *respWriter) endRestore(k *librdb.Key) error {
	r.col.EndKey(k)
	v := r.col.Value()
	if len(v.Elems)+len(v.Fields)+len(v.Members) == 0 && v.Kind != librdb.KindString && v.Kind != librdb.KindStream && v.Kind != librdb.KindModule {
		return nil // Redis skips empty collections when loading; RESTORE refuses them
	}
	if v.Kind == librdb.KindModule && (v.Module == nil || v.Module.Raw == nil) {
		r.warn.warn("key %q holds a module value that was not kept; skipped", k.Key)
		return nil
	}
	for i := range v.Fields {
		if v.Fields[i].Expire >= 0 {
			r.warn.warn("hash field expiry (Redis 7.4+) cannot be expressed for Redis 7.0 and was dropped")
			v.Fields[i].Expire = -1
		}
	}
	var err error
	r.payload, err = librdb.AppendDumpPayload(r.payload[:0], v, librdb.DefaultVersion)
	if err != nil {
		return err
	}
	ttl := int64(0)
	if k.Expire >= 0 {
		ttl = k.Expire
	}
	args := [][]byte{[]byte("RESTORE"), r.key, []byte(strconv.FormatInt(ttl, 10)), r.payload}
	if ttl > 0 {
		args = append(args, []byte("ABSTTL"))
	}
	if r.replace {
		args = append(args, []byte("REPLACE"))
	}
	if k.Idle >= 0 {
		args = append(args, []byte("IDLETIME"), []byte(strconv.FormatInt(k.Idle, 10)))
	} else if k.Freq >= 0 {
		args = append(args, []byte("FREQ"), []byte(strconv.Itoa(k.Freq)))
	}
	r.command(args...)
	return nil
}
