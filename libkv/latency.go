package libkv

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
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

// cmdLatencyGraph is LATENCY GRAPH <event>: Redis's ASCII sparkline of the
// event's samples (latency.c latencyCommandGenSparkeline, sparkline.c),
// each labelled with how long ago it happened.
func cmdLatencyGraph(c *Client, args [][]byte) {
	e := c.srv.latency.events[string(args[2])]
	if e == nil {
		c.addError(sprintf("ERR No samples available for event '%s'", args[2]))
		return
	}
	now := time.Now().Unix()
	seq := make([]sparkSample, 0, len(e.history))
	lo, hi := e.history[0].latency, e.history[0].latency
	for _, h := range e.history {
		lo, hi = min(lo, h.latency), max(hi, h.latency)
		elapsed := now - h.time
		var label string
		switch {
		case elapsed < 60:
			label = sprintf("%ds", elapsed)
		case elapsed < 3600:
			label = sprintf("%dm", elapsed/60)
		case elapsed < 3600*24:
			label = sprintf("%dh", elapsed/3600)
		default:
			label = sprintf("%dd", elapsed/(3600*24))
		}
		seq = append(seq, sparkSample{float64(h.latency), label})
	}
	var b strings.Builder
	b.WriteString(sprintf("%s - high %d ms, low %d ms (all time high %d ms)\n", args[2], hi, lo, e.max))
	b.WriteString(strings.Repeat("-", 80) + "\n")
	sparkline(&b, seq, 80, 4)
	c.w.Verbatim("txt", b.String())
}

// sparkSample is one value of a sparkline and its label.
type sparkSample struct {
	value float64
	label string
}

// sparkline is sparklineRender with SPARKLINE_FILL: rows of "_o#" and "|"
// scaled between the samples' minimum and maximum, then the labels
// written vertically below a blank line, in blocks of columns samples.
func sparkline(b *strings.Builder, seq []sparkSample, columns, rows int) {
	const fill = "_o#"
	lo, hi := seq[0].value, seq[0].value
	labels := 0
	for _, s := range seq {
		lo, hi = min(lo, s.value), max(hi, s.value)
		if s.label != "" {
			labels++
		}
	}
	relmax := hi - lo
	if relmax == 0 {
		relmax = 1
	}
	steps := len(fill) * rows
	for off := 0; off < len(seq); off += columns {
		if off != 0 {
			b.WriteByte('\n')
		}
		part := seq[off:min(off+columns, len(seq))]
		chars := make([]byte, len(part))
		for row, more := 0, true; more; {
			more = false
			for j := range chars {
				chars[j] = ' '
			}
			for j, s := range part {
				step := int(float64(int((s.value-lo)*float64(steps))) / relmax)
				step = min(max(step, 0), steps-1)
				if row < rows {
					more = true
					idx := step - (rows-row-1)*len(fill)
					if idx >= 0 && idx < len(fill) {
						chars[j] = fill[idx]
					} else if idx >= len(fill) {
						chars[j] = '|'
					}
					continue
				}
				if labels > 0 && row-rows < 1 { // one blank line above the labels
					more = true
					break
				}
				if k := row - rows - 1; len(s.label) > k {
					more = true
					chars[j] = s.label[k]
				}
			}
			if more {
				row++
				b.Write(chars)
				b.WriteByte('\n')
			}
		}
	}
}

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: each command's
// call count and its latency distribution as Redis reports it (latency.c
// fillCommandCDF): cumulative counts at power-of-two nanosecond levels from
// 1024, labelled in microseconds, only where the count grows. Named
// commands are looked up as Redis does: unknown ones are skipped, a
// container brings its subcommands, and a name given twice is listed twice.
func cmdLatencyHistogram(c *Client, args [][]byte) {
	s := c.srv
	var names []string
	if len(args) == 2 {
		for _, name := range sortedKeys(s.cmdStats) {
			if s.cmdStats[name].hist != nil {
				names = append(names, name)
			}
		}
	} else {
		for _, a := range args[2:] {
			meta := cmdtable.LookupFullName(a)
			if meta == nil {
				continue
			}
			for _, m := range append([]*cmdtable.Command{meta}, meta.Subcommands...) {
				if st := s.cmdStats[m.Name]; st != nil && st.hist != nil {
					names = append(names, m.Name)
				}
			}
		}
	}
	c.w.Map(len(names))
	for _, name := range names {
		h := s.cmdStats[name].hist
		c.w.BulkString(name)
		c.w.Map(2)
		c.w.BulkString("calls")
		c.w.Int(h.TotalCount())
		c.w.BulkString("histogram_usec")
		bars := h.Distribution()
		var levels [][2]int64
		var cum, prev int64
		i := 0
		for level := int64(1024); cum < h.TotalCount(); level *= 2 {
			for i < len(bars) && bars[i].From <= level {
				cum += bars[i].Count
				i++
			}
			if cum > prev {
				// The level's highest equivalent value: sub-buckets of
				// level/128 nanoseconds at 2 significant digits.
				levels = append(levels, [2]int64{(level + level/128 - 1) / 1000, cum})
			}
			prev = cum
		}
		c.w.Map(len(levels))
		for _, l := range levels {
			c.w.Int(l[0])
			c.w.Int(l[1])
		}
	}
}
