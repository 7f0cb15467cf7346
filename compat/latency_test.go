package compat

import (
	"regexp"
	"testing"
)

// latencyNumbers matches the figures of a LATENCY DOCTOR event line, which
// depend on how long each server really slept and when.
var latencyNumbers = regexp.MustCompile(`\d+(\.\d+)?`)

// checkLatencyDoctor compares LATENCY DOCTOR's text with latency monitoring
// disabled, enabled without spikes, and after a DEBUG SLEEP spike under
// three slowlog settings (each selects different advice); in the spike
// reports the figures are masked, the words must match.
func checkLatencyDoctor(t *testing.T, p *pair) {
	s := p.session(t, 2)
	doctor := func(masked bool) {
		t.Helper()
		a := s.do(compareSkip, "LATENCY", "DOCTOR")
		b, err := s.redis.Do("LATENCY", "DOCTOR")
		if err != nil {
			t.Fatal(err)
		}
		if masked {
			a, b = latencyNumbers.ReplaceAll(a, []byte("N")), latencyNumbers.ReplaceAll(b, []byte("N"))
		}
		if string(a) != string(b) {
			t.Errorf("LATENCY DOCTOR:\n%s", showDiff(a, b))
		}
	}
	s.do(compareExact, "CONFIG", "SET", "latency-monitor-threshold", "0")
	doctor(false)
	s.do(compareExact, "CONFIG", "SET", "latency-monitor-threshold", "100")
	doctor(false)
	s.do(compareExact, "DEBUG", "SLEEP", "0.12")
	s.do(compareSkip, "LATENCY", "LATEST")
	doctor(true)
	a := s.do(compareSkip, "LATENCY", "GRAPH", "command")
	b, err := s.redis.Do("LATENCY", "GRAPH", "command")
	if err != nil {
		t.Fatal(err)
	}
	if a, b = latencyNumbers.ReplaceAll(a, []byte("N")), latencyNumbers.ReplaceAll(b, []byte("N")); string(a) != string(b) {
		t.Errorf("LATENCY GRAPH command:\n%s", showDiff(a, b))
	}
	for _, slower := range []string{"-1", "100000", "10000"} {
		s.do(compareExact, "CONFIG", "SET", "slowlog-log-slower-than", slower)
		doctor(true)
	}
	s.do(compareExact, "LATENCY", "RESET", "command")
	s.do(compareExact, "LATENCY", "LATEST")
	doctor(false)
	s.do(compareExact, "CONFIG", "SET", "latency-monitor-threshold", "0")
	doctor(false)
}

// histogramBuckets matches LATENCY HISTOGRAM's per-command buckets, which
// depend on how long each command took.
var histogramBuckets = regexp.MustCompile(`histogram_usec\r\n[*%]\d+\r\n(:\d+\r\n)*`)

// checkLatencyHistogram compares LATENCY HISTOGRAM's commands and call
// counts (all, named, containers, unknown and repeated names); the buckets
// themselves are timings.
func checkLatencyHistogram(t *testing.T, p *pair) {
	for _, proto := range []int{2, 3} {
		s := p.session(t, proto)
		s.do(compareExact, "CONFIG", "RESETSTAT")
		s.do(compareExact, "LATENCY", "HISTOGRAM", "nosuch")
		for _, args := range [][]string{{"SET", "h", "1"}, {"SET", "h", "2"}, {"GET", "h"}, {"CONFIG", "GET", "hz"}} {
			s.do(compareExact, args...)
		}
		for _, args := range [][]string{{"set"}, {"SET", "nosuch", "get", "set"}, {"config|get"}, {"lpush"}, {"get", "CONFIG|GET"}} {
			a := s.do(compareSkip, append([]string{"LATENCY", "HISTOGRAM"}, args...)...)
			b, err := s.redis.Do(append([]string{"LATENCY", "HISTOGRAM"}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			a, b = histogramBuckets.ReplaceAll(a, []byte("H")), histogramBuckets.ReplaceAll(b, []byte("H"))
			if string(a) != string(b) {
				t.Errorf("LATENCY HISTOGRAM %q:\n%s", args, showDiff(a, b))
			}
		}
	}
}
