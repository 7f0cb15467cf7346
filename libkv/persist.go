package libkv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/kvkit/kvkit/librdb"
)

// RDB persistence of kv-server (Redis 7.0 rdb.c, server.c's save points):
// SAVE, BGSAVE, LASTSAVE, save points, saving at shutdown, loading at
// start-up, and the INFO persistence fields.

// rdbState is the persistence bookkeeping INFO persistence reports;
// guarded by the engine lock.
type rdbState struct {
	bgsave         *bgsave // the BGSAVE in progress, nil when none
	lastBgsaveOK   bool    // rdb_last_bgsave_status
	lastBgsaveTry  int64   // Unix seconds of the last BGSAVE attempt
	lastBgsaveTime int64   // rdb_last_bgsave_time_sec, -1 before any
	lastCow        int64   // rdb_last_cow_size: the last snapshot's peak extra bytes
	saves          int64   // rdb_saves
	dirtyBefore    int64   // dirty when the BGSAVE started
	skipChecksum   bool    // DEBUG SET-SKIP-CHECKSUM-VALIDATION
	// bgsaveScheduled: BGSAVE SCHEDULE during an AOF rewrite, started
	// by the cron once it is over.
	bgsaveScheduled bool

	loading         bool // the dataset is being loaded: -LOADING
	loadStart       int64
	loadTotal       int64
	loadDone        atomic.Int64 // bytes read so far
	loadKeysLoaded  int64
	loadKeysExpired int64
}

// bgsave is a BGSAVE in progress.
type bgsave struct {
	done   func(err error) // when set, called instead of bgsaveDone (an AOF rewrite)
	start  time.Time
	sn     *snapshot
	pipe   *rdbPipe
	failed atomic.Bool // the writer failed: the walk stops encoding
	// respBase: the file gets the stream as RESP commands (an AOF BASE
	// with aof-use-rdb-preamble no, aof_resp.go), with a "#TS:" of
	// respTS when > 0.
	respBase bool
	respTS   int64
}

// rdbPath is the snapshot file, dir/dbfilename.
func (s *Server) rdbPath() string { return filepath.Join(s.conf.Dir, s.conf.Dbfilename) }

// tempPath is the file a save writes before renaming it (rdb.c's
// "temp-%d.rdb", with our pid: there is no child process).
func (s *Server) tempPath() string {
	return filepath.Join(s.conf.Dir, "temp-"+strconv.Itoa(os.Getpid())+".rdb")
}

// writeFileSafely writes a file as rdbSave does: into tmp, flushed and
// fsynced, renamed over path, then the directory fsynced. On any error
// tmp is removed and path is untouched. With useLZ4 the bytes go into an
// lz4 frame (kvkit's rdb-compression-lz4).
func writeFileSafely(tmp, path string, useLZ4 bool, fill func(w io.Writer) error) (err error) {
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), filepath.Dir(tmp), err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	var zw *lz4.Writer
	if useLZ4 {
		zw = lz4.NewWriter(f)
		w = zw
	}
	if err = fill(w); err != nil {
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if zw != nil {
		if err = zw.Close(); err != nil {
			return fmt.Errorf("Write error saving DB on disk: %w", err)
		}
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("Error moving temp DB file %s on the final destination %s (in server root dir %s): %w", filepath.Base(tmp), filepath.Base(path), filepath.Dir(path), err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("Failed to fsync the directory of %s: %w", path, err)
		}
	}
	return nil
}

// saveSync is rdbSave: the whole keyspace written under the engine lock
// (SAVE, SHUTDOWN, DEBUG RELOAD, FLUSHALL with save points). A BGSAVE in
// progress is abandoned first, as Redis kills its child.
func (s *Server) saveSync() error {
	s.abortBgsave()
	err := writeFileSafely(s.tempPath(), s.rdbPath(), s.conf.RdbCompressionLz4, func(w io.Writer) error {
		return s.encodeSync(w, false)
	})
	if err != nil {
		s.log.Warning("%v", err)
		return err
	}
	s.log.Notice("DB saved on disk")
	s.dirty = 0
	s.lastSave = time.Now().Unix()
	s.rdb.lastBgsaveOK = true
	s.rdb.saves++
	return nil
}

// encodeSync writes the whole keyspace as an RDB file to w under the
// engine lock (aofBase: with the aof-base aux field, for an AOF BASE).
func (s *Server) encodeSync(w io.Writer, aofBase bool) error {
	// One snapshot at a time: a synchronous save abandons an AOF rewrite
	// (which the cron's auto rewrite or BGREWRITEAOF redoes).
	s.abortAOFRewrite()
	sink := &rdbSink{out: func(b []byte) error { _, err := w.Write(b); return err }}
	sn, err := s.newSnapshot(sink, aofBase)
	if err != nil {
		return err
	}
	s.snap = sn
	sn.step(0, 0)
	s.snap = nil
	if err := sn.finish(s.conf.Rdbchecksum); err != nil {
		return err
	}
	sink.handOver(0)
	return sink.err
}

// startBgsave is rdbSaveBackground: a forkless snapshot walked by a
// goroutine and written by another. Failures to open or write the file
// show in the log and in rdb_last_bgsave_status, as a child's would.
func (s *Server) startBgsave() error {
	pipe := newRDBPipe()
	sink := &rdbSink{pipe: pipe}
	bg := &bgsave{start: time.Now(), pipe: pipe}
	sn, err := s.newSnapshot(sink, false)
	if err != nil {
		s.log.Warning("Can't save in background: %v", err)
		return err
	}
	bg.sn = sn
	s.snap = sn
	s.rdb.bgsave = bg
	s.rdb.dirtyBefore = s.dirty
	s.rdb.lastBgsaveTry = time.Now().Unix()
	s.log.Notice("Background saving started by pid %d", os.Getpid())
	tmp, path, useLZ4, checksum := s.tempPath(), s.rdbPath(), s.conf.RdbCompressionLz4, s.conf.Rdbchecksum
	delay := time.Duration(s.conf.RdbKeySaveDelay) * time.Microsecond
	go s.bgsaveWalk(bg, checksum, delay)
	go s.bgsaveWrite(bg, tmp, path, useLZ4)
	return nil
}

// bgsaveWalk drives the snapshot's walk in steps under the engine lock.
func (s *Server) bgsaveWalk(bg *bgsave, checksum bool, delay time.Duration) {
	sn := bg.sn
	for {
		bg.pipe.waitBelow(snapQueueLimit)
		s.mu.Lock()
		if bg.failed.Load() {
			sn.discard = true
		}
		var done bool
		keys := sn.keys
		if delay > 0 && !sn.discard {
			// rdb-key-save-delay (a testing knob): one bucket per step.
			done = sn.step(time.Nanosecond, 0)
		} else {
			done = sn.step(snapStep, snapQueueLimit)
		}
		if done {
			if sn.err == nil && !sn.discard {
				if err := sn.finish(checksum); err != nil {
					sn.fail(err)
				}
			}
			if s.snap == sn {
				s.snap = nil
			}
			if sn.err != nil {
				bg.failed.Store(true)
			} else {
				sn.sink.handOver(0)
			}
		} else {
			sn.sink.handOver(snapChunk)
		}
		written := sn.keys - keys
		s.mu.Unlock()
		if done {
			bg.pipe.close()
			return
		}
		switch {
		case delay > 0:
			time.Sleep(delay * time.Duration(max(written, 1)))
		case s.lockWaiters.Load() > 0:
			// Clients are waiting: the walk takes at most about a tenth
			// of the engine's time, so that their throughput holds.
			time.Sleep(snapYield)
		default:
			runtime.Gosched()
		}
	}
}

// bgsaveWrite is the writer goroutine: chunks to the file, then the
// outcome reported under the engine lock.
func (s *Server) bgsaveWrite(bg *bgsave, tmp, path string, useLZ4 bool) {
	err := writeFileSafely(tmp, path, useLZ4, func(w io.Writer) (werr error) {
		if bg.respBase {
			rb := newRESPBase(w, bg.respTS)
			defer func() {
				if cerr := rb.Close(); werr == nil {
					werr = cerr
				}
			}()
			w = rb
		}
		for {
			b, ok := bg.pipe.pop()
			if !ok {
				break
			}
			if werr == nil && !bg.failed.Load() {
				_, werr = w.Write(b)
				if werr != nil {
					bg.failed.Store(true)
				}
			}
			bg.pipe.written(b)
		}
		if werr == nil && bg.failed.Load() {
			if bg.sn.err != nil {
				return bg.sn.err
			}
			return errors.New("snapshot aborted")
		}
		return werr
	})
	if err != nil {
		// The walk must still end (it waits for queue room): drain.
		bg.failed.Store(true)
		for {
			b, ok := bg.pipe.pop()
			if !ok {
				break
			}
			bg.pipe.written(b)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bg.done != nil {
		bg.done(err)
		return
	}
	s.bgsaveDone(bg, err)
}

// bgsaveDone is backgroundSaveDoneHandler.
func (s *Server) bgsaveDone(bg *bgsave, err error) {
	if s.rdb.bgsave != bg {
		return // aborted: a synchronous save took over
	}
	s.rdb.bgsave = nil
	s.rdb.lastBgsaveTime = int64(time.Since(bg.start).Seconds())
	s.rdb.lastCow = bg.pipe.peakBytes()
	if err != nil {
		s.log.Warning("%v", err)
		s.log.Warning("Background saving error")
		s.rdb.lastBgsaveOK = false
		return
	}
	s.log.Notice("DB saved on disk")
	s.log.Notice("Fork CoW for RDB: current 0 MB, peak %d MB, average 0 MB", s.rdb.lastCow>>20)
	s.log.Notice("Background saving terminated with success")
	s.dirty -= s.rdb.dirtyBefore
	s.lastSave = time.Now().Unix()
	s.rdb.lastBgsaveOK = true
	s.rdb.saves++
}

// abortBgsave abandons a BGSAVE in progress (killRDBChild): the walk is
// finished at once without encoding, so every key's snapshot bit is
// back in step, and the writer removes its temp file.
func (s *Server) abortBgsave() {
	bg := s.rdb.bgsave
	if bg == nil {
		return
	}
	s.rdb.bgsave = nil
	bg.failed.Store(true)
	if s.snap == bg.sn {
		bg.sn.discard = true
		bg.sn.step(0, 0)
		s.snap = nil
	}
	s.log.Notice("Background saving terminated by kv-server (a synchronous save or shutdown took over)")
}

// saveCron is serverCron's part for snapshots: the save points
// (CONFIG_BGSAVE_RETRY_DELAY of 5 seconds after a failure).
func (s *Server) saveCron() {
	if s.rdb.bgsave != nil || s.rdb.loading || s.aof.rewrite != nil {
		return
	}
	if s.rdb.bgsaveScheduled {
		s.rdb.bgsaveScheduled = false
		s.startBgsave()
		return
	}
	now := time.Now().Unix()
	for _, sp := range s.conf.Save {
		if s.dirty >= int64(sp.Changes) && now-s.lastSave > sp.Seconds &&
			(now-s.rdb.lastBgsaveTry > 5 || s.rdb.lastBgsaveOK) {
			s.log.Notice("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds)
			s.startBgsave()
			return
		}
	}
}

// errMisconf is the reply to writes after a failed BGSAVE (server.c
// shared.bgsaveerr).
const errMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// writesDenied is writeCommandsDeniedByDiskError for RDB.
func (s *Server) writesDenied() bool {
	return s.conf.StopWritesOnBgsaveError && len(s.conf.Save) > 0 && !s.rdb.lastBgsaveOK
}

func cmdSave(c *Client, args [][]byte) {
	s := c.srv
	if s.rdb.bgsave != nil {
		c.addError("ERR Background save already in progress")
		return
	}
	if s.saveSync() != nil {
		c.addError("ERR")
		return
	}
	c.w.OK()
}

// cmdBgsave is bgsaveCommand. SCHEDULE defers a BGSAVE only while
// another kind of background job (an AOF rewrite) runs; kv-server has
// none yet, so it starts at once, and during a BGSAVE it is refused as
// Redis refuses it.
func cmdBgsave(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 1 && !(len(args) == 2 && eqFold(args[1], "schedule")) {
		c.addError(errSyntax)
		return
	}
	if s.rdb.bgsave != nil {
		c.addError("ERR Background save already in progress")
		return
	}
	if s.aof.rewrite != nil {
		// One snapshot at a time, as Redis's one child.
		if len(args) == 2 {
			s.rdb.bgsaveScheduled = true
			c.w.Status("Background saving scheduled")
			return
		}
		c.addError("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		return
	}
	if s.startBgsave() != nil {
		c.addError("ERR")
		return
	}
	c.w.Status("Background saving started")
}

func cmdLastsave(c *Client, args [][]byte) { c.w.Int(c.srv.lastSave) }

// loadFile reads the RDB file at path into the (empty) keyspace:
// rdbLoad. With yield, the engine lock is released regularly so that
// clients connecting meanwhile get -LOADING replies. The caller holds the
// lock. A missing file is no error. With merge a key already present is
// replaced by the file's; otherwise it is an error, as in Redis.
func (s *Server) loadFile(path string, yield, merge bool) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	start := time.Now()
	s.rdb.loading, s.rdb.loadStart, s.rdb.loadTotal = true, start.Unix(), st.Size()
	s.rdb.loadDone.Store(0)
	defer func() { s.rdb.loading = false }()
	cr := &countingReader{r: f, n: &s.rdb.loadDone}
	dec := librdb.NewDecoder(cr)
	dec.VerifyChecksum = s.conf.Rdbchecksum && !s.rdb.skipChecksum
	l := &rdbLoader{valueReader: valueReader{s: s}, db: s.dbs[0], aux: map[string]string{}, merge: merge, size: st.Size()}
	if yield {
		last := time.Now()
		delay := time.Duration(s.conf.KeyLoadDelay) * time.Microsecond
		l.progress = func() {
			if delay <= 0 && (l.loaded&255 != 0 || time.Since(last) < 20*time.Millisecond) {
				return
			}
			s.mu.Unlock()
			if delay > 0 {
				time.Sleep(delay) // key-load-delay, a testing knob
			}
			runtime.Gosched()
			s.mu.Lock()
			s.updateClock()
			last = time.Now()
		}
	}
	if err := dec.Decode(l); err != nil {
		return err
	}
	if v := l.aux["redis-ver"]; v != "" {
		s.log.Notice("Loading RDB produced by version %s", v)
	}
	s.rdb.loadKeysLoaded, s.rdb.loadKeysExpired = l.loaded, l.expired
	s.log.Notice("Done loading RDB, keys loaded: %d, keys expired: %d.", l.loaded, l.expired)
	if l.empty > 0 {
		s.log.Notice("Done loading RDB, empty keys skipped: %d.", l.empty)
	}
	s.log.Notice("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	return nil
}

// countingReader counts the bytes read, for loading_loaded_bytes.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// loadAtStart loads dir/dbfilename at start-up, while the listeners
// already accept connections (loadDataFromDisk).
func (s *Server) loadAtStart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf.Appendonly {
		// Redis loads the AOF alone when appendonly is yes.
		existed, err := s.loadAOF()
		if err != nil {
			var le *aofLoadError
			if errors.As(err, &le) {
				return err
			}
			return fmt.Errorf("Fatal error loading the AOF: %v. Exiting.", err)
		}
		return s.aofOpenAtStart(existed)
	}
	if err := s.loadFile(s.rdbPath(), true, false); err != nil {
		var re *librdb.Error
		if errors.As(err, &re) && errors.Is(err, librdb.ErrChecksum) {
			s.log.Warning("Wrong RDB checksum. Aborting now.")
		}
		return fmt.Errorf("Fatal error loading the DB: %v. Exiting.", err)
	}
	s.lastSave = time.Now().Unix()
	return nil
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE].
func (c *Client) debugReload(args [][]byte) {
	s := c.srv
	save, flush, merge := true, true, false
	for _, a := range args[2:] {
		switch {
		case eqFold(a, "merge"):
			merge = true
		case eqFold(a, "noflush"):
			flush = false
		case eqFold(a, "nosave"):
			save = false
		default:
			c.addError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if save && s.saveSync() != nil {
		c.addError("ERR")
		return
	}
	if flush {
		// emptyData: the keys and the function libraries.
		for _, db := range s.dbs {
			s.emptyDB(db)
		}
		s.script.funcs = nil
		s.trackingInvalidateKeysOnFlush()
	}
	if err := s.loadFile(s.rdbPath(), false, merge); err != nil {
		s.log.Warning("%v", err)
		c.addError("ERR Error trying to load the RDB dump")
		return
	}
	s.log.Notice("DB reloaded by DEBUG RELOAD")
	c.w.OK()
}

// shutdownSave is prepareForShutdown's save: with save points configured
// (or SAVE given) and not NOSAVE, the dataset is saved synchronously; a
// failure stops the shutdown unless force.
func (s *Server) shutdownSave(save, nosave, force bool) bool {
	if s.rdb.bgsave != nil {
		s.log.Warning("There is a child saving an .rdb. Killing it!")
		s.abortBgsave()
		os.Remove(s.tempPath())
	}
	if s.aof.rewrite != nil {
		s.log.Warning("There is a child rewriting the AOF. Killing it!")
		s.abortAOFRewrite()
	}
	if s.aof.w != nil {
		// prepareForShutdown: the AOF is written and fsynced.
		s.log.Notice("Calling fsync() on the AOF file.")
		s.aofFlush()
		if err := s.aof.w.Sync(); err != nil {
			s.log.Warning("Error syncing the AOF file: %v", err)
		}
	}
	if nosave || !save && len(s.conf.Save) == 0 {
		return true
	}
	s.log.Notice("Saving the final RDB snapshot before exiting.")
	if err := s.saveSync(); err != nil {
		if force {
			s.log.Warning("Error trying to save the DB. Exit anyway.")
			return true
		}
		s.log.Warning("Error trying to save the DB, can't exit.")
		return false
	}
	return true
}

// SignalShutdown runs the shutdown that SIGTERM or SIGINT (sig names it)
// asks for, as Redis's shutdown-on-sigterm/sigint "default" (save when
// save points exist), "save", "nosave", "now" and "force" flags do. It
// reports false when saving failed and the server keeps running, as
// Redis does.
func (s *Server) SignalShutdown(sig string) bool {
	s.mu.Lock()
	flags := s.conf.ShutdownOnSigterm
	if sig == "SIGINT" {
		flags = s.conf.ShutdownOnSigint
	}
	has := func(f string) bool {
		for _, w := range strings.Fields(flags) {
			if w == f {
				return true
			}
		}
		return false
	}
	s.log.Warning("Received %s scheduling shutdown...", sig)
	s.log.Warning("User requested shutdown...")
	ok := s.shutdownSave(has("save"), has("nosave"), has("force"))
	s.mu.Unlock()
	if !ok {
		s.log.Warning("%s received but errors trying to shut down the server, check the logs for more information", sig)
		return false
	}
	s.Close()
	return true
}

// infoPersistence writes INFO's persistence fields (Redis 7.0
// genRedisInfoString). The cow fields report the snapshot's extra memory:
// the encoded bytes waiting for the writer (there is no fork).
func (s *Server) infoPersistence(w infoWriter) {
	r := &s.rdb
	loading := 0
	if r.loading {
		loading = 1
	}
	var cowPeak, cowSize, processed, total int64
	inProgress, current := 0, int64(-1)
	if bg := r.bgsave; bg != nil {
		inProgress, current = 1, int64(time.Since(bg.start).Seconds())
		cowPeak, cowSize = bg.pipe.peakBytes(), bg.pipe.queuedBytes()
		processed, total = bg.sn.keys, bg.sn.total
	}
	status := "ok"
	if !r.lastBgsaveOK {
		status = "err"
	}
	w.kv("loading", loading)
	w.kv("async_loading", 0)
	w.kv("current_cow_peak", cowPeak)
	w.kv("current_cow_size", cowSize)
	w.kv("current_cow_size_age", 0)
	w.kv("current_fork_perc", "0.00")
	w.kv("current_save_keys_processed", processed)
	w.kv("current_save_keys_total", total)
	w.kv("rdb_changes_since_last_save", s.dirty)
	w.kv("rdb_bgsave_in_progress", inProgress)
	w.kv("rdb_last_save_time", s.lastSave)
	w.kv("rdb_last_bgsave_status", status)
	w.kv("rdb_last_bgsave_time_sec", r.lastBgsaveTime)
	w.kv("rdb_current_bgsave_time_sec", current)
	w.kv("rdb_saves", r.saves)
	w.kv("rdb_last_cow_size", r.lastCow)
	w.kv("rdb_last_load_keys_expired", r.loadKeysExpired)
	w.kv("rdb_last_load_keys_loaded", r.loadKeysLoaded)
	s.infoAOF(w)
	if r.loading {
		done := r.loadDone.Load()
		elapsed := time.Now().Unix() - r.loadStart
		perc, eta := 0.0, int64(1)
		if r.loadTotal > 0 {
			perc = float64(done) / float64(r.loadTotal) * 100
		}
		if done > 0 && elapsed > 0 {
			eta = (r.loadTotal - done) / (done/elapsed + 1)
		}
		w.kv("loading_start_time", r.loadStart)
		w.kv("loading_total_bytes", r.loadTotal)
		w.kv("loading_rdb_used_mem", 0)
		w.kv("loading_loaded_bytes", done)
		w.kv("loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64))
		w.kv("loading_eta_seconds", eta)
	}
}
