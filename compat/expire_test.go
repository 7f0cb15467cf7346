package compat

import (
	"strconv"
	"testing"
	"time"
)

// TestActiveExpiry checks, on both servers, that keys whose TTL passed are
// removed without being accessed (the active expire cycle) and that with
// DEBUG SET-ACTIVE-EXPIRE 0 they stay counted by DBSIZE until an access
// removes them (passive expiry), with expired_keys counting each.
func TestActiveExpiry(t *testing.T) {
	p := startPair(t)
	for _, srv := range []struct {
		name string
		addr string
	}{{"kv-server", p.kv.Addr()}, {"redis-server", p.redis.Addr()}} {
		t.Run(srv.name, func(t *testing.T) {
			c := dial(t, srv.addr)
			mustDo(t, c, "FLUSHALL")
			mustDo(t, c, "CONFIG", "RESETSTAT")
			for i := 0; i < 200; i++ {
				mustDo(t, c, "SET", "v"+strconv.Itoa(i), "x", "PX", "100")
			}
			mustDo(t, c, "SET", "stay", "x")
			if !waitFor(5*time.Second, func() bool { return intReply(t, c, "DBSIZE") == 1 }) {
				t.Fatalf("active expiry left %d keys after 5s, want 1", intReply(t, c, "DBSIZE"))
			}
			if n := infoField(t, c, "stats", "expired_keys"); n != "200" {
				t.Errorf("expired_keys = %s, want 200", n)
			}

			mustDo(t, c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
			defer mustDo(t, c, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
			for i := 0; i < 10; i++ {
				mustDo(t, c, "SET", "p"+strconv.Itoa(i), "x", "PX", "50")
			}
			time.Sleep(300 * time.Millisecond)
			if n := intReply(t, c, "DBSIZE"); n != 11 {
				t.Fatalf("with active expiry off DBSIZE = %d, want 11 (expired keys stay until accessed)", n)
			}
			if r := mustDo(t, c, "GET", "p0"); r != "$-1\r\n" {
				t.Errorf("GET of an expired key = %q, want null", r)
			}
			if n := intReply(t, c, "DBSIZE"); n != 10 {
				t.Errorf("after accessing one expired key DBSIZE = %d, want 10", n)
			}
			if n := intReply(t, c, "EXISTS", "p1", "p2", "stay"); n != 1 {
				t.Errorf("EXISTS over expired keys = %d, want 1", n)
			}
		})
	}
}

// TestNoExpiryWhilePaused checks, on both servers, that while clients are
// paused an expired key reads as missing but is not deleted (DBSIZE keeps
// counting it), and that it goes once the pause ends, as in Redis 7.0.
func TestNoExpiryWhilePaused(t *testing.T) {
	p := startPair(t)
	for _, srv := range []struct{ name, addr string }{{"kv-server", p.kv.Addr()}, {"redis-server", p.redis.Addr()}} {
		t.Run(srv.name, func(t *testing.T) {
			c := dial(t, srv.addr)
			mustDo(t, c, "FLUSHALL")
			mustDo(t, c, "SET", "pk", "v", "PX", "100")
			mustDo(t, c, "CLIENT", "PAUSE", "3000", "WRITE")
			time.Sleep(400 * time.Millisecond)
			if r := mustDo(t, c, "GET", "pk"); r != "$-1\r\n" {
				t.Errorf("GET of an expired key while paused = %q, want null", r)
			}
			if n := intReply(t, c, "DBSIZE"); n != 1 {
				t.Errorf("DBSIZE while paused = %d, want 1 (nothing is deleted)", n)
			}
			mustDo(t, c, "CLIENT", "UNPAUSE")
			if !waitFor(3*time.Second, func() bool { return intReply(t, c, "DBSIZE") == 0 }) {
				t.Errorf("the expired key is still there 3s after UNPAUSE")
			}
		})
	}
}
