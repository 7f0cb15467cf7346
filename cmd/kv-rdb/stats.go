package main

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "counts and sizes by database, type and encoding; expiry histogram; biggest keys; aux fields; functions",
		ArgsUsage: "FILE",
		Description: "stats summarises a file: keys, elements and estimated memory (see kv-rdb memory) by\n" +
			"database, by type and by encoding (the encoding Redis 7.0 gives each key after loading), a\n" +
			"histogram of expiry times relative to --now, the biggest keys of each type, the AUX fields\n" +
			"(redis-ver, ctime, used-mem, ...) and the function libraries. Tables, or --json.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "top", Value: 5, Usage: "biggest `N` keys per type"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of tables"},
		}, filterFlags()...),
		Action: runStats,
	}
}

// statLine is a count/size aggregate.
type statLine struct {
	Keys     int64 `json:"keys"`
	Elements int64 `json:"elements"`
	Size     int64 `json:"size_in_bytes"`
	Expires  int64 `json:"with_expiry"`
}

func (s *statLine) add(e estimate, k *librdb.Key) {
	s.Keys++
	s.Elements += e.elements
	s.Size += e.size
	if k.Expire >= 0 {
		s.Expires++
	}
}

// expiry histogram buckets, relative to --now.
var expiryBuckets = []struct {
	name string
	ms   int64
}{
	{"expired", 0}, {"< 1 hour", 3600e3}, {"< 1 day", 86400e3}, {"< 1 week", 7 * 86400e3},
	{"< 30 days", 30 * 86400e3}, {"< 1 year", 365 * 86400e3}, {">= 1 year", 1 << 62},
}

type statsResult struct {
	Version   int                  `json:"rdb_version"`
	Valkey    bool                 `json:"valkey,omitempty"`
	Aux       [][2]string          `json:"aux"`
	Functions []map[string]string  `json:"functions"`
	Total     statLine             `json:"total"`
	ByDB      map[int]*statLine    `json:"by_db"`
	ByType    map[string]*statLine `json:"by_type"`
	ByEnc     map[string]*statLine `json:"by_encoding"`
	Expiry    map[string]int64     `json:"expiry"`
	Biggest   map[string][]bigKey  `json:"biggest"`
	tops      map[librdb.Kind]*topN
}

type bigKey struct {
	DB       int    `json:"db"`
	Key      string `json:"key"`
	Size     int64  `json:"size_in_bytes"`
	Encoding string `json:"encoding"`
	Elements int64  `json:"elements"`
}

type statsVisitor struct {
	estimatingVisitor
	r   *statsResult
	top int
	now int64
}

func (s *statsVisitor) Header(v int, valkey bool) error {
	s.r.Version, s.r.Valkey = v, valkey
	return nil
}

func (s *statsVisitor) Aux(k, v []byte) error {
	s.r.Aux = append(s.r.Aux, [2]string{string(k), string(v)})
	return nil
}

func (s *statsVisitor) Function(f *librdb.Function) error {
	s.r.Functions = append(s.r.Functions, map[string]string{"name": f.Name, "engine": f.Engine, "code_bytes": strconv.Itoa(len(f.Code))})
	return nil
}

func bump(m map[string]*statLine, k string) *statLine {
	if m[k] == nil {
		m[k] = &statLine{}
	}
	return m[k]
}

func (s *statsVisitor) EndKey(k *librdb.Key) error {
	e := s.est.end()
	r := s.r
	r.Total.add(e, k)
	if r.ByDB[k.DB] == nil {
		r.ByDB[k.DB] = &statLine{}
	}
	r.ByDB[k.DB].add(e, k)
	bump(r.ByType, k.Kind.String()).add(e, k)
	bump(r.ByEnc, k.Kind.String()+" "+e.encoding).add(e, k)
	if k.Expire >= 0 {
		left := k.Expire - s.now
		for _, b := range expiryBuckets {
			if left < b.ms || b.ms == 0 && left <= 0 {
				r.Expiry[b.name]++
				break
			}
		}
	}
	t := r.tops[k.Kind]
	if t == nil {
		t = &topN{}
		r.tops[k.Kind] = t
	}
	if len(*t) < s.top || e.size > (*t)[0].est.size {
		heap.Push(t, keyReport{db: k.DB, kind: k.Kind.String(), key: string(k.Key), est: e})
		if len(*t) > s.top {
			heap.Pop(t)
		}
	}
	return nil
}

func runStats(c *cli.Context) error {
	f, err := fileAndFilter(c)
	if err != nil {
		return err
	}
	in, err := openInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.close()
	r := &statsResult{ByDB: map[int]*statLine{}, ByType: map[string]*statLine{}, ByEnc: map[string]*statLine{},
		Expiry: map[string]int64{}, Biggest: map[string][]bigKey{}, tops: map[librdb.Kind]*topN{}}
	sv := &statsVisitor{r: r, top: c.Int("top"), now: f.now}
	if sv.top < 1 {
		return usageError("--top must be at least 1")
	}
	if err := in.decode(newFilterVisitor(f, sv, in.prog)); err != nil {
		return err
	}
	for kind, t := range r.tops {
		sort.Slice(*t, func(i, j int) bool { return (*t)[i].est.size > (*t)[j].est.size })
		for _, kr := range *t {
			r.Biggest[kind.String()] = append(r.Biggest[kind.String()], bigKey{kr.db, kr.key, kr.est.size, kr.est.encoding, kr.est.elements})
		}
	}
	w, flush := bufferedStdout()
	defer flush()
	if c.Bool("json") {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
		return nil
	}
	fmt.Fprintf(w, "RDB version %d", r.Version)
	if r.Valkey {
		fmt.Fprint(w, " (Valkey)")
	}
	fmt.Fprintf(w, ": %d keys, %d with expiry, estimated memory %s\n\n", r.Total.Keys, r.Total.Expires, humanBytes(r.Total.Size))
	if len(r.Aux) > 0 {
		t := newTable(w, "aux field", "value")
		for _, a := range r.Aux {
			t.Append(printableKey(a[0]), printableKey(a[1]))
		}
		t.Render()
		fmt.Fprintln(w)
	}
	if len(r.Functions) > 0 {
		t := newTable(w, "library", "engine", "code bytes")
		for _, f := range r.Functions {
			t.Append(f["name"], f["engine"], f["code_bytes"])
		}
		t.Render()
		fmt.Fprintln(w)
	}
	line := func(t *table, name string, s *statLine) {
		t.Append(name, strconv.FormatInt(s.Keys, 10), strconv.FormatInt(s.Expires, 10), strconv.FormatInt(s.Elements, 10),
			strconv.FormatInt(s.Size, 10))
	}
	t := newTable(w, "database", "keys", "with expiry", "elements", "size_in_bytes")
	dbs := make([]int, 0, len(r.ByDB))
	for db := range r.ByDB {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	for _, db := range dbs {
		line(t, strconv.Itoa(db), r.ByDB[db])
	}
	t.Render()
	fmt.Fprintln(w)
	for _, m := range []struct {
		title string
		m     map[string]*statLine
	}{{"type", r.ByType}, {"type encoding", r.ByEnc}} {
		t := newTable(w, m.title, "keys", "with expiry", "elements", "size_in_bytes")
		names := make([]string, 0, len(m.m))
		for n := range m.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			line(t, n, m.m[n])
		}
		t.Render()
		fmt.Fprintln(w)
	}
	if len(r.Expiry) > 0 {
		t := newTable(w, "expires in", "keys")
		for _, b := range expiryBuckets {
			if n := r.Expiry[b.name]; n > 0 {
				t.Append(b.name, strconv.FormatInt(n, 10))
			}
		}
		t.Render()
		fmt.Fprintln(w)
	}
	t = newTable(w, "type", "database", "key", "size_in_bytes", "encoding", "elements")
	kinds := make([]string, 0, len(r.Biggest))
	for k := range r.Biggest {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for _, b := range r.Biggest[k] {
			t.Append(k, strconv.Itoa(b.DB), printableKey(b.Key), strconv.FormatInt(b.Size, 10), b.Encoding, strconv.FormatInt(b.Elements, 10))
		}
	}
	return t.Render()
}
