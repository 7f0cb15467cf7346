package config

// Compatibility tests: the same configuration, CONFIG SET commands and
// CONFIG REWRITE run against Debian's redis-server 7.0.15 and against this
// package, and the results compared.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/testutil"
)

const referenceDir = "/work/shared/reference/redis-7.0"

// respConn is a minimal RESP2 client, enough for CONFIG commands.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

type respError string

func dialRedis(t *testing.T, addr string) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{c: c, r: bufio.NewReader(c)}
}

// do sends a command and returns its reply: string, respError, int64,
// []any or nil.
func (rc *respConn) do(t *testing.T, args ...string) any {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		t.Fatal(err)
	}
	v, err := rc.read()
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

func (rc *respConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return respError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			v, err := rc.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("bad reply line %q", line)
}

// replyText is a reply as comparable text: "OK" or the error's text.
func replyText(v any) string {
	switch v := v.(type) {
	case respError:
		return string(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func errText(err error) string {
	if err == nil {
		return "OK"
	}
	return err.Error()
}

// configMap is a CONFIG GET reply as a map.
func configMap(t *testing.T, v any) map[string]string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		t.Fatalf("CONFIG GET reply %v", v)
	}
	m := map[string]string{}
	for i := 0; i < len(arr); i += 2 {
		m[arr[i].(string)] = arr[i+1].(string)
	}
	return m
}

func compareMaps(t *testing.T, what string, redis, ours map[string]string, skip ...string) {
	t.Helper()
	for _, k := range skip {
		delete(redis, k)
		delete(ours, k)
	}
	var diffs []string
	for k, rv := range redis {
		if ov, ok := ours[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: redis %q, kvkit missing", k, rv))
		} else if ov != rv {
			diffs = append(diffs, fmt.Sprintf("%s: redis %q, kvkit %q", k, rv, ov))
		}
	}
	for k, ov := range ours {
		if _, ok := redis[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: kvkit %q, redis missing", k, ov))
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

func TestCompatDefaultsMatchConfigJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(referenceDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	got := pairs(Default().Get([]string{"*"}))
	// dir is the directory the server starts in.
	compareMaps(t, "CONFIG GET * of Default()", want, got, "dir")
}

// redisArgs starts redis-server with args (the caller includes --port) and
// returns it, connected.
func startRedis(t *testing.T, port int, args ...string) (*testutil.Server, *respConn) {
	t.Helper()
	s := testutil.Start(t, port, testutil.Program(t, "redis-server"), args...)
	return s, dialRedis(t, s.Addr())
}

func TestCompatConfigSet(t *testing.T) {
	s := testutil.StartRedis(t)
	rc := dialRedis(t, s.Addr())
	c, err := Load([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"}, Options{Dir: s.Dir})
	if err != nil {
		t.Fatal(err)
	}
	compareMaps(t, "CONFIG GET * at start", configMap(t, rc.do(t, "CONFIG", "GET", "*")), pairs(c.Get([]string{"*"})))

	// Hidden directives, exact names in any case, several patterns.
	for _, args := range [][]string{
		{"use-exit-on-panic", "rdb-key-save-delay", "key-load-delay", "watchdog-period", "loading-process-events-interval-bytes"},
		{"PORT", "port", "p?rt"}, {"*read-only", "slave*"}, {"[a-c]*", "*max*"}, {"nosuch"}, {`\port`, "por[s-u]"},
		{"*-ZIPLIST-*"}, {"Maxmemory*"},
	} {
		got := pairs(c.Get(args))
		want := configMap(t, rc.do(t, append([]string{"CONFIG", "GET"}, args...)...))
		compareMaps(t, fmt.Sprintf("CONFIG GET %q", args), want, got)
	}

	cases := [][]string{
		// syntax and names
		{"maxmemory"}, {"foo", "1"}, {"foo", "1", "daemonize", "yes"}, {"daemonize", "yes", "foo", "1"},
		{"DAEMONIZE", "yes"}, {"dir", "/tmp"}, {"dbfilename", "x.rdb"}, {"maxmemory", "1", "MAXMEMORY", "2"},
		{"hash-max-ziplist-entries", "3", "hash-max-listpack-entries", "4"}, {"slave-priority", "1", "slave-priority", "2"},
		{"replicaof", "no one"}, {"slaveof", "127.0.0.1 1"}, {"port", "1", "port", "1"},
		// bool
		{"protected-mode", "maybe"}, {"protected-mode", ""}, {"rdbcompression", "NO"}, {"rdbcompression", "yes"},
		{"activedefrag", "yes"}, {"activedefrag", "no"}, {"slave-read-only", "no"}, {"replica-read-only", "YES"},
		// enum
		{"maxmemory-policy", "ALLKEYS-LRU"}, {"maxmemory-policy", "lru"}, {"maxmemory-policy", ""}, {"maxmemory-policy", "allkeys-lru "},
		{"loglevel", "warning"}, {"loglevel", "debug"}, {"loglevel", "notice"}, {"appendfsync", "always"}, {"appendfsync", "sometimes"},
		{"acl-pubsub-default", "AllChannels"}, {"acl-pubsub-default", "resetchannels"}, {"oom-score-adj", "maybe"},
		{"sanitize-dump-payload", "clients"}, {"propagation-error-behavior", "x"}, {"cluster-preferred-endpoint-type", "hostname"},
		{"shutdown-on-sigint", "save nosave"}, {"shutdown-on-sigint", "save now"}, {"shutdown-on-sigint", "now save force"},
		{"shutdown-on-sigint", "default save"}, {"shutdown-on-sigint", "bla"}, {"shutdown-on-sigint", ""}, {"shutdown-on-sigint", "default"},
		{"shutdown-on-sigterm", "NOSAVE"}, {"shutdown-on-sigterm", "save  now"}, {"repl-diskless-load", "swapdb"},
		// numbers
		{"maxmemory", "1mb"}, {"maxmemory", "1MB"}, {"maxmemory", "100k"}, {"maxmemory", "3G"}, {"maxmemory", "-1"}, {"maxmemory", "1x"},
		{"maxmemory", ""}, {"maxmemory", "20000000000gb"}, {"maxmemory", "18446744073709551615"}, {"maxmemory", "99999999999999999999"},
		{"maxmemory", " 1"}, {"maxmemory", "0"},
		{"hz", "1000"}, {"hz", "0"}, {"hz", "-1"}, {"hz", "10"}, {"timeout", "abc"}, {"timeout", "+1"}, {"timeout", "01"}, {"timeout", "-0"},
		{"timeout", "2147483648"}, {"timeout", "300"}, {"timeout", "0"}, {"tcp-keepalive", "60"},
		{"maxclients", "-1"}, {"maxclients", "0"}, {"maxclients", "4294967296"}, {"maxclients", "100"},
		{"slowlog-max-len", "-1"}, {"slowlog-max-len", "9223372036854775807"}, {"slowlog-max-len", "9223372036854775808"}, {"slowlog-max-len", "128"},
		{"slowlog-log-slower-than", "-1"}, {"slowlog-log-slower-than", "-2"}, {"latency-monitor-threshold", "100"},
		{"list-max-ziplist-size", "-2147483649"}, {"list-max-ziplist-size", "-5"}, {"list-max-listpack-size", "-2"},
		{"hash-max-listpack-entries", "-1"}, {"hash-max-listpack-value", "1kb"}, {"hash-max-listpack-value", "-1"},
		{"proto-max-bulk-len", "1000"}, {"proto-max-bulk-len", "1mb"}, {"proto-max-bulk-len", "18446744073709551615"}, {"proto-max-bulk-len", "512mb"},
		{"client-query-buffer-limit", "2gb"}, {"client-query-buffer-limit", "1k"},
		{"maxmemory-clients", "10%"}, {"maxmemory-clients", "101%"}, {"maxmemory-clients", "-5"}, {"maxmemory-clients", "%"},
		{"maxmemory-clients", "-5%"}, {"maxmemory-clients", "1mb"}, {"maxmemory-clients", "0"},
		{"active-expire-effort", "11"}, {"active-expire-effort", "0"}, {"active-expire-effort", "3"},
		{"repl-backlog-size", "0"}, {"repl-backlog-size", "1000"}, {"repl-backlog-size", "2mb"}, {"repl-backlog-ttl", "-1"},
		{"auto-aof-rewrite-min-size", "1g"}, {"active-defrag-ignore-bytes", "0"}, {"active-defrag-cycle-max", "100"},
		{"lua-time-limit", "x"}, {"LUA-TIME-LIMIT", "100"}, {"busy-reply-threshold", "5000"},
		{"port", "70000"}, {"port", "-1"}, {"databases", "1"}, {"unixsocketperm", "777"}, {"socket-mark-id", "1"},
		// strings
		{"dbfilename", "a/b"}, {"cluster-announce-hostname", "a_b"}, {"cluster-announce-hostname", "good-name.x"},
		{"cluster-announce-hostname", strings.Repeat("a", 256)}, {"cluster-announce-hostname", ""},
		{"proc-title-template", "{x}"}, {"proc-title-template", "{title"}, {"proc-title-template", "{title}"},
		{"proc-title-template", "{{ {port}"}, {"proc-title-template", "{title} {listen-addr} {server-mode}"},
		{"ignore-warnings", "ARM64-COW-BUG"}, {"ignore-warnings", ""}, {"replica-announce-ip", "1.2.3.4"}, {"slave-announce-ip", ""},
		{"masteruser", "bob"}, {"bind-source-addr", "127.0.0.1"}, {"bind-source-addr", ""},
		// special
		{"save", "100"}, {"save", "100 0 x 1"}, {"save", "0 1"}, {"save", "100 -1"}, {"save", "100 1  200 2"},
		{"save", "100 1 200 2"}, {"save", " "}, {"save", ""}, {"save", "3600 1 300 100 60 10000"},
		{"client-output-buffer-limit", "foo 1 1 1"}, {"client-output-buffer-limit", "master 1 1 1"},
		{"client-output-buffer-limit", "normal 1 1"}, {"client-output-buffer-limit", "normal 1mb 1k x"},
		{"client-output-buffer-limit", "normal 1mb 1k -1"}, {"client-output-buffer-limit", "NORMAL 1mb 1k 10 replica 1gb 0 0"},
		{"client-output-buffer-limit", "slave 256mb 64mb 60 normal 0 0 0"},
		{"oom-score-adj-values", "0 200 3000"}, {"oom-score-adj-values", "0 200"}, {"oom-score-adj-values", "a b c"},
		{"notify-keyspace-events", "Q"}, {"notify-keyspace-events", "KEA"}, {"notify-keyspace-events", "Kx$gmn"},
		{"notify-keyspace-events", "Ag$lshzxeKEtmdn"}, {"notify-keyspace-events", ""},
		{"latency-tracking-info-percentiles", "101"}, {"latency-tracking-info-percentiles", "abc"},
		{"latency-tracking-info-percentiles", "0 0.5 99.99 100"}, {"latency-tracking-info-percentiles", ""},
		{"latency-tracking-info-percentiles", "1e1 99.9999999"}, {"latency-tracking-info-percentiles", "50 99 99.9"},
		// atomicity: a bad second value keeps the first unchanged
		{"maxmemory", "7mb", "loglevel", "bad"}, {"timeout", "9", "save", "1"},
		{"maxmemory", "7mb", "timeout", "9", "hz", "20"},
	}
	for _, args := range cases {
		want := replyText(rc.do(t, append([]string{"CONFIG", "SET"}, args...)...))
		got := errText(c.Set(args, SetEnv{Local: true}))
		if got != want {
			t.Errorf("CONFIG SET %q:\n redis: %s\n kvkit: %s", args, want, got)
		}
		var names []string
		for i := 0; i < len(args); i += 2 {
			names = append(names, args[i])
		}
		compareMaps(t, fmt.Sprintf("after CONFIG SET %q", args), configMap(t, rc.do(t, append([]string{"CONFIG", "GET"}, names...)...)), pairs(c.Get(names)))
	}
	compareMaps(t, "CONFIG GET * at the end", configMap(t, rc.do(t, "CONFIG", "GET", "*")), pairs(c.Get([]string{"*"})))
}

// TestCompatLoad loads files into redis-server and into Load and compares
// every value.
func TestCompatLoad(t *testing.T) {
	stock, err := os.ReadFile(filepath.Join(referenceDir, "redis.conf"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files map[string]string // main.conf and any it includes
		args  []string
	}{
		{"stock redis.conf", map[string]string{"main.conf": string(stock)}, nil},
		{"aliases, units, quoting", map[string]string{"main.conf": `
Port 1
hash-max-ziplist-entries 100
zset-max-ziplist-value 1kb
slave-priority 5
lua-time-limit 100
maxmemory 1GB
maxmemory-clients 5%
maxmemory-policy "Allkeys-LFU"
unixsocketperm 0700
requirepass 'it\'s "x"'
masterauth "\x41\x42\n"
ignore-warnings "a b"
bind "127.0.0.1 ::1"
client-output-buffer-limit "pubsub 1mb 1kb 5"
client-output-buffer-limit normal 1 2 3
notify-keyspace-events Ex
oom-score-adj-values -1 0 1
latency-tracking-info-percentiles "1 2"
shutdown-on-sigint now force
list-max-ziplist-entries 3
list-max-ziplist-value 3
lua-replicate-commands yes
hz 0
`}, []string{"--hash-max-listpack-entries 200", "--save", "30 3", "--save", "--save", "40 4"}},
		{"save after include", map[string]string{"main.conf": "include DIR/inc.conf\nsave 10 1\nsave 20 2\n", "inc.conf": "timeout 5\n"}, nil},
		{"save without include", map[string]string{"main.conf": "save 10 1\nsave 20 2\nsave \"\"\n"},
			[]string{"--masteruser", "--x", "--ignore-warnings", "a b"}},
		{"lone multi-arg value", map[string]string{"main.conf": "save \"30 'x\"\nbind \"127.0.0.1  ::1\"\n"}, nil},
		{"glob include", map[string]string{"main.conf": "include DIR/conf.d/*.conf\ninclude DIR/none/*.conf\n", "conf.d/a.conf": "timeout 1\nsave 1 1\n", "conf.d/b.conf": "timeout 2\nsave 2 2\n"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			main := filepath.Join(dir, "main.conf")
			// Include paths are relative to the server's directory: make
			// them absolute.
			text, _ := os.ReadFile(main)
			os.WriteFile(main, []byte(strings.ReplaceAll(string(text), "DIR/", dir+"/")), 0o644)
			port := testutil.FreePort(t)
			// The command line fixes what must not touch the machine.
			args := append([]string{main}, tc.args...)
			args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--daemonize", "no",
				"--pidfile", "", "--logfile", "", "--dir", dir, "--appendonly", "no")
			c, err := Load(args, Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			_, rc := startRedis(t, port, args...)
			if pw := c.Values.Requirepass; pw != "" {
				rc.do(t, "AUTH", pw)
			}
			compareMaps(t, "CONFIG GET *", configMap(t, rc.do(t, "CONFIG", "GET", "*")), pairs(c.Get([]string{"*"})))
		})
	}
}

// TestCompatLoadErrors compares the fatal error text of redis-server with
// FileError's for bad files and arguments.
func TestCompatLoadErrors(t *testing.T) {
	bin := testutil.Program(t, "redis-server")
	cases := []struct {
		files map[string]string
		args  []string
		stdin string
	}{
		{map[string]string{"r.conf": "port 1\nport 2\n"}, []string{"-"}, "timeout 1\nport x\n"},
		{map[string]string{"r.conf": "port 1\n"}, []string{"--timeout", "x", "-"}, "timeout 1\n"},
		{map[string]string{"r.conf": "port 1\n"}, []string{"--timeout", "1", "-"}, "timeout 1\nfoo\n"},
		{map[string]string{"r.conf": "include d/*.conf\n", "d/a.conf": "port 1\n", "d/b.conf": "port 2\nport x\n"}, nil, ""},
		{map[string]string{"r.conf": "port 1\nfoo bar\n"}, nil, ""},
		{map[string]string{"r.conf": "  maxmemory 10x  \r\n"}, nil, ""},
		{map[string]string{"r.conf": "port \"abc\n"}, nil, ""},
		{map[string]string{"r.conf": "port 'abc'x\n"}, nil, ""},
		{map[string]string{"r.conf": "port 1 2\n"}, nil, ""},
		{map[string]string{"r.conf": "save 0 1\n"}, nil, ""},
		{map[string]string{"r.conf": "appendonly maybe\n"}, nil, ""},
		{map[string]string{"r.conf": "dir /nonexistent-kvkit\n"}, nil, ""},
		{map[string]string{"r.conf": "dir /etc/hostname\n"}, nil, ""},
		{map[string]string{"r.conf": "my.conf\n"}, nil, ""},
		{map[string]string{"r.conf": "my.conf x y\n"}, nil, ""},
		{map[string]string{"r.conf": "sentinel monitor a b c\n"}, nil, ""},
		{map[string]string{"r.conf": "cluster-enabled yes\nreplicaof a 1\n"}, nil, ""},
		{map[string]string{"r.conf": "maxmemory-clients 101%\n"}, nil, ""},
		{map[string]string{"r.conf": "unixsocketperm 1000\n"}, nil, ""},
		{map[string]string{"r.conf": "unixsocketperm 9\n"}, nil, ""},
		{map[string]string{"r.conf": "logfile /nonexistent-kvkit/x.log\n"}, nil, ""},
		{map[string]string{"r.conf": "replicaof a\n"}, nil, ""},
		{map[string]string{"r.conf": "replicaof a 70000\n"}, nil, ""},
		{map[string]string{"r.conf": "client-output-buffer-limit normal 1 1\n"}, nil, ""},
		{map[string]string{"r.conf": "shutdown-on-sigint save nosave\n"}, nil, ""},
		{map[string]string{"r.conf": "shutdown-on-sigint \"\"\n"}, nil, ""},
		{map[string]string{"r.conf": "oom-score-adj-values 1 2\n"}, nil, ""},
		{map[string]string{"r.conf": "notify-keyspace-events Q\n"}, nil, ""},
		{map[string]string{"r.conf": "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"}, nil, ""},
		{map[string]string{"r.conf": "appendfilename \"\"\n"}, nil, ""},
		{map[string]string{"r.conf": "appenddirname a/b\n"}, nil, ""},
		{map[string]string{"r.conf": "user\n"}, nil, ""},
		{map[string]string{"r.conf": "include\n"}, nil, ""},
		{map[string]string{"r.conf": "\n\ninclude inc.conf\n", "inc.conf": "port 1\nport x\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command nosuch x\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command GET set\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command get g2\nrename-command get g3\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command get g2\nrename-command g2 g3\nrename-command set g2\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command get g2\nrename-command g2 g3\nrename-command set g2\n"}, nil, ""},
		{map[string]string{"r.conf": "rename-command config \"\"\nrename-command set config\nrename-command get set\n"}, nil, ""},
		{map[string]string{"r.conf": "port 6390\n"}, []string{"--port", "abc"}, ""},
		{map[string]string{"r.conf": ""}, []string{"--maxmemory-policy", "foo"}, ""},
		{map[string]string{"r.conf": ""}, []string{"--port", "1", "2"}, ""},
		{map[string]string{"r.conf": ""}, []string{"--nosuch", "1"}, ""},
		{map[string]string{"r.conf": ""}, []string{"--save", "x"}, ""},
		{map[string]string{"r.conf": ""}, []string{"--bind"}, ""},
	}
	commands := referenceCommands(t)
	for _, tc := range cases {
		dir := writeFiles(t, tc.files)
		// --port 0: a configuration that loads makes the server exit at
		// once ("Configured to not listen anywhere") instead of serving.
		args := append([]string{filepath.Join(dir, "r.conf"), "--port", "0"}, tc.args...)
		_, err := Load(args, Options{Dir: dir, Stdin: strings.NewReader(tc.stdin), CommandExists: func(n string) bool { return commands[strings.ToLower(n)] }})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(tc.stdin)
		out, _ := cmd.CombinedOutput()
		cancel()
		want := string(out)
		if i := strings.Index(want, "*** FATAL"); i >= 0 {
			want = strings.TrimSpace(want[i:])
		} else {
			want = "OK"
		}
		if errText(err) != want {
			t.Errorf("%q %q:\n redis: %s\n kvkit: %s", tc.files["r.conf"], tc.args, want, errText(err))
		}
	}
}

// TestCompatRewrite runs CONFIG SET and CONFIG REWRITE on both and compares
// the files. Lines after "# Generated by CONFIG REWRITE" are compared as a
// set (Redis appends them in hash-table order), and "user" lines are left
// out (Redis describes its ACL users; kvkit leaves that to the engine's
// UserLines hook).
func TestCompatRewrite(t *testing.T) {
	const file = `# Redis configuration, with comments
   # an indented comment
include %s
rename-command FLUSHALL ""
Port 1
slaveof 127.0.0.1 9999
save 100 1
save 200 2
maxmemory 1mb
hash-max-ziplist-entries 100
daemonize no
list-max-ziplist-entries 5
bind 127.0.0.1
pidfile ""
logfile ""
appendonly no
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit replica 256mb 64mb 60
client-output-buffer-limit pubsub 32mb 8mb 60
notify-keyspace-events ""
hz 10
hz 11
masterauth secret
unixsocketperm 700
maxmemory-policy volatile-lru
appendfsync always
oom-score-adj-values 0 200 800
# trailing comment


`
	sets := [][]string{
		{"maxmemory", "3000000"}, {"loglevel", "warning"}, {"requirepass", `a b"c`}, {"timeout", "0"},
		{"hz", "10"}, {"maxmemory-clients", "10%"}, {"client-output-buffer-limit", "pubsub 1mb 0 0"},
		{"notify-keyspace-events", "KEA"}, {"save", "300 10"}, {"slave-priority", "7"}, {"repl-backlog-size", "2mb"},
		{"masteruser", "x y"}, {"ignore-warnings", "ARM64-COW-BUG"}, {"latency-tracking-info-percentiles", "99"},
		{"shutdown-on-sigterm", "now"}, {"masterauth", ""}, {"bind", "* -::*"}, {"oom-score-adj", "relative"},
		{"maxmemory-policy", "noeviction"}, {"appendfsync", "everysec"},
		{"proto-max-bulk-len", "1000mb"}, {"client-query-buffer-limit", "1048577"}, {"list-compress-depth", "0"},
	}
	inc := filepath.Join(t.TempDir(), "inc.conf")
	if err := os.WriteFile(inc, []byte("port 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	content := fmt.Sprintf(file, inc)
	redisDir, ourDir := t.TempDir(), t.TempDir()
	redisFile, ourFile := filepath.Join(redisDir, "redis.conf"), filepath.Join(ourDir, "redis.conf")
	os.WriteFile(redisFile, []byte(content), 0o644)
	os.WriteFile(ourFile, []byte(content), 0o644)

	port := testutil.FreePort(t)
	s, rc := startRedis(t, port, redisFile, "--port", strconv.Itoa(port))
	c, err := Load([]string{ourFile, "--port", strconv.Itoa(port)}, Options{Dir: s.Dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range sets {
		if r := replyText(rc.do(t, append([]string{"CONFIG", "SET"}, kv...)...)); r != "OK" {
			t.Fatalf("redis CONFIG SET %q: %s", kv, r)
		}
		if err := c.Set(kv, SetEnv{}); err != nil {
			t.Fatal(err)
		}
	}
	rc.do(t, "AUTH", `a b"c`)
	for round := 1; round <= 2; round++ {
		if r := replyText(rc.do(t, "CONFIG", "REWRITE")); r != "OK" {
			t.Fatalf("redis CONFIG REWRITE: %s", r)
		}
		if err := c.Rewrite(); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(redisFile)
		got, _ := os.ReadFile(ourFile)
		wantHead, wantTail := splitRewrite(string(want))
		gotHead, gotTail := splitRewrite(string(got))
		if wantHead != gotHead || strings.Join(wantTail, "\n") != strings.Join(gotTail, "\n") {
			t.Errorf("rewrite %d:\n--- redis-server:\n%s\n--- kvkit:\n%s", round, want, got)
		}
	}
}

// splitRewrite returns a rewritten file's lines up to the signature, and
// the sorted lines after it, without "user" lines.
func splitRewrite(s string) (string, []string) {
	var head []string
	var tail []string
	inTail := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "user ") {
			continue
		}
		if inTail {
			tail = append(tail, l)
			continue
		}
		head = append(head, l)
		inTail = l == rewriteSignature
	}
	sort.Strings(tail)
	return strings.Join(head, "\n"), tail
}

// TestCompatSplitArgs checks SplitArgs against Redis's own sdssplitargs, as
// redis-cli uses it to split the lines it reads: each case is sent as
// "ECHO <case>" and the echoed argument (or redis-cli's "Invalid
// argument(s)") compared.
func TestCompatSplitArgs(t *testing.T) {
	cases := []string{
		`plain`, `"double quoted"`, `'single quoted'`, `"\n\r\t\b\a\\\"\q"`, `"\x41\x4a\x4Z\x"`,
		`'it\'s \n'`, `a"b"`, `"abc`, `'abc`, `"a"b`, `'a'b`, `"a\`, `""`, `''`, `"\xff\x00z"`,
		`"tab	inside"`, "x\vy", `"é"`, `"a\"`, `a'b'"c"`,
	}
	s := testutil.StartRedis(t)
	const sep = "~sep~"
	var in strings.Builder
	var sent []string
	for _, c := range cases {
		args, err := SplitArgs(c)
		if err == nil && len(args) != 1 {
			t.Fatalf("case %q splits into %d arguments; ECHO takes one", c, len(args))
		}
		sent = append(sent, c)
		fmt.Fprintf(&in, "ECHO %s\nECHO %s\n", c, sep)
	}
	host, port, _ := net.SplitHostPort(s.Addr())
	cmd := exec.Command(testutil.Program(t, "redis-cli"), "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-cli: %v\n%s", err, out)
	}
	chunks := strings.Split(string(out), sep+"\n")
	if len(chunks) != len(sent)+1 {
		t.Fatalf("redis-cli gave %d replies for %d cases:\n%q", len(chunks)-1, len(sent), out)
	}
	for i, c := range sent {
		want := chunks[i]
		args, err := SplitArgs("ECHO " + c)
		got := "Invalid argument(s)\n"
		if err == nil {
			got = args[1] + "\n"
		}
		if got != want {
			t.Errorf("SplitArgs(%q): redis-cli echoes %q, kvkit %q", c, want, got)
		}
	}
}

// referenceCommands returns the names of Redis 7.0's commands, from
// COMMAND's output.
func referenceCommands(t *testing.T) map[string]bool {
	data, err := os.ReadFile(filepath.Join(referenceDir, "command.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds [][]any
	if err := json.Unmarshal(data, &cmds); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range cmds {
		names[c[0].(string)] = true
	}
	return names
}

// TestCompatProtectedConfigs sets protected directives on a server that
// allows it.
func TestCompatProtectedConfigs(t *testing.T) {
	s := testutil.StartRedis(t, "--enable-protected-configs", "yes")
	rc := dialRedis(t, s.Addr())
	c, err := Load([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--enable-protected-configs", "yes"}, Options{Dir: s.Dir})
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(s.Dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(s.Dir, "file"), nil, 0o644)
	for _, args := range [][]string{
		{"dir", "/nonexistent-kvkit"}, {"dir", filepath.Join(s.Dir, "file")}, {"dir", "sub"}, {"dir", ".."},
		{"dir", s.Dir}, {"dbfilename", "a/b"}, {"dbfilename", `a\b`}, {"dbfilename", "x.rdb"}, {"dbfilename", ""},
	} {
		want := replyText(rc.do(t, append([]string{"CONFIG", "SET"}, args...)...))
		got := errText(c.Set(args, SetEnv{Local: true}))
		if got != want {
			t.Errorf("CONFIG SET %q:\n redis: %s\n kvkit: %s", args, want, got)
		}
		compareMaps(t, fmt.Sprintf("after CONFIG SET %q", args), configMap(t, rc.do(t, "CONFIG", "GET", args[0])), pairs(c.Get(args[:1])))
	}
}

// TestCompatRewriteStock rewrites Debian's stock redis.conf (made to run in
// a temporary directory) after a few CONFIG SETs, with both.
func TestCompatRewriteStock(t *testing.T) {
	stock, err := os.ReadFile(filepath.Join(referenceDir, "redis.conf"))
	if err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	dataDir := t.TempDir()
	text := string(stock)
	for old, repl := range map[string]string{
		"\ndaemonize yes\n":                           "\ndaemonize no\n",
		"\npidfile /run/redis/redis-server.pid\n":     "\npidfile \"\"\n",
		"\nlogfile /var/log/redis/redis-server.log\n": "\nlogfile \"\"\n",
		"\ndir /var/lib/redis\n":                      "\ndir " + dataDir + "\n",
		"\nport 6379\n":                               "\nport " + strconv.Itoa(port) + "\n",
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("stock redis.conf has no %q", old)
		}
		text = strings.Replace(text, old, repl, 1)
	}
	redisFile, ourFile := filepath.Join(t.TempDir(), "redis.conf"), filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(redisFile, []byte(text), 0o644)
	os.WriteFile(ourFile, []byte(text), 0o644)
	_, rc := startRedis(t, port, redisFile)
	c, err := Load([]string{ourFile}, Options{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][]string{
		{"maxmemory", "100mb"}, {"maxmemory-policy", "allkeys-lru"}, {"save", ""}, {"bind", "127.0.0.1"},
		{"client-output-buffer-limit", "normal 0 0 0 replica 512mb 128mb 120"}, {"hz", "20"}, {"appendfsync", "always"},
		{"slowlog-max-len", "128"}, {"list-max-listpack-size", "-3"}, {"tcp-keepalive", "60"},
		{"oom-score-adj-values", "0 200 800"}, {"repl-backlog-size", "1000"},
	} {
		if r := replyText(rc.do(t, append([]string{"CONFIG", "SET"}, kv...)...)); r != "OK" {
			t.Fatalf("redis CONFIG SET %q: %s", kv, r)
		}
		if err := c.Set(kv, SetEnv{}); err != nil {
			t.Fatal(err)
		}
	}
	if r := replyText(rc.do(t, "CONFIG", "REWRITE")); r != "OK" {
		t.Fatalf("redis CONFIG REWRITE: %s", r)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(redisFile)
	got, _ := os.ReadFile(ourFile)
	wantHead, wantTail := splitRewrite(string(want))
	gotHead, gotTail := splitRewrite(string(got))
	if wantHead != gotHead {
		wl, gl := strings.Split(wantHead, "\n"), strings.Split(gotHead, "\n")
		for i := 0; i < len(wl) && i < len(gl); i++ {
			if wl[i] != gl[i] {
				t.Errorf("rewritten stock file, line %d:\n redis: %q\n kvkit: %q", i+1, wl[i], gl[i])
				break
			}
		}
		if len(wl) != len(gl) {
			t.Errorf("rewritten stock file: redis %d lines, kvkit %d", len(wl), len(gl))
		}
	}
	if strings.Join(wantTail, "\n") != strings.Join(gotTail, "\n") {
		t.Errorf("appended lines:\n redis: %q\n kvkit: %q", wantTail, gotTail)
	}
}

// TestCompatConfigSetSweep sets every directive to a list of good and bad
// values of every type, on redis-server and on Config, and compares the
// replies and the values read back. Directives whose apply step depends on
// the machine or would cut the test's own connection are left to the
// hand-written cases of TestCompatConfigSet.
func TestCompatConfigSetSweep(t *testing.T) {
	skip := map[string]bool{
		"port": true, "bind": true, "appendonly": true, "maxclients": true, "oom-score-adj": true,
		"client-output-buffer-limit": true, "maxmemory-clients": true, "watchdog-period": true,
		"rdb-compression-lz4": true, // kvkit's own: Redis does not know it
	}
	values := []string{"yes", "no", "YES", "0", "1", "-1", "+1", "01", "-0", "abc", "", " ", "1k", "1kb", "1mb", "1GB",
		"10%", "100%", "101%", "-1%", "0777", "777", "8", "65535", "65536", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
		"18446744073709551615", "a b", "1 2", "1 2 3", "60 10 3600 1", "KEA", "Q", "{title}", "noeviction",
		"local", "default", "save now", "1.5", "1e2"}
	s := testutil.StartRedis(t)
	rc := dialRedis(t, s.Addr())
	c, err := Load([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"}, Options{Dir: s.Dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range directives {
		if skip[d.Name] || strings.HasPrefix(d.Name, "tls-") {
			continue
		}
		for _, v := range append(values, d.Default) {
			args := []string{d.Name, v}
			want := replyText(rc.do(t, "CONFIG", "SET", d.Name, v))
			got := errText(c.Set(args, SetEnv{Local: true}))
			if got != want {
				t.Errorf("CONFIG SET %q:\n redis: %s\n kvkit: %s", args, want, got)
			}
			rv := configMap(t, rc.do(t, "CONFIG", "GET", d.Name))[d.Name]
			if ov := get(c, d.Name); ov != rv {
				t.Errorf("after CONFIG SET %q: redis %q, kvkit %q", args, rv, ov)
			}
		}
	}
	compareMaps(t, "CONFIG GET * at the end", configMap(t, rc.do(t, "CONFIG", "GET", "*")), pairs(c.Get([]string{"*"})))
}
