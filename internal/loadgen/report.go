package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteQuiet writes redis-benchmark's -q line for r:
// "TITLE: 12345.67 requests per second, p50=0.271 msec".
func WriteQuiet(w io.Writer, r *Result) {
	fmt.Fprintf(w, "%s: %.2f requests per second, p50=%.3f msec\n", r.Title, r.OpsPerSec(), Ms(r.Latency.ValueAtPercentile(50)))
}

// CSVHeader is redis-benchmark's --csv header line.
const CSVHeader = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"

// WriteCSV writes redis-benchmark's --csv line for r (Redis 7.0
// showLatencyReport): rps with 2 decimals, latencies in ms with 3.
func WriteCSV(w io.Writer, r *Result) {
	h := r.Latency
	avg := 0.0
	if h.TotalCount() > 0 {
		avg = MeanMs(h)
	}
	fmt.Fprintf(w, "\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", r.Title, r.OpsPerSec(), avg,
		Ms(h.Min()), Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(95)), Ms(h.ValueAtPercentile(99)), Ms(h.Max()))
}

// WriteTable writes the results as an ASCII table: test, ops/s, avg, p50,
// p99, p99.9, max (ms, precision decimals) and errors. A mixed test gets
// one extra row per command.
func WriteTable(w io.Writer, results []*Result, precision int) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{tw.AlignLeft, tw.AlignRight,
			tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}}),
	)
	t.Header("test", "ops/s", "avg ms", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
	ms := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', precision, 64)
	}
	row := func(name string, ops float64, h *hdrhistogram.Histogram, errs string) error {
		if h.TotalCount() == 0 {
			return t.Append(name, fmt.Sprintf("%.2f", ops), "-", "-", "-", "-", "-", errs)
		}
		return t.Append(name, fmt.Sprintf("%.2f", ops), ms(MeanMs(h)), ms(Ms(h.ValueAtPercentile(50))),
			ms(Ms(h.ValueAtPercentile(99))), ms(Ms(h.ValueAtPercentile(99.9))), ms(Ms(h.Max())), errs)
	}
	for _, r := range results {
		title := r.Title
		if r.Interrupted {
			title += " (interrupted)"
		}
		if err := row(title, r.OpsPerSec(), r.Latency, strconv.FormatInt(r.Errors, 10)); err != nil {
			return err
		}
		if len(r.Commands) > 1 {
			for _, c := range r.Commands {
				ops := 0.0
				if r.Elapsed > 0 {
					ops = float64(c.Requests) / r.Elapsed.Seconds()
				}
				if err := row("+ "+c.Name, ops, c.Latency, ""); err != nil {
					return err
				}
			}
		}
	}
	return t.Render()
}

// LatencySummary is the latency part of the JSON report, in milliseconds.
type LatencySummary struct {
	Count int64   `json:"count"`
	Avg   float64 `json:"avg_ms"`
	Min   float64 `json:"min_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	P9999 float64 `json:"p99_99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarize returns the percentiles of h (µs values) in milliseconds.
func Summarize(h *hdrhistogram.Histogram) LatencySummary {
	if h.TotalCount() == 0 {
		return LatencySummary{}
	}
	return LatencySummary{Count: h.TotalCount(), Avg: MeanMs(h), Min: Ms(h.Min()),
		P50: Ms(h.ValueAtPercentile(50)), P90: Ms(h.ValueAtPercentile(90)), P99: Ms(h.ValueAtPercentile(99)),
		P999: Ms(h.ValueAtPercentile(99.9)), P9999: Ms(h.ValueAtPercentile(99.99)), Max: Ms(h.Max())}
}

// JSONTest is one test in the JSON report.
type JSONTest struct {
	Title         string         `json:"test"`
	Requests      int64          `json:"requests"`
	ElapsedSec    float64        `json:"elapsed_sec"`
	OpsPerSec     float64        `json:"ops_per_sec"`
	Latency       LatencySummary `json:"latency"`
	Errors        int64          `json:"errors"`
	ErrorMessages []ErrorCount   `json:"error_messages,omitempty"`
	OtherErrors   int64          `json:"other_errors,omitempty"`
	Redirects     int64          `json:"redirects,omitempty"`
	Interrupted   bool           `json:"interrupted,omitempty"`
	Commands      []JSONCommand  `json:"commands,omitempty"`
}

// JSONCommand is one command's share of a mixed test.
type JSONCommand struct {
	Name      string         `json:"command"`
	Requests  int64          `json:"requests"`
	OpsPerSec float64        `json:"ops_per_sec"`
	Latency   LatencySummary `json:"latency"`
}

// JSONReport is the document --json writes: the run's configuration (as
// the caller describes it) and every test.
type JSONReport struct {
	Config any        `json:"config"`
	Tests  []JSONTest `json:"tests"`
}

// NewJSONTest converts a Result.
func NewJSONTest(r *Result) JSONTest {
	j := JSONTest{Title: r.Title, Requests: r.Requests, ElapsedSec: r.Elapsed.Seconds(), OpsPerSec: r.OpsPerSec(),
		Latency: Summarize(r.Latency), Errors: r.Errors, ErrorMessages: r.ErrorMessages, OtherErrors: r.OtherErrors,
		Redirects: r.Redirects, Interrupted: r.Interrupted}
	if len(r.Commands) > 1 {
		for _, c := range r.Commands {
			jc := JSONCommand{Name: c.Name, Requests: c.Requests, Latency: Summarize(c.Latency)}
			if r.Elapsed > 0 {
				jc.OpsPerSec = float64(c.Requests) / r.Elapsed.Seconds()
			}
			j.Commands = append(j.Commands, jc)
		}
	}
	return j
}

// WriteJSON writes the JSON report to path.
func WriteJSON(path string, config any, results []*Result) error {
	rep := JSONReport{Config: config, Tests: []JSONTest{}}
	for _, r := range results {
		rep.Tests = append(rep.Tests, NewJSONTest(r))
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// HDRFileBase returns the file name stem --hdr-out uses for a test:
// PREFIX-TITLE with the title reduced to letters, digits, '.', '_' and '-'.
func HDRFileBase(prefix, title string) string {
	return prefix + "-" + strings.Trim(unsafeName.ReplaceAllString(title, "_"), "_")
}

// WriteHDR writes, for each result, PREFIX-TEST.hlog (an HdrHistogram
// interval log, readable by HdrHistogram's HistogramLogProcessor and
// hdrhistogram-go's log reader; values in µs) and PREFIX-TEST.hgrm (the
// percentile distribution text HdrHistogram's online plotter reads; values
// in ms).
func WriteHDR(prefix string, results []*Result) error {
	for _, r := range results {
		base := HDRFileBase(prefix, r.Title)
		f, err := os.Create(base + ".hlog")
		if err != nil {
			return err
		}
		lw := hdrhistogram.NewHistogramLogWriter(f)
		h := r.Latency
		lw.OutputLogFormatVersion()
		lw.OutputComment("kv-benchmark " + r.Title + ", latency in microseconds")
		lw.OutputLegend()
		h.SetStartTimeMs(0)
		h.SetEndTimeMs(r.Elapsed.Milliseconds())
		err = lw.OutputIntervalHistogram(h)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s.hlog: %w", base, err)
		}
		if err := os.WriteFile(base+".hgrm", []byte(percentileDistribution(h)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// percentileDistribution formats h as HdrHistogram's
// outputPercentileDistribution does (5 ticks per half distance), in ms.
func percentileDistribution(h *hdrhistogram.Histogram) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	n := h.TotalCount()
	if n > 0 {
		for _, br := range h.CumulativeDistributionWithTicks(5) {
			q := br.Quantile / 100
			if q < 1 {
				fmt.Fprintf(&b, "%12.3f %2.12f %10d %14.2f\n", Ms(br.ValueAt), q, br.Count, 1/(1-q))
			} else {
				fmt.Fprintf(&b, "%12.3f %2.12f %10d\n", Ms(br.ValueAt), q, br.Count)
			}
		}
	}
	fmt.Fprintf(&b, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/1000, h.StdDev()/1000)
	fmt.Fprintf(&b, "#[Max     = %12.3f, Total count    = %12d]\n", Ms(h.Max()), n)
	return b.String()
}
