package libaof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PreambleChecker validates the RDB file at the start of r (r starts with
// the "REDIS" magic) and returns how many bytes the RDB occupies: through its
// EOF opcode and checksum. It may read ahead past that point, up to 2 MiB.
// A damaged RDB is an error; a *PreambleError says where and why.
type PreambleChecker func(r io.Reader) (n int64, err error)

// PreambleError is a damaged RDB preamble: Offset is the byte offset from
// the start of the file, Reason what is wrong there.
type PreambleError struct {
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
}

func (e *PreambleError) Error() string {
	return fmt.Sprintf("RDB preamble: offset %d: %s", e.Offset, e.Reason)
}

// Verdict is the state of one AOF file.
type Verdict string

// Verdicts. Valid and Empty files load; the others stop Redis 7.0 from
// loading (Truncated ones load with aof-load-truncated yes when the file is
// the last one).
const (
	Valid      Verdict = "valid"
	Empty      Verdict = "empty"
	Truncated  Verdict = "truncated"  // the file ends inside a command or MULTI block
	Corrupt    Verdict = "corrupt"    // bytes that are not a valid AOF
	Missing    Verdict = "missing"    // named by the manifest, not on disk
	Unreadable Verdict = "unreadable" // cannot be opened or read (permissions, I/O error)
)

// OK reports whether the verdict lets the file load.
func (v Verdict) OK() bool { return v == Valid || v == Empty }

// CommandSummary describes a command briefly: its name and first argument
// (at most 64 bytes each), and where it is.
type CommandSummary struct {
	Offset int64  `json:"offset"`
	End    int64  `json:"end"`
	Name   string `json:"name"`
	Arg    string `json:"arg,omitempty"`
	Argc   int    `json:"argc"`
}

// FileReport is the result of checking one file.
type FileReport struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Role   string `json:"role"`   // "base", "incr" (multi-part) or "aof" (single file)
	Format string `json:"format"` // "rdb-preamble" or "resp"
	Size   int64  `json:"size"`

	Verdict Verdict `json:"verdict"`
	// OKUpTo is redis-check-aof's ok_up_to: the length of the valid
	// prefix, ending after the last complete command outside a MULTI block.
	OKUpTo      int64  `json:"ok_up_to"`
	ErrorOffset int64  `json:"error_offset"` // where reading failed; -1 if it did not
	Reason      string `json:"reason,omitempty"`
	// MultiAt is the offset of a MULTI whose EXEC was never read, -1 if none.
	MultiAt  int64           `json:"multi_at"`
	LastGood *CommandSummary `json:"last_good,omitempty"`

	RDBBytes    int64            `json:"rdb_bytes"`
	Commands    int64            `json:"commands"`
	Annotations int64            `json:"annotations"`
	FirstTS     int64            `json:"first_timestamp,omitempty"` // first #TS value, 0 if none
	LastTS      int64            `json:"last_timestamp,omitempty"`
	Counts      map[string]int64 `json:"counts,omitempty"` // per lower-cased command name (at most 10000, then "(other)"), with Options.Stats
	// TimestampCut is, with Options.ToTimestamp, the offset where the file
	// would be cut (the first #TS annotation later than the timestamp, or
	// the MULTI that encloses it); -1 if nothing is later.
	TimestampCut int64 `json:"timestamp_cut"`
}

// Statistics keep at most maxDistinctCommands command names; further names
// (only a damaged or hostile file has so many) are counted under
// otherCommands, so memory stays bounded.
const (
	maxDistinctCommands = 10000
	otherCommands       = "(other)"
)

// Options tune Check.
type Options struct {
	// Preamble validates RDB preambles; without it a file with an RDB
	// preamble is reported corrupt with "no RDB checker".
	Preamble PreambleChecker
	// ToTimestamp, when > 0, stops each file at the first "#TS:" annotation
	// later than it (redis-check-aof --truncate-to-timestamp) and records
	// the cut in FileReport.TimestampCut.
	ToTimestamp int64
	// Stats fills FileReport.Counts.
	Stats bool
	// Visit, when set, is called for every command read, in order; db is the
	// database selected at that point (each file starts in db 0, as Redis
	// loads it) and ts the last "#TS:" value seen in the file (0 if none).
	Visit func(f *FileReport, rec *Record, db int64, ts int64)
	// MaxArgLen limits the argument bytes kept for Visit (default 64 KiB);
	// Visit sees at most 65536 arguments of a command (Record.Argc has the
	// real count).
	MaxArgLen int
	// Progress, when set, is called now and then with the file being read
	// and the bytes of it read so far.
	Progress func(f *FileReport, done int64)
}

// Report is the result of Check.
type Report struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"` // "multi-part", "single" or "stdin"
	Manifest string `json:"manifest,omitempty"`
	// ManifestError is set when the manifest itself is invalid; no file was
	// checked then (Redis refuses to go on).
	ManifestError *ManifestError `json:"manifest_error,omitempty"`
	Warnings      []string       `json:"warnings,omitempty"`
	Files         []FileReport   `json:"files"`
	Valid         bool           `json:"valid"`
	// Problem is the index in Files of the first file that is not OK,
	// -1 if there is none.
	Problem int `json:"problem"`

	manifest *Manifest
}

// Check checks path, which is a manifest, a directory holding one (an
// appendonlydir), a single old-style AOF (RESP, or RDB preamble + RESP
// tail), or "-" for a single AOF on standard input. It returns an error only
// for usage and I/O errors (path missing or unreadable, no manifest in a
// directory); what is wrong inside the files is in the Report.
//
// The checks are those of redis-check-aof 7.0 (checkMultiPartAof,
// checkSingleAof): the manifest as ParseManifest, then BASE and INCR files in
// load order. kvkit also reports every file after the first bad one, a
// missing BASE and unlisted AOF files in the directory (as warnings), and
// detects a manifest by its first non-comment line, where redis-check-aof
// takes any file holding a line that starts with "file" for one.
func Check(path string, opts *Options) (*Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	rep := &Report{Path: path, Problem: -1}
	if path == "-" {
		rep.Kind = "stdin"
		br := bufio.NewReaderSize(os.Stdin, 64<<10)
		head, _ := br.Peek(64 << 10)
		if looksLikeManifest("", head) {
			return nil, errors.New("standard input holds a manifest: give the manifest's path, its files are relative to it")
		}
		fr := FileReport{Name: "-", Path: "-", Role: "aof", Size: -1}
		checkStream(br, &fr, opts, len(head) >= 8 && bytes.HasPrefix(head, []byte("REDIS")))
		rep.Files = append(rep.Files, fr)
		rep.finish()
		return rep, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	manifestPath := ""
	if st.IsDir() {
		if manifestPath, err = findManifest(path); err != nil {
			return nil, err
		}
	} else {
		head, err := readHead(path, 64<<10)
		if err != nil {
			return nil, err
		}
		if !(len(head) >= 8 && bytes.HasPrefix(head, []byte("REDIS"))) && looksLikeManifest(path, head) {
			manifestPath = path
		}
	}
	if manifestPath == "" {
		rep.Kind = "single"
		fr := FileReport{Name: filepath.Base(path), Path: path, Role: "aof"}
		checkFile(&fr, opts, true)
		rep.Files = append(rep.Files, fr)
		rep.finish()
		return rep, nil
	}
	rep.Kind = "multi-part"
	rep.Manifest = manifestPath
	f, err := os.Open(manifestPath)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(f)
	f.Close()
	var me *ManifestError
	if errors.As(err, &me) {
		rep.ManifestError = me
		rep.finish()
		return rep, nil
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	rep.manifest = m
	dir := filepath.Dir(manifestPath)
	if m.Base == nil {
		rep.Warnings = append(rep.Warnings, "the manifest names no BASE file (Redis loads the INCR files into an empty data set)")
	}
	for _, fi := range m.Files() {
		fr := FileReport{Name: fi.Name, Path: filepath.Join(dir, fi.Name), Role: fi.Type.String()}
		checkFile(&fr, opts, fi.Type == TypeBase)
		rep.Files = append(rep.Files, fr)
	}
	rep.Warnings = append(rep.Warnings, unlisted(dir, manifestPath, m)...)
	rep.finish()
	return rep, nil
}

func (rep *Report) finish() {
	rep.Valid = rep.ManifestError == nil
	for i := range rep.Files {
		if !rep.Files[i].Verdict.OK() {
			rep.Valid = false
			if rep.Problem < 0 {
				rep.Problem = i
			}
		}
	}
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:k], err
}

// looksLikeManifest reports whether a file named name that starts with
// head is a manifest: its name ends in ".manifest", or its first line that
// is not a '#' comment starts with "file", or it is not an AOF (it does not
// start with '*' or '#') and some line starts with "file". redis-check-aof
// takes any file with a line starting with "file" for a manifest, even a
// RESP AOF holding such a value; kvkit does not, but a damaged manifest is
// still a manifest, never an AOF to truncate.
func looksLikeManifest(name string, head []byte) bool {
	if strings.HasSuffix(name, ".manifest") {
		return true
	}
	aof := len(head) > 0 && (head[0] == '*' || head[0] == '#')
	first := true
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		if bytes.HasPrefix(line, []byte("file")) && (first || !aof) {
			return true
		}
		first = false
	}
	return false
}

// findManifest returns the one *.manifest file in dir (temp- files aside).
func findManifest(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var found []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".manifest") && !strings.HasPrefix(n, "temp-") && e.Type().IsRegular() {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: no *.manifest file in the directory", dir)
	case 1:
		return filepath.Join(dir, found[0]), nil
	}
	return "", fmt.Errorf("%s: several manifests (%s): give the one to check", dir, strings.Join(found, ", "))
}

// unlisted warns about files of the AOF's name family in dir that the
// manifest does not list (backups made by Plan.Apply aside).
func unlisted(dir, manifestPath string, m *Manifest) []string {
	prefix := strings.TrimSuffix(filepath.Base(manifestPath), ".manifest")
	listed := map[string]bool{filepath.Base(manifestPath): true}
	for _, fi := range append(m.Files(), m.History...) {
		listed[fi.Name] = true
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return []string{fmt.Sprintf("cannot list %s: %v", dir, err)}
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if listed[n] || !e.Type().IsRegular() || isBackupName(n) {
			continue
		}
		switch {
		case strings.HasPrefix(n, "temp-"+prefix):
			out = append(out, fmt.Sprintf("%s is a leftover temporary file of an interrupted rewrite (not loaded)", n))
		case strings.HasPrefix(n, prefix+"."):
			out = append(out, fmt.Sprintf("%s is not listed in the manifest (not loaded)", n))
		}
	}
	sort.Strings(out)
	return out
}

// isBackupName reports whether n is a backup that Plan.Apply made
// (NAME.bak or NAME.bak.N): not loaded by Redis, and not worth a warning.
func isBackupName(n string) bool {
	if i := strings.LastIndex(n, ".bak"); i > 0 {
		rest := n[i+4:]
		return rest == "" || rest[0] == '.' && strings.Trim(rest[1:], "0123456789") == "" && len(rest) > 1
	}
	return false
}

// checkFile checks the file fr.Path. base says whether it may start with an
// RDB preamble (a BASE or a single file; Redis never looks for one in INCR
// files).
func checkFile(fr *FileReport, opts *Options, base bool) {
	fr.ErrorOffset, fr.MultiAt, fr.TimestampCut = -1, -1, -1
	f, err := os.Open(fr.Path)
	if err != nil {
		fr.Verdict, fr.Reason = Missing, err.Error()
		if !errors.Is(err, os.ErrNotExist) {
			fr.Verdict = Unreadable
		}
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fr.Verdict, fr.Reason = Unreadable, err.Error()
		return
	}
	fr.Size = st.Size()
	fr.Format = "resp"
	if fr.Size == 0 {
		fr.Verdict = Empty
		return
	}
	// redis-check-aof fileIsRDB: at least 8 bytes, starting "REDIS".
	var magic [5]byte
	preamble := false
	if base && fr.Size >= 8 {
		if _, err := io.ReadFull(f, magic[:]); err == nil && string(magic[:]) == "REDIS" {
			preamble = true
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			fr.Verdict, fr.Reason = Unreadable, err.Error()
			return
		}
	}
	checkStream(f, fr, opts, preamble)
}

// checkStream checks one AOF stream as redis-check-aof's checkSingleAof
// does. fr.Size < 0 means unknown (standard input): it becomes the number of
// bytes read.
func checkStream(rd io.Reader, fr *FileReport, opts *Options, preamble bool) {
	fr.ErrorOffset, fr.MultiAt, fr.TimestampCut = -1, -1, -1
	fr.Format = "resp"
	var offset int64
	if preamble {
		fr.Format = "rdb-preamble"
		if opts.Preamble == nil {
			fr.Verdict, fr.ErrorOffset, fr.Reason = Corrupt, 0, "the file starts with an RDB preamble and no RDB checker is available"
			finishSize(rd, fr, 0)
			return
		}
		tk := &tailKeeper{r: rd}
		n, err := opts.Preamble(tk)
		if err == nil {
			var rest io.Reader
			rest, err = tk.rest(n)
			rd = rest
		}
		if err != nil {
			fr.Verdict, fr.ErrorOffset, fr.Reason = Corrupt, 0, "RDB preamble is not valid: "+err.Error()
			var pe *PreambleError
			if errors.As(err, &pe) {
				fr.ErrorOffset, fr.Reason = pe.Offset, "RDB preamble is not valid: "+pe.Reason
			}
			finishSize(rd, fr, tk.total)
			return
		}
		fr.RDBBytes, offset = n, n
	}
	maxArg := opts.MaxArgLen
	if maxArg <= 0 {
		maxArg = 64 << 10
	}
	r := NewReader(rd, offset)
	r.MaxArgLen, r.MaxArgs = maxArg, 1<<16
	if opts.Visit == nil {
		// Only the command name and first argument are looked at.
		r.MaxArgLen, r.MaxArgs = 64, 2
	}
	if opts.Stats && fr.Counts == nil {
		fr.Counts = map[string]int64{}
	}
	counts := map[string]*int64{}
	var (
		multi        int
		pos          int64
		db, ts       int64
		err          error
		rec          *Record
		lastGood     lastCommand
		nameBuf      [64]byte
		nextProgress int64 = 8 << 20
	)
loop:
	for {
		if multi == 0 {
			pos = r.Offset()
		}
		if opts.Progress != nil && r.Offset() >= nextProgress {
			opts.Progress(fr, r.Offset())
			nextProgress = r.Offset() + 8<<20
		}
		rec, err = r.Next()
		if err != nil {
			break
		}
		if rec.Kind == Annotation {
			fr.Annotations++
			if !bytes.HasPrefix(rec.Line, []byte("TS:")) {
				continue
			}
			v, rest := strtol(rec.Line[3:])
			if len(rest) != 0 {
				// Redis only reads #TS values with --truncate-to-timestamp,
				// and then wants digits followed by '\r'.
				if opts.ToTimestamp > 0 {
					err = &SyntaxError{Offset: rec.Offset, Reason: fmt.Sprintf("invalid timestamp annotation %q", rec.Line)}
					break
				}
				continue
			}
			ts = v
			if fr.FirstTS == 0 {
				fr.FirstTS = v
			}
			fr.LastTS = v
			if opts.ToTimestamp > 0 && v > opts.ToTimestamp {
				fr.TimestampCut = rec.Offset
				if multi > 0 {
					// kvkit cuts before the open MULTI: redis-check-aof
					// would leave a MULTI without EXEC behind.
					fr.TimestampCut = fr.MultiAt
				}
				pos = fr.TimestampCut
				multi = 0
				break
			}
			continue
		}
		fr.Commands++
		var name []byte
		if len(rec.Args) > 0 {
			name = rec.Args[0]
		}
		switch {
		case asciiEqualFold(name, "multi"):
			if multi++; multi != 1 {
				err = &SyntaxError{Offset: rec.Offset, Reason: fmt.Sprintf("MULTI inside the MULTI block started at offset %d", fr.MultiAt)}
				break loop
			}
			fr.MultiAt = rec.Offset
		case asciiEqualFold(name, "exec"):
			if multi--; multi != 0 {
				err = &SyntaxError{Offset: rec.Offset, Reason: "EXEC without MULTI"}
				break loop
			}
			fr.MultiAt = -1
		case asciiEqualFold(name, "select") && len(rec.Args) > 1:
			db, _ = strtol(rec.Args[1])
		}
		if fr.Counts != nil {
			lower := nameBuf[:0]
			for _, c := range name[:min(len(name), len(nameBuf))] {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				lower = append(lower, c)
			}
			if p, ok := counts[string(lower)]; ok {
				*p++
			} else if len(counts) < maxDistinctCommands {
				counts[string(lower)] = new(int64)
				*counts[string(lower)] = 1
			} else {
				fr.Counts[otherCommands]++
			}
		}
		if opts.Visit != nil {
			opts.Visit(fr, rec, db, ts)
		}
		if multi == 0 {
			lastGood.set(rec)
		}
	}
	for k, v := range counts {
		fr.Counts[k] += *v
	}
	fr.LastGood = lastGood.summary()
	fr.OKUpTo = pos
	var se *SyntaxError
	switch {
	case err == io.EOF && multi > 0:
		fr.Verdict, fr.ErrorOffset, fr.Reason = Truncated, r.Offset(), fmt.Sprintf("reached the end of the file before the EXEC of the MULTI at offset %d", fr.MultiAt)
	case err == io.EOF || fr.TimestampCut >= 0:
		fr.Verdict = Valid
	case errors.As(err, &se):
		fr.Verdict, fr.ErrorOffset, fr.Reason = Corrupt, se.Offset, se.Reason
		if se.Truncated {
			fr.Verdict = Truncated
		}
		if multi > 0 {
			fr.Reason += fmt.Sprintf(" (inside the MULTI block started at offset %d, which is dropped with it)", fr.MultiAt)
		}
	default:
		fr.Verdict, fr.ErrorOffset, fr.Reason = Unreadable, r.Offset(), "read error: "+err.Error()
	}
	if fr.Verdict == Corrupt && strings.Contains(fr.Reason, `got "\n`) {
		fr.Reason += ` (the file looks like its "\r\n" line ends were converted to "\n", e.g. by git or a text editor)`
	}
	if fr.Size < 0 {
		finishSize(rd, fr, r.Offset()+int64(r.Buffered()))
	}
}

// finishSize sets an unknown size (standard input) by reading the rest of
// rd; readSoFar counts the bytes taken from it before.
func finishSize(rd io.Reader, fr *FileReport, readSoFar int64) {
	if fr.Size >= 0 {
		return
	}
	fr.Size = readSoFar
	if rd != nil {
		n, _ := io.Copy(io.Discard, rd)
		fr.Size += n
	}
}

// lastCommand remembers the last valid command without allocating: it is
// updated for every command of a file that may hold millions.
type lastCommand struct {
	valid     bool
	offset    int64
	end       int64
	argc      int
	name, arg []byte
}

func (l *lastCommand) set(rec *Record) {
	l.valid, l.offset, l.end, l.argc = true, rec.Offset, rec.End, int(rec.Argc)
	l.name, l.arg = l.name[:0], l.arg[:0]
	if len(rec.Args) > 0 {
		l.name = append(l.name, rec.Args[0][:min(len(rec.Args[0]), 64)]...)
	}
	if len(rec.Args) > 1 {
		l.arg = append(l.arg, rec.Args[1][:min(len(rec.Args[1]), 64)]...)
	}
}

func (l *lastCommand) summary() *CommandSummary {
	if !l.valid {
		return nil
	}
	return &CommandSummary{Offset: l.offset, End: l.end, Argc: l.argc, Name: string(l.name), Arg: string(l.arg)}
}

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// tailKeeper passes reads through and remembers the last bytes read, so
// that the input after an RDB preamble can be replayed even when the
// PreambleChecker read ahead.
type tailKeeper struct {
	r     io.Reader
	total int64
	win   []byte
}

const tailWindow = 2 << 20 // twice a decoder's usual 1 MiB read-ahead

func (t *tailKeeper) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.total += int64(n)
	t.win = append(t.win, p[:n]...)
	if len(t.win) > 2*tailWindow {
		k := copy(t.win, t.win[len(t.win)-tailWindow:])
		t.win = t.win[:k]
	}
	return n, err
}

// rest returns the input from offset used on.
func (t *tailKeeper) rest(used int64) (io.Reader, error) {
	first := t.total - int64(len(t.win))
	if used > t.total || used < first || used < 0 {
		return nil, fmt.Errorf("the RDB checker reported %d bytes used after reading %d", used, t.total)
	}
	return io.MultiReader(bytes.NewReader(t.win[used-first:]), t.r), nil
}
