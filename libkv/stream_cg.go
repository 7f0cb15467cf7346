package libkv

import (
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

// streamPEL is a PEL ordered by ID, with the node count of the radix tree
// Redis would have for it (for MEMORY USAGE, see raxInsertDelta). It is a
// sorted slice: deliveries append at the end and acknowledgements mostly
// remove from the front, both O(1); an insertion or removal elsewhere
// (XCLAIM of an old entry, an out-of-order XACK) moves the entries after
// it, where Redis's radix tree is O(log n).
type streamPEL struct {
	ents  []pelEntry
	nodes int
}

func (p *streamPEL) at(i int) streamID { return p.ents[i].id }

// search is the index of the first entry >= id.
func (p *streamPEL) search(id streamID) int {
	return sort.Search(len(p.ents), func(i int) bool { return p.ents[i].id.cmp(id) >= 0 })
}

func (p *streamPEL) find(id streamID) *streamNACK {
	if i := p.search(id); i < len(p.ents) && p.ents[i].id == id {
		return p.ents[i].nack
	}
	return nil
}

// insert adds id unless present; it reports whether it did.
func (p *streamPEL) insert(id streamID, n *streamNACK) bool {
	i := p.search(id)
	if i < len(p.ents) && p.ents[i].id == id {
		return false
	}
	if p.nodes == 0 {
		p.nodes = 1
	}
	p.nodes += raxInsertDelta(len(p.ents), p.at, id)
	p.ents = slices.Insert(p.ents, i, pelEntry{id, n})
	return true
}

func (p *streamPEL) remove(id streamID) {
	i := p.search(id)
	if i < len(p.ents) && p.ents[i].id == id {
		if i == 0 {
			// The oldest entry, what XACK usually removes: O(1).
			p.ents[0] = pelEntry{}
			p.ents = p.ents[1:]
		} else {
			p.ents = slices.Delete(p.ents, i, i+1)
		}
		p.nodes -= raxInsertDelta(len(p.ents), p.at, id)
	}
}

func (p *streamPEL) memory() int64 { return streamRaxSize(len(p.ents), max(p.nodes, 1)) }

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
	m := int64(40) + g.pel.memory() + 24*int64(len(g.pel.ents))
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
	for _, e := range c.pel.ents {
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
