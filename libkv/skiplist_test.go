package libkv

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/libkv/config"
)

// zslModel is the skiplist's specification: a slice kept sorted by
// (score, member).
type zslModel []zslEntry

type zslEntry struct {
	score float64
	ele   string
}

func cmpEntry(a, b zslEntry) int {
	if c := cmp.Compare(a.score, b.score); c != 0 {
		return c
	}
	return cmp.Compare(a.ele, b.ele)
}

func (m *zslModel) insert(e zslEntry) {
	i, _ := slices.BinarySearchFunc(*m, e, cmpEntry)
	*m = slices.Insert(*m, i, e)
}

func (m *zslModel) delete(e zslEntry) bool {
	i, ok := slices.BinarySearchFunc(*m, e, cmpEntry)
	if ok {
		*m = slices.Delete(*m, i, i+1)
	}
	return ok
}

// checkSkiplist verifies the structure: on every level the spans add up
// to the level-0 positions of the nodes they reach, backward links and the
// tail are right, the level is the highest in use, and the contents are the
// model's.
func checkSkiplist(t *testing.T, zsl *skiplist, m zslModel) {
	t.Helper()
	if zsl.length != len(m) {
		t.Fatalf("length %d, model %d", zsl.length, len(m))
	}
	pos := map[*zslNode]int{}
	var prev *zslNode
	i := 0
	for x := zsl.first(); x != nil; x = x.levels()[0].forward {
		i++
		pos[x] = i
		if x.backward != prev {
			t.Fatalf("node %d: wrong backward link", i)
		}
		if x.levels()[0].forward != nil && x.levels()[0].span != 1 {
			t.Fatalf("node %d: level-0 span %d", i, x.levels()[0].span)
		}
		if x.score != m[i-1].score || x.ele != m[i-1].ele {
			t.Fatalf("node %d is (%v, %q), model (%v, %q)", i, x.score, x.ele, m[i-1].score, m[i-1].ele)
		}
		prev = x
	}
	if zsl.tail != prev {
		t.Fatal("wrong tail")
	}
	for lvl := 0; lvl < zslMaxLevel; lvl++ {
		rank := 0
		for x := zsl.header; x.levels()[lvl].forward != nil; x = x.levels()[lvl].forward {
			rank += x.levels()[lvl].span
			if p := pos[x.levels()[lvl].forward]; p != rank {
				t.Fatalf("level %d: span sum %d reaches a node at position %d", lvl, rank, p)
			}
		}
		if lvl >= zsl.level && zsl.header.levels()[lvl].forward != nil {
			t.Fatalf("level %d in use above the list's level %d", lvl, zsl.level)
		}
	}
	if zsl.level > 1 && zsl.header.levels()[zsl.level-1].forward == nil {
		t.Fatalf("top level %d is empty", zsl.level)
	}
}

// TestSkiplistModel drives a skiplist and the model with the same random
// inserts, deletes, score updates and range deletions, checking the
// structure, ranks, rank lookups and score ranges after each step.
func TestSkiplistModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zsl := newSkiplist()
	var m zslModel
	members := map[string]float64{}
	for step := 0; step < 3000; step++ {
		ele := strconv.Itoa(r.IntN(300))
		score := float64(r.IntN(40))
		switch op := r.IntN(10); {
		case op < 5:
			if cur, ok := members[ele]; ok {
				n, _ := zsl.updateScore(cur, ele, score)
				if n.score != score || n.ele != ele {
					t.Fatal("updateScore returned the wrong node")
				}
				m.delete(zslEntry{cur, ele})
			} else {
				zsl.insert(score, ele)
			}
			m.insert(zslEntry{score, ele})
			members[ele] = score
		case op < 8:
			cur, ok := members[ele]
			if zsl.delete(cur, ele) != ok {
				t.Fatalf("delete %q: found %v", ele, !ok)
			}
			if ok {
				m.delete(zslEntry{cur, ele})
				delete(members, ele)
			}
		case op == 8 && len(m) > 0:
			start := 1 + r.IntN(len(m))
			end := start + r.IntN(5)
			var gone []string
			n := zsl.deleteRank(start, end, func(x *zslNode) { gone = append(gone, x.ele) })
			want := m[start-1 : min(end, len(m))]
			if n != len(want) || len(gone) != n {
				t.Fatalf("deleteRank %d..%d removed %d, want %d", start, end, n, len(want))
			}
			for _, e := range want {
				delete(members, e.ele)
			}
			m = slices.Delete(m, start-1, min(end, len(m)))
		default:
			rg := scoreRange{min: float64(r.IntN(40)), max: float64(r.IntN(40)), minex: r.IntN(2) == 0, maxex: r.IntN(2) == 0}
			n := zsl.deleteWhile(func(x *zslNode) bool { return !rg.gteMin(x.score) },
				func(x *zslNode) bool { return rg.lteMax(x.score) }, func(x *zslNode) { delete(members, x.ele) })
			kept := m[:0]
			for _, e := range m {
				if !rg.gteMin(e.score) || !rg.lteMax(e.score) {
					kept = append(kept, e)
				}
			}
			if len(m)-len(kept) != n {
				t.Fatalf("deleteWhile %+v removed %d, want %d", rg, n, len(m)-len(kept))
			}
			m = kept
		}
		checkSkiplist(t, zsl, m)
		if len(m) == 0 {
			continue
		}
		i := r.IntN(len(m))
		if got := zsl.rank(m[i].score, m[i].ele); got != i+1 {
			t.Fatalf("rank of %v: %d, want %d", m[i], got, i+1)
		}
		if n := zsl.byRank(i + 1); n == nil || n.ele != m[i].ele {
			t.Fatalf("byRank(%d) is not %q", i+1, m[i].ele)
		}
		rg := scoreRange{min: float64(r.IntN(42) - 1), max: float64(r.IntN(42) - 1), minex: r.IntN(2) == 0, maxex: r.IntN(2) == 0}
		var first, last *zslEntry
		for k := range m {
			if rg.gteMin(m[k].score) && rg.lteMax(m[k].score) {
				if first == nil {
					first = &m[k]
				}
				last = &m[k]
			}
		}
		f, l := zsl.firstInRange(&rg), zsl.lastInRange(&rg)
		if (f == nil) != (first == nil) || (f != nil && f.ele != first.ele) || (l == nil) != (last == nil) || (l != nil && l.ele != last.ele) {
			t.Fatalf("range %+v: first/last wrong", rg)
		}
	}
}

// TestZsetEncodingsAgree applies the same random ZADD/ZREM/range removals to
// a listpack and a skiplist sorted set and checks that every read (order,
// scores, ranks, score and lexicographic ranges both ways) agrees, then
// converts each into the other encoding and compares again.
func TestZsetEncodingsAgree(t *testing.T) {
	s := &Server{conf: &config.Values{ZsetMaxListpackEntries: 1 << 30, ZsetMaxListpackValue: 1 << 30}}
	r := rand.New(rand.NewPCG(3, 4))
	lp, sl := newZsetListpack(), newZsetSkiplist()
	both := func(f func(o *Object) string) {
		t.Helper()
		if a, b := f(lp), f(sl); a != b {
			t.Fatalf("listpack and skiplist disagree:\n  %s\n  %s", a, b)
		}
	}
	dump := func(o *Object) string {
		out := ""
		for it := zsetIterAtRank(o, 0, false); it.valid(); it.next() {
			e, sc := it.elem()
			out += fmt.Sprintf("%q=%v ", e, sc)
		}
		return out
	}
	member := func() []byte {
		if r.IntN(4) == 0 {
			return []byte(strconv.Itoa(r.IntN(200) - 100))
		}
		return []byte{byte('a' + r.IntN(20))}
	}
	for step := 0; step < 2000; step++ {
		ele, score := member(), float64(r.IntN(12))/2
		flags := []int{0, zaddNX, zaddXX, zaddGT, zaddLT, zaddIncr}[r.IntN(6)]
		switch r.IntN(8) {
		case 0, 1, 2, 3:
			o1, s1, _ := s.zsetAdd(lp, score, ele, flags)
			o2, s2, _ := s.zsetAdd(sl, score, ele, flags)
			if o1 != o2 || s1 != s2 {
				t.Fatalf("zsetAdd %q %v %d: %d %v vs %d %v", ele, score, flags, o1, s1, o2, s2)
			}
		case 4, 5:
			if zsetDel(lp, ele) != zsetDel(sl, ele) {
				t.Fatalf("zsetDel %q disagrees", ele)
			}
		case 6:
			rg := scoreRange{min: float64(r.IntN(8)), max: float64(r.IntN(8)), minex: r.IntN(2) == 0}
			if zsetDeleteScore(lp, &rg) != zsetDeleteScore(sl, &rg) {
				t.Fatalf("zsetDeleteScore %+v disagrees", rg)
			}
		default:
			if n := zsetLen(lp); n > 0 {
				a := r.IntN(n)
				b := a + r.IntN(n-a)
				if zsetDeleteRank(lp, a, b) != zsetDeleteRank(sl, a, b) {
					t.Fatal("zsetDeleteRank disagrees")
				}
			}
		}
		both(dump)
		e := member()
		both(func(o *Object) string {
			rk, ok := zsetRank(o, e, false)
			rr, _ := zsetRank(o, e, true)
			sc, _ := zsetScore(o, e)
			return fmt.Sprint(string(e), rk, rr, ok, sc)
		})
		rg := scoreRange{min: float64(r.IntN(8)) - 1, max: float64(r.IntN(8)), minex: r.IntN(2) == 0, maxex: r.IntN(2) == 0}
		rev := r.IntN(2) == 0
		both(func(o *Object) string {
			out := ""
			for it := zsetIterScore(o, &rg, rev); it.valid() && it.inScore(&rg); it.next() {
				e, _ := it.elem()
				out += string(e) + " "
			}
			return out
		})
	}
	// Lexicographic ranges are defined for equal scores only.
	lex1, lex2 := newZsetListpack(), newZsetSkiplist()
	for step := 0; step < 1000; step++ {
		ele := member()
		if r.IntN(3) == 0 {
			zsetDel(lex1, ele)
			zsetDel(lex2, ele)
		} else {
			s.zsetAdd(lex1, 0, ele, 0)
			s.zsetAdd(lex2, 0, ele, 0)
		}
		lr := lexRange{min: lexBound{s: string(member())}, max: lexBound{inf: r.IntN(2)}, minex: r.IntN(2) == 0}
		if lr.max.inf == 0 {
			lr.max.s = string(member())
		}
		rev := r.IntN(2) == 0
		lexOf := func(o *Object) string {
			out := ""
			for it := zsetIterLex(o, &lr, rev); it.valid() && it.inLex(&lr); it.next() {
				out += it.member() + " "
			}
			return out
		}
		if a, b := lexOf(lex1), lexOf(lex2); a != b {
			t.Fatalf("lex range %+v: listpack %q, skiplist %q", lr, a, b)
		}
	}
	convertToSkiplist(lp)
	convertToListpack(sl)
	lp, sl = sl, lp
	both(dump)
	if zsetMemory(lp) != robjSize+jemallocSize(int64(len(lp.lp()))) {
		t.Fatal("listpack memory is not its allocation")
	}
}

// FuzzZsetRanges checks that range parsing never panics and that what
// parses obeys the empty-range rules.
func FuzzZsetRanges(f *testing.F) {
	for _, s := range []string{"(1", "-inf", "+inf", "(", "", " 1", "nan", "0x10", "[a", "(a", "-", "+", "+x"} {
		f.Add([]byte(s), []byte("1"))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if r, ok := parseScoreRange(a, b); ok {
			if r.min != r.min || r.max != r.max {
				t.Fatalf("NaN accepted: %q %q", a, b)
			}
			_ = r.empty()
		}
		if r, ok := parseLexRange(a, b); ok {
			_ = r.empty()
		}
	})
}

// BenchmarkZadd and BenchmarkZpopmin run redis-benchmark's commands in
// process, beside SET for the engine's per-command cost.
func BenchmarkZadd(b *testing.B) {
	c := testClient(b)
	args := [][]byte{[]byte("ZADD"), []byte("myzset"), []byte("0"), []byte("element:__rand_int__")}
	b.ReportAllocs()
	for b.Loop() {
		c.w.Reset()
		c.process(args)
	}
}

func BenchmarkZpopmin(b *testing.B) {
	c := testClient(b)
	add := [][]byte{[]byte("ZADD"), []byte("myzset"), []byte("0"), []byte("element:__rand_int__")}
	args := [][]byte{[]byte("ZPOPMIN"), []byte("myzset")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.w.Reset()
		if i%2 == 0 {
			c.process(add)
		}
		c.process(args)
	}
}

// TestZsetMemoryAccounting runs random sorted-set commands in process,
// with limits that convert values both ways, and checks after each that
// the database's accounted memory is what its keys hold and that every
// listpack is valid.
func TestZsetMemoryAccounting(t *testing.T) {
	c := testClient(t)
	r := rand.New(rand.NewPCG(9, 9))
	keys := []string{"a", "b", "c"}
	member := func() string {
		if r.IntN(8) == 0 {
			return strings.Repeat("m", 60+r.IntN(10))
		}
		return strconv.Itoa(r.IntN(40))
	}
	score := func() string { return []string{"1", "2.5", "-inf", "inf", "0", "7", "(3", "-3"}[r.IntN(8)] }
	for i := 0; i < 4000; i++ {
		k, k2 := keys[r.IntN(3)], keys[r.IntN(3)]
		var args []string
		switch r.IntN(14) {
		case 0, 1, 2:
			args = []string{"ZADD", k, "1", member(), "2", member(), "3", member()}
		case 3:
			args = []string{"ZINCRBY", k, "1.5", member()}
		case 4:
			args = []string{"ZREM", k, member(), member()}
		case 5:
			args = []string{"ZREMRANGEBYRANK", k, "0", strconv.Itoa(r.IntN(3))}
		case 6:
			args = []string{"ZREMRANGEBYSCORE", k, score(), score()}
		case 7:
			args = []string{"ZREMRANGEBYLEX", k, "[" + member(), "+"}
		case 8:
			args = []string{"ZPOPMIN", k, strconv.Itoa(r.IntN(4))}
		case 9:
			args = []string{"ZMPOP", "2", k, k2, "MAX", "COUNT", "2"}
		case 10:
			args = []string{"ZRANGESTORE", k2, k, "0", strconv.Itoa(r.IntN(10))}
		case 11:
			args = []string{[]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(3)], k2, "2", k, keys[r.IntN(3)]}
		case 12:
			args = []string{"CONFIG", "SET", "zset-max-listpack-entries", []string{"3", "8", "128"}[r.IntN(3)]}
		default:
			args = []string{"COPY", k, k2, "REPLACE"}
		}
		c.run1(args...)
		var want int64
		for _, key := range keys {
			o := c.db.get([]byte(key))
			if o == nil {
				continue
			}
			want += keyMemory([]byte(key), o)
			if o.enc == EncListpack {
				if err := listpack.Validate(o.lp(), true, nil); err != nil {
					t.Fatalf("after %q: key %s: %v", args, key, err)
				}
			} else if z := o.zs(); z.dict.Len() != z.zsl.length {
				t.Fatalf("after %q: key %s: dict %d, skiplist %d", args, key, z.dict.Len(), z.zsl.length)
			}
		}
		if c.db.mem != want {
			t.Fatalf("after %q: accounted %d bytes, the keys hold %d", args, c.db.mem, want)
		}
	}
}
