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

// Writer appends to the current INCR file and fsyncs it by group commit.
// Offsets are counted across files since the Writer was made, so that
// "everything up to offset n is on disk" keeps its meaning when Switch
// moves the writes to a new file.
//
// Write and Switch are called by one goroutine at a time (kv-server calls
// them under its engine lock); Sync and SyncTo may be called from any
// goroutine. With appendfsync always a client calls SyncTo(offset after
// its writes) before its reply is sent: one fsync covers every write made
// before it started, as Redis's one fsync per event-loop iteration covers
// every client served in it.
type Writer struct {
	mu      sync.Mutex
	cond    sync.Cond
	f       *os.File
	size    int64 // bytes in the current file
	written int64 // offset after the last write, across files
	synced  int64 // offset known to be on disk
	syncing bool
	err     error // the last fsync error; cleared by a successful one
}

// NewWriter returns a Writer appending to f, which holds size bytes.
func NewWriter(f *os.File, size int64) *Writer {
	w := &Writer{f: f, size: size}
	w.cond.L = &w.mu
	return w
}

// Write appends p to the current file. A short write is an error; the
// bytes written still count (Redis then truncates or retries; kv-server
// reports the error and keeps the counters true).
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.mu.Lock()
	w.size += int64(n)
	w.written += int64(n)
	w.mu.Unlock()
	if err == nil && n < len(p) {
		err = errors.New("short write")
	}
	return n, err
}

// Size is the number of bytes in the current file.
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Written is the offset after the last write.
func (w *Writer) Written() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Pending reports whether some written bytes are not known to be on disk.
func (w *Writer) Pending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.synced < w.written
}

// SyncTo returns once every byte before offset off is on disk: at once if
// it already is, else after an fsync that started after those bytes were
// written (one in progress may not cover them: the caller waits for it and
// may start the next, which covers every waiter).
func (w *Writer) SyncTo(off int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced < off {
		if w.syncing {
			w.cond.Wait()
			continue
		}
		w.syncing = true
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

// Sync fsyncs everything written so far (appendfsync everysec's
// background fsync).
func (w *Writer) Sync() error { return w.SyncTo(w.Written()) }

// Switch makes f, holding size bytes, the file written from now on, after
// fsyncing the current one (a rewrite's new INCR file). The old file is
// closed.
func (w *Writer) Switch(f *os.File, size int64) error {
	err := w.Sync()
	w.mu.Lock()
	for w.syncing {
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

// Close fsyncs and closes the current file.
func (w *Writer) Close() error {
	err := w.Sync()
	w.mu.Lock()
	for w.syncing {
		w.cond.Wait()
	}
	f := w.f
	w.mu.Unlock()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
