package librdb

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// canonKey is one key decoded into memory, for comparison with the
// canonical dumps in ../shared/testdata (README "Canonical dump format"):
// the key's metadata and its Value as the library's Collector builds it.
type canonKey struct {
	db      int
	key     string
	rdbType byte
	expire  int64
	Value
}

// canonVisitor collects every key and function library of a file.
type canonVisitor struct {
	Collector
	keys  []*canonKey
	cur   *canonKey
	funcs []string // "#F ..." lines
	aux   map[string]string
}

func (c *canonVisitor) Aux(k, v []byte) error {
	if c.aux == nil {
		c.aux = map[string]string{}
	}
	c.aux[string(k)] = string(v)
	return nil
}

var registerRe = regexp.MustCompile(`register_function\s*\(\s*(?:function_name\s*=\s*)?['"]([^'"]+)['"]`)

func (c *canonVisitor) Function(f *Function) error {
	code := string(f.Code)
	engine := strings.ToUpper(f.Engine)
	if f.PreGA {
		code = "#!" + f.Engine + " name=" + f.Name + "\n" + code
	}
	lib := strconv.Quote(f.Name)
	c.funcs = append(c.funcs,
		"#F library "+lib+" code "+cliQuote(code),
		"#F library "+lib+" engine "+cliQuote(engine))
	for _, m := range registerRe.FindAllStringSubmatch(code, -1) {
		c.funcs = append(c.funcs, "#F library "+lib+" function "+cliQuote(m[1]))
	}
	return nil
}

// cliQuote quotes s as redis-cli --no-raw prints a bulk string (sdscatrepr).
func cliQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (c *canonVisitor) BeginKey(k *Key) error {
	c.cur = &canonKey{db: k.DB, key: string(k.Key), rdbType: k.RDBType, expire: k.Expire}
	c.keys = append(c.keys, c.cur)
	return c.Collector.BeginKey(k)
}

func (c *canonVisitor) EndKey(k *Key) error {
	c.cur.Value = *c.Collector.Value()
	return nil
}

func hexOrDash(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

// length returns STRLEN/LLEN/SCARD/ZCARD/HLEN/XLEN.
func (k *canonKey) length() int {
	switch k.Kind {
	case KindString:
		return len(k.Str)
	case KindHash:
		return len(k.Fields)
	case KindZSet:
		return len(k.Members)
	case KindStream:
		return int(k.Stream.Length)
	}
	return len(k.Elems)
}

// canon renders the values.txt canon string.
func (k *canonKey) canon() string {
	var t []string
	switch k.Kind {
	case KindString:
		t = append(t, hexOrDash(k.Str))
	case KindList:
		for _, e := range k.Elems {
			t = append(t, hexOrDash(e))
		}
	case KindSet:
		for _, e := range k.Elems {
			t = append(t, hexOrDash(e))
		}
		sort.Strings(t)
	case KindHash:
		p := append([]HashEntry(nil), k.Fields...)
		sort.Slice(p, func(i, j int) bool { return bytes.Compare(p[i].Field, p[j].Field) < 0 })
		for _, x := range p {
			t = append(t, hexOrDash(x.Field), hexOrDash(x.Value))
		}
	case KindZSet:
		z := append([]ZSetEntry(nil), k.Members...)
		sort.Slice(z, func(i, j int) bool {
			if z[i].Score != z[j].Score {
				return z[i].Score < z[j].Score
			}
			return bytes.Compare(z[i].Member, z[j].Member) < 0
		})
		for _, x := range z {
			t = append(t, hexOrDash(x.Member), fmt.Sprintf("%016x", math.Float64bits(x.Score)))
		}
	case KindStream:
		m := k.Stream
		t = append(t, fmt.Sprintf("len=%d last=%s maxdel=%s added=%d first=%s", m.Length, m.LastID, m.MaxDeletedID, m.EntriesAdded, m.FirstID))
		for _, e := range k.Entries {
			t = append(t, "E", e.ID.String(), strconv.Itoa(len(e.Fields)/2))
			for _, f := range e.Fields {
				t = append(t, hexOrDash(f))
			}
		}
		groups := append([]StreamGroup(nil), m.Groups...)
		sort.Slice(groups, func(i, j int) bool { return bytes.Compare(groups[i].Name, groups[j].Name) < 0 })
		for _, g := range groups {
			read := "nil"
			if g.EntriesRead >= 0 {
				read = strconv.FormatInt(g.EntriesRead, 10)
			}
			t = append(t, "G", hexOrDash(g.Name), "last="+g.LastID.String(), "read="+read, fmt.Sprintf("pel=%d", len(g.Pending)))
			owner := map[StreamID][]byte{}
			for _, c := range g.Consumers {
				for _, id := range c.Pending {
					owner[id] = c.Name
				}
			}
			pel := append([]StreamPending(nil), g.Pending...)
			sort.Slice(pel, func(i, j int) bool { return pel[i].ID.Compare(pel[j].ID) < 0 })
			for _, p := range pel {
				t = append(t, "P", p.ID.String(), hexOrDash(owner[p.ID]), strconv.FormatInt(p.DeliveryTime, 10), strconv.FormatUint(p.DeliveryCount, 10))
			}
			cons := append([]StreamConsumer(nil), g.Consumers...)
			sort.Slice(cons, func(i, j int) bool { return bytes.Compare(cons[i].Name, cons[j].Name) < 0 })
			for _, c := range cons {
				t = append(t, "C", hexOrDash(c.Name), fmt.Sprintf("pel=%d", len(c.Pending)))
				ids := append([]StreamID(nil), c.Pending...)
				sort.Slice(ids, func(i, j int) bool { return ids[i].Compare(ids[j]) < 0 })
				for _, id := range ids {
					t = append(t, id.String())
				}
			}
		}
	}
	return strings.Join(t, " ")
}

// encoding70 feeds the key through a Shape.
func (k *canonKey) encoding70() string {
	var s Shape
	s.Reset(&Key{Kind: k.Kind, RDBType: k.rdbType})
	switch k.Kind {
	case KindString:
		s.String(k.Str)
	case KindList, KindSet:
		for _, e := range k.Elems {
			s.Element(e)
		}
	case KindHash:
		for _, f := range k.Fields {
			s.Pair(f.Field, f.Value)
		}
	case KindZSet:
		for _, z := range k.Members {
			s.Pair(z.Member, nil)
		}
	}
	return s.Encoding70()
}

// expectedLine renders columns 1..7 of expected.txt.
func (k *canonKey) expectedLine() string {
	sum := sha1.Sum([]byte(k.canon()))
	return fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%d\t%x", k.db, hexOrDash([]byte(k.key)), k.Kind, k.encoding70(), k.expire, k.length(), sum)
}
