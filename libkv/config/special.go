package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/kvkit/kvkit/internal/sds"
)

// The directives that fit no generic type, with config.c's set, get and
// rewrite functions of the same name.

var dirOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) != 1 {
			return "wrong number of arguments"
		}
		// Redis chdir()s here; kvkit checks what chdir would check and
		// leaves the change of directory to the engine.
		p := resolve(st.cwd, args[0])
		fi, err := os.Stat(p)
		if err != nil {
			return strerror(err)
		}
		if !fi.IsDir() {
			return strerror(syscall.ENOTDIR)
		}
		if err := syscall.Access(p, 1 /* X_OK */); err != nil {
			return strerror(err)
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real // getcwd() reports the physical directory
		}
		v.Dir = p
		st.cwd = p
		return ""
	},
	get: func(v *Values) string { return v.Dir },
	rewrite: func(v *Values, rw *rewriteState, name string) {
		rw.rewriteLine(name, name+" "+Repr(v.Dir), true)
	},
}

var saveOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		reset := false
		if len(args) == 1 && args[0] == "" {
			// save "" clears the points, even after other save lines.
			args, reset = nil, true
		}
		if len(args)%2 != 0 {
			return "Invalid save parameters"
		}
		points := make([]SavePoint, 0, len(args)/2)
		for j := 0; j < len(args); j += 2 {
			secs, ok1, _ := strtoll(args[j], 10)
			changes, ok2, _ := strtoll(args[j+1], 10)
			if !ok1 || !ok2 || secs < 1 || changes < 0 {
				return "Invalid save parameters"
			}
			points = append(points, SavePoint{Seconds: secs, Changes: int(int32(changes))})
		}
		if st.fromFile && st.saveLoaded && !reset {
			v.Save = append(append([]SavePoint(nil), v.Save...), points...)
		} else {
			v.Save = points
		}
		if st.fromFile {
			st.saveLoaded = true
		}
		return ""
	},
	get: func(v *Values) string {
		parts := make([]string, 0, 2*len(v.Save))
		for _, p := range v.Save {
			parts = append(parts, strconv.FormatInt(p.Seconds, 10), strconv.Itoa(p.Changes))
		}
		return strings.Join(parts, " ")
	},
	rewrite: func(v *Values, rw *rewriteState, name string) {
		if len(v.Save) == 0 {
			rw.rewriteLine(name, `save ""`, true)
		}
		for _, p := range v.Save {
			rw.rewriteLine(name, fmt.Sprintf("save %d %d", p.Seconds, p.Changes), true)
		}
		rw.markProcessed(name)
	},
}

var obufClassNames = [3]string{"normal", "slave", "pubsub"}

var defaultObuf = [3]OutputBufferLimit{{}, {256 * mb, 64 * mb, 60}, {32 * mb, 8 * mb, 60}}

var obufOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args)%4 != 0 {
			return "Wrong number of arguments in buffer limit configuration."
		}
		limits := v.ClientOutputBufferLimit
		for j := 0; j < len(args); j += 4 {
			class := -1
			switch strings.ToLower(args[j]) {
			case "normal":
				class = ClientNormal
			case "slave", "replica":
				class = ClientReplica
			case "pubsub":
				class = ClientPubSub
			}
			if class < 0 {
				return "Invalid client class specified in buffer limit configuration."
			}
			hard, ok1 := ParseMemory(args[j+1])
			soft, ok2 := ParseMemory(args[j+2])
			secs, ok3, _ := strtoll(args[j+3], 10)
			secs = int64(int32(secs)) // Redis keeps it in an int
			if !ok1 || !ok2 || !ok3 || secs < 0 {
				return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
			}
			limits[class] = OutputBufferLimit{Hard: hard, Soft: soft, SoftSeconds: secs}
		}
		v.ClientOutputBufferLimit = limits
		return ""
	},
	get: func(v *Values) string {
		parts := make([]string, 3)
		for j, l := range v.ClientOutputBufferLimit {
			parts[j] = fmt.Sprintf("%s %d %d %d", obufClassNames[j], l.Hard, l.Soft, l.SoftSeconds)
		}
		return strings.Join(parts, " ")
	},
	rewrite: func(v *Values, rw *rewriteState, name string) {
		for j, l := range v.ClientOutputBufferLimit {
			class := obufClassNames[j]
			if class == "slave" {
				class = "replica"
			}
			line := fmt.Sprintf("%s %s %s %s %d", name, class, formatMemory(int64(l.Hard)), formatMemory(int64(l.Soft)), l.SoftSeconds)
			rw.rewriteLine(name, line, l != defaultObuf[j])
		}
	},
}

var defaultOOMValues = [3]int{0, 200, 800}

var oomValuesOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) != 3 {
			return "wrong number of arguments"
		}
		var vals [3]int
		for i, a := range args {
			n, ok, _ := strtoll(a, 10)
			if !ok || n < -2000 || n > 2000 {
				return "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
			}
			vals[i] = int(n)
		}
		v.OomScoreAdjValues = vals
		return ""
	},
	get: func(v *Values) string {
		o := v.OomScoreAdjValues
		return fmt.Sprintf("%d %d %d", o[0], o[1], o[2])
	},
	rewrite: func(v *Values, rw *rewriteState, name string) {
		o := v.OomScoreAdjValues
		rw.rewriteLine(name, fmt.Sprintf("%s %d %d %d", name, o[0], o[1], o[2]), o != defaultOOMValues)
	},
}

// ParseKeyspaceEvents parses notify-keyspace-events classes as Redis 7.0's
// keyspaceEventsStringToFlags (notify.c); ok is false for an unknown
// character.
func ParseKeyspaceEvents(s string) (ev KeyspaceEvents, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			ev |= NotifyAll
		case 'g':
			ev |= NotifyGeneric
		case '$':
			ev |= NotifyString
		case 'l':
			ev |= NotifyList
		case 's':
			ev |= NotifySet
		case 'h':
			ev |= NotifyHash
		case 'z':
			ev |= NotifyZset
		case 'x':
			ev |= NotifyExpired
		case 'e':
			ev |= NotifyEvicted
		case 'K':
			ev |= NotifyKeyspace
		case 'E':
			ev |= NotifyKeyevent
		case 't':
			ev |= NotifyStream
		case 'm':
			ev |= NotifyKeyMiss
		case 'd':
			ev |= NotifyModule
		case 'n':
			ev |= NotifyNew
		default:
			return 0, false
		}
	}
	return ev, true
}

// String formats the classes as Redis 7.0's keyspaceEventsFlagsToString
// (notify.c), the form CONFIG GET shows.
func (ev KeyspaceEvents) String() string {
	var b strings.Builder
	if ev&NotifyAll == NotifyAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			flag KeyspaceEvents
			c    byte
		}{{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'},
			{NotifyHash, 'h'}, {NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'},
			{NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'}} {
			if ev&f.flag != 0 {
				b.WriteByte(f.c)
			}
		}
	}
	if ev&NotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if ev&NotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if ev&NotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

var notifyOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) != 1 {
			return "wrong number of arguments"
		}
		ev, ok := ParseKeyspaceEvents(args[0])
		if !ok {
			return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
		v.NotifyKeyspaceEvents = ev
		return ""
	},
	get: func(v *Values) string { return v.NotifyKeyspaceEvents.String() },
	rewrite: func(v *Values, rw *rewriteState, name string) {
		rw.rewriteLine(name, name+" "+Repr(v.NotifyKeyspaceEvents.String()), v.NotifyKeyspaceEvents != 0)
	},
}

var bindOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) > 16 { // CONFIG_BINDADDR_MAX
			return "Too many bind addresses specified."
		}
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		v.Bind = append([]string{}, args...)
		return ""
	},
	get: func(v *Values) string { return strings.Join(v.Bind, " ") },
	rewrite: func(v *Values, rw *rewriteState, name string) {
		if len(v.Bind) == 2 && v.Bind[0] == "*" && v.Bind[1] == "-::*" {
			rw.markProcessed(name)
			return
		}
		addrs := `""`
		if len(v.Bind) > 0 {
			addrs = strings.Join(v.Bind, " ")
		}
		rw.rewriteLine(name, name+" "+addrs, true)
	},
}

var replicaofOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) != 2 {
			return "wrong number of arguments"
		}
		v.Replicaof = ReplicaOf{}
		if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
			return ""
		}
		port, ok, inRange := strtoll(args[1], 10)
		if !ok || !inRange || port < 0 || port > 65535 {
			return "Invalid master port"
		}
		v.Replicaof = ReplicaOf{Host: args[0], Port: int(port)}
		return ""
	},
	get: func(v *Values) string {
		if v.Replicaof.Host == "" {
			return ""
		}
		return v.Replicaof.Host + " " + strconv.Itoa(v.Replicaof.Port)
	},
	rewrite: func(v *Values, rw *rewriteState, name string) {
		if v.ClusterEnabled || v.Replicaof.Host == "" {
			rw.markProcessed(name)
			return
		}
		rw.rewriteLine(name, fmt.Sprintf("%s %s %d", name, v.Replicaof.Host, v.Replicaof.Port), true)
	},
}

// formatPercentile prints a float as Redis's "%f" followed by
// trimDoubleString: 99.900000 becomes 99.9, 50.000000 becomes 50.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var percentilesOps = &specialOps{
	set: func(v *Values, args []string, st *setState) string {
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		ps := make([]float64, 0, len(args))
		for _, a := range args {
			// string2d: strtod over the whole string, no leading space, no NaN.
			f, err := strconv.ParseFloat(a, 64)
			if a == "" || sds.IsSpace(a[0]) || strings.ContainsRune(a, '_') || (err != nil && !errors.Is(err, strconv.ErrRange)) || f != f {
				v.LatencyTrackingInfoPercentiles = nil
				return "Invalid latency-tracking-info-percentiles parameters"
			}
			if f > 100 || f < 0 {
				v.LatencyTrackingInfoPercentiles = nil
				return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
			}
			ps = append(ps, f)
		}
		v.LatencyTrackingInfoPercentiles = ps
		return ""
	},
	get: func(v *Values) string {
		parts := make([]string, len(v.LatencyTrackingInfoPercentiles))
		for i, f := range v.LatencyTrackingInfoPercentiles {
			parts[i] = formatPercentile(f)
		}
		return strings.Join(parts, " ")
	},
	rewrite: func(v *Values, rw *rewriteState, name string) {
		line := name
		if len(v.LatencyTrackingInfoPercentiles) == 0 {
			line += ` ""`
		}
		for _, f := range v.LatencyTrackingInfoPercentiles {
			line += " " + formatPercentile(f)
		}
		rw.rewriteLine(name, line, true)
	},
}
