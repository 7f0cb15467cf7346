package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles creates files (name -> content) under a new temporary
// directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, dir string, args ...string) *Config {
	t.Helper()
	c, err := Load(args, Options{Dir: dir})
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return c
}

func get(c *Config, name string) string {
	r := c.Get([]string{name})
	if len(r) != 2 {
		return "<missing>"
	}
	return r[1]
}

func TestLoadTypes(t *testing.T) {
	dir := writeFiles(t, map[string]string{"r.conf": `
# a comment
   # an indented comment
Port 7000
maxmemory 1GB
maxmemory-policy ALLKEYS-LRU
appendonly YES
timeout 30
hash-max-ziplist-entries 100
slaveof 10.0.0.1 6380
save 3600 1 300 100
save 60 10000
client-output-buffer-limit normal 1mb 2k 3 pubsub 0 0 0
maxmemory-clients 10%
unixsocketperm 700
notify-keyspace-events KEA
bind 127.0.0.1 ::1
oom-score-adj relative
shutdown-on-sigterm now save
latency-tracking-info-percentiles 1.5 99
requirepass "a b\"c"
list-max-ziplist-entries 5
`})
	c := mustLoad(t, dir, "r.conf")
	v := &c.Values
	if v.Port != 7000 || v.Maxmemory != 1<<30 || v.MaxmemoryPolicy != "allkeys-lru" || !v.Appendonly ||
		v.Timeout != 30*time.Second || v.HashMaxListpackEntries != 100 || v.Replicaof != (ReplicaOf{"10.0.0.1", 6380}) ||
		v.MaxmemoryClients != -10 || v.Unixsocketperm != 0o700 || v.Requirepass != `a b"c` || v.OomScoreAdj != "yes" ||
		v.ShutdownOnSigterm != "save now" || v.NotifyKeyspaceEvents != NotifyAll|NotifyKeyspace|NotifyKeyevent {
		t.Errorf("values: %+v", v)
	}
	if want := []SavePoint{{3600, 1}, {300, 100}, {60, 10000}}; !reflect.DeepEqual(v.Save, want) {
		t.Errorf("save = %v, want %v", v.Save, want)
	}
	if want := [3]OutputBufferLimit{{1 << 20, 2000, 3}, {256 << 20, 64 << 20, 60}, {}}; v.ClientOutputBufferLimit != want {
		t.Errorf("client-output-buffer-limit = %v", v.ClientOutputBufferLimit)
	}
	for name, want := range map[string]string{
		"maxmemory-clients": "10%", "unixsocketperm": "700", "notify-keyspace-events": "AKE",
		"bind": "127.0.0.1 ::1", "save": "3600 1 300 100 60 10000", "slaveof": "10.0.0.1 6380",
		"client-output-buffer-limit":        "normal 1048576 2000 3 slave 268435456 67108864 60 pubsub 0 0 0",
		"latency-tracking-info-percentiles": "1.5 99", "timeout": "30", "hash-max-ziplist-entries": "100",
	} {
		if got := get(c, name); got != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
		}
	}
	if c.File != filepath.Join(dir, "r.conf") {
		t.Errorf("File = %q", c.File)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		conf, args string
		line       int
		text       string
		reason     string
	}{
		{"port 1\nfoo bar\n", "", 2, "foo bar", "Bad directive or wrong number of arguments"},
		{"  maxmemory 10x  \n", "", 1, "maxmemory 10x", "argument must be a memory value"},
		{"port \"abc\n", "", 1, `port "abc`, "Unbalanced quotes in configuration line"},
		{"port 1 2\n", "", 1, "port 1 2", "wrong number of arguments"},
		{"port\n", "", 1, "port", "wrong number of arguments"},
		{"port 6390\n", "--port abc", 3, `port "abc"`, "argument couldn't be parsed into an integer"},
		{"", "--maxmemory-policy foo", 2, `maxmemory-policy "foo"`, "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{"save 0 1\n", "", 1, "save 0 1", "Invalid save parameters"},
		{"appendonly maybe\n", "", 1, "appendonly maybe", "argument must be 'yes' or 'no'"},
		{"dir /nonexistent-kvkit\n", "", 1, "dir /nonexistent-kvkit", "No such file or directory"},
		{"my.conf\n", "", 1, "my.conf", "Module config specified without value"},
		{"sentinel monitor a b c\n", "", 1, "sentinel monitor a b c", "sentinel directive while not in sentinel mode"},
		{"cluster-enabled yes\nreplicaof a 1\n", "", 0, "", "replicaof directive not allowed in cluster mode"},
		{"maxmemory-clients 101%\n", "", 1, "maxmemory-clients 101%", "percentage argument must be less or equal to 100"},
		{"unixsocketperm 1000\n", "", 1, "unixsocketperm 1000", "argument must be between 0 and 777 inclusive"},
		{"logfile /nonexistent-kvkit/x.log\n", "", 0, "", "Can't open the log file: No such file or directory"},
	}
	for _, c := range cases {
		dir := writeFiles(t, map[string]string{"r.conf": c.conf})
		args := append([]string{"r.conf"}, strings.Fields(c.args)...)
		_, err := Load(args, Options{Dir: dir})
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%q %s: error %v, want a FileError", c.conf, c.args, err)
			continue
		}
		if fe.Line != c.line || fe.Text != c.text || fe.Reason != c.reason {
			t.Errorf("%q %s: got line %d %q %q; want line %d %q %q", c.conf, c.args, fe.Line, fe.Text, fe.Reason, c.line, c.text, c.reason)
		}
	}
	// The text is Redis's.
	dir := writeFiles(t, map[string]string{"r.conf": "port 1\nfoo bar\n"})
	_, err := Load([]string{"r.conf"}, Options{Dir: dir})
	want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n%v\nwant:\n%s", err, want)
	}
	if fe := err.(*FileError); fe.File != filepath.Join(dir, "r.conf") {
		t.Errorf("File = %q", fe.File)
	}
	_, err = Load([]string{"r.conf", "--foo", "1"}, Options{Dir: dir})
	if fe := err.(*FileError); fe.File != filepath.Join(dir, "r.conf") || fe.Line != 2 {
		t.Errorf("File = %q line %d", fe.File, fe.Line)
	}
	dir = writeFiles(t, map[string]string{"r.conf": "port 1\n"})
	_, err = Load([]string{"r.conf", "--foo", "1"}, Options{Dir: dir})
	if fe := err.(*FileError); fe.File != "(command line)" || fe.Line != 3 || fe.Text != `foo "1"` {
		t.Errorf("File = %q line %d text %q", fe.File, fe.Line, fe.Text)
	}
	_, err = Load([]string{"missing.conf"}, Options{Dir: dir})
	if want := "Fatal error, can't open config file '" + filepath.Join(dir, "missing.conf") + "': No such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v", err)
	}
}

func TestInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.conf":     "port 1000\ninclude sub/a.conf\ninclude conf.d/*.conf\ninclude empty.d/*.conf\ndir sub\ninclude b.conf\n",
		"sub/a.conf":    "port 1001\ninclude sub/c.conf\n", // relative to the server's directory, not to a.conf
		"sub/c.conf":    "maxmemory 1mb\n",
		"sub/b.conf":    "timeout 7\n", // after "dir sub", relative to sub
		"conf.d/1.conf": "databases 3\n",
		"conf.d/2.conf": "databases 4\n",
	})
	os.Mkdir(filepath.Join(dir, "empty.d"), 0o755)
	c := mustLoad(t, dir, "main.conf")
	v := c.Values
	if v.Port != 1001 || v.Maxmemory != 1<<20 || v.Databases != 4 || v.Timeout != 7*time.Second || v.Dir != filepath.Join(dir, "sub") {
		t.Errorf("port %d maxmemory %d databases %d timeout %v dir %s", v.Port, v.Maxmemory, v.Databases, v.Timeout, v.Dir)
	}
	// An error inside an included file gives its line.
	dir = writeFiles(t, map[string]string{"main.conf": "\n\ninclude inc.conf\n", "inc.conf": "port 1\nport x\n"})
	_, err := Load([]string{"main.conf"}, Options{Dir: dir})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || fe.File != filepath.Join(dir, "inc.conf") {
		t.Errorf("error in include: %#v", err)
	}
	// A file that includes itself fails instead of recursing for ever.
	dir = writeFiles(t, map[string]string{"main.conf": "include main.conf\n"})
	if _, err := Load([]string{"main.conf"}, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "Too many nested includes") {
		t.Errorf("self include: %v", err)
	}
}

func TestSaveLines(t *testing.T) {
	cases := []struct {
		conf string
		args []string
		want string
	}{
		{"", nil, "3600 1 300 100 60 10000"},
		{"save 10 1\nsave 20 2\n", nil, "10 1 20 2"},
		{`save ""` + "\n", nil, ""},
		{"save 10 1 20 2\n", nil, "10 1 20 2"},
		{"save 10 1\n", []string{"--save", "30", "3"}, "10 1 30 3"},
		{"", []string{"--save", ""}, ""},
		{"", []string{"--save"}, ""},
		{"", []string{"--save", "--port", "1"}, ""},
		{"", []string{"--save", "30 3"}, "30 3"},
		// Redis clears reading_config_file after an include: each later
		// "save" line replaces the previous ones.
		{"include empty.conf\nsave 10 1\nsave 20 2\n", nil, "20 2"},
	}
	for _, c := range cases {
		dir := writeFiles(t, map[string]string{"r.conf": c.conf, "empty.conf": ""})
		cfg := mustLoad(t, dir, append([]string{"r.conf"}, c.args...)...)
		if got := get(cfg, "save"); got != c.want {
			t.Errorf("%q %q: save = %q, want %q", c.conf, c.args, got, c.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args    []string
		file    string
		stdin   bool
		options string
	}{
		{[]string{"r.conf"}, "r.conf", false, ""},
		{[]string{"--port", "7000"}, "", false, `port "7000" `},
		{[]string{"--port 7000", "--save", ""}, "", false, "port 7000 \nsave \"\" "},
		{[]string{"--save", "--port", "1"}, "", false, "save \"\"\nport \"1\" "},
		{[]string{"--save"}, "", false, `save ""`},
		{[]string{"--bind", "a", "b", "--port", "1"}, "", false, "bind \"a\" \"b\" \nport \"1\" "},
		{[]string{"--sentinel", "--port", "1"}, "", false, "sentinel \nport \"1\" "},
		{[]string{"--requirepass", "--x"}, "", false, `requirepass "--x" `}, // a value may start with --
		{[]string{"r.conf", "-"}, "r.conf", true, ""},
		{[]string{"-", "--port", "1"}, "", true, `port "1" `},
		{[]string{"--port", "-", "1"}, "", false, `port "-" "1" `},
	}
	for _, c := range cases {
		file, stdin, options := ParseArgs(c.args)
		if file != c.file || stdin != c.stdin || options != c.options {
			t.Errorf("ParseArgs(%q) = %q, %v, %q; want %q, %v, %q", c.args, file, stdin, options, c.file, c.stdin, c.options)
		}
	}
	c, err := Load([]string{"-", "--port", "1"}, Options{Dir: t.TempDir(), Stdin: strings.NewReader("port 2\ntimeout 5\n")})
	if err != nil || c.Values.Port != 1 || c.Values.Timeout != 5*time.Second || c.File != "" {
		t.Errorf("stdin: %v %+v", err, c)
	}
}

func TestLoadStockRedisConf(t *testing.T) {
	dir := t.TempDir()
	c, err := Load([]string{"/work/shared/reference/redis-7.0/redis.conf", "--logfile", "", "--dir", dir}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if c.Values.Port != 6379 || !reflect.DeepEqual(c.Values.Bind, []string{"127.0.0.1", "-::1"}) || c.Values.Pidfile != "/run/redis/redis-server.pid" {
		t.Errorf("stock redis.conf: %+v", c.Values)
	}
	if u := c.Unsupported(); len(u) != 0 {
		t.Errorf("Unsupported() = %q; the stock file sets only defaults and implemented directives", u)
	}
}

func TestUnsupported(t *testing.T) {
	dir := writeFiles(t, map[string]string{"r.conf": "port 1\nrepl-diskless-sync yes\nrepl-diskless-sync no\nio-threads 4\nlatency-tracking no\nrename-command FLUSHALL \"\"\nslave-read-only yes\n"})
	c := mustLoad(t, dir, "r.conf")
	if got, want := c.Unsupported(), []string{"repl-diskless-sync", "latency-tracking", "rename-command"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unsupported() = %q, want %q", got, want)
	}
}

func TestRenameCommand(t *testing.T) {
	known := map[string]bool{"flushall": true, "get": true, "set": true}
	opt := func(dir string) Options {
		return Options{Dir: dir, CommandExists: func(n string) bool { return known[strings.ToLower(n)] }}
	}
	for conf, want := range map[string]string{
		"rename-command nosuch x\n":                                             "No such command in rename-command",
		"rename-command GET set\n":                                              "Target command name already exists",
		"rename-command get g2\nrename-command get g3\n":                        "No such command in rename-command",
		"rename-command get g2\nrename-command set g2\n":                        "Target command name already exists",
		"rename-command get \"\"\nrename-command set get\n":                     "",
		"rename-command FLUSHALL \"\"\nrename-command flushall x\n":             "No such command in rename-command",
		"rename-command get g2\nrename-command g2 g3\nrename-command g3 \"\"\n": "",
	} {
		dir := writeFiles(t, map[string]string{"r.conf": conf})
		_, err := Load([]string{"r.conf"}, opt(dir))
		got := ""
		if fe, ok := err.(*FileError); ok {
			got = fe.Reason
		} else if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%q: %q, want %q", conf, got, want)
		}
	}
	dir := writeFiles(t, map[string]string{"r.conf": "rename-command get g2\nrename-command set \"\"\n"})
	c, err := Load([]string{"r.conf"}, opt(dir))
	if err != nil || !reflect.DeepEqual(c.Renames, []Rename{{"get", "g2"}, {"set", ""}}) {
		t.Errorf("Renames = %v, %v", c.Renames, err)
	}
}

func TestLoadStockSentinelConf(t *testing.T) {
	dir := t.TempDir()
	args := []string{filepath.Join(referenceDir, "sentinel.conf"), "--logfile", ""}
	c, err := Load(args, Options{Dir: dir, Sentinel: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sentinel) == 0 || c.Sentinel[0][0] == "" {
		t.Errorf("no sentinel directives: %q", c.Sentinel)
	}
	if _, err := Load(args, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "sentinel directive while not in sentinel mode") {
		t.Errorf("sentinel.conf outside sentinel mode: %v", err)
	}
}
