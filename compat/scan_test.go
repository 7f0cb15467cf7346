package compat

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
)

// fullScan iterates SCAN with args to completion (at most 10000 calls) and
// returns the distinct keys seen, sorted, and the number of calls.
func fullScan(t *testing.T, c *resptest.Conn, args ...string) ([]string, int) {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	calls := 0
	for {
		calls++
		if calls > 10000 {
			t.Fatal("SCAN did not finish in 10000 calls")
		}
		raw, err := c.Do(append([]string{"SCAN", cursor}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		_, elems, err := resptest.Elements(raw)
		if err != nil || len(elems) != 2 {
			t.Fatalf("SCAN reply %q: %v", raw, err)
		}
		cursor = string(bytes.Split(elems[0], []byte("\r\n"))[1])
		_, keys, err := resptest.Elements(elems[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[string(bytes.Split(k, []byte("\r\n"))[1])] = true
		}
		if cursor == "0" {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, calls
}

// TestScan compares complete SCAN iterations (MATCH, COUNT, TYPE) of the
// same dataset on both servers: the order differs (it follows each server's
// hash function), the set of keys must not. It also checks the guarantee
// while keys are added and removed between calls, and the errors.
func TestScan(t *testing.T) {
	p := startPair(t)
	s := p.session(t, 2)
	for i := 0; i < 500; i++ {
		s.do(compareExact, "SET", "key:"+strconv.Itoa(i), "v")
	}
	s.do(compareExact, "SET", "other", "x")
	for _, args := range [][]string{{}, {"COUNT", "3"}, {"COUNT", "1000"}, {"MATCH", "key:1*"}, {"MATCH", "key:1*", "COUNT", "2"}, {"TYPE", "string"}, {"TYPE", "hash"}, {"MATCH", "oth*", "TYPE", "STRING"}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			a, _ := fullScan(t, s.kv, args...)
			b, _ := fullScan(t, s.redis, args...)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("SCAN %v: kv-server saw %d keys, redis-server %d", args, len(a), len(b))
			}
		})
	}
	for _, args := range [][]string{{"SCAN", "abc"}, {"SCAN", " 1"}, {"SCAN", "0", "COUNT", "0"}, {"SCAN", "0", "COUNT", "x"},
		{"SCAN", "0", "MATCH"}, {"SCAN", "0", "FOO", "bar"}, {"SCAN", "18446744073709551616"}, {"SCAN", "0", "COUNT", "-1"}} {
		s.do(compareExact, args...)
	}

	// Keys present for the whole scan are all returned although the table
	// grows (and later shrinks) between calls.
	c := s.kv
	mustDo(t, c, "FLUSHALL")
	for i := 0; i < 300; i++ {
		mustDo(t, c, "SET", "stable:"+strconv.Itoa(i), "v")
	}
	seen := map[string]bool{}
	cursor := "0"
	for step := 0; ; step++ {
		raw := mustDo(t, c, "SCAN", cursor, "COUNT", "5")
		_, elems, _ := resptest.Elements([]byte(raw))
		cursor = string(bytes.Split(elems[0], []byte("\r\n"))[1])
		_, keys, _ := resptest.Elements(elems[1])
		for _, k := range keys {
			seen[string(bytes.Split(k, []byte("\r\n"))[1])] = true
		}
		switch {
		case step < 20: // grow: add 200 volatile keys per step
			for i := 0; i < 200; i++ {
				mustDo(t, c, "SET", fmt.Sprintf("tmp:%d:%d", step, i), "v")
			}
		case step < 40: // shrink again
			for i := 0; i < 200; i++ {
				mustDo(t, c, "DEL", fmt.Sprintf("tmp:%d:%d", step-20, i))
			}
		}
		if cursor == "0" || step > 5000 {
			break
		}
	}
	for i := 0; i < 300; i++ {
		if !seen["stable:"+strconv.Itoa(i)] {
			t.Errorf("SCAN missed stable:%d, present for the whole scan", i)
		}
	}
}
