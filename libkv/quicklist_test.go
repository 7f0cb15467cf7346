package libkv

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/listpack"
	"github.com/kvkit/kvkit/librdb"
)

// checkQuicklist verifies a quicklist's invariants against the model of
// its elements: links, counts and sizes per node, listpack validity, head
// and tail never compressed, and the elements in order.
func checkQuicklist(t *testing.T, ql *quicklist, model []string) {
	t.Helper()
	if ql.count != len(model) {
		t.Fatalf("count %d, model has %d", ql.count, len(model))
	}
	var got []string
	nodes, count := 0, 0
	var prev *qlNode
	for n := ql.head; n != nil; n = n.next {
		if n.prev != prev {
			t.Fatalf("node %d: broken prev link", nodes)
		}
		if n.count == 0 {
			t.Fatalf("node %d is empty", nodes)
		}
		if n.lzf != nil && (n == ql.head || n == ql.tail) {
			t.Fatalf("node %d (head or tail) is compressed", nodes)
		}
		lp := n.lp
		if n.lzf != nil {
			var err error
			if lp, err = librdb.LZFDecompress(nil, n.lzf, n.sz); err != nil {
				t.Fatalf("node %d: %v", nodes, err)
			}
		}
		if len(lp) != n.sz {
			t.Fatalf("node %d: sz %d, holds %d bytes", nodes, n.sz, len(lp))
		}
		if n.plain {
			got = append(got, string(lp))
		} else {
			if err := listpack.Validate(lp, true, nil); err != nil {
				t.Fatalf("node %d: %v", nodes, err)
			}
			if listpack.Len(lp) != n.count {
				t.Fatalf("node %d: count %d, listpack has %d", nodes, n.count, listpack.Len(lp))
			}
			for _, v := range listpack.All(lp) {
				got = append(got, string(v))
			}
		}
		count += n.count
		nodes++
		prev = n
	}
	if prev != ql.tail || nodes != ql.len || count != ql.count {
		t.Fatalf("tail %v, %d nodes (len %d), %d elements (count %d)", prev == ql.tail, nodes, ql.len, count, ql.count)
	}
	if !slices.Equal(got, model) {
		t.Fatalf("elements differ:\n got %q\nwant %q", got, model)
	}
}

// TestQuicklistModel runs random operations on quicklists of several
// fill and compress settings and checks them against a slice after each.
func TestQuicklistModel(t *testing.T) {
	for _, cfg := range [][2]int{{-2, 0}, {-1, 1}, {3, 2}, {1, 1}, {-5, 0}, {128, 3}} {
		r := rand.New(rand.NewPCG(uint64(cfg[0]+10), uint64(cfg[1])))
		ql := newQuicklist(cfg[0], cfg[1])
		var model []string
		elem := func() string {
			switch r.IntN(4) {
			case 0:
				return strconv.Itoa(r.IntN(100000) - 50000)
			case 1:
				return strings.Repeat("ab", r.IntN(300))
			default:
				return "e" + strconv.Itoa(r.IntN(50))
			}
		}
		for i := 0; i < 3000; i++ {
			v := elem()
			switch op := r.IntN(8); {
			case op < 2:
				ql.pushHead([]byte(v))
				model = append([]string{v}, model...)
			case op < 4:
				ql.pushTail([]byte(v))
				model = append(model, v)
			case op == 4 && len(model) > 0:
				head := r.IntN(2) == 0
				want := model[len(model)-1]
				if head {
					want = model[0]
				}
				if got, _ := ql.pop(nil, head); string(got) != want {
					t.Fatalf("pop: %q, want %q", got, want)
				}
				if head {
					model = model[1:]
				} else {
					model = model[:len(model)-1]
				}
			case op == 5 && len(model) > 0:
				idx := r.IntN(len(model))
				ql.replaceAtIndex(idx, []byte(v))
				model[idx] = v
			case op == 6 && len(model) > 0:
				idx := r.IntN(len(model))
				after := r.IntN(2) == 0
				it := ql.iterAt(idx, true)
				n, p, _ := it.next()
				ql.insert(it, n, p, it.offset, []byte(v), after)
				if after {
					idx++
				}
				model = slices.Insert(model, idx, v)
			case op == 7 && len(model) > 0:
				start := r.IntN(len(model))
				n := r.IntN(len(model) - start + 1)
				ql.delRange(start, n)
				model = slices.Delete(model, start, start+n)
			}
			checkQuicklist(t, ql, model)
		}
	}
}

// BenchmarkListRangeReply is LRANGE 0 599 of a 600-element list, the
// reply written as for a client.
func BenchmarkListRangeReply(b *testing.B) {
	ql := newQuicklist(-2, 0)
	for i := 0; i < 600; i++ {
		ql.pushHead([]byte("xxx"))
	}
	o := newListObject(ql)
	c := &Client{}
	b.ReportAllocs()
	for b.Loop() {
		c.w.Reset()
		c.listRangeReply(o, 0, 599, false)
	}
}

// BenchmarkPushHead is LPUSH's work on a long list: the push and the
// memory accounting before and after it.
func BenchmarkPushHead(b *testing.B) {
	ql := newQuicklist(-2, 0)
	v := []byte("xxx")
	b.ReportAllocs()
	for b.Loop() {
		before := ql.memory()
		ql.pushHead(v)
		_ = ql.memory() - before
	}
}
