// Package libkv is kvkit's engine: the keyspace, the data types, the
// commands, the clients and the server loop of kv-server (Redis 7.0
// server.c, networking.c, db.c, t_*.c).
//
// Commands execute one at a time under the engine lock, as Redis executes
// them on its one thread: each client's goroutine parses requests, takes the
// lock once per pipelined batch, runs the commands and writes the replies
// after releasing it. Everything that must follow command order happens
// under the lock.
package libkv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvkit/kvkit/libkv/cmdtable"
	"github.com/kvkit/kvkit/libkv/config"
)

// Stats are the counters INFO stats reports; guarded by the engine lock
// unless noted.
type Stats struct {
	connectionsReceived atomic.Int64
	rejectedConnections atomic.Int64
	netInputBytes       atomic.Int64
	netOutputBytes      atomic.Int64
	commandsProcessed   int64
	expiredKeys         int64
	expiredStalePerc    float64
	expireCycleTimeCap  int64
	expireCycleCPU      time.Duration
	keyspaceHits        int64
	keyspaceMisses      int64
	errorReplies        int64
	unexpectedErrors    int64
	ioReadsProcessed    atomic.Int64
	ioWritesProcessed   atomic.Int64
}

// Server is one kv-server instance.
type Server struct {
	mu   sync.Mutex // the engine lock
	cfg  *config.Config
	conf *config.Values // &cfg.Values: the settings the engine reads

	dbs      []*DB
	clients  map[uint64]*Client
	monitors []*Client
	pubsub   pubsubState   // pubsub.go
	tracking trackingState // tracking.go
	// running is the client whose command is executing, nil between
	// commands: output for it goes to its reply buffer (pubsub.go deliver).
	running  *Client
	nextID   atomic.Uint64
	stats    Stats
	cmds     map[*cmdtable.Command]*command
	cmdStats map[string]*cmdStat
	errStats map[string]int64
	slowlog  slowlog
	latency  latencyMonitor
	now      int64  // command time snapshot, Unix ms
	lruClock uint32 // Redis's 24-bit LRU clock, seconds resolution
	// sharedLRU is the LRU field of each of Redis's shared integer
	// objects: every key holding the same small integer shares it.
	sharedLRU [sharedIntegers]uint32
	dirty     int64 // changes since the last save
	// migrateSockets are MIGRATE's cached connections by host:port
	// (migrate.go), closed by the cron after 10 s unused.
	migrateSockets  map[string]*migrateSocket
	migrateCronLast time.Time
	// written holds the watched keys the running command may have changed
	// (multi.go noteWrite), signalled when it ends.
	written   []blockKey
	startTime time.Time
	runID     string
	replID    string // INFO's master_replid; DEBUG CHANGE-REPL-ID renews it
	pauseCron bool   // DEBUG PAUSE-CRON: the cron's periodic work is skipped
	// unixSocket is the socket file Start listens on, removed on close:
	// closing runs outside the engine lock, where conf may be rewritten
	// by CONFIG SET (a failed multi-directive SET restores it whole).
	unixSocket string
	pause      clientPause
	blocking   blocking // blocked clients and ready keys (blocked.go)
	log        *Logger
	metrics    metrics
	purge      idlePurge
	net        atomic.Pointer[netSettings]

	evict         evictor      // maxmemory eviction (evict.go)
	script        scriptEngine // Lua scripts and functions (script.go)
	activeExpire  bool         // DEBUG SET-ACTIVE-EXPIRE
	startupMemory int64        // used_memory_startup
	peakMemory    int64        // used_memory_peak
	lastSave      int64        // rdb_last_save_time, Unix seconds
	rdb           rdbState
	// snap is the snapshot being written, nil when none; snapParity is
	// the value of every written key's snapFlag bit (snapshot.go).
	snap       *snapshot
	prop       propagation // command propagation (propagate.go)
	aof        aofState    // the append-only file (aof.go)
	snapParity uint32
	// lockWaiters counts clients waiting for the engine lock: a
	// snapshot's walk pauses between its steps while there are some.
	lockWaiters atomic.Int32

	listeners []net.Listener
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	configFile string
	execPath   string
}

// New creates a server from its settings; Start begins serving.
func New(cfg *config.Config) (*Server, error) {
	conf := &cfg.Values
	s := &Server{
		cfg:          cfg,
		conf:         conf,
		clients:      make(map[uint64]*Client),
		cmdStats:     make(map[string]*cmdStat),
		errStats:     make(map[string]int64),
		startTime:    time.Now(),
		done:         make(chan struct{}),
		configFile:   cfg.File,
		lastSave:     time.Now().Unix(),
		activeExpire: true,
		tracking:     trackingState{insertAt: -1},
	}
	s.rdb.lastBgsaveOK, s.rdb.lastBgsaveTime = true, -1
	s.log = newLogger(conf)
	if conf.Databases < 1 {
		return nil, errors.New("invalid number of databases")
	}
	s.dbs = make([]*DB, conf.Databases)
	for i := range s.dbs {
		s.dbs[i] = newDB(i)
	}
	s.runID = randomID()
	s.replID = randomID() // independent of run_id, as in Redis
	s.execPath, _ = os.Executable()
	s.cmds = commandTable()
	s.registerConfigHooks()
	s.refreshNetSettings()
	s.updateClock()
	for i := range s.sharedLRU {
		s.sharedLRU[i] = s.initialLRU() // createSharedObjects runs at startup
	}
	if conf.Maxmemory > 0 && conf.Maxmemory < 1<<20 {
		s.log.Warning("WARNING: You specified a maxmemory value that is less than 1MB (current value is %d bytes). Are you sure this is what you really want?", conf.Maxmemory)
	}
	s.startupMemory = startupMemory()
	s.peakMemory = s.usedMemory()
	s.setMemoryLimit()
	return s, nil
}

// Start opens the listeners (bind/port and unixsocket) and starts the
// accept loops and the server cron. It returns an error when no listener
// could be opened, with Redis's wording.
func (s *Server) Start() error {
	if s.conf.Port != 0 {
		lns, err := listenTCP(s.conf.Bind, s.conf.Port)
		if err != nil {
			return err
		}
		s.listeners = lns
	}
	if s.conf.Unixsocket != "" {
		os.Remove(s.conf.Unixsocket)
		ln, err := net.Listen("unix", s.conf.Unixsocket)
		if err != nil {
			s.closeListeners()
			s.migrateCloseAll()
			return fmt.Errorf("Failed opening Unix socket: %v", err)
		}
		if s.conf.Unixsocketperm != 0 {
			os.Chmod(s.conf.Unixsocket, os.FileMode(s.conf.Unixsocketperm))
		}
		s.listeners = append(s.listeners, ln)
		s.unixSocket = s.conf.Unixsocket
	}
	if len(s.listeners) == 0 {
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	// The dataset loads while connections are accepted (they get -LOADING
	// replies), before the cron starts, as Redis's loadDataFromDisk.
	if err := s.loadAtStart(); err != nil {
		s.Close()
		return err
	}
	s.wg.Add(1)
	go s.cronLoop()
	return nil
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
	if s.unixSocket != "" {
		os.Remove(s.unixSocket)
	}
}

// listenTCP opens a listener on port for each bind address, as Redis's
// listenToPort: "*" is every IPv4 address and "::*" every IPv6 one (the
// default bind is "* -::*"), and a leading "-" makes an address optional:
// skipped when it cannot be bound, as on a host without IPv6. On failure
// the listeners already opened are closed.
func listenTCP(bind []string, port int) ([]net.Listener, error) {
	var lns []net.Listener
	for _, addr := range bind {
		optional := strings.HasPrefix(addr, "-")
		addr = strings.TrimPrefix(addr, "-")
		network := "tcp"
		switch addr {
		case "*":
			addr, network = "0.0.0.0", "tcp4"
		case "::*":
			addr, network = "::", "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("Warning: Could not create server TCP listening socket %s:%d: %v", addr, port, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Done is closed when the server has shut down (SHUTDOWN or Close).
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops accepting, disconnects every client and stops the cron.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock() // CONFIG SET port/bind replaces listeners under it
		s.closeListeners()
		for _, c := range s.clients {
			c.conn.Close()
		}
		s.mu.Unlock()
	})
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warning("Accepting client connection: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.stats.connectionsReceived.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			if ka := s.net.Load().keepalive; ka > 0 {
				tc.SetKeepAlive(true)
				tc.SetKeepAlivePeriod(ka)
			}
		}
		c, reject := s.newClient(nc)
		if reject != "" {
			s.stats.rejectedConnections.Add(1)
			nc.Write([]byte("-" + reject + "\r\n"))
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// updateClock refreshes the cached command time and the LRU clock.
func (s *Server) updateClock() { s.setClock(time.Now()) }

// setClock sets the command time snapshot and the LRU clock from now.
func (s *Server) setClock(now time.Time) {
	s.now = now.UnixMilli()
	s.lruClock = uint32(now.Unix()) & (1<<24 - 1)
}

// netSettings are the settings that goroutines outside the engine lock
// read (connection readers, the accept loops, the cron's timer): a
// snapshot replaced under the lock whenever CONFIG SET changes settings.
type netSettings struct {
	maxBulkLen    int64 // proto-max-bulk-len
	queryBufLimit int64 // client-query-buffer-limit
	keepalive     time.Duration
	hz            int
	// obufLimits is client-output-buffer-limit by client class, enforced
	// by the writer goroutines (Client.asyncWrite).
	obufLimits [3]config.OutputBufferLimit
}

// refreshNetSettings publishes the current settings to the goroutines that
// read them without the engine lock; call it under the lock.
func (s *Server) refreshNetSettings() {
	s.net.Store(&netSettings{
		maxBulkLen:    s.conf.ProtoMaxBulkLen,
		queryBufLimit: s.conf.ClientQueryBufferLimit,
		keepalive:     s.conf.TcpKeepalive,
		hz:            s.conf.Hz,
		obufLimits:    s.conf.ClientOutputBufferLimit,
	})
}

// Logger returns the server's logger.
func (s *Server) Logger() *Logger { return s.log }

// CommandExists reports whether name is a Redis 7.0 command, for
// rename-command in the configuration file.
func CommandExists(name string) bool { return cmdtable.Lookup([]byte(name)) != nil }

// randomID is a 40-hex-digit random identifier (Redis's getRandomHexChars),
// as run_id and the replication id are.
func randomID() string {
	var id [20]byte
	rand.Read(id[:])
	return hex.EncodeToString(id[:])
}
