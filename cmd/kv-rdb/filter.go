package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

// filterFlags are accepted by every subcommand that reads keys.
func filterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntSliceFlag{Name: "db", Usage: "only keys of database `N` (repeatable)"},
		&cli.StringSliceFlag{Name: "type", Usage: "only keys of `TYPE`: string, list, set, zset, hash, stream, module (repeatable)"},
		&cli.StringFlag{Name: "key", Usage: "only keys matching the regular expression `REGEX` (Go RE2 syntax)"},
		&cli.StringFlag{Name: "not-key", Usage: "skip keys matching `REGEX`"},
		&cli.BoolFlag{Name: "expired", Usage: "only keys whose expiry is already past (relative to --now)"},
		&cli.BoolFlag{Name: "no-expired", Usage: "skip keys whose expiry is already past (relative to --now)"},
		&cli.StringFlag{Name: "now", Usage: "the time expiry is judged against: Unix `MS`, or RFC 3339 (default: the current time)"},
		&cli.Int64Flag{Name: "min-size", Usage: "only keys whose memory estimate is at least `BYTES`"},
		&cli.Int64Flag{Name: "max-size", Usage: "only keys whose memory estimate is at most `BYTES`", DefaultText: "no limit"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress display"},
	}
}

// filter selects keys.
type filter struct {
	dbs        map[int]bool
	kinds      map[librdb.Kind]bool
	key        *regexp.Regexp
	notKey     *regexp.Regexp
	expired    bool
	noExpired  bool
	now        int64
	minSize    int64
	maxSize    int64
	sizeFilter bool
}

// fileAndFilter checks that a single-input subcommand got exactly one FILE
// argument (or - for standard input) and parses its filter flags.
func fileAndFilter(c *cli.Context) (*filter, error) {
	if c.NArg() != 1 {
		return nil, usageError("%s: want one FILE argument (or - for standard input)", c.Command.Name)
	}
	return parseFilter(c)
}

func parseFilter(c *cli.Context) (*filter, error) {
	f := &filter{now: time.Now().UnixMilli(), maxSize: math.MaxInt64}
	for _, db := range c.IntSlice("db") {
		if f.dbs == nil {
			f.dbs = map[int]bool{}
		}
		f.dbs[db] = true
	}
	for _, t := range c.StringSlice("type") {
		for _, name := range strings.Split(t, ",") {
			k, err := librdb.ParseKind(strings.TrimSpace(name))
			if err != nil {
				return nil, usageError("--type: %v", err)
			}
			if f.kinds == nil {
				f.kinds = map[librdb.Kind]bool{}
			}
			f.kinds[k] = true
		}
	}
	var err error
	if s := c.String("key"); s != "" {
		if f.key, err = regexp.Compile(s); err != nil {
			return nil, usageError("--key: %v", err)
		}
	}
	if s := c.String("not-key"); s != "" {
		if f.notKey, err = regexp.Compile(s); err != nil {
			return nil, usageError("--not-key: %v", err)
		}
	}
	f.expired, f.noExpired = c.Bool("expired"), c.Bool("no-expired")
	if f.expired && f.noExpired {
		return nil, usageError("--expired and --no-expired exclude each other")
	}
	if s := c.String("now"); s != "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			f.now = ms
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			f.now = t.UnixMilli()
		} else {
			return nil, usageError("--now %q: want Unix milliseconds or an RFC 3339 time", s)
		}
	}
	if c.IsSet("min-size") {
		f.minSize, f.sizeFilter = c.Int64("min-size"), true
	}
	if c.IsSet("max-size") {
		f.maxSize, f.sizeFilter = c.Int64("max-size"), true
	}
	if f.minSize > f.maxSize {
		return nil, usageError("--min-size %d is above --max-size %d", f.minSize, f.maxSize)
	}
	return f, nil
}

// match decides on everything known when a key begins.
func (f *filter) match(k *librdb.Key) bool {
	if f.dbs != nil && !f.dbs[k.DB] {
		return false
	}
	if f.kinds != nil && !f.kinds[k.Kind] {
		return false
	}
	if f.key != nil && !f.key.Match(k.Key) {
		return false
	}
	if f.notKey != nil && f.notKey.Match(k.Key) {
		return false
	}
	expired := k.Expire >= 0 && k.Expire <= f.now
	if f.expired && !expired || f.noExpired && expired {
		return false
	}
	return true
}

// filterVisitor passes the keys the filter selects to inner. With size
// filters it records one key's value calls, estimates its memory and
// replays them if the key is selected: memory use is bounded by the
// largest key.
type filterVisitor struct {
	librdb.Visitor // inner, for the non-key records
	inner          librdb.Visitor
	f              *filter
	prog           *progress
	skip           bool
	rec            recorder
	est            estimatingVisitor
}

func newFilterVisitor(f *filter, inner librdb.Visitor, prog *progress) *filterVisitor {
	return &filterVisitor{Visitor: inner, inner: inner, f: f, prog: prog}
}

func (v *filterVisitor) BeginKey(k *librdb.Key) error {
	v.prog.keys.Add(1)
	v.skip = !v.f.match(k)
	if v.skip {
		return nil
	}
	if v.f.sizeFilter {
		v.rec.reset()
		v.est.BeginKey(k)
		return nil
	}
	return v.inner.BeginKey(k)
}

// target returns where value calls go: nil to drop, the recorder, or inner.
func (v *filterVisitor) target() librdb.Visitor {
	switch {
	case v.skip:
		return nil
	case v.f.sizeFilter:
		return &v.rec
	}
	return v.inner
}

func (v *filterVisitor) StringValue(k *librdb.Key, s []byte) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.StringValue(k, s)
		}
		return t.StringValue(k, s)
	}
	return nil
}
func (v *filterVisitor) ListElement(k *librdb.Key, e []byte) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.ListElement(k, e)
		}
		return t.ListElement(k, e)
	}
	return nil
}
func (v *filterVisitor) SetMember(k *librdb.Key, m []byte) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.SetMember(k, m)
		}
		return t.SetMember(k, m)
	}
	return nil
}
func (v *filterVisitor) HashField(k *librdb.Key, f, val []byte, exp int64) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.HashField(k, f, val, exp)
		}
		return t.HashField(k, f, val, exp)
	}
	return nil
}
func (v *filterVisitor) ZSetMember(k *librdb.Key, m []byte, s float64) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.ZSetMember(k, m, s)
		}
		return t.ZSetMember(k, m, s)
	}
	return nil
}
func (v *filterVisitor) StreamEntry(k *librdb.Key, e *librdb.StreamEntry) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.StreamEntry(k, e)
		}
		return t.StreamEntry(k, e)
	}
	return nil
}
func (v *filterVisitor) StreamMeta(k *librdb.Key, m *librdb.StreamMeta) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.StreamMeta(k, m)
		}
		return t.StreamMeta(k, m)
	}
	return nil
}
func (v *filterVisitor) ModuleValue(k *librdb.Key, m *librdb.Module) error {
	if t := v.target(); t != nil {
		if v.f.sizeFilter {
			v.est.ModuleValue(k, m)
		}
		return t.ModuleValue(k, m)
	}
	return nil
}

func (v *filterVisitor) EndKey(k *librdb.Key) error {
	if v.skip {
		return nil
	}
	if v.f.sizeFilter {
		size := v.est.est.end().size
		if size < v.f.minSize || size > v.f.maxSize {
			return nil
		}
		if err := v.inner.BeginKey(k); err != nil {
			return err
		}
		if err := v.rec.replay(k, v.inner); err != nil {
			return err
		}
	}
	return v.inner.EndKey(k)
}

// recorder keeps one key's value calls for replay.
type recorder struct {
	librdb.NopVisitor
	arena []byte
	ops   []recOp
}

type recOp struct {
	op         byte
	a0, a1, b1 int // arena offsets: a = arena[a0:a1], b = arena[a1:b1]
	score      float64
	exp        int64
	entry      *librdb.StreamEntry
	meta       *librdb.StreamMeta
	module     *librdb.Module
}

const (
	opString = iota
	opList
	opSet
	opHash
	opZSet
	opEntry
	opMeta
	opModule
)

func (r *recorder) reset() { r.arena, r.ops = r.arena[:0], r.ops[:0] }

func (r *recorder) add(op byte, a, b []byte) *recOp {
	a0 := len(r.arena)
	r.arena = append(r.arena, a...)
	a1 := len(r.arena)
	r.arena = append(r.arena, b...)
	r.ops = append(r.ops, recOp{op: op, a0: a0, a1: a1, b1: len(r.arena)})
	return &r.ops[len(r.ops)-1]
}

func (r *recorder) StringValue(_ *librdb.Key, s []byte) error { r.add(opString, s, nil); return nil }
func (r *recorder) ListElement(_ *librdb.Key, e []byte) error { r.add(opList, e, nil); return nil }
func (r *recorder) SetMember(_ *librdb.Key, m []byte) error   { r.add(opSet, m, nil); return nil }
func (r *recorder) HashField(_ *librdb.Key, f, v []byte, exp int64) error {
	r.add(opHash, f, v).exp = exp
	return nil
}
func (r *recorder) ZSetMember(_ *librdb.Key, m []byte, s float64) error {
	r.add(opZSet, m, nil).score = s
	return nil
}
func (r *recorder) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	c := &librdb.StreamEntry{ID: e.ID}
	for _, f := range e.Fields {
		c.Fields = append(c.Fields, append([]byte(nil), f...))
	}
	r.add(opEntry, nil, nil).entry = c
	return nil
}
func (r *recorder) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	r.add(opMeta, nil, nil).meta = m
	return nil
}
func (r *recorder) ModuleValue(_ *librdb.Key, m *librdb.Module) error {
	r.add(opModule, nil, nil).module = m
	return nil
}

func (r *recorder) replay(k *librdb.Key, v librdb.Visitor) error {
	for i := range r.ops {
		o := &r.ops[i]
		a, b := r.arena[o.a0:o.a1], r.arena[o.a1:o.b1]
		var err error
		switch o.op {
		case opString:
			err = v.StringValue(k, a)
		case opList:
			err = v.ListElement(k, a)
		case opSet:
			err = v.SetMember(k, a)
		case opHash:
			err = v.HashField(k, a, b, o.exp)
		case opZSet:
			err = v.ZSetMember(k, a, o.score)
		case opEntry:
			err = v.StreamEntry(k, o.entry)
		case opMeta:
			err = v.StreamMeta(k, o.meta)
		case opModule:
			err = v.ModuleValue(k, o.module)
		default:
			err = fmt.Errorf("recorder: unknown op %d", o.op)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
