package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FileError is a fatal configuration error, as Redis 7.0's
// loadServerConfigFromString reports it before exiting with status 1.
// Error returns Redis's text:
//
//	*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
//	Reading the configuration file, at line 2
//	>>> 'maxmemory 10x'
//	argument must be a memory value
//
// (redis-server prints an empty line before it and a newline after it).
// Errors found after the whole file was read (the log file cannot be
// opened, replicaof in cluster mode) have no line.
type FileError struct {
	// File is the file the line comes from: the configuration file or an
	// included file, "(stdin)", or "(command line)" for the directives
	// made from --name value arguments. Redis does not print it.
	File string
	Line int    // 1-based line number within the text Redis parsed; 0 if none
	Text string // the line, trimmed
	// Reason is the message: "Bad directive or wrong number of arguments",
	// "Unbalanced quotes in configuration line", or a value's error.
	Reason string
}

// Error returns the text redis-server prints, without its surrounding
// newlines.
func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", Version)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Options tune Load.
type Options struct {
	// Dir is the directory the server starts in: relative paths of the
	// configuration file, include and dir are resolved against it (and
	// later against the dir directive, which Redis applies with chdir at
	// once). Default: the current directory.
	Dir string
	// Stdin is read when the arguments ask for the configuration on
	// standard input ("-"). Default: os.Stdin.
	Stdin io.Reader
	// Sentinel accepts "sentinel ..." directives (into Config.Sentinel).
	Sentinel bool
	// CommandExists, when set, checks rename-command's command name
	// ("No such command in rename-command").
	CommandExists func(name string) bool
}

// maxIncludeDepth bounds include nesting. Redis has no bound (a file that
// includes itself overflows its stack); kvkit fails instead.
const maxIncludeDepth = 32

type loader struct {
	c     *Config
	opt   Options
	st    setState
	depth int
}

// Load builds the configuration of a server started with args, the
// arguments after the program name, as redis-server 7.0 (server.c main
// and config.c loadServerConfig): an optional configuration file first
// (any argument not starting with '-'), "-" as the first or last argument
// to read the configuration from standard input too, and "--name value..."
// directives, which become configuration lines appended after the file:
// "--port 7000 --save ”" is read as the lines "port 7000" and `save ""`.
// A value may follow its name in the same argument ("--port 7000"), and an
// argument starting with "--" after a name with no value starts a new
// directive, except that a bare --save before another "--" or at the end is
// `save ""`. --help and --version are the caller's.
//
// A bad directive or value is a *FileError; a file that cannot be read is
// an error "Fatal error, can't open config file '<path>': <reason>".
func Load(args []string, opt Options) (*Config, error) {
	if opt.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opt.Dir = wd
	}
	if real, err := filepath.EvalSymlinks(opt.Dir); err == nil {
		opt.Dir = real // getcwd() reports the physical directory
	}
	if opt.Stdin == nil {
		opt.Stdin = os.Stdin
	}
	c := Default()
	c.Values.Dir = opt.Dir
	if len(args) == 0 {
		return c, nil
	}
	file, stdin, options := ParseArgs(args)
	l := &loader{c: c, opt: opt, st: setState{fromFile: true, cwd: opt.Dir}}
	var text string
	var parts []part
	if file != "" {
		c.File = resolve(opt.Dir, file)
		content, err := l.read(c.File)
		if err != nil {
			return nil, err
		}
		text += content
		parts = append(parts, part{c.File, lineCount(content)})
	}
	if stdin {
		b, err := io.ReadAll(opt.Stdin)
		if err != nil {
			return nil, err
		}
		text += string(b)
		parts = append(parts, part{"(stdin)", lineCount(string(b))})
	}
	text += "\n" + options
	parts = append(parts, part{"(command line)", -1})
	if err := l.loadString(text, parts); err != nil {
		return nil, err
	}
	return c, nil
}

// part names the source of a range of lines of the text being parsed.
type part struct {
	name  string
	lines int // -1: the rest
}

// lineCount is how many lines of the concatenated text come from s.
func lineCount(s string) int { return strings.Count(s, "\n") }

// ParseArgs turns redis-server's arguments into the configuration file
// name ("" for none), whether to read standard input, and the directives
// the other arguments make, one per line, as Redis 7.0's main() does.
func ParseArgs(args []string) (file string, stdin bool, options string) {
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file = args[0]
		j = 1
	}
	var b strings.Builder
	handledLastArg := true
	last := len(args) - 1
	for ; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-" && (j == 0 || j == last):
			stdin = true
		case handledLastArg && strings.HasPrefix(a, "--"):
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(a[2:])
			b.WriteString(" ")
			words, err := SplitArgs(a)
			if err == nil && len(words) == 1 {
				// A name alone: its value is the next argument.
				handledLastArg = false
				nextIsName := j != last && strings.HasPrefix(args[j+1], "--")
				switch {
				case nextIsName && strings.EqualFold(a, "--save"):
					b.WriteString(`""`)
					handledLastArg = true
				case j == last && strings.EqualFold(a, "--save"):
					b.WriteString(`""`)
				case nextIsName && strings.EqualFold(a, "--sentinel"):
					handledLastArg = true
				}
			} else {
				handledLastArg = true
			}
		default:
			b.WriteString(Repr(a))
			b.WriteString(" ")
			handledLastArg = true
		}
	}
	return file, stdin, b.String()
}

// read returns the content of a configuration file, or of every file a
// pattern with * ? or [ matches (none is fine), concatenated.
func (l *loader) read(path string) (string, error) {
	if strings.ContainsAny(path, "*?[") {
		matches, _ := filepath.Glob(path)
		var b strings.Builder
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				return "", fmt.Errorf("Fatal error, can't open config file '%s': %s", m, strerror(err))
			}
			b.Write(data)
		}
		return b.String(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("Fatal error, can't open config file '%s': %s", path, strerror(err))
	}
	return string(data), nil
}

// loadString is loadServerConfigFromString: it applies every line of text.
func (l *loader) loadString(text string, parts []part) error {
	lines := strings.Split(text, "\n")
	fail := func(i int, reason string) error {
		e := &FileError{Reason: reason}
		if i >= 0 {
			e.Line, e.Text = i+1, lines[i]
			if k := strings.IndexByte(e.Text, 0); k >= 0 {
				e.Text = e.Text[:k] // printed with %s
			}
			first := 0
			for _, p := range parts {
				e.File = p.name
				if p.lines < 0 || i < first+p.lines {
					break
				}
				first += p.lines
			}
		}
		return e
	}
	c := l.c
	for i := range lines {
		lines[i] = trimLine(lines[i])
		line := lines[i]
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil {
			return fail(i, "Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if d := Lookup(name); d != nil {
			if d.Flags&MultiArg == 0 && len(args) != 2 {
				return fail(i, "wrong number of arguments")
			}
			vals := args[1:]
			if d.Flags&MultiArg != 0 && len(vals) == 1 && vals[0] != "" {
				// Redis 7.0.x splits a lone argument of a MultiArg directive
				// again, so that `save "3600 1 300 100"` and
				// --save "3600 1" work; unbalanced quotes give no arguments.
				vals, _ = SplitArgs(vals[0])
			}
			if msg := d.set(&c.Values, vals, &l.st); msg != "" {
				return fail(i, msg)
			}
			c.noteExplicit(d.Name)
			continue
		}
		switch {
		case (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" ||
			name == "lua-replicate-commands") && len(args) == 2:
			// Deprecated directives that Redis 7.0 still accepts and ignores.
		case name == "include" && len(args) == 2:
			if l.depth >= maxIncludeDepth {
				return fail(i, "Too many nested includes")
			}
			path := resolve(l.st.cwd, args[1])
			content, err := l.read(path)
			if err != nil {
				return err
			}
			l.depth++
			err = l.loadString(content, []part{{path, -1}})
			l.depth--
			if err != nil {
				return err
			}
			c.noteExplicit(name)
		case name == "rename-command" && len(args) == 3:
			if l.opt.CommandExists != nil {
				if !l.commandExists(args[1]) {
					return fail(i, "No such command in rename-command")
				}
				if args[2] != "" && l.commandExists(args[2]) {
					return fail(i, "Target command name already exists")
				}
			}
			c.Renames = append(c.Renames, Rename{Command: args[1], NewName: args[2]})
			c.noteExplicit(name)
		case name == "user" && len(args) >= 2:
			c.Users = append(c.Users, args)
			c.noteExplicit(name)
		case name == "loadmodule" && len(args) >= 2:
			c.Modules = append(c.Modules, args[1:])
			c.noteExplicit(name)
		case strings.Contains(args[0], "."):
			if len(args) < 2 {
				return fail(i, "Module config specified without value")
			}
			c.setModuleConfig(args[0], strings.Join(args[1:], " "))
		case name == "sentinel":
			// A bare "sentinel" only selects Sentinel mode, in main().
			if len(args) != 1 {
				if !l.opt.Sentinel {
					return fail(i, "sentinel directive while not in sentinel mode")
				}
				c.Sentinel = append(c.Sentinel, args[1:])
			}
		default:
			return fail(i, "Bad directive or wrong number of arguments")
		}
	}
	if c.Values.Logfile != "" {
		// Redis opens the log file here to fail early when it cannot.
		f, err := os.OpenFile(resolve(l.st.cwd, c.Values.Logfile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			return fail(-1, "Can't open the log file: "+strerror(err))
		}
		f.Close()
	}
	if c.Values.ClusterEnabled && c.Values.Replicaof.Host != "" {
		return fail(-1, "replicaof directive not allowed in cluster mode")
	}
	c.Values.Hz = clampHz(c.Values.Hz)
	// As in Redis, reading_config_file is cleared at the end of every
	// file, included ones too: after an include, each "save" line
	// replaces the previous ones instead of adding to them.
	l.st.fromFile = false
	return nil
}

func (c *Config) setModuleConfig(name, value string) {
	for i := range c.ModuleConfigs {
		if c.ModuleConfigs[i][0] == name {
			c.ModuleConfigs[i][1] = value
			return
		}
	}
	c.ModuleConfigs = append(c.ModuleConfigs, [2]string{name, value})
}

// commandExists reports whether a command is known under name, once the
// renames read so far are applied (Redis renames in its command table as
// it reads each line).
func (l *loader) commandExists(name string) bool {
	exists := l.opt.CommandExists(name)
	for _, r := range l.c.Renames {
		if strings.EqualFold(r.Command, name) {
			exists = false
		}
		if r.NewName != "" && strings.EqualFold(r.NewName, name) {
			exists = true
		}
	}
	return exists
}
