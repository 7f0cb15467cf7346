package loadgen

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/respclient"
	"github.com/kvkit/kvkit/internal/testutil"
)

func testConn(t Test, ks KeySpace, o *Options) *conn {
	r := &run{o: o, t: t}
	for range t.Commands {
		g, err := newKeyGen(ks, ks.Pattern)
		if err != nil {
			panic(err)
		}
		r.gens = append(r.gens, g)
	}
	r.data = RandomData(max(o.DataSize, o.DataMax))
	return &conn{r: r, rng: rand.New(rand.NewPCG(1, 2)), counts: make([]int64, len(t.Commands))}
}

func TestTemplate(t *testing.T) {
	tpl := NewTemplate([]string{"set", "k:__rand_int__:x", "plain", "__rand_int__"}, Substitution{RandInt: true})
	c := testConn(Test{Commands: []*Template{tpl}}, KeySpace{Min: 7, Max: 7}, &Options{DataSize: 3})
	got := string(tpl.appendRequest(nil, c))
	want := "*4\r\n$3\r\nset\r\n$16\r\nk:000000000007:x\r\n$5\r\nplain\r\n$12\r\n000000000007\r\n"
	if got != want {
		t.Errorf("request %q, want %q", got, want)
	}
	// Without substitution the placeholder is sent as it is.
	lit := NewTemplate([]string{"GET", "key:__rand_int__"}, Substitution{})
	if string(lit.static) != "*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n" {
		t.Errorf("literal template %q", lit.static)
	}
}

func TestRatioRequests(t *testing.T) {
	rt := RatioTest(1, 3, "p:", false)
	c := testConn(rt, KeySpace{Min: 42, Max: 42}, &Options{DataMin: 2, DataMax: 2})
	c.build(8)
	r := respclient.NewReader(bytes.NewReader(c.buf), 0)
	var names []string
	for i := 0; i < 8; i++ {
		v, err := r.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, v.Elems[0].Str+" "+v.Elems[1].Str)
		if v.Elems[0].Str == "SET" && len(v.Elems[2].Str) != 2 {
			t.Errorf("SET value %q, want 2 bytes", v.Elems[2].Str)
		}
	}
	if got := strings.Join(names, ","); got != "SET p:42,GET p:42,GET p:42,GET p:42,SET p:42,GET p:42,GET p:42,GET p:42" {
		t.Errorf("ratio 1:3 sends %s", got)
	}
}

// RandomData is the payload redis-benchmark sends, byte for byte.
func TestRandomDataMatchesRedisBenchmark(t *testing.T) {
	srv := testutil.StartRedis(t)
	out, err := exec.Command(testutil.Program(t, "redis-benchmark"), "-p", strconv.Itoa(srv.Port),
		"-t", "set", "-n", "1", "-c", "1", "-d", "40", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	got := strings.TrimSuffix(testutil.RedisCLI(t, srv.Addr(), "--no-raw", "GET", "key:__rand_int__"), "\n")
	if want := strconv.Quote(string(RandomData(40))); got != want {
		t.Errorf("redis-benchmark stored %s, RandomData gives %s", got, want)
	}
}

func TestSuiteSelection(t *testing.T) {
	all, err := Suite(SuiteOptions{})
	if err != nil || len(all) != 20 {
		t.Fatalf("full suite: %d tests, %v", len(all), err)
	}
	ts, err := Suite(SuiteOptions{Tests: "LRANGE_300,Ping"})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, x := range ts {
		titles = append(titles, x.Title)
	}
	if got := strings.Join(titles, "|"); got != "PING_INLINE|PING_MBULK|LPUSH (needed to benchmark LRANGE)|LRANGE_300 (first 300 elements)" {
		t.Errorf("-t LRANGE_300,Ping runs %s", got)
	}
}

func TestZipf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []float64{0.5, 1, 1.5} {
		const n, draws = 50, 200000
		z := newZipf(n, s)
		counts := make([]int, n+1)
		for i := 0; i < draws; i++ {
			k := z.sample(r)
			if k < 1 || k > n {
				t.Fatalf("s=%g: sample %d outside [1,%d]", s, k, n)
			}
			counts[k]++
		}
		var norm float64
		for k := 1; k <= n; k++ {
			norm += math.Pow(float64(k), -s)
		}
		for _, k := range []int{1, 2, 10, 50} {
			want := draws * math.Pow(float64(k), -s) / norm
			if math.Abs(float64(counts[k])-want) > 5*math.Sqrt(want)+0.01*want {
				t.Errorf("s=%g: key %d drawn %d times, want about %.0f", s, k, counts[k], want)
			}
		}
	}
}

func TestKeyPatterns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g, _ := newKeyGen(KeySpace{Min: 100, Max: 199}, Gaussian)
	var sum float64
	for i := 0; i < 10000; i++ {
		k := g.next(r)
		if k < 100 || k > 199 {
			t.Fatalf("gaussian key %d outside 100..199", k)
		}
		sum += float64(k)
	}
	if m := sum / 10000; math.Abs(m-149.5) > 1 {
		t.Errorf("gaussian mean %.2f, want 149.5", m)
	}
	s, _ := newKeyGen(KeySpace{Min: 5, Max: 7}, Sequential)
	var seq []int64
	for i := 0; i < 5; i++ {
		seq = append(seq, s.next(r))
	}
	if want := []int64{5, 6, 7, 5, 6}; !slicesEqual(seq, want) {
		t.Errorf("sequential %v, want %v", seq, want)
	}
	if _, _, err := ParseKeyPatterns("S:Z"); err != nil {
		t.Error(err)
	}
	if _, err := newKeyGen(KeySpace{Min: 0, Max: 9, ZipfExp: 0}, Zipf); err == nil {
		t.Error("zipf exponent 0 accepted")
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSlotTags(t *testing.T) {
	tags := slotTags()
	for slot, tag := range tags {
		if tag == nil || KeySlot(append([]byte("key"), tag...)) != slot {
			t.Fatalf("slot %d: tag %q does not hash to it", slot, tag)
		}
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	ts, _ := Suite(SuiteOptions{Tests: "set", RandomKeys: true})
	c := testConn(ts[0], KeySpace{Min: 0, Max: 999999}, &Options{DataSize: 3})
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = ts[0].Commands[0].appendRequest(buf[:0], c)
	}
}

func BenchmarkSkipReplies(b *testing.B) {
	in := bytes.Repeat([]byte("+OK\r\n$3\r\nxxx\r\n"), 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		r := respclient.NewReader(bytes.NewReader(in), 16<<10)
		for j := 0; j < 2000; j++ {
			if _, err := r.Skip(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Run in process, so that the race detector sees the runner: a ratio test
// with warm-up and progress reports, then one cancelled midway.
func TestRunInProcess(t *testing.T) {
	srv := testutil.StartRedis(t)
	var reports atomic.Int64
	o := &Options{Network: "tcp", Addr: srv.Addr(), Clients: 4, Requests: 3000, Pipeline: 3, DataSize: 3,
		Keys: KeySpace{Min: 0, Max: 99}, MaxErrorMessages: 5, Warmup: 300 * time.Millisecond,
		Progress: func(Progress) { reports.Add(1) }}
	res, err := Run(context.Background(), o, RatioTest(1, 1, "k:", false))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3000 || res.Errors != 0 || res.Commands[0].Requests < 1496 || res.Commands[0].Requests > 1504 || reports.Load() == 0 {
		t.Errorf("requests %d (SET %d), errors %d, %d progress reports", res.Requests, res.Commands[0].Requests, res.Errors, reports.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	o.Requests, o.Warmup, o.Progress = 1<<40, 0, nil
	res, err = Run(ctx, o, RatioTest(1, 1, "k:", false))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Requests == 0 {
		t.Errorf("cancelled run: interrupted %v, %d requests", res.Interrupted, res.Requests)
	}
}
