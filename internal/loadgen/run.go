package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kvkit/kvkit/internal/respclient"
)

// Options configure a run. Zero values are not defaults: the caller (the
// command line) fills every field it uses.
type Options struct {
	Network  string // "tcp" or "unix" for Addr
	Addr     string // host:port or a socket path; in cluster mode any node
	User     string // AUTH user (ACL), with Password
	Password string
	DB       int  // SELECT this database first when not 0
	RESP3    bool // HELLO 3 first

	Clients  int           // connections
	Requests int64         // per test, when Duration is 0
	Duration time.Duration // run each test this long instead (--test-time)
	Warmup   time.Duration // send load this long before measuring
	Pipeline int           // requests per round trip per connection
	RPS      float64       // total request rate; 0 for closed loop
	Cluster  bool          // Addr is a Redis Cluster node

	Keys     KeySpace
	DataSize int // value size of built-in tests (-d)
	DataMin  int // with DataMax > 0, each value's size is drawn from
	DataMax  int // [DataMin, DataMax] (--data-size-range)

	Seed         uint64 // with SeedSet, the random seed
	SeedSet      bool
	DistinctSeed bool // with SeedSet, connection i uses Seed+i

	// MaxErrorMessages is how many distinct error messages a Result keeps.
	MaxErrorMessages int
	// Progress, if set, is called about every 250 ms while a test runs.
	Progress func(Progress)
}

func (o *Options) network(addr string) string {
	if o.Network == "unix" && addr == o.Addr {
		return "unix"
	}
	return "tcp"
}

// Progress is a snapshot of a running test.
type Progress struct {
	Title     string
	Finished  int64         // replies received while measuring
	Elapsed   time.Duration // since measuring started; negative while warming up
	Remaining time.Duration // estimate; -1 when unknown
	Rate      float64       // replies per second over the last interval
}

// Histogram bounds: latency is recorded in microseconds from 1 µs to one
// hour with 3 significant digits, as redis-benchmark's default precision.
const (
	histMin     = 1
	histMax     = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

// NewHistogram returns an empty latency histogram with the bounds every
// Result uses (microseconds, 1 µs to 1 h, 3 significant digits).
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histSigFigs)
}

// ErrorCount is one distinct error message and how often it was seen.
type ErrorCount struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// CommandResult is the share of one command in a mixed test.
type CommandResult struct {
	Name     string
	Requests int64
	Latency  *hdrhistogram.Histogram
}

// Result is the outcome of one test.
type Result struct {
	Title string
	// Requests counts replies, error replies included (as redis-benchmark).
	Requests int64
	// Errors counts error replies, requests lost with a dropped connection
	// and failed connection attempts.
	Errors int64
	// ErrorMessages holds the first distinct messages (up to
	// Options.MaxErrorMessages) with their counts; OtherErrors the rest.
	ErrorMessages []ErrorCount
	OtherErrors   int64
	// Redirects counts MOVED and ASK replies that were followed.
	Redirects int64
	Elapsed   time.Duration
	// Latency of every request, in microseconds; with rate limiting it is
	// measured from the intended send time, not the actual one.
	Latency     *hdrhistogram.Histogram
	Commands    []CommandResult
	Interrupted bool
}

// OpsPerSec returns Requests per second of Elapsed.
func (r *Result) OpsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

type shard struct {
	mu        sync.Mutex
	hists     []*hdrhistogram.Histogram
	errors    int64
	other     int64
	msgs      []ErrorCount
	redirects int64
}

type run struct {
	o        *Options
	t        Test
	cm       *clusterMap
	gens     []*keyGen
	data     []byte
	base     time.Time
	measure  int64 // ns after base when measuring starts (after warm-up)
	deadline int64 // ns after base when a duration run stops issuing; 0 for -n
	issued   atomic.Int64
	finished atomic.Int64
	stop     atomic.Bool
	stopCh   chan struct{} // closed with stop, to cut sleeps short
	shards   []*shard

	connMu sync.Mutex
	conns  map[*conn]struct{}
}

func (r *run) now() int64 { return int64(time.Since(r.base)) }

// sleep waits d or until the run is stopped.
func (r *run) sleep(d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-r.stopCh:
		t.Stop()
	}
}

// claim reserves up to p requests of the budget and returns how many may
// be sent (0: the test is over for this connection) and whether they are
// measured: requests claimed during the warm-up are neither counted against
// the budget nor recorded, so the two always agree.
func (r *run) claim(p int, now int64) (int, bool) {
	if r.stop.Load() {
		return 0, false
	}
	if now < r.measure {
		return p, false
	}
	if r.deadline > 0 {
		if now >= r.deadline {
			return 0, false
		}
		return p, true
	}
	total := r.issued.Add(int64(p))
	prev := total - int64(p)
	if prev >= r.o.Requests {
		return 0, false
	}
	return int(min(int64(p), r.o.Requests-prev)), true
}

func (r *run) recordError(sh *shard, msg string, n int64) {
	sh.mu.Lock()
	sh.errors += n
	for i := range sh.msgs {
		if sh.msgs[i].Message == msg {
			sh.msgs[i].Count += n
			sh.mu.Unlock()
			return
		}
	}
	if len(sh.msgs) < r.o.MaxErrorMessages {
		sh.msgs = append(sh.msgs, ErrorCount{Message: msg, Count: n})
	} else {
		sh.other += n
	}
	sh.mu.Unlock()
}

// Run runs test t and returns its result. Connection failures, error
// replies and dropped connections are counted in the Result, not returned:
// err is for a run that cannot start (bad options, no cluster map).
// Cancelling ctx ends the test early with Result.Interrupted set.
func Run(ctx context.Context, o *Options, t Test) (*Result, error) {
	if o.Clients < 1 || o.Pipeline < 1 {
		return nil, fmt.Errorf("loadgen: need at least one client and a pipeline of at least 1")
	}
	r := &run{o: o, t: t, conns: map[*conn]struct{}{}, stopCh: make(chan struct{})}
	for i, c := range t.Commands {
		p := o.Keys.Pattern
		if len(t.Commands) > 1 && i == 1 {
			p = o.Keys.GetPattern
		}
		var g *keyGen
		if c.keyed {
			var err error
			if g, err = newKeyGen(o.Keys, p); err != nil {
				return nil, err
			}
		}
		r.gens = append(r.gens, g)
	}
	size := o.DataSize
	if o.DataMax > 0 {
		size = o.DataMax
	}
	r.data = RandomData(size)
	if o.Cluster {
		cm, err := fetchClusterMap(o, o.Addr)
		if err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		r.cm = cm
		slotTags() // build before the clock starts
	}
	nshards := runtime.GOMAXPROCS(0) * 4
	for i := 0; i < nshards; i++ {
		sh := &shard{}
		for range t.Commands {
			sh.hists = append(sh.hists, NewHistogram())
		}
		r.shards = append(r.shards, sh)
	}
	seed := o.Seed
	if !o.SeedSet {
		seed = rand.Uint64()
	}
	conns := make([]*conn, o.Clients)
	for i := range conns {
		s1, s2 := seed, uint64(i)
		if o.SeedSet && !o.DistinctSeed {
			s2 = 0
		}
		conns[i] = &conn{r: r, id: i, rng: rand.New(rand.NewPCG(s1, s2)), sh: r.shards[i%nshards],
			counts: make([]int64, len(t.Commands))}
	}
	// Connect before the clock starts, as redis-benchmark creates its
	// clients before taking the start time: the result measures requests,
	// not TCP handshakes. At most 64 dials are in flight at once.
	var dials sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range conns {
		dials.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; dials.Done() }()
			if err := c.connect(); err != nil {
				r.recordError(c.sh, "connect: "+errText(err), 1)
				c.failures = 1
			}
		}()
	}
	dials.Wait()
	r.base = time.Now()
	r.measure = int64(o.Warmup)
	if o.Duration > 0 {
		r.deadline = r.measure + int64(o.Duration)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); c.loop() }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	interrupted := false
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastN int64
	lastT := r.now()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			interrupted = true
			r.stop.Store(true)
			close(r.stopCh)
			// Give in-flight requests a moment, then unblock reads from
			// a server that does not answer.
			select {
			case <-done:
			case <-time.After(time.Second):
				r.closeAll()
				<-done
			}
			break wait
		case <-tick.C:
			if o.Progress != nil {
				now := r.now()
				n := r.finished.Load()
				p := Progress{Title: t.Title, Finished: n, Elapsed: time.Duration(now - r.measure), Remaining: -1}
				if dt := now - lastT; dt > 0 {
					p.Rate = float64(n-lastN) / (float64(dt) / 1e9)
				}
				if r.deadline > 0 {
					p.Remaining = time.Duration(r.deadline - now)
				} else if n > 0 && now > r.measure {
					p.Remaining = time.Duration(float64(now-r.measure) * float64(o.Requests-n) / float64(n))
				}
				lastN, lastT = n, now
				o.Progress(p)
			}
		}
	}
	end := r.now()
	res := &Result{Title: t.Title, Latency: NewHistogram(), Interrupted: interrupted}
	res.Elapsed = time.Duration(end - r.measure)
	if res.Elapsed < 0 {
		res.Elapsed = 0
	}
	for i, c := range t.Commands {
		cr := CommandResult{Name: c.Name, Latency: NewHistogram()}
		for _, sh := range r.shards {
			cr.Latency.Merge(sh.hists[i])
		}
		cr.Requests = cr.Latency.TotalCount()
		res.Latency.Merge(cr.Latency)
		res.Commands = append(res.Commands, cr)
	}
	res.Requests = res.Latency.TotalCount()
	for _, sh := range r.shards {
		res.Errors += sh.errors
		res.OtherErrors += sh.other
		res.Redirects += sh.redirects
		for _, m := range sh.msgs {
			merged := false
			for j := range res.ErrorMessages {
				if res.ErrorMessages[j].Message == m.Message {
					res.ErrorMessages[j].Count += m.Count
					merged = true
				}
			}
			if !merged {
				if len(res.ErrorMessages) < o.MaxErrorMessages {
					res.ErrorMessages = append(res.ErrorMessages, m)
				} else {
					res.OtherErrors += m.Count
				}
			}
		}
	}
	return res, nil
}

func (r *run) closeAll() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	for c := range r.conns {
		c.closeNet()
	}
}

// conn is one benchmark connection and the goroutine that drives it.
type conn struct {
	r   *run
	id  int
	rng *rand.Rand
	sh  *shard
	cur int // the command being built, for key()
	// failures counts consecutive failed connects and dropped connections.
	failures int

	mu  sync.Mutex // guards nc against closeAll
	nc  *respclient.Conn
	buf []byte
	// Per batch: where each request starts in buf and which command it is.
	offs   []int
	cmds   []int
	counts []int64
	ratio  int // position in the ratio cycle

	// Cluster mode: the master this connection talks to, its slots and
	// connections opened to follow redirects.
	node      int
	nodeSlots []int
	mapVer    int
	redirects map[string]*respclient.Conn
}

func (c *conn) key() int64   { return c.r.gens[c.cur].next(c.rng) }
func (c *conn) data() []byte { return c.r.data }

func (c *conn) dataLen() int {
	o := c.r.o
	if o.DataMax > 0 {
		return o.DataMin + c.rng.IntN(o.DataMax-o.DataMin+1)
	}
	return o.DataSize
}

func (c *conn) tag() []byte {
	return slotTags()[c.nodeSlots[c.rng.IntN(len(c.nodeSlots))]]
}

func (c *conn) closeNet() {
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
	}
	c.mu.Unlock()
}

// handshake sends the per-connection prefix: HELLO 3 (with AUTH) or AUTH,
// then SELECT when selectDB, as redis-benchmark prefixes its buffers.
func handshake(o *Options, c *respclient.Conn, selectDB bool) error {
	if o.RESP3 {
		args := []string{"HELLO", "3"}
		if o.Password != "" {
			user := o.User
			if user == "" {
				user = "default"
			}
			args = append(args, "AUTH", user, o.Password)
		}
		if _, err := c.DoOK(args...); err != nil {
			return err
		}
	} else if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.User != "" {
			args = []string{"AUTH", o.User, o.Password}
		}
		if _, err := c.DoOK(args...); err != nil {
			return err
		}
	}
	if selectDB && o.DB != 0 {
		if _, err := c.DoOK("SELECT", fmt.Sprint(o.DB)); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) connect() error {
	o := c.r.o
	addr := o.Addr
	if c.r.cm != nil {
		a, slots, ver := c.r.cm.node(c.id)
		addr, c.nodeSlots, c.mapVer = a, slots, ver
	}
	nc, err := respclient.Dial(o.network(addr), addr, 5*time.Second)
	if err != nil {
		return err
	}
	if err := handshake(o, nc, c.r.cm == nil); err != nil {
		nc.Close()
		return err
	}
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
	c.r.connMu.Lock()
	c.r.conns[c] = struct{}{}
	c.r.connMu.Unlock()
	return nil
}

func (c *conn) drop() {
	c.r.connMu.Lock()
	delete(c.r.conns, c)
	c.r.connMu.Unlock()
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
	c.mu.Unlock()
	for a, rc := range c.redirects {
		rc.Close()
		delete(c.redirects, a)
	}
}

// maxConsecutiveFailures bounds reconnection: a connection that fails this
// many times in a row (refused, reset, handshake error) gives up for the
// rest of the test.
const maxConsecutiveFailures = 3

func (c *conn) loop() {
	r, o := c.r, c.r.o
	defer c.drop()
	failures := c.failures
	var interval, next int64
	if o.RPS > 0 {
		interval = int64(float64(o.Pipeline) * float64(o.Clients) / o.RPS * 1e9)
		// Spread the connections' schedules over one interval.
		next = interval * int64(c.id) / int64(o.Clients)
	}
	for !r.stop.Load() {
		if c.nc == nil {
			if err := c.connect(); err != nil {
				r.recordError(c.sh, "connect: "+errText(err), 1)
				failures++
				if failures >= maxConsecutiveFailures {
					return
				}
				r.sleep(100 * time.Millisecond)
				continue
			}
		}
		now := r.now()
		start := now
		if interval > 0 {
			if next > now {
				r.sleep(time.Duration(next - now))
			}
			// Coordinated omission: latency counts from when the request
			// should have been sent, so a stalled server shows up in the
			// percentiles instead of merely slowing the schedule.
			start = next
			next += interval
			now = r.now()
		}
		n, measured := r.claim(o.Pipeline, now)
		if n == 0 {
			return
		}
		if r.cm != nil {
			if _, slots, ver := r.cm.node(c.id); ver != c.mapVer {
				c.nodeSlots, c.mapVer = slots, ver
			}
		}
		c.build(n)
		if interval == 0 {
			start = r.now()
		}
		got, err := c.roundTrip(n, measured)
		end := r.now()
		if got > 0 && measured {
			c.record(got, (end-start)/1000)
			r.finished.Add(int64(got))
		}
		if err != nil {
			if !r.stop.Load() && measured {
				r.recordError(c.sh, "connection lost: "+errText(err), int64(n-got))
			}
			c.drop()
			failures++
			if failures >= maxConsecutiveFailures {
				return
			}
			continue
		}
		failures = 0
	}
}

func errText(err error) string {
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Err != nil && ne.Addr != nil {
		return ne.Op + " " + ne.Addr.String() + ": " + ne.Err.Error()
	}
	return err.Error()
}

// build fills buf with n requests, choosing commands by the test's weights.
func (c *conn) build(n int) {
	t := c.r.t
	c.buf = c.buf[:0]
	c.offs = c.offs[:0]
	c.cmds = c.cmds[:0]
	for i := 0; i < n; i++ {
		k := 0
		if len(t.Commands) > 1 {
			k = c.pick()
		}
		c.cur = k
		c.offs = append(c.offs, len(c.buf))
		c.cmds = append(c.cmds, k)
		c.buf = t.Commands[k].appendRequest(c.buf, c)
	}
	c.offs = append(c.offs, len(c.buf))
}

// pick returns the next command of a mixed test: a fixed cycle through the
// weights, so that every connection keeps the ratio exactly.
func (c *conn) pick() int {
	w := c.r.t.Weights
	total := 0
	for _, x := range w {
		total += x
	}
	pos := c.ratio % total
	c.ratio++
	for i, x := range w {
		if pos < x {
			return i
		}
		pos -= x
	}
	return len(w) - 1
}

type redirect struct {
	req  int
	addr string
	ask  bool
}

// roundTrip writes the batch and reads its n replies; it returns how many
// replies arrived before an I/O or protocol error. Error replies count
// only when measuring (not during warm-up).
func (c *conn) roundTrip(n int, measuring bool) (int, error) {
	if _, err := c.nc.Net.Write(c.buf); err != nil {
		return 0, err
	}
	for k := range c.counts {
		c.counts[k] = 0
	}
	var redirs []redirect
	for i := 0; i < n; i++ {
		msg, err := c.nc.R.Skip()
		if err != nil {
			return i, err
		}
		c.counts[c.cmds[i]]++
		if msg == nil {
			continue
		}
		if c.r.cm != nil {
			if addr, ask, ok := parseRedirect(msg); ok {
				redirs = append(redirs, redirect{req: i, addr: addr, ask: ask})
				continue
			}
		}
		if measuring {
			c.r.recordError(c.sh, string(msg), 1)
		}
	}
	for _, rd := range redirs {
		c.follow(rd, measuring)
	}
	return n, nil
}

// maxRedirects bounds how many MOVED/ASK hops one request may take.
const maxRedirects = 5

// follow resends request rd.req to the node a MOVED or ASK names (ASK with
// ASKING first), as a cluster client does, and refreshes the slot map
// after a MOVED so that later requests go to the right node directly.
func (c *conn) follow(rd redirect, measuring bool) {
	req := c.buf[c.offs[rd.req]:c.offs[rd.req+1]]
	if measuring {
		c.sh.mu.Lock()
		c.sh.redirects++
		c.sh.mu.Unlock()
	}
	moved := false
	for hop := 0; ; hop++ {
		if !rd.ask {
			moved = true
		}
		if hop == maxRedirects {
			if measuring {
				c.r.recordError(c.sh, "too many cluster redirects", 1)
			}
			break
		}
		rc, err := c.redirectConn(rd.addr)
		if err != nil {
			if measuring {
				c.r.recordError(c.sh, "redirect to "+rd.addr+": "+errText(err), 1)
			}
			break
		}
		var out []byte
		if rd.ask {
			out = respclient.AppendCommand(out, "ASKING")
		}
		out = append(out, req...)
		msg, err := func() ([]byte, error) {
			if _, err := rc.Net.Write(out); err != nil {
				return nil, err
			}
			if rd.ask {
				if m, err := rc.R.Skip(); err != nil || m != nil {
					if err == nil {
						err = errors.New(string(m))
					}
					return nil, err
				}
			}
			return rc.R.Skip()
		}()
		if err != nil {
			rc.Close()
			delete(c.redirects, rd.addr)
			if measuring {
				c.r.recordError(c.sh, "redirect to "+rd.addr+": "+errText(err), 1)
			}
			break
		}
		if msg == nil {
			break
		}
		if addr, ask, ok := parseRedirect(msg); ok {
			rd.addr, rd.ask = addr, ask
			continue
		}
		if measuring {
			c.r.recordError(c.sh, string(msg), 1)
		}
		break
	}
	if moved {
		c.r.cm.refreshAfterRedirect()
	}
}

func (c *conn) redirectConn(addr string) (*respclient.Conn, error) {
	if rc := c.redirects[addr]; rc != nil {
		return rc, nil
	}
	rc, err := dialNode(c.r.o, addr)
	if err != nil {
		return nil, err
	}
	if c.redirects == nil {
		c.redirects = map[string]*respclient.Conn{}
	}
	c.redirects[addr] = rc
	return rc, nil
}

func (c *conn) record(got int, latUS int64) {
	if latUS > histMax {
		latUS = histMax
	}
	c.sh.mu.Lock()
	if len(c.counts) == 1 {
		c.sh.hists[0].RecordValues(latUS, int64(got))
	} else {
		for k, n := range c.counts {
			if n > 0 {
				c.sh.hists[k].RecordValues(latUS, n)
			}
		}
	}
	c.sh.mu.Unlock()
}

// Idle opens o.Clients connections (with AUTH, HELLO and SELECT as
// configured), reports how many are open, and holds them until ctx ends:
// redis-benchmark's -I.
func Idle(ctx context.Context, o *Options, report func(open int)) error {
	var conns []*respclient.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < o.Clients; i++ {
		if ctx.Err() != nil {
			return nil
		}
		c, err := respclient.Dial(o.network(o.Addr), o.Addr, 5*time.Second)
		if err == nil {
			if err = handshake(o, c, true); err != nil {
				c.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("idle connection %d: %s", i+1, errText(err))
		}
		conns = append(conns, c)
		report(len(conns))
	}
	<-ctx.Done()
	return nil
}

// Ms converts a histogram value (µs) to milliseconds.
func Ms(us int64) float64 { return float64(us) / 1000 }

// MeanMs returns a histogram's mean in milliseconds (NaN when empty).
func MeanMs(h *hdrhistogram.Histogram) float64 {
	if h.TotalCount() == 0 {
		return math.NaN()
	}
	return h.Mean() / 1000
}

// ErrorSummary returns "N errors (first: msg; msg)" for reports, or "".
func (r *Result) ErrorSummary() string {
	if r.Errors == 0 {
		return ""
	}
	var msgs []string
	for _, m := range r.ErrorMessages {
		msgs = append(msgs, fmt.Sprintf("%q x%d", m.Message, m.Count))
	}
	if r.OtherErrors > 0 {
		msgs = append(msgs, fmt.Sprintf("%d others", r.OtherErrors))
	}
	return fmt.Sprintf("%s: %d errors: %s", r.Title, r.Errors, strings.Join(msgs, ", "))
}
