package libkv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strconv"

	"github.com/kvkit/kvkit/internal/listpack"
)

// A stream as Redis 7.0 keeps it (t_stream.c, stream.h): entries live in
// listpack nodes holding Redis's exact bytes, ordered by their master ID
// (Redis's radix tree keyed by the 128-bit big-endian ID; here a slice
// sorted by master ID: appends and head trims, the common changes, are
// O(1) amortized, a lookup is a binary search). A node's listpack is:
//
//	master entry: count | deleted | num-fields | field_1 ... field_N | 0
//	each entry:   flags | ms-delta | seq-delta | [num-fields | field_1] value_1 ... | lp-count
//
// where fields are omitted when flags has streamFlagSameFields (the entry
// has the master's fields), and lp-count is the number of listpack
// elements of the entry before it, so that the node can be walked
// backwards. Deleted entries stay in place with streamFlagDeleted set.

// Stream entry flags (STREAM_ITEM_FLAG_*).
const (
	streamFlagDeleted    = 1 << 0
	streamFlagSameFields = 1 << 1
)

// streamPreallocMax is STREAM_LISTPACK_MAX_PRE_ALLOCATE, the most a new
// node's listpack allocation is grown to up front; streamLPMaxSize is
// STREAM_LISTPACK_MAX_SIZE, the cap on a node's size whatever
// stream-node-max-bytes says.
const (
	streamPreallocMax = 4096
	streamLPMaxSize   = 1 << 30
)

// streamID is an entry ID: milliseconds and sequence number.
type streamID struct{ ms, seq uint64 }

func (a streamID) cmp(b streamID) int {
	switch {
	case a.ms > b.ms:
		return 1
	case a.ms < b.ms:
		return -1
	case a.seq > b.seq:
		return 1
	case a.seq < b.seq:
		return -1
	}
	return 0
}

func (a streamID) isZero() bool { return a.ms == 0 && a.seq == 0 }

var maxStreamID = streamID{^uint64(0), ^uint64(0)}

// incr is streamIncrID: the next ID; ok is false when id was the last
// possible one (it wraps to 0-0).
func (a streamID) incr() (streamID, bool) {
	switch {
	case a.seq != ^uint64(0):
		a.seq++
	case a.ms != ^uint64(0):
		a.ms, a.seq = a.ms+1, 0
	default:
		return streamID{}, false
	}
	return a, true
}

// decr is streamDecrID: the previous ID; ok is false for 0-0 (it wraps to
// the maximum).
func (a streamID) decr() (streamID, bool) {
	switch {
	case a.seq != 0:
		a.seq--
	case a.ms != 0:
		a.ms, a.seq = a.ms-1, ^uint64(0)
	default:
		return maxStreamID, false
	}
	return a, true
}

func (a streamID) append(b []byte) []byte {
	b = strconv.AppendUint(b, a.ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.seq, 10)
}

func (a streamID) String() string { return string(a.append(nil)) }

// lcp is the number of leading bytes a and b share in their 16-byte
// big-endian encoding (streamEncodeID), the radix tree's view of them.
func (a streamID) lcp(b streamID) int {
	if x := a.ms ^ b.ms; x != 0 {
		return bits.LeadingZeros64(x) / 8
	}
	if x := a.seq ^ b.seq; x != 0 {
		return 8 + bits.LeadingZeros64(x)/8
	}
	return 16
}

// prefixBounds are the smallest and largest IDs sharing a's first m bytes.
func (a streamID) prefixBounds(m int) (lo, hi streamID) {
	mask := func(v uint64, keep int) (uint64, uint64) {
		if keep >= 8 {
			return v, v
		}
		if keep <= 0 {
			return 0, ^uint64(0)
		}
		low := ^uint64(0) >> (8 * keep)
		return v &^ low, v | low
	}
	lo.ms, hi.ms = mask(a.ms, m)
	lo.seq, hi.seq = mask(a.seq, m-8)
	return lo, hi
}

// idSet is an ordered set of stream IDs seen by raxInsertDelta: the
// nearest member at or above, and at or below, an ID.
type idSet interface {
	ceilID(x streamID) (streamID, bool)
	floorID(x streamID) (streamID, bool)
}

// raxInsertDelta is the change in the number of nodes of the radix tree
// Redis would build for set (rax.c: one node per compressed chain, per
// branching point's child and per key) when k, absent, is inserted; so
// that MEMORY USAGE can apply streamRadixTreeMemoryUsage without a radix
// tree. Removing k changes the count by minus the delta of inserting it
// back.
func raxInsertDelta(set idSet, k streamID) int {
	pred, hasPred := set.floorID(k)
	succ, hasSucc := set.ceilID(k)
	if !hasPred && !hasSucc {
		return 1
	}
	// rangeLCP: the lcp of the first and last members sharing k's first m
	// bytes (there is one: a neighbour shares them).
	rangeLCP := func(m int) int {
		lo, hi := k.prefixBounds(m)
		a, _ := set.ceilID(lo)
		b, _ := set.floorID(hi)
		return a.lcp(b)
	}
	m := 0
	if hasPred {
		m = k.lcp(pred)
	}
	if hasSucc {
		m = max(m, k.lcp(succ))
	}
	delta := 1 // the new key's node
	if m+1 < 16 {
		delta++ // the new branch's first node below the branching point
	}
	if r := rangeLCP(m); r > m {
		// The state at depth m had one child and now branches: it starts
		// a node unless it already did, and so does its old child.
		if m > 0 && rangeLCP(m-1) > m-1 {
			delta++
		}
		if m+1 < 16 && r > m+1 {
			delta++
		}
	}
	return delta
}

// nodeSet is a stream's nodes as the idSet of their master IDs.
type nodeSet []*streamNode

func (ns nodeSet) ceilID(x streamID) (streamID, bool) {
	if i := sort.Search(len(ns), func(i int) bool { return ns[i].master.cmp(x) >= 0 }); i < len(ns) {
		return ns[i].master, true
	}
	return streamID{}, false
}

func (ns nodeSet) floorID(x streamID) (streamID, bool) {
	if i := sort.Search(len(ns), func(i int) bool { return ns[i].master.cmp(x) > 0 }); i > 0 {
		return ns[i-1].master, true
	}
	return streamID{}, false
}

// streamRaxSize is streamRadixTreeMemoryUsage for a tree of n keys and
// nodes nodes (Redis's function drops the rax struct itself).
func streamRaxSize(n, nodes int) int64 { return int64(n)*16 + int64(nodes)*(4+8*30) }

// streamNode is one listpack node: its master ID (the radix tree key) and
// the listpack; alloc is the allocation Redis would have for it (nodes are
// preallocated and grow by jemalloc size class).
type streamNode struct {
	master streamID
	lp     []byte
	alloc  int
}

// setLP replaces the node's listpack after a change, accounting the
// allocation as listpack.c's lpInsert reallocates (growing only past the
// allocation, shrinking to the new size).
func (n *streamNode) setLP(lp []byte, s *streamValue) {
	old := len(n.lp)
	n.lp = lp
	if b := len(lp); (b > old && b > n.alloc) || b < old {
		s.lpAlloc -= int64(n.alloc)
		n.alloc = int(jemallocSize(int64(b)))
		s.lpAlloc += int64(n.alloc)
	}
}

// streamValue is a stream (Redis's struct stream) with its consumer groups.
type streamValue struct {
	nodes        []*streamNode
	raxNodes     int // radix tree nodes Redis would have for nodes
	length       uint64
	lastID       streamID
	firstID      streamID
	maxDeletedID streamID
	entriesAdded uint64
	groups       []*streamGroup // sorted by name
	lpAlloc      int64          // sum of the nodes' allocations
	groupsMem    int64          // the groups' share of objectComputeSize
}

func (o *Object) stream() *streamValue { return (*streamValue)(o.ptr) }

func newStreamValue() *streamValue { return &streamValue{raxNodes: 1} }

// addNode appends a node with a master ID above every other.
func (s *streamValue) addNode(n *streamNode) {
	s.raxNodes += raxInsertDelta(nodeSet(s.nodes), n.master)
	s.nodes = append(s.nodes, n)
	s.lpAlloc += int64(n.alloc)
}

// removeNode removes node i.
func (s *streamValue) removeNode(i int) {
	n := s.nodes[i]
	if i == 0 {
		s.nodes[0] = nil
		s.nodes = s.nodes[1:]
	} else {
		s.nodes = slices.Delete(s.nodes, i, i+1)
	}
	s.raxNodes -= raxInsertDelta(nodeSet(s.nodes), n.master)
	s.lpAlloc -= int64(n.alloc)
}

// memory is objectComputeSize for a stream (object.c), every node counted
// by its allocation rather than sampled.
func (s *streamValue) memory() int64 {
	return robjSize + 80 + streamRaxSize(len(s.nodes), s.raxNodes) + s.lpAlloc + s.groupsMem
}

// lpInt reads an integer element as lpGetInteger does (a string holding
// an integer is converted); ok is false when it is neither.
func lpInt(lp []byte, p int) (int64, bool) {
	s, v, isInt := listpack.Get(lp, p, nil)
	if isInt {
		return v, true
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	return n, err == nil
}

func lpMustInt(lp []byte, p int) int64 { v, _ := lpInt(lp, p); return v }

// streamEntry is one entry of a node as the iterator finds it.
type streamEntry struct {
	id        streamID
	flags     int64
	flagsPos  int // position of the flags element
	nfields   int
	fieldsPos int // the master's first field, for same-field entries
	dataPos   int // first field (or value, for same-field entries)
}

// entries decodes every entry of node n (deleted ones included), in order.
func (n *streamNode) entries(buf []streamEntry) []streamEntry {
	lp := n.lp
	p := listpack.First(lp)
	p = listpack.Next(lp, p) // deleted
	p = listpack.Next(lp, p) // num-fields
	mf := int(lpMustInt(lp, p))
	p = listpack.Next(lp, p)
	fieldsPos := p
	for range mf {
		p = listpack.Next(lp, p)
	}
	p = listpack.Next(lp, p) // past the master's 0 terminator
	for p >= 0 {
		e := streamEntry{flagsPos: p, fieldsPos: fieldsPos, nfields: mf}
		e.flags = lpMustInt(lp, p)
		p = listpack.Next(lp, p)
		e.id.ms = n.master.ms + uint64(lpMustInt(lp, p))
		p = listpack.Next(lp, p)
		e.id.seq = n.master.seq + uint64(lpMustInt(lp, p))
		p = listpack.Next(lp, p)
		skip := mf
		if e.flags&streamFlagSameFields == 0 {
			e.nfields = int(lpMustInt(lp, p))
			p = listpack.Next(lp, p)
			skip = 2 * e.nfields
		}
		e.dataPos = p
		for range skip {
			p = listpack.Next(lp, p)
		}
		p = listpack.Next(lp, p) // past lp-count
		buf = append(buf, e)
	}
	return buf
}

// fields calls fn with each field and value of entry e of node n; the
// slices are valid until fn returns.
func (n *streamNode) fields(e *streamEntry, fn func(f, v []byte)) {
	lp := n.lp
	var fb, vb [20]byte
	p, fp := e.dataPos, e.fieldsPos
	same := e.flags&streamFlagSameFields != 0
	for range e.nfields {
		var f []byte
		if same {
			f = listpack.GetBytes(lp, fp, &fb)
			fp = listpack.Next(lp, fp)
		} else {
			f = listpack.GetBytes(lp, p, &fb)
			p = listpack.Next(lp, p)
		}
		v := listpack.GetBytes(lp, p, &vb)
		p = listpack.Next(lp, p)
		fn(f, v)
	}
}

// appendEntry is streamAppendItem after the ID checks: it adds id with
// the field/value pairs fv to the tail node, or to a new node when the tail
// is full by stream-node-max-bytes / -entries.
func (s *streamValue) appendEntry(id streamID, fv [][]byte, maxBytes, maxEntries int64) {
	totLen := 0
	for _, b := range fv {
		totLen += len(b)
	}
	nf := len(fv) / 2
	var tail *streamNode
	if len(s.nodes) > 0 {
		tail = s.nodes[len(s.nodes)-1]
		nodeMax := maxBytes
		if nodeMax == 0 || nodeMax > streamLPMaxSize {
			nodeMax = streamLPMaxSize
		}
		if int64(len(tail.lp)+totLen) >= nodeMax {
			tail = nil
		} else if maxEntries != 0 {
			p := listpack.First(tail.lp)
			count := lpMustInt(tail.lp, p) + lpMustInt(tail.lp, listpack.Next(tail.lp, p))
			if count >= maxEntries {
				// lpShrinkToFit: the full node gives back its preallocation.
				if tail.alloc > len(tail.lp) {
					s.lpAlloc -= int64(tail.alloc)
					tail.alloc = int(jemallocSize(int64(len(tail.lp))))
					s.lpAlloc += int64(tail.alloc)
				}
				tail = nil
			}
		}
	}
	flags := int64(0)
	if tail == nil {
		prealloc := int64(streamPreallocMax)
		if maxBytes > 0 && maxBytes < prealloc {
			prealloc = maxBytes
		}
		lp := make([]byte, 0, max(prealloc, 7)+64)
		lp = append(lp, listpack.New()...)
		lp = listpack.AppendInt(lp, 1)
		lp = listpack.AppendInt(lp, 0)
		lp = listpack.AppendInt(lp, int64(nf))
		for i := 0; i < nf; i++ {
			lp = listpack.Append(lp, fv[2*i])
		}
		lp = listpack.AppendInt(lp, 0)
		tail = &streamNode{master: id, lp: lp, alloc: int(jemallocSize(max(prealloc, 7)))}
		if b := len(lp); b > tail.alloc {
			tail.alloc = int(jemallocSize(int64(b)))
		}
		s.addNode(tail)
		flags = streamFlagSameFields
	} else {
		lp := tail.lp
		p := listpack.First(lp)
		lp, p = listpack.ReplaceInt(lp, p, lpMustInt(lp, p)+1)
		p = listpack.Next(lp, p)
		p = listpack.Next(lp, p)
		mf := int(lpMustInt(lp, p))
		if mf == nf {
			p = listpack.Next(lp, p)
			i := 0
			for ; i < mf; i++ {
				if !listpack.Compare(lp, p, fv[2*i]) {
					break
				}
				p = listpack.Next(lp, p)
			}
			if i == mf {
				flags = streamFlagSameFields
			}
		}
		tail.setLP(lp, s)
	}
	lp := tail.lp
	lp = listpack.AppendInt(lp, flags)
	lp = listpack.AppendInt(lp, int64(id.ms-tail.master.ms))
	lp = listpack.AppendInt(lp, int64(id.seq-tail.master.seq))
	if flags&streamFlagSameFields == 0 {
		lp = listpack.AppendInt(lp, int64(nf))
	}
	for i := 0; i < nf; i++ {
		if flags&streamFlagSameFields == 0 {
			lp = listpack.Append(lp, fv[2*i])
		}
		lp = listpack.Append(lp, fv[2*i+1])
	}
	lpCount := int64(nf + 3)
	if flags&streamFlagSameFields == 0 {
		lpCount += int64(nf + 1)
	}
	lp = listpack.AppendInt(lp, lpCount)
	tail.setLP(lp, s)
	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
}

// seekNode is the index of the node a forward iteration from id starts at
// (the last node whose master ID is <= id, else the first), as
// streamIteratorStart's raxSeek.
func (s *streamValue) seekNode(id streamID) int {
	i := sort.Search(len(s.nodes), func(i int) bool { return s.nodes[i].master.cmp(id) > 0 })
	return max(i-1, 0)
}

// rangeEach calls fn for each live entry with start <= id <= end, in
// order (or reversed), until fn returns false.
func (s *streamValue) rangeEach(start, end streamID, rev bool, fn func(n *streamNode, e *streamEntry) bool) {
	if start.cmp(end) > 0 || len(s.nodes) == 0 {
		return
	}
	var buf []streamEntry
	if !rev {
		for i := s.seekNode(start); i < len(s.nodes); i++ {
			n := s.nodes[i]
			if n.master.cmp(end) > 0 {
				return
			}
			buf = n.entries(buf[:0])
			for j := range buf {
				e := &buf[j]
				if e.flags&streamFlagDeleted != 0 || e.id.cmp(start) < 0 {
					continue
				}
				if e.id.cmp(end) > 0 || !fn(n, e) {
					return
				}
			}
		}
		return
	}
	for i := s.seekNode(end); i >= 0; i-- {
		n := s.nodes[i]
		buf = n.entries(buf[:0])
		for j := len(buf) - 1; j >= 0; j-- {
			e := &buf[j]
			if e.flags&streamFlagDeleted != 0 || e.id.cmp(end) > 0 {
				continue
			}
			if e.id.cmp(start) < 0 || !fn(n, e) {
				return
			}
		}
	}
}

// lookup finds the live entry id: its node and entry, or nil.
func (s *streamValue) lookup(id streamID) (*streamNode, *streamEntry) {
	var rn *streamNode
	var re *streamEntry
	s.rangeEach(id, id, false, func(n *streamNode, e *streamEntry) bool {
		rn, re = n, e
		return false
	})
	return rn, re
}

// deleteEntry marks entry e of node n deleted (streamIteratorRemoveEntry):
// the node goes when it was its last live entry.
func (s *streamValue) deleteEntry(n *streamNode, e *streamEntry) {
	lp, _ := listpack.ReplaceInt(n.lp, e.flagsPos, e.flags|streamFlagDeleted)
	p := listpack.First(lp)
	count := lpMustInt(lp, p)
	if count == 1 {
		s.removeNode(sort.Search(len(s.nodes), func(i int) bool { return s.nodes[i].master.cmp(n.master) >= 0 }))
	} else {
		lp, p = listpack.ReplaceInt(lp, p, count-1)
		p = listpack.Next(lp, p)
		lp, _ = listpack.ReplaceInt(lp, p, lpMustInt(lp, p)+1)
		n.setLP(lp, s)
	}
	s.length--
}

// edgeID is streamGetEdgeID skipping tombstones: the first (or last) live
// entry's ID, or 0-0 when the stream is empty.
func (s *streamValue) edgeID(first bool) streamID {
	var id streamID
	s.rangeEach(streamID{}, maxStreamID, !first, func(_ *streamNode, e *streamEntry) bool {
		id = e.id
		return false
	})
	return id
}

// trim strategies (TRIM_STRATEGY_*).
const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

// trimArgs are XADD's and XTRIM's trimming options (streamAddTrimArgs).
type trimArgs struct {
	strategy int
	argIdx   int
	approx   bool
	limit    int64
	maxLen   int64
	minID    streamID
}

// trim is streamTrim: it removes entries from the head as args say and
// returns how many.
func (s *streamValue) trim(a *trimArgs) int64 {
	if a.strategy == trimNone {
		return 0
	}
	var deleted int64
	removed := 0 // whole nodes removed from the head
	defer func() {
		if removed > 0 {
			rest := s.nodes[removed:]
			for j, n := range s.nodes[:removed] {
				s.raxNodes -= raxInsertDelta(nodeSet(s.nodes[j+1:]), n.master)
				s.lpAlloc -= int64(n.alloc)
				s.nodes[j] = nil
			}
			s.nodes = rest
		}
		if deleted > 0 {
			s.firstID = s.edgeID(true)
		}
	}()
	for removed < len(s.nodes) {
		if a.strategy == trimMaxLen && s.length <= uint64(a.maxLen) {
			break
		}
		n := s.nodes[removed]
		entries := lpMustInt(n.lp, listpack.First(n.lp))
		if a.limit != 0 && deleted+entries > a.limit {
			break
		}
		var removeNode bool
		if a.strategy == trimMaxLen {
			removeNode = s.length-uint64(entries) >= uint64(a.maxLen)
		} else {
			buf := n.entries(nil)
			removeNode = buf[len(buf)-1].id.cmp(a.minID) < 0
		}
		if removeNode {
			removed++
			s.length -= uint64(entries)
			deleted += entries
			continue
		}
		if a.approx {
			break
		}
		var fromLP int64
		lp := n.lp
		for _, e := range n.entries(nil) {
			var stop bool
			if a.strategy == trimMaxLen {
				stop = s.length <= uint64(a.maxLen)
			} else {
				stop = e.id.cmp(a.minID) >= 0
			}
			if stop {
				break
			}
			if e.flags&streamFlagDeleted == 0 {
				// Same-size replacement: positions after it do not move.
				lp, _ = listpack.ReplaceInt(lp, e.flagsPos, e.flags|streamFlagDeleted)
				fromLP++
				s.length--
			}
		}
		deleted += fromLP
		p := listpack.First(lp)
		lp, p = listpack.ReplaceInt(lp, p, entries-fromLP)
		p = listpack.Next(lp, p)
		lp, _ = listpack.ReplaceInt(lp, p, lpMustInt(lp, p)+fromLP)
		n.setLP(lp, s)
		break
	}
	return deleted
}

// validateStreamListpack checks a stream node's listpack as Redis 7.0's
// streamValidateListpackIntegrity does (t_stream.c): a valid listpack
// whose elements form a master entry and count+deleted entries, each with
// a consistent lp-count, and nothing after them. RDB and RESTORE payloads
// go through it before a node is used; the error says what is wrong.
func validateStreamListpack(lp []byte) error {
	if err := listpack.Validate(lp, true, nil); err != nil {
		return err
	}
	p := listpack.First(lp)
	next := func(what string) error {
		if p < 0 {
			return fmt.Errorf("stream listpack: missing %s", what)
		}
		p = listpack.Next(lp, p)
		return nil
	}
	integer := func(what string) (int64, error) {
		if p < 0 {
			return 0, fmt.Errorf("stream listpack: missing %s", what)
		}
		v, ok := lpInt(lp, p)
		if !ok {
			return 0, fmt.Errorf("stream listpack: %s at byte %d is not an integer", what, p)
		}
		p = listpack.Next(lp, p)
		return v, nil
	}
	count, err := integer("entry count")
	if err != nil {
		return err
	}
	deleted, err := integer("deleted count")
	if err != nil {
		return err
	}
	mf, err := integer("master field count")
	if err != nil {
		return err
	}
	if mf < 0 || mf > int64(len(lp)) {
		return fmt.Errorf("stream listpack: master field count %d out of range", mf)
	}
	for range mf {
		if err := next("master field"); err != nil {
			return err
		}
	}
	if zero, err := integer("master terminator"); err != nil {
		return err
	} else if zero != 0 {
		return errors.New("stream listpack: master entry terminator is not 0")
	}
	if count < 0 || deleted < 0 || count+deleted < 0 || count+deleted > int64(len(lp)) {
		return fmt.Errorf("stream listpack: entry counts %d+%d out of range", count, deleted)
	}
	for i := int64(0); i < count+deleted; i++ {
		flags, err := integer("entry flags")
		if err != nil {
			return err
		}
		if _, err := integer("entry ms delta"); err != nil {
			return err
		}
		if _, err := integer("entry seq delta"); err != nil {
			return err
		}
		fields, extra := mf, int64(3)
		if flags&streamFlagSameFields == 0 {
			if fields, err = integer("entry field count"); err != nil {
				return err
			}
			if fields < 0 || fields > int64(len(lp)) {
				return fmt.Errorf("stream listpack: entry field count %d out of range", fields)
			}
			for range fields {
				if err := next("entry field"); err != nil {
					return err
				}
			}
			extra += fields + 1
		}
		for range fields {
			if err := next("entry value"); err != nil {
				return err
			}
		}
		lpCount, err := integer("entry lp-count")
		if err != nil {
			return err
		}
		if lpCount != fields+extra {
			return fmt.Errorf("stream listpack: entry %d has lp-count %d, expected %d", i, lpCount, fields+extra)
		}
	}
	if p >= 0 {
		return fmt.Errorf("stream listpack: data after the last entry at byte %d", p)
	}
	return nil
}

// encodeStreamID is streamEncodeID: the 16-byte big-endian radix tree key.
func encodeStreamID(id streamID) [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], id.ms)
	binary.BigEndian.PutUint64(b[8:], id.seq)
	return b
}
