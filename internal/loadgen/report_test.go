package loadgen

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func sampleResult(title string, values ...int64) *Result {
	h := NewHistogram()
	for _, v := range values {
		h.RecordValue(v)
	}
	return &Result{Title: title, Requests: h.TotalCount(), Latency: h, Elapsed: time.Second}
}

// The .hlog file reads back, with hdrhistogram-go's log reader, as the
// histogram that was written.
func TestWriteHDR(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "lat")
	r := sampleResult("LRANGE_100 (first 100 elements)", 100, 200, 300, 5000)
	if err := WriteHDR(prefix, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	base := prefix + "-LRANGE_100_first_100_elements"
	f, err := os.Open(base + ".hlog")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := hdrhistogram.NewHistogramLogReader(f).NextIntervalHistogram()
	if err != nil || h == nil {
		t.Fatalf("reading the log back: %v", err)
	}
	if h.TotalCount() != 4 || h.Max() != r.Latency.Max() {
		t.Errorf("read back %d values, max %d; wrote 4, max %d", h.TotalCount(), h.Max(), r.Latency.Max())
	}
	hgrm, err := os.ReadFile(base + ".hgrm")
	if err != nil || !strings.Contains(string(hgrm), "Total count    =            4]") {
		t.Errorf("hgrm: %v\n%s", err, hgrm)
	}
}

func TestPlots(t *testing.T) {
	rs := []*Result{sampleResult("SET", 100, 150, 900), sampleResult("GET <&>", 80, 120, 2000), sampleResult("EMPTY")}
	var svg bytes.Buffer
	if err := WritePlotSVG(&svg, rs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", ">SET</text>", ">GET &lt;&amp;&gt;</text>", "90%</text>", "latency (ms)"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	var pngb bytes.Buffer
	if err := WritePlotPNG(&pngb, rs); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pngb)
	if err != nil || img.Bounds().Dx() != plotW {
		t.Errorf("PNG: %v, %v", err, img.Bounds())
	}
}
