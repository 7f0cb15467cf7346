// Command kv-check-aof checks and repairs Redis 7.0 append-only files:
// multi-part directories (manifest, BASE, INCR files), single old-style
// AOFs, AOFs with an RDB preamble, and standard input. It is a superset of
// redis-check-aof 7.0: same verdicts and the same --fix truncation, plus
// JSON output, statistics, a readable dump of the commands and safe repairs
// (backup, temporary file, fsync, rename).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/internal/version"
	"github.com/kvkit/kvkit/libaof"
)

// Exit statuses (DESIGN.md §2).
const (
	exitValid    = 0
	exitProblems = 1
	exitUsage    = 2
)

// App returns kv-check-aof's command-line definition.
func App() *cli.App {
	return &cli.App{
		Name:  "kv-check-aof",
		Usage: "check and repair Redis 7.0 append-only files",
		UsageText: "kv-check-aof [options] PATH\n" +
			"PATH is a manifest, an appendonlydir/, a single AOF (RESP or RDB preamble + RESP), or - for standard input",
		Description: "Checks the manifest (syntax, sequence numbers, BASE, missing and unlisted files) and every file in\n" +
			"load order: the RDB preamble, then the RESP command stream (array framing, bulk lengths, MULTI\n" +
			"without EXEC, #TS: annotations). Prints a verdict per file and overall: valid, truncated at offset N,\n" +
			"or corrupt at offset N with the reason and the last valid command. The offsets agree with\n" +
			"redis-check-aof 7.0 (ok_up_to).\n\n" +
			"--fix truncates the last file back to the end of its last valid command, as redis-check-aof --fix\n" +
			"does, after a confirmation (or --yes) and a backup (NAME.bak, or in --backup DIR); the new file is\n" +
			"written to a temporary file, fsynced and renamed. Damage in a file that is not the last is refused,\n" +
			"as by redis-check-aof; --force-truncate-middle truncates it anyway and removes the later files from\n" +
			"the manifest, after saying what is lost.\n\n" +
			"--truncate-to-timestamp cuts the last file at its first #TS: annotation later than TS, as\n" +
			"redis-check-aof does (a cut inside a MULTI block moves back to the MULTI).\n\n" +
			"--dump prints every command as FILE:OFFSET db=N ts=T NAME \"arg\" ... (arguments quoted as Redis\n" +
			"quotes them), filtered by --db, --command and --key; the report then goes to standard error.\n\n" +
			"Where kv-check-aof parts from redis-check-aof 7.0 it is on the safe side: an empty or damaged\n" +
			"manifest is reported as a manifest error and never truncated as if it were an AOF, and a file is\n" +
			"only taken for a manifest by its name (*.manifest) or its first lines.\n\n" +
			"Exit status: 0 valid (or repaired), 1 problems found (or repair refused), 2 usage or I/O error.",
		Version:         version.Version,
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "fix", Usage: "truncate the last file back to its last valid command"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation before changing files"},
			&cli.StringFlag{Name: "backup", Usage: "directory for the backups of changed files (default: NAME.bak next to the file)", TakesFile: true},
			&cli.BoolFlag{Name: "force-truncate-middle", Usage: "with --fix: also repair damage in a file that is not the last, dropping the later files"},
			&cli.Int64Flag{Name: "truncate-to-timestamp", Usage: "cut the AOF at the first #TS: annotation later than `TS` (unix seconds)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.BoolFlag{Name: "stats", Usage: "add per-command counts"},
			&cli.BoolFlag{Name: "dump", Usage: "print the commands as a readable stream (db, timestamp, command, escaped arguments)"},
			&cli.Int64Flag{Name: "db", Value: -1, Usage: "with --dump: only commands run in database `N`"},
			&cli.StringSliceFlag{Name: "command", Usage: "with --dump: only commands named `NAME` (repeatable, case-insensitive)"},
			&cli.StringFlag{Name: "key", Usage: "with --dump: only commands whose first argument matches `REGEX`"},
		},
		Action: run,
	}
}

func main() { os.Exit(kvCheckAOF(os.Args)) }

// kvCheckAOF runs the command with args and returns the exit status.
func kvCheckAOF(args []string) int {
	app := App()
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.Run(args)
	if err == nil {
		return exitValid
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "kv-check-aof:", msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "kv-check-aof:", err)
	return exitUsage
}

func usageErr(format string, args ...any) error {
	return cli.Exit(fmt.Sprintf(format, args...), exitUsage)
}

// output is what --json prints.
type output struct {
	Report  *libaof.Report `json:"report"`
	Plan    *libaof.Plan   `json:"plan,omitempty"`
	Refusal string         `json:"refusal,omitempty"`
	Applied bool           `json:"applied"`
	Backups []string       `json:"backups,omitempty"`
	After   *libaof.Report `json:"after,omitempty"`
}

func run(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("expected one PATH (a manifest, an appendonlydir, an AOF file or -), got %d arguments; see --help", c.NArg())
	}
	path := c.Args().First()
	fix, toTS := c.Bool("fix"), c.Int64("truncate-to-timestamp")
	if fix && toTS != 0 {
		return usageErr("--fix and --truncate-to-timestamp cannot be used together")
	}
	if toTS < 0 {
		return usageErr("--truncate-to-timestamp wants a positive unix time, got %d", toTS)
	}
	if c.Bool("force-truncate-middle") && !fix && toTS == 0 {
		return usageErr("--force-truncate-middle only makes sense with --fix or --truncate-to-timestamp")
	}
	if (fix || toTS != 0) && path == "-" {
		return usageErr("standard input cannot be repaired: give the file's path")
	}
	if dir := c.String("backup"); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageErr("--backup %s: not a directory", dir)
		}
	}
	var keyRE *regexp.Regexp
	if k := c.String("key"); k != "" {
		re, err := regexp.Compile(k)
		if err != nil {
			return usageErr("--key: %v", err)
		}
		keyRE = re
	}
	if c.Bool("dump") && c.Bool("json") {
		return usageErr("--dump and --json both write to standard output: use one")
	}
	if !c.Bool("dump") && (keyRE != nil || c.Int64("db") >= 0 || len(c.StringSlice("command")) > 0) {
		return usageErr("--db, --command and --key filter --dump")
	}

	stdout := bufio.NewWriterSize(os.Stdout, 256<<10)
	defer stdout.Flush()
	opts := &libaof.Options{Preamble: preambleChecker, ToTimestamp: toTS, Stats: c.Bool("stats"), MaxArgLen: dumpArgMax}
	if isTerminal(os.Stderr) && !(c.Bool("dump") && isTerminal(os.Stdout)) {
		opts.Progress = newProgress(os.Stderr)
	}
	if c.Bool("dump") {
		opts.Visit = newDumper(stdout, c.Int64("db"), c.StringSlice("command"), keyRE)
	}
	rep, err := libaof.Check(path, opts)
	if opts.Progress != nil {
		opts.Progress(nil, 0)
	}
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	// With --dump the commands own standard output; the report goes to
	// standard error.
	human := io.Writer(stdout)
	if c.Bool("dump") {
		stdout.Flush()
		human = os.Stderr
	}
	out := output{Report: rep}
	status := exitValid
	if !rep.Valid {
		status = exitProblems
	}

	var plan *libaof.Plan
	switch {
	case fix:
		plan, err = rep.PlanFix(c.Bool("force-truncate-middle"))
	case toTS != 0:
		plan, err = rep.PlanTimestamp(c.Bool("force-truncate-middle"))
	}
	var refusal *libaof.RefusalError
	if errors.As(err, &refusal) {
		out.Refusal = refusal.Reason
		status = exitProblems
	} else if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	out.Plan = plan

	if !c.Bool("json") {
		printReport(human, rep, c.Bool("stats"))
		if out.Refusal != "" {
			fmt.Fprintf(human, "not repaired: %s\n", out.Refusal)
		}
		if plan == nil && out.Refusal == "" {
			switch {
			case toTS != 0:
				fmt.Fprintf(human, "nothing to truncate: no #TS: annotation is later than %d\n", toTS)
			case fix && rep.Valid:
				fmt.Fprintln(human, "nothing to repair")
			}
		}
	}
	if plan != nil {
		if !c.Bool("json") {
			printPlan(human, plan)
		}
		stdout.Flush()
		ok, err := confirm(c.Bool("yes"), os.Stdin, os.Stderr)
		if err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
		if !ok {
			if !c.Bool("json") {
				fmt.Fprintln(human, "aborted: nothing was changed")
			}
			out.Refusal = "not confirmed"
			status = exitProblems
		} else {
			out.Backups, err = plan.Apply(c.String("backup"))
			if err != nil {
				return cli.Exit(fmt.Sprintf("repair failed: %v (backups made: %s)", err, strings.Join(out.Backups, ", ")), exitUsage)
			}
			out.Applied = true
			after, err := libaof.Check(path, &libaof.Options{Preamble: preambleChecker})
			if err != nil {
				return cli.Exit(err.Error(), exitUsage)
			}
			out.After = after
			status = exitValid
			if !after.Valid {
				status = exitProblems
			}
			if !c.Bool("json") {
				fmt.Fprintf(human, "truncated %s to %d bytes; backups: %s\n", plan.Name, plan.To, strings.Join(out.Backups, ", "))
				printVerdict(human, after)
			}
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
	}
	if err := stdout.Flush(); err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	if status != exitValid {
		return cli.Exit("", status)
	}
	return nil
}

func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithSymbols(tw.NewSymbols(tw.StyleASCII)),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft))
}

func printReport(w io.Writer, rep *libaof.Report, stats bool) {
	switch rep.Kind {
	case "multi-part":
		fmt.Fprintf(w, "multi-part AOF, manifest %s\n", rep.Manifest)
	case "stdin":
		fmt.Fprintln(w, "single AOF from standard input")
	default:
		fmt.Fprintf(w, "single AOF %s\n", rep.Path)
	}
	if rep.ManifestError != nil {
		fmt.Fprintf(w, "manifest not valid: %v\n", rep.ManifestError)
	}
	if len(rep.Files) > 0 {
		t := newTable(w)
		t.Header("file", "type", "format", "bytes", "commands", "verdict")
		var bytes, cmds int64
		for _, f := range rep.Files {
			t.Append(f.Name, f.Role, f.Format, strconv.FormatInt(f.Size, 10), strconv.FormatInt(f.Commands, 10), verdictText(&f))
			bytes += max(f.Size, 0)
			cmds += f.Commands
		}
		if len(rep.Files) > 1 {
			t.Footer("total", fmt.Sprintf("%d files", len(rep.Files)), "", strconv.FormatInt(bytes, 10), strconv.FormatInt(cmds, 10), "")
		}
		t.Render()
	}
	for _, f := range rep.Files {
		if !f.Verdict.OK() {
			printProblem(w, &f)
		}
	}
	if stats {
		printStats(w, rep)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	printVerdict(w, rep)
}

func verdictText(f *libaof.FileReport) string {
	switch f.Verdict {
	case libaof.Truncated, libaof.Corrupt:
		return fmt.Sprintf("%s at offset %d", f.Verdict, f.ErrorOffset)
	case libaof.Valid:
		if f.TimestampCut >= 0 {
			return fmt.Sprintf("valid; timestamp cut at %d", f.TimestampCut)
		}
	}
	return string(f.Verdict)
}

func printProblem(w io.Writer, f *libaof.FileReport) {
	switch f.Verdict {
	case libaof.Missing, libaof.Unreadable:
		fmt.Fprintf(w, "%s: %s: %s\n", f.Name, f.Verdict, f.Reason)
		return
	}
	fmt.Fprintf(w, "%s: %s at offset %d (0x%x): %s\n", f.Name, f.Verdict, f.ErrorOffset, f.ErrorOffset, f.Reason)
	if lg := f.LastGood; lg != nil {
		fmt.Fprintf(w, "  last valid command: %s at offset %d-%d\n", describe(lg), lg.Offset, lg.End)
	} else if f.RDBBytes > 0 {
		fmt.Fprintf(w, "  no valid command after the RDB preamble (%d bytes)\n", f.RDBBytes)
	} else {
		fmt.Fprintln(w, "  no valid command before it")
	}
	fmt.Fprintf(w, "  valid up to offset %d of %d (%d bytes after it)\n", f.OKUpTo, f.Size, f.Size-f.OKUpTo)
}

func describe(c *libaof.CommandSummary) string {
	s := c.Name
	if c.Argc > 1 {
		s += " " + strconv.Quote(c.Arg)
		if c.Argc > 2 {
			s += " ..."
		}
	}
	return s
}

func printStats(w io.Writer, rep *libaof.Report) {
	total := map[string]int64{}
	var ann int64
	for _, f := range rep.Files {
		for k, v := range f.Counts {
			total[k] += v
		}
		ann += f.Annotations
	}
	names := make([]string, 0, len(total))
	for k := range total {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if total[names[i]] != total[names[j]] {
			return total[names[i]] > total[names[j]]
		}
		return names[i] < names[j]
	})
	t := newTable(w)
	t.Header("command", "count")
	for _, n := range names {
		t.Append(strconv.Quote(n), strconv.FormatInt(total[n], 10))
	}
	if ann > 0 {
		t.Append("(annotations)", strconv.FormatInt(ann, 10))
	}
	t.Render()
}

func printVerdict(w io.Writer, rep *libaof.Report) {
	if rep.Valid {
		if rep.Kind == "multi-part" {
			fmt.Fprintln(w, "valid: the manifest and all AOF files are valid")
		} else {
			fmt.Fprintln(w, "valid")
		}
		return
	}
	if rep.ManifestError != nil {
		fmt.Fprintln(w, "not valid: the manifest is invalid; Redis will not start")
		return
	}
	f := rep.Files[rep.Problem]
	hint := "run with --fix to truncate it"
	if rep.Kind == "stdin" {
		hint = "run kv-check-aof --fix on the file itself to truncate it"
	} else if rep.Problem != len(rep.Files)-1 {
		hint = "it is not the last file: --fix refuses (see --force-truncate-middle)"
	}
	if f.Verdict == libaof.Missing || f.Verdict == libaof.Unreadable || f.Format == "rdb-preamble" && f.OKUpTo < max(f.RDBBytes, 1) {
		hint = "truncation cannot repair this: restore the file from a backup"
	}
	fmt.Fprintf(w, "not valid: %s is %s (%s)\n", f.Name, f.Verdict, hint)
}

func printPlan(w io.Writer, p *libaof.Plan) {
	fmt.Fprintf(w, "this will truncate %s from %d to %d bytes, dropping %d bytes (%s)\n", p.Name, p.From, p.To, p.From-p.To, p.Reason)
	if len(p.Dropped) > 0 {
		var names []string
		for _, d := range p.Dropped {
			names = append(names, d.Name)
		}
		fmt.Fprintf(w, "and remove %d later file(s) from the manifest: %s (%d bytes, %d commands lost; kept as backups)\n",
			len(p.Dropped), strings.Join(names, ", "), p.DroppedBytes, p.DroppedCommands)
	}
}

// confirm asks on standard error and reads the answer from standard input
// (a terminal, or a pipe as with redis-check-aof: echo y | kv-check-aof --fix).
func confirm(yes bool, in io.Reader, prompt io.Writer) (bool, error) {
	if yes {
		return true, nil
	}
	fmt.Fprint(prompt, "Continue? [y/N]: ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(prompt)
		if err == io.EOF {
			return false, errors.New("no answer on standard input: use --yes to repair without asking")
		}
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newProgress returns a libaof progress callback that redraws one line on
// w at most twice a second; a nil file clears the line.
func newProgress(w io.Writer) func(*libaof.FileReport, int64) {
	var last time.Time
	shown := false
	return func(f *libaof.FileReport, done int64) {
		if f == nil {
			if shown {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		}
		if time.Since(last) < 500*time.Millisecond {
			return
		}
		last, shown = time.Now(), true
		if f.Size > 0 {
			fmt.Fprintf(w, "\r\033[Kchecking %s: %d%% (%d of %d MB)", f.Name, done*100/f.Size, done>>20, f.Size>>20)
		} else {
			fmt.Fprintf(w, "\r\033[Kchecking %s: %d MB", f.Name, done>>20)
		}
	}
}
