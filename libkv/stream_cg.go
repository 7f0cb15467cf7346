package libkv

import (
	"iter"
	"slices"
	"sort"
	"strings"
)

// Consumer groups as Redis 7.0 keeps them (stream.h streamCG,
// streamConsumer, streamNACK): a group's pending entries list (PEL) maps
// each delivered, unacknowledged ID to its NACK; each consumer has its own
// PEL sharing the group's NACKs.

// entriesReadInvalid is SCG_INVALID_ENTRIES_READ: a group whose read
// counter is unknown.
const entriesReadInvalid = -1

// streamNACK is a pending entry: last delivery time (Unix ms), delivery
// count, and the consumer that holds it.
type streamNACK struct {
	deliveryTime  int64
	deliveryCount int64
	consumer      *streamConsumer
}

type pelEntry struct {
	id   streamID
	nack *streamNACK
}

// pelChunkMax bounds a PEL chunk: an insertion or removal moves at most
// this many entries.
const pelChunkMax = 128

// streamPEL is a PEL ordered by ID (Redis's radix tree of NACKs), kept as
// a B+tree of height two: chunks of at most pelChunkMax sorted entries,
// themselves in order, so that a lookup is two binary searches and an
// insertion or removal moves at most a chunk's entries (and, when a
// chunk splits or empties, the chunk list). nodes is the node count of the
// radix tree Redis would have (for MEMORY USAGE, see raxInsertDelta).
type streamPEL struct {
	chunks [][]pelEntry
	n      int
	nodes  int
}

func (p *streamPEL) len() int { return p.n }

// locate is the chunk an ID belongs to (the first whose last entry is >=
// id, else the last chunk) and id's position in it (its index, or where it
// would go); found reports an exact match.
func (p *streamPEL) locate(id streamID) (ci, i int, found bool) {
	ci = sort.Search(len(p.chunks), func(k int) bool {
		c := p.chunks[k]
		return c[len(c)-1].id.cmp(id) >= 0
	})
	if ci == len(p.chunks) {
		if ci == 0 {
			return 0, 0, false
		}
		ci--
		return ci, len(p.chunks[ci]), false
	}
	c := p.chunks[ci]
	i = sort.Search(len(c), func(k int) bool { return c[k].id.cmp(id) >= 0 })
	return ci, i, c[i].id == id
}

func (p *streamPEL) find(id streamID) *streamNACK {
	if ci, i, ok := p.locate(id); ok {
		return p.chunks[ci][i].nack
	}
	return nil
}

// ceil is the first entry with an ID >= id.
func (p *streamPEL) ceil(id streamID) (pelEntry, bool) {
	ci, i, _ := p.locate(id)
	if ci < len(p.chunks) && i < len(p.chunks[ci]) {
		return p.chunks[ci][i], true
	}
	return pelEntry{}, false
}

// floor is the last entry with an ID <= id.
func (p *streamPEL) floor(id streamID) (pelEntry, bool) {
	ci, i, ok := p.locate(id)
	if ok {
		return p.chunks[ci][i], true
	}
	if i > 0 {
		return p.chunks[ci][i-1], true
	}
	if ci > 0 {
		c := p.chunks[ci-1]
		return c[len(c)-1], true
	}
	return pelEntry{}, false
}

func (p *streamPEL) ceilID(id streamID) (streamID, bool)  { e, ok := p.ceil(id); return e.id, ok }
func (p *streamPEL) floorID(id streamID) (streamID, bool) { e, ok := p.floor(id); return e.id, ok }

// from iterates over the entries with IDs >= id, in order; the PEL must
// not change meanwhile.
func (p *streamPEL) from(id streamID) iter.Seq[pelEntry] {
	return func(yield func(pelEntry) bool) {
		ci, i, _ := p.locate(id)
		for ; ci < len(p.chunks); ci, i = ci+1, 0 {
			for _, e := range p.chunks[ci][i:] {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// limited iterates over the first n entries.
func (p *streamPEL) limited(n int) iter.Seq[pelEntry] {
	return func(yield func(pelEntry) bool) {
		for e := range p.all() {
			if n == 0 || !yield(e) {
				return
			}
			n--
		}
	}
}

// all iterates over every entry in order.
func (p *streamPEL) all() iter.Seq[pelEntry] { return p.from(streamID{}) }

// insert adds id unless present; it reports whether it did.
func (p *streamPEL) insert(id streamID, n *streamNACK) bool {
	ci, i, found := p.locate(id)
	if found {
		return false
	}
	if p.nodes == 0 {
		p.nodes = 1
	}
	p.nodes += raxInsertDelta(p, id)
	p.n++
	if len(p.chunks) == 0 {
		p.chunks = append(p.chunks, []pelEntry{{id, n}})
		return true
	}
	c := slices.Insert(p.chunks[ci], i, pelEntry{id, n})
	if len(c) <= pelChunkMax {
		p.chunks[ci] = c
		return true
	}
	// Split: a chunk taking deliveries at the end (the usual case) leaves
	// a full one behind; others split in half.
	at := len(c) / 2
	if ci == len(p.chunks)-1 && i == len(c)-1 {
		at = len(c) - 1
	}
	p.chunks[ci] = slices.Clip(c[:at])
	p.chunks = slices.Insert(p.chunks, ci+1, append([]pelEntry(nil), c[at:]...))
	return true
}

func (p *streamPEL) remove(id streamID) {
	ci, i, found := p.locate(id)
	if !found {
		return
	}
	c := p.chunks[ci]
	if i == 0 {
		// The oldest entry of the chunk, what XACK usually removes: O(1).
		c[0] = pelEntry{}
		c = c[1:]
	} else {
		c = slices.Delete(c, i, i+1)
	}
	p.chunks[ci] = c
	if len(c) == 0 {
		if ci == 0 {
			p.chunks[0] = nil
			p.chunks = p.chunks[1:]
		} else {
			p.chunks = slices.Delete(p.chunks, ci, ci+1)
		}
	}
	p.n--
	p.nodes -= raxInsertDelta(p, id)
}

func (p *streamPEL) memory() int64 { return streamRaxSize(p.n, max(p.nodes, 1)) }

// streamConsumer is a consumer: name, last seen time (Unix ms), its PEL.
type streamConsumer struct {
	name     string
	seenTime int64
	pel      streamPEL
}

// streamGroup is a consumer group: last delivered ID, the entries-read
// counter (entriesReadInvalid when unknown), the PEL and the consumers
// ordered by name (Redis's rax order: bytewise).
type streamGroup struct {
	name        string
	lastID      streamID
	entriesRead int64
	pel         streamPEL
	consumers   []*streamConsumer
	mem         int64 // this group's share of objectComputeSize
}

func (s *streamValue) groupIndex(name []byte) (int, bool) {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
	return i, i < len(s.groups) && s.groups[i].name == string(name)
}

// group is streamLookupCG.
func (s *streamValue) group(name []byte) *streamGroup {
	if i, ok := s.groupIndex(name); ok {
		return s.groups[i]
	}
	return nil
}

// createGroup is streamCreateCG: nil when the name is taken.
func (s *streamValue) createGroup(name []byte, last streamID, entriesRead int64) *streamGroup {
	i, ok := s.groupIndex(name)
	if ok {
		return nil
	}
	g := &streamGroup{name: string(name), lastID: last, entriesRead: entriesRead}
	s.groups = slices.Insert(s.groups, i, g)
	s.groupChanged(g)
	return g
}

func (s *streamValue) destroyGroup(name []byte) bool {
	i, ok := s.groupIndex(name)
	if !ok {
		return false
	}
	s.groupsMem -= s.groups[i].mem
	s.groups = slices.Delete(s.groups, i, i+1)
	return true
}

// groupChanged recomputes g's share of the stream's memory after a change
// to its PEL or consumers (objectComputeSize: the group struct, its PEL
// tree and NACKs, and each consumer's struct, name and PEL tree).
func (s *streamValue) groupChanged(g *streamGroup) {
	m := int64(40) + g.pel.memory() + 24*int64(g.pel.len())
	for _, c := range g.consumers {
		m += 24 + int64(len(c.name)) + c.pel.memory()
	}
	s.groupsMem += m - g.mem
	g.mem = m
}

func (g *streamGroup) consumerIndex(name []byte) (int, bool) {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].name >= string(name) })
	return i, i < len(g.consumers) && g.consumers[i].name == string(name)
}

// consumer is streamLookupConsumer without creation or refresh.
func (g *streamGroup) consumer(name []byte) *streamConsumer {
	if i, ok := g.consumerIndex(name); ok {
		return g.consumers[i]
	}
	return nil
}

// createConsumer is streamCreateConsumer: nil when it exists.
func (g *streamGroup) createConsumer(name []byte, now int64) *streamConsumer {
	i, ok := g.consumerIndex(name)
	if ok {
		return nil
	}
	c := &streamConsumer{name: strings.Clone(string(name)), seenTime: now}
	g.consumers = slices.Insert(g.consumers, i, c)
	return c
}

// lookupOrCreateConsumer is Redis's lookup with SLC_DEFAULT (refreshing
// the seen time) falling back to creation; created reports a creation.
func (g *streamGroup) lookupOrCreateConsumer(name []byte, now int64) (c *streamConsumer, created bool) {
	if c = g.consumer(name); c != nil {
		c.seenTime = now
		return c, false
	}
	return g.createConsumer(name, now), true
}

// deleteConsumer is streamDelConsumer: the consumer's pending entries
// leave the group's PEL too.
func (g *streamGroup) deleteConsumer(c *streamConsumer) {
	for e := range c.pel.all() {
		g.pel.remove(e.id)
	}
	i, _ := g.consumerIndex([]byte(c.name))
	g.consumers = slices.Delete(g.consumers, i, i+1)
}

// ack removes id from the group's and its consumer's PELs; it reports
// whether it was pending.
func (g *streamGroup) ack(id streamID) bool {
	n := g.pel.find(id)
	if n == nil {
		return false
	}
	g.pel.remove(id)
	n.consumer.pel.remove(id)
	return true
}

// rangeHasTombstones is streamRangeHasTombstones for [start, end] (end nil
// meaning the maximum ID).
func (s *streamValue) rangeHasTombstones(start streamID, end *streamID) bool {
	if s.length == 0 || s.maxDeletedID.isZero() || s.firstID.cmp(s.maxDeletedID) > 0 {
		return false
	}
	e := maxStreamID
	if end != nil {
		e = *end
	}
	return start.cmp(s.maxDeletedID) <= 0 && s.maxDeletedID.cmp(e) <= 0
}

// estimateDistance is streamEstimateDistanceFromFirstEverEntry: id's
// logical read counter, or entriesReadInvalid when it cannot be known.
func (s *streamValue) estimateDistance(id streamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.cmp(s.lastID) < 1 {
		return int64(s.entriesAdded)
	}
	switch c := id.cmp(s.lastID); {
	case c == 0:
		return int64(s.entriesAdded)
	case c > 0:
		return entriesReadInvalid
	}
	cmpFirst := id.cmp(s.firstID)
	if s.maxDeletedID.isZero() || s.maxDeletedID.cmp(s.firstID) < 0 {
		if cmpFirst < 0 {
			return int64(s.entriesAdded - s.length)
		} else if cmpFirst == 0 {
			return int64(s.entriesAdded - s.length + 1)
		}
	}
	return entriesReadInvalid
}

// lag is streamCGLag: ok is false when the lag is unknown.
func (s *streamValue) lag(g *streamGroup) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.entriesRead != entriesReadInvalid && !s.rangeHasTombstones(g.lastID, nil) {
		return int64(s.entriesAdded) - g.entriesRead, true
	}
	if r := s.estimateDistance(g.lastID); r != entriesReadInvalid {
		return int64(s.entriesAdded) - r, true
	}
	return 0, false
}
