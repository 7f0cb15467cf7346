package libkv

import (
	"net"
	"os"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
)

// CONFIG subcommands (Redis 7.0 config.c); parsing, validation and the
// file rewrite live in libkv/config.
func init() {
	for name, fn := range map[string]cmdFunc{
		"config|get": cmdConfigGet, "config|set": cmdConfigSet, "config|resetstat": cmdConfigResetStat,
		"config|rewrite": cmdConfigRewrite, "config|help": cmdConfigHelp,
	} {
		serverCommands[name] = fn
	}
}

func cmdConfigGet(c *Client, args [][]byte) {
	patterns := make([]string, len(args)-2)
	for i, a := range args[2:] {
		patterns[i] = string(a)
	}
	pairs := c.srv.cfg.Get(patterns)
	c.w.Map(len(pairs) / 2)
	for _, p := range pairs {
		c.w.BulkString(p)
	}
}

func cmdConfigSet(c *Client, args [][]byte) {
	kv := make([]string, len(args)-2)
	for i, a := range args[2:] {
		kv[i] = string(a)
	}
	local := c.unix
	if host, _, err := net.SplitHostPort(c.addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			local = true
		}
	}
	err := c.srv.cfg.Set(kv, config.SetEnv{Local: local, Loading: c.srv.rdb.loading})
	c.srv.refreshNetSettings()
	if err != nil {
		c.addError(err.Error())
		return
	}
	c.w.OK()
}

func cmdConfigResetStat(c *Client, args [][]byte) {
	s := c.srv
	st := &s.stats
	st.connectionsReceived.Store(0)
	st.rejectedConnections.Store(0)
	st.netInputBytes.Store(0)
	st.netOutputBytes.Store(0)
	st.ioReadsProcessed.Store(0)
	st.ioWritesProcessed.Store(0)
	st.commandsProcessed = 0
	st.expiredKeys = 0
	st.expiredStalePerc = 0
	st.expireCycleTimeCap = 0
	st.expireCycleCPU = 0
	st.keyspaceHits = 0
	st.keyspaceMisses = 0
	st.errorReplies = 0
	st.unexpectedErrors = 0
	s.evict.evicted = 0
	s.evict.totalOver = 0
	s.evict.exceeded = time.Time{}
	s.cmdStats = make(map[string]*cmdStat)
	s.errStats = make(map[string]int64)
	s.peakMemory = s.usedMemory()
	c.w.OK()
}

func cmdConfigRewrite(c *Client, args [][]byte) {
	if err := c.srv.cfg.Rewrite(); err != nil {
		c.srv.log.Warning("CONFIG REWRITE failed: %v", err)
		c.addError(err.Error())
		return
	}
	c.srv.log.Notice("CONFIG REWRITE executed with success.")
	c.w.OK()
}

func cmdConfigHelp(c *Client, args [][]byte) {
	c.replyHelp("CONFIG", []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
}

// registerConfigHooks applies CONFIG SET changes that need more than a new
// value in cfg.Values, which the engine reads where it uses it.
func (s *Server) registerConfigHooks() {
	s.cfg.OnApply("loglevel", func(cfg *config.Config) error {
		s.log.setLevel(cfg.Values.Loglevel)
		return nil
	})
	s.cfg.OnApply("dir", func(cfg *config.Config) error {
		return os.Chdir(cfg.Values.Dir)
	})
	s.cfg.OnApply("port", func(cfg *config.Config) error { return s.relisten() })
	s.cfg.OnApply("bind", func(cfg *config.Config) error { return s.relisten() })
	s.cfg.OnApply("maxmemory", func(cfg *config.Config) error {
		s.applyMaxmemory()
		return nil
	})
	s.cfg.OnApply("appendonly", func(cfg *config.Config) error {
		return s.setAppendonly(cfg.Values.Appendonly)
	})
	s.cfg.OnApply("maxclients", func(cfg *config.Config) error {
		if cfg.Values.Maxclients < len(s.clients) {
			// Redis accepts it and refuses new connections until clients leave.
			s.log.Warning("maxclients set to %d with %d clients connected", cfg.Values.Maxclients, len(s.clients))
		}
		return nil
	})
}

// relisten replaces the TCP listeners after CONFIG SET port or bind; on
// failure the old ones are kept, with Redis's error text.
func (s *Server) relisten() error {
	var fresh []net.Listener
	if s.conf.Port != 0 {
		lns, err := listenTCP(s.conf.Bind, s.conf.Port)
		if err != nil {
			return errUnableToListen
		}
		fresh = lns
	}
	var keep []net.Listener
	for _, ln := range s.listeners {
		if _, ok := ln.(*net.UnixListener); ok {
			keep = append(keep, ln)
		} else {
			ln.Close()
		}
	}
	s.listeners = append(keep, fresh...)
	for _, ln := range fresh {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	return nil
}

type configError string

func (e configError) Error() string { return string(e) }

const errUnableToListen = configError("Unable to listen on this port")
