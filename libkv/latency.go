package libkv

import (
	"sort"
	"strings"
	"time"
)

// latencyHistoryLen is LATENCY_TS_LEN: samples kept per event.
const latencyHistoryLen = 160

type latencySample struct {
	time    int64 // Unix seconds
	latency int64 // milliseconds
}

type latencyEvent struct {
	history []latencySample // oldest first, at most latencyHistoryLen
	max     int64
}

// latencyMonitor is Redis's latency monitor (latency.c): for each event
// name, the spikes at or above latency-monitor-threshold milliseconds, one
// sample per second (the largest).
type latencyMonitor struct {
	events map[string]*latencyEvent
}

func (m *latencyMonitor) sample(s *Server, event string, d time.Duration) {
	threshold := s.conf.LatencyMonitorThreshold
	ms := d.Milliseconds()
	if threshold <= 0 || ms < threshold {
		return
	}
	if m.events == nil {
		m.events = map[string]*latencyEvent{}
	}
	e := m.events[event]
	if e == nil {
		e = &latencyEvent{}
		m.events[event] = e
	}
	now := time.Now().Unix()
	if n := len(e.history); n > 0 && e.history[n-1].time == now {
		e.history[n-1].latency = max(e.history[n-1].latency, ms)
	} else {
		e.history = append(e.history, latencySample{now, ms})
		if len(e.history) > latencyHistoryLen {
			e.history = e.history[1:]
		}
	}
	e.max = max(e.max, ms)
}

func (m *latencyMonitor) names() []string {
	names := make([]string, 0, len(m.events))
	for n := range m.events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func cmdLatencyLatest(c *Client, args [][]byte) {
	m := &c.srv.latency
	names := m.names()
	c.w.Array(len(names))
	for _, n := range names {
		e := m.events[n]
		last := e.history[len(e.history)-1]
		c.w.Array(4)
		c.w.BulkString(n)
		c.w.Int(last.time)
		c.w.Int(last.latency)
		c.w.Int(e.max)
	}
}

func cmdLatencyHistory(c *Client, args [][]byte) {
	e := c.srv.latency.events[string(args[2])]
	if e == nil {
		c.w.Array(0)
		return
	}
	c.w.Array(len(e.history))
	for _, h := range e.history {
		c.w.Array(2)
		c.w.Int(h.time)
		c.w.Int(h.latency)
	}
}

func cmdLatencyReset(c *Client, args [][]byte) {
	m := &c.srv.latency
	n := 0
	if len(args) == 2 {
		n = len(m.events)
		m.events = nil
	} else {
		for _, a := range args[2:] {
			if _, ok := m.events[string(a)]; ok {
				delete(m.events, string(a))
				n++
			}
		}
	}
	c.w.Int(int64(n))
}

// cmdLatencyDoctor writes a human report in the spirit of Redis's
// createLatencyReport: what spiked, how much, and what to look at.
func cmdLatencyDoctor(c *Client, args [][]byte) {
	s := c.srv
	m := &s.latency
	var b strings.Builder
	switch {
	case s.conf.LatencyMonitorThreshold <= 0 && len(m.events) == 0:
		b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
	case len(m.events) == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, " +
			"not in the slightest bit. I honestly think you ought to sleep tonight.\n")
	default:
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		for i, n := range m.names() {
			e := m.events[n]
			var sum int64
			for _, h := range e.history {
				sum += h.latency
			}
			b.WriteString(sprintf("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %d sec). Worst all time event %dms.\n",
				i+1, n, len(e.history), sum/int64(len(e.history)), 0, 0, e.max))
		}
		b.WriteString("\nI have a few advices for you:\n\n")
		b.WriteString("- Check your Dataset: slow commands (see SLOWLOG GET) and big values are the usual cause of " +
			"command latency spikes in a single-threaded execution model.\n")
	}
	c.w.Verbatim("txt", b.String())
}

func cmdLatencyHelp(c *Client, args [][]byte) {
	c.replyHelp("LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
}
