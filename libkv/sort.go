package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"bytes"
	"math"
	"sort"
)

// SORT and SORT_RO (Redis 7.0 sort.c).
var sortCommands = map[string]cmdFunc{
	"sort":    func(c *Client, args [][]byte) { c.sortGeneric(args, false) },
	"sort_ro": func(c *Client, args [][]byte) { c.sortGeneric(args, true) },
}

// sortItem is redisSortObject: an element and what it sorts by.
type sortItem struct {
	elem  []byte
	score float64
	by    []byte // ALPHA with BY: the weight's bytes; nil when the weight key is missing
}

// sortGeneric is sortCommandGeneric. Options are parsed first (their
// errors win over the key's type), then the key is looked up for reading;
// a missing key sorts as an empty list.
func (c *Client) sortGeneric(args [][]byte, readonly bool) {
	s := c.srv
	var (
		desc, alpha, dontsort  bool
		limitStart, limitCount int64 = 0, -1
		storeKey, sortBy       []byte
		gets                   [][]byte
	)
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case eqFold(args[j], "asc"):
			desc = false
		case eqFold(args[j], "desc"):
			desc = true
		case eqFold(args[j], "alpha"):
			alpha = true
		case eqFold(args[j], "limit") && left >= 2:
			var ok bool
			if limitStart, ok = c.intArg(args[j+1]); !ok {
				return
			}
			if limitCount, ok = c.intArg(args[j+2]); !ok {
				return
			}
			j += 2
		case !readonly && eqFold(args[j], "store") && left >= 1:
			storeKey = args[j+1]
			j++
		case eqFold(args[j], "by") && left >= 1:
			sortBy = args[j+1]
			// A constant BY pattern (no '*' before a NUL, as strchr sees
			// it) means no sorting and no weight lookups.
			dontsort = bytes.IndexByte(cString(sortBy), '*') < 0
			j++
		case eqFold(args[j], "get") && left >= 1:
			gets = append(gets, args[j+1])
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	o := c.lookupRead(args[1])
	if o != nil && o.typ != TypeSet && o.typ != TypeList && o.typ != TypeZSet {
		c.addError(errWrongType)
		return
	}
	// A set in hash order would make the stored result depend on the
	// server's hash seed: Redis sorts it (ALPHA) when storing.
	if dontsort && o != nil && o.typ == TypeSet && storeKey != nil {
		dontsort, alpha, sortBy = false, true, nil
	}
	// Redis converts a listpack sorted set for SORT, for good.
	if o != nil && o.typ == TypeZSet && o.enc == EncListpack {
		before := valueMemory(o)
		convertToSkiplist(o)
		c.db.resized(o, before)
	}

	var n int
	if o != nil {
		switch o.typ {
		case TypeList:
			n = o.list().count
		case TypeSet:
			n = setSize(o)
		case TypeZSet:
			n = zsetLen(o)
		}
	}
	// LIMIT sanity checks, as 7.0: start and end clamped to the vector
	// (first, so that huge values cannot overflow).
	vlen := int64(n)
	start := min(max(limitStart, 0), vlen)
	limitCount = min(max(limitCount, -1), vlen)
	end := vlen - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= vlen {
		start, end = vlen-1, vlen-2
	}
	if end >= vlen {
		end = vlen - 1
	}

	// Lists and sorted sets are in order already: with nothing to sort,
	// only the LIMIT range is loaded, in the requested direction.
	var items []sortItem
	switch {
	case o == nil:
	case dontsort && (o.typ == TypeList || o.typ == TypeZSet):
		if end >= start {
			items = loadOrderedRange(o, int(start), int(end-start+1), desc)
		}
		end -= start
		start = 0
	case o.typ == TypeList:
		items = make([]sortItem, 0, n)
		o.list().each(func(v []byte) { items = append(items, sortItem{elem: append([]byte(nil), v...)}) })
	case o.typ == TypeSet:
		items = make([]sortItem, 0, n)
		var buf [20]byte
		for e := range setElems(o) {
			items = append(items, sortItem{elem: append([]byte(nil), e.bytes(&buf)...)})
		}
	default: // a sorted set, in the order of its dict as Redis walks it
		items = make([]sortItem, 0, n)
		for member := range o.zs().dict.All() {
			items = append(items, sortItem{elem: []byte(member)})
		}
	}

	convErr := false
	if !dontsort {
		for i := range items {
			it := &items[i]
			var by []byte
			if sortBy != nil {
				var ok bool
				if by, ok = c.sortLookup(sortBy, it.elem); !ok {
					continue
				}
			} else {
				by = it.elem
			}
			if alpha {
				if sortBy != nil {
					it.by = by
				}
				continue
			}
			f, ok := sortScore(by)
			it.score = f
			convErr = convErr || !ok
		}
		less := sortLess(alpha, sortBy != nil, storeKey != nil)
		// glibc's qsort is a merge sort, stable; kept so for equal keys.
		sort.SliceStable(items, func(i, j int) bool {
			if desc {
				return less(&items[j], &items[i])
			}
			return less(&items[i], &items[j])
		})
	}

	count := int(end - start + 1)
	if count <= 0 {
		items, start, end = nil, 0, -1
		count = 0
	}
	outLen := count
	if len(gets) > 0 {
		outLen *= len(gets)
	}
	switch {
	case convErr:
		c.addError("ERR One or more scores can't be converted into double")
	case storeKey == nil:
		c.w.Array(outLen)
		for _, it := range items[start : end+1] {
			if len(gets) == 0 {
				c.w.Bulk(it.elem)
			}
			for _, g := range gets {
				if v, ok := c.sortLookup(g, it.elem); ok {
					c.w.Bulk(v)
				} else {
					c.w.Null()
				}
			}
		}
	default:
		list := s.newList()
		ql := list.list()
		for _, it := range items[start : end+1] {
			if len(gets) == 0 {
				ql.push(it.elem, false)
			}
			for _, g := range gets {
				v, _ := c.sortLookup(g, it.elem)
				ql.push(v, false)
			}
		}
		if outLen > 0 {
			s.setKey(c.db, storeKey, list, false)
			s.dirty += int64(outLen)
			s.notifyKeyspaceEvent(config.NotifyList, "sortstore", storeKey, c.db.id)
		} else if s.deleteKey(c.db, storeKey) {
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", storeKey, c.db.id)
		}
		c.w.Int(int64(outLen))
	}
}

// loadOrderedRange loads count elements of a list or sorted set from
// index start, counted from the tail (last element first) when desc.
func loadOrderedRange(o *Object, start, count int, desc bool) []sortItem {
	items := make([]sortItem, 0, count)
	if o.typ == TypeList {
		idx := start
		if desc {
			idx = o.list().count - start - 1
		}
		it := o.list().iterAt(idx, !desc)
		var buf []byte
		for len(items) < count {
			n, p, ok := it.next()
			if !ok {
				break
			}
			buf = nodeValue(buf[:0], n, p)
			items = append(items, sortItem{elem: append([]byte(nil), buf...)})
		}
		it.release()
		return items
	}
	for it := zsetIterAtRank(o, start, desc); it.valid() && len(items) < count; it.next() {
		items = append(items, sortItem{elem: []byte(it.member())})
	}
	return items
}

// sortLess is sortCompare for the options in force: numeric by score, ties
// broken by the elements' bytes; ALPHA by the weights (a missing weight
// first) or the elements, compared as strcoll in the C locale (strcmp: up
// to a NUL) except when storing, where the comparison is binary.
func sortLess(alpha, byPattern, store bool) func(a, b *sortItem) bool {
	cmpStr := func(x, y []byte) int {
		if store {
			return bytes.Compare(x, y)
		}
		return bytes.Compare(cString(x), cString(y))
	}
	switch {
	case !alpha:
		return func(a, b *sortItem) bool {
			if a.score != b.score {
				return a.score < b.score
			}
			return bytes.Compare(a.elem, b.elem) < 0
		}
	case byPattern:
		return func(a, b *sortItem) bool {
			if a.by == nil || b.by == nil {
				return a.by == nil && b.by != nil
			}
			return cmpStr(a.by, b.by) < 0
		}
	}
	return func(a, b *sortItem) bool { return cmpStr(a.elem, b.elem) < 0 }
}

// sortScore reads a weight as SORT does with strtod: the whole C string
// must be a number (leading white space allowed, empty is 0); NaN and
// values out of range (ERANGE: overflow, or underflow to zero or a
// subnormal) are errors, "inf" itself is not.
func sortScore(b []byte) (float64, bool) {
	f, ok := parseRangeFloat(b)
	if !ok {
		return 0, false
	}
	digits := bytes.TrimLeft(cString(b), " \t\n\v\f\r+-")
	if math.IsInf(f, 0) {
		return f, eqFold(digits, "inf") || eqFold(digits, "infinity")
	}
	if math.Abs(f) < 0x1p-1022 {
		// Zero is exact only when the mantissa has no non-zero digit.
		mantissa, _, _ := bytes.Cut(bytes.ToLower(digits), []byte("e"))
		if bytes.ContainsAny(mantissa, "123456789") {
			return 0, false
		}
	}
	return f, true
}

// sortLookup is lookupKeyByPattern: "#" is the element itself; otherwise
// the first '*' of the pattern is replaced by the element and the key read
// (a string, or with "->field" after the '*' a hash field). ok is false
// when there is no such value.
func (c *Client) sortLookup(pattern, elem []byte) ([]byte, bool) {
	// '*' and "->" are searched as C strings (strchr, strstr), but the
	// parts copied around them are the whole arguments.
	pat := cString(pattern)
	if len(pat) == 1 && pat[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(pat, '*')
	if star < 0 {
		return nil, false
	}
	var field []byte
	keyEnd := len(pattern)
	if f := bytes.Index(pat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pat) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	key := make([]byte, 0, keyEnd-1+len(elem))
	key = append(append(append(key, pattern[:star]...), elem...), pattern[star+1:keyEnd]...)
	o := c.lookupRead(key)
	if o == nil {
		return nil, false
	}
	if field != nil {
		if o.typ != TypeHash {
			return nil, false
		}
		var buf [20]byte
		v, ok := hashGet(o, field, &buf)
		return append([]byte(nil), v...), ok
	}
	if o.typ != TypeString {
		return nil, false
	}
	return o.str(), true
}
