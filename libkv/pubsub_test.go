package libkv

import (
	"testing"

	"github.com/kvkit/kvkit/libkv/config"
)

// TestOverOutputLimit checks checkClientOutputBufferLimits' rules: the
// hard limit at once, the soft limit only once output has stayed over it
// for more than its seconds, and the soft timer reset by output added
// under it; the class follows the subscribed state.
func TestOverOutputLimit(t *testing.T) {
	s := newTestServer(t)
	s.conf.ClientOutputBufferLimit[config.ClientPubSub] = config.OutputBufferLimit{Hard: 1000, Soft: 100, SoftSeconds: 1}
	s.conf.ClientOutputBufferLimit[config.ClientNormal] = config.OutputBufferLimit{}
	s.refreshNetSettings()
	c := &Client{srv: s}
	if c.overOutputLimit(5000) {
		t.Fatal("a normal client without limits was over its limit")
	}
	c.ps.active = true
	if !c.overOutputLimit(1000) {
		t.Error("at the hard limit: not over")
	}
	c.obufSoftSince = 0
	if c.overOutputLimit(500) || c.obufSoftSince == 0 {
		t.Errorf("over the soft limit the first time: over, or no timer (since %d)", c.obufSoftSince)
	}
	if c.overOutputLimit(500) {
		t.Error("over the soft limit for less than its seconds: over")
	}
	c.obufSoftSince -= 1001
	if c.overOutputLimit(500) {
		t.Error("over the soft limit for exactly its seconds: over (Redis needs more)")
	}
	c.obufSoftSince -= 1000
	if !c.overOutputLimit(500) {
		t.Error("over the soft limit for 2 s with soft seconds 1: not over")
	}
	if c.overOutputLimit(50) || c.obufSoftSince != 0 {
		t.Errorf("under the soft limit: over, or the timer kept (%d)", c.obufSoftSince)
	}
}

// TestPublishOrder checks PUBLISH's deliveries: channel subscribers in
// the order they subscribed, then each matching pattern's in the order
// the patterns were first subscribed; shard channels ignore patterns.
func TestPublishOrder(t *testing.T) {
	s := newTestServer(t)
	a, b := &Client{srv: s}, &Client{srv: s}
	a.w.Proto, b.w.Proto = 3, 2
	s.running = a // writes go to the reply buffers, no writer goroutines
	a.subscribe(&patternKind, []byte("n*"))
	b.subscribe(&channelKind, []byte("news"))
	a.subscribe(&channelKind, []byte("news"))
	b.subscribe(&patternKind, []byte("*"))
	a.w.Reset()
	b.w.Reset()
	s.running = nil
	b.async, a.async = true, true
	a.wake, b.wake = make(chan struct{}, 1), make(chan struct{}, 1)
	if n := s.publish([]byte("news"), []byte("m"), false); n != 4 {
		t.Fatalf("PUBLISH reached %d subscriptions, want 4", n)
	}
	wantA := ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n>4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nm\r\n"
	wantB := "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$4\r\nnews\r\n$1\r\nm\r\n"
	if string(a.pending) != wantA || string(b.pending) != wantB {
		t.Errorf("frames:\na %q\nb %q", a.pending, b.pending)
	}
	if n := s.publish([]byte("news"), []byte("m"), true); n != 0 {
		t.Errorf("SPUBLISH without shard subscribers reached %d", n)
	}
	a.pubsubReset()
	b.pubsubReset()
	if len(s.pubsub.channels)+len(s.pubsub.patterns)+len(s.pubsub.patOrder) != 0 {
		t.Errorf("subscriptions left after reset: %v %v %v", s.pubsub.channels, s.pubsub.patterns, s.pubsub.patOrder)
	}
}

// TestSubscribeDenyBlocking checks the subscribe commands' refusal to a
// DENY BLOCKING client outside a transaction (the script client's flag,
// which the noscript check normally stops first): nothing is subscribed.
func TestSubscribeDenyBlocking(t *testing.T) {
	c := testClient(t)
	c.denyBlocking = true
	for _, name := range []string{"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"} {
		want := "-ERR " + name + " isn't allowed for a DENY BLOCKING client\r\n"
		if got := c.run1(name, "ch"); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if c.ps.total() != 0 || c.ps.active {
		t.Errorf("subscribed: %d subscriptions, active %v", c.ps.total(), c.ps.active)
	}
}
