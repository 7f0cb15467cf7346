package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two RDB files: keys added, removed and changed (by value)",
		ArgsUsage: "A B",
		Description: "diff reads A, keeps a 128-bit digest of every key's type and value (order-independent for\n" +
			"sets, hashes and sorted sets, so different encodings of the same data compare equal), then\n" +
			"streams B against it. Memory grows with the number of keys in A, not their size. Lines are\n" +
			"\"+ db key\" (only in B), \"- db key\" (only in A) and \"~ db key\" (value or type differs).\n" +
			"Exit status 0 when the files hold the same data, 1 when they differ, 2 on bad usage.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print {added, removed, changed} as JSON"},
			&cli.BoolFlag{Name: "expiry", Usage: "also count a changed expiry as a change"},
		}, filterFlags()...),
		Action: runDiff,
	}
}

type digest [2]uint64

// digestVisitor computes one digest per key.
type digestVisitor struct {
	librdb.NopVisitor
	seeds   [2]maphash.Seed
	d       digest
	ordered [2]maphash.Hash
	withExp bool
	emit    func(k *librdb.Key, d digest)
	num     [8]byte
}

func newDigestVisitor(seeds [2]maphash.Seed, withExp bool) *digestVisitor {
	v := &digestVisitor{seeds: seeds, withExp: withExp}
	v.ordered[0].SetSeed(seeds[0])
	v.ordered[1].SetSeed(seeds[1])
	return v
}

func (v *digestVisitor) BeginKey(k *librdb.Key) error {
	v.d = digest{uint64(k.Kind), uint64(k.Kind)}
	v.ordered[0].Reset()
	v.ordered[1].Reset()
	return nil
}

// unordered adds the hash of the parts to the order-independent sum.
func (v *digestVisitor) unordered(parts ...[]byte) {
	for i := 0; i < 2; i++ {
		var h maphash.Hash
		h.SetSeed(v.seeds[i])
		for _, p := range parts {
			binary.LittleEndian.PutUint64(v.num[:], uint64(len(p)))
			h.Write(v.num[:])
			h.Write(p)
		}
		v.d[i] += h.Sum64()
	}
}

func (v *digestVisitor) ordered1(p []byte) {
	binary.LittleEndian.PutUint64(v.num[:], uint64(len(p)))
	for i := 0; i < 2; i++ {
		v.ordered[i].Write(v.num[:])
		v.ordered[i].Write(p)
	}
}

func (v *digestVisitor) StringValue(_ *librdb.Key, s []byte) error { v.ordered1(s); return nil }
func (v *digestVisitor) ListElement(_ *librdb.Key, e []byte) error { v.ordered1(e); return nil }
func (v *digestVisitor) SetMember(_ *librdb.Key, m []byte) error   { v.unordered(m); return nil }
func (v *digestVisitor) HashField(_ *librdb.Key, f, val []byte, _ int64) error {
	v.unordered(f, val)
	return nil
}
func (v *digestVisitor) ZSetMember(_ *librdb.Key, m []byte, s float64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(s))
	v.unordered(m, b[:])
	return nil
}
func (v *digestVisitor) StreamEntry(_ *librdb.Key, e *librdb.StreamEntry) error {
	v.ordered1([]byte(e.ID.String()))
	for _, f := range e.Fields {
		v.ordered1(f)
	}
	return nil
}
func (v *digestVisitor) StreamMeta(_ *librdb.Key, m *librdb.StreamMeta) error {
	v.ordered1(fmt.Appendf(nil, "%d %s %s %d", m.Length, m.LastID, m.MaxDeletedID, m.EntriesAdded))
	for _, g := range m.Groups {
		v.unordered(g.Name, fmt.Appendf(nil, "%s %d %d %d", g.LastID, g.EntriesRead, len(g.Pending), len(g.Consumers)))
	}
	return nil
}
func (v *digestVisitor) ModuleValue(_ *librdb.Key, m *librdb.Module) error {
	v.ordered1(fmt.Appendf(nil, "%d %d", m.ID, m.Size))
	return nil
}

func (v *digestVisitor) EndKey(k *librdb.Key) error {
	d := v.d
	d[0] += v.ordered[0].Sum64()
	d[1] ^= v.ordered[1].Sum64()
	if v.withExp {
		d[0] += uint64(k.Expire) * 0x9E3779B97F4A7C15
	}
	v.emit(k, d)
	return nil
}

type diffKey struct {
	DB  int    `json:"db"`
	Key string `json:"key"`
}

func mapKey(k *librdb.Key) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(k.DB))
	return string(b[:]) + string(k.Key)
}

func runDiff(c *cli.Context) error {
	if c.NArg() != 2 {
		return usageError("diff: want two FILE arguments")
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	seeds := [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	inA, err := openInput(c, c.Args().Get(0))
	if err != nil {
		return err
	}
	defer inA.close()
	a := map[string]digest{}
	va := newDigestVisitor(seeds, c.Bool("expiry"))
	va.emit = func(k *librdb.Key, d digest) { a[mapKey(k)] = d }
	if err := inA.decode(newFilterVisitor(f, va, inA.prog)); err != nil {
		return err
	}
	inB, err := openInput(c, c.Args().Get(1))
	if err != nil {
		return err
	}
	defer inB.close()
	w, flush := bufferedStdout()
	defer flush()
	asJSON := c.Bool("json")
	var added, changed, removed []diffKey
	differ := false
	vb := newDigestVisitor(seeds, c.Bool("expiry"))
	vb.emit = func(k *librdb.Key, d digest) {
		mk := mapKey(k)
		old, ok := a[mk]
		delete(a, mk)
		switch {
		case !ok:
			differ = true
			if asJSON {
				added = append(added, diffKey{k.DB, string(k.Key)})
			} else {
				fmt.Fprintf(w, "+ %d %s\n", k.DB, printableKey(string(k.Key)))
			}
		case old != d:
			differ = true
			if asJSON {
				changed = append(changed, diffKey{k.DB, string(k.Key)})
			} else {
				fmt.Fprintf(w, "~ %d %s\n", k.DB, printableKey(string(k.Key)))
			}
		}
	}
	if err := inB.decode(newFilterVisitor(f, vb, inB.prog)); err != nil {
		return err
	}
	for mk := range a {
		differ = true
		removed = append(removed, diffKey{int(binary.LittleEndian.Uint32([]byte(mk[:4]))), mk[4:]})
	}
	sort.Slice(removed, func(i, j int) bool {
		if removed[i].DB != removed[j].DB {
			return removed[i].DB < removed[j].DB
		}
		return removed[i].Key < removed[j].Key
	})
	if asJSON {
		nz := func(s []diffKey) []diffKey {
			if s == nil {
				return []diffKey{}
			}
			return s
		}
		b, _ := json.Marshal(map[string][]diffKey{"added": nz(added), "removed": nz(removed), "changed": nz(changed)})
		w.Write(b)
		w.WriteByte('\n')
	} else {
		for _, r := range removed {
			fmt.Fprintf(w, "- %d %s\n", r.DB, printableKey(r.Key))
		}
	}
	if differ {
		flush()
		return cli.Exit("", exitFinding)
	}
	return nil
}
