package compat

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kvkit/kvkit/internal/testutil"
)

// goredisLog runs commands through a go-redis client and records each
// command's text and result (go-redis's own rendering of the reply it
// parsed), to be compared between servers.
type goredisLog struct {
	lines []string
}

func (l *goredisLog) add(cmd redis.Cmder) {
	l.lines = append(l.lines, cmd.String())
}

// compareLogs fails when the two servers' logs differ.
func compareLogs(t *testing.T, what string, kv, rd []string) {
	t.Helper()
	for i := 0; i < max(len(kv), len(rd)); i++ {
		var a, b string
		if i < len(kv) {
			a = kv[i]
		}
		if i < len(rd) {
			b = rd[i]
		}
		if a != b {
			t.Errorf("%s, step %d:\n  kv-server:    %s\n  redis-server: %s", what, i+1, a, b)
		}
	}
}

// goredisScenario is the same work done through go-redis on each server.
func goredisScenario(ctx context.Context, t *testing.T, rdb *redis.Client) []string {
	var l goredisLog
	l.add(rdb.FlushDB(ctx))
	// Strings.
	l.add(rdb.Set(ctx, "s", "hello", 0))
	l.add(rdb.Get(ctx, "s"))
	l.add(rdb.Get(ctx, "missing"))
	l.add(rdb.Append(ctx, "s", " world"))
	l.add(rdb.StrLen(ctx, "s"))
	l.add(rdb.GetRange(ctx, "s", 2, -3))
	l.add(rdb.SetRange(ctx, "s", 6, "W"))
	l.add(rdb.SetNX(ctx, "s", "x", 0))
	l.add(rdb.SetNX(ctx, "new", "x", 0))
	l.add(rdb.GetSet(ctx, "new", "y"))
	l.add(rdb.GetDel(ctx, "new"))
	l.add(rdb.MSet(ctx, "a", "1", "b", "2"))
	l.add(rdb.MGet(ctx, "a", "missing", "b"))
	l.add(rdb.MSetNX(ctx, "a", "3", "c", "4"))
	l.add(rdb.Incr(ctx, "n"))
	l.add(rdb.IncrBy(ctx, "n", 41))
	l.add(rdb.Decr(ctx, "n"))
	l.add(rdb.IncrByFloat(ctx, "f", 1.5))
	l.add(rdb.Incr(ctx, "s"))
	l.add(rdb.Set(ctx, "bin", "a\x00\r\n\xff", 0))
	l.add(rdb.Get(ctx, "bin"))
	// Keys.
	l.add(rdb.Exists(ctx, "a", "b", "missing"))
	l.add(rdb.Type(ctx, "a"))
	l.add(rdb.Rename(ctx, "a", "a2"))
	l.add(rdb.RenameNX(ctx, "a2", "b"))
	l.add(rdb.Del(ctx, "b", "missing"))
	l.add(rdb.DBSize(ctx))
	keys := rdb.Keys(ctx, "*")
	sort.Strings(keys.Val())
	l.add(keys)
	// Expiry.
	l.add(rdb.Set(ctx, "e", "v", 100*time.Second))
	l.add(rdb.TTL(ctx, "e"))
	l.add(rdb.Expire(ctx, "e", 200*time.Second))
	l.add(rdb.TTL(ctx, "e"))
	l.add(rdb.Persist(ctx, "e"))
	l.add(rdb.TTL(ctx, "e"))
	l.add(rdb.TTL(ctx, "missing"))
	l.add(rdb.ExpireAt(ctx, "e", time.Unix(1, 0)))
	l.add(rdb.Exists(ctx, "e"))
	l.add(rdb.Set(ctx, "short", "v", 50*time.Millisecond))
	gone := false
	for deadline := time.Now().Add(5 * time.Second); !gone && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		gone = rdb.Exists(ctx, "short").Val() == 0
	}
	l.lines = append(l.lines, fmt.Sprintf("short-lived key expired: %v", gone))
	// A pipeline of many commands in one write.
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 300; i++ {
			p.Set(ctx, fmt.Sprintf("p%d", i%20), i, 0)
			p.Incr(ctx, "counter")
			p.Get(ctx, fmt.Sprintf("p%d", (i*7)%20))
		}
		p.Incr(ctx, "s") // an error inside the pipeline
		p.Get(ctx, "counter")
		return nil
	})
	l.lines = append(l.lines, fmt.Sprintf("pipeline: %d commands, error %v", len(cmds), err))
	for _, c := range cmds {
		l.add(c)
	}
	// Server replies that differ between RESP2 and RESP3.
	l.add(rdb.ConfigGet(ctx, "maxmemory"))
	l.add(rdb.Do(ctx, "CONFIG", "GET", "maxmemory"))
	l.add(rdb.Echo(ctx, "hi"))
	l.add(rdb.Ping(ctx))
	l.add(rdb.ClientGetName(ctx))
	l.add(rdb.Do(ctx, "NOSUCH"))
	return l.lines
}

// TestGoRedis runs go-redis v9 against kv-server and redis-server in RESP2
// and RESP3 and compares what the client parsed; it also checks the
// connection handshake (HELLO, CLIENT SETNAME and SELECT from the
// options).
func TestGoRedis(t *testing.T) {
	p := startPair(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			var logs [2][]string
			for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
				rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DB: 2,
					ClientName: "kvkit-test", PoolSize: 2})
				defer rdb.Close()
				logs[i] = goredisScenario(ctx, t, rdb)
				info, err := rdb.ClientInfo(ctx).Result()
				if err != nil {
					t.Fatalf("%s: CLIENT INFO through go-redis: %v", addr, err)
				}
				logs[i] = append(logs[i], fmt.Sprintf("handshake: name=%s db=%d resp=%d user=%s flags=%v",
					info.Name, info.DB, info.Resp, info.User, info.Flags))
			}
			compareLogs(t, fmt.Sprintf("go-redis RESP%d", proto), logs[0], logs[1])
		})
	}
}

// TestGoRedisAuth connects go-redis with a password, which it sends with
// HELLO (or AUTH after a failed HELLO), and without one.
func TestGoRedisAuth(t *testing.T) {
	p := startPair(t, "--requirepass", "secret")
	ctx := context.Background()
	var logs [2][]string
	for i, addr := range []string{p.kv.Addr(), p.redis.Addr()} {
		for _, proto := range []int{2, 3} {
			for _, pass := range []string{"secret", "wrong", ""} {
				rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, Password: pass,
					ClientName: "app", PoolSize: 1, MaxRetries: -1})
				err := rdb.Ping(ctx).Err()
				var re redis.Error
				kind := "ok"
				if err != nil {
					kind = "other error"
					if errors.As(err, &re) {
						kind = "redis error " + strings.SplitN(err.Error(), " ", 2)[0]
					}
				}
				logs[i] = append(logs[i], fmt.Sprintf("RESP%d password %q: PING: %s", proto, pass, kind))
				rdb.Close()
			}
		}
	}
	compareLogs(t, "go-redis with requirepass", logs[0], logs[1])
}

// TestRedisCLI compares redis-cli's output against both servers, raw (as
// when piped) and with --no-raw, in RESP2 and RESP3.
func TestRedisCLI(t *testing.T) {
	p := startPair(t)
	runs := [][]string{
		{"SET", "k", "v"},
		{"GET", "k"},
		{"GET", "missing"},
		{"INCR", "n"},
		{"MGET", "k", "missing", "n"},
		{"--no-raw", "GET", "k"},
		{"--no-raw", "GET", "missing"},
		{"--no-raw", "INCR", "n"},
		{"--no-raw", "MGET", "k", "missing", "n"},
		{"--no-raw", "SET", "bin", "a\x01b\"c"},
		{"--no-raw", "GET", "bin"},
		{"GET", "bin"},
		{"--no-raw", "NOSUCH", "x"},
		{"NOSUCH"},
		{"--no-raw", "CONFIG", "GET", "maxmemory"},
		{"-3", "--no-raw", "CONFIG", "GET", "maxmemory"},
		{"-3", "--no-raw", "GET", "missing"},
		{"-3", "--no-raw", "INCRBYFLOAT", "f", "1.5"},
		{"--no-raw", "PING"},
		{"-n", "3", "--no-raw", "SET", "in3", "x"},
		{"-n", "3", "GET", "in3"},
		{"--no-raw", "DBSIZE"},
		{"--no-raw", "CLIENT", "GETNAME"},
		{"--no-raw", "TTL", "k"},
		{"--no-raw", "KEYS", "n*"},
	}
	for _, args := range runs {
		kv := testutil.RedisCLI(t, p.kv.Addr(), args...)
		rd := testutil.RedisCLI(t, p.redis.Addr(), args...)
		if kv != rd {
			t.Errorf("redis-cli %q:\n  kv-server:    %q\n  redis-server: %q", args, kv, rd)
		}
	}
}
