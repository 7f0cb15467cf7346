// Command kv-benchmark is kvkit's load generator: redis-benchmark's
// command line and output, plus memtier_benchmark's duration runs, rate
// limiting, SET:GET ratios, key patterns and HdrHistogram percentiles.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/internal/loadgen"
	"github.com/kvkit/kvkit/internal/version"
)

// App returns kv-benchmark's command-line definition. The short flags are
// redis-benchmark's (so -h is the host, not help); arguments after the
// flags are a command to benchmark instead of the built-in tests.
func App() *cli.App {
	return &cli.App{
		Name:      "kv-benchmark",
		Usage:     "load generator for Redis-compatible servers (redis-benchmark's flags, memtier's extras)",
		UsageText: "kv-benchmark [options] [command [arg ...]]",
		Description: "Without a command, runs redis-benchmark's tests (-t selects: " + strings.Join(loadgen.SuiteNames, ", ") + ").\n" +
			"With a command, benchmarks it; `__rand_int__` in any argument becomes a 12-digit key number when -r or a\n" +
			"key range is given, and {tag} becomes a hash tag of the connection's node with --cluster.\n" +
			"Results: a table (or -q, --csv as redis-benchmark prints them), --json, --hdr-out and --plot.\n" +
			"Exit status: 0 when every request succeeded, 1 when any test saw errors, 2 on bad usage, 130 when interrupted.",
		Version:         version.Version,
		HideHelp:        true,
		HideHelpCommand: true,
		Flags:           flags(),
		Action:          run,
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "host", Aliases: []string{"h"}, Value: "127.0.0.1", Usage: "server hostname"},
		&cli.IntFlag{Name: "port", Aliases: []string{"p"}, Value: 6379, Usage: "server port"},
		&cli.StringFlag{Name: "socket", Aliases: []string{"s"}, Usage: "server unix socket (overrides host and port)"},
		&cli.StringFlag{Name: "password", Aliases: []string{"a"}, Usage: "password for AUTH"},
		&cli.StringFlag{Name: "user", Usage: "ACL user for AUTH user password (needs -a)"},
		&cli.IntFlag{Name: "dbnum", Usage: "SELECT this database number first"},
		&cli.BoolFlag{Name: "resp3", Aliases: []string{"3"}, Usage: "start each connection with HELLO 3 (RESP3)"},
		&cli.IntFlag{Name: "clients", Aliases: []string{"c"}, Value: 50, Usage: "number of parallel connections"},
		&cli.Int64Flag{Name: "requests", Aliases: []string{"n"}, Value: 100000, Usage: "total number of requests per test"},
		&cli.IntFlag{Name: "datasize", Aliases: []string{"d"}, Value: 3, Usage: "value size of SET/GET and the other built-in tests, in bytes"},
		&cli.IntFlag{Name: "keyspacelen", Aliases: []string{"r"}, Usage: "use random keys 0..N-1 for `__rand_int__` (SET/GET/INCR keys, SADD/HSET/ZADD members)"},
		&cli.IntFlag{Name: "pipeline", Aliases: []string{"P"}, Value: 1, Usage: "pipeline N requests per round trip"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "quiet: one line per test, as redis-benchmark -q"},
		&cli.IntFlag{Name: "precision", Value: 3, Usage: "decimal places of latencies in the table"},
		&cli.BoolFlag{Name: "csv", Usage: "output in CSV, as redis-benchmark --csv"},
		&cli.BoolFlag{Name: "loop", Aliases: []string{"l"}, Usage: "run the tests forever"},
		&cli.StringFlag{Name: "tests", Aliases: []string{"t"}, Usage: "comma separated list of tests to run"},
		&cli.BoolFlag{Name: "idle", Aliases: []string{"I"}, Usage: "idle mode: open N connections and wait"},
		&cli.BoolFlag{Name: "show-errors", Aliases: []string{"e"}, Usage: "accepted for redis-benchmark compatibility: errors are always counted and their first messages shown"},
		&cli.BoolFlag{Name: "stdin-arg", Aliases: []string{"x"}, Usage: "read the last argument of the command from standard input"},
		&cli.IntFlag{Name: "threads", Usage: "number of threads (OS threads running connections; default 1, as redis-benchmark's single event loop)"},
		&cli.BoolFlag{Name: "cluster", Usage: "cluster mode: discover masters with CLUSTER SLOTS, tag keys per node, follow MOVED/ASK"},
		&cli.Float64Flag{Name: "test-time", Usage: "run each test for SECONDS instead of -n requests"},
		&cli.Float64Flag{Name: "rps", Usage: "limit the total rate to N requests per second; latency counts from the intended send time"},
		&cli.StringFlag{Name: "ratio", Usage: "run a SET:GET mix in this ratio (e.g. 1:10) instead of the built-in tests"},
		&cli.StringFlag{Name: "key-pattern", Value: "random", Usage: "key distribution: random (R), sequential (S), gaussian (G) or zipf (Z); SET:GET form for --ratio"},
		&cli.StringFlag{Name: "key-prefix", Value: "key:", Usage: "key prefix of --ratio keys"},
		&cli.Int64Flag{Name: "key-minimum", Usage: "smallest key number"},
		&cli.Int64Flag{Name: "key-maximum", Usage: "largest key number (default: -r minus 1, or 9999999)"},
		&cli.Float64Flag{Name: "key-zipf-exp", Value: 1, Usage: "exponent of the zipf key pattern, in (0, 10]"},
		&cli.Float64Flag{Name: "key-stddev", Usage: "standard deviation of the gaussian key pattern (default: range/6)"},
		&cli.StringFlag{Name: "data-size-range", Usage: "draw each value size from MIN-MAX bytes instead of -d"},
		&cli.Uint64Flag{Name: "seed", Usage: "random seed, for repeatable key sequences (default: from the clock)"},
		&cli.BoolFlag{Name: "distinct-client-seed", Usage: "with --seed, give each connection its own seed (else all walk the same sequence)"},
		&cli.Float64Flag{Name: "warmup", Usage: "send load for SECONDS before measuring each test"},
		&cli.StringFlag{Name: "hdr-out", Usage: "write PREFIX-TEST.hlog (HdrHistogram log) and PREFIX-TEST.hgrm per test"},
		&cli.StringFlag{Name: "json", Usage: "write configuration and results as JSON to FILE"},
		&cli.StringFlag{Name: "plot", Usage: "write a latency percentile plot to FILE (.svg or .png)"},
		&cli.BoolFlag{Name: "help", Usage: "show help"},
	}
}

type usageError struct{ error }

type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }

func main() {
	err := App().Run(os.Args)
	var code exitCode
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "kv-benchmark: %v\nTry 'kv-benchmark --help'.\n", ue.error)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "kv-benchmark: %v\n", err)
		os.Exit(1)
	}
}

// config is what --json records about the run.
type config struct {
	Target       string  `json:"target"`
	Cluster      bool    `json:"cluster"`
	RESP3        bool    `json:"resp3"`
	DB           int     `json:"dbnum"`
	Clients      int     `json:"clients"`
	Requests     int64   `json:"requests,omitempty"`
	TestTimeSec  float64 `json:"test_time_sec,omitempty"`
	WarmupSec    float64 `json:"warmup_sec,omitempty"`
	Pipeline     int     `json:"pipeline"`
	Threads      int     `json:"threads"`
	RPS          float64 `json:"rps,omitempty"`
	DataSize     int     `json:"datasize"`
	DataRange    string  `json:"data_size_range,omitempty"`
	Keys         string  `json:"keys,omitempty"`
	Ratio        string  `json:"ratio,omitempty"`
	Command      string  `json:"command,omitempty"`
	Tests        string  `json:"tests,omitempty"`
	Version      string  `json:"kv_benchmark_version"`
	GoMaxProcs   int     `json:"gomaxprocs"`
	KeyPrefix    string  `json:"key_prefix,omitempty"`
	Seed         uint64  `json:"seed,omitempty"`
	DistinctSeed bool    `json:"distinct_client_seed,omitempty"`
}

func run(c *cli.Context) error {
	if c.Bool("help") {
		return cli.ShowAppHelp(c)
	}
	o, cfg, tests, err := setup(c)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := c.App.Writer
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}

	if c.Bool("idle") {
		fmt.Fprintf(out, "Creating %d idle connections and waiting forever (Ctrl+C when done)\n", o.Clients)
		tty := isTerminal(os.Stdout)
		err := loadgen.Idle(ctx, o, func(n int) {
			if tty {
				fmt.Fprintf(out, "clients: %d\r", n)
			}
		})
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return exitCode(130)
		}
		return nil
	}

	quiet, csv := c.Bool("quiet"), c.Bool("csv")
	if !csv && isTerminal(os.Stderr) {
		o.Progress = progressLine(errw)
	}
	if csv {
		io.WriteString(out, loadgen.CSVHeader)
	}
	var results []*loadgen.Result
	interrupted, giveUp := false, false
	for {
		results = results[:0]
		for _, t := range tests {
			res, err := loadgen.Run(ctx, o, t)
			if o.Progress != nil {
				fmt.Fprintf(errw, "\r%*s\r", 100, "")
			}
			if err != nil {
				return err
			}
			results = append(results, res)
			switch {
			case csv:
				loadgen.WriteCSV(out, res)
			case quiet:
				loadgen.WriteQuiet(out, res)
			}
			if res.Interrupted {
				interrupted = true
				break
			}
			if unreachable(res) {
				// Every connection attempt failed: the next tests would
				// only repeat that.
				fmt.Fprintf(errw, "kv-benchmark: cannot connect to %s; skipping the remaining tests\n", o.Addr)
				giveUp = true
				break
			}
		}
		if !csv && !quiet {
			if err := loadgen.WriteTable(out, results, c.Int("precision")); err != nil {
				return err
			}
		} else if !csv {
			io.WriteString(out, "\n")
		}
		if !c.Bool("loop") || interrupted || giveUp {
			break
		}
	}
	failed := false
	for _, r := range results {
		if s := r.ErrorSummary(); s != "" {
			fmt.Fprintln(errw, s)
			failed = true
		}
	}
	if err := writeFiles(c, cfg, results); err != nil {
		return err
	}
	switch {
	case interrupted:
		return exitCode(130)
	case failed:
		return exitCode(1)
	}
	return nil
}

// unreachable reports whether a test failed only because no connection
// could be made.
func unreachable(r *loadgen.Result) bool {
	if r.Requests > 0 || r.Errors == 0 || r.OtherErrors > 0 {
		return false
	}
	for _, m := range r.ErrorMessages {
		if !strings.HasPrefix(m.Message, "connect: ") {
			return false
		}
	}
	return true
}

func writeFiles(c *cli.Context, cfg config, results []*loadgen.Result) error {
	if p := c.String("json"); p != "" {
		if err := loadgen.WriteJSON(p, cfg, results); err != nil {
			return err
		}
	}
	if p := c.String("hdr-out"); p != "" {
		if err := loadgen.WriteHDR(p, results); err != nil {
			return err
		}
	}
	if p := c.String("plot"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(strings.ToLower(p), ".png") {
			err = loadgen.WritePlotPNG(f, results)
		} else {
			err = loadgen.WritePlotSVG(f, results)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("--plot %s: %w", p, err)
		}
	}
	return nil
}

// setup turns the flags into loadgen options and the list of tests.
func setup(c *cli.Context) (*loadgen.Options, config, []loadgen.Test, error) {
	var cfg config
	o := &loadgen.Options{
		Network:          "tcp",
		Addr:             c.String("host") + ":" + strconv.Itoa(c.Int("port")),
		User:             c.String("user"),
		Password:         c.String("password"),
		DB:               c.Int("dbnum"),
		RESP3:            c.Bool("resp3"),
		Clients:          c.Int("clients"),
		Requests:         c.Int64("requests"),
		Pipeline:         max(1, c.Int("pipeline")),
		RPS:              c.Float64("rps"),
		Cluster:          c.Bool("cluster"),
		DataSize:         min(max(1, c.Int("datasize")), 1<<30), // clamped as redis-benchmark -d
		Seed:             c.Uint64("seed"),
		SeedSet:          c.IsSet("seed"),
		DistinctSeed:     c.Bool("distinct-client-seed"),
		MaxErrorMessages: 5,
	}
	if strings.Contains(c.String("host"), ":") {
		o.Addr = "[" + c.String("host") + "]:" + strconv.Itoa(c.Int("port"))
	}
	if s := c.String("socket"); s != "" {
		o.Network, o.Addr = "unix", s
	}
	if o.Cluster && o.Network == "unix" {
		return nil, cfg, nil, fmt.Errorf("--cluster needs a TCP address, not -s")
	}
	if o.Clients < 1 {
		return nil, cfg, nil, fmt.Errorf("-c %d: need at least one client", o.Clients)
	}
	if o.Requests < 1 && !c.IsSet("test-time") {
		return nil, cfg, nil, fmt.Errorf("-n %d: need at least one request", o.Requests)
	}
	if o.RPS < 0 {
		return nil, cfg, nil, fmt.Errorf("--rps %g: must not be negative", o.RPS)
	}
	secs := func(name string) (time.Duration, error) {
		v := c.Float64(name)
		if v < 0 || v > 1e7 {
			return 0, fmt.Errorf("--%s %g: want seconds between 0 and 10000000", name, v)
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	var err error
	if o.Duration, err = secs("test-time"); err != nil {
		return nil, cfg, nil, err
	}
	if c.IsSet("test-time") && o.Duration == 0 {
		return nil, cfg, nil, fmt.Errorf("--test-time must be more than 0 seconds")
	}
	if o.Warmup, err = secs("warmup"); err != nil {
		return nil, cfg, nil, err
	}
	if r := c.String("data-size-range"); r != "" {
		lo, hi, ok := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a < 1 || b < a || b > 1<<30 {
			return nil, cfg, nil, fmt.Errorf("--data-size-range %q: want MIN-MAX with 1 <= MIN <= MAX <= 1073741824", r)
		}
		o.DataMin, o.DataMax = a, b
	}

	// The key space: -r N is keys 0..N-1 (redis-benchmark); the memtier
	// flags refine or replace it.
	setPat, getPat, err := loadgen.ParseKeyPatterns(c.String("key-pattern"))
	if err != nil {
		return nil, cfg, nil, err
	}
	randomKeys := c.IsSet("keyspacelen") || c.IsSet("key-minimum") || c.IsSet("key-maximum") || c.IsSet("key-pattern")
	ks := loadgen.KeySpace{Min: c.Int64("key-minimum"), Max: 9999999, Pattern: setPat, GetPattern: getPat,
		ZipfExp: c.Float64("key-zipf-exp"), StdDev: c.Float64("key-stddev")}
	if c.IsSet("keyspacelen") {
		ks.Max = ks.Min + max(int64(c.Int("keyspacelen"))-1, 0)
	}
	if c.IsSet("key-maximum") {
		ks.Max = c.Int64("key-maximum")
	}
	if ks.Max < ks.Min {
		return nil, cfg, nil, fmt.Errorf("--key-maximum %d is below --key-minimum %d", ks.Max, ks.Min)
	}
	o.Keys = ks

	threads := c.Int("threads")
	if threads < 0 || threads > 500 {
		return nil, cfg, nil, fmt.Errorf("--threads %d: want 1 to 500", threads)
	}
	if threads == 0 {
		threads = 1
	}
	runtime.GOMAXPROCS(threads)

	var tests []loadgen.Test
	args := c.Args().Slice()
	title := strings.Join(args, " ")
	if c.Bool("stdin-arg") {
		if len(args) == 0 {
			return nil, cfg, nil, fmt.Errorf("-x needs a command whose last argument is read from standard input")
		}
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 512<<20))
		if err != nil {
			return nil, cfg, nil, fmt.Errorf("-x: reading standard input: %w", err)
		}
		args = append(args, string(b))
		// The value may be large or binary: name it rather than print it.
		title += " <stdin>"
	}
	switch {
	case len(args) > 0:
		t := loadgen.NewTemplate(args, loadgen.Substitution{RandInt: randomKeys, Cluster: o.Cluster})
		tests = []loadgen.Test{{Title: title, Commands: []*loadgen.Template{t}}}
		cfg.Command = title
	case c.String("ratio") != "":
		a, b, ok := strings.Cut(c.String("ratio"), ":")
		sets, err1 := strconv.Atoi(a)
		gets, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || sets < 0 || gets < 0 || sets+gets == 0 || sets+gets > 1e6 {
			return nil, cfg, nil, fmt.Errorf("--ratio %q: want SET:GET, two counts such as 1:10", c.String("ratio"))
		}
		tests = []loadgen.Test{loadgen.RatioTest(sets, gets, c.String("key-prefix"), o.Cluster)}
		cfg.Ratio = c.String("ratio")
	default:
		tests, err = loadgen.Suite(loadgen.SuiteOptions{Tests: c.String("tests"), RandomKeys: randomKeys, Cluster: o.Cluster})
		if err != nil {
			return nil, cfg, nil, err
		}
		cfg.Tests = c.String("tests")
	}

	cfg = config{Target: o.Addr, Cluster: o.Cluster, RESP3: o.RESP3, DB: o.DB, Clients: o.Clients,
		Pipeline: o.Pipeline, Threads: threads, RPS: o.RPS, DataSize: o.DataSize,
		DataRange: c.String("data-size-range"), Ratio: cfg.Ratio, Command: cfg.Command, Tests: cfg.Tests,
		Version: version.Version, GoMaxProcs: runtime.GOMAXPROCS(0), Seed: o.Seed, DistinctSeed: o.DistinctSeed,
		WarmupSec: o.Warmup.Seconds()}
	if o.Duration > 0 {
		cfg.TestTimeSec = o.Duration.Seconds()
	} else {
		cfg.Requests = o.Requests
	}
	if randomKeys || cfg.Ratio != "" {
		cfg.Keys = fmt.Sprintf("%d..%d %s", ks.Min, ks.Max, ks.Pattern)
		if cfg.Ratio != "" {
			cfg.Keys += ":" + ks.GetPattern.String()
			cfg.KeyPrefix = c.String("key-prefix")
		}
		if ks.Pattern == loadgen.Zipf || ks.GetPattern == loadgen.Zipf {
			cfg.Keys += fmt.Sprintf(" exp %g", ks.ZipfExp)
		}
	}
	return o, cfg, tests, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine returns a Progress callback that redraws one status line.
func progressLine(w io.Writer) func(loadgen.Progress) {
	return func(p loadgen.Progress) {
		var s string
		if p.Elapsed < 0 {
			s = fmt.Sprintf("%s: warming up, %.1fs left", p.Title, -p.Elapsed.Seconds())
		} else {
			s = fmt.Sprintf("%s: %.0f ops/s now, %d done, elapsed %.1fs", p.Title, p.Rate, p.Finished, p.Elapsed.Seconds())
			if p.Remaining >= 0 {
				s += fmt.Sprintf(", remaining %.1fs", p.Remaining.Seconds())
			}
		}
		if len(s) > 99 {
			s = s[:99]
		}
		fmt.Fprintf(w, "\r%-99s", s)
	}
}
