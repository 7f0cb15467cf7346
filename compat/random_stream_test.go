package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// streamGen produces random stream commands over a few keys with explicit
// IDs (so that both servers hold the same IDs), small node limits (so that
// nodes fill, split and empty), and consumer groups.
type streamGen struct {
	gen
	clock *int // advances as entries are added, so that most new IDs are accepted
}

func (g streamGen) key() string { return "s" + strconv.Itoa(g.r.IntN(3)) }

func (g streamGen) id() string {
	ms := strconv.Itoa(max(*g.clock-g.r.IntN(12), 0))
	switch g.r.IntN(12) {
	case 0:
		return ms
	case 1:
		return g.pick("-", "+", "0-0", "abc", "18446744073709551615-18446744073709551615", "1-18446744073709551615")
	}
	return ms + "-" + strconv.Itoa(g.r.IntN(4))
}

// rangeID is a range bound: an ID, possibly exclusive.
func (g streamGen) rangeID() string {
	id := g.id()
	if g.r.IntN(4) == 0 {
		return "(" + id
	}
	return id
}

func (g streamGen) fields() []string {
	names := []string{"f", "g", "h"}
	n := 1 + g.r.IntN(2)
	if g.r.IntN(5) == 0 {
		n = 3
	}
	var fv []string
	for i := range n {
		f := names[i]
		if g.r.IntN(6) == 0 {
			f = g.value()
		}
		fv = append(fv, f, g.value())
	}
	return fv
}

func (g streamGen) trim() []string {
	var t []string
	switch g.r.IntN(3) {
	case 0:
		t = []string{"MAXLEN"}
	case 1:
		t = []string{"MINID"}
	default:
		return nil
	}
	approx := false
	switch g.r.IntN(3) {
	case 0:
		t, approx = append(t, "~"), true
	case 1:
		t = append(t, "=")
	}
	if t[0] == "MAXLEN" {
		t = append(t, strconv.Itoa(g.r.IntN(12)))
	} else {
		t = append(t, g.id())
	}
	if approx && g.r.IntN(2) == 0 {
		t = append(t, "LIMIT", strconv.Itoa(g.r.IntN(10)))
	}
	return t
}

func (g streamGen) group() string    { return "g" + strconv.Itoa(g.r.IntN(3)) }
func (g streamGen) consumer() string { return "c" + strconv.Itoa(g.r.IntN(3)) }

// command returns a random stream command and whether its reply carries
// times (idle, delivery and seen times) that must be masked.
func (g streamGen) command() (args []string, timed bool) {
	k := g.key()
	switch g.r.IntN(33) {
	case 0, 1, 2, 3, 4, 5:
		args = []string{"XADD", k}
		if g.r.IntN(8) == 0 {
			args = append(args, "NOMKSTREAM")
		}
		if g.r.IntN(4) == 0 {
			args = append(args, g.trim()...)
		}
		*g.clock += g.r.IntN(3)
		id := g.id()
		if g.r.IntN(4) == 0 {
			id = strconv.Itoa(*g.clock) + "-*"
		}
		return append(append(args, id), g.fields()...), false
	case 6, 7:
		args = []string{g.pick("XRANGE", "XREVRANGE"), k, g.rangeID(), g.rangeID()}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(g.r.IntN(5)-1))
		}
		return args, false
	case 8:
		return []string{"XLEN", k}, false
	case 9:
		return []string{"XDEL", k, g.id(), g.id()}, false
	case 10:
		return append([]string{"XTRIM", k}, g.trim()...), false
	case 11, 30, 31, 32:
		args = []string{"XGROUP", "CREATE", k, g.group(), g.pick("$", "0", g.id())}
		if g.r.IntN(4) != 0 {
			args = append(args, "MKSTREAM")
		}
		if g.r.IntN(3) == 0 {
			args = append(args, "ENTRIESREAD", strconv.Itoa(g.r.IntN(8)-1))
		}
		return args, false
	case 12:
		switch g.r.IntN(4) {
		case 0:
			args = []string{"XGROUP", "SETID", k, g.group(), g.pick("$", "0", g.id())}
			if g.r.IntN(2) == 0 {
				args = append(args, "ENTRIESREAD", strconv.Itoa(g.r.IntN(8)-1))
			}
		case 1:
			args = []string{"XGROUP", "DESTROY", k, g.group()}
		case 2:
			args = []string{"XGROUP", "CREATECONSUMER", k, g.group(), g.consumer()}
		default:
			args = []string{"XGROUP", "DELCONSUMER", k, g.group(), g.consumer()}
		}
		return args, false
	case 13, 14, 15:
		args = []string{"XREADGROUP", "GROUP", g.group(), g.consumer()}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(g.r.IntN(4)))
		}
		if g.r.IntN(5) == 0 {
			args = append(args, "NOACK")
		}
		return append(args, "STREAMS", k, g.pick(">", ">", "0", g.id())), false
	case 16:
		args = []string{"XREAD"}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(g.r.IntN(4)))
		}
		return append(args, "STREAMS", k, g.key(), g.pick("$", "0", g.id()), g.id()), false
	case 17, 18:
		return []string{"XACK", k, g.group(), g.id(), g.id()}, false
	case 19:
		if g.r.IntN(2) == 0 {
			return []string{"XPENDING", k, g.group()}, false
		}
		args = []string{"XPENDING", k, g.group()}
		if g.r.IntN(3) == 0 {
			args = append(args, "IDLE", g.pick("0", "100000"))
		}
		args = append(args, g.rangeID(), g.rangeID(), strconv.Itoa(g.r.IntN(6)))
		if g.r.IntN(2) == 0 {
			args = append(args, g.consumer())
		}
		return args, true
	case 20, 21:
		args = []string{"XCLAIM", k, g.group(), g.consumer(), g.pick("0", "0", "100000"), g.id(), g.id(), g.id(), g.id()}
		for range g.r.IntN(3) {
			switch g.r.IntN(5) {
			case 0:
				args = append(args, "FORCE")
			case 1:
				args = append(args, "RETRYCOUNT", strconv.Itoa(g.r.IntN(5)))
			case 2:
				args = append(args, "LASTID", g.id())
			default:
				args = append(args, "JUSTID")
			}
		}
		return args, false
	case 22:
		args = []string{"XAUTOCLAIM", k, g.group(), g.consumer(), g.pick("0", "0", "100000"), g.pick("0", "-", g.rangeID())}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(g.r.IntN(4)))
		}
		if g.r.IntN(2) == 0 {
			args = append(args, "JUSTID")
		}
		return args, false
	case 23:
		switch g.r.IntN(4) {
		case 0:
			return []string{"XINFO", "STREAM", k}, false
		case 1:
			return []string{"XINFO", "STREAM", k, "FULL", "COUNT", strconv.Itoa(g.r.IntN(4))}, true
		case 2:
			return []string{"XINFO", "GROUPS", k}, false
		}
		return []string{"XINFO", "CONSUMERS", k, g.group()}, true
	case 24:
		args = []string{"XSETID", k, g.id()}
		if g.r.IntN(3) == 0 {
			args = append(args, "ENTRIESADDED", strconv.Itoa(g.r.IntN(30)))
		}
		if g.r.IntN(3) == 0 {
			args = append(args, "MAXDELETEDID", g.id())
		}
		return args, false
	case 25:
		return []string{"COPY", k, g.key()}, false
	case 26:
		if g.r.IntN(4) == 0 {
			return []string{"DEL", k}, false
		}
		return []string{g.pick("TYPE", "OBJECT"), k}, false
	case 27:
		return []string{"DEBUG", "DIGEST-VALUE", k}, false
	case 28:
		if g.r.IntN(8) == 0 {
			return []string{"SET", "s0", "x"}, false
		}
		return []string{"XADD", "str", "1-1", "f", "v"}, false
	}
	return []string{"MEMORY", "USAGE", k}, false
}

// TestDiffRandomStream runs seeded random stream sequences against both
// servers, RESP2 and RESP3, with small node limits, comparing every reply
// (times masked, MEMORY USAGE within 20%) and the final DEBUG DIGEST.
func TestDiffRandomStream(t *testing.T) {
	p := startPair(t)
	const seeds, steps = 10, 500
	for seed := uint64(1); seed <= seeds; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d/RESP%d", seed, proto), func(t *testing.T) {
			s := p.session(t, proto)
			s.do(compareExact, "FLUSHALL")
			g := streamGen{gen{rand.New(rand.NewPCG(seed, 0x7374))}, new(int)}
			s.do(compareExact, "SET", "str", "x")
			maxEntries := g.pick("2", "3", "5", "100", "0")
			maxBytes := g.pick("0", "40", "100", "4096")
			s.do(compareExact, "CONFIG", "SET", "stream-node-max-entries", maxEntries, "stream-node-max-bytes", maxBytes)
			defer s.do(compareExact, "CONFIG", "SET", "stream-node-max-entries", "100", "stream-node-max-bytes", "4096")
			for i := 0; i < steps && !t.Failed(); i++ {
				args, timed := g.command()
				switch {
				case args[0] == "OBJECT":
					s.do(compareExact, "OBJECT", "ENCODING", args[1])
				case args[0] == "MEMORY":
					s.memoryClose(args...)
				case timed:
					s.doMasked(args...)
				default:
					s.do(compareExact, args...)
				}
			}
			s.do(compareExact, "DEBUG", "DIGEST")
		})
	}
}

// doBoth sends args to both servers and returns both replies.
func (s *session) doBoth(args ...string) (kv, redis []byte) {
	s.t.Helper()
	kv, err := s.kv.Do(args...)
	if err != nil {
		s.t.Fatalf("kv-server: %q: %v", args, err)
	}
	if redis, err = s.redis.Do(args...); err != nil {
		s.t.Fatalf("redis-server: %q: %v", args, err)
	}
	return kv, redis
}

// memoryClose compares MEMORY USAGE replies within 20%.
func (s *session) memoryClose(args ...string) {
	s.t.Helper()
	a, b := s.doBoth(args...)
	if bytes.Equal(a, b) {
		return
	}
	x, errA := strconv.ParseInt(string(bytes.TrimSpace(a[1:])), 10, 64)
	y, errB := strconv.ParseInt(string(bytes.TrimSpace(b[1:])), 10, 64)
	if errA != nil || errB != nil {
		s.t.Errorf("%s: kv-server %q, redis-server %q", quoteArgs(args), a, b)
		return
	}
	if x*5 < y*4 || x*5 > y*6 {
		s.t.Errorf("%s: kv-server %d, redis-server %d: more than 20%% apart", quoteArgs(args), x, y)
	}
}

// doMasked compares replies after masking the clock-derived integers of
// XPENDING's extended form, XINFO CONSUMERS and XINFO STREAM FULL (idle,
// seen and delivery times).
func (s *session) doMasked(args ...string) {
	s.t.Helper()
	a, b := s.doBoth(args...)
	ma, mb := maskStreamTimes(s.t, a), maskStreamTimes(s.t, b)
	if !bytes.Equal(ma, mb) {
		s.t.Errorf("%s (times masked):\n%s", quoteArgs(args), showDiff(ma, mb))
	}
}

// maskStreamTimes rewrites a reply with every integer that follows an
// "idle" or "seen-time" name, and every integer at position 3 of a 4
// element array or position 2 of a 3 element array whose first element is
// an ID (the PEL entries' times), as ":T".
func maskStreamTimes(t *testing.T, raw []byte) []byte {
	var out []byte
	var walk func(b []byte) []byte
	walk = func(b []byte) []byte {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok || len(line) == 0 {
			t.Fatalf("bad reply %q", raw)
		}
		switch line[0] {
		case '$', '=':
			n, _ := strconv.Atoi(string(line[1:]))
			out = append(out, line...)
			out = append(out, "\r\n"...)
			if n < 0 {
				return rest
			}
			out = append(out, rest[:n+2]...)
			return rest[n+2:]
		case '*', '%', '~', '>':
			n, _ := strconv.Atoi(string(line[1:]))
			if line[0] == '%' {
				n *= 2
			}
			out = append(out, line...)
			out = append(out, "\r\n"...)
			var prev []byte
			firstIsID := false
			for i := 0; i < n; i++ {
				start := len(out)
				if (prev != nil && (bytes.Equal(prev, []byte("idle")) || bytes.Equal(prev, []byte("seen-time")))) ||
					(firstIsID && ((n == 4 && i == 2) || (n == 3 && i == 1)) && len(rest) > 0 && rest[0] == ':') {
					_, r, _ := bytes.Cut(rest, []byte("\r\n"))
					out = append(out, ":T\r\n"...)
					rest = r
					prev = nil
					continue
				}
				rest = walk(rest)
				elem := out[start:]
				prev = nil
				if elem[0] == '$' {
					_, body, _ := bytes.Cut(elem, []byte("\r\n"))
					prev = bytes.TrimSuffix(body, []byte("\r\n"))
					if i == 0 && bytes.IndexByte(prev, '-') > 0 {
						firstIsID = true
					}
				}
			}
			return rest
		}
		out = append(out, line...)
		out = append(out, "\r\n"...)
		return rest
	}
	walk(raw)
	return out
}
