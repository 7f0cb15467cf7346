package libkv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
	"github.com/kvkit/kvkit/librdb"
)

// testServer is an engine without listeners, in a temporary directory.
func testServer(t testing.TB, args ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load(append([]string{"--dir", dir, "--logfile", filepath.Join(dir, "log")}, args...), config.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientOf is a client of s over an in-memory pipe; its commands run
// through process, as a connection's would, with the caller holding the
// engine lock.
func clientOf(t testing.TB, s *Server) *Client {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c, reject := s.newClient(a)
	if reject != "" {
		t.Fatal(reject)
	}
	return c
}

func (c *Client) doStr(args ...string) string {
	c.w.Reset()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	c.process(argv)
	return string(c.w.Bytes())
}

// entry is one key of a dataset as a snapshot must hold it.
type entry struct {
	val    string
	expire int64
}

// dataset is every key of every database, for comparisons, in the
// canonical form of the value's RDB encoding read back by a Collector.
func (s *Server) dataset() map[string]entry {
	m := map[string]entry{}
	for _, db := range s.dbs {
		for k, o := range db.keys.All() {
			m[fmt.Sprintf("%d/%s", db.id, k)] = entry{canonical(collected(o)), db.expireAt([]byte(k))}
		}
	}
	return m
}

// collected is o written as a one-key RDB file and read back by a
// Collector: its elements, whatever its encoding.
func collected(o *Object) *librdb.Value {
	var v librdb.Value
	if err := rdbValue(o, &v); err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	enc, _ := librdb.NewEncoder(&buf, librdb.DefaultVersion)
	enc.WriteHeader()
	if err := enc.WriteKey([]byte("k"), &v, librdb.NoMeta); err != nil {
		panic(err)
	}
	enc.Close()
	col := &librdb.Collector{}
	if err := librdb.NewDecoder(&buf).Decode(col); err != nil {
		panic(err)
	}
	return col.Value()
}

// canonical is a value as comparisons see it: a string's bytes, a list's
// elements in order, a hash's sorted "field=value" pairs, a set's sorted
// members, a sorted set's "member=score" pairs in order, a stream's
// entries, counters and groups (PELs with delivery counts, times and
// owners; consumers with seen times).
func canonical(v *librdb.Value) string {
	var parts []string
	sorted := true
	switch v.Kind {
	case librdb.KindString:
		return string(v.Str)
	case librdb.KindList:
		for _, e := range v.Elems {
			parts = append(parts, string(e))
		}
		sorted = false
	case librdb.KindHash:
		for _, f := range v.Fields {
			parts = append(parts, string(f.Field)+"="+string(f.Value))
		}
	case librdb.KindSet:
		for _, e := range v.Elems {
			parts = append(parts, string(e))
		}
	case librdb.KindZSet:
		for _, m := range v.Members {
			parts = append(parts, string(m.Member)+"="+strconv.FormatFloat(m.Score, 'g', -1, 64))
		}
	case librdb.KindStream:
		for _, e := range v.Entries {
			parts = append(parts, fmt.Sprintf("%s%q", e.ID, e.Fields))
		}
		parts = append(parts, fmt.Sprintf("%+v", *v.Stream))
		sorted = false
	}
	if sorted {
		sort.Strings(parts)
	}
	return v.Kind.String() + ":" + strings.Join(parts, ",")
}

// fileDataset reads an RDB stream the way a loader would, failing on a
// key written twice.
type fileDataset struct {
	*librdb.Collector
	t  *testing.T
	m  map[string]entry
	db int
}

func (f *fileDataset) SelectDB(db int) error { f.db = db; return nil }

func (f *fileDataset) EndKey(k *librdb.Key) error {
	name := fmt.Sprintf("%d/%s", f.db, k.Key)
	if _, dup := f.m[name]; dup {
		return fmt.Errorf("key %s written twice", name)
	}
	f.m[name] = entry{canonical(f.Value()), k.Expire}
	return nil
}

func readDataset(t *testing.T, b []byte) map[string]entry {
	t.Helper()
	f := &fileDataset{t: t, m: map[string]entry{}}
	f.Collector = &librdb.Collector{}
	if err := librdb.NewDecoder(bytes.NewReader(b)).Decode(f); err != nil {
		t.Fatal(err)
	}
	return f.m
}

func compareDatasets(t *testing.T, got, want map[string]entry) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s missing from the snapshot", k)
		} else if g != w {
			t.Errorf("%s: snapshot has %q (expire %d), want %q (expire %d)", k, g.val, g.expire, w.val, w.expire)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s in the snapshot but created after it started", k)
		}
	}
}

// streamIDInReply finds an entry ID in an XREADGROUP reply.
var streamIDInReply = regexp.MustCompile(`[0-9]+-[0-9]+`)

// randomOp runs one random write through the command path.
func randomOp(c *Client, rng *rand.Rand, ndb, nkeys int) {
	key := func() string { return "k" + strconv.Itoa(rng.IntN(nkeys*11/10)) }
	db := strconv.Itoa(rng.IntN(ndb))
	switch rng.IntN(29) {
	case 28:
		// PFCOUNT writes its cached cardinality into the value after a
		// read lookup.
		k := "p" + key()
		c.doStr("PFADD", k, strconv.Itoa(rng.IntN(1000)))
		c.doStr("PFCOUNT", "p"+key())
	case 20:
		c.doStr("XADD", "x"+key(), "MAXLEN", "60", "*", "f", strconv.Itoa(rng.IntN(100)))
	case 21:
		c.doStr("XGROUP", "CREATE", "x"+key(), "g"+strconv.Itoa(rng.IntN(2)), "0", "MKSTREAM")
	case 22:
		// XREADGROUP, then XACK of one entry it delivered.
		k := "x" + key()
		r := c.doStr("XREADGROUP", "GROUP", "g0", "c"+strconv.Itoa(rng.IntN(3)), "COUNT", "3", "STREAMS", k, ">")
		if id := streamIDInReply.FindString(r); id != "" && rng.IntN(2) == 0 {
			c.doStr("XACK", k, "g0", id)
		}
	case 23:
		c.doStr("XAUTOCLAIM", "x"+key(), "g0", "c"+strconv.Itoa(rng.IntN(3)), "0", "0-0", "COUNT", "2")
	case 24:
		c.doStr("XDEL", "x"+key(), "0-1", "1-1")
		c.doStr("XTRIM", "x"+key(), "MAXLEN", strconv.Itoa(rng.IntN(30)))
	case 25:
		c.doStr("ZADD", "z"+key(), strconv.Itoa(rng.IntN(10)), "m"+strconv.Itoa(rng.IntN(200)))
	case 26:
		c.doStr("ZREM", "z"+key(), "m"+strconv.Itoa(rng.IntN(200)))
	case 27:
		c.doStr("RPUSH", "l"+key(), "e"+strconv.Itoa(rng.IntN(10)))
		c.doStr("LPOP", "l"+key())
	case 16:
		c.doStr("HSET", "h"+key(), "f"+strconv.Itoa(rng.IntN(5)), "x", "g", strings.Repeat("y", rng.IntN(80)))
	case 17:
		c.doStr("HDEL", "h"+key(), "g")
	case 18:
		c.doStr("SADD", "s"+key(), strconv.Itoa(rng.IntN(20)), "m"+strconv.Itoa(rng.IntN(3)))
	case 19:
		c.doStr("SREM", "s"+key(), strconv.Itoa(rng.IntN(20)))
	case 0, 1:
		c.doStr("SET", key(), "new"+strconv.Itoa(rng.IntN(1000)))
	case 2:
		c.doStr("SET", key(), strings.Repeat("z", rng.IntN(100)))
	case 3:
		c.doStr("APPEND", key(), "+")
	case 4:
		c.doStr("INCR", key())
	case 5:
		c.doStr("DEL", key(), key())
	case 6:
		c.doStr("PEXPIRE", key(), "1") // deleted by the next access
		c.doStr("GET", key())
	case 7:
		c.doStr("EXPIRE", key(), "1000")
	case 8:
		c.doStr("PERSIST", key())
	case 9:
		c.doStr("RENAME", key(), key())
	case 10:
		c.doStr("MOVE", key(), db)
	case 11:
		c.doStr("SELECT", db)
	case 12:
		if rng.IntN(8) == 0 {
			c.doStr("SWAPDB", db, strconv.Itoa(rng.IntN(ndb)))
		}
	case 13:
		if rng.IntN(20) == 0 {
			c.doStr("FLUSHDB")
		}
	case 14:
		c.doStr("SETRANGE", key(), "3", "xy")
	case 15:
		c.doStr("COPY", key(), key(), "DB", db, "REPLACE")
	}
}

// TestSnapshotPointInTime interleaves the steps of a snapshot with random
// writes (overwrites, in-place changes, deletes, expiries, renames, moves,
// SWAPDB, FLUSHDB, keys created; consumer groups changed by XREADGROUP,
// XACK and XAUTOCLAIM and PFCOUNT's cache, changes after a read lookup)
// and checks that the file holds exactly
// the dataset of the moment the snapshot started, each key once.
func TestSnapshotPointInTime(t *testing.T) {
	const ndb, nkeys = 4, 600
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			s := testServer(t)
			c := clientOf(t, s)
			s.mu.Lock()
			defer s.mu.Unlock()
			rng := rand.New(rand.NewPCG(seed, 7))
			for d := 0; d < ndb; d++ {
				c.doStr("SELECT", strconv.Itoa(d))
				for i := 0; i < nkeys; i++ {
					k := "k" + strconv.Itoa(i)
					switch i % 4 {
					case 0:
						c.doStr("SET", k, strconv.Itoa(rng.IntN(100000)))
					case 1:
						c.doStr("SET", k, strings.Repeat("v", 20+rng.IntN(60)))
					case 2:
						c.doStr("SET", k, fmt.Sprintf("d%d-%d", d, i), "PX", "100000000")
					default:
						c.doStr("SET", k, "s")
						c.doStr("HSET", "h"+k, "a", "1", "b", strconv.Itoa(i))
						c.doStr("SADD", "s"+k, "1", strconv.Itoa(i))
						c.doStr("ZADD", "z"+k, "1", "a", strconv.Itoa(i), "b")
						c.doStr("RPUSH", "l"+k, "a", strconv.Itoa(i))
						c.doStr("PFADD", "p"+k, "a", strconv.Itoa(i))
						n := 1 + i%13 // one node; some streams have two
						if i%52 == 3 {
							n = 130
						}
						for j := 0; j < n; j++ {
							c.doStr("XADD", "x"+k, "*", "f", strconv.Itoa(j))
						}
						c.doStr("XGROUP", "CREATE", "x"+k, "g0", "0")
						c.doStr("XREADGROUP", "GROUP", "g0", "c0", "COUNT", "2", "STREAMS", "x"+k, ">")
					}
				}
			}
			c.doStr("SELECT", "0")
			want := s.dataset()
			var buf bytes.Buffer
			sink := &rdbSink{out: func(b []byte) error { buf.Write(b); return nil }}
			sn, err := s.newSnapshot(sink, false)
			if err != nil {
				t.Fatal(err)
			}
			s.snap = sn
			for steps := 0; ; steps++ {
				if steps > 100000 {
					t.Fatal("the walk does not end")
				}
				done := sn.step(time.Nanosecond, 0)
				sink.handOver(snapChunk)
				if done {
					break
				}
				for i := rng.IntN(12); i > 0; i-- {
					randomOp(c, rng, ndb, nkeys)
				}
			}
			s.snap = nil
			if err := sn.finish(true); err != nil {
				t.Fatal(err)
			}
			sink.handOver(0)
			compareDatasets(t, readDataset(t, buf.Bytes()), want)
			for _, db := range s.dbs {
				for k, o := range db.keys.All() {
					if !s.visited(o) {
						t.Fatalf("db %d key %s: snapshot bit not in step after the snapshot", db.id, k)
					}
				}
			}
			// The next snapshot, with no writes, is the dataset as it is now.
			now := s.dataset()
			buf.Reset()
			sn, err = s.newSnapshot(sink, false)
			if err != nil {
				t.Fatal(err)
			}
			s.snap = sn
			sn.step(0, 0)
			s.snap = nil
			sn.finish(true)
			sink.handOver(0)
			compareDatasets(t, readDataset(t, buf.Bytes()), now)
		})
	}
}

// TestSnapshotMemoryBound checks that the walk stops queueing at its
// limit while the writer is behind, and that what writes add meanwhile is
// the size of the values they preserve.
func TestSnapshotMemoryBound(t *testing.T) {
	s := testServer(t)
	c := clientOf(t, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	val := strings.Repeat("x", 100)
	const nkeys = 150000 // ~16 MB of values, four times the queue limit
	for i := 0; i < nkeys; i++ {
		s.setString(s.dbs[0], []byte("key:"+strconv.Itoa(i)), []byte(val+strconv.Itoa(i)), false)
	}
	s.conf.Rdbcompression = false
	pipe := newRDBPipe()
	sink := &rdbSink{pipe: pipe}
	sn, err := s.newSnapshot(sink, false)
	if err != nil {
		t.Fatal(err)
	}
	s.snap = sn
	for i := 0; ; i++ {
		if sn.step(0, snapQueueLimit) {
			t.Fatal("the walk ended although nothing was written out")
		}
		sink.handOver(snapChunk)
		if sink.size() > snapQueueLimit || i > 1000 {
			break
		}
	}
	queued := int64(sink.size())
	// The walk overshoots by at most one step's worth: the encoder's
	// buffer and a chunk.
	if queued > snapQueueLimit+2*snapChunk {
		t.Errorf("%d bytes queued, limit %d", queued, snapQueueLimit)
	}
	if sn.keys >= nkeys {
		t.Fatalf("all %d keys written before the writer started", sn.keys)
	}
	// 3000 overwrites of keys not yet walked preserve 3000 values of ~110
	// bytes; overwriting them again preserves nothing more. (Up to 256
	// KiB of it may still sit in the encoder's buffer.)
	overwritten := 0
	for i := nkeys - 1; overwritten < 3000; i-- {
		k := "key:" + strconv.Itoa(i)
		if o := s.dbs[0].get([]byte(k)); !s.visited(o) {
			c.doStr("SET", k, "new")
			c.doStr("SET", k, "newer")
			overwritten++
		}
	}
	added := int64(sink.size()) - queued
	if added < 3000*110-snapChunk || added > 3000*130 {
		t.Errorf("3000 preserved values added %d bytes, want ~330000", added)
	}
	// Drain as the writer would; the file then holds the old values.
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		for {
			b, ok := pipe.pop()
			if !ok {
				close(done)
				return
			}
			out.Write(b)
			pipe.written(b)
		}
	}()
	for !sn.step(snapStep, snapQueueLimit) {
		sink.handOver(snapChunk)
		s.mu.Unlock()
		pipe.waitBelow(snapQueueLimit)
		s.mu.Lock()
	}
	s.snap = nil
	sn.finish(true)
	sink.handOver(0)
	pipe.close()
	<-done
	got := readDataset(t, out.Bytes())
	if len(got) != nkeys || got["0/key:"+strconv.Itoa(nkeys-1)].val != val+strconv.Itoa(nkeys-1) {
		t.Errorf("snapshot has %d keys, last %q", len(got), got["0/key:"+strconv.Itoa(nkeys-1)].val)
	}
	if peak := pipe.peakBytes(); peak > snapQueueLimit+3*snapChunk+added {
		t.Errorf("peak queue %d bytes", peak)
	}
}

// TestSaveFailureKeepsFile checks that a save into a directory that cannot
// take the temp file fails, leaves the previous file as it was and turns
// writes away with MISCONF after a failed BGSAVE.
func TestSaveFailureKeepsFile(t *testing.T) {
	s := testServer(t)
	c := clientOf(t, s)
	s.mu.Lock()
	c.doStr("SET", "a", "1")
	if r := c.doStr("SAVE"); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	path := s.rdbPath()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The temp file's name taken by a directory: opening it fails.
	if err := os.Mkdir(s.tempPath(), 0o755); err != nil {
		t.Fatal(err)
	}
	c.doStr("SET", "a", "2")
	// More than the walk queues before it waits for the writer, which
	// must drain it although it failed to open its file.
	s.conf.Rdbcompression = false
	for i := 0; i < 6000; i++ {
		s.setString(s.dbs[1], []byte("k"+strconv.Itoa(i)), []byte(strings.Repeat("v", 1000)), false)
	}
	if r := c.doStr("SAVE"); r != "-ERR\r\n" {
		t.Errorf("SAVE into a broken dir: %q", r)
	}
	if r := c.doStr("BGSAVE"); r != "+Background saving started\r\n" {
		t.Errorf("BGSAVE: %q", r)
	}
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		if s.rdb.bgsave == nil {
			break
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer s.mu.Unlock()
	if s.snap != nil {
		t.Error("the walk of the failed BGSAVE did not end")
	}
	if r := c.doStr("SET", "a", "3"); !strings.HasPrefix(r, "-MISCONF ") {
		t.Errorf("SET after a failed BGSAVE: %q", r)
	}
	if r := c.doStr("INFO", "persistence"); !strings.Contains(r, "rdb_last_bgsave_status:err") {
		t.Errorf("INFO after a failed BGSAVE: %s", r)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the previous file changed")
	}
	os.Remove(s.tempPath())
	if r := c.doStr("SAVE"); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	if r := c.doStr("SET", "a", "4"); r != "+OK\r\n" {
		t.Errorf("SET after a good save: %q", r)
	}
}

// TestWriteFileSafely: a write that fails half-way (a full disk) leaves
// the previous file as it was and no temp file; a good one replaces it.
func TestWriteFileSafely(t *testing.T) {
	dir := t.TempDir()
	path, tmp := filepath.Join(dir, "dump.rdb"), filepath.Join(dir, "temp-1.rdb")
	os.WriteFile(path, []byte("previous"), 0o644)
	errFull := errors.New("no space left on device")
	err := writeFileSafely(tmp, path, false, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return errFull
	})
	if !errors.Is(err, errFull) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous" {
		t.Errorf("previous file now %q", b)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temp file left: %v", err)
	}
	if err := writeFileSafely(tmp, path, false, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file now %q", b)
	}
}

// TestSnapshotBlockedServe: a client blocked on a key is served when
// SWAPDB brings a value under that key; serving changes the value in
// place (a pop), so the snapshot must get it first.
func TestSnapshotBlockedServe(t *testing.T) {
	s := testServer(t)
	a, b := clientOf(t, s), clientOf(t, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	b.doStr("RPUSH", "l", "x", "y")
	a.doStr("SELECT", "1")
	a.doStr("BLPOP", "l", "0")
	want := s.dataset()
	var buf bytes.Buffer
	sink := &rdbSink{out: func(p []byte) error { buf.Write(p); return nil }}
	sn, err := s.newSnapshot(sink, false)
	if err != nil {
		t.Fatal(err)
	}
	s.snap = sn
	b.doStr("SWAPDB", "0", "1")
	if got := b.doStr("LLEN", "l"); got != ":0\r\n" {
		t.Fatalf("db 0 after SWAPDB: LLEN %q", got)
	}
	b.doStr("SELECT", "1")
	if got := b.doStr("LRANGE", "l", "0", "-1"); got != "*1\r\n$1\r\ny\r\n" {
		t.Fatalf("the blocked client was not served: %q", got)
	}
	for !sn.step(0, 0) {
	}
	s.snap = nil
	if err := sn.finish(true); err != nil {
		t.Fatal(err)
	}
	sink.handOver(0)
	compareDatasets(t, readDataset(t, buf.Bytes()), want)
}
