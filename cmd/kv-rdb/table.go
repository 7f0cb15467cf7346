package main

import (
	"io"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// table is a tablewriter v1 table in ASCII style with headers as written.
type table struct{ t *tablewriter.Table }

func newTable(w io.Writer, header ...string) *table {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = s
	}
	t.Header(h...)
	return &table{t}
}

func (t *table) Append(cells ...string) {
	row := make([]any, len(cells))
	for i, s := range cells {
		row[i] = s
	}
	t.t.Append(row...)
}

func (t *table) Render() error { return t.t.Render() }

// formatMillis formats Unix milliseconds as RFC 3339 in UTC.
func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
