package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestGetPatterns(t *testing.T) {
	c := Default()
	all := c.Get([]string{"*"})
	names := map[string]bool{}
	for i := 0; i < len(all); i += 2 {
		if names[all[i]] {
			t.Errorf("CONFIG GET * repeats %s", all[i])
		}
		names[all[i]] = true
	}
	if !names["slaveof"] || !names["replicaof"] || names["use-exit-on-panic"] {
		t.Errorf("CONFIG GET * should hold aliases and no hidden directive")
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"PORT"}, []string{"PORT", "6379"}},
		{[]string{"port", "PORT", "p?rt"}, []string{"port", "6379"}},
		{[]string{"use-exit-on-panic"}, []string{"use-exit-on-panic", "no"}},
		{[]string{"nosuch"}, nil},
		{[]string{"maxmemory*", "maxmemory"}, []string{"maxmemory", "0", "maxmemory-policy", "noeviction", "maxmemory-samples", "5", "maxmemory-eviction-tenacity", "10", "maxmemory-clients", "0"}},
		{[]string{"slave-read-only", "*read-only"}, []string{"slave-read-only", "yes", "replica-read-only", "yes"}},
	}
	for _, tc := range cases {
		if got := c.Get(tc.args); !reflect.DeepEqual(pairs(got), pairs(tc.want)) {
			t.Errorf("Get(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func pairs(r []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(r); i += 2 {
		m[r[i]] = r[i+1]
	}
	return m
}

func TestSetErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  SetEnv
		want string
	}{
		{[]string{"maxmemory"}, SetEnv{}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"maxmemory", "1", "port"}, SetEnv{}, "ERR syntax error"},
		{[]string{"foo", "1"}, SetEnv{}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"foo", "1", "daemonize", "yes"}, SetEnv{}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"daemonize", "yes", "foo", "1"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{[]string{"DAEMONIZE", "yes"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"},
		{[]string{"dir", "/tmp"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
		{[]string{"appendonly", "yes"}, SetEnv{Loading: true}, "LOADING Redis is loading the dataset in memory"},
		{[]string{"maxmemory", "1", "MAXMEMORY", "2"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"},
		{[]string{"MAXMEMORY", "x"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{[]string{"LUA-TIME-LIMIT", "x"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'lua-time-limit') - argument couldn't be parsed into an integer"},
		{[]string{"port", "70000"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive"},
		{[]string{"maxclients", "-1"}, SetEnv{}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
	}
	for _, tc := range cases {
		c := Default()
		before := c.Values
		err := c.Set(tc.args, tc.env)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Set(%q) = %v, want %s", tc.args, err, tc.want)
		}
		if !reflect.DeepEqual(before, c.Values) {
			t.Errorf("Set(%q) failed but changed values", tc.args)
		}
	}
}

func TestSetAtomicAndHooks(t *testing.T) {
	c := Default()
	// The second value is bad: the first is not kept.
	if err := c.Set([]string{"maxmemory", "1mb", "maxmemory-policy", "bad"}, SetEnv{}); err == nil {
		t.Fatal("no error")
	}
	if c.Values.Maxmemory != 0 {
		t.Errorf("maxmemory = %d after a failed SET", c.Values.Maxmemory)
	}
	var calls []string
	c.OnApply("maxmemory", func(c *Config) error {
		calls = append(calls, "maxmemory="+get(c, "maxmemory"))
		return nil
	})
	c.OnApply("port", func(c *Config) error {
		calls = append(calls, "port="+get(c, "port"))
		if c.Values.Port == 1 {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	if err := c.Set([]string{"maxmemory", "2mb", "port", "7000", "timeout", "5"}, SetEnv{}); err != nil {
		t.Fatal(err)
	}
	if c.Values.Maxmemory != 2<<20 || c.Values.Port != 7000 || strings.Join(calls, ",") != "maxmemory=2097152,port=7000" {
		t.Errorf("after SET: %d %d %q", c.Values.Maxmemory, c.Values.Port, calls)
	}
	// An unchanged value does not run its hook.
	calls = nil
	if err := c.Set([]string{"port", "7000"}, SetEnv{}); err != nil || calls != nil {
		t.Errorf("unchanged: %v %q", err, calls)
	}
	// A failing hook rolls everything back and re-applies the old values.
	calls = nil
	err := c.Set([]string{"maxmemory", "3mb", "port", "1"}, SetEnv{})
	want := "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
	if err == nil || err.Error() != want {
		t.Errorf("hook failure: %v", err)
	}
	if c.Values.Maxmemory != 2<<20 || c.Values.Port != 7000 {
		t.Errorf("not rolled back: %d %d", c.Values.Maxmemory, c.Values.Port)
	}
	if got := strings.Join(calls, ","); got != "maxmemory=3145728,port=1,maxmemory=2097152,port=7000" {
		t.Errorf("hook calls: %s", got)
	}
}

func TestSetValues(t *testing.T) {
	c := Default()
	set := func(args ...string) {
		t.Helper()
		if err := c.Set(args, SetEnv{}); err != nil {
			t.Fatalf("Set(%q): %v", args, err)
		}
	}
	set("save", "", "bind", "", "hz", "1000", "maxmemory-clients", "5%")
	set("client-output-buffer-limit", "replica 1gb 2mb 3", "oom-score-adj", "relative", "shutdown-on-sigint", "force now")
	for name, want := range map[string]string{
		"save": "", "bind": "", "hz": "500", "maxmemory-clients": "5%", "oom-score-adj": "yes",
		"shutdown-on-sigint":         "now force",
		"client-output-buffer-limit": "normal 0 0 0 slave 1073741824 2097152 3 pubsub 33554432 8388608 60",
	} {
		if got := get(c, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if c.Values.Save == nil || len(c.Values.Save) != 0 || len(c.Values.Bind) != 0 {
		t.Errorf("save %v bind %v", c.Values.Save, c.Values.Bind)
	}
	// Enabling protected configs lets local clients set dir.
	c.Values.EnableProtectedConfigs = "local"
	dir := t.TempDir()
	if err := c.Set([]string{"dir", dir}, SetEnv{Local: false}); err == nil {
		t.Error("dir set by a remote client")
	}
	if err := c.Set([]string{"dir", dir}, SetEnv{Local: true}); err != nil || c.Values.Dir != dir {
		t.Errorf("dir: %v %s", err, c.Values.Dir)
	}
}

// FuzzConfigSet sets any value on any directive: never a panic, and a value
// that was accepted reads back (CONFIG GET) as something that sets the same
// value again.
func FuzzConfigSet(f *testing.F) {
	for i, v := range []string{"1", "yes", "1mb", "10%", "3600 1 300 100", "normal 1 2 3", "KEA", "-1", "", "0777", "save now"} {
		f.Add(uint16(i*7), v)
	}
	f.Fuzz(func(t *testing.T, idx uint16, value string) {
		d := directives[int(idx)%len(directives)]
		if d.Name == "dir" {
			return // touches the file system
		}
		c := Default()
		if err := c.Set([]string{d.Name, value}, SetEnv{Local: true}); err != nil {
			return
		}
		first := get(c, d.Name)
		if err := c.Set([]string{d.Name, first}, SetEnv{Local: true}); err != nil {
			t.Fatalf("%s: %q was accepted, its GET form %q is not: %v", d.Name, value, first, err)
		}
		if again := get(c, d.Name); again != first {
			t.Fatalf("%s: %q reads back as %q, then %q", d.Name, value, first, again)
		}
	})
}
