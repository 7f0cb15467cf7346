package compat

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kvkit/kvkit/internal/resptest"
	"github.com/kvkit/kvkit/internal/testutil"
)

// psSubscriber is one subscriber connection of a Pub/Sub scenario: its
// protocol, the commands it sends before the publisher runs (replies and
// messages are all read as frames), and whether its frames are compared
// as a sorted list (where Redis's order comes from a hash table).
type psSubscriber struct {
	proto  int
	cmds   [][]string
	sorted bool
}

// psScenario is subscribers plus a publisher's commands, run against one
// server; "sleep <ms>" in the publisher's list waits instead of sending,
// and a command name starting with "@" has its reply left uncompared.
type psScenario struct {
	subs      []psSubscriber
	publisher [][]string
	pubProto  int
	after     [][]string // publisher commands sent after the first sync
}

// psTranscript is what each connection received.
type psTranscript struct {
	subs      [][]string // frames per subscriber, in arrival order
	publisher []string   // the publisher's replies
}

// syncToken ends a subscriber's frames: the reply to PING <token>.
const syncToken = "sync-7f3a"

// readUntilSync reads frames until the reply to PING syncToken (an array
// [pong, token] in the RESP2 subscribed state, a bulk string otherwise).
func readUntilSync(t *testing.T, c *resptest.Conn, name string) []string {
	t.Helper()
	if err := c.Write(resptest.Encode("PING", syncToken)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	bulk := fmt.Sprintf("$%d\r\n%s\r\n", len(syncToken), syncToken)
	var frames []string
	for i := 0; i < 100000; i++ {
		f, err := c.Read()
		if err != nil {
			t.Fatalf("%s: after %d frames (last %q): %v", name, len(frames), frames[max(len(frames)-1, 0):], err)
		}
		s := string(f)
		if s == bulk || s == "*2\r\n$4\r\npong\r\n"+bulk {
			return frames
		}
		frames = append(frames, s)
	}
	t.Fatalf("%s: no sync reply", name)
	return nil
}

func (sc *psScenario) run(t *testing.T, addr, name string) psTranscript {
	t.Helper()
	var tr psTranscript
	conns := make([]*resptest.Conn, len(sc.subs))
	for i, sub := range sc.subs {
		c := dial(t, addr)
		conns[i] = c
		if sub.proto == 3 {
			mustDo(t, c, "HELLO", "3")
		}
		for _, cmd := range sub.cmds {
			if err := c.Write(resptest.Encode(cmd...)); err != nil {
				t.Fatal(err)
			}
		}
		tr.subs = append(tr.subs, readUntilSync(t, c, fmt.Sprintf("%s sub%d", name, i)))
	}
	pub := dial(t, addr)
	if sc.pubProto == 3 {
		mustDo(t, pub, "HELLO", "3")
	}
	do := func(cmds [][]string) {
		for _, cmd := range cmds {
			if cmd[0] == "sleep" {
				var ms int
				fmt.Sscan(cmd[1], &ms)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				continue
			}
			if name, ok := strings.CutPrefix(cmd[0], "@"); ok {
				// A random reply (SPOP): sent, not compared.
				mustDo(t, pub, append([]string{name}, cmd[1:]...)...)
				continue
			}
			tr.publisher = append(tr.publisher, mustDo(t, pub, cmd...))
		}
	}
	do(sc.publisher)
	for i, c := range conns {
		tr.subs[i] = append(tr.subs[i], readUntilSync(t, c, fmt.Sprintf("%s sub%d", name, i))...)
	}
	if len(sc.after) > 0 {
		do(sc.after)
		for i, c := range conns {
			tr.subs[i] = append(tr.subs[i], readUntilSync(t, c, fmt.Sprintf("%s sub%d", name, i))...)
		}
	}
	for i, sub := range sc.subs {
		if sub.sorted {
			tr.subs[i] = unordered(tr.subs[i])
		}
	}
	return tr
}

// unordered makes frames comparable when their order is a hash table's:
// the frames without their trailing counts, sorted, then the counts,
// sorted (a mass unsubscribe's counts follow its order).
func unordered(frames []string) []string {
	var bodies, counts []string
	for _, f := range frames {
		i := strings.LastIndex(f[:len(f)-2], "\r\n:")
		if i < 0 {
			bodies = append(bodies, f)
			continue
		}
		bodies = append(bodies, f[:i+2])
		counts = append(counts, f[i+2:])
	}
	sort.Strings(bodies)
	sort.Strings(counts)
	return append(bodies, counts...)
}

// compare runs sc against both servers of p and compares every frame.
func (sc *psScenario) compare(t *testing.T, p *pair) {
	t.Helper()
	kv := sc.run(t, p.kv.Addr(), "kv-server")
	rd := sc.run(t, p.redis.Addr(), "redis-server")
	for i := range sc.subs {
		if a, b := strings.Join(kv.subs[i], ""), strings.Join(rd.subs[i], ""); a != b {
			t.Errorf("subscriber %d (RESP%d, %q):\n%s", i, sc.subs[i].proto, sc.subs[i].cmds, showDiff([]byte(a), []byte(b)))
		}
	}
	if a, b := strings.Join(kv.publisher, ""), strings.Join(rd.publisher, ""); a != b {
		t.Errorf("publisher:\n%s", showDiff([]byte(a), []byte(b)))
	}
}

// cmds splits command lines at spaces; "" stands for an empty argument.
func cmds(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
		for j, f := range out[i] {
			if f == `""` {
				out[i][j] = ""
			}
		}
	}
	return out
}

// TestPubSubFrames compares the exact frames several RESP2 and RESP3
// subscribers receive (channels, patterns, shard channels, duplicates,
// unsubscribes, a subscriber publishing to itself) with redis-server's.
func TestPubSubFrames(t *testing.T) {
	p := startPair(t)
	t.Run("channels-patterns", func(t *testing.T) {
		sc := psScenario{
			subs: []psSubscriber{
				{proto: 2, cmds: cmds("SUBSCRIBE news sports", "PSUBSCRIBE n*")},
				{proto: 3, cmds: cmds("PSUBSCRIBE *", "SUBSCRIBE news")},
				{proto: 2, cmds: cmds("SSUBSCRIBE news", "PSUBSCRIBE s?orts", "SSUBSCRIBE news other")},
				{proto: 3, cmds: cmds("SUBSCRIBE news news", "SSUBSCRIBE news", "GET k", "PING")},
				{proto: 2, cmds: cmds("PSUBSCRIBE n[aeiou]ws", "GET k", "SET k v", "PING", "PING x", "ECHO a")},
			},
			publisher: append(cmds("PUBLISH news hello", "PUBLISH sports x", "SPUBLISH news y", "SPUBLISH sports y",
				"PUBLISH other z", "PUBSUB NUMSUB news sports other", "PUBSUB NUMSUB", "PUBSUB NUMPAT",
				"PUBSUB SHARDNUMSUB news other x", "PUBSUB CHANNELS n*", "PUBSUB SHARDCHANNELS o*", "PUBSUB CHANNELS x",
				"PUBLISH nows 1"),
				[]string{"PUBLISH", "news", ""}, []string{"PUBLISH", "news", "a\r\nb\x00"}),
		}
		sc.compare(t, p)
	})
	t.Run("unsubscribe", func(t *testing.T) {
		sc := psScenario{
			subs: []psSubscriber{
				{proto: 2, cmds: cmds("SUBSCRIBE a", "UNSUBSCRIBE a", "UNSUBSCRIBE a", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "UNSUBSCRIBE")},
				{proto: 3, cmds: cmds("UNSUBSCRIBE", "PUNSUBSCRIBE x", "SUNSUBSCRIBE y", "SSUBSCRIBE s", "SUBSCRIBE a", "SUNSUBSCRIBE", "GET k")},
				{proto: 2, cmds: cmds("PSUBSCRIBE a*", "SUBSCRIBE a", "PUNSUBSCRIBE", "GET k", "UNSUBSCRIBE", "GET k")},
				{proto: 2, cmds: cmds("SUBSCRIBE a b c", "PSUBSCRIBE x y", "UNSUBSCRIBE", "PUNSUBSCRIBE"), sorted: true},
				{proto: 2, cmds: cmds("SUBSCRIBE a", "RESET", "GET k", "SUBSCRIBE b")},
			},
			publisher: cmds("PUBLISH a 1", "PUBLISH b 2", "SPUBLISH s 3", "PUBSUB NUMSUB a b c s", "PUBSUB NUMPAT",
				"PUBSUB SHARDNUMSUB s"),
		}
		sc.compare(t, p)
	})
	t.Run("self-publish", func(t *testing.T) {
		sc := psScenario{
			subs: []psSubscriber{
				{proto: 3, cmds: cmds("SUBSCRIBE a", "PSUBSCRIBE a*", "PUBLISH a m", "SSUBSCRIBE a", "SPUBLISH a n",
					"SET k v", "GET k", "PUBLISH b x", "UNSUBSCRIBE a", "PUBLISH a again", "DEL k")},
				{proto: 2, cmds: cmds("SUBSCRIBE a")},
			},
			publisher: cmds("PUBLISH a last"),
			pubProto:  3,
		}
		sc.compare(t, p)
	})
	t.Run("client-reply", func(t *testing.T) {
		// Pub/Sub frames go out under CLIENT REPLY OFF and SKIP (Redis's
		// CLIENT_PUSHING), the replies do not.
		sc := psScenario{
			subs: []psSubscriber{
				{proto: 3, cmds: cmds("CLIENT REPLY OFF", "SUBSCRIBE a", "PUBLISH a x", "GET k", "UNSUBSCRIBE", "UNSUBSCRIBE", "CLIENT REPLY ON")},
				{proto: 2, cmds: cmds("CLIENT REPLY SKIP", "SUBSCRIBE a", "PING", "CLIENT REPLY SKIP", "PSUBSCRIBE b*")},
			},
			publisher: cmds("PUBLISH a 1", "PUBLISH b 2"),
		}
		sc.compare(t, p)
	})
	t.Run("monitor", func(t *testing.T) {
		// A monitor is a replica to processCommand, whose Pub/Sub check
		// comes before its replica check; MONITOR's feed lines carry
		// times and addresses, so only the errors are compared.
		errs := func(addr string) []string {
			c := dial(t, addr)
			for _, cmd := range cmds("MONITOR", "SUBSCRIBE a", "GET x", "PUBLISH a b") {
				c.Write(resptest.Encode(cmd...))
			}
			var out []string
			for _, f := range readUntilSync(t, c, addr) {
				if strings.HasPrefix(f, "-") {
					out = append(out, f)
				}
			}
			return out
		}
		kv, rd := errs(p.kv.Addr()), errs(p.redis.Addr())
		if strings.Join(kv, "") != strings.Join(rd, "") || len(rd) != 2 {
			t.Errorf("errors of a subscribed monitor:\n  kv-server:    %q\n  redis-server: %q", kv, rd)
		}
	})
	t.Run("client-list", func(t *testing.T) {
		for _, srv := range []string{p.kv.Addr(), p.redis.Addr()} {
			c := dial(t, srv)
			mustDo(t, c, "CLIENT", "SETNAME", "sub")
			c.Write(resptest.Encode("SUBSCRIBE", "a", "b"))
			c.Write(resptest.Encode("PSUBSCRIBE", "x"))
			c.Write(resptest.Encode("SSUBSCRIBE", "s"))
			readUntilSync(t, c, srv)
			o := dial(t, srv)
			list := mustDo(t, o, "CLIENT", "LIST", "TYPE", "pubsub")
			for _, want := range []string{"name=sub ", " flags=P ", " sub=2 psub=1 ssub=1 "} {
				if !strings.Contains(list, want) {
					t.Errorf("%s: CLIENT LIST TYPE pubsub: no %q in %q", srv, want, list)
				}
			}
			for field, want := range map[string]string{"pubsub_channels": "2", "pubsub_patterns": "1", "pubsubshard_channels": "1"} {
				if got := infoField(t, o, "stats", field); got != want {
					t.Errorf("%s: %s = %s, want %s", srv, field, got, want)
				}
			}
			if n := intReply(t, o, "CLIENT", "KILL", "TYPE", "pubsub"); n != 1 {
				t.Errorf("%s: CLIENT KILL TYPE pubsub: %d", srv, n)
			}
			waitFor(2*time.Second, func() bool { return infoField(t, o, "stats", "pubsub_channels") == "0" })
			if got := mustDo(t, o, "PUBSUB", "NUMSUB", "a"); !bytes.Equal([]byte(got), []byte("*2\r\n$1\r\na\r\n:0\r\n")) {
				t.Errorf("%s: after the kill: %q", srv, got)
			}
		}
	})
}

// TestOutputBufferLimits floods a subscriber that never reads and a normal
// client that never reads its replies: each server drops the slow client
// once its queued output passes client-output-buffer-limit (logging it as
// Redis does), while a reading subscriber gets every message; kv-server's
// RSS stays bounded (the flood is 8 times the limit and many times what
// the sockets buffer).
func TestOutputBufferLimits(t *testing.T) {
	bin := buildKVServer(t)
	port := testutil.FreePort(t)
	kv := testutil.Start(t, port, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no")
	rd := testutil.StartRedis(t)
	const (
		msgSize = 64 << 10
		msgs    = 1024 // 64 MB published
	)
	payload := strings.Repeat("x", msgSize)
	for _, srv := range []*testutil.Server{kv, rd} {
		name := filepath.Base(srv.Cmd.Path)
		admin := dial(t, srv.Addr())
		mustDo(t, admin, "CONFIG", "SET", "client-output-buffer-limit", "normal 8mb 0 0 pubsub 8mb 2mb 60")
		idle := procStatus(t, srv.Cmd.Process.Pid, "VmRSS")

		slow := dial(t, srv.Addr())
		mustDo(t, slow, "SUBSCRIBE", "flood")
		fast := dial(t, srv.Addr())
		mustDo(t, fast, "SUBSCRIBE", "flood")
		received := make(chan int, 1)
		go func() {
			n := 0
			for n < msgs {
				if _, err := fast.Read(); err != nil {
					break
				}
				n++
			}
			received <- n
		}()
		pub := dial(t, srv.Addr())
		var peak int64
		// Pipelines of 8 messages: the reading subscriber must keep up
		// with the publisher, not with a 64 MB burst.
		for i := 0; i < msgs; i += 8 {
			var batch []byte
			for j := 0; j < 8; j++ {
				batch = append(batch, resptest.Encode("PUBLISH", "flood", payload)...)
			}
			if err := pub.Write(batch); err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 8; j++ {
				if _, err := pub.Read(); err != nil {
					t.Fatalf("%s: PUBLISH: %v", name, err)
				}
			}
			peak = max(peak, procStatus(t, srv.Cmd.Process.Pid, "VmRSS"))
		}
		select {
		case n := <-received:
			if n != msgs {
				t.Errorf("%s: the reading subscriber got %d of %d messages", name, n, msgs)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the reading subscriber did not get the messages", name)
		}
		if got := mustDo(t, pub, "PUBSUB", "NUMSUB", "flood"); got != "*2\r\n$5\r\nflood\r\n:1\r\n" {
			t.Errorf("%s: the slow subscriber was not dropped: PUBSUB NUMSUB %q", name, got)
		}
		if _, closed := slow.ReadUntilClose(5 * time.Second); !closed {
			t.Errorf("%s: the slow subscriber's connection is still open", name)
		}
		if srv == kv && peak-idle > 48<<20 {
			t.Errorf("%s: RSS grew by %d MB publishing 64 MB with an 8 MB limit", name, (peak-idle)>>20)
		}
		t.Logf("%s: RSS idle %d MB, peak %d MB", name, idle>>20, peak>>20)

		// A normal client that does not read 8 MB of replies.
		mustDo(t, admin, "SET", "big", strings.Repeat("y", 1<<20))
		reader := dial(t, srv.Addr())
		var gets []byte
		for i := 0; i < 64; i++ {
			gets = append(gets, resptest.Encode("GET", "big")...)
		}
		if err := reader.Write(gets); err != nil {
			t.Fatal(err)
		}
		logged := func() int {
			n := 0
			for _, l := range srv.LogLines() {
				if strings.Contains(l, "scheduled to be closed ASAP for overcoming of output buffer limits.") {
					n++
				}
			}
			return n
		}
		if !waitFor(10*time.Second, func() bool { return logged() == 2 }) {
			t.Errorf("%s: %d log lines about clients closed for their output, want 2", name, logged())
		}
		if _, closed := reader.ReadUntilClose(5 * time.Second); !closed {
			t.Errorf("%s: the normal client over its output limit is still connected", name)
		}
		if got := mustDo(t, admin, "PING"); got != "+PONG\r\n" {
			t.Errorf("%s: PING after the floods: %q", name, got)
		}
	}
}

// goredisPubSub runs go-redis's documented Pub/Sub usage on one server in
// the given protocol and returns what the client saw, rendered by
// go-redis: subscription confirmations, messages on a channel and through
// patterns, Ping in the subscribed state, PUBSUB introspection, and a
// keyspace notification.
func goredisPubSub(t *testing.T, addr string, proto int) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
	defer rdb.Close()
	var out []string
	add := func(v any) { out = append(out, fmt.Sprint(v)) }
	ps := rdb.Subscribe(ctx, "news")
	defer ps.Close()
	receive := func() {
		m, err := ps.Receive(ctx)
		if err != nil {
			t.Fatalf("%s: Receive after %q: %v", addr, out, err)
		}
		add(m)
	}
	receive()
	if err := ps.PSubscribe(ctx, "n*", "__keyevent@0__:*"); err != nil {
		t.Fatal(err)
	}
	receive()
	receive()
	add(ps.Ping(ctx, "hi"))
	receive()
	add(rdb.Publish(ctx, "news", "hello").Val())
	add(rdb.PubSubNumSub(ctx, "news", "none").Val())
	add(rdb.PubSubNumPat(ctx).Val())
	add(rdb.PubSubChannels(ctx, "n*").Val())
	add(rdb.ConfigSet(ctx, "notify-keyspace-events", "E$").Val())
	add(rdb.Set(ctx, "k", "v", 0).Val())
	add(rdb.ConfigSet(ctx, "notify-keyspace-events", "").Val())
	ch := ps.Channel()
	for i := 0; i < 3; i++ {
		select {
		case m := <-ch:
			add(m)
		case <-ctx.Done():
			t.Fatalf("%s: message %d: %v", addr, i, ctx.Err())
		}
	}
	if err := ps.Unsubscribe(ctx, "news"); err != nil {
		t.Fatal(err)
	}
	if err := ps.PUnsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	add(waitFor(5*time.Second, func() bool { return rdb.PubSubNumSub(ctx, "news").Val()["news"] == 0 }))
	add(rdb.PubSubNumPat(ctx).Val())
	return out
}

// TestGoRedisPubSub compares go-redis's Pub/Sub API on both servers, RESP2
// and RESP3.
func TestGoRedisPubSub(t *testing.T) {
	p := startPair(t)
	for _, proto := range []int{2, 3} {
		kv := goredisPubSub(t, p.kv.Addr(), proto)
		rd := goredisPubSub(t, p.redis.Addr(), proto)
		compareLogs(t, fmt.Sprintf("go-redis Pub/Sub, RESP%d", proto), kv, rd)
		if len(kv) < 15 {
			t.Errorf("go-redis Pub/Sub, RESP%d: only %d results: %q", proto, len(kv), kv)
		}
	}
}
