package libkv

import (
	"slices"
	"strconv"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
	"github.com/kvkit/kvkit/libkv/glob"
)

// Pub/Sub commands (Redis 7.0 pubsub.c): SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE,
// their UNSUBSCRIBE forms, PUBLISH, SPUBLISH and PUBSUB. kv-server is not a
// cluster node, so shard channels behave as Redis 7.0 standalone: a
// separate namespace without patterns.
var pubsubCommands = map[string]cmdFunc{
	"subscribe": cmdSubscribe, "unsubscribe": cmdUnsubscribe,
	"psubscribe": cmdPsubscribe, "punsubscribe": cmdPunsubscribe,
	"ssubscribe": cmdSsubscribe, "sunsubscribe": cmdSunsubscribe,
	"publish": cmdPublish, "spublish": cmdSpublish,
	"pubsub|channels": cmdPubsubChannels, "pubsub|numsub": cmdPubsubNumsub,
	"pubsub|numpat": cmdPubsubNumpat, "pubsub|shardchannels": cmdPubsubChannels,
	"pubsub|shardnumsub": cmdPubsubNumsub, "pubsub|help": cmdPubsubHelp,
}

// pubsubState is the server's side of Pub/Sub, guarded by the engine lock:
// the subscribers of each channel, pattern and shard channel in the order
// they subscribed. Patterns are also kept in the order they were first
// subscribed, the order PUBLISH matches them in (Redis walks a hash table
// whose order is random per process; a fixed order is one of its orders).
type pubsubState struct {
	channels map[string][]*Client
	shard    map[string][]*Client
	patterns map[string][]*Client
	patOrder []string
}

// clientPubsub is a client's side of Pub/Sub, guarded by the engine lock.
type clientPubsub struct {
	active   bool // Redis's CLIENT_PUBSUB: the RESP2 subscribed state
	channels map[string]struct{}
	patterns map[string]struct{}
	shard    map[string]struct{}
	// pushed holds the frames of the running command while CLIENT REPLY
	// OFF or SKIP drops its replies: Pub/Sub frames are sent anyway
	// (Redis's CLIENT_PUSHING), after the truncation (process).
	pushed []byte
}

// push writes a Pub/Sub frame of the running client: into its replies, or
// aside while they are being dropped.
func (c *Client) push(frame []byte) {
	if c.reply == replyOn {
		c.w.Raw(frame)
		return
	}
	c.ps.pushed = append(c.ps.pushed, frame...)
}

// count is clientSubscriptionsCount: channels plus patterns.
func (p *clientPubsub) count() int { return len(p.channels) + len(p.patterns) }

// total is clientTotalPubSubSubscriptionCount: shard channels too.
func (p *clientPubsub) total() int { return p.count() + len(p.shard) }

// pubsubKind names the frames of one family of subscriptions.
type pubsubKind struct {
	subscribe, unsubscribe, message string
	shard                           bool
}

var (
	channelKind = pubsubKind{"subscribe", "unsubscribe", "message", false}
	patternKind = pubsubKind{"psubscribe", "punsubscribe", "pmessage", false}
	shardKind   = pubsubKind{"ssubscribe", "sunsubscribe", "smessage", true}
)

// lists returns the client's and the server's tables for kind.
func (c *Client) pubsubTables(k *pubsubKind) (mine *map[string]struct{}, all *map[string][]*Client) {
	ps := &c.srv.pubsub
	switch k {
	case &patternKind:
		return &c.ps.patterns, &ps.patterns
	case &shardKind:
		return &c.ps.shard, &ps.shard
	}
	return &c.ps.channels, &ps.channels
}

// subscriptionCount is the count a (un)subscribe frame of kind carries.
func (c *Client) subscriptionCount(k *pubsubKind) int {
	if k.shard {
		return len(c.ps.shard)
	}
	return c.ps.count()
}

// appendPushHeader starts a Pub/Sub frame of n elements: an array in RESP2,
// a push in RESP3 (addReplyPushLen).
func appendPushHeader(b []byte, proto, n int) []byte {
	if proto == 3 {
		b = append(b, '>')
	} else {
		b = append(b, '*')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b []byte, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// subscriptionFrame writes a (un)subscribe confirmation: name, the channel
// (a null when nil, for a mass unsubscribe with nothing to unsubscribe)
// and the count.
func (c *Client) subscriptionFrame(name string, channel []byte, count int) {
	b := appendPushHeader(nil, c.w.Proto, 3)
	b = appendBulk(b, []byte(name))
	switch {
	case channel != nil:
		b = appendBulk(b, channel)
	case c.w.Proto == 3:
		b = append(b, "_\r\n"...)
	default:
		b = append(b, "$-1\r\n"...)
	}
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(count), 10)
	c.push(append(b, '\r', '\n'))
}

// subscribe adds c to channel of kind (pubsubSubscribeChannel /
// pubsubSubscribePattern) and confirms it.
func (c *Client) subscribe(k *pubsubKind, channel []byte) {
	mine, all := c.pubsubTables(k)
	if _, ok := (*mine)[string(channel)]; !ok {
		if *mine == nil {
			*mine = map[string]struct{}{}
		}
		if *all == nil {
			*all = map[string][]*Client{}
		}
		name := string(channel)
		(*mine)[name] = struct{}{}
		subs, existed := (*all)[name]
		if !existed && k == &patternKind {
			c.srv.pubsub.patOrder = append(c.srv.pubsub.patOrder, name)
		}
		(*all)[name] = append(subs, c)
	}
	c.subscriptionFrame(k.subscribe, channel, c.subscriptionCount(k))
}

// unsubscribe removes c from channel of kind, confirming it when notify.
func (c *Client) unsubscribe(k *pubsubKind, channel string, notify bool) bool {
	mine, all := c.pubsubTables(k)
	_, ok := (*mine)[channel]
	if ok {
		delete(*mine, channel)
		subs := (*all)[channel]
		if i := slices.Index(subs, c); i >= 0 {
			subs = slices.Delete(subs, i, i+1)
		}
		if len(subs) == 0 {
			// The last subscriber gone, the channel goes too, so that
			// PUBSUB CHANNELS and memory do not keep it.
			delete(*all, channel)
			if k == &patternKind {
				ps := &c.srv.pubsub
				if i := slices.Index(ps.patOrder, channel); i >= 0 {
					ps.patOrder = slices.Delete(ps.patOrder, i, i+1)
				}
			}
		} else {
			(*all)[channel] = subs
		}
	}
	if notify {
		c.subscriptionFrame(k.unsubscribe, []byte(channel), c.subscriptionCount(k))
	}
	return ok
}

// unsubscribeAll removes every subscription of kind (in channel order;
// Redis's order is its hash table's), confirming each when notify, or
// confirming with a null channel when there was none.
func (c *Client) unsubscribeAll(k *pubsubKind, notify bool) {
	mine, _ := c.pubsubTables(k)
	names := make([]string, 0, len(*mine))
	for name := range *mine {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.unsubscribe(k, name, notify)
	}
	if notify && len(names) == 0 {
		c.subscriptionFrame(k.unsubscribe, nil, c.subscriptionCount(k))
	}
}

// pubsubReset drops every subscription without replies, as freeClient and
// RESET (clearClientConnectionState) do; under the engine lock.
func (c *Client) pubsubReset() {
	if !c.ps.active && c.ps.total() == 0 {
		return
	}
	c.unsubscribeAll(&channelKind, false)
	c.unsubscribeAll(&shardKind, false)
	c.unsubscribeAll(&patternKind, false)
	c.ps.active = false
}

// enterPubsub sets the subscribed state; the client's output is written by
// its writer goroutine from then on, so that PUBLISH from other clients
// can queue messages for it in order with its own replies.
func (c *Client) enterPubsub() {
	c.ps.active = true
	c.startAsync()
}

// leavePubsub ends the subscribed state once nothing is left.
func (c *Client) leavePubsub() {
	if c.ps.total() == 0 {
		c.ps.active = false
	}
}

// cmdSubscribe is SUBSCRIBE channel ...: refused to a client that must get
// one reply per command (CLIENT_DENY_BLOCKING), except inside EXEC, which
// Redis 7.0 keeps allowing for backward compatibility: the subscriptions
// outlive the transaction.
func cmdSubscribe(c *Client, args [][]byte) {
	if c.denyBlocking && c.multi == nil {
		c.addError("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.enterPubsub()
	for _, ch := range args[1:] {
		c.subscribe(&channelKind, ch)
	}
}

// cmdPsubscribe is PSUBSCRIBE pattern ...: refused as SUBSCRIBE is.
func cmdPsubscribe(c *Client, args [][]byte) {
	if c.denyBlocking && c.multi == nil {
		c.addError("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.enterPubsub()
	for _, ch := range args[1:] {
		c.subscribe(&patternKind, ch)
	}
}

// cmdSsubscribe is SSUBSCRIBE shardchannel ...: refused to a DENY BLOCKING
// client, inside EXEC too (Redis 7.0 pubsub.c has no exception for it).
func cmdSsubscribe(c *Client, args [][]byte) {
	if c.denyBlocking {
		c.addError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.enterPubsub()
	for _, ch := range args[1:] {
		c.subscribe(&shardKind, ch)
	}
}

func unsubscribeCommand(k *pubsubKind) cmdFunc {
	return func(c *Client, args [][]byte) {
		if len(args) == 1 {
			c.unsubscribeAll(k, true)
		} else {
			for _, ch := range args[1:] {
				c.unsubscribe(k, string(ch), true)
			}
		}
		c.leavePubsub()
	}
}

var (
	cmdUnsubscribe  = unsubscribeCommand(&channelKind)
	cmdPunsubscribe = unsubscribeCommand(&patternKind)
	cmdSunsubscribe = unsubscribeCommand(&shardKind)
)

func cmdPublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(args[1], args[2], false)))
}

func cmdSpublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(args[1], args[2], true)))
}

// publish delivers message on channel to its subscribers, then (not for
// shard channels) to the subscribers of each matching pattern, as Redis
// 7.0's pubsubPublishMessage; it returns the number of deliveries. Under
// the engine lock: the frames are queued in each subscriber's output in
// command order, and its writer goroutine writes them.
func (s *Server) publish(channel, message []byte, shard bool) int {
	ps := &s.pubsub
	table, kind := ps.channels, &channelKind
	if shard {
		table, kind = ps.shard, &shardKind
	}
	var frames [2][]byte // by protocol: RESP2, RESP3
	frame := func(proto int) []byte {
		f := &frames[proto-2]
		if *f == nil {
			b := appendPushHeader(nil, proto, 3)
			b = appendBulk(b, []byte(kind.message))
			b = appendBulk(b, channel)
			*f = appendBulk(b, message)
		}
		return *f
	}
	n := 0
	for _, sub := range table[string(channel)] {
		s.deliver(sub, frame(sub.w.Proto))
		n++
	}
	if shard {
		return n
	}
	for _, pat := range ps.patOrder {
		if !glob.MatchString(pat, string(channel), false) {
			continue
		}
		var pframes [2][]byte
		for _, sub := range ps.patterns[pat] {
			f := &pframes[sub.w.Proto-2]
			if *f == nil {
				b := appendPushHeader(nil, sub.w.Proto, 4)
				b = appendBulk(b, []byte(patternKind.message))
				b = appendBulk(b, []byte(pat))
				b = appendBulk(b, channel)
				*f = appendBulk(b, message)
			}
			s.deliver(sub, *f)
			n++
		}
	}
	return n
}

// deliver queues a frame for sub; under the engine lock. The client running
// the current command (a subscriber publishing to itself, or causing a
// keyspace notification it listens to) gets it in its reply buffer, in
// order with its replies; any other subscriber through its writer
// goroutine, which enforces client-output-buffer-limit.
func (s *Server) deliver(sub *Client, frame []byte) {
	if sub == s.running {
		sub.push(frame)
		return
	}
	sub.asyncWrite(frame)
}

// channelList is PUBSUB CHANNELS / SHARDCHANNELS: the channels with
// subscribers matching the optional pattern, in no particular order.
func cmdPubsubChannels(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.subcommandSyntaxError(args)
		return
	}
	table := c.srv.pubsub.channels
	if eqFold(args[1], "shardchannels") {
		table = c.srv.pubsub.shard
	}
	var out [][]byte
	for name := range table {
		if len(args) == 2 || glob.MatchString(string(args[2]), name, false) {
			out = append(out, []byte(name))
		}
	}
	c.w.Array(len(out))
	for _, name := range out {
		c.w.Bulk(name)
	}
}

// cmdPubsubNumsub is PUBSUB NUMSUB / SHARDNUMSUB: channel, count pairs in
// argument order (pattern subscriptions not counted).
func cmdPubsubNumsub(c *Client, args [][]byte) {
	table := c.srv.pubsub.channels
	if eqFold(args[1], "shardnumsub") {
		table = c.srv.pubsub.shard
	}
	c.w.Array((len(args) - 2) * 2)
	for _, ch := range args[2:] {
		c.w.Bulk(ch)
		c.w.Int(int64(len(table[string(ch)])))
	}
}

// cmdPubsubNumpat is PUBSUB NUMPAT: the number of distinct patterns.
func cmdPubsubNumpat(c *Client, args [][]byte) {
	c.w.Int(int64(len(c.srv.pubsub.patterns)))
}

func cmdPubsubHelp(c *Client, args [][]byte) {
	c.replyHelp("PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
}

// pubsubAllowed reports whether a client in the RESP2 subscribed state may
// run the command named name (processCommand's Pub/Sub context check).
func pubsubAllowed(name string) bool {
	switch name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
		"psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}

// outputClass is the client-output-buffer-limit class of c
// (getClientType): pubsub for a client in the subscribed state, in RESP3
// too, otherwise normal (MONITOR clients included).
func (c *Client) outputClass() int {
	if c.ps.active {
		return config.ClientPubSub
	}
	return config.ClientNormal
}

// overOutputLimit reports whether n bytes of queued output overcome c's
// class's limits, as Redis 7.0's checkClientOutputBufferLimits: at or over
// the hard limit, or at or over the soft limit for more than its seconds,
// counted from the first time output was added over it; under c.outMu.
func (c *Client) overOutputLimit(n int64) bool {
	l := c.srv.net.Load().obufLimits[c.outputClass()]
	hard := l.Hard > 0 && uint64(n) >= l.Hard
	soft := l.Soft > 0 && uint64(n) >= l.Soft
	if soft {
		now := time.Now().UnixMilli()
		if c.obufSoftSince == 0 {
			c.obufSoftSince = now
			soft = false
		} else if (now-c.obufSoftSince)/1000 <= l.SoftSeconds {
			soft = false
		}
	} else {
		c.obufSoftSince = 0
	}
	return hard || soft
}

// obufInfo describes a client closed for its output, for the log.
func (c *Client) obufInfo() string {
	return c.info(time.Now(), false)
}
