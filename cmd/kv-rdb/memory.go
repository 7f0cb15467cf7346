package main

import (
	"bufio"
	"container/heap"
	"encoding/csv"
	"fmt"
	"html"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

func memoryCommand() *cli.Command {
	return &cli.Command{
		Name:      "memory",
		Usage:     "estimate every key's memory use: CSV, the largest keys, totals by key prefix, a flame graph",
		ArgsUsage: "FILE",
		Description: "memory prints one CSV row per key:\n" +
			"  database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry\n" +
			"(expiry in RFC 3339, empty when none). --largest N prints the N biggest keys as a table;\n" +
			"--by-prefix SEP aggregates by the first --depth parts of the key split at SEP (memory use\n" +
			"grows with the number of distinct prefixes, not keys); --flamegraph FILE writes an SVG\n" +
			"(or, for a .html name, a page holding it) of memory by prefix.\n" + memoryModelDoc,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "largest", Aliases: []string{"l"}, Usage: "print only the `N` largest keys, as a table"},
			&cli.StringFlag{Name: "by-prefix", Usage: "aggregate by key prefix split at `SEP` (e.g. :)"},
			&cli.IntFlag{Name: "depth", Value: 1, Usage: "prefix depth for --by-prefix and --flamegraph (`N` parts)"},
			&cli.StringFlag{Name: "flamegraph", Usage: "write a flame graph of memory by prefix to `FILE` (.svg, or .html)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON instead of CSV or tables"},
		}, filterFlags()...),
		Action: runMemory,
	}
}

// keyReport is one key's line of the memory report.
type keyReport struct {
	db     int
	kind   string
	key    string
	est    estimate
	expire int64
}

// memoryVisitor estimates every key and hands the report to emit.
type memoryVisitor struct {
	estimatingVisitor
	emit func(k *librdb.Key, e estimate) error
}

func (m *memoryVisitor) EndKey(k *librdb.Key) error { return m.emit(k, m.est.end()) }

// topN keeps the n largest keys (a min-heap).
type topN []keyReport

func (t topN) Len() int           { return len(t) }
func (t topN) Less(i, j int) bool { return t[i].est.size < t[j].est.size }
func (t topN) Swap(i, j int)      { t[i], t[j] = t[j], t[i] }
func (t *topN) Push(x any)        { *t = append(*t, x.(keyReport)) }
func (t *topN) Pop() any          { o := *t; x := o[len(o)-1]; *t = o[:len(o)-1]; return x }

// prefixNode is a node of the key-prefix tree for --by-prefix and the
// flame graph.
type prefixNode struct {
	size     int64
	keys     int64
	children map[string]*prefixNode
}

func (p *prefixNode) add(parts []string, size int64) {
	p.size += size
	p.keys++
	if len(parts) == 0 {
		return
	}
	if p.children == nil {
		p.children = map[string]*prefixNode{}
	}
	c := p.children[parts[0]]
	if c == nil {
		c = &prefixNode{}
		p.children[parts[0]] = c
	}
	c.add(parts[1:], size)
}

// prefixParts splits key at sep into at most depth leading parts (the
// last part keeps the separator-free remainder out: a key "a:b:c" at depth
// 2 counts under "a" then "a:b").
func prefixParts(key, sep string, depth int) []string {
	parts := strings.SplitN(key, sep, depth+1)
	if len(parts) > depth {
		parts = parts[:depth]
	}
	return parts
}

func expiryString(ms int64) string {
	if ms < 0 {
		return ""
	}
	return formatMillis(ms)
}

func runMemory(c *cli.Context) error {
	f, err := fileAndFilter(c)
	if err != nil {
		return err
	}
	sep, depth, largest := c.String("by-prefix"), c.Int("depth"), c.Int("largest")
	flame := c.String("flamegraph")
	if depth < 1 {
		return usageError("--depth must be at least 1")
	}
	if largest < 0 {
		return usageError("--largest must be positive")
	}
	if flame != "" && sep == "" {
		sep = ":"
	}
	in, err := openInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.close()
	w, flush := bufferedStdout()
	defer flush()
	asJSON := c.Bool("json")
	root := &prefixNode{}
	var top topN
	var cw *csv.Writer
	if largest == 0 && sep == "" {
		cw = csv.NewWriter(w)
		if !asJSON {
			cw.Write([]string{"database", "type", "key", "size_in_bytes", "encoding", "num_elements", "len_largest_element", "expiry"})
		}
	}
	row := make([]string, 8)
	mv := &memoryVisitor{}
	mv.emit = func(k *librdb.Key, e estimate) error {
		switch {
		case sep != "":
			root.add(prefixParts(string(k.Key), sep, depth), e.size)
		case largest > 0:
			if len(top) < largest || e.size > top[0].est.size {
				heap.Push(&top, keyReport{db: k.DB, kind: k.Kind.String(), key: string(k.Key), est: e, expire: k.Expire})
				if len(top) > largest {
					heap.Pop(&top)
				}
			}
		case asJSON:
			return writeJSONReport(w, keyReport{db: k.DB, kind: k.Kind.String(), key: string(k.Key), est: e, expire: k.Expire})
		default:
			row[0] = strconv.Itoa(k.DB)
			row[1] = k.Kind.String()
			row[2] = string(k.Key)
			row[3] = strconv.FormatInt(e.size, 10)
			row[4] = e.encoding
			row[5] = strconv.FormatInt(e.elements, 10)
			row[6] = strconv.FormatInt(e.largest, 10)
			row[7] = expiryString(k.Expire)
			return cw.Write(row)
		}
		return nil
	}
	if err := in.decode(newFilterVisitor(f, mv, in.prog)); err != nil {
		return err
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	if largest > 0 {
		sort.Slice(top, func(i, j int) bool { return top[i].est.size > top[j].est.size })
		if asJSON {
			for _, r := range top {
				if err := writeJSONReport(w, r); err != nil {
					return err
				}
			}
			return nil
		}
		t := newTable(w, "database", "type", "key", "size_in_bytes", "encoding", "num_elements", "len_largest_element", "expiry")
		for _, r := range top {
			t.Append(strconv.Itoa(r.db), r.kind, printableKey(r.key), strconv.FormatInt(r.est.size, 10), r.est.encoding,
				strconv.FormatInt(r.est.elements, 10), strconv.FormatInt(r.est.largest, 10), expiryString(r.expire))
		}
		return t.Render()
	}
	if flame != "" {
		if err := writeFlamegraph(flame, root, sep); err != nil {
			return err
		}
	}
	// --by-prefix: every prefix at every depth, largest first within a level.
	type prow struct {
		prefix string
		depth  int
		n      *prefixNode
	}
	var rows []prow
	var walk func(p *prefixNode, prefix string, d int)
	walk = func(p *prefixNode, prefix string, d int) {
		names := make([]string, 0, len(p.children))
		for name := range p.children {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { return p.children[names[i]].size > p.children[names[j]].size })
		for _, name := range names {
			full := name
			if prefix != "" {
				full = prefix + sep + name
			}
			rows = append(rows, prow{full, d, p.children[name]})
			walk(p.children[name], full, d+1)
		}
	}
	walk(root, "", 1)
	if asJSON {
		for _, r := range rows {
			fmt.Fprintf(w, "{\"prefix\":%s,\"depth\":%d,\"keys\":%d,\"size_in_bytes\":%d}\n", jsonQuote(r.prefix), r.depth, r.n.keys, r.n.size)
		}
		return nil
	}
	t := newTable(w, "prefix", "depth", "keys", "size_in_bytes", "share")
	for _, r := range rows {
		t.Append(printableKey(r.prefix), strconv.Itoa(r.depth), strconv.FormatInt(r.n.keys, 10), strconv.FormatInt(r.n.size, 10),
			fmt.Sprintf("%.1f%%", 100*float64(r.n.size)/float64(max(root.size, 1))))
	}
	return t.Render()
}

func jsonQuote(s string) string { return string(appendJSONString(nil, []byte(s), escapeUTF8)) }

func writeJSONReport(w *bufio.Writer, r keyReport) error {
	fmt.Fprintf(w, "{\"database\":%d,\"type\":%q,\"key\":%s,\"size_in_bytes\":%d,\"encoding\":%q,\"num_elements\":%d,\"len_largest_element\":%d",
		r.db, r.kind, jsonQuote(r.key), r.est.size, r.est.encoding, r.est.elements, r.est.largest)
	if r.expire >= 0 {
		fmt.Fprintf(w, ",\"expiry\":%d", r.expire)
	}
	_, err := w.WriteString("}\n")
	return err
}

// printableKey shows a key in a table cell: non-printable bytes as \xHH.
func printableKey(s string) string { return string(appendPrintable(nil, []byte(s))) }

// writeFlamegraph writes an icicle/flame graph of memory by prefix: one
// row per depth, each prefix a box whose width is its share of memory.
func writeFlamegraph(path string, root *prefixNode, sep string) error {
	const width, rowH = 1200.0, 18.0
	var b strings.Builder
	maxDepth := 0
	var depthOf func(p *prefixNode, d int)
	depthOf = func(p *prefixNode, d int) {
		maxDepth = max(maxDepth, d)
		for _, c := range p.children {
			depthOf(c, d+1)
		}
	}
	depthOf(root, 0)
	height := rowH*float64(maxDepth+1) + 40
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="monospace" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="4" y="14">kv-rdb memory by prefix (separator %q): %d keys, %s</text>`+"\n", sep, root.keys, humanBytes(root.size))
	var draw func(p *prefixNode, name, full string, x, w float64, d int)
	draw = func(p *prefixNode, name, full string, x, w float64, d int) {
		y := height - rowH*float64(d+1)
		hue := 20 + (len(full)*37)%40
		fmt.Fprintf(&b, `<g><title>%s: %d keys, %d bytes</title><rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="hsl(%d,90%%,60%%)" stroke="white"/>`,
			html.EscapeString(printableKey(full)), p.keys, p.size, x, y, w, rowH-1, hue)
		if w > 30 {
			label := printableKey(name)
			if max := int(w / 7); len(label) > max {
				label = label[:max]
			}
			fmt.Fprintf(&b, `<text x="%.2f" y="%.2f">%s</text>`, x+3, y+13, html.EscapeString(label))
		}
		b.WriteString("</g>\n")
		names := make([]string, 0, len(p.children))
		for n := range p.children {
			names = append(names, n)
		}
		sort.Strings(names)
		cx := x
		for _, n := range names {
			c := p.children[n]
			cw := w * float64(c.size) / float64(max(p.size, 1))
			child := n
			if full != "" {
				child = full + sep + n
			}
			draw(c, n, child, cx, cw, d+1)
			cx += cw
		}
	}
	draw(root, "all", "", 0, width, 0)
	b.WriteString("</svg>\n")
	out := b.String()
	if strings.HasSuffix(path, ".html") {
		out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kv-rdb memory</title></head><body>\n" + out + "</body></html>\n"
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return usageError("%v", err)
	}
	return nil
}
