package libkv

import (
	"time"
)

// metric is one of INFO's instantaneous_* figures: the average rate over
// the last 16 samples taken every 100 ms (Redis's trackInstantaneousMetric).
type metric struct {
	samples   [16]int64
	idx       int
	lastValue int64
	lastTime  time.Time
}

func (m *metric) track(value int64, now time.Time) {
	if !m.lastTime.IsZero() {
		if dt := now.Sub(m.lastTime); dt > 0 {
			m.samples[m.idx] = (value - m.lastValue) * int64(time.Second) / int64(dt)
			m.idx = (m.idx + 1) % len(m.samples)
		}
	}
	m.lastValue, m.lastTime = value, now
}

func (m *metric) rate() int64 {
	var sum int64
	for _, v := range m.samples {
		sum += v
	}
	return sum / int64(len(m.samples))
}

type metrics struct {
	ops, in, out metric
	lastSample   time.Time
}

// cronLoop runs serverCron hz times a second until shutdown.
func (s *Server) cronLoop() {
	defer s.wg.Done()
	for {
		hz := max(s.net.Load().hz, 1)
		select {
		case <-s.done:
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		s.mu.Lock()
		s.cron()
		s.trackingBroadcast() // the active expire cycle's keys
		s.mu.Unlock()
	}
}

// cron is one tick of Redis's serverCron: clock, metrics, memory peak, idle
// clients, and the active expire cycle.
func (s *Server) cron() {
	s.updateClock()
	if s.pauseCron || s.scriptBusy() {
		// A busy script lets the cron in between its instructions: the
		// keyspace is the script's until it ends (Redis runs only
		// whileBlockedCron then).
		return
	}
	s.saveCron()
	now := time.Now()
	if now.Sub(s.metrics.lastSample) >= 100*time.Millisecond {
		s.metrics.ops.track(s.stats.commandsProcessed, now)
		s.metrics.in.track(s.stats.netInputBytes.Load(), now)
		s.metrics.out.track(s.stats.netOutputBytes.Load(), now)
		s.metrics.lastSample = now
	}
	if used := s.usedMemory(); used > s.peakMemory {
		s.peakMemory = used
	}
	if s.conf.Timeout > 0 {
		limit := s.conf.Timeout.Milliseconds()
		for _, c := range s.clients {
			if !c.monitor && c.blocked == nil && !c.pauseWaiting.Load() && s.now-c.lastInteraction.Load() > limit {
				s.log.Verbose("Closing idle client")
				c.conn.Close()
			}
		}
	}
	if s.activeExpire && !s.pause.active() { // no expiry while paused, as Redis 7.0
		s.activeExpireCycle()
	}
	s.databasesCron()
	s.aofCron()
	s.aofRewriteCron()
	s.purgeCron(now)
	s.migrateCron(now)
}

// databasesCron is Redis's databasesCron table maintenance: shrink tables
// left sparse, and with activerehashing spend up to a millisecond per
// database moving buckets of a table being rehashed.
func (s *Server) databasesCron() {
	for _, db := range s.dbs {
		db.keys.ShrinkIfNeeded()
		db.expires.ShrinkIfNeeded()
		if s.conf.Activerehashing {
			if db.keys.Rehashing() {
				db.keys.RehashFor(time.Millisecond)
			} else if db.expires.Rehashing() {
				db.expires.RehashFor(time.Millisecond)
			}
		}
	}
}

// Active expiry parameters of Redis 7.0 expire.c, scaled by
// active-expire-effort (1..10).
const (
	expireKeysPerLoop   = 20 // keys sampled per database per loop
	expireCyclePercent  = 25 // share of a tick the cycle may use
	expireAcceptedStale = 10 // percent of expired keys in a sample to stop at
)

// activeExpireCycle walks each database's expires table with a SCAN cursor
// that persists between cycles, as Redis 7.0's activeExpireCycle (slow
// cycle) does, deleting the expired keys it meets; it repeats on a database
// while more than the accepted share of a round was expired, within a time
// budget.
func (s *Server) activeExpireCycle() {
	effort := max(s.conf.ActiveExpireEffort, 1) - 1
	perLoop := expireKeysPerLoop + expireKeysPerLoop/4*effort
	accepted := expireAcceptedStale - effort
	budget := time.Second * time.Duration(expireCyclePercent+2*effort) / time.Duration(100*max(s.conf.Hz, 1))
	start := time.Now()
	var sampled, expired int64
	for _, db := range s.dbs {
		for db.expires.Len() > 0 {
			n, e := 0, 0
			// At most 20 buckets per key wanted, as Redis bounds empty buckets.
			for buckets := 0; n < perLoop && buckets < perLoop*20; buckets++ {
				db.expireCursor = db.expires.Scan(db.expireCursor, func(k string, t int64) {
					n++
					if t <= s.now {
						s.deleteExpired(db, k)
						e++
					}
				})
				if db.expireCursor == 0 {
					break
				}
			}
			sampled += int64(n)
			expired += int64(e)
			if e*100 <= n*accepted {
				break
			}
			if time.Since(start) > budget {
				s.stats.expireCycleTimeCap++
				s.finishExpireCycle(start, sampled, expired)
				return
			}
		}
	}
	s.finishExpireCycle(start, sampled, expired)
}

func (s *Server) finishExpireCycle(start time.Time, sampled, expired int64) {
	elapsed := time.Since(start)
	s.stats.expireCycleCPU += elapsed
	s.latency.sample(s, "expire-cycle", elapsed) // as activeExpireCycle
	perc := 0.0
	if sampled > 0 {
		perc = float64(expired) / float64(sampled)
	}
	// Redis keeps a moving average: 95% old, 5% this cycle.
	s.stats.expiredStalePerc = s.stats.expiredStalePerc*0.95 + perc*0.05
}
