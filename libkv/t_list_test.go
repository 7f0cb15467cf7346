package libkv

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestListMemoryAccounting runs random list commands, reads included (a
// walk may compress nodes), with compression on, and checks after each
// that the database's accounted memory is what its keys hold.
func TestListMemoryAccounting(t *testing.T) {
	c := testClient(t)
	c.run1("CONFIG", "SET", "list-compress-depth", "1")
	c.run1("CONFIG", "SET", "list-max-listpack-size", "4")
	r := rand.New(rand.NewPCG(7, 7))
	keys := []string{"a", "b", "c"}
	elem := func() string {
		if r.IntN(3) == 0 {
			return strings.Repeat("xy", 10+r.IntN(40))
		}
		return strconv.Itoa(r.IntN(30))
	}
	idx := func() string { return strconv.Itoa(r.IntN(60) - 30) }
	for i := 0; i < 4000; i++ {
		k, k2 := keys[r.IntN(3)], keys[r.IntN(3)]
		var args []string
		switch r.IntN(12) {
		case 0, 1, 2:
			args = []string{"RPUSH", k, elem(), elem(), elem()}
		case 3:
			args = []string{"LPUSH", k, elem()}
		case 4:
			args = []string{"LPOP", k, strconv.Itoa(r.IntN(4))}
		case 5:
			args = []string{"LRANGE", k, idx(), idx()}
		case 6:
			args = []string{"LINSERT", k, "BEFORE", elem(), elem()}
		case 7:
			args = []string{"LREM", k, "1", elem()}
		case 8:
			args = []string{"LTRIM", k, idx(), idx()}
		case 9:
			args = []string{"LSET", k, idx(), elem()}
		case 10:
			args = []string{"LMOVE", k, k2, "LEFT", "RIGHT"}
		default:
			args = []string{"LPOS", k, elem(), "RANK", "-1", "COUNT", "0"}
		}
		c.run1(args...)
		var want int64
		for _, key := range keys {
			if o := c.db.get([]byte(key)); o != nil {
				want += keyMemory([]byte(key), o)
			}
		}
		if c.db.mem != want {
			t.Fatalf("after %q: accounted %d bytes, the keys hold %d", args, c.db.mem, want)
		}
	}
}
