package libaof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/sds"
)

// FileType is the type letter of a manifest line: BASE, HISTORY or INCR
// (Redis 7.0 aof.c, AOF_FILE_TYPE_*).
type FileType byte

// The manifest file types.
const (
	TypeBase    FileType = 'b' // the snapshot the INCR files apply to; at most one
	TypeHistory FileType = 'h' // left over from an earlier rewrite; never loaded
	TypeIncr    FileType = 'i' // commands written after the BASE, loaded in order
)

// String returns "base", "history", "incr" or the letter in quotes.
func (t FileType) String() string {
	switch t {
	case TypeBase:
		return "base"
	case TypeHistory:
		return "history"
	case TypeIncr:
		return "incr"
	}
	return strconv.QuoteRune(rune(t))
}

// KeyValue is a manifest field that kvkit does not interpret (a later Redis
// adds startoffset/endoffset). It is kept so that rewriting a manifest does
// not lose it.
type KeyValue struct {
	Key, Value string
}

// FileInfo is one manifest line: "file <name> seq <n> type b|h|i".
type FileInfo struct {
	Name  string
	Seq   int64
	Type  FileType
	Extra []KeyValue // unknown keys in the order they appeared
}

// Manifest is a parsed multi-part AOF manifest. Base is nil when the
// manifest names no BASE file (Redis 7.0 accepts that: the INCR files are
// loaded into an empty data set).
type Manifest struct {
	Base    *FileInfo
	History []FileInfo
	Incr    []FileInfo
}

// Files returns the files Redis loads, in load order: the BASE (if any),
// then the INCR files.
func (m *Manifest) Files() []FileInfo {
	var out []FileInfo
	if m.Base != nil {
		out = append(out, *m.Base)
	}
	return append(out, m.Incr...)
}

// ManifestError is a manifest that Redis 7.0 refuses to load. Line is the
// 1-based line number (0 when the error is not about one line), Text the
// offending line with surrounding blanks trimmed, Reason Redis' own wording
// (aof.c aofLoadManifestFromFile).
type ManifestError struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return "manifest: " + e.Reason
	}
	return fmt.Sprintf("manifest line %d: %s: %q", e.Line, e.Reason, e.Text)
}

// manifestMaxLine is Redis' MANIFEST_MAX_LINE: a line (with its newline)
// must fit in 1024 bytes.
const manifestMaxLine = 1024

// ParseManifest reads a manifest with the rules of Redis 7.0
// aofLoadManifestFromFile: "#" lines are comments, every other line must end
// in a newline (so must the last one), be at most 1024 bytes, split with
// sdssplitargs quoting into an even number (>= 6) of key/value words with
// keys file, seq and type (case-insensitive; unknown keys are kept), name a
// plain file name (no '/' or '\'), a non-zero seq and a type b, h or i.
// There is at most one BASE, and INCR sequence numbers strictly increase.
// A violation is a *ManifestError; a read error is returned as is.
func ParseManifest(rd io.Reader) (*Manifest, error) {
	br := bufio.NewReaderSize(rd, manifestMaxLine+1)
	m := &Manifest{}
	var maxSeq int64
	for lineno := 1; ; lineno++ {
		raw, err := readManifestLine(br)
		if err == io.EOF && len(raw) == 0 {
			if lineno == 1 {
				return nil, &ManifestError{Reason: "Found an empty AOF manifest"}
			}
			return m, nil
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if raw[0] == '#' {
			continue
		}
		// C strings end at the first NUL: Redis never sees what follows.
		text := raw
		if i := bytes.IndexByte(text, 0); i >= 0 {
			text = text[:i]
		}
		if bytes.IndexByte(raw, '\n') < 0 {
			return nil, &ManifestError{Line: lineno, Text: strings.Trim(string(text), " \t\r\n"),
				Reason: "The AOF manifest file contains too long line"}
		}
		line := strings.Trim(string(text), " \t\r\n")
		bad := func(reason string) error { return &ManifestError{Line: lineno, Text: line, Reason: reason} }
		if line == "" {
			return nil, bad("Invalid AOF manifest file format")
		}
		words, err := sds.SplitArgs([]byte(line))
		if err != nil || len(words) < 6 || len(words)%2 != 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		fi := FileInfo{}
		hasName := false
		for i := 0; i < len(words); i += 2 {
			k, v := string(words[i]), string(words[i+1])
			switch strings.ToLower(k) {
			case "file":
				if strings.ContainsAny(v, `/\`) {
					return nil, bad("File can't be a path, just a filename")
				}
				fi.Name, hasName = v, true
			case "seq":
				fi.Seq, _, _ = sds.Strtoll(v, 10) // atoll
			case "type":
				fi.Type = 0
				if v != "" {
					fi.Type = FileType(v[0])
				}
			default:
				fi.Extra = append(fi.Extra, KeyValue{k, v})
			}
		}
		if !hasName || fi.Seq == 0 || fi.Type == 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, bad("Found duplicate base file information")
			}
			b := fi
			m.Base = &b
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if fi.Seq <= maxSeq {
				return nil, bad("Found a non-monotonic sequence number")
			}
			maxSeq = fi.Seq
			m.Incr = append(m.Incr, fi)
		default:
			return nil, bad("Unknown AOF file type")
		}
	}
}

// readManifestLine returns what one fgets(buf, 1025) call returns: bytes up
// to and including the next newline, or 1024 bytes, or the rest of the file.
func readManifestLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for len(line) < manifestMaxLine {
		c, err := br.ReadByte()
		if err != nil {
			return line, err
		}
		line = append(line, c)
		if c == '\n' {
			break
		}
	}
	return line, nil
}

// NeedsQuoting reports whether s must be written quoted in a manifest: as
// Redis' sds.c sdsneedsrepr (written with sds.AppendRepr), when it holds a backslash, a double quote, a
// blank or a non-printable byte; and, unlike Redis, when it holds a single
// quote or is empty, which sdssplitargs would not read back unquoted.
func NeedsQuoting(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c == '\'' || c < 0x21 || c > 0x7e {
			return true
		}
	}
	return s == ""
}

func manifestWord(s string) string {
	if NeedsQuoting(s) {
		return string(sds.AppendRepr(nil, []byte(s)))
	}
	return s
}

// AppendLine appends fi as a manifest line in Redis 7.0's layout
// (aof.c aofInfoFormat): "file <name> seq <n> type <t>\n", the name quoted
// when it needs it, then any unknown keys kept from parsing.
func (fi FileInfo) AppendLine(b []byte) []byte {
	b = fmt.Appendf(b, "file %s seq %d type %c", manifestWord(fi.Name), fi.Seq, fi.Type)
	for _, kv := range fi.Extra {
		b = fmt.Appendf(b, " %s %s", manifestWord(kv.Key), manifestWord(kv.Value))
	}
	return append(b, '\n')
}

// Bytes returns the manifest as Redis 7.0 writes it (aof.c
// getAofManifestAsString): the BASE line, the HISTORY lines, the INCR lines.
func (m *Manifest) Bytes() []byte {
	var b []byte
	if m.Base != nil {
		b = m.Base.AppendLine(b)
	}
	for _, fi := range m.History {
		b = fi.AppendLine(b)
	}
	for _, fi := range m.Incr {
		b = fi.AppendLine(b)
	}
	return b
}

// Validate checks what ParseManifest checks on a Manifest built in code:
// names, seq numbers and types, and increasing INCR sequence numbers.
func (m *Manifest) Validate() error {
	for _, fi := range append(m.Files(), m.History...) {
		if fi.Name == "" || strings.ContainsAny(fi.Name, "/\\\x00") {
			return fmt.Errorf("manifest: bad file name %q", fi.Name)
		}
		if fi.Seq == 0 {
			return fmt.Errorf("manifest: file %q has seq 0", fi.Name)
		}
	}
	if m.Base != nil && m.Base.Type != TypeBase {
		return errors.New("manifest: the BASE entry does not have type b")
	}
	var maxSeq int64
	for _, fi := range m.Incr {
		if fi.Type != TypeIncr {
			return fmt.Errorf("manifest: INCR entry %q has type %s", fi.Name, fi.Type)
		}
		if fi.Seq <= maxSeq {
			return fmt.Errorf("manifest: INCR sequence numbers do not increase at %q", fi.Name)
		}
		maxSeq = fi.Seq
	}
	for _, fi := range m.History {
		if fi.Type != TypeHistory {
			return fmt.Errorf("manifest: HISTORY entry %q has type %s", fi.Name, fi.Type)
		}
	}
	return nil
}
