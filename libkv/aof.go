package libkv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/kvkit/kvkit/libaof"
	"github.com/kvkit/kvkit/libkv/cmdtable"
	"github.com/kvkit/kvkit/librdb"
)

// The append-only file, as Redis 7.0's multi-part AOF (aof.c): a directory
// (appenddirname in dir) holding a manifest, one BASE file (an RDB
// preamble, or RESP commands) and INCR files of the commands propagated
// since. Commands reach the AOF through the propagation sinks
// (propagate.go), are buffered in command order (aof_buf), written at the
// end of each batch of commands under the engine lock, and fsynced by the
// appendfsync policy: always (the replies of a batch wait for an fsync
// that covers its writes: group commit), everysec (a background fsync
// once a second), no.

// aofState is the server's AOF state; guarded by the engine lock.
type aofState struct {
	on         bool // appendonly is in effect (aof_state == AOF_ON)
	manifest   *libaof.Manifest
	w          *libaof.Writer // the current INCR file
	buf        []byte         // aof_buf: propagated, not yet written
	selectedDB int            // the database the file's commands apply to, -1 unknown
	curTS      int64          // the last #TS annotation's second
	lastFsync  time.Time
	syncing    bool // everysec's background fsync is running
	writeErr   error

	// Sizes: aof_base_size is baseSize, the AOF's size after the last
	// load or rewrite (auto-aof-rewrite-percentage's reference);
	// aof_current_size is the BASE file (baseFileSize), the INCR files
	// before the current one (incrDone) and the current one.
	baseSize, baseFileSize, incrDone int64

	rewrite          *aofRewrite // the rewrite in progress (aof_rewrite.go)
	rewriteScheduled bool
	rewrites         int64
	rewriteFailures  int64
	lastRewriteFail  bool  // aof_last_bgrewrite_status:err
	lastRewriteTime  int64 // aof_last_rewrite_time_sec (-1 is shown before any rewrite)
}

// aofDir is dir/appenddirname.
func (s *Server) aofDir() string { return filepath.Join(s.conf.Dir, s.conf.Appenddirname) }

// aofFeed is the AOF's propagation sink (feedAppendOnlyFile): a #TS
// annotation when the second changed (aof-timestamp-enabled), a SELECT
// when the database differs from the file's, then the command.
func (s *Server) aofFeed(db int, args [][]byte) {
	a := &s.aof
	if s.conf.AofTimestampEnabled {
		if now := s.now / 1000; now > a.curTS {
			a.buf = libaof.AppendTimestamp(a.buf, now)
			a.curTS = now
		}
	}
	if db != a.selectedDB {
		a.buf = libaof.AppendCommand(a.buf, []byte("SELECT"), strconv.AppendInt(nil, int64(db), 10))
		a.selectedDB = db
	}
	a.buf = libaof.AppendCommand(a.buf, args...)
}

// aofFlush writes the buffered commands to the INCR file
// (flushAppendOnlyFile); the caller holds the engine lock. Writing under
// the lock keeps the file in command order at the cost of one write(2)
// per batch; handing the write to the clients after the lock (a group
// write) measured slower: the hand-off between goroutines costs more than
// the system call. It returns the offset that must be fsynced before
// replies go out with appendfsync always, else 0.
func (s *Server) aofFlush() int64 {
	a := &s.aof
	if a.w == nil {
		return 0
	}
	if len(a.buf) > 0 {
		a.w.Append(a.buf)
		if cap(a.buf) > 4<<20 {
			a.buf = nil
		} else {
			a.buf = a.buf[:0]
		}
		a.w.WriteTo(a.w.Appended()) // an error shows in aof_last_write_status (aofCron)
	}
	if s.conf.Appendfsync == "always" {
		return a.w.Appended()
	}
	return 0
}

// aofWaitSynced blocks until offset off is on disk (appendfsync always),
// called without the engine lock before a client's replies are sent: one
// fsync covers every client waiting (group commit).
func (s *Server) aofWaitSynced(w *libaof.Writer, off int64) {
	if err := w.SyncTo(off); err != nil {
		// Redis exits: with always, a write or fsync error loses
		// acknowledged writes.
		s.log.Warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %v. Exiting...", err)
		os.Exit(1)
	}
}

// aofCron runs on every cron tick: writes what the cron propagated and,
// with everysec, starts a background fsync once a second.
func (s *Server) aofCron() {
	a := &s.aof
	if a.w == nil {
		return
	}
	s.aofFlush()
	switch err := a.w.Err(); {
	case err != nil && a.writeErr == nil:
		s.log.Warning("Error writing to the AOF file: %v", err)
	case err == nil && a.writeErr != nil:
		s.log.Warning("AOF write error looks solved, Redis can write again.")
	}
	a.writeErr = a.w.Err()
	if s.conf.Appendfsync == "everysec" && !a.syncing && time.Since(a.lastFsync) >= time.Second && a.w.Pending() {
		if s.conf.NoAppendfsyncOnRewrite && s.snap != nil {
			return
		}
		a.syncing = true
		a.lastFsync = time.Now()
		w := a.w
		go func() {
			err := w.Sync()
			s.mu.Lock()
			a.syncing = false
			if err != nil {
				s.log.Warning("Error syncing the AOF file: %v", err)
			}
			s.mu.Unlock()
		}()
	}
}

// aofLoadError is a load failure: the server stops with its message.
type aofLoadError struct{ msg string }

func (e *aofLoadError) Error() string { return e.msg }

// loadAOF loads the AOF at start-up (loadAppendOnlyFiles), migrating an
// old single-file AOF into the directory first. It reports whether an AOF
// existed. The caller holds the engine lock.
func (s *Server) loadAOF() (bool, error) {
	dir := s.aofDir()
	prefix := s.conf.Appendfilename
	mpath := filepath.Join(dir, libaof.ManifestName(prefix))
	old := filepath.Join(s.conf.Dir, prefix)
	if _, err := os.Stat(mpath); errors.Is(err, os.ErrNotExist) {
		if st, err := os.Stat(old); err == nil && st.Mode().IsRegular() {
			// aofUpgradePrepare: the old file becomes the BASE, moved
			// into the directory, with a manifest.
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return false, fmt.Errorf("Can't create AOF directory %s: %v", dir, err)
			}
			m := &libaof.Manifest{Base: &libaof.FileInfo{Name: prefix, Seq: 1, Type: libaof.TypeBase}}
			if err := libaof.WriteManifest(dir, libaof.ManifestName(prefix), libaof.TempManifestName(prefix), m); err != nil {
				return false, err
			}
			if err := os.Rename(old, filepath.Join(dir, prefix)); err != nil {
				return false, err
			}
			libaof.SyncDir(s.conf.Dir)
			s.log.Notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", prefix, s.conf.Appenddirname)
		} else {
			s.aof.manifest = &libaof.Manifest{}
			return false, nil
		}
	}
	f, err := os.Open(mpath)
	if err != nil {
		return false, err
	}
	m, err := libaof.ParseManifest(f)
	f.Close()
	if err != nil {
		return false, err
	}
	s.aof.manifest = m
	files := m.Files()
	// Every file must exist before any is loaded (getAppendOnlyFileSize).
	for _, fi := range files {
		if _, err := os.Stat(filepath.Join(dir, fi.Name)); err != nil {
			return false, &aofLoadError{fmt.Sprintf("Unable to obtain the AOF file %s length. stat: No such file or directory", fi.Name)}
		}
	}
	start := time.Now()
	s.rdb.loading = true
	defer func() { s.rdb.loading = false }()
	for i, fi := range files {
		t := time.Now()
		last := i == len(files)-1
		if err := s.loadAOFFile(filepath.Join(dir, fi.Name), fi.Name, fi.Type == libaof.TypeBase, last); err != nil {
			return true, err
		}
		what := "incr"
		st, _ := os.Stat(filepath.Join(dir, fi.Name))
		switch {
		case fi.Type == libaof.TypeBase:
			what = "base"
			s.aof.baseFileSize = st.Size()
		case !last:
			s.aof.incrDone += st.Size()
		}
		s.log.Notice("DB loaded from %s file %s: %.3f seconds", what, fi.Name, time.Since(t).Seconds())
	}
	s.log.Notice("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	return true, nil
}

// loadAOFFile replays one file (loadSingleAppendOnlyFile): an RDB preamble
// if it starts with "REDIS", then RESP commands. A MULTI left open at the
// end is reverted; a file cut short is truncated at its last complete
// command when it is the last file and aof-load-truncated is yes.
func (s *Server) loadAOFFile(path, name string, base, last bool) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var rd io.Reader = br
	var offset int64
	if sig, _ := br.Peek(5); string(sig) == "REDIS" {
		if filepath.Ext(name) == ".rdb" {
			s.log.Notice("Reading RDB base file on AOF loading...")
		} else {
			s.log.Notice("Reading RDB preamble from AOF file...")
		}
		dec := librdb.NewDecoder(br)
		dec.VerifyChecksum = s.conf.Rdbchecksum
		l := &rdbLoader{valueReader: valueReader{s: s}, db: s.dbs[0], aux: map[string]string{}, size: st.Size()}
		if err := dec.Decode(l); err != nil {
			return &aofLoadError{fmt.Sprintf("Error reading the RDB preamble of the AOF file %s, AOF loading aborted: %v", name, err)}
		}
		if v := l.aux["redis-ver"]; v != "" {
			s.log.Notice("Loading RDB produced by version %s", v)
		}
		s.log.Notice("Done loading RDB, keys loaded: %d, keys expired: %d.", l.loaded, l.expired)
		offset = dec.Offset()
		rd = dec.Rest()
		if filepath.Ext(name) != ".rdb" {
			s.log.Notice("Reading the remaining AOF tail...")
		}
	}
	r := libaof.NewReader(rd, offset)
	fake := &Client{srv: s, db: s.dbs[0], fd: -1, authed: true, created: time.Now()}
	fake.w.Proto = 2
	var queued [][][]byte
	inMulti := false
	var validUpTo, validBeforeMulti int64 = offset, offset
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !libaof.IsTruncated(err) {
				return &aofLoadError{fmt.Sprintf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)}
			}
			return s.aofTruncated(f, name, validUpTo, last)
		}
		if rec.Kind == libaof.Annotation {
			if !inMulti {
				validUpTo = rec.End
			}
			continue
		}
		args := make([][]byte, len(rec.Args))
		for i, a := range rec.Args {
			args[i] = append([]byte(nil), a...)
		}
		// MULTI and EXEC are the loader's: the commands between them are
		// queued and run at EXEC, as the fake client's transaction.
		isMulti, isExec := eqFold(args[0], "multi"), eqFold(args[0], "exec")
		if !isMulti && !isExec && s.lookupCommand(args) == nil {
			return &aofLoadError{fmt.Sprintf("Unknown command '%s' reading the append only file %s", args[0], name)}
		}
		switch {
		case isMulti:
			inMulti, queued = true, queued[:0]
			validBeforeMulti = rec.Offset
		case isExec && inMulti:
			for _, q := range queued {
				s.aofReplay(fake, q)
			}
			inMulti, queued = false, nil
		case inMulti:
			queued = append(queued, args)
		default:
			s.aofReplay(fake, args)
		}
		if !inMulti {
			validUpTo = rec.End
		}
	}
	if inMulti {
		s.log.Warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
		return s.aofTruncated(f, name, validBeforeMulti, last)
	}
	return nil
}

// aofReplay runs one command of an AOF on the loading client.
func (s *Server) aofReplay(fake *Client, args [][]byte) {
	cmd := s.lookupCommand(args)
	if cmd == nil || !cmd.meta.CheckArity(len(args)) {
		return
	}
	s.updateClock()
	fake.curArgs = args
	fake.lastCmd = cmd.meta.Name
	fake.run(cmd, args)
	fake.w.Reset()
	if cmd.meta.Flags.Has(cmdtable.FlagWrite) && len(s.blocking.ready) > 0 {
		s.handleReadyKeys()
	}
}

// aofTruncated handles a file that ends in the middle of a command (or of
// a MULTI block): with aof-load-truncated and the last file, the file is
// truncated to valid bytes and loading goes on, as Redis; otherwise the
// load fails.
func (s *Server) aofTruncated(f *os.File, name string, valid int64, last bool) error {
	s.log.Warning("!!! Warning: short read while loading the AOF file %s!!!", name)
	if !last || !s.conf.AofLoadTruncated {
		return &aofLoadError{fmt.Sprintf("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)}
	}
	s.log.Warning("!!! Truncating the AOF %s at offset %d !!!", name, valid)
	if err := f.Truncate(valid); err != nil {
		return &aofLoadError{fmt.Sprintf("Error truncating the AOF file %s: %v", name, err)}
	}
	s.log.Warning("AOF %s loaded anyway because aof-load-truncated is enabled", name)
	return nil
}

// aofOpenAtStart creates what is missing of the AOF directory after
// loading (aofOpenIfNeededOnServerStart): a BASE of the dataset when there
// was no AOF, a new INCR file when the manifest lists none (else the last
// one is opened for appending), the manifest; then deletes history files.
func (s *Server) aofOpenAtStart(existed bool) error {
	a := &s.aof
	dir := s.aofDir()
	prefix := s.conf.Appendfilename
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %v", dir, err)
	}
	m := a.manifest
	changed := false
	if !existed {
		seq := int64(1)
		name, err := s.writeAOFBase(dir, prefix, seq)
		if err != nil {
			return err
		}
		m.Base = &libaof.FileInfo{Name: name, Seq: seq, Type: libaof.TypeBase}
		changed = true
		s.log.Notice("Creating AOF base file %s on server start", name)
	}
	var name string
	if len(m.Incr) > 0 {
		name = m.Incr[len(m.Incr)-1].Name
		s.log.Notice("Opening AOF incr file %s on server start", name)
	} else {
		seq := int64(1)
		if m.Base != nil && !existed {
			seq = m.Base.Seq
		}
		name = libaof.IncrName(prefix, seq)
		m.Incr = append(m.Incr, libaof.FileInfo{Name: name, Seq: seq, Type: libaof.TypeIncr})
		changed = true
		s.log.Notice("Creating AOF incr file %s on server start", name)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the append-only file %s: %v", name, err)
	}
	if changed {
		if err := libaof.WriteManifest(dir, libaof.ManifestName(prefix), libaof.TempManifestName(prefix), m); err != nil {
			f.Close()
			return err
		}
	}
	st, _ := f.Stat()
	a.w = s.newAOFWriter(f, st.Size())
	a.on = true
	a.selectedDB = -1
	if m.Base != nil && !existed {
		if st, err := os.Stat(filepath.Join(dir, m.Base.Name)); err == nil {
			a.baseFileSize = st.Size()
		}
	}
	if existed {
		a.baseSize = a.currentSize()
	}
	a.lastFsync = time.Now()
	s.prop.sinks = append(s.prop.sinks, s.aofFeed)
	s.aofDeleteHistory()
	return nil
}

// writeAOFBase writes the dataset as BASE file seq, safely, and returns
// its name: an RDB preamble (".rdb"), or RESP commands (".aof",
// aof_resp.go) with aof-use-rdb-preamble no.
func (s *Server) writeAOFBase(dir, prefix string, seq int64) (string, error) {
	rdb := s.conf.AofUseRdbPreamble
	name := libaof.BaseName(prefix, seq, rdb)
	tmp := filepath.Join(dir, "temp-rewriteaof-"+strconv.Itoa(os.Getpid())+".aof")
	err := writeFileSafely(tmp, filepath.Join(dir, name), false, func(w io.Writer) error {
		if rdb {
			return s.encodeSync(w, true)
		}
		rb := newRESPBase(w, s.aofBaseTS())
		err := s.encodeSync(rb, true)
		if cerr := rb.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return name, err
}

// aofBaseTS is the "#TS:" a RESP BASE starts with under
// aof-timestamp-enabled (rewriteAppendOnlyFileRio), else 0.
func (s *Server) aofBaseTS() int64 {
	if s.conf.AofTimestampEnabled {
		return time.Now().Unix()
	}
	return 0
}

// aofDeleteHistory removes the HISTORY files and drops them from the
// manifest (aofDelHistoryFiles).
func (s *Server) aofDeleteHistory() {
	m := s.aof.manifest
	if len(m.History) == 0 {
		return
	}
	dir := s.aofDir()
	for _, fi := range m.History {
		s.log.Notice("Removing the history file %s in the background", fi.Name)
		os.Remove(filepath.Join(dir, fi.Name))
	}
	m.History = nil
	prefix := s.conf.Appendfilename
	if err := libaof.WriteManifest(dir, libaof.ManifestName(prefix), libaof.TempManifestName(prefix), m); err != nil {
		s.log.Warning("Error writing the AOF manifest: %v", err)
	}
}

// newAOFWriter is a libaof.Writer whose group fsyncs first let the clients
// waiting for the engine lock run (at most ~1 ms): their commands join the
// fsync instead of waiting for the next one.
func (s *Server) newAOFWriter(f *os.File, size int64) *libaof.Writer {
	w := libaof.NewWriter(f, size)
	w.Gather = func() {
		deadline := time.Now().Add(time.Millisecond)
		for s.lockWaiters.Load() > 0 && time.Now().Before(deadline) {
			runtime.Gosched()
		}
	}
	return w
}
