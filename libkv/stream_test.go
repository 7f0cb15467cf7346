package libkv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/listpack"
)

// raxNodesBrute counts the radix tree nodes for keys from the trie: the
// root, and every prefix state that is a key, branches, or hangs from a
// branching state (rax.c's canonical shape for equal-length keys).
func raxNodesBrute(keys []streamID) int {
	children := map[string]map[byte]bool{}
	for _, k := range keys {
		b := encodeStreamID(k)
		for d := range 16 {
			p := string(b[:d])
			if children[p] == nil {
				children[p] = map[byte]bool{}
			}
			children[p][b[d]] = true
		}
	}
	n := 1
	seen := map[string]bool{}
	for _, k := range keys {
		b := encodeStreamID(k)
		for d := 1; d <= 16; d++ {
			p := string(b[:d])
			if seen[p] {
				continue
			}
			seen[p] = true
			if d == 16 || len(children[p]) != 1 || len(children[string(b[:d-1])]) > 1 {
				n++
			}
		}
	}
	return n
}

// idSlice is a sorted slice of IDs as an idSet.
type idSlice []streamID

func (s idSlice) ceilID(x streamID) (streamID, bool) {
	if i := sort.Search(len(s), func(i int) bool { return s[i].cmp(x) >= 0 }); i < len(s) {
		return s[i], true
	}
	return streamID{}, false
}

func (s idSlice) floorID(x streamID) (streamID, bool) {
	if i := sort.Search(len(s), func(i int) bool { return s[i].cmp(x) > 0 }); i > 0 {
		return s[i-1], true
	}
	return streamID{}, false
}

func TestRaxInsertDelta(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var keys []streamID
		nodes := 1
		for range 1 + r.IntN(60) {
			var k streamID
			switch r.IntN(3) {
			case 0:
				k = streamID{uint64(r.IntN(1000)), uint64(r.IntN(4))}
			case 1:
				k = streamID{1700000000000 + uint64(r.IntN(100000)), uint64(r.IntN(300))}
			default:
				k = streamID{r.Uint64(), r.Uint64()}
			}
			i, found := slices.BinarySearchFunc(keys, k, func(a, b streamID) int { return a.cmp(b) })
			if found {
				continue
			}
			nodes += raxInsertDelta(idSlice(keys), k)
			keys = slices.Insert(keys, i, k)
			if want := raxNodesBrute(keys); nodes != want {
				t.Fatalf("round %d: after inserting %v into %d keys: %d nodes, trie has %d", round, k, len(keys)-1, nodes, want)
			}
		}
		for len(keys) > 0 {
			i := r.IntN(len(keys))
			k := keys[i]
			keys = slices.Delete(keys, i, i+1)
			nodes -= raxInsertDelta(idSlice(keys), k)
			if want := raxNodesBrute(keys); nodes != want {
				t.Fatalf("round %d: after removing %v: %d nodes, trie has %d", round, k, nodes, want)
			}
		}
		if nodes != 1 {
			t.Fatalf("round %d: empty tree has %d nodes", round, nodes)
		}
	}
}

func TestParseStreamID(t *testing.T) {
	for _, c := range []struct {
		in       string
		strict   bool
		star     bool
		want     string
		seqGiven bool
		ok       bool
	}{
		{"1-2", false, false, "1-2", true, true},
		{"5", false, false, "5-7", true, true},
		{"-", false, false, "0-0", true, true},
		{"+", false, false, "18446744073709551615-18446744073709551615", true, true},
		{"-", true, false, "", false, false},
		{"3-*", false, true, "3-0", false, true},
		{"3-*", false, false, "", false, false},
		{" 7-1", false, false, "7-1", true, true},
		{"+5-3", false, false, "5-3", true, true},
		{"007-1", false, false, "7-1", true, true},
		{"-1", false, false, "", false, false},
		{"1-", false, false, "", false, false},
		{"18446744073709551616", false, false, "", false, false},
		{"1-2\x00junk", false, false, "1-2", true, true},
		{"", false, false, "", false, false},
	} {
		id, seqGiven, ok := parseStreamID([]byte(c.in), 7, c.strict, c.star)
		if ok != c.ok || (ok && (id.String() != c.want || seqGiven != c.seqGiven)) {
			t.Errorf("parseStreamID(%q) = %v %v %v, want %s %v %v", c.in, id, seqGiven, ok, c.want, c.seqGiven, c.ok)
		}
	}
}

// TestStreamNodes adds, deletes and trims entries with small node limits
// and checks the nodes against a model: live entries, counts, every node's
// listpack valid as a stream node, and the node count invariant.
func TestStreamNodes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		s := newStreamValue()
		type entry struct {
			id streamID
			fv []string
		}
		var model []entry
		maxEntries := int64(1 + r.IntN(6))
		maxBytes := int64([]int{0, 30, 200, 4096}[r.IntN(4)])
		var last streamID
		for step := range 300 {
			switch op := r.IntN(10); {
			case op < 6:
				last = streamID{last.ms + uint64(r.IntN(3)), last.seq + 1}
				var fv [][]byte
				var sfv []string
				for i := range 1 + r.IntN(3) {
					f, v := "f"+strconv.Itoa(i), strconv.Itoa(r.IntN(1000)-500)
					if r.IntN(5) == 0 {
						f = "x" + strconv.Itoa(r.IntN(9))
					}
					fv = append(fv, []byte(f), []byte(v))
					sfv = append(sfv, f, v)
				}
				s.appendEntry(last, fv, maxBytes, maxEntries)
				model = append(model, entry{last, sfv})
			case op < 8 && len(model) > 0:
				i := r.IntN(len(model))
				n, e := s.lookup(model[i].id)
				if n == nil {
					t.Fatalf("round %d step %d: %v not found", round, step, model[i].id)
				}
				s.deleteEntry(n, e)
				model = slices.Delete(model, i, i+1)
			case op < 9:
				keep := r.IntN(len(model) + 1)
				a := trimArgs{strategy: trimMaxLen, maxLen: int64(keep)}
				if got := s.trim(&a); got != int64(len(model)-keep) {
					t.Fatalf("round %d step %d: trim to %d removed %d of %d", round, step, keep, got, len(model))
				}
				model = model[len(model)-keep:]
			default:
				if len(model) > 0 {
					min := model[r.IntN(len(model))].id
					a := trimArgs{strategy: trimMinID, minID: min}
					s.trim(&a)
					for len(model) > 0 && model[0].id.cmp(min) < 0 {
						model = model[1:]
					}
				}
			}
			if s.length != uint64(len(model)) {
				t.Fatalf("round %d step %d: length %d, model %d", round, step, s.length, len(model))
			}
			var got []entry
			s.rangeEach(streamID{}, maxStreamID, false, func(n *streamNode, e *streamEntry) bool {
				var fv []string
				n.fields(e, func(f, v []byte) { fv = append(fv, string(f), string(v)) })
				got = append(got, entry{e.id, fv})
				return true
			})
			if fmt.Sprint(got) != fmt.Sprint(model) {
				t.Fatalf("round %d step %d: entries\n%v\nmodel\n%v", round, step, got, model)
			}
			var masters []streamID
			var alloc int64
			for _, n := range s.nodes {
				if err := validateStreamListpack(n.lp); err != nil {
					t.Fatalf("round %d step %d: node %v: %v", round, step, n.master, err)
				}
				masters = append(masters, n.master)
				alloc += int64(n.alloc)
			}
			if want := raxNodesBrute(masters); s.raxNodes != want {
				t.Fatalf("round %d step %d: %d rax nodes, want %d", round, step, s.raxNodes, want)
			}
			if alloc != s.lpAlloc {
				t.Fatalf("round %d step %d: lpAlloc %d, nodes sum to %d", round, step, s.lpAlloc, alloc)
			}
		}
	}
}

func TestValidateStreamListpackErrors(t *testing.T) {
	s := newStreamValue()
	s.appendEntry(streamID{1, 1}, [][]byte{[]byte("f"), []byte("v")}, 0, 100)
	s.appendEntry(streamID{2, 1}, [][]byte{[]byte("g"), []byte("w")}, 0, 100)
	good := s.nodes[0].lp
	if err := validateStreamListpack(good); err != nil {
		t.Fatal(err)
	}
	// An extra element after the last entry, a wrong lp-count, a master
	// entry without its terminator.
	bad := [][]byte{
		listpack.AppendInt(append([]byte(nil), good...), 5),
		func() []byte {
			lp, _ := listpack.ReplaceInt(append([]byte(nil), good...), listpack.Last(good), 9)
			return lp
		}(),
		func() []byte {
			lp := listpack.New()
			for _, v := range []int64{1, 0, 1} {
				lp = listpack.AppendInt(lp, v)
			}
			return listpack.Append(lp, []byte("f"))
		}(),
	}
	for i, lp := range bad {
		if err := validateStreamListpack(lp); err == nil {
			t.Errorf("case %d: corrupt node accepted", i)
		}
	}
}

// FuzzStreamListpack feeds arbitrary bytes to the stream node validator
// (used for RDB and RESTORE payloads) and, when it accepts them, walks the
// node as the commands do: neither may panic.
func FuzzStreamListpack(f *testing.F) {
	s := newStreamValue()
	s.appendEntry(streamID{1, 1}, [][]byte{[]byte("f"), []byte("v")}, 0, 100)
	s.appendEntry(streamID{2, 1}, [][]byte{[]byte("g"), []byte("12345")}, 0, 100)
	s.appendEntry(streamID{3, 1}, [][]byte{[]byte("f"), []byte("x")}, 0, 100)
	n, e := s.lookup(streamID{2, 1})
	s.deleteEntry(n, e)
	f.Add(append([]byte(nil), s.nodes[0].lp...))
	f.Add(listpack.New())
	f.Fuzz(func(t *testing.T, lp []byte) {
		if validateStreamListpack(lp) != nil {
			return
		}
		n := &streamNode{master: streamID{1, 1}, lp: lp}
		for _, e := range n.entries(nil) {
			n.fields(&e, func(f, v []byte) {})
		}
	})
}

// checkStreamInvariants checks what every stream command must keep true:
// the database's accounted bytes are the sum of its keys', each stream's
// running totals (node allocations, group memory, radix tree node counts
// of the stream and of every PEL) match a recount, and group and consumer
// PELs hold the same NACKs.
func checkStreamInvariants(t *testing.T, c *Client, step int, args []string) {
	t.Helper()
	db := c.db
	var sum int64
	for k, o := range db.keys.All() {
		sum += keyMemory([]byte(k), o)
		if o.typ != TypeStream {
			continue
		}
		s := o.stream()
		var masters []streamID
		var alloc int64
		for _, n := range s.nodes {
			masters = append(masters, n.master)
			alloc += int64(n.alloc)
		}
		if alloc != s.lpAlloc || raxNodesBrute(masters) != s.raxNodes {
			t.Fatalf("step %d %q: key %q: lpAlloc %d (nodes %d), rax nodes %d (trie %d)", step, args, k, s.lpAlloc, alloc, s.raxNodes, raxNodesBrute(masters))
		}
		var gm int64
		for _, g := range s.groups {
			pelNodes := func(p *streamPEL) {
				var ids []streamID
				for e := range p.all() {
					ids = append(ids, e.id)
				}
				if len(ids) != p.len() || !slices.IsSortedFunc(ids, func(a, b streamID) int { return a.cmp(b) }) {
					t.Fatalf("step %d %q: key %q group %q: PEL of %d entries counts %d, or is out of order", step, args, k, g.name, len(ids), p.len())
				}
				for i, ch := range p.chunks {
					if len(ch) == 0 || len(ch) > pelChunkMax {
						t.Fatalf("step %d %q: key %q group %q: chunk %d of %d holds %d", step, args, k, g.name, i, len(p.chunks), len(ch))
					}
				}
				if want := raxNodesBrute(ids); max(p.nodes, 1) != want {
					t.Fatalf("step %d %q: key %q group %q: PEL of %d has %d nodes, trie %d", step, args, k, g.name, len(ids), p.nodes, want)
				}
			}
			pelNodes(&g.pel)
			held := 0
			m := int64(40) + g.pel.memory() + 24*int64(g.pel.len())
			for _, cons := range g.consumers {
				pelNodes(&cons.pel)
				held += cons.pel.len()
				for e := range cons.pel.all() {
					if g.pel.find(e.id) != e.nack || e.nack.consumer != cons {
						t.Fatalf("step %d %q: key %q: %v in %q's PEL is not the group's", step, args, k, e.id, cons.name)
					}
				}
				m += 24 + int64(len(cons.name)) + cons.pel.memory()
			}
			if held != g.pel.len() {
				t.Fatalf("step %d %q: key %q: group PEL %d, consumers hold %d", step, args, k, g.pel.len(), held)
			}
			gm += m
		}
		if gm != s.groupsMem {
			t.Fatalf("step %d %q: key %q: groupsMem %d, recount %d", step, args, k, s.groupsMem, gm)
		}
	}
	if sum != db.mem {
		t.Fatalf("step %d %q: db.mem %d, keys sum to %d", step, args, db.mem, sum)
	}
}

// TestStreamAccounting runs random stream commands with small node limits
// and checks the invariants after each.
func TestStreamAccounting(t *testing.T) {
	c := testClient(t)
	r := rand.New(rand.NewPCG(5, 6))
	clock := 0
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	id := func() string { return strconv.Itoa(max(clock-r.IntN(10), 0)) + "-" + strconv.Itoa(r.IntN(3)) }
	c.run1("CONFIG", "SET", "stream-node-max-entries", "3", "stream-node-max-bytes", "120")
	for step := range 3000 {
		k := pick("s0", "s1")
		g, cn := pick("g0", "g1"), pick("c0", "c1", "c2")
		var args []string
		switch r.IntN(12) {
		case 0, 1, 2:
			clock += r.IntN(3)
			args = []string{"XADD", k, id(), pick("f", "g"), strconv.Itoa(r.IntN(1000)), "h", strings.Repeat("x", r.IntN(30))}
			if r.IntN(5) == 0 {
				args = append([]string{"XADD", k, "MAXLEN", pick("~", "="), strconv.Itoa(r.IntN(10))}, args[2:]...)
			}
		case 3:
			args = []string{"XDEL", k, id(), id()}
		case 4:
			args = []string{"XTRIM", k, "MAXLEN", pick("~", "="), strconv.Itoa(r.IntN(10))}
			if r.IntN(2) == 0 {
				args = []string{"XTRIM", k, "MINID", pick("~", "="), id()}
			}
		case 5:
			args = []string{"XGROUP", "CREATE", k, g, pick("0", "$"), "MKSTREAM"}
		case 6:
			args = []string{"XREADGROUP", "GROUP", g, cn, "COUNT", strconv.Itoa(r.IntN(4)), "STREAMS", k, pick(">", ">", "0")}
		case 7:
			args = []string{"XACK", k, g, id(), id(), id()}
		case 8:
			args = []string{"XCLAIM", k, g, cn, "0", id(), id(), pick("JUSTID", "FORCE")}
		case 9:
			args = []string{"XAUTOCLAIM", k, g, cn, "0", "0", "COUNT", strconv.Itoa(1 + r.IntN(4))}
		case 10:
			args = []string{"XGROUP", pick("DELCONSUMER", "CREATECONSUMER"), k, g, cn}
		default:
			args = []string{pick("COPY", "DEL", "XGROUP"), k, pick("s2", "s3", g)}
			if args[0] == "XGROUP" {
				args = []string{"XGROUP", "DESTROY", k, g}
			}
		}
		c.run1(args...)
		checkStreamInvariants(t, c, step, args)
	}
}

// TestStreamPEL drives a PEL through random insertions and removals
// (deliveries at the end, acknowledgements mostly at the front, some
// anywhere) against a sorted model: lookups, order, ceil/floor, chunk
// bounds and the radix tree node count.
func TestStreamPEL(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var p streamPEL
	var model []streamID
	next := uint64(1)
	maxChunks := 0
	defer func() {
		if maxChunks < 10 {
			t.Errorf("the PEL never grew past %d chunks", maxChunks)
		}
	}()
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 6: // the PEL grows to a few thousand entries, many chunks
			id := streamID{next, uint64(r.IntN(2))}
			if r.IntN(6) == 0 { // an old ID (XCLAIM ... FORCE, SETID backwards)
				id = streamID{uint64(r.IntN(int(next))), uint64(r.IntN(3))}
			}
			next += uint64(1 + r.IntN(3))
			i, found := slices.BinarySearchFunc(model, id, func(a, b streamID) int { return a.cmp(b) })
			if p.insert(id, &streamNACK{deliveryCount: int64(id.ms)}) == found {
				t.Fatalf("step %d: insert %v: found %v", step, id, found)
			}
			if !found {
				model = slices.Insert(model, i, id)
			}
		case len(model) > 0:
			i := 0
			if r.IntN(4) == 0 {
				i = r.IntN(len(model))
			}
			p.remove(model[i])
			model = slices.Delete(model, i, i+1)
		}
		if p.len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, p.len(), len(model))
		}
		if step%97 != 0 {
			continue
		}
		var got []streamID
		for e := range p.all() {
			got = append(got, e.id)
			if e.nack.deliveryCount != int64(e.id.ms) {
				t.Fatalf("step %d: %v holds another entry's NACK", step, e.id)
			}
		}
		if !slices.Equal(got, model) {
			t.Fatalf("step %d: PEL %v, model %v", step, got, model)
		}
		maxChunks = max(maxChunks, len(p.chunks))
		for _, ch := range p.chunks {
			if len(ch) == 0 || len(ch) > pelChunkMax {
				t.Fatalf("step %d: a chunk of %d", step, len(ch))
			}
		}
		if want := raxNodesBrute(model); max(p.nodes, 1) != want {
			t.Fatalf("step %d: %d nodes, trie %d", step, p.nodes, want)
		}
		probe := streamID{uint64(r.IntN(int(next))), uint64(r.IntN(3))}
		c, cok := p.ceilID(probe)
		f, fok := p.floorID(probe)
		wc, wcok := idSlice(model).ceilID(probe)
		wf, wfok := idSlice(model).floorID(probe)
		if c != wc || cok != wcok || f != wf || fok != wfok {
			t.Fatalf("step %d: ceil/floor of %v: %v %v / %v %v, want %v %v / %v %v", step, probe, c, cok, f, fok, wc, wcok, wf, wfok)
		}
	}
}
