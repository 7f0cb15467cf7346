package libkv

import (
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
)

// clientPause is CLIENT PAUSE's state (Redis 7.0 networking.c
// pauseClients): until end, commands of other clients wait before they
// run — all of them, or only writes. Guarded by the engine lock; waiters
// block on resume without holding it.
type clientPause struct {
	end    time.Time
	all    bool
	resume chan struct{} // closed when the pause ends
	timer  *time.Timer
}

func (p *clientPause) active() bool { return p.resume != nil }

// blocks reports whether c's command args must wait for the pause to end.
// As Redis's processCommand, the pause is checked after the command
// lookup, arity and authentication checks, so a command rejected by them
// replies at once; under WRITE, commands that write or may replicate
// (PUBLISH, PFCOUNT, EVAL, ...) wait, and so does the client's pipeline
// behind them; so does an EXEC whose queued commands do, and the queueing
// of such a command inside MULTI. The client that paused is paused too.
func (p *clientPause) blocks(c *Client, args [][]byte) bool {
	cmd := c.srv.lookupCommand(args)
	if cmd == nil || !cmd.meta.CheckArity(len(args)) || (!c.authed && !cmd.meta.Flags.Has(cmdtable.FlagNoAuth)) {
		return false
	}
	return p.all || cmd.meta.Flags.Has(cmdtable.FlagWrite) || cmd.meta.Flags.Has(cmdtable.FlagMayReplicate) || c.pausedByExec(cmd)
}

// start begins or extends a pause; a longer timeout extends it, and ALL
// wins over WRITE while both are in force, as in Redis.
func (p *clientPause) start(s *Server, d time.Duration, all bool) {
	end := time.Now().Add(d)
	if p.active() {
		if end.After(p.end) {
			p.end = end
			p.timer.Reset(d)
		}
		p.all = p.all || all
		return
	}
	p.end, p.all = end, all
	p.resume = make(chan struct{})
	resume := p.resume
	p.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		// The timer may fire while an extension (a later CLIENT PAUSE) waits
		// for the lock: then it re-arms for the new end instead of ending
		// the pause, and a firing for an earlier pause does nothing.
		switch {
		case p.resume != resume:
		case time.Now().Before(p.end):
			p.timer.Reset(time.Until(p.end))
		default:
			p.stop()
		}
	})
}

// stop ends the pause and wakes the waiting clients.
func (p *clientPause) stop() {
	if !p.active() {
		return
	}
	p.timer.Stop()
	close(p.resume)
	p.resume = nil
	p.all = false
}

// wait blocks, without the engine lock, until the pause ends or the server
// shuts down.
func (p *clientPause) wait(s *Server, resume chan struct{}) {
	select {
	case <-resume:
	case <-s.done:
	}
}
