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
