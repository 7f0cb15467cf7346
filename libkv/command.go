package libkv

import (
	"runtime/debug"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
	"github.com/kvkit/kvkit/libkv/config"
)

// cmdFunc implements a command; args[0] is the command name as sent.
type cmdFunc func(c *Client, args [][]byte)

// command is an implemented command: its metadata from the command table
// (arity, flags, key specs) and its implementation.
type command struct {
	meta *cmdtable.Command
	fn   cmdFunc
}

// cmdStat is a command's line in INFO commandstats.
type cmdStat struct {
	calls, rejected, failed int64
	usec                    int64
	hist                    *hdrhistogram.Histogram // latency in ns, for INFO latencystats
}

// process runs one request, in the order of checks of Redis 7.0's
// processCommand: lookup, arity, authentication, no-multi, maxmemory, then
// the command, or, inside MULTI, its queueing (multi.go).
func (c *Client) process(args [][]byte) {
	s := c.srv
	c.argv = args
	start := time.Now()
	s.setClock(start)
	c.lastInteraction.Store(s.now)
	c.failed = false
	mark := c.w.Len()
	if c.reply == replySkipNext {
		c.reply = replySkip
	}
	cmd := s.lookupCommand(args)
	// Restored after: a client let in while a busy script yields runs
	// inside the script's command.
	prevRunning := s.running
	s.running = c
	switch {
	case cmd != nil && cmd.meta.Name == "quit":
		// Redis 7.0 answers QUIT before looking at arity or authentication,
		// and outside call(): no statistics, no MONITOR line.
		cmd.fn(c, args)
	case cmd == nil:
		if parent := s.cmds[cmdtable.Lookup(args[0])]; parent != nil && len(args) > 1 {
			c.rejectf(nil, "unknown subcommand '%.128s'. Try %s HELP.", args[1], strings.ToUpper(parent.meta.Name))
			break
		}
		var b strings.Builder
		for i := 1; i < len(args) && b.Len() < 128; i++ {
			a := args[i]
			if room := 128 - b.Len(); len(a) > room {
				a = a[:room]
			}
			b.WriteString("'" + string(a) + "' ")
		}
		c.rejectf(nil, "unknown command '%.128s', with args beginning with: %s", args[0], b.String())
	case !cmd.meta.CheckArity(len(args)):
		c.rejectf(cmd, "wrong number of arguments for '%s' command", cmd.meta.Name)
	case !c.authed && !cmd.meta.Flags.Has(cmdtable.FlagNoAuth):
		c.reject(cmd, "NOAUTH Authentication required.")
	case c.multi != nil && cmd.meta.Flags.Has(cmdtable.FlagNoMulti):
		c.rejectf(cmd, "Command not allowed inside a transaction")
	case s.scriptBusy() && !cmd.meta.Flags.Has(cmdtable.FlagAllowBusy):
		// A script past busy-reply-threshold lets clients in between its
		// instructions (script.go); they may only stop it. Checked before
		// maxmemory, whose evictions must not run inside a script.
		c.reject(cmd, s.busyError())
	case c.evictBeforeCommand(cmd.meta.Flags.Has(cmdtable.FlagDenyOOM) || c.oomInMulti(cmd)):
		// processCommand's maxmemory step, after authentication: evict
		// what the policy allows, refuse denyoom commands (and queueing)
		// when that is not enough.
		c.reject(cmd, errOOM)
	case s.trackingLimitBeforeCommand():
		// Never true: processCommand keeps the tracking table within
		// tracking-table-max-keys here, for every command past the
		// maxmemory check.
	case s.writesDenied() && (cmd.meta.Flags.Has(cmdtable.FlagWrite) || cmd.meta.Name == "ping"):
		c.reject(cmd, errMisconf)
	case c.ps.active && c.w.Proto == 2 && !pubsubAllowed(cmd.meta.Name):
		// processCommand's Pub/Sub context check: RESP2 has no way to tell
		// a reply from a message, so a subscriber runs only these.
		c.rejectf(cmd, "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.meta.Name)
	case s.rdb.loading && !cmd.meta.Flags.Has(cmdtable.FlagLoading):
		c.reject(cmd, "LOADING Redis is loading the dataset in memory")
	case c.monitor && cmd.meta.Flags&(cmdtable.FlagWrite|cmdtable.FlagReadonly|cmdtable.FlagMayReplicate) != 0:
		// A monitor is a replica in Redis (CLIENT_SLAVE): processCommand
		// keeps replicas away from the keyspace, among its last checks.
		c.rejectf(cmd, "Replica can't interact with the keyspace")
	case c.multi != nil && !notQueued(cmd):
		c.queue(cmd, args)
	default:
		c.call(cmd, args, start)
		if len(s.blocking.ready) > 0 {
			s.handleReadyKeys()
			// The served clients' pops and pushes change what they touch.
			s.signalWritten(0, true)
		}
	}
	c.argv = nil // it aliases the query buffer
	if prevRunning == nil {
		// The invalidations of this client's own keys follow its reply
		// (trackingHandlePendingKeyInvalidations), as pushes that CLIENT
		// REPLY does not drop.
		s.trackingHandlePending(c)
	}
	c.trackingResetCaching(cmd)
	if c.execReplies {
		// EXEC applied CLIENT REPLY to each reply as it was written.
		c.execReplies = false
		mark = c.w.Len()
	}
	s.running = prevRunning
	switch c.reply {
	case replyOff:
		c.w.Truncate(mark)
	case replySkip:
		c.w.Truncate(mark)
		c.reply = replyOn
	}
	if len(c.ps.pushed) > 0 {
		c.w.Raw(c.ps.pushed)
		c.ps.pushed = c.ps.pushed[:0]
	}
}

// call executes cmd and does the bookkeeping Redis's call() does: command
// statistics, the slow log, the latency monitor and MONITOR feeds.
func (c *Client) call(cmd *command, args [][]byte, start time.Time) {
	s := c.srv
	c.lastCmd = cmd.meta.Name
	c.failed = false
	mark, changes := len(s.written), s.changes()
	c.propArgs, c.propSkip, c.propForce, c.curArgs = nil, false, false, args
	dirty := s.dirty - s.prop.expiredDirty
	s.prop.depth++
	replyStart := c.w.Len()
	c.run(cmd, args)
	// The keys are signalled after the command, but Redis signals them as
	// it changes them: a push to the running client goes before the reply.
	prevAt, prevBy := s.tracking.insertAt, s.tracking.by
	s.tracking.insertAt, s.tracking.by = replyStart, c
	s.signalWritten(mark, s.changes() != changes)
	s.tracking.insertAt, s.tracking.by = prevAt, prevBy
	s.trackingRemember(c, cmd, args)
	s.prop.depth--
	if (s.dirty-s.prop.expiredDirty > dirty || c.propForce) && !c.propSkip {
		// call()'s propagation of a command that changed the dataset, after
		// whatever it queued itself (lazily expired keys' DELs). A save
		// resets s.dirty: a decrease is no change, as call()'s clamp.
		pa := args
		if c.propArgs != nil {
			pa = c.propArgs
		}
		s.alsoPropagate(c.db.id, pa...)
	}
	c.propArgs, c.propSkip, c.propForce = nil, false, false
	if s.prop.depth == 0 {
		s.propagatePending()
	}
	dur := time.Since(start)
	if len(s.monitors) > 0 && !cmd.meta.Flags.Has(cmdtable.FlagSkipMonitor) && !cmd.meta.Flags.Has(cmdtable.FlagAdmin) {
		s.feedMonitors(c, redact(cmd.meta, args))
	}
	if c.blocked != nil {
		// Counted when unblocked, as Redis's updateStatsOnUnblock.
		return
	}
	c.callStats(cmd, args, dur, c.failed)
}

// callStats counts a command that ran for dur: INFO commandstats and
// latencystats, the slow log and the latency monitor.
func (c *Client) callStats(cmd *command, args [][]byte, dur time.Duration, failed bool) {
	s := c.srv
	s.stats.commandsProcessed++
	st := s.cmdStats[cmd.meta.Name]
	if st == nil {
		st = &cmdStat{}
		s.cmdStats[cmd.meta.Name] = st
	}
	st.calls++
	st.usec += dur.Microseconds()
	if st.hist == nil {
		st.hist = newLatencyHistogram()
	}
	// As updateCommandLatencyHistogram: whole microseconds in nanoseconds,
	// clamped to the histogram's range.
	st.hist.RecordValue(min(max(dur.Microseconds()*1000, 1), 1_000_000_000))
	if failed {
		st.failed++
	}
	if !cmd.meta.Flags.Has(cmdtable.FlagSkipSlowlog) {
		logged := args
		if dur.Microseconds() >= s.conf.SlowlogLogSlowerThan {
			logged = redact(cmd.meta, args)
		}
		s.slowlog.record(s, c, logged, dur)
	}
	// call() files fast commands under their own latency event.
	event := "command"
	if cmd.meta.Flags.Has(cmdtable.FlagFast) {
		event = "fast-command"
	}
	s.latency.sample(s, event, dur)
}

// redacted stands for a secret in MONITOR and SLOWLOG, as Redis's
// shared.redacted.
var redacted = []byte("(redacted)")

// redact returns args with secrets replaced, as Redis 7.0's
// redactClientCommandArgument calls: AUTH's arguments, HELLO's AUTH user
// and password, and the values of sensitive directives in CONFIG SET.
func redact(meta *cmdtable.Command, args [][]byte) [][]byte {
	var out [][]byte
	hide := func(i int) {
		if out == nil {
			out = append([][]byte(nil), args...)
		}
		out[i] = redacted
	}
	switch meta.Name {
	case "auth":
		for i := 1; i < len(args); i++ {
			hide(i)
		}
	case "hello":
		for i := 2; i+2 < len(args); i++ {
			if eqFold(args[i], "auth") {
				hide(i + 1)
				hide(i + 2)
				i += 2
			}
		}
	case "migrate":
		// AUTH's password and AUTH2's username and password, up to KEYS.
		for i := 6; i < len(args) && !eqFold(args[i], "keys"); i++ {
			switch {
			case eqFold(args[i], "auth") && i+1 < len(args):
				hide(i + 1)
				i++
			case eqFold(args[i], "auth2") && i+2 < len(args):
				hide(i + 1)
				hide(i + 2)
				i += 2
			}
		}
	case "config|set":
		for i := 2; i+1 < len(args); i += 2 {
			if d := config.Lookup(strings.ToLower(string(args[i]))); d != nil && d.Flags&config.Sensitive != 0 {
				hide(i + 1)
			}
		}
	}
	if out == nil {
		return args
	}
	return out
}

// run executes cmd, containing a panic: a panic is a kv-server bug, and
// letting it unwind would leave the engine lock held and freeze every
// client. The partial reply is dropped, the stack logged, and the client
// gets an error (counted in unexpected_error_replies).
func (c *Client) run(cmd *command, args [][]byte) {
	mark := c.w.Len()
	defer func() {
		if r := recover(); r != nil {
			s := c.srv
			s.log.Warning("=== kv-server BUG: command '%s' panicked: %v\n%s", cmd.meta.Name, r, debug.Stack())
			c.w.Truncate(mark)
			s.stats.unexpectedErrors++
			c.addError("ERR kv-server internal error running '" + cmd.meta.Name + "', see the server log")
		}
	}()
	cmd.fn(c, args)
}

// reject replies with an error for a command that was not executed
// (counted as rejected_calls, as Redis's rejectCommand). Inside MULTI it
// dooms the transaction; a refused EXEC ends it (execAbort).
func (c *Client) reject(cmd *command, msg string) { c.rejectReason(cmd, msg, msg) }

func (c *Client) rejectf(cmd *command, format string, args ...any) {
	reason := sprintf(format, args...)
	c.rejectReason(cmd, "ERR "+reason, reason)
}

// rejectReason is reject with the reason EXECABORT gives: Redis's message
// without the ERR code its other replies add.
func (c *Client) rejectReason(cmd *command, msg, reason string) {
	c.flagTransaction()
	if cmd != nil {
		st := c.srv.cmdStats[cmd.meta.Name]
		if st == nil {
			st = &cmdStat{}
			c.srv.cmdStats[cmd.meta.Name] = st
		}
		st.rejected++
		if cmd.meta.Name == "exec" {
			c.execAbort(reason, c.argv)
			return
		}
	}
	c.addError(msg)
}

// lookupCommand finds the implemented command args call, or nil. A
// container named without a subcommand is returned itself, so that the
// arity check reports it.
func (s *Server) lookupCommand(args [][]byte) *command {
	return s.cmds[cmdtable.LookupArgv(args)]
}

// commandTable binds the implementations to the command table's metadata,
// keyed by the metadata entry so that dispatch needs no second lookup.
func commandTable() map[*cmdtable.Command]*command {
	table := map[*cmdtable.Command]*command{}
	groups := []map[string]cmdFunc{
		stringCommands,
		bitopsCommands,
		hllCommands,
		listCommands,
		hashCommands,
		setCommands,
		zsetCommands,
		geoCommands,
		sortCommands,
		streamCommands,
		keyCommands,
		serverCommands,
		connectionCommands,
		trackingCommands,
		multiCommands,
		scriptCommands,
		pubsubCommands,
	}
	for _, group := range groups {
		for name, fn := range group {
			meta := cmdtable.LookupFullName([]byte(name))
			if meta == nil {
				panic("libkv: command " + name + " is not in the command table")
			}
			table[meta] = &command{meta: meta, fn: fn}
			if p := meta.Parent; p != nil && table[p] == nil {
				table[p] = &command{meta: p, fn: containerHelp}
			}
		}
	}
	return table
}

// containerHelp runs for a container command named without a subcommand
// that passed the arity check; Redis's table never lets that happen (every
// container has arity -2), so it only guards against a gap in the data.
func containerHelp(c *Client, args [][]byte) {
	c.addError("ERR wrong number of arguments for '" + c.lastCmd + "' command")
}

// implemented reports whether kv-server runs cmd, for COMMAND's listings.
func (s *Server) implemented(cmd *cmdtable.Command) bool { return s.cmds[cmd] != nil }
