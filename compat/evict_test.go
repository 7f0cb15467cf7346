package compat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// Eviction (Redis 7.0 evict.c) against the real redis-server. Which keys a
// sampling policy evicts is random on both servers, so these tests check
// the properties each policy guarantees, on both servers alike; the
// replies that are deterministic (OOM errors, INFO's settings) are
// compared exactly, here and in testdata/diff/evict_oom.txt.

// pipeline sends cmds in one write and returns their replies.
func pipeline(t *testing.T, c *resptest.Conn, cmds [][]string) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	for _, args := range cmds {
		buf.Write(resptest.Encode(args...))
	}
	if err := c.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	replies := make([][]byte, len(cmds))
	for i := range cmds {
		r, err := c.Read()
		if err != nil {
			t.Fatalf("%q: %v", cmds[i], err)
		}
		replies[i] = r
	}
	return replies
}

// evictServer is one server of a pair under test, with its name.
type evictServer struct {
	name string
	c    *resptest.Conn
}

func (p *pair) evictServers(t *testing.T) []evictServer {
	return []evictServer{{"kv-server", dial(t, p.kv.Addr())}, {"redis-server", dial(t, p.redis.Addr())}}
}

// infoValues returns the fields of one INFO section, from one reply.
func infoValues(t *testing.T, c *resptest.Conn, section string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(mustDo(t, c, "INFO", section), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func infoInt(t *testing.T, c *resptest.Conn, section, field string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(infoField(t, c, section, field), 10, 64)
	if err != nil {
		t.Fatalf("INFO %s %s: %v", section, field, err)
	}
	return n
}

// fillKeys writes n 100-byte strings prefix0..prefix(n-1), with a TTL of
// ttl(i) seconds when ttl is not nil.
func fillKeys(t *testing.T, c *resptest.Conn, prefix string, n int, ttl func(i int) int) {
	t.Helper()
	val := strings.Repeat("x", 100)
	cmds := make([][]string, 0, n)
	for i := 0; i < n; i++ {
		if ttl != nil {
			cmds = append(cmds, []string{"SET", prefix + strconv.Itoa(i), val, "EX", strconv.Itoa(ttl(i))})
		} else {
			cmds = append(cmds, []string{"SET", prefix + strconv.Itoa(i), val})
		}
	}
	for _, r := range pipeline(t, c, cmds) {
		if string(r) != "+OK\r\n" {
			t.Fatalf("SET: %q", r)
		}
	}
}

// present reports which of prefix0..prefix(n-1) exist.
func present(t *testing.T, c *resptest.Conn, prefix string, n int) []bool {
	t.Helper()
	cmds := make([][]string, n)
	for i := range cmds {
		cmds[i] = []string{"EXISTS", prefix + strconv.Itoa(i)}
	}
	out := make([]bool, n)
	for i, r := range pipeline(t, c, cmds) {
		out[i] = string(r) == ":1\r\n"
	}
	return out
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// lowerMaxmemory sets maxmemory free bytes below the server's current
// use; CONFIG SET evicts at once (updateMaxmemory).
func lowerMaxmemory(t *testing.T, c *resptest.Conn, free int64) int64 {
	t.Helper()
	limit := infoInt(t, c, "memory", "used_memory") - free
	if r := mustDo(t, c, "CONFIG", "SET", "maxmemory", strconv.FormatInt(limit, 10)); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory: %q", r)
	}
	return limit
}

func resetEviction(t *testing.T, c *resptest.Conn, policy string) {
	t.Helper()
	for _, args := range [][]string{{"CONFIG", "SET", "maxmemory", "0"}, {"FLUSHALL"}, {"CONFIG", "RESETSTAT"},
		{"CONFIG", "SET", "maxmemory-policy", policy}} {
		if r := mustDo(t, c, args...); r != "+OK\r\n" {
			t.Fatalf("%q: %q", args, r)
		}
	}
}

// TestEvictVolatile: the volatile policies evict only keys with a TTL,
// volatile-ttl those closest to expiry first, and with no key left that
// they may evict, writes fail with Redis's OOM error.
func TestEvictVolatile(t *testing.T) {
	const n = 2000
	p := startPair(t)
	servers := p.evictServers(t)
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			var oom [][]byte
			for _, s := range servers {
				resetEviction(t, s.c, policy)
				fillKeys(t, s.c, "p:", n, nil)
				// TTL rank i: key v:i expires at 10000+perm(i) seconds.
				fillKeys(t, s.c, "v:", n, func(i int) int { return 10000 + (i*7919)%n })
				keyBytes := infoInt(t, s.c, "memory", "used_memory_dataset") / (2 * n)
				limit := lowerMaxmemory(t, s.c, n/4*keyBytes)
				checkUnderLimit(t, s, limit)
				vol := present(t, s.c, "v:", n)
				checkEvicted(t, s, n-count(vol))
				if policy == "volatile-ttl" {
					// Sampling makes the order approximate; a random
					// choice would give a mean rank near n/2.
					var sum, k int
					for i, ok := range vol {
						if !ok {
							sum += (i * 7919) % n
							k++
						}
					}
					if k > 0 && sum/k > n/4 {
						t.Errorf("%s: mean TTL rank of the %d evicted keys is %d of %d, want the soonest to expire", s.name, k, sum/k, n)
					}
				}
				// Nothing volatile left: a denyoom command gets -OOM,
				// a read still runs.
				mustDo(t, s.c, "CONFIG", "SET", "maxmemory", "0")
				cmds := make([][]string, n)
				for i := range cmds {
					cmds[i] = []string{"PERSIST", "v:" + strconv.Itoa(i)}
				}
				pipeline(t, s.c, cmds)
				mustDo(t, s.c, "CONFIG", "SET", "maxmemory", "1")
				oom = append(oom, []byte(mustDo(t, s.c, "SET", "new", "1")), []byte(mustDo(t, s.c, "GET", "p:1")))
				mustDo(t, s.c, "CONFIG", "SET", "maxmemory", "0")
				if got := count(present(t, s.c, "p:", n)); got != n {
					t.Errorf("%s: %d keys without a TTL evicted", s.name, n-got)
				}
			}
			for i := 0; i < len(oom)/2; i++ {
				if !bytes.Equal(oom[i], oom[i+len(oom)/2]) {
					t.Errorf("reply %d with nothing to evict: kv-server %q, redis-server %q", i, oom[i], oom[i+len(oom)/2])
				}
			}
		})
	}
}

// limitSlack is how far over maxmemory used_memory may read: the INFO
// command that reads it allocates after the check that evicted.
const limitSlack = 4 << 10

// checkUnderLimit waits (at most 5 s) for used_memory to be under limit:
// an eviction that outlasts its time budget (maxmemory-eviction-tenacity)
// goes on between commands, as evict.c's evictionTimeProc.
func checkUnderLimit(t *testing.T, s evictServer, limit int64) {
	t.Helper()
	var used int64
	if !waitFor(5*time.Second, func() bool {
		used = infoInt(t, s.c, "memory", "used_memory")
		return used <= limit+limitSlack
	}) {
		t.Errorf("%s: used_memory %d > maxmemory %d", s.name, used, limit)
	}
}

// checkEvicted checks evicted_keys against the keys found missing before:
// as many, or a few more, since each command after may evict again (Redis
// counts a reply's buffer as soon as it is written); and a good part of
// the keys.
func checkEvicted(t *testing.T, s evictServer, missing int) {
	t.Helper()
	evicted := int(infoInt(t, s.c, "stats", "evicted_keys"))
	if evicted < missing || evicted > missing+500 || missing < 250 {
		t.Errorf("%s: %d keys missing, evicted_keys %d", s.name, missing, evicted)
	}
}

// TestEvictAllkeys: lowering maxmemory with CONFIG SET evicts at once,
// under the limit; under allkeys-lru the keys read since the others were
// written survive, under allkeys-lfu the keys read more often do.
func TestEvictAllkeys(t *testing.T) {
	const n, hot = 3000, 300
	p := startPair(t)
	servers := p.evictServers(t)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			for _, s := range servers {
				resetEviction(t, s.c, policy)
				fillKeys(t, s.c, "k:", n, nil)
			}
			if policy == "allkeys-lru" {
				time.Sleep(2100 * time.Millisecond) // the LRU clock counts seconds
			}
			for _, s := range servers {
				reads := make([][]string, 0, 5*hot)
				for r := 0; r < 5; r++ {
					for i := 0; i < hot; i++ {
						reads = append(reads, []string{"GET", "k:" + strconv.Itoa(i)})
					}
				}
				pipeline(t, s.c, reads)
				if policy == "allkeys-lfu" {
					// A counter at LFU_INIT_VAL (5) grows on the first
					// access; both lose one per minute boundary crossed.
					hotF, coldF := intReply(t, s.c, "OBJECT", "FREQ", "k:0"), intReply(t, s.c, "OBJECT", "FREQ", "k:2999")
					if hotF <= coldF || coldF < 4 || coldF > 5 {
						t.Errorf("%s: OBJECT FREQ of a key read 5 times: %d, of a key never read: %d", s.name, hotF, coldF)
					}
				}
				keyBytes := infoInt(t, s.c, "memory", "used_memory_dataset") / n
				limit := lowerMaxmemory(t, s.c, n/2*keyBytes)
				checkUnderLimit(t, s, limit)
				checkEvicted(t, s, n-int(intReply(t, s.c, "DBSIZE")))
				kept := count(present(t, s.c, "k:", hot))
				switch policy {
				case "allkeys-random":
					if kept == hot {
						t.Errorf("%s: random eviction of half the keys spared all %d read ones", s.name, hot)
					}
				default:
					if kept < hot*9/10 {
						t.Errorf("%s: %d of %d frequently read keys survived", s.name, kept, hot)
					}
				}
				// Writes go on: each evicts what it needs.
				fillKeys(t, s.c, "more:", 500, nil)
				checkUnderLimit(t, s, limit)
				mustDo(t, s.c, "CONFIG", "SET", "maxmemory", "0")
			}
		})
	}
}

// TestEvictInfo: INFO's maxmemory fields and eviction counters.
func TestEvictInfo(t *testing.T) {
	p := startPair(t, "--maxmemory", "20mb", "--maxmemory-policy", "allkeys-random")
	s := p.session(t, 2)
	for _, f := range []string{"maxmemory", "maxmemory_human", "maxmemory_policy", "mem_not_counted_for_evict"} {
		if a, b := infoField(t, s.kv, "memory", f), infoField(t, s.redis, "memory", f); a != b {
			t.Errorf("INFO memory %s: kv-server %q, redis-server %q", f, a, b)
		}
	}
	s.do(compareMap, "CONFIG", "GET", "maxmemory*")
	s.do(compareExact, "CONFIG", "SET", "maxmemory", "3gb")
	s.do(compareExact, "CONFIG", "SET", "maxmemory-policy", "VOLATILE-TTL")
	s.do(compareExact, "CONFIG", "SET", "maxmemory-samples", "0")
	s.do(compareExact, "CONFIG", "SET", "maxmemory-eviction-tenacity", "101")
	s.do(compareExact, "CONFIG", "SET", "maxmemory-eviction-tenacity", "100")
	s.do(compareExact, "CONFIG", "SET", "lfu-log-factor", "-1")
	s.do(compareMap, "CONFIG", "GET", "maxmemory*")
	for _, f := range []string{"maxmemory", "maxmemory_human", "maxmemory_policy"} {
		if a, b := infoField(t, s.kv, "memory", f), infoField(t, s.redis, "memory", f); a != b {
			t.Errorf("INFO memory %s after CONFIG SET: kv-server %q, redis-server %q", f, a, b)
		}
	}
	s.do(compareExact, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	for _, sv := range p.evictServers(t) {
		fillKeys(t, sv.c, "k:", 1000, nil)
		changes := infoInt(t, sv.c, "persistence", "rdb_changes_since_last_save")
		limit := lowerMaxmemory(t, sv.c, 50<<10)
		if c := infoInt(t, sv.c, "persistence", "rdb_changes_since_last_save"); c != changes {
			t.Errorf("%s: rdb_changes_since_last_save %d after eviction, %d before: evictions are not changes", sv.name, c, changes)
		}
		mem := infoValues(t, sv.c, "memory")
		num := func(f string) int64 {
			n, err := strconv.ParseInt(mem[f], 10, 64)
			if err != nil {
				t.Fatalf("%s: INFO memory %s: %q", sv.name, f, mem[f])
			}
			return n
		}
		used, overhead := num("used_memory"), num("used_memory_overhead")
		if ds := num("used_memory_dataset"); ds <= 0 || ds != used-overhead {
			t.Errorf("%s: used_memory_dataset %d, used_memory %d - overhead %d", sv.name, ds, used, overhead)
		}
		if used > limit+limitSlack || used < limit-200<<10 {
			t.Errorf("%s: used_memory %d after eviction to maxmemory %d", sv.name, used, limit)
		}
		if startup := num("used_memory_startup"); startup <= 0 || startup > overhead {
			t.Errorf("%s: used_memory_startup %d, overhead %d", sv.name, startup, overhead)
		}
		if h := mem["used_memory_human"]; !strings.HasSuffix(h, "M") && !strings.HasSuffix(h, "K") {
			t.Errorf("%s: used_memory_human %q for %d bytes", sv.name, h, used)
		}
		if infoInt(t, sv.c, "stats", "evicted_keys") == 0 {
			t.Errorf("%s: evicted_keys 0 after eviction", sv.name)
		}
		for _, f := range []string{"total_eviction_exceeded_time", "current_eviction_exceeded_time"} {
			if v := infoInt(t, sv.c, "stats", f); v < 0 {
				t.Errorf("%s: %s %d", sv.name, f, v)
			}
		}
		mustDo(t, sv.c, "CONFIG", "RESETSTAT")
		if v := infoInt(t, sv.c, "stats", "evicted_keys"); v != 0 {
			t.Errorf("%s: evicted_keys %d after CONFIG RESETSTAT", sv.name, v)
		}
	}
}

// TestEvictNoevictionStats: a refused command counts as a rejected call
// and an OOM error, as in Redis.
func TestEvictNoevictionStats(t *testing.T) {
	p := startPair(t, "--maxmemory", "1")
	for _, sv := range p.evictServers(t) {
		mustDo(t, sv.c, "SET", "a", "1")
		mustDo(t, sv.c, "GET", "a")
		if v := infoField(t, sv.c, "errorstats", "errorstat_OOM"); v != "count=1" {
			t.Errorf("%s: errorstat_OOM %q", sv.name, v)
		}
		if v := infoField(t, sv.c, "commandstats", "cmdstat_set"); !strings.Contains(v, "calls=0,") || !strings.Contains(v, "rejected_calls=1,") {
			t.Errorf("%s: cmdstat_set %q", sv.name, v)
		}
	}
}

// buildKVServer builds kv-server without the race detector, whose shadow
// memory would make RSS meaningless.
func buildKVServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kv-server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kv-server")
	cmd.Dir = testutil.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kv-server: %v\n%s", err, out)
	}
	return bin
}

// procStatus returns a field of /proc/<pid>/status in bytes (VmRSS, VmHWM).
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status %s: %v", pid, field, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// TestEvictUnderLoad writes ten times maxmemory (20 MB) of random keys
// into kv-server with redis-benchmark: under allkeys-lru no write fails,
// used_memory stays at maxmemory and the peak RSS within 1.5x maxmemory
// over the process's idle size; under noeviction writes fail with OOM
// once full, and the server lives on.
func TestEvictUnderLoad(t *testing.T) {
	const maxmemory = 20 << 20
	bench := testutil.Program(t, "redis-benchmark")
	bin := buildKVServer(t)
	port := testutil.FreePort(t)
	srv := testutil.Start(t, port, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--maxmemory", strconv.Itoa(maxmemory), "--maxmemory-policy", "allkeys-lru")
	pid := srv.Cmd.Process.Pid
	c := dial(t, srv.Addr())
	idle := procStatus(t, pid, "VmRSS")
	// About 190 bytes a key as Redis counts a 100-byte value: ten times
	// maxmemory is 1.1 million SETs.
	// redis-benchmark exits 1 on the first error reply.
	run := func(n int) error {
		out, err := exec.Command(bench, "-p", strconv.Itoa(port), "-t", "set", "-r", "10000000", "-d", "100",
			"-n", strconv.Itoa(n), "-c", "10", "-P", "16", "-q").CombinedOutput()
		if err != nil {
			return fmt.Errorf("redis-benchmark: %v\n%s", err, out)
		}
		return nil
	}
	if err := run(1_100_000); err != nil {
		t.Fatal(err)
	}
	used := infoInt(t, c, "memory", "used_memory")
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("used_memory %d, evicted_keys %d, keys %d, RSS idle %d, peak %d", used, infoInt(t, c, "stats", "evicted_keys"),
		intReply(t, c, "DBSIZE"), idle, peak)
	if used > maxmemory+1<<20 {
		t.Errorf("used_memory %d over maxmemory %d", used, maxmemory)
	}
	if peak > maxmemory*3/2+idle {
		t.Errorf("peak RSS %d MB with maxmemory %d MB (idle RSS %d MB)", peak>>20, maxmemory>>20, idle>>20)
	}
	if infoInt(t, c, "stats", "evicted_keys") < 500_000 {
		t.Errorf("evicted_keys %s after ten times maxmemory of writes", infoField(t, c, "stats", "evicted_keys"))
	}
	if r := mustDo(t, c, "INFO", "errorstats"); strings.Contains(r, "errorstat_OOM") {
		t.Errorf("OOM errors under allkeys-lru:\n%s", r)
	}
	mustDo(t, c, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	if err := run(100_000); err == nil || !strings.Contains(err.Error(), oomError) {
		t.Errorf("writes to a full server under noeviction: %v", err)
	}
	// Once the benchmark's clients are gone their buffers are free again:
	// write until full.
	full := false
	for i := 0; i < 100_000 && !full; i++ {
		r := mustDo(t, c, "SET", "more:"+strconv.Itoa(i), strings.Repeat("x", 100))
		full = r == "-"+oomError+"\r\n"
		if !full && r != "+OK\r\n" {
			t.Fatalf("SET: %q", r)
		}
	}
	if !full {
		t.Error("100000 SETs under noeviction and maxmemory: never OOM")
	}
	if r := mustDo(t, c, "INFO", "errorstats"); !strings.Contains(r, "errorstat_OOM:count=") {
		t.Errorf("no OOM errors under noeviction:\n%s", r)
	}
	if r := mustDo(t, c, "PING"); r != "+PONG\r\n" {
		t.Errorf("PING after the load: %q", r)
	}
}

// oomError is Redis 7.0's shared.oomerr.
const oomError = "OOM command not allowed when used memory > 'maxmemory'."
