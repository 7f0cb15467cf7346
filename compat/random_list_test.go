package compat

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// listGen produces random list commands over a few keys, with elements of
// sizes that exercise the quicklist: small strings and integers of every
// listpack encoding, elements that fill nodes by bytes, and elements over
// the 8 KB safety limit that get nodes of their own.
type listGen struct{ gen }

func (g listGen) key() string { return "l" + strconv.Itoa(g.r.IntN(5)) }

func (g listGen) elem() string {
	switch g.r.IntN(12) {
	case 0:
		return strconv.FormatInt(g.r.Int64N(1<<40)-1<<39, 10)
	case 1:
		return g.pick("0", "127", "128", "-4096", "4095", "-32768", "32767", "8388607", "-8388608",
			"2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "007", "-0", "1.5", "")
	case 2:
		// Compressible: repeated text.
		return strings.Repeat(g.pick("ab", "xyz", "hello "), 5+g.r.IntN(60))
	case 3:
		n := []int{60, 63, 64, 200, 1000, 4090, 8200}[g.r.IntN(7)]
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + g.r.IntN(26))
		}
		return string(b)
	case 4:
		return strconv.Itoa(g.r.IntN(20))
	default:
		return g.pick("a", "b", "c", "foo", "bar", "hello", "x")
	}
}

func (g listGen) elems(max int) []string {
	out := make([]string, 1+g.r.IntN(max))
	for i := range out {
		out[i] = g.elem()
	}
	return out
}

func (g listGen) index() string {
	if g.r.IntN(10) == 0 {
		return g.pick("abc", "9223372036854775807", "-9223372036854775808", "1.5")
	}
	return strconv.Itoa(g.r.IntN(120) - 60)
}

func (g listGen) end() string { return g.pick("LEFT", "RIGHT", "left", "right") }

// command returns a random list command; inspect reports that the key's
// layout should be compared afterwards.
func (g listGen) command() (args []string, inspect bool) {
	k, k2 := g.key(), g.key()
	switch g.r.IntN(30) {
	case 0, 1, 2, 3:
		return append([]string{g.pick("LPUSH", "RPUSH"), k}, g.elems(30)...), true
	case 4:
		return append([]string{g.pick("LPUSHX", "RPUSHX"), k}, g.elems(3)...), true
	case 5, 6:
		args := []string{g.pick("LPOP", "RPOP"), k}
		if g.r.IntN(2) == 0 {
			args = append(args, g.pick("0", "1", "3", "10", "100", "-1", "x"))
		}
		return args, true
	case 7:
		return []string{"LLEN", k}, false
	case 8:
		return []string{"LINDEX", k, g.index()}, true
	case 9:
		return []string{"LSET", k, g.index(), g.elem()}, true
	case 10, 11:
		return []string{"LRANGE", k, g.index(), g.index()}, true
	case 12:
		return []string{"LTRIM", k, g.index(), g.index()}, true
	case 13:
		return []string{"LREM", k, g.pick("0", "1", "2", "-1", "-3"), g.elem()}, true
	case 14, 15:
		return []string{"LINSERT", k, g.pick("BEFORE", "AFTER"), g.elem(), g.elem()}, true
	case 16:
		args := []string{"LPOS", k, g.elem()}
		for _, opt := range []string{"RANK", "COUNT", "MAXLEN"} {
			if g.r.IntN(2) == 0 {
				args = append(args, opt, g.pick("1", "2", "-1", "-2", "0", "5"))
			}
		}
		return args, false
	case 17:
		return []string{"LMOVE", k, k2, g.end(), g.end()}, true
	case 18:
		return []string{"RPOPLPUSH", k, k2}, true
	case 19:
		args := []string{"LMPOP", "2", k, k2, g.end()}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", g.pick("1", "2", "20"))
		}
		return args, true
	case 20:
		return []string{g.pick("BLPOP", "BRPOP"), k, k2, "0.01"}, true
	case 21:
		return []string{"BLMOVE", k, k2, g.end(), g.end(), "0.01"}, true
	case 22:
		return []string{"BLMPOP", "0.01", "1", k, g.end(), "COUNT", "3"}, true
	case 23:
		return []string{"MEMORY", "USAGE", k}, false
	case 24:
		return []string{"OBJECT", "ENCODING", k}, false
	case 25:
		return []string{"CONFIG", "SET", "list-max-listpack-size", g.pick("-1", "-2", "-3", "-5", "1", "3", "128")}, false
	case 26:
		return []string{"CONFIG", "SET", "list-compress-depth", g.pick("0", "1", "2")}, false
	case 27:
		return []string{g.pick("DEL", "EXISTS", "TYPE"), k}, false
	case 28:
		return []string{"COPY", k, k2, "REPLACE"}, true
	default:
		return []string{"SET", k, g.elem()}, false
	}
}

// sameDebugObject compares DEBUG OBJECT of key on both servers, without
// the address and LRU fields: encoding, serializedlength (the RDB form of
// every node) and the quicklist's ql_* fields.
func (s *session) sameDebugObject(key string) {
	s.t.Helper()
	a, errA := s.kv.Do("DEBUG", "OBJECT", key)
	b, errB := s.redis.Do("DEBUG", "OBJECT", key)
	if errA != nil || errB != nil {
		s.t.Fatalf("DEBUG OBJECT %s: %v / %v", key, errA, errB)
	}
	if fa, fb := debugObjectFields(s.t, a), debugObjectFields(s.t, b); fa != fb {
		s.t.Errorf("DEBUG OBJECT %s:\n  kv-server:    %s\n  redis-server: %s", key, fa, fb)
	}
}

// TestDiffRandomList runs seeded random list command sequences (RESP2 and
// RESP3) against both servers, with node size and compression settings
// changing along the way, comparing every reply, the quicklist layout
// (DEBUG OBJECT) and MEMORY USAGE after each change, and DEBUG DIGEST at
// the end.
func TestDiffRandomList(t *testing.T) {
	p := startPair(t)
	const first, seeds, steps = 1, 10, 300
	for seed := uint64(first); seed < first+seeds; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d/RESP%d", seed, proto), func(t *testing.T) {
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			g := listGen{gen{rand.New(rand.NewPCG(seed, 0x6c697374))}}
			s.do(compareExact, "CONFIG", "SET", "list-max-listpack-size", g.pick("-2", "-1", "4", "-5"))
			s.do(compareExact, "CONFIG", "SET", "list-compress-depth", g.pick("0", "1", "2"))
			var recent []string // the last commands, shown on a failure
			defer func() {
				if t.Failed() {
					t.Logf("last commands:\n%s", strings.Join(recent, "\n"))
				}
			}()
			for i := 0; i < steps && !t.Failed(); i++ {
				args, inspect := g.command()
				recent = append(recent, fmt.Sprintf("%.200s", quoteArgs(args)))
				if len(recent) > 8 {
					recent = recent[1:]
				}
				s.do(compareExact, args...)
				if inspect {
					for _, k := range args[1:] {
						if strings.HasPrefix(k, "l") && len(k) == 2 {
							s.do(compareExact, "MEMORY", "USAGE", k)
							if s.do(compareExact, "TYPE", k); true {
								if typ, _ := s.kv.Do("TYPE", k); string(typ) == "+list\r\n" {
									s.sameDebugObject(k)
								}
							}
						}
					}
				}
			}
			s.do(compareExact, "DEBUG", "DIGEST")
			s.do(compareExact, "CONFIG", "SET", "list-max-listpack-size", "-2")
			s.do(compareExact, "CONFIG", "SET", "list-compress-depth", "0")
		})
	}
}
