package libaof

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// AppendCommand appends args as one AOF command, a RESP array of bulk
// strings ("*<argc>\r\n" then "$<len>\r\n<arg>\r\n" for each argument), as
// Redis 7.0's catAppendOnlyGenericCommand writes it.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// AppendTimestamp appends the "#TS:<unix seconds>\r\n" annotation that
// aof-timestamp-enabled writes before the commands of a new second (Redis
// 7.0 aof.c genAofTimestampAnnotationIfNeeded).
func AppendTimestamp(b []byte, unix int64) []byte {
	b = append(b, "#TS:"...)
	b = strconv.AppendInt(b, unix, 10)
	return append(b, '\r', '\n')
}

// File names of a multi-part AOF, as Redis 7.0 aof.c names them from
// appendfilename (prefix): "<prefix>.<seq>.base.rdb" (RDB preamble) or
// ".base.aof" (RESP), "<prefix>.<seq>.incr.aof", "<prefix>.manifest", and
// "temp-<prefix>.manifest" for the manifest being replaced.
func BaseName(prefix string, seq int64, rdb bool) string {
	ext := ".aof"
	if rdb {
		ext = ".rdb"
	}
	return prefix + "." + strconv.FormatInt(seq, 10) + ".base" + ext
}

// IncrName is the name of INCR file seq (see BaseName).
func IncrName(prefix string, seq int64) string {
	return prefix + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

// ManifestName is the manifest's name (see BaseName).
func ManifestName(prefix string) string { return prefix + ".manifest" }

// TempManifestName is the name of a manifest being written (see BaseName).
func TempManifestName(prefix string) string { return "temp-" + prefix + ".manifest" }

// WriteManifest replaces dir/name with m atomically, as Redis 7.0's
// writeAofManifestFile: the bytes go to dir/temp-<...> (tempName), which is
// fsynced, closed and renamed over name; then the directory is fsynced. A
// crash at any point leaves the old manifest or the new one. On error the
// temp file is removed and the old manifest is untouched.
func WriteManifest(dir, name, tempName string, m *Manifest) (err error) {
	if err := m.Validate(); err != nil {
		return err
	}
	tmp := filepath.Join(dir, tempName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(m.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs the directory dir, so that a rename or a new file in it
// survives a crash (Redis's fsyncFileDir).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Writer appends to the current INCR file. Append copies commands into a
// pending buffer in command order; WriteTo writes what is pending up to an
// offset with one write(2) (kv-server calls it at the end of each batch,
// under its engine lock, before the replies go out); SyncTo makes sure the
// bytes up to an offset are on disk with group fsyncs: one fsync covers
// every byte written before it started, and the callers waiting share it
// (appendfsync always). Offsets count from the Writer's creation, across
// files, so that "everything before offset n" keeps its meaning when
// Switch moves the writes to a new file.
//
// Append and Switch are called by one goroutine at a time (kv-server calls
// them under its engine lock); the rest may be called from any goroutine.
type Writer struct {
	mu   sync.Mutex
	cond sync.Cond
	// Gather, when set, is called by the goroutine about to fsync for a
	// group, before it decides what the fsync covers: kv-server lets the
	// clients already waiting for its engine lock append their commands
	// first, so that one fsync covers them too (Redis gets that from its
	// event loop: one fsync per iteration, after every ready client ran).
	Gather   func()
	f        *os.File
	pending  []byte // appended, not yet written
	spare    []byte // the last written buffer, reused
	size     int64  // bytes written to the current file
	appended int64  // offset after the last Append
	written  int64  // offset after the last write
	synced   int64  // offset known to be on disk
	writing  bool
	syncing  bool
	err      error // the first write error, or the last fsync error
}

// NewWriter returns a Writer appending to f, which holds size bytes.
func NewWriter(f *os.File, size int64) *Writer {
	w := &Writer{f: f, size: size}
	w.cond.L = &w.mu
	return w
}

// Append queues p (copied) to be written after everything appended before.
func (w *Writer) Append(p []byte) {
	w.mu.Lock()
	w.pending = append(w.pending, p...)
	w.appended += int64(len(p))
	w.mu.Unlock()
}

// Appended is the offset after the last Append.
func (w *Writer) Appended() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.appended
}

// Size is the number of bytes appended to the current file (written or
// about to be).
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size + int64(len(w.pending))
}

// Err is the write error that stopped the writes, or the last fsync
// error; nil once an fsync succeeds after an fsync error.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Pending reports whether some appended bytes are not known to be on disk.
func (w *Writer) Pending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.synced < w.appended
}

// WriteTo returns once every byte before offset off was written to the
// file (or a write failed: the error, and no later write is tried, as the
// file would have a hole).
func (w *Writer) WriteTo(off int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeTo(off)
}

// writeTo is WriteTo with w.mu held.
func (w *Writer) writeTo(off int64) error {
	for w.written < off && w.err == nil {
		if w.writing {
			w.cond.Wait()
			continue
		}
		w.writing = true
		buf, f := w.pending, w.f
		w.pending = w.spare[:0]
		w.mu.Unlock()
		n, err := f.Write(buf)
		if err == nil && n < len(buf) {
			err = errors.New("short write")
		}
		w.mu.Lock()
		w.writing = false
		w.size += int64(n)
		w.written += int64(n)
		if err != nil {
			w.err = err
		}
		if cap(buf) <= 1<<20 {
			w.spare = buf[:0]
		} else {
			w.spare = nil
		}
		w.cond.Broadcast()
	}
	return w.err
}

// SyncTo returns once every byte before offset off is on disk: written
// first if needed, then at once if it already is, else after an fsync
// that started after those bytes were written (one in progress may not
// cover them: the caller waits for it and may start the next, which covers
// every waiter).
func (w *Writer) SyncTo(off int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeTo(off); err != nil {
		return err
	}
	for w.synced < off {
		if w.syncing {
			w.cond.Wait()
			continue
		}
		w.syncing = true
		if w.Gather != nil {
			w.mu.Unlock()
			w.Gather()
			w.mu.Lock()
			if err := w.writeTo(w.appended); err != nil {
				w.syncing = false
				w.cond.Broadcast()
				return err
			}
		}
		goal, f := w.written, w.f
		w.mu.Unlock()
		err := f.Sync()
		w.mu.Lock()
		w.syncing = false
		w.err = err
		if err == nil && goal > w.synced {
			w.synced = goal
		}
		w.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}

// Sync writes and fsyncs everything appended so far (appendfsync
// everysec's background fsync, shutdown).
func (w *Writer) Sync() error { return w.SyncTo(w.Appended()) }

// Switch makes f, holding size bytes, the file written from now on, after
// writing and fsyncing everything appended to the current one (a
// rewrite's new INCR file). The old file is closed.
func (w *Writer) Switch(f *os.File, size int64) error {
	err := w.Sync()
	w.mu.Lock()
	for w.syncing || w.writing {
		w.cond.Wait()
	}
	old := w.f
	w.f, w.size = f, size
	w.mu.Unlock()
	if cerr := old.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close writes, fsyncs and closes the current file.
func (w *Writer) Close() error {
	err := w.Sync()
	w.mu.Lock()
	for w.syncing || w.writing {
		w.cond.Wait()
	}
	f := w.f
	w.mu.Unlock()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
