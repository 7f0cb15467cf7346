package libkv

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/listpack"
)

// checkHashInvariants checks what every hash command must keep true: the
// database's accounted bytes are the sum of its keys' (so each in-place
// change was accounted, and a table's bucket count as it is after the
// command's lookups), a listpack hash is valid, has a field count
// within hash-max-listpack-entries and elements within
// hash-max-listpack-value, and a hashtable's running entry total is
// the sum over its entries.
func checkHashInvariants(t *testing.T, c *Client, step int, args []string) {
	t.Helper()
	db := c.db
	var sum int64
	for k, o := range db.keys.All() {
		sum += keyMemory([]byte(k), o)
		if db.expireAt([]byte(k)) >= 0 {
			sum += expireEntry
		}
		if o.typ != TypeHash {
			continue
		}
		if hashLen(o) == 0 {
			t.Fatalf("step %d: key %q holds an empty hash", step, k)
		}
		if o.enc == EncListpack {
			lp := o.hashLP()
			if err := listpack.Validate(lp, true, nil); err != nil {
				t.Fatalf("step %d: key %q: %v", step, k, err)
			}
			if listpack.Bytes(lp) != len(lp) {
				t.Fatalf("step %d: key %q: header says %d bytes, slice has %d", step, k, listpack.Bytes(lp), len(lp))
			}
			continue
		}
		var elems int64
		hashEach(o, func(f, v []byte) bool {
			elems += hashEntrySize(len(f), len(v))
			return true
		})
		h := o.hashHT()
		if elems != h.elems {
			t.Fatalf("step %d: key %q: entry total %d, entries sum to %d", step, k, h.elems, elems)
		}
		if int64(h.d.Buckets()) != h.slots {
			t.Fatalf("step %d, %q: key %q: %d buckets accounted, the table has %d", step, args, k, h.slots, h.d.Buckets())
		}
	}
	if sum != db.mem {
		t.Fatalf("step %d: db.mem %d, keys sum to %d", step, db.mem, sum)
	}
}

// TestHashAccounting runs random hash commands (with small listpack limits,
// so conversions and table resizes happen) and checks the invariants after
// each.
func TestHashAccounting(t *testing.T) {
	c := testClient(t)
	r := rand.New(rand.NewPCG(1, 2))
	field := func() string { return "f" + strconv.Itoa(r.IntN(60)) }
	value := func() string {
		if r.IntN(4) == 0 {
			return strconv.Itoa(r.IntN(100000) - 50000)
		}
		return strings.Repeat("v", r.IntN(40))
	}
	c.run1("CONFIG", "SET", "hash-max-listpack-entries", "16")
	c.run1("CONFIG", "SET", "hash-max-listpack-value", "32")
	for step := 0; step < 5000; step++ {
		k := "h" + strconv.Itoa(r.IntN(4))
		var args []string
		switch r.IntN(10) {
		case 0, 1, 2:
			args = []string{"HSET", k}
			for i := r.IntN(5); i >= 0; i-- {
				args = append(args, field(), value())
			}
		case 3:
			args = []string{"HSETNX", k, field(), value()}
		case 4, 5:
			args = []string{"HDEL", k}
			for i := r.IntN(8); i >= 0; i-- {
				args = append(args, field())
			}
		case 6:
			args = []string{"HINCRBY", k, field(), strconv.Itoa(r.IntN(100))}
		case 7:
			args = []string{"HINCRBYFLOAT", k, field(), "1.5"}
		case 8:
			args = []string{"HGET", k, field()}
		default:
			args = []string{"HRANDFIELD", k, strconv.Itoa(r.IntN(30) - 10), "WITHVALUES"}
		}
		c.run1(args...)
		checkHashInvariants(t, c, step, args)
	}
}

// TestHashConversion checks the conversion rules of hashTypeTryConversion
// and hashTypeSet: by the number of fields, by the length of any argument,
// by HINCRBYFLOAT's result, and never back.
func TestHashConversion(t *testing.T) {
	c := testClient(t)
	c.run1("CONFIG", "SET", "hash-max-listpack-entries", "3")
	c.run1("CONFIG", "SET", "hash-max-listpack-value", "10")
	enc := func(k string) string { return c.run1("OBJECT", "ENCODING", k) }
	c.run1("HSET", "a", "1", "x", "2", "x", "3", "x")
	if got := enc("a"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("3 fields: %q", got)
	}
	c.run1("HSET", "a", "4", "x")
	if got := enc("a"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("4 fields: %q", got)
	}
	c.run1("HDEL", "a", "1", "2", "3")
	if got := enc("a"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("after HDEL: %q", got)
	}
	// A field longer than the value limit makes even a new hash a table.
	c.run1("HSETNX", "b", "12345678901", "x")
	if got := enc("b"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("long field: %q", got)
	}
	c.run1("HSET", "c", "f", "1")
	c.run1("HINCRBYFLOAT", "c", "f", "0.123456789")
	if got := enc("c"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("long HINCRBYFLOAT result: %q", got)
	}
	if got := c.run1("HGET", "c", "f"); got != "$11\r\n1.123456789\r\n" {
		t.Fatalf("HGET: %q", got)
	}
	// Integers are stored as listpack integers and read back as text.
	c.run1("HSET", "d", "-17", "9223372036854775807")
	if got := c.run1("HGETALL", "d"); !bytes.Equal([]byte(got), []byte("*2\r\n$3\r\n-17\r\n$19\r\n9223372036854775807\r\n")) {
		t.Fatalf("HGETALL: %q", got)
	}
}

// BenchmarkHSet is redis-benchmark's -t hset (one field of one hash,
// overwritten), in process; BenchmarkSetForHSet is -t set for comparison.
func BenchmarkHSet(b *testing.B) {
	c := testClient(b)
	args := [][]byte{[]byte("HSET"), []byte("myhash"), []byte("element:__rand_int__"), []byte("xxx")}
	b.ReportAllocs()
	for b.Loop() {
		c.w.Reset()
		c.process(args)
	}
}

func BenchmarkSetForHSet(b *testing.B) {
	c := testClient(b)
	args := [][]byte{[]byte("SET"), []byte("key:__rand_int__"), []byte("xxx")}
	b.ReportAllocs()
	for b.Loop() {
		c.w.Reset()
		c.process(args)
	}
}

// FuzzHashOps drives hashSet and hashDelete with fields and values cut from
// the input, with limits that make conversions likely, and checks the hash
// against a map after each operation: same fields and values, listpack
// valid and within the limits.
func FuzzHashOps(f *testing.F) {
	f.Add([]byte("\x01a\x011\x01b\x02-5\x00a\x01c\x0512345"), uint8(4), uint8(8))
	f.Add([]byte("\x01\x00\x00\x01\x14-9223372036854775808\x00\x00"), uint8(1), uint8(64))
	s := testClient(f).srv
	f.Fuzz(func(t *testing.T, data []byte, maxEntries, maxValue uint8) {
		s.conf.HashMaxListpackEntries = int64(maxEntries)
		s.conf.HashMaxListpackValue = int64(maxValue)
		o := newHashObject()
		model := map[string]string{}
		next := func() ([]byte, bool) {
			if len(data) == 0 {
				return nil, false
			}
			n := min(int(data[0]), len(data)-1)
			b := data[1 : 1+n]
			data = data[1+n:]
			return b, true
		}
		for step := 0; len(data) > 0 && step < 200; step++ {
			op := data[0]
			data = data[1:]
			field, ok := next()
			if !ok {
				break
			}
			if op&1 == 0 {
				_, had := model[string(field)]
				if hashDelete(o, field) != had {
					t.Fatalf("step %d: delete %q: existence differs from the model", step, field)
				}
				delete(model, string(field))
			} else {
				value, _ := next()
				s.hashTryConversion(o, [][]byte{field, value})
				_, had := model[string(field)]
				if s.hashSet(o, field, value) != had {
					t.Fatalf("step %d: set %q: existence differs from the model", step, field)
				}
				model[string(field)] = string(value)
			}
			if hashLen(o) != len(model) {
				t.Fatalf("step %d: %d fields, model has %d", step, hashLen(o), len(model))
			}
			seen := 0
			hashEach(o, func(f, v []byte) bool {
				if want, ok := model[string(f)]; !ok || want != string(v) {
					t.Fatalf("step %d: field %q = %q, model has %q (%v)", step, f, v, want, ok)
				}
				seen++
				return true
			})
			if seen != len(model) {
				t.Fatalf("step %d: iterated %d fields, model has %d", step, seen, len(model))
			}
			if o.enc == EncListpack {
				if err := listpack.Validate(o.hashLP(), true, nil); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if int64(hashLen(o)) > s.conf.HashMaxListpackEntries {
					t.Fatalf("step %d: listpack with %d fields, limit %d", step, hashLen(o), maxEntries)
				}
			}
		}
	})
}
