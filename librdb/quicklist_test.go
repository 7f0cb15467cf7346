package librdb

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// nodeVisitor takes lists node by node (QuicklistVisitor): it records the
// nodes and hands their elements to canonVisitor, so its canonical content
// can be compared with the element-by-element decoding of the same file.
type nodeVisitor struct {
	canonVisitor
	nodes []QuicklistNode
}

func (n *nodeVisitor) ListNode(k *Key, node []byte, plain bool, count int) error {
	n.nodes = append(n.nodes, QuicklistNode{Plain: plain, Data: bytes.Clone(node)})
	if plain {
		return n.ListElement(k, node)
	}
	got, err := ListpackEach(node, func(e Entry) error { return n.ListElement(k, e.Append(nil)) })
	if err == nil && got != count {
		return fmt.Errorf("ListNode count %d, listpack holds %d", count, got)
	}
	return err
}

// decodeBoth decodes data element by element and node by node; both must
// succeed or fail alike and give the same content.
func decodeBoth(t *testing.T, data []byte) (*canonVisitor, *nodeVisitor, error) {
	t.Helper()
	a, b := &canonVisitor{}, &nodeVisitor{}
	da, db := NewDecoder(bytes.NewReader(data)), NewDecoder(bytes.NewReader(data))
	da.VerifyChecksum, db.VerifyChecksum = false, false
	errA, errB := da.Decode(a), db.Decode(b)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("element decoding: %v; node decoding: %v", errA, errB)
	}
	if errA != nil {
		return a, b, errA
	}
	if len(a.keys) != len(b.keys) {
		t.Fatalf("%d keys, %d by nodes", len(a.keys), len(b.keys))
	}
	for i := range a.keys {
		if a.keys[i].canon() != b.keys[i].canon() {
			t.Fatalf("key %q: %.200s, by nodes %.200s", a.keys[i].key, a.keys[i].canon(), b.keys[i].canon())
		}
	}
	return a, b, nil
}

// TestQuicklistNodes reads quicklist files node by node: Redis 4.0's
// quicklist of ziplists (converted to listpacks entry by entry) and Redis
// 7.0's quicklist 2 (with LZF-compressed and PLAIN nodes), and writes the
// nodes back as they are.
func TestQuicklistNodes(t *testing.T) {
	dir := sharedTestdata(t)
	for _, name := range []string{"public/redis/list-quicklist.rdb", "public/cupcake-rdb/rdb_v7_list_quicklist.rdb", "redis-7.0/dump.rdb"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, nv, err := decodeBoth(t, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(nv.nodes) == 0 {
			t.Fatalf("%s: no node", name)
		}
	}

	// The 7.0 corpus's list:plain has PLAIN nodes; its long lists have
	// LZF-compressed interior nodes (list-compress-depth 1).
	data, _ := os.ReadFile(filepath.Join(dir, "redis-7.0/dump.rdb"))
	_, nv, _ := decodeBoth(t, data)
	plain := 0
	for _, n := range nv.nodes {
		if n.Plain {
			plain++
		}
	}
	if plain == 0 {
		t.Error("no PLAIN node in the 7.0 corpus")
	}

	// Nodes written as they are: raw, LZF-compressed, PLAIN.
	var b ListpackBuilder
	for i := 0; i < 40; i++ {
		b.AppendString([]byte("element-element-element"))
	}
	lp := b.AppendTo(nil)
	lzf := LZFCompress(nil, lp, len(lp))
	if lzf == nil {
		t.Fatal("listpack does not compress")
	}
	in := &Value{Kind: KindList, Nodes: []QuicklistNode{
		{Data: lp},
		{LZF: lzf, Size: len(lp)},
		{Plain: true, Data: bytes.Repeat([]byte("p"), 300)},
		{Data: lp},
	}}
	var out bytes.Buffer
	enc, _ := NewEncoder(&out, DefaultVersion)
	enc.WriteHeader()
	if err := enc.WriteKey([]byte("l"), in, NoMeta); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	_, nv, err := decodeBoth(t, out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(nv.nodes) != 4 || !nv.nodes[2].Plain || nv.nodes[0].Plain {
		t.Fatalf("nodes %+v", nv.nodes)
	}
	for i, n := range nv.nodes {
		if i != 2 && !bytes.Equal(n.Data, lp) {
			t.Errorf("node %d: %q", i, n.Data)
		}
	}
	if len(nv.keys) != 1 || len(nv.keys[0].Elems) != 121 {
		t.Errorf("decoded %d keys", len(nv.keys))
	}
	// The LZF node is stored as Redis stores it: its compressed bytes.
	if !bytes.Contains(out.Bytes(), lzf) {
		t.Error("compressed node not written as it was")
	}
}

// FuzzQuicklistNodes: decoding node by node accepts exactly what decoding
// element by element accepts, with the same content.
func FuzzQuicklistNodes(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, data)
	})
}
