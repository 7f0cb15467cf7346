package libkv

import (
	"os"
	"sort"
	"strconv"
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

// latencyStats is Redis's struct latencyStats for one event's samples.
type latencyStats struct {
	samples, avg, mad int64
	period            int64 // seconds from the oldest sample to now, at least 1
}

// analyze is Redis's analyzeLatencyForEvent: average and mean absolute
// deviation of the samples (integer division, as Redis), and the period
// they cover.
func (e *latencyEvent) analyze(now int64) latencyStats {
	var ls latencyStats
	var sum, oldest int64
	for _, h := range e.history {
		ls.samples++
		sum += h.latency
		if oldest == 0 || h.time < oldest {
			oldest = h.time
		}
	}
	if ls.samples == 0 {
		return ls
	}
	ls.avg = sum / ls.samples
	ls.period = max(now-oldest, 1)
	var dev int64
	for _, h := range e.history {
		d := ls.avg - h.latency
		if d < 0 {
			d = -d
		}
		dev += d
	}
	ls.mad = dev / ls.samples
	return ls
}

// cmdLatencyDoctor is Redis 7.0's createLatencyReport (latency.c): one line
// per event, then the advice its events call for, in Redis's order and
// words. kv-server records the "command", "fast-command" and
// "expire-cycle" events, so only their advice can appear, plus the
// transparent huge pages advice, which like Redis's looks at the server's
// own process.
func cmdLatencyDoctor(c *Client, args [][]byte) {
	s := c.srv
	m := &s.latency
	var b strings.Builder
	if s.conf.LatencyMonitorThreshold == 0 && len(m.events) == 0 {
		b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
		c.w.Verbatim("txt", b.String())
		return
	}
	var slowlogEnable, slowlogTuning, slowlogInspect, scheduler, hz, largeObjects, thp bool
	advices := 0
	now := time.Now().Unix()
	for i, n := range m.names() {
		e := m.events[n]
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		ls := e.analyze(now)
		b.WriteString(sprintf("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, n, ls.samples, ls.avg, ls.mad, float64(ls.period)/float64(ls.samples), e.max))
		switch strings.ToLower(n) {
		case "command":
			if s.conf.SlowlogLogSlowerThan < 0 {
				slowlogEnable = true
				advices++
			} else if s.conf.SlowlogLogSlowerThan/1000 > s.conf.LatencyMonitorThreshold {
				slowlogTuning = true
				advices++
			}
			slowlogInspect, largeObjects = true, true
			advices += 2
		case "fast-command":
			scheduler = true
			advices++
		case "expire-cycle":
			hz, largeObjects = true, true
			advices += 2
		}
		b.WriteString("\n")
	}
	if anonHugePages() > 0 {
		thp = true
		advices++
	}
	switch {
	case len(m.events) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. " +
			"I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	case len(m.events) > 0 && advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. " +
			"Please use the Redis community to get some help, providing this report in your help request.\n")
	default:
		b.WriteString("\nI have a few advices for you:\n\n")
		if slowlogEnable {
			b.WriteString(sprintf("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
				s.conf.LatencyMonitorThreshold*1000))
		}
		if slowlogTuning {
			b.WriteString(sprintf("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n",
				s.conf.LatencyMonitorThreshold*1000))
		}
		if slowlogInspect {
			b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
		}
		if scheduler {
			b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
				"  1) Lower the system load.\n" +
				"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
				"  3) Check if you have a \"noisy neighbour\" problem.\n" +
				"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
				"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
		}
		if hz && s.conf.Hz < 100 {
			b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
		}
		if largeObjects {
			b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
		}
		if thp {
			b.WriteString("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n")
		}
	}
	c.w.Verbatim("txt", b.String())
}

// anonHugePages is the process's AnonHugePages total in bytes from
// /proc/self/smaps (Redis's THPGetAnonHugePagesSize), 0 where there is none.
func anonHugePages() int64 {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0
	}
	var total int64
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				total += n * 1024
			}
		}
	}
	return total
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
