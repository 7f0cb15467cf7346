package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/loadgen"
	"github.com/kvkit/kvkit/internal/testutil"
)

// startCluster starts two cluster-enabled redis-servers, gives each half
// of the slots and joins them, and waits (at most 10 s) until both report
// cluster_state:ok.
func startCluster(t *testing.T) (a, b *testutil.Server) {
	t.Helper()
	a = testutil.StartRedis(t, "--cluster-enabled", "yes")
	b = testutil.StartRedis(t, "--cluster-enabled", "yes")
	testutil.RedisCLI(t, a.Addr(), "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	testutil.RedisCLI(t, b.Addr(), "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	testutil.RedisCLI(t, a.Addr(), "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.Port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := true
		for _, s := range []*testutil.Server{a, b} {
			info := testutil.RedisCLI(t, s.Addr(), "CLUSTER", "INFO")
			ok = ok && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:2")
		}
		if ok {
			return a, b
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster did not reach cluster_state:ok within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func nodeID(t *testing.T, s *testutil.Server) string {
	return strings.TrimSpace(testutil.RedisCLI(t, s.Addr(), "CLUSTER", "MYID"))
}

// --cluster discovers the masters, sends each connection's keys to its
// node (no redirects, keys on both nodes), and follows MOVED and ASK for
// commands whose keys it does not place.
func TestCluster(t *testing.T) {
	a, b := startCluster(t)

	o := bench(t, a, "--cluster", "-t", "set,get", "-n", "2000", "-c", "4", "-r", "1000", "-q")
	mustSucceed(t, o)
	for _, r := range o.tests {
		if r.Errors != 0 || r.Redirects != 0 || r.Requests != 2000 {
			t.Errorf("%s: %d requests, %d errors, %d redirects; want 2000 requests sent straight to the owners", r.Title, r.Requests, r.Errors, r.Redirects)
		}
	}
	if dbsize(t, a) == 0 || dbsize(t, b) == 0 {
		t.Errorf("keys on node a: %d, node b: %d; want both used", dbsize(t, a), dbsize(t, b))
	}

	// "foo" lives in slot 12182 (node b): connections bound to node a get
	// MOVED and must follow it.
	o = bench(t, a, "--cluster", "-n", "200", "-c", "4", "set", "foo", "bar")
	mustSucceed(t, o)
	if r := o.tests[0]; r.Redirects == 0 || r.Errors != 0 || r.Requests != 200 {
		t.Errorf("set foo: %d requests, %d redirects, %d errors; want MOVED followed", r.Requests, r.Redirects, r.Errors)
	}
	if v := strings.TrimSpace(testutil.RedisCLI(t, b.Addr(), "GET", "foo")); v != "bar" {
		t.Errorf("GET foo on its owner = %q", v)
	}

	// Slot 12182 migrating from b to a: a new key gets ASK from b, and is
	// written to a after ASKING.
	testutil.RedisCLI(t, a.Addr(), "CLUSTER", "SETSLOT", "12182", "IMPORTING", nodeID(t, b))
	testutil.RedisCLI(t, b.Addr(), "CLUSTER", "SETSLOT", "12182", "MIGRATING", nodeID(t, a))
	o = bench(t, a, "--cluster", "-n", "20", "-c", "2", "set", "{foo}new", "v")
	mustSucceed(t, o)
	if r := o.tests[0]; r.Redirects < 20 || r.Errors != 0 {
		t.Errorf("set {foo}new during migration: %d redirects, %d errors; want every request redirected by ASK", r.Redirects, r.Errors)
	}
	if n := strings.TrimSpace(testutil.RedisCLI(t, a.Addr(), "CLUSTER", "COUNTKEYSINSLOT", "12182")); n != "1" {
		t.Errorf("importing node holds %s keys of slot 12182, want 1 ({foo}new, written after ASKING)", n)
	}
}

// KeySlot agrees with the server's CLUSTER KEYSLOT, hash tags included.
func TestKeySlot(t *testing.T) {
	srv := testutil.StartRedis(t, "--cluster-enabled", "yes")
	for _, k := range []string{"foo", "bar", "key:000000000042", "{user1000}.following", "{}x", "{x", "a{b}c{d}", "", "__rand_int__"} {
		want := strings.TrimSpace(testutil.RedisCLI(t, srv.Addr(), "CLUSTER", "KEYSLOT", k))
		if got := strconv.Itoa(loadgen.KeySlot([]byte(k))); got != want {
			t.Errorf("KeySlot(%q) = %s, CLUSTER KEYSLOT says %s", k, got, want)
		}
	}
}
