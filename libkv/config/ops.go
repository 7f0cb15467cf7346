package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// setState is what a directive's parser needs besides its arguments.
type setState struct {
	// fromFile is config.c's reading_config_file: the first "save" line of
	// a file replaces the defaults, later ones add to it. As in Redis it
	// is cleared when an included file has been read.
	fromFile   bool
	saveLoaded bool   // a "save" line of this load has already reset the defaults
	cwd        string // the directory relative paths are resolved against
}

// specialOps are the parse, format and rewrite functions of a directive
// that fits none of the generic types (config.c's createSpecialConfig).
type specialOps struct {
	set     func(v *Values, args []string, st *setState) string
	get     func(v *Values) string
	rewrite func(v *Values, rw *rewriteState, name string)
}

// camel turns a directive name into its Values field name.
func camel(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

var durationType = reflect.TypeOf(time.Duration(0))

// bindFields finds each directive's field in Values. A directive without
// a field of a fitting type is a programming error caught at start-up (and
// by the tests).
func bindFields() {
	t := reflect.TypeOf(Values{})
	for _, d := range directives {
		f, ok := t.FieldByName(camel(d.Name))
		if !ok {
			panic("config: no Values field for " + d.Name)
		}
		d.field = f.Index[0]
		var want bool
		switch d.kind {
		case kindBool:
			want = f.Type.Kind() == reflect.Bool
		case kindString, kindEnum:
			want = f.Type.Kind() == reflect.String
		case kindNumeric:
			want = (d.unit != 0) == (f.Type == durationType)
		default:
			want = true
		}
		if !want {
			panic("config: Values field of the wrong type for " + d.Name)
		}
	}
}

func (d *Directive) fieldOf(v *Values) reflect.Value {
	return reflect.ValueOf(v).Elem().Field(d.field)
}

func (d *Directive) num(v *Values) int64 {
	f := d.fieldOf(v)
	switch {
	case d.unit != 0:
		return f.Int() / int64(d.unit)
	case f.Kind() == reflect.Uint64:
		return int64(f.Uint())
	}
	return f.Int()
}

func (d *Directive) setNum(v *Values, n int64) {
	f := d.fieldOf(v)
	switch {
	case d.unit != 0:
		f.SetInt(n * int64(d.unit))
	case f.Kind() == reflect.Uint64:
		f.SetUint(uint64(n))
	default:
		f.SetInt(n)
	}
}

// get formats the directive's value as CONFIG GET shows it.
func (d *Directive) get(v *Values) string {
	switch d.kind {
	case kindBool:
		if d.fieldOf(v).Bool() {
			return "yes"
		}
		return "no"
	case kindString, kindEnum:
		return d.fieldOf(v).String()
	case kindNumeric:
		return formatNumber(d, d.num(v))
	}
	return d.special.get(v)
}

func formatNumber(d *Directive, n int64) string {
	switch {
	case d.nflags&numPercent != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case d.nflags&numMemory != 0:
		return strconv.FormatUint(uint64(n), 10)
	case d.nflags&numOctal != 0:
		return strconv.FormatUint(uint64(n), 8)
	}
	return strconv.FormatInt(n, 10)
}

// set parses args and stores the value, or returns Redis's error text. For
// a directive that is not MultiArg, args has exactly one element.
func (d *Directive) set(v *Values, args []string, st *setState) string {
	switch d.kind {
	case kindBool:
		var b bool
		switch strings.ToLower(args[0]) {
		case "yes":
			b = true
		case "no":
		default:
			return "argument must be 'yes' or 'no'"
		}
		if b && d.Name == "activedefrag" {
			// Like Debian's redis-server, which is built without
			// HAVE_DEFRAG; kvkit does not defragment either.
			return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
		}
		d.fieldOf(v).SetBool(b)
	case kindString:
		if d.check != nil {
			if msg := d.check(args[0]); msg != "" {
				return msg
			}
		}
		d.fieldOf(v).SetString(args[0])
	case kindEnum:
		s, msg := d.parseEnum(args)
		if msg != "" {
			return msg
		}
		d.fieldOf(v).SetString(s)
	case kindNumeric:
		n, msg := parseNumber(d, args[0])
		if msg == "" {
			msg = checkBounds(d, n)
		}
		if msg != "" {
			return msg
		}
		d.setNum(v, n)
	default:
		return d.special.set(v, args, st)
	}
	return ""
}

// parseEnum returns the canonical spelling of an enum value, as Redis's
// configEnumGetValue and configEnumGetName (config.c) would round-trip it.
func (d *Directive) parseEnum(args []string) (string, string) {
	val := 0
	if len(args) == 0 {
		args = []string{""} // CONFIG SET x "": no valid option
	}
	for i, a := range args {
		found := false
		for _, o := range d.enum {
			if strings.EqualFold(o.name, a) {
				val |= o.val
				found = true
				break
			}
		}
		if !found || (!d.flagsEnum && i > 0) {
			names := make([]string, len(d.enum))
			for i, o := range d.enum {
				names[i] = o.name
			}
			return "", "argument(s) must be one of the following: " + strings.Join(names, ", ")
		}
	}
	if d.flagsEnum && val&1 != 0 && val&2 != 0 {
		return "", "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	return d.enumName(val), ""
}

func (d *Directive) enumName(val int) string {
	var names []string
	unmatched := val
	for _, o := range d.enum {
		if o.val == val {
			return o.name
		}
		if d.flagsEnum && o.val != 0 && o.val == unmatched&o.val {
			names = append(names, o.name)
			unmatched &^= o.val
		}
	}
	if names == nil {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// enumValue is the numeric value of a stored enum spelling.
func (d *Directive) enumValue(s string) int64 {
	val := 0
	for _, w := range strings.Fields(s) {
		for _, o := range d.enum {
			if o.name == w {
				val |= o.val
				break
			}
		}
	}
	return int64(val)
}

// parseNumber is config.c's numericParseString.
func parseNumber(d *Directive, s string) (int64, string) {
	if d.nflags&numMemory != 0 {
		if u, ok := ParseMemory(s); ok {
			return int64(u), ""
		}
	}
	if d.nflags&numPercent != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if n, ok := parseLL(s[:len(s)-1]); ok && n >= 0 {
			return -n, "" // Redis stores a percentage as a negative number
		}
	}
	if d.nflags&numOctal != 0 {
		if n, ok, inRange := strtoll(s, 8); ok && inRange {
			return n, ""
		}
	}
	if d.nflags == 0 {
		if n, ok := parseLL(s); ok {
			return n, ""
		}
	}
	switch {
	case d.nflags&numMemory != 0 && d.nflags&numPercent != 0:
		return 0, "argument must be a memory or percent value"
	case d.nflags&numMemory != 0:
		return 0, "argument must be a memory value"
	case d.nflags&numOctal != 0:
		return 0, "argument couldn't be parsed as an octal number"
	}
	return 0, "argument couldn't be parsed into an integer"
}

// checkBounds is config.c's numericBoundaryCheck.
func checkBounds(d *Directive, n int64) string {
	if d.unsigned {
		u, lo, hi := uint64(n), uint64(d.lo), uint64(d.hi)
		if u > hi || u < lo {
			if d.nflags&numOctal != 0 {
				return fmt.Sprintf("argument must be between %o and %o inclusive", lo, hi)
			}
			return fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
		}
		return ""
	}
	if d.nflags&numPercent != 0 && n < 0 {
		if n < d.lo {
			return fmt.Sprintf("percentage argument must be less or equal to %d", -d.lo)
		}
		return ""
	}
	if n > d.hi || n < d.lo {
		return fmt.Sprintf("argument must be between %d and %d inclusive", d.lo, d.hi)
	}
	return ""
}

func pathIsBaseName(s string) bool { return !strings.ContainsAny(s, `/\`) }

func checkDBFilename(s string) string {
	if !pathIsBaseName(s) {
		return "dbfilename can't be a path, just a filename"
	}
	return ""
}

func checkAOFFilename(s string) string {
	if s == "" {
		return "appendfilename can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appendfilename can't be a path, just a filename"
	}
	return ""
}

func checkAOFDirname(s string) string {
	if s == "" {
		return "appenddirname can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appenddirname can't be a path, just a dirname"
	}
	return ""
}

func checkHostname(s string) string {
	if len(s) >= 256 { // NET_HOST_STR_LEN
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// checkProcTitleTemplate is Redis's validateProcTitleTemplate: the template
// must expand (sdstemplate: {var}, {{ for a literal brace) with known
// variables only, to something that is not blank.
func checkProcTitleTemplate(s string) string {
	const bad = "template format is invalid or contains unknown variables"
	// Variables that can expand to nothing on a server; the others
	// ({listen-addr}, {port}, {tls-port}) always expand to something.
	vars := map[string]string{"title": "", "listen-addr": "x", "server-mode": "", "port": "x",
		"tls-port": "x", "unixsocket": "", "config-file": ""}
	var res strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			res.WriteString(s)
			break
		}
		res.WriteString(s[:i])
		s = s[i+1:]
		if s == "" {
			return bad
		}
		if s[0] == '{' {
			res.WriteByte('{')
			s = s[1:]
			continue
		}
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return bad
		}
		val, ok := vars[s[:j]]
		if !ok {
			return bad
		}
		res.WriteString(val)
		s = s[j+1:]
	}
	if strings.Trim(res.String(), " ") == "" {
		return bad
	}
	return ""
}

// strerror turns a Go error into the C library's message, as Redis prints
// strerror(errno): "No such file or directory".
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	} else if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err
	}
	msg := []rune(err.Error())
	if len(msg) > 0 {
		msg[0] = unicode.ToUpper(msg[0])
	}
	return string(msg)
}

func resolve(cwd, p string) string {
	if filepath.IsAbs(p) || cwd == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(cwd, p)
}
