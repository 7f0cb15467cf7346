package compat

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// infoFields parses INFO output into section name -> field names in order.
// Per-command, per-error and per-database lines are left out: which of them
// appear depends on what ran.
func infoFields(text string) (sections []string, fields map[string][]string) {
	dynamic := regexp.MustCompile(`^(cmdstat_|latency_percentiles_usec_|errorstat_|db[0-9]+$)`)
	fields = map[string][]string{}
	var cur string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			cur = strings.TrimPrefix(line, "# ")
			sections = append(sections, cur)
			fields[cur] = nil
		case strings.Contains(line, ":"):
			name, _, _ := strings.Cut(line, ":")
			if !dynamic.MatchString(name) {
				fields[cur] = append(fields[cur], name)
			}
		}
	}
	return sections, fields
}

// TestInfoFields checks that INFO everything has every section and field of
// Redis 7.0's (shared/reference/redis-7.0/info.txt), in the same order.
func TestInfoFields(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "..", "shared", "reference", "redis-7.0", "info.txt"))
	if err != nil {
		t.Fatalf("the Redis 7.0 reference is missing (shared/ beside the repository): %v", err)
	}
	wantSections, want := infoFields(string(ref))
	kv := testutil.StartKV(t)
	c := dial(t, kv.Addr())
	mustDo(t, c, "SET", "k", "v")
	raw := mustDo(t, c, "INFO", "everything")
	body := raw[strings.Index(raw, "\r\n")+2:]
	body = strings.TrimPrefix(body, "txt:")
	gotSections, got := infoFields(body)
	if !slices.Equal(gotSections, wantSections) {
		t.Errorf("sections:\n got %v\nwant %v", gotSections, wantSections)
	}
	for _, sec := range wantSections {
		if !slices.Equal(got[sec], want[sec]) {
			t.Errorf("section %s fields:\n got %v\nwant %v", sec, got[sec], want[sec])
		}
	}
	if !strings.Contains(body, "db0:keys=1,expires=0,avg_ttl=0\r\n") {
		t.Errorf("keyspace line missing:\n%s", body)
	}
	// INFO with sections picks those, case-insensitively, in Redis's order.
	raw = mustDo(t, c, "INFO", "KEYSPACE", "server")
	if i, j := strings.Index(raw, "# Server"), strings.Index(raw, "# Keyspace"); i < 0 || j < i || strings.Contains(raw, "# Clients") {
		t.Errorf("INFO KEYSPACE server:\n%s", raw)
	}
}

// TestMemoryUsage compares MEMORY USAGE of string values of each encoding
// and size with Redis's: within 20%, the bound (they agree exactly
// for values set once; in-place growth differs with the allocator).
func TestMemoryUsage(t *testing.T) {
	p := startPair(t)
	s := p.session(t, 2)
	for _, v := range []string{"1", "12345", "-9223372036854775808", "hello", strings.Repeat("x", 44),
		strings.Repeat("x", 45), strings.Repeat("y", 300), strings.Repeat("z", 5000), strings.Repeat("w", 70000)} {
		s.do(compareExact, "SET", "k", v)
		a, b := intReply(t, s.kv, "MEMORY", "USAGE", "k"), intReply(t, s.redis, "MEMORY", "USAGE", "k")
		if a*10 < b*8 || a*10 > b*12 {
			t.Errorf("MEMORY USAGE of a %d-byte value: kv-server %d, redis-server %d", len(v), a, b)
		}
	}
}

// mapKeys returns the keys of a map reply, with the keys of nested maps
// as parent/key.
func mapKeys(t *testing.T, raw []byte, prefix string) []string {
	t.Helper()
	_, elems, err := resptest.Elements(raw)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := 0; i+1 < len(elems); i += 2 {
		k := prefix + strings.TrimSpace(string(elems[i][bytes.IndexByte(elems[i], '\n')+1:]))
		keys = append(keys, k)
		if elems[i+1][0] == '%' {
			keys = append(keys, mapKeys(t, elems[i+1], k+"/")...)
		}
	}
	return keys
}

// checkMemoryStatsFields compares MEMORY STATS's field names and order,
// nested database maps included, with Redis 7.0's (the figures are each
// server's own).
func checkMemoryStatsFields(t *testing.T, p *pair) {
	s := p.session(t, 3)
	s.do(compareExact, "SET", "a", "1")
	s.do(compareExact, "SELECT", "2")
	s.do(compareExact, "SET", "b", "1")
	a := mapKeys(t, s.do(compareSkip, "MEMORY", "STATS"), "")
	raw, err := s.redis.Do("MEMORY", "STATS")
	if err != nil {
		t.Fatal(err)
	}
	if b := mapKeys(t, raw, ""); strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("MEMORY STATS fields:\n  kv-server:    %v\n  redis-server: %v", a, b)
	}
}

// checkMemoryUsageExact compares MEMORY USAGE and DEBUG SDSLEN exactly
// after random SET, APPEND, SETRANGE and COPY sequences: the sds header
// types, the allocator's size classes, sdsMakeRoomFor's greedy growth and
// the free space trimming of SET all show in them. Arguments stay under 32
// KB: from there Redis hands the connection's query buffer itself to the
// value, whose free space depends on the arguments the connection sent
// before (kv-server assumes a fresh buffer).
func checkMemoryUsageExact(t *testing.T, p *pair) {
	s := p.session(t, 2)
	r := rand.New(rand.NewSource(7))
	sizes := []int{0, 1, 5, 13, 14, 20, 21, 30, 31, 32, 44, 45, 50, 60, 100, 250, 256, 300, 1000, 5000, 20000, 32767}
	for i := 0; i < 300; i++ {
		key := "mu" + strconv.Itoa(r.Intn(5))
		v := strings.Repeat("x", sizes[r.Intn(len(sizes))])
		switch r.Intn(5) {
		case 0:
			s.do(compareExact, "SET", key, v)
		case 1:
			s.do(compareExact, "APPEND", key, v)
		case 2:
			s.do(compareExact, "SETRANGE", key, strconv.Itoa(sizes[r.Intn(len(sizes))]), v)
		case 3:
			s.do(compareExact, "SET", key, strconv.Itoa(r.Intn(100100)-100))
		case 4:
			s.do(compareExact, "COPY", key, "mu"+strconv.Itoa(r.Intn(5)), "REPLACE")
		}
		s.do(compareExact, "MEMORY", "USAGE", key)
		s.do(compareExact, "DEBUG", "SDSLEN", key)
	}
	s.do(compareExact, "SET", strings.Repeat("k", 13), "v") // an sdshdr5 key
	s.do(compareExact, "MEMORY", "USAGE", strings.Repeat("k", 13))
}
