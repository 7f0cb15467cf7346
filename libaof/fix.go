package libaof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Plan is a repair: truncate one file to its valid prefix and, when the
// damage is not in the last file and the user insisted, remove the files
// after it from the manifest. Nothing is changed until Apply.
type Plan struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	From   int64  `json:"from"` // current size
	To     int64  `json:"to"`   // size after the repair
	Reason string `json:"reason"`
	// Dropped are the files after the truncated one that the repair
	// removes from the manifest (moved to the backup location, not deleted).
	Dropped         []FileReport `json:"dropped,omitempty"`
	DroppedBytes    int64        `json:"dropped_bytes"`
	DroppedCommands int64        `json:"dropped_commands"`
	ManifestPath    string       `json:"manifest_path,omitempty"`

	manifest *Manifest // the manifest to write when Dropped is not empty
}

// RefusalError explains why a repair is not done.
type RefusalError struct{ Reason string }

func (e *RefusalError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// PlanFix returns the repair of redis-check-aof --fix: the last file is
// truncated back to the end of its last valid command (OKUpTo). It returns
// nil, nil when there is nothing to repair, and a *RefusalError when the
// damage cannot be repaired by truncation: an invalid manifest, a missing
// file, a damaged RDB preamble, standard input, or damage in a file that is
// not the last one — unless forceMiddle, in which case that file is
// truncated and every later file is dropped from the manifest.
func (rep *Report) PlanFix(forceMiddle bool) (*Plan, error) {
	if rep.ManifestError != nil {
		return nil, refuse("the manifest %s is not valid (%v): nothing is truncated; correct the manifest by hand", rep.Manifest, rep.ManifestError)
	}
	if rep.Problem < 0 {
		return nil, nil
	}
	f := rep.Files[rep.Problem]
	if rep.Kind == "stdin" {
		return nil, refuse("standard input cannot be repaired: run kv-check-aof --fix on the file")
	}
	switch {
	case f.Verdict == Unreadable:
		return nil, refuse("%s cannot be read (%s): nothing is changed", f.Name, f.Reason)
	case f.Verdict == Missing:
		return nil, refuse("%s is missing (%s): restore it from a backup; truncation cannot repair a missing file", f.Name, f.Reason)
	case f.Format == "rdb-preamble" && f.OKUpTo < f.RDBBytes || f.Format == "rdb-preamble" && f.RDBBytes == 0:
		return nil, refuse("the RDB preamble of %s is damaged (%s): truncating would lose the whole snapshot; restore the file from a backup", f.Name, f.Reason)
	case f.Size < 0 || f.OKUpTo > f.Size:
		return nil, refuse("%s could not be read (%s)", f.Name, f.Reason)
	}
	return rep.plan(rep.Problem, f.OKUpTo, fmt.Sprintf("%s at offset %d: %s", f.Verdict, f.ErrorOffset, f.Reason), forceMiddle)
}

// PlanTimestamp returns the repair of redis-check-aof --truncate-to-timestamp:
// cut the file at its first "#TS:" annotation later than the timestamp that
// Check was run with (Options.ToTimestamp). nil, nil means nothing is later.
// It refuses when a file before the cut is damaged, when the cut would leave
// nothing at all, and when the cut is not in the last file (unless
// forceMiddle, as for PlanFix).
func (rep *Report) PlanTimestamp(forceMiddle bool) (*Plan, error) {
	if rep.ManifestError != nil {
		return nil, refuse("the manifest %s is not valid (%v)", rep.Manifest, rep.ManifestError)
	}
	cut := -1
	for i := range rep.Files {
		if rep.Files[i].TimestampCut >= 0 {
			cut = i
			break
		}
		if !rep.Files[i].Verdict.OK() {
			return nil, refuse("%s is %s before any later timestamp: repair it first (--fix)", rep.Files[i].Name, rep.Files[i].Verdict)
		}
	}
	if cut < 0 {
		return nil, nil
	}
	if rep.Kind == "stdin" {
		return nil, refuse("standard input cannot be truncated: run kv-check-aof on the file")
	}
	f := rep.Files[cut]
	if cut == 0 && f.TimestampCut == 0 {
		return nil, refuse("%s has nothing before the timestamp: truncating would leave no data at all", f.Name)
	}
	return rep.plan(cut, f.TimestampCut, fmt.Sprintf("first timestamp annotation later than the limit at offset %d", f.TimestampCut), forceMiddle)
}

func (rep *Report) plan(i int, to int64, reason string, forceMiddle bool) (*Plan, error) {
	f := rep.Files[i]
	p := &Plan{Path: f.Path, Name: f.Name, From: f.Size, To: to, Reason: reason}
	for _, later := range rep.Files[i+1:] {
		p.Dropped = append(p.Dropped, later)
		p.DroppedBytes += max(later.Size, 0)
		p.DroppedCommands += later.Commands
	}
	if len(p.Dropped) == 0 {
		return p, nil
	}
	if !forceMiddle {
		var names []string
		for _, d := range p.Dropped {
			names = append(names, d.Name)
		}
		return nil, refuse("%s is not the last file: truncating it to %d bytes (dropping %d) would leave %s "+
			"replaying on top of a data set they were not written for. redis-check-aof refuses this too. "+
			"Restore %s from a backup, or run again with --force-truncate-middle to truncate it and remove "+
			"the %d later file(s) from the manifest (%d bytes, %d commands lost; the files are kept as backups)",
			f.Name, to, f.Size-to, strings.Join(names, ", "), f.Name, len(p.Dropped), p.DroppedBytes, p.DroppedCommands)
	}
	m := *rep.manifest
	m.Incr = nil
	keep := map[string]bool{}
	for _, fr := range rep.Files[:i+1] {
		keep[fr.Name] = true
	}
	for _, fi := range rep.manifest.Incr {
		if keep[fi.Name] {
			m.Incr = append(m.Incr, fi)
		}
	}
	p.manifest, p.ManifestPath = &m, rep.Manifest
	return p, nil
}

// Apply performs the repair. Every file it changes or removes is kept:
// backupDir "" puts the copy next to the file as NAME.bak, otherwise in
// backupDir (an existing NAME.bak is never overwritten: .bak.1, .bak.2, ...
// are used). The truncated file is written as a temporary file, fsynced and
// renamed over the original, and the directory fsynced, so a crash leaves
// either the old or the new file. When files are dropped, the manifest is
// rewritten the same way first. It returns the backups it made.
func (p *Plan) Apply(backupDir string) (backups []string, err error) {
	bak := func(path string) (string, error) {
		b, err := backupPath(path, backupDir)
		if err == nil {
			backups = append(backups, b)
		}
		return b, err
	}
	if p.manifest != nil {
		b, err := bak(p.ManifestPath)
		if err != nil {
			return backups, err
		}
		if err := linkOrCopy(p.ManifestPath, b); err != nil {
			return backups, err
		}
		if err := writeFileAtomic(p.ManifestPath, bytes.NewReader(p.manifest.Bytes())); err != nil {
			return backups, err
		}
	}
	b, err := bak(p.Path)
	if err != nil {
		return backups, err
	}
	if err := linkOrCopy(p.Path, b); err != nil {
		return backups, err
	}
	src, err := os.Open(b)
	if err != nil {
		return backups, err
	}
	defer src.Close()
	if err := writeFileAtomic(p.Path, io.LimitReader(src, p.To)); err != nil {
		return backups, err
	}
	for _, d := range p.Dropped {
		if _, err := os.Stat(d.Path); err != nil {
			continue // a missing file has nothing to keep
		}
		b, err := bak(d.Path)
		if err != nil {
			return backups, err
		}
		if err := os.Rename(d.Path, b); err != nil {
			if err := linkOrCopy(d.Path, b); err != nil {
				return backups, err
			}
			if err := os.Remove(d.Path); err != nil {
				return backups, err
			}
		}
	}
	return backups, nil
}

func backupPath(path, dir string) (string, error) {
	if dir == "" {
		dir = filepath.Dir(path)
	}
	base := filepath.Join(dir, filepath.Base(path)+".bak")
	for i := 0; i < 1000; i++ {
		cand := base
		if i > 0 {
			cand = fmt.Sprintf("%s.%d", base, i)
		}
		if _, err := os.Lstat(cand); errors.Is(err, os.ErrNotExist) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("no free backup name for %s in %s", filepath.Base(path), dir)
}

// linkOrCopy makes dst a durable copy of src: a hard link when both are on
// one file system (instant, no extra space: the original bytes stay under
// the backup name), a copy otherwise.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return syncDir(filepath.Dir(dst))
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// writeFileAtomic replaces path with the contents of r: temporary file in
// the same directory, fsync, rename, fsync of the directory. The file mode
// of the original is kept.
func writeFileAtomic(path string, r io.Reader) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "temp-kv-check-aof-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
