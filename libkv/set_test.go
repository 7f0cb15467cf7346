package libkv

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kvkit/kvkit/internal/intset"
)

// TestSetInvariants runs random set commands in process and checks after
// each that the database's accounted memory is the sum of its keys' sizes
// (every change to a set went through resized, setKey or deleteKey), that
// a hashtable's running member total is right, that intsets are valid and
// within set-max-intset-entries, and that no empty set is left.
func TestSetInvariants(t *testing.T) {
	c := testClient(t)
	c.srv.conf.SetMaxIntsetEntries = 8
	r := rand.New(rand.NewPCG(7, 7))
	member := func() []byte {
		if r.IntN(4) == 0 {
			return []byte("m" + strconv.Itoa(r.IntN(30)))
		}
		return []byte(strconv.Itoa(r.IntN(30) - 3))
	}
	key := func() []byte { return []byte("s" + strconv.Itoa(r.IntN(4))) }
	cmds := []func() [][]byte{
		func() [][]byte { return [][]byte{[]byte("SADD"), key(), member(), member(), member()} },
		func() [][]byte { return [][]byte{[]byte("SREM"), key(), member(), member()} },
		func() [][]byte { return [][]byte{[]byte("SPOP"), key()} },
		func() [][]byte { return [][]byte{[]byte("SPOP"), key(), []byte(strconv.Itoa(r.IntN(12)))} },
		func() [][]byte { return [][]byte{[]byte("SMOVE"), key(), key(), member()} },
		func() [][]byte { return [][]byte{[]byte("SINTERSTORE"), key(), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("SUNIONSTORE"), key(), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("SDIFFSTORE"), key(), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("COPY"), key(), key(), []byte("REPLACE")} },
		// Reads: their lookups take rehash steps.
		func() [][]byte { return [][]byte{[]byte("SISMEMBER"), key(), member()} },
		func() [][]byte { return [][]byte{[]byte("SMISMEMBER"), key(), member(), member()} },
		func() [][]byte { return [][]byte{[]byte("SRANDMEMBER"), key(), []byte(strconv.Itoa(r.IntN(20) - 10))} },
		func() [][]byte { return [][]byte{[]byte("SINTER"), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("SDIFF"), key(), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("SINTERCARD"), []byte("2"), key(), key()} },
		func() [][]byte { return [][]byte{[]byte("SSCAN"), key(), []byte("0")} },
		func() [][]byte { return [][]byte{[]byte("DEBUG"), []byte("DIGEST-VALUE"), key()} },
	}
	for step := 0; step < 20000; step++ {
		args := cmds[r.IntN(len(cmds))]()
		c.do(args...)
		db := c.db
		var total int64
		for k, o := range db.keys.All() {
			total += keyMemory([]byte(k), o)
			if o.typ != TypeSet {
				continue
			}
			if setSize(o) == 0 {
				t.Fatalf("after %q: empty set %s left", args, k)
			}
			if o.enc == EncIntset {
				if err := intset.Validate(o.intset(), true); err != nil {
					t.Fatalf("after %q: %s: %v", args, k, err)
				}
				if setSize(o) > 8 {
					t.Fatalf("after %q: intset %s of %d members", args, k, setSize(o))
				}
				continue
			}
			var mem int64
			for m := range o.setHT().d.All() {
				mem += setMemberSize(len(m))
			}
			if mem != o.setHT().mem {
				t.Fatalf("after %q: %s members total %d, counted %d", args, k, o.setHT().mem, mem)
			}
		}
		if total != db.mem {
			t.Fatalf("after %q: accounted %d, keys hold %d", args, db.mem, total)
		}
	}
}

// BenchmarkSaddSpop is redis-benchmark's sadd and spop tests: SADD of one
// member to a set that does not exist yet (a new hashtable each time),
// then SPOP of it (the key deleted).
func BenchmarkSaddSpop(b *testing.B) {
	c := testClient(b)
	sadd := [][]byte{[]byte("SADD"), []byte("myset"), []byte("element:__rand_int__")}
	spop := [][]byte{[]byte("SPOP"), []byte("myset")}
	b.ReportAllocs()
	for b.Loop() {
		c.do(sadd...)
		c.do(spop...)
	}
}

// BenchmarkSaddLarge adds to and pops from sets of 1000 members, intset
// and hashtable: the per-command cost must not grow with the set.
func BenchmarkSaddLarge(b *testing.B) {
	for _, prefix := range []string{"", "m:"} {
		name := map[string]string{"": "intset", "m:": "hashtable"}[prefix]
		b.Run(name, func(b *testing.B) {
			c := testClient(b)
			c.srv.conf.SetMaxIntsetEntries = 4096
			members := make([][]byte, 2000)
			for i := range members {
				members[i] = []byte(prefix + strconv.Itoa(i*7))
			}
			for _, m := range members[:1000] {
				c.do([]byte("SADD"), []byte("s"), m)
			}
			spop := [][]byte{[]byte("SPOP"), []byte("s")}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.do([]byte("SADD"), []byte("s"), members[1000+i%1000])
				c.do(spop...)
				i++
			}
		})
	}
}
