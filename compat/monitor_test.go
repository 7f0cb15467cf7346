package compat

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMonitorAndSlowlogRedaction checks, on both servers, the MONITOR line
// format and that secrets never reach MONITOR or SLOWLOG.
func TestMonitorAndSlowlogRedaction(t *testing.T) {
	p := startPair(t)
	line := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)\r\n$`)
	for _, srv := range []struct{ name, addr string }{{"kv-server", p.kv.Addr()}, {"redis-server", p.redis.Addr()}} {
		t.Run(srv.name, func(t *testing.T) {
			mon := dial(t, srv.addr)
			if r := mustDo(t, mon, "MONITOR"); r != "+OK\r\n" {
				t.Fatalf("MONITOR: %q", r)
			}
			c := dial(t, srv.addr)
			mustDo(t, c, "CONFIG", "SET", "slowlog-log-slower-than", "0")
			mustDo(t, c, "SELECT", "2")
			mustDo(t, c, "SET", "k", "a\"b\x01")
			mustDo(t, c, "AUTH", "secret")
			mustDo(t, c, "HELLO", "2", "AUTH", "default", "secret")
			mustDo(t, c, "CONFIG", "SET", "requirepass", "")
			// CONFIG is an admin command: MONITOR does not show it.
			want := []string{`"SELECT" "2"`, `"SET" "k" "a\"b\x01"`, `"AUTH" "(redacted)"`,
				`"HELLO" "2" "AUTH" "(redacted)" "(redacted)"`}
			for i, w := range want {
				raw, err := mon.ReadTimeout(2 * time.Second)
				if err != nil {
					t.Fatalf("MONITOR line %d: %v", i, err)
				}
				m := line.FindStringSubmatch(string(raw))
				if m == nil || m[2] != w {
					t.Errorf("MONITOR line %d = %q, want ... %s", i, raw, w)
				}
			}
			log := mustDo(t, c, "SLOWLOG", "GET", "-1")
			if strings.Contains(log, "secret") {
				t.Errorf("SLOWLOG shows a secret:\n%q", log)
			}
			if !strings.Contains(log, "(redacted)") {
				t.Errorf("SLOWLOG has no redacted argument:\n%q", log)
			}
			mustDo(t, c, "CONFIG", "SET", "slowlog-log-slower-than", "10000")
		})
	}
}
