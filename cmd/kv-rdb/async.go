package main

import (
	"bytes"
	"sync"

	"github.com/kvkit/kvkit/librdb"
)

// asyncVisitor runs a visitor on its own goroutine: the decoder records
// every call into batches (copying the bytes, which the decoder reuses)
// and the inner visitor replays them in order on a second core. Memory is
// bounded by a few batches of batchBytes.
type asyncVisitor struct {
	inner librdb.Visitor
	cur   *batch
	ch    chan *batch
	free  chan *batch
	done  chan struct{}
	mu    sync.Mutex
	err   error // the inner visitor's first error
	ck    librdb.Key
	ckBuf []byte
}

// batch is a run of recorded calls; fn, if set, runs after them (a record
// outside keys: aux, function, select, end ...).
type batch struct {
	rec  recorder
	keys []librdb.Key
	fn   func(librdb.Visitor) error
}

const (
	opBegin = opModule + 1 + iota
	opEnd
)

const batchBytes = 256 << 10

func newAsyncVisitor(inner librdb.Visitor) *asyncVisitor {
	a := &asyncVisitor{inner: inner, ch: make(chan *batch, 4), free: make(chan *batch, 6), done: make(chan struct{})}
	a.cur = &batch{}
	go a.run()
	return a
}

func (a *asyncVisitor) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *asyncVisitor) run() {
	defer close(a.done)
	for b := range a.ch {
		if a.failed() == nil {
			if err := a.replay(b); err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
		b.rec.reset()
		b.keys = b.keys[:0]
		b.fn = nil
		select {
		case a.free <- b:
		default:
		}
	}
}

func (a *asyncVisitor) replay(b *batch) error {
	v := a.inner
	r := &b.rec
	for i := range r.ops {
		o := &r.ops[i]
		x, y := r.arena[o.a0:o.a1], r.arena[o.a1:o.b1]
		var err error
		switch o.op {
		case opBegin:
			a.ck = b.keys[o.exp]
			a.ckBuf = append(a.ckBuf[:0], x...)
			a.ck.Key = a.ckBuf
			err = v.BeginKey(&a.ck)
		case opEnd:
			err = v.EndKey(&a.ck)
		case opString:
			err = v.StringValue(&a.ck, x)
		case opList:
			err = v.ListElement(&a.ck, x)
		case opSet:
			err = v.SetMember(&a.ck, x)
		case opHash:
			err = v.HashField(&a.ck, x, y, o.exp)
		case opZSet:
			err = v.ZSetMember(&a.ck, x, o.score)
		case opEntry:
			err = v.StreamEntry(&a.ck, o.entry)
		case opMeta:
			err = v.StreamMeta(&a.ck, o.meta)
		case opModule:
			err = v.ModuleValue(&a.ck, o.module)
		}
		if err != nil {
			return err
		}
	}
	if b.fn != nil {
		return b.fn(v)
	}
	return nil
}

// send queues the current batch and starts a new one.
func (a *asyncVisitor) send() error {
	a.ch <- a.cur
	select {
	case a.cur = <-a.free:
	default:
		a.cur = &batch{}
	}
	return a.failed()
}

// maybeSend queues the batch once it is large.
func (a *asyncVisitor) maybeSend() error {
	if len(a.cur.rec.arena) >= batchBytes || len(a.cur.rec.ops) >= 8192 {
		return a.send()
	}
	return nil
}

// record queues a non-key record.
func (a *asyncVisitor) record(fn func(librdb.Visitor) error) error {
	a.cur.fn = fn
	return a.send()
}

// finish flushes what is queued, waits for the inner visitor and returns
// its first error. Call it once, after Decode.
func (a *asyncVisitor) finish() error {
	if len(a.cur.rec.ops) > 0 || a.cur.fn != nil {
		a.ch <- a.cur
	}
	close(a.ch)
	<-a.done
	return a.failed()
}

func (a *asyncVisitor) Header(v int, valkey bool) error {
	return a.record(func(in librdb.Visitor) error { return in.Header(v, valkey) })
}
func (a *asyncVisitor) Aux(k, v []byte) error {
	k, v = bytes.Clone(k), bytes.Clone(v)
	return a.record(func(in librdb.Visitor) error { return in.Aux(k, v) })
}
func (a *asyncVisitor) SelectDB(db int) error {
	return a.record(func(in librdb.Visitor) error { return in.SelectDB(db) })
}
func (a *asyncVisitor) ResizeDB(keys, expires uint64) error {
	return a.record(func(in librdb.Visitor) error { return in.ResizeDB(keys, expires) })
}
func (a *asyncVisitor) SlotInfo(s, k, e uint64) error {
	return a.record(func(in librdb.Visitor) error { return in.SlotInfo(s, k, e) })
}
func (a *asyncVisitor) ModuleAux(m *librdb.Module) error {
	c := *m
	return a.record(func(in librdb.Visitor) error { return in.ModuleAux(&c) })
}
func (a *asyncVisitor) Function(f *librdb.Function) error {
	c := *f
	c.Code = bytes.Clone(f.Code)
	return a.record(func(in librdb.Visitor) error { return in.Function(&c) })
}
func (a *asyncVisitor) End(sum uint64) error {
	return a.record(func(in librdb.Visitor) error { return in.End(sum) })
}

func (a *asyncVisitor) BeginKey(k *librdb.Key) error {
	b := a.cur
	b.keys = append(b.keys, *k)
	b.rec.add(opBegin, k.Key, nil).exp = int64(len(b.keys) - 1)
	return nil
}
func (a *asyncVisitor) EndKey(*librdb.Key) error {
	a.cur.rec.add(opEnd, nil, nil)
	return a.maybeSend()
}
func (a *asyncVisitor) StringValue(k *librdb.Key, s []byte) error {
	a.cur.rec.StringValue(k, s)
	return a.maybeSend()
}
func (a *asyncVisitor) ListElement(k *librdb.Key, e []byte) error {
	a.cur.rec.ListElement(k, e)
	return a.maybeSend()
}
func (a *asyncVisitor) SetMember(k *librdb.Key, m []byte) error {
	a.cur.rec.SetMember(k, m)
	return a.maybeSend()
}
func (a *asyncVisitor) HashField(k *librdb.Key, f, v []byte, exp int64) error {
	a.cur.rec.HashField(k, f, v, exp)
	return a.maybeSend()
}
func (a *asyncVisitor) ZSetMember(k *librdb.Key, m []byte, s float64) error {
	a.cur.rec.ZSetMember(k, m, s)
	return a.maybeSend()
}
func (a *asyncVisitor) StreamEntry(k *librdb.Key, e *librdb.StreamEntry) error {
	a.cur.rec.StreamEntry(k, e)
	return a.maybeSend()
}
func (a *asyncVisitor) StreamMeta(k *librdb.Key, m *librdb.StreamMeta) error {
	a.cur.rec.StreamMeta(k, m)
	return a.maybeSend()
}
func (a *asyncVisitor) ModuleValue(k *librdb.Key, m *librdb.Module) error {
	a.cur.rec.ModuleValue(k, m)
	return a.maybeSend()
}
