package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/loadgen"
)

// The progress line shows the rate now, elapsed and remaining time, and
// redraws in place.
func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := progressLine(&b)
	p(loadgen.Progress{Title: "SET", Finished: 1500, Rate: 6000.4, Elapsed: 250 * time.Millisecond, Remaining: 750 * time.Millisecond})
	if got := strings.TrimRight(b.String(), " "); got != "\rSET: 6000 ops/s now, 1500 done, elapsed 0.2s, remaining 0.8s" {
		t.Errorf("progress %q", got)
	}
	b.Reset()
	p(loadgen.Progress{Title: "GET", Elapsed: -2 * time.Second, Remaining: -1})
	if got := strings.TrimRight(b.String(), " "); got != "\rGET: warming up, 2.0s left" {
		t.Errorf("progress %q", got)
	}
}
