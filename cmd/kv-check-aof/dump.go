package main

import (
	"bufio"
	"regexp"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/libaof"

	"github.com/kvkit/kvkit/internal/sds"
)

// dumpArgMax is how much of an argument --dump prints; longer ones end in
// "...(N bytes)".
const dumpArgMax = 4096

// newDumper returns a libaof visitor that prints each command that passes
// the filters as one line: FILE:OFFSET db=N ts=T|- NAME "arg" ...
// Arguments are quoted as Redis quotes strings (sdscatrepr). db < 0, no
// names and a nil key pattern mean no filter; the key is the first
// argument after the command name.
func newDumper(w *bufio.Writer, db int64, names []string, key *regexp.Regexp) func(*libaof.FileReport, *libaof.Record, int64, int64) {
	want := map[string]bool{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			if part = strings.TrimSpace(part); part != "" {
				want[strings.ToLower(part)] = true
			}
		}
	}
	return func(f *libaof.FileReport, rec *libaof.Record, curDB, ts int64) {
		if db >= 0 && curDB != db {
			return
		}
		if len(want) > 0 && (len(rec.Args) == 0 || !want[strings.ToLower(string(rec.Args[0]))]) {
			return
		}
		if key != nil && (len(rec.Args) < 2 || !key.Match(rec.Args[1])) {
			return
		}
		w.WriteString(f.Name)
		w.WriteByte(':')
		w.WriteString(strconv.FormatInt(rec.Offset, 10))
		w.WriteString(" db=")
		w.WriteString(strconv.FormatInt(curDB, 10))
		w.WriteString(" ts=")
		if ts > 0 {
			w.WriteString(strconv.FormatInt(ts, 10))
		} else {
			w.WriteByte('-')
		}
		for i, a := range rec.Args {
			w.WriteByte(' ')
			if i == 0 && !libaof.NeedsQuoting(string(a)) {
				w.Write(a)
			} else {
				w.WriteString(string(sds.AppendRepr(nil, a)))
			}
			if rec.Sizes[i] > int64(len(a)) {
				w.WriteString("...(" + strconv.FormatInt(rec.Sizes[i], 10) + " bytes)")
			}
		}
		if more := rec.Argc - int64(len(rec.Args)); more > 0 {
			w.WriteString(" ...(" + strconv.FormatInt(more, 10) + " more arguments)")
		}
		w.WriteByte('\n')
	}
}
