package libkv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kvkit/kvkit/libaof"
)

// The forkless AOF rewrite (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET
// appendonly yes), as Redis 7.0's rewriteAppendOnlyFileBackground and
// backgroundRewriteDoneHandler without the fork:
//
//  1. Under the engine lock, at one instant: the buffered commands are
//     written and fsynced, a new INCR file is opened and receives every
//     command from now on, and a snapshot of the keyspace starts (the
//     forkless walker of snapshot.go). The new INCR file goes into the
//     manifest at once (a crash now loads the old BASE, the old INCR files
//     and the new one: nothing is lost).
//  2. The walker writes the new BASE (an RDB preamble) to
//     temp-rewriteaof-bg-<pid>.aof in the background, fsynced.
//  3. Under the lock again: the temp file is renamed to the next BASE
//     name, the manifest is swapped atomically (temp, fsync, rename,
//     directory fsync) to name the new BASE and the INCR files from step
//     1 on, the old BASE and INCR files become HISTORY and are deleted.
//
// A crash before step 3's rename of the manifest leaves the old manifest,
// which names only complete files; after it, the new one.

// aofRewrite is a rewrite in progress.
type aofRewrite struct {
	bg      *bgsave
	start   time.Time
	incrSeq int64 // the INCR file opened for it: it and later ones stay
	tmp     string
	enable  bool // CONFIG SET appendonly yes: AOF goes on when done
	rdb     bool // the BASE is an RDB preamble (aof-use-rdb-preamble at the start)
}

// Replies of BGREWRITEAOF (Redis 7.0 bgrewriteaofCommand).
const (
	aofRewriteInProgress = "ERR Background append only file rewriting already in progress"
	aofRewriteStarted    = "Background append only file rewriting started"
	aofRewriteScheduled  = "Background append only file rewriting scheduled"
)

func cmdBgrewriteaof(c *Client, args [][]byte) {
	s := c.srv
	switch {
	case s.aof.rewrite != nil:
		c.addError(aofRewriteInProgress)
	case s.rdb.bgsave != nil:
		s.aof.rewriteScheduled = true
		c.w.Status(aofRewriteScheduled)
	default:
		if err := s.startAOFRewrite(false); err != nil {
			c.addError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
			return
		}
		c.w.Status(aofRewriteStarted)
	}
}

// startAOFRewrite starts a rewrite (steps 1 and 2 above); enable is
// CONFIG SET appendonly yes's initial rewrite. The caller holds the lock
// and has checked that no snapshot is running.
func (s *Server) startAOFRewrite(enable bool) error {
	a := &s.aof
	dir, prefix := s.aofDir(), s.conf.Appendfilename
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.log.Warning("Can't open or create append-only dir %s: %v", dir, err)
		return err
	}
	if a.manifest == nil {
		if err := s.readManifest(); err != nil {
			s.log.Warning("Can't read the AOF manifest: %v", err)
			return err
		}
	}
	m := a.manifest
	seq := int64(1)
	if n := len(m.Incr); n > 0 {
		seq = m.Incr[n-1].Seq + 1
	}
	name := libaof.IncrName(prefix, seq)
	var f *os.File
	if enable || a.on {
		var err error
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			s.log.Warning("Can't open the append-only file %s: %v", name, err)
			return err
		}
	}
	pipe := newRDBPipe()
	sink := &rdbSink{pipe: pipe}
	bg := &bgsave{start: time.Now(), pipe: pipe, respBase: !s.conf.AofUseRdbPreamble, respTS: s.aofBaseTS()}
	sn, err := s.newSnapshot(sink, true)
	if err != nil {
		if f != nil {
			f.Close()
			os.Remove(filepath.Join(dir, name))
		}
		s.log.Warning("Can't rewrite append only file in background: %v", err)
		return err
	}
	switch {
	case f == nil:
		// AOF off: the rewrite writes a BASE alone; every INCR file
		// becomes history (as Redis 7.0 with appendonly no).
	case !enable:
		// The new INCR file is the current one from now on, and in the
		// manifest at once.
		s.aofFlush()
		a.incrDone += a.w.Size()
		if err := a.w.Switch(f, 0); err != nil {
			s.log.Warning("Error syncing the AOF file: %v", err)
		}
		m.Incr = append(m.Incr, libaof.FileInfo{Name: name, Seq: seq, Type: libaof.TypeIncr})
		if err := libaof.WriteManifest(dir, libaof.ManifestName(prefix), libaof.TempManifestName(prefix), m); err != nil {
			s.log.Warning("Error writing the AOF manifest: %v", err)
		}
	default:
		// Turning the AOF on: commands go to the new INCR file from now
		// on; the manifest names it once the BASE exists.
		a.w = s.newAOFWriter(f, 0)
		a.buf = a.buf[:0]
		a.lastFsync = time.Now()
		s.prop.sinks = append(s.prop.sinks, s.aofFeed)
	}
	a.selectedDB = -1
	if f != nil {
		s.log.Notice("Creating AOF incr file %s on background rewrite", name)
	}
	bg.sn = sn
	s.snap = sn
	rw := &aofRewrite{bg: bg, start: bg.start, incrSeq: seq, enable: enable, rdb: !bg.respBase,
		tmp: filepath.Join(dir, "temp-rewriteaof-bg-"+strconv.Itoa(os.Getpid())+".aof")}
	bg.done = func(err error) { s.aofRewriteDone(rw, err) }
	a.rewrite = rw
	a.rewriteScheduled = false
	s.log.Notice("Background append only file rewriting started by pid %d", os.Getpid())
	go s.bgsaveWalk(bg, s.conf.Rdbchecksum, time.Duration(s.conf.RdbKeySaveDelay)*time.Microsecond)
	go s.bgsaveWrite(bg, rw.tmp, rw.tmp, false)
	return nil
}

// readManifest reads the manifest of the AOF directory when it exists
// (CONFIG SET appendonly yes on a server started without AOF).
func (s *Server) readManifest() error {
	s.aof.manifest = &libaof.Manifest{}
	f, err := os.Open(filepath.Join(s.aofDir(), libaof.ManifestName(s.conf.Appendfilename)))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := libaof.ParseManifest(f)
	if err != nil {
		return err
	}
	s.aof.manifest = m
	return nil
}

// aofRewriteDone is step 3 (backgroundRewriteDoneHandler); under the lock.
func (s *Server) aofRewriteDone(rw *aofRewrite, err error) {
	a := &s.aof
	if a.rewrite != rw {
		os.Remove(rw.tmp)
		return // aborted
	}
	a.rewrite = nil
	a.lastRewriteTime = int64(time.Since(rw.start).Seconds())
	if err == nil {
		err = s.installRewrite(rw)
	}
	if err != nil {
		os.Remove(rw.tmp)
		s.log.Warning("Background AOF rewrite failed: %v", err)
		a.lastRewriteFail = true
		a.rewriteFailures++
		return
	}
	a.lastRewriteFail = false
	a.rewriteFailures = 0
	a.rewrites++
	s.log.Notice("Background AOF rewrite finished successfully")
}

// installRewrite renames the new BASE into place and swaps the manifest.
func (s *Server) installRewrite(rw *aofRewrite) error {
	a := &s.aof
	dir, prefix := s.aofDir(), s.conf.Appendfilename
	m := a.manifest
	s.log.Notice("Background AOF rewrite terminated with success")
	baseSeq := int64(1)
	if m.Base != nil {
		baseSeq = m.Base.Seq + 1
	}
	baseName := libaof.BaseName(prefix, baseSeq, rw.rdb)
	if err := os.Rename(rw.tmp, filepath.Join(dir, baseName)); err != nil {
		return fmt.Errorf("Error trying to rename the temporary AOF base file %s into %s: %v", filepath.Base(rw.tmp), baseName, err)
	}
	s.log.Notice("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(rw.tmp), baseName)
	next := &libaof.Manifest{Base: &libaof.FileInfo{Name: baseName, Seq: baseSeq, Type: libaof.TypeBase}, History: m.History}
	if m.Base != nil {
		next.History = append(next.History, libaof.FileInfo{Name: m.Base.Name, Seq: m.Base.Seq, Type: libaof.TypeHistory})
	}
	for _, fi := range m.Incr {
		if fi.Seq < rw.incrSeq {
			next.History = append(next.History, libaof.FileInfo{Name: fi.Name, Seq: fi.Seq, Type: libaof.TypeHistory})
		} else {
			next.Incr = append(next.Incr, fi)
		}
	}
	if rw.enable {
		next.Incr = append(next.Incr, libaof.FileInfo{Name: libaof.IncrName(prefix, rw.incrSeq), Seq: rw.incrSeq, Type: libaof.TypeIncr})
	}
	if err := libaof.WriteManifest(dir, libaof.ManifestName(prefix), libaof.TempManifestName(prefix), next); err != nil {
		return err
	}
	a.manifest = next
	if st, err := os.Stat(filepath.Join(dir, baseName)); err == nil {
		a.baseFileSize = st.Size()
	}
	a.baseSize = a.baseFileSize
	if a.w != nil {
		a.baseSize += a.w.Size()
	}
	a.incrDone = 0
	a.on = a.on || rw.enable
	s.aofDeleteHistory()
	return nil
}

// abortAOFRewrite abandons a rewrite in progress (killAppendOnlyChild):
// the walk is finished without encoding, the writer removes the temp file.
func (s *Server) abortAOFRewrite() {
	rw := s.aof.rewrite
	if rw == nil {
		return
	}
	s.aof.rewrite = nil
	rw.bg.failed.Store(true)
	if s.snap == rw.bg.sn {
		rw.bg.sn.discard = true
		rw.bg.sn.step(0, 0)
		s.snap = nil
	}
	s.log.Notice("Killing running AOF rewrite child")
}

// aofRewriteCron starts a scheduled rewrite, or an automatic one when the
// AOF grew by auto-aof-rewrite-percentage over its size after the last
// rewrite and is at least auto-aof-rewrite-min-size (serverCron).
func (s *Server) aofRewriteCron() {
	a := &s.aof
	if a.rewrite != nil || s.rdb.bgsave != nil || s.snap != nil {
		return
	}
	if a.rewriteScheduled {
		s.startAOFRewrite(false)
		return
	}
	if !a.on || s.conf.AutoAofRewritePercentage == 0 {
		return
	}
	cur := a.currentSize()
	if cur < s.conf.AutoAofRewriteMinSize {
		return
	}
	base := max(a.baseSize, 1)
	growth := (cur*100)/base - 100
	if growth >= int64(s.conf.AutoAofRewritePercentage) {
		s.log.Notice("Starting automatic rewriting of AOF on %d%% growth", growth)
		s.startAOFRewrite(false)
	}
}

// currentSize is aof_current_size: the BASE plus the INCR files.
func (a *aofState) currentSize() int64 {
	if a.w == nil {
		return 0
	}
	return a.baseFileSize + a.incrDone + a.w.Size()
}

// setAppendonly is CONFIG SET appendonly (startAppendOnly and
// stopAppendOnly); under the lock.
func (s *Server) setAppendonly(on bool) error {
	a := &s.aof
	switch {
	case on && (a.on || a.rewrite != nil):
		return nil
	case on:
		if s.rdb.bgsave != nil {
			// Redis schedules the rewrite behind the child; kv-server
			// abandons the BGSAVE, which a later save point redoes.
			s.abortBgsave()
		}
		if err := s.startAOFRewrite(true); err != nil {
			return fmt.Errorf("Unable to turn on AOF. Check server logs.")
		}
		s.log.Notice("AOF enabled")
		return nil
	}
	if !a.on && a.rewrite == nil {
		return nil
	}
	s.abortAOFRewrite()
	s.aofFlush()
	if a.w != nil {
		a.w.Close()
		a.w = nil
	}
	a.on = false
	a.manifest = nil
	s.prop.sinks = s.prop.sinks[:0]
	s.log.Notice("AOF disabled") // not Redis's words: it logs nothing
	return nil
}

// infoAOF writes the AOF fields of INFO persistence, in Redis 7.0's order
// (genRedisInfoString); the size fields only while the AOF is on.
func (s *Server) infoAOF(w infoWriter) {
	a := &s.aof
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	status := func(failed bool) string {
		if failed {
			return "err"
		}
		return "ok"
	}
	enabled := a.w != nil
	lastTime, current, cow := int64(-1), int64(-1), int64(0)
	if a.rewrites+a.rewriteFailures > 0 {
		lastTime = a.lastRewriteTime
	}
	if a.rewrite != nil {
		current = int64(time.Since(a.rewrite.start).Seconds())
		cow = a.rewrite.bg.pipe.peakBytes()
	}
	w.kv("aof_enabled", b(enabled))
	w.kv("aof_rewrite_in_progress", b(a.rewrite != nil))
	w.kv("aof_rewrite_scheduled", b(a.rewriteScheduled))
	w.kv("aof_last_rewrite_time_sec", lastTime)
	w.kv("aof_current_rewrite_time_sec", current)
	w.kv("aof_last_bgrewrite_status", status(a.lastRewriteFail))
	w.kv("aof_rewrites", a.rewrites)
	w.kv("aof_rewrites_consecutive_failures", a.rewriteFailures)
	w.kv("aof_last_write_status", status(a.writeErr != nil))
	w.kv("aof_last_cow_size", cow)
	w.kv("module_fork_in_progress", 0)
	w.kv("module_fork_last_cow_size", 0)
	if !enabled {
		return
	}
	w.kv("aof_current_size", a.currentSize())
	w.kv("aof_base_size", a.baseSize)
	w.kv("aof_pending_rewrite", b(a.rewriteScheduled))
	w.kv("aof_buffer_length", len(a.buf))
	w.kv("aof_pending_bio_fsync", b(a.syncing))
	w.kv("aof_delayed_fsync", 0)
}
