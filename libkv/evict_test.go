package libkv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
)

// TestEvictionPoolInsert checks the pool's invariants as evict.c keeps
// them: sorted by ascending idle, and once full it holds the largest
// scores seen (a lower one than all is dropped; a higher one pushes the
// lowest out).
func TestEvictionPoolInsert(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var e evictor
		var seen []uint64
		for i := 0; i < 1+rng.IntN(100); i++ {
			idle := rng.Uint64N(1 << 20)
			if slices.Contains(seen, idle) {
				continue
			}
			seen = append(seen, idle)
			e.insert(idle, fmt.Sprint(idle), 0)
		}
		var got []uint64
		for _, p := range e.pool {
			if p.used {
				if p.key != fmt.Sprint(p.idle) {
					t.Fatalf("pool entry %d holds key %q", p.idle, p.key)
				}
				got = append(got, p.idle)
			}
		}
		slices.Sort(seen)
		want := seen[max(0, len(seen)-evictionPoolSize):]
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: pool %v, want the largest %v", round, got, want)
		}
		// Used entries first: Redis's loops stop at the first empty slot.
		for k := len(got); k < evictionPoolSize; k++ {
			if e.pool[k].used {
				t.Fatalf("round %d: used entry after an empty slot", round)
			}
		}
	}
}

func TestEvictionTimeLimit(t *testing.T) {
	s := &Server{conf: &config.Default().Values}
	for _, tc := range []struct {
		tenacity int
		want     time.Duration
	}{
		{0, 0}, {1, 50 * time.Microsecond}, {10, 500 * time.Microsecond}, {11, 575 * time.Microsecond},
		{20, 2022 * time.Microsecond}, {99, 126_205_358 * time.Microsecond}, // about 2 minutes, as evict.c says
	} {
		s.conf.MaxmemoryEvictionTenacity = tc.tenacity
		if got := s.evictionTimeLimit(); got != tc.want {
			t.Errorf("tenacity %d: %v, want %v", tc.tenacity, got, tc.want)
		}
	}
	s.conf.MaxmemoryEvictionTenacity = 100
	if got := s.evictionTimeLimit(); got < 100*365*24*time.Hour {
		t.Errorf("tenacity 100: %v, want no limit", got)
	}
}

// newTestServer is an engine with the default configuration and no
// listeners; tests drive it directly. Eviction has no time limit, so that
// no evictionProc runs behind the test's back.
func newTestServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	s.conf.MaxmemoryEvictionTenacity = 100
	t.Cleanup(func() {
		s.Close()
		s.conf.Maxmemory = 0
		s.setMemoryLimit()
	})
	return s
}

// fill stores n keys "<prefix><i>" with 100-byte values in db, with a TTL
// of ttl(i) seconds when ttl is not nil.
func fill(s *Server, db *DB, prefix string, n int, ttl func(i int) int64) {
	val := make([]byte, 100)
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("%s%d", prefix, i))
		s.setKey(db, key, s.newString(val), false)
		if ttl != nil {
			s.setExpire(db, key, s.now+ttl(i)*1000)
		}
	}
}

// limitTo sets maxmemory so that about free bytes must be freed.
func limitTo(s *Server, free int64) { s.conf.Maxmemory = uint64(s.usedMemory() - free) }

func TestPerformEvictionsPolicies(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			s := newTestServer(t)
			s.conf.MaxmemoryPolicy = policy
			// Persistent keys in db 0, volatile ones in db 0 and db 3:
			// eviction samples every database.
			fill(s, s.dbs[0], "p", 500, nil)
			fill(s, s.dbs[0], "v", 500, func(i int) int64 { return 1000 + int64(i) })
			fill(s, s.dbs[3], "w", 500, func(i int) int64 { return 1000 + int64(i) })
			keyBytes := s.dbs[0].mem / 1000
			limitTo(s, 300*keyBytes)
			if r := s.performEvictions(); r != evictOK {
				t.Fatalf("performEvictions = %d, want evictOK", r)
			}
			if s.overMaxmemory() != 0 {
				t.Errorf("still over maxmemory by %d", s.overMaxmemory())
			}
			left := s.dbs[0].size() + s.dbs[3].size()
			if int64(1500-left) != s.evict.evicted || s.evict.evicted < 250 {
				t.Errorf("%d keys left, evicted_keys %d", left, s.evict.evicted)
			}
			persistent := 0
			for i := 0; i < 500; i++ {
				if s.dbs[0].get([]byte(fmt.Sprintf("p%d", i))) != nil {
					persistent++
				}
			}
			if policy[0] == 'v' && persistent != 500 {
				t.Errorf("%s evicted %d keys without a TTL", policy, 500-persistent)
			}
			if policy[0] == 'a' && persistent == 500 {
				t.Errorf("%s evicted no key without a TTL", policy)
			}
			if s.dbs[3].size() == 500 {
				t.Errorf("%s evicted nothing from db 3", policy)
			}
		})
	}
}

// TestVolatileTTLOrder: with a sample as large as the database, each
// refill of the pool sees every key, so volatile-ttl evicts exactly the
// keys that expire first.
func TestVolatileTTLOrder(t *testing.T) {
	s := newTestServer(t)
	s.conf.MaxmemoryPolicy = "volatile-ttl"
	s.conf.MaxmemorySamples = 64
	db := s.dbs[0]
	perm := rand.New(rand.NewPCG(3, 4)).Perm(40)
	fill(s, db, "k", 40, func(i int) int64 { return 100 + int64(perm[i]) })
	limitTo(s, 10*db.mem/40)
	s.performEvictions()
	for i := 0; i < 40; i++ {
		gone := db.get([]byte(fmt.Sprintf("k%d", i))) == nil
		if want := perm[i] < int(s.evict.evicted); gone != want {
			t.Errorf("key with TTL rank %d: evicted %v, want %v (%d evicted)", perm[i], gone, want, s.evict.evicted)
		}
	}
}

// TestLRUKeepsRecent: keys read recently survive allkeys-lru eviction.
func TestLRUKeepsRecent(t *testing.T) {
	s := newTestServer(t)
	s.conf.MaxmemoryPolicy = "allkeys-lru"
	db := s.dbs[0]
	fill(s, db, "k", 1000, nil)
	s.setClock(time.Now().Add(100 * time.Second))
	for i := 0; i < 200; i++ {
		s.touch(db.get([]byte(fmt.Sprintf("k%d", i))))
	}
	limitTo(s, db.mem/2)
	s.performEvictions()
	kept := 0
	for i := 0; i < 200; i++ {
		if db.get([]byte(fmt.Sprintf("k%d", i))) != nil {
			kept++
		}
	}
	// Sampling 5 keys per refill and a pool of 16 is approximate, but a
	// key idle 0 s against 100 s is almost never the worst.
	if kept < 190 {
		t.Errorf("%d of 200 recently read keys survived, %d evicted", kept, s.evict.evicted)
	}
}

func TestEvictionFails(t *testing.T) {
	for _, policy := range []string{"noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		s := newTestServer(t)
		s.conf.MaxmemoryPolicy = policy
		fill(s, s.dbs[0], "p", 100, nil) // no TTL: nothing a volatile policy may evict
		limitTo(s, 1000)
		if r := s.performEvictions(); r != evictFail {
			t.Errorf("%s: performEvictions = %d, want evictFail", policy, r)
		}
		if s.dbs[0].size() != 100 {
			t.Errorf("%s: %d keys left of 100", policy, s.dbs[0].size())
		}
		if s.evict.exceededTime() == 0 && s.evict.exceeded.IsZero() {
			t.Errorf("%s: the time over the limit is not tracked", policy)
		}
		s.conf.Maxmemory = 0
		if r := s.performEvictions(); r != evictOK || !s.evict.exceeded.IsZero() || s.evict.totalOver == 0 {
			t.Errorf("%s: back under the limit: result %d, exceeded %v, total %v", policy, r, s.evict.exceeded, s.evict.totalOver)
		}
	}
}

// TestEvictionProc: with tenacity 0 each call evicts 16 keys, then the
// background proc takes over and finishes the job.
func TestEvictionProc(t *testing.T) {
	s := newTestServer(t)
	s.conf.MaxmemoryPolicy = "allkeys-random"
	s.conf.MaxmemoryEvictionTenacity = 0
	db := s.dbs[0]
	fill(s, db, "k", 2000, nil)
	s.mu.Lock()
	limitTo(s, db.mem/2)
	r := s.performEvictions()
	evicted := s.evict.evicted
	s.mu.Unlock()
	if r != evictRunning || evicted != 16 {
		t.Fatalf("first call: result %d after %d evictions, want evictRunning after 16", r, evicted)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		running, over := s.evict.running, s.overMaxmemory()
		s.mu.Unlock()
		if !running {
			if over != 0 {
				t.Errorf("evictionProc stopped %d bytes over the limit", over)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("evictionProc still running after 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkEvictingSet is the cost of a SET of a new key on a server full
// at maxmemory under allkeys-lru: the eviction check, one eviction (pool
// refill by sampling) and the write, with 50 clients connected.
func BenchmarkEvictingSet(b *testing.B) {
	s, err := New(config.Default())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { s.conf.Maxmemory = 0; s.setMemoryLimit() }()
	for i := 0; i < 50; i++ {
		s.clients[uint64(i)] = &Client{}
	}
	s.conf.MaxmemoryPolicy = "allkeys-lru"
	db := s.dbs[0]
	val := make([]byte, 100)
	for i := 0; i < 100_000; i++ {
		s.setKey(db, []byte(fmt.Sprintf("key:%012d", i)), s.newString(val), false)
	}
	s.conf.Maxmemory = uint64(s.usedMemory())
	s.conf.MaxmemoryEvictionTenacity = 100
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("new:%012d", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.performEvictions()
		s.setKey(db, keys[i&(len(keys)-1)], s.newString(val), false)
	}
}
