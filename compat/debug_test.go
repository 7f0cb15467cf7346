package compat

import (
	"bytes"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// debugObjectFields returns DEBUG OBJECT's reply without the fields that
// differ by nature (the value's address, its LRU clock and idle time).
func debugObjectFields(t *testing.T, raw []byte) string {
	t.Helper()
	var keep []string
	for _, f := range strings.Fields(strings.TrimSpace(string(raw))) {
		if !strings.HasPrefix(f, "at:") && !strings.HasPrefix(f, "lru:") && !strings.HasPrefix(f, "lru_seconds_idle:") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// checkDebugObject compares DEBUG OBJECT's refcount, encoding and
// serializedlength for strings of every shape: serializedlength is the
// value's RDB length, so integers take their short forms and strings over
// 20 bytes are LZF-compressed exactly as Debian's liblzf does it.
func checkDebugObject(t *testing.T, p *pair) {
	s := p.session(t, 2)
	r := rand.New(rand.NewSource(1))
	values := []string{"", "0", "-1", "127", "128", "-128", "-129", "32767", "32768", "-32768",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "12345678901", "9223372036854775807",
		"007", "-0", " 1", strings.Repeat("a", 20), strings.Repeat("a", 21), strings.Repeat("ab", 50),
		"baaabaaaabaaababaabaabbbb", strings.Repeat("abcdefgh", 10)}
	for i := 0; i < 150; i++ {
		n := []int{21, 25, 30, 44, 45, 64, 100, 300, 1000, 9000, 20000, 70000}[r.Intn(12)]
		alpha := []int{2, 3, 26, 256}[r.Intn(4)]
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.Intn(alpha))
		}
		if r.Intn(3) == 0 {
			copy(b[n/2:], b)
		}
		values = append(values, string(b))
	}
	for i, v := range values {
		key := "k" + strconv.Itoa(i%3)
		s.do(compareExact, "SET", key, v)
		a := s.do(compareSkip, "DEBUG", "OBJECT", key)
		b, err := s.redis.Do("DEBUG", "OBJECT", key)
		if err != nil {
			t.Fatal(err)
		}
		if fa, fb := debugObjectFields(t, a), debugObjectFields(t, b); fa != fb {
			t.Errorf("DEBUG OBJECT of a %d-byte value %q...:\n  kv-server:    %s\n  redis-server: %s", len(v), v[:min(len(v), 30)], fa, fb)
		}
	}
	// Without rdbcompression, long strings are stored verbatim.
	s.do(compareExact, "CONFIG", "SET", "rdbcompression", "no")
	s.do(compareExact, "SET", "k", strings.Repeat("a", 100))
	a := s.do(compareSkip, "DEBUG", "OBJECT", "k")
	if !bytes.Contains(a, []byte("serializedlength:102 ")) {
		t.Errorf("DEBUG OBJECT with rdbcompression no: %q, want serializedlength:102", a)
	}
	s.do(compareExact, "CONFIG", "SET", "rdbcompression", "yes")
}

// checkSharedIntegerIdle checks the LRU clock of Redis's shared integers:
// all keys holding a small integer share one object, created at startup,
// so such a key's OBJECT IDLETIME counts from the last access to any key
// with that value (or from startup), not from its own SET.
func checkSharedIntegerIdle(t *testing.T, p *pair) {
	s := p.session(t, 2)
	time.Sleep(1100 * time.Millisecond)
	s.do(compareExact, "SET", "never", "7")         // shared, untouched since startup
	s.do(compareExact, "SET", "read", "8")          // shared, read below
	s.do(compareExact, "SET", "other", "8")         // reading "read" refreshes this one too
	s.do(compareExact, "SET", "private", "1000000") // its own object
	s.do(compareExact, "GET", "read")
	a, b := intReply(t, s.kv, "OBJECT", "IDLETIME", "never"), intReply(t, s.redis, "OBJECT", "IDLETIME", "never")
	if a < 1 || b < 1 || a-b > 1 || b-a > 1 {
		t.Errorf("OBJECT IDLETIME of a shared integer never read: kv-server %d, redis-server %d; want the time since startup", a, b)
	}
	for _, key := range []string{"read", "other", "private"} {
		s.do(compareExact, "OBJECT", "IDLETIME", key)
	}
}

// TestIntrospection runs the introspection comparisons on one pair (each
// pair costs a second under -race): shared integers first, since it needs
// integers no other check has touched.
func TestIntrospection(t *testing.T) {
	p := startPair(t)
	for _, c := range []struct {
		name  string
		check func(*testing.T, *pair)
	}{
		{"SharedIntegerIdle", checkSharedIntegerIdle}, {"DebugObject", checkDebugObject},
		{"LatencyDoctor", checkLatencyDoctor}, {"LatencyHistogram", checkLatencyHistogram}, {"MemoryStatsFields", checkMemoryStatsFields},
		{"MemoryUsageExact", checkMemoryUsageExact}, {"Lolwut", checkLolwut},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, p) })
	}
}
