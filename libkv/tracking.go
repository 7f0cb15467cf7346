package libkv

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/libkv/cmdtable"
)

// Client-side caching (Redis 7.0 tracking.c): CLIENT TRACKING, CACHING,
// GETREDIR and TRACKINGINFO, the table of the keys each tracking client
// read, and the invalidation messages sent when those keys change.
var trackingCommands = map[string]cmdFunc{
	"client|tracking": cmdClientTracking, "client|caching": cmdClientCaching,
	"client|getredir": cmdClientGetredir, "client|trackinginfo": cmdClientTrackinginfo,
}

// trackingChannel is the Pub/Sub channel RESP2 invalidation messages go to
// through a redirection.
var trackingChannel = []byte("__redis__:invalidate")

// trackingState is the server's side of tracking, under the engine lock.
type trackingState struct {
	// table maps a key to the IDs of the clients that read it in the
	// default mode (Redis's TrackingTable); nil until tracking was first
	// enabled. items counts the IDs across it (TrackingTableTotalItems).
	table map[string]map[uint64]struct{}
	items int
	// prefixes are the BCAST prefixes (PrefixTable).
	prefixes map[string]*bcastState
	// clients counts the clients with tracking on (server.tracking_clients).
	clients int
	// pending holds invalidations for the client running the command,
	// sent after its reply (server.tracking_pending_keys); a flush is a
	// nil key.
	pending []*string
	// insertAt is where a push to the running client goes in its reply
	// buffer while the keys its command changed are signalled (the start
	// of the command's reply), -1 otherwise.
	insertAt int
	// by is the client whose command's changes are being signalled (a
	// script's own client for its commands): a BCAST NOLOOP client is not
	// told of its own changes, but is of its scripts'.
	by *Client
	// outside is set while keys change before the running client's
	// command executes (tracking-table-max-keys, maxmemory evictions):
	// no client changed them, and the running client's invalidations go
	// out at once, before its reply.
	outside bool
	// limitRuns counts the consecutive runs of trackingLimitUsedSlots that
	// could not bring the table under tracking-table-max-keys.
	limitRuns int
}

// bcastState is one BCAST prefix: the keys modified under it since the
// last broadcast, each with the client that modified it last (nil outside
// a client), and its subscribed clients.
type bcastState struct {
	keys    map[string]*Client
	clients map[*Client]struct{}
}

// clientTracking is a client's tracking mode (the CLIENT_TRACKING_* flags,
// client_tracking_redirection and client_tracking_prefixes).
type clientTracking struct {
	on, bcast, optin, optout, noloop bool
	caching                          bool // CLIENT CACHING given for the next command
	brokenRedir                      bool
	redirect                         uint64
	prefixes                         map[string]struct{}
}

// trackingPrefixesOverlap reports whether a and b would both match a key:
// one is a prefix of the other.
func trackingPrefixesOverlap(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST]
// [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], with Redis 7.0's checks in
// their order (networking.c clientCommand).
func cmdClientTracking(c *Client, args [][]byte) {
	var (
		redir                        int64
		bcast, optin, optout, noloop bool
		prefixes                     []string
	)
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "redirect") && more > 0:
			j++
			if redir != 0 {
				c.addError("ERR A client can only redirect to a single other client")
				return
			}
			v, ok := argInt(args[j])
			if !ok {
				c.addError(errNotInt)
				return
			}
			redir = v
			if c.srv.clients[uint64(redir)] == nil || redir <= 0 {
				c.addError("ERR The client ID you want redirect to does not exist")
				return
			}
		case eqFold(args[j], "bcast"):
			bcast = true
		case eqFold(args[j], "optin"):
			optin = true
		case eqFold(args[j], "optout"):
			optout = true
		case eqFold(args[j], "noloop"):
			noloop = true
		case eqFold(args[j], "prefix") && more > 0:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.addError(errSyntax)
			return
		}
	}
	t := &c.tr
	switch {
	case eqFold(args[2], "on"):
		switch {
		case !bcast && len(prefixes) > 0:
			c.addError("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case t.on && t.bcast != bcast:
			c.addError("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case bcast && (optin || optout):
			c.addError("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case optin && optout:
			c.addError("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case optin && t.optout || optout && t.optin:
			c.addError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if bcast && !c.checkPrefixCollisions(prefixes) {
			return
		}
		c.enableTracking(uint64(redir), bcast, optin, optout, noloop, prefixes)
	case eqFold(args[2], "off"):
		c.disableTracking()
	default:
		c.addError(errSyntax)
		return
	}
	c.w.OK()
}

// checkPrefixCollisions is checkPrefixCollisionsOrReply: a new prefix
// must not overlap one the client has, nor another new one. As Redis 7.0,
// which returns the index of the first prefix of an overlapping pair as
// its success value, an overlap found among the new prefixes after the
// first one is reported and tracking is enabled anyway (the client then
// reads the error and +OK).
func (c *Client) checkPrefixCollisions(prefixes []string) bool {
	have := make([]string, 0, len(c.tr.prefixes))
	for p := range c.tr.prefixes {
		have = append(have, p)
	}
	slices.Sort(have) // the order of Redis's rax
	for i, p := range prefixes {
		for _, h := range have {
			if trackingPrefixesOverlap(h, p) {
				c.addError("ERR Prefix '" + cstr(p) + "' overlaps with an existing prefix '" + cstr(h) + "'. Prefixes for a single client must not overlap.")
				return false
			}
		}
		for _, q := range prefixes[i+1:] {
			if trackingPrefixesOverlap(p, q) {
				c.addError("ERR Prefix '" + cstr(p) + "' overlaps with another provided prefix '" + cstr(q) + "'. Prefixes for a single client must not overlap.")
				return i != 0
			}
		}
	}
	return true
}

// cstr cuts s at its first NUL byte, as a C string formatted with %s.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// enableTracking is Redis's enableTracking: the mode flags are replaced
// (BCAST prefixes are added to those the client has), the redirection set.
func (c *Client) enableTracking(redir uint64, bcast, optin, optout, noloop bool, prefixes []string) {
	s := c.srv
	t := &c.tr
	if !t.on {
		s.tracking.clients++
	}
	t.on = true
	t.brokenRedir, t.bcast, t.optin, t.optout, t.noloop = false, false, false, false, false
	t.redirect = redir
	if s.tracking.table == nil {
		s.tracking.table = map[string]map[uint64]struct{}{}
		s.tracking.prefixes = map[string]*bcastState{}
	}
	if bcast {
		t.bcast = true
		if len(prefixes) == 0 {
			c.enableBcastPrefix("")
		}
		for _, p := range prefixes {
			c.enableBcastPrefix(p)
		}
	}
	t.optin, t.optout, t.noloop = optin, optout, noloop
	// Invalidations reach a RESP3 client between its replies, from other
	// clients' commands: its output goes through its writer goroutine.
	c.startAsync()
}

func (c *Client) enableBcastPrefix(p string) {
	ps := c.srv.tracking.prefixes
	bs := ps[p]
	if bs == nil {
		bs = &bcastState{keys: map[string]*Client{}, clients: map[*Client]struct{}{}}
		ps[p] = bs
	}
	if _, ok := bs.clients[c]; !ok {
		bs.clients[c] = struct{}{}
		if c.tr.prefixes == nil {
			c.tr.prefixes = map[string]struct{}{}
		}
		c.tr.prefixes[p] = struct{}{}
	}
}

// disableTracking is Redis's disableTracking: the client leaves its
// prefixes; its IDs in the key table are dropped lazily, when the keys
// are invalidated.
func (c *Client) disableTracking() {
	s := c.srv
	t := &c.tr
	if t.bcast {
		for p := range t.prefixes {
			bs := s.tracking.prefixes[p]
			delete(bs.clients, c)
			if len(bs.clients) == 0 {
				delete(s.tracking.prefixes, p)
			}
		}
		t.prefixes = nil
	}
	if t.on {
		s.tracking.clients--
		redir := t.redirect
		*t = clientTracking{redirect: redir}
	}
}

// cmdClientCaching is CLIENT CACHING YES|NO: whether the next command's
// keys are tracked, in OPTIN or OPTOUT mode.
func cmdClientCaching(c *Client, args [][]byte) {
	t := &c.tr
	if !t.on {
		c.addError("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case eqFold(args[2], "yes"):
		if !t.optin {
			c.addError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case eqFold(args[2], "no"):
		if !t.optout {
			c.addError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.addError(errSyntax)
		return
	}
	t.caching = true
	c.w.OK()
}

// trackingRedirect is the redirection CLIENT GETREDIR, TRACKINGINFO and
// CLIENT LIST's redir= show: the client ID, 0 for none, -1 when tracking
// is off.
func (c *Client) trackingRedirect() int64 {
	if !c.tr.on {
		return -1
	}
	return int64(c.tr.redirect)
}

func cmdClientGetredir(c *Client, args [][]byte) { c.w.Int(c.trackingRedirect()) }

// cmdClientTrackinginfo is CLIENT TRACKINGINFO: a map of flags (a set),
// redirect and prefixes (sorted, as Redis's rax).
func cmdClientTrackinginfo(c *Client, args [][]byte) {
	t := &c.tr
	flags := []string{"off"}
	if t.on {
		flags[0] = "on"
	}
	if t.bcast {
		flags = append(flags, "bcast")
	}
	if t.optin {
		flags = append(flags, "optin")
		if t.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if t.optout {
		flags = append(flags, "optout")
		if t.caching {
			flags = append(flags, "caching-no")
		}
	}
	if t.noloop {
		flags = append(flags, "noloop")
	}
	if t.brokenRedir {
		flags = append(flags, "broken_redirect")
	}
	w := &c.w
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(c.trackingRedirect())
	w.BulkString("prefixes")
	ps := make([]string, 0, len(t.prefixes))
	for p := range t.prefixes {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	w.Array(len(ps))
	for _, p := range ps {
		w.BulkString(p)
	}
}

// trackingFlags appends CLIENT LIST's tracking flag letters.
func (c *Client) trackingFlags(flags string) string {
	if c.tr.on {
		flags += "t"
	}
	if c.tr.brokenRedir {
		flags += "R"
	}
	if c.tr.bcast {
		flags += "B"
	}
	return flags
}

// trackingRemember runs after each command of c, as in Redis 7.0's call():
// after a read-only command, the keys of the command the client issued
// (for a script's command, its caller's EVAL/FCALL) are remembered for
// it, unless it is in BCAST mode or OPTIN/OPTOUT and CLIENT CACHING say
// otherwise.
func (s *Server) trackingRemember(c *Client, cmd *command, args [][]byte) {
	f := cmd.meta.Flags
	if !f.Has(cmdtable.FlagReadonly) || f.Has(cmdtable.FlagPubSub) {
		return
	}
	caller := c
	if s.running != nil && s.running != c {
		// A script's read-only command: as Redis 7.0's call(), the keys
		// remembered are those of the caller's command (EVAL's KEYS),
		// not those the script's command read.
		caller = s.running
		if cmd = s.lookupCommand(caller.curArgs); cmd == nil {
			return
		}
		args = caller.curArgs
	}
	t := &caller.tr
	if !t.on || t.bcast {
		return
	}
	if t.optin && !t.caching || t.optout && t.caching {
		return
	}
	keys := cmd.meta.Keys(args, 0, nil)
	for _, k := range keys {
		key := string(args[k.Pos])
		ids := s.tracking.table[key]
		if ids == nil {
			ids = map[uint64]struct{}{}
			s.tracking.table[key] = ids
		}
		if _, ok := ids[caller.id]; !ok {
			ids[caller.id] = struct{}{}
			s.tracking.items++
		}
	}
}

// trackingResetCaching ends a CLIENT CACHING after the command that used
// it (resetClient): not inside MULTI, not after a CLIENT subcommand.
func (c *Client) trackingResetCaching(cmd *command) {
	if c.multi != nil || cmd != nil && cmd.meta.Parent != nil && cmd.meta.Parent.Name == "client" {
		return
	}
	c.tr.caching = false
}

// trackingInvalidateKey is trackingInvalidateKey: key of any database
// changed (by by, nil outside a client): the clients that read it are
// told, and it is forgotten until read again; with bcast the key is also
// queued for the BCAST prefixes it matches.
func (s *Server) trackingInvalidateKey(by *Client, key string, bcast bool) {
	ts := &s.tracking
	if ts.table == nil {
		return
	}
	if bcast && len(ts.prefixes) > 0 {
		for p, bs := range ts.prefixes {
			if len(p) <= len(key) && key[:len(p)] == p {
				bs.keys[key] = by
			}
		}
	}
	ids, ok := ts.table[key]
	if !ok {
		return
	}
	for _, id := range sortedIDs(ids) {
		target := s.clients[id]
		if target == nil || !target.tr.on || target.tr.bcast {
			continue
		}
		if target.tr.noloop && target == s.running {
			continue
		}
		if target == s.running && !ts.outside {
			// After its reply: Redis 7.0 does not interleave a client's
			// invalidations with the reply of the command that caused them.
			k := key
			ts.pending = append(ts.pending, &k)
			continue
		}
		s.sendTrackingMessage(target, appendBulkArray(nil, key))
	}
	ts.items -= len(ids)
	delete(ts.table, key)
}

// trackingWants reports whether a change of key is something to tell:
// a client read it, or a BCAST prefix matches it.
func (s *Server) trackingWants(key []byte) bool {
	ts := &s.tracking
	if ts.table == nil {
		return false
	}
	if _, ok := ts.table[string(key)]; ok {
		return true
	}
	for p := range ts.prefixes {
		if len(p) <= len(key) && string(key[:len(p)]) == p {
			return true
		}
	}
	return false
}

func sortedIDs(ids map[uint64]struct{}) []uint64 {
	out := make([]uint64, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// appendBulkArray appends a RESP array of the keys as bulk strings.
func appendBulkArray(b []byte, keys ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(keys)), 10)
	b = append(b, '\r', '\n')
	for _, k := range keys {
		b = appendBulk(b, []byte(k))
	}
	return b
}

// nullFor is the RESP null of a client's protocol, the value of a flush's
// invalidation (shared.null[c->resp]).
func nullFor(c *Client) []byte {
	if c.w.Proto == 3 {
		return []byte("_\r\n")
	}
	return []byte("$-1\r\n")
}

// trackingHandlePending sends the running client its invalidations
// queued while its command ran; called after the command's reply.
func (s *Server) trackingHandlePending(c *Client) {
	ts := &s.tracking
	if len(ts.pending) == 0 {
		return
	}
	for _, k := range ts.pending {
		if k == nil {
			s.sendTrackingMessage(c, nullFor(c))
		} else {
			s.sendTrackingMessage(c, appendBulkArray(nil, *k))
		}
	}
	clear(ts.pending)
	ts.pending = ts.pending[:0]
}

// sendTrackingMessage is sendTrackingMessage: value (RESP: an array of
// keys, or a null) goes to c as a RESP3 push, or to its redirection as a
// push or, to a RESP2 client in the Pub/Sub state, as a message of
// __redis__:invalidate. A redirection to a client that is gone marks c
// and tells a RESP3 c so ("tracking-redir-broken").
func (s *Server) sendTrackingMessage(c *Client, value []byte) {
	target := c
	redirected := false
	if c.tr.redirect != 0 {
		r := s.clients[c.tr.redirect]
		if r == nil {
			c.tr.brokenRedir = true
			if c.w.Proto > 2 {
				b := appendPushHeader(nil, 3, 2)
				b = appendBulk(b, []byte("tracking-redir-broken"))
				b = append(b, ':')
				b = strconv.AppendUint(b, c.tr.redirect, 10)
				s.deliver(c, append(b, '\r', '\n'))
			}
			return
		}
		target, redirected = r, true
	}
	var b []byte
	switch {
	case target.w.Proto > 2:
		b = appendPushHeader(nil, 3, 2)
		b = appendBulk(b, []byte("invalidate"))
	case redirected && target.ps.active:
		b = appendPushHeader(nil, 2, 3)
		b = appendBulk(b, []byte("message"))
		b = appendBulk(b, trackingChannel)
	default:
		// A RESP2 connection cannot carry a push.
		return
	}
	b = append(b, value...)
	if at := s.tracking.insertAt; target == s.running && at >= 0 && target.reply == replyOn && at <= target.w.Len() {
		tail := append([]byte(nil), target.w.Bytes()[at:]...)
		target.w.Truncate(at)
		target.w.Raw(b)
		target.w.Raw(tail)
		return
	}
	s.deliver(target, b)
}

// trackingInvalidateKeysOnFlush is trackingInvalidateKeysOnFlush: every
// tracking client is sent a null (all keys invalid; the running client
// after its reply), and the key table is emptied.
func (s *Server) trackingInvalidateKeysOnFlush() {
	ts := &s.tracking
	if ts.clients > 0 {
		for _, cl := range s.clientsByID() {
			if !cl.tr.on {
				continue
			}
			if cl == s.running {
				ts.pending = append(ts.pending, nil)
			} else {
				s.sendTrackingMessage(cl, nullFor(cl))
			}
		}
	}
	if ts.table != nil {
		ts.table = map[string]map[uint64]struct{}{}
		ts.items = 0
	}
}

// trackingLimitBeforeCommand runs trackingLimitUsedSlots while clients
// track; it returns false, to sit among processCommand's checks.
func (s *Server) trackingLimitBeforeCommand() bool {
	if s.tracking.clients > 0 {
		s.trackingLimitUsedSlots()
	}
	return false
}

// trackingLimitUsedSlots is trackingLimitUsedSlots, run before each
// command while clients track: over tracking-table-max-keys, keys are
// invalidated (as if modified) until the table is back under it, with an
// effort of 100 keys per consecutive run that did not get there. Redis
// picks them by a random walk of its rax; Go's map order is as random.
func (s *Server) trackingLimitUsedSlots() {
	ts := &s.tracking
	maxKeys := s.conf.TrackingTableMaxKeys
	if ts.table == nil || maxKeys == 0 {
		return
	}
	if int64(len(ts.table)) <= maxKeys {
		ts.limitRuns = 0
		return
	}
	effort := 100 * (ts.limitRuns + 1)
	ts.outside = true
	defer func() { ts.outside = false }()
	for key := range ts.table {
		if effort == 0 {
			break
		}
		effort--
		s.trackingInvalidateKey(nil, key, false)
		if int64(len(ts.table)) <= maxKeys {
			ts.limitRuns = 0
			return
		}
	}
	ts.limitRuns++
}

// trackingBroadcast is trackingBroadcastInvalidationMessages, run where
// Redis's beforeSleep runs it (after each batch of a client's commands
// and each cron run): each prefix's modified keys, sorted, go to its
// clients in one message; a NOLOOP client is not told of the keys it
// modified itself.
func (s *Server) trackingBroadcast() {
	ts := &s.tracking
	if ts.table == nil || ts.clients == 0 {
		return
	}
	ps := make([]string, 0, len(ts.prefixes))
	for p, bs := range ts.prefixes {
		if len(bs.keys) > 0 {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	for _, p := range ps {
		bs := ts.prefixes[p]
		keys := make([]string, 0, len(bs.keys))
		for k := range bs.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		all := appendBulkArray(nil, keys...)
		clients := make([]*Client, 0, len(bs.clients))
		for cl := range bs.clients {
			clients = append(clients, cl)
		}
		slices.SortFunc(clients, func(a, b *Client) int { return int(a.id) - int(b.id) })
		for _, cl := range clients {
			if !cl.tr.noloop {
				s.sendTrackingMessage(cl, all)
				continue
			}
			var own []string
			for _, k := range keys {
				if bs.keys[k] != cl {
					own = append(own, k)
				}
			}
			if len(own) > 0 {
				s.sendTrackingMessage(cl, appendBulkArray(nil, own...))
			}
		}
		bs.keys = map[string]*Client{}
	}
}
