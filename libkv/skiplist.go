package libkv

import (
	"math/rand/v2"
	"strings"
	"unsafe"
)

// The skiplist of Redis 7.0's sorted sets (t_zset.c zsl*): Pugh's skip list
// ordered by (score, member), with repeated scores allowed, a backward link
// on level 0 for reverse walks, and on every level the span (the number of
// level-0 steps a link jumps), so that ranks are found in O(log N).

const (
	// zslMaxLevel is ZSKIPLIST_MAXLEVEL: enough for 2^64 elements.
	zslMaxLevel = 32
	// zslP is ZSKIPLIST_P: the probability that a node has one more level.
	zslP = 0.25
)

// zslLevel is one level of a node: the next node on that level and how
// many level-0 positions the link crosses.
type zslLevel struct {
	forward *zslNode
	span    int
}

// zslNode is a skiplist node. ele is shared with the sorted set's dict
// key. The node's levels follow it in the same allocation (lv points to
// the first, nlevel counts them): a one-level node, three in four, is 64
// bytes where a slice header would make it 80.
type zslNode struct {
	ele      string
	score    float64
	backward *zslNode
	lv       *zslLevel
	nlevel   int32
}

// levels returns the node's levels.
func (n *zslNode) levels() []zslLevel { return unsafe.Slice(n.lv, n.nlevel) }

// skiplist is zskiplist: header is a sentinel with zslMaxLevel levels.
type skiplist struct {
	header *zslNode
	tail   *zslNode
	length int
	level  int
}

func newSkiplist() *skiplist {
	return &skiplist{header: newZslNode(zslMaxLevel, 0, ""), level: 1}
}

// zslNodeOf is a node and its levels in one allocation.
type zslNodeOf[L any] struct {
	n zslNode
	l L
}

// newZslNode allocates a node with its levels in the same allocation.
func newZslNode(level int, score float64, ele string) *zslNode {
	var n *zslNode
	var l []zslLevel
	switch {
	case level == 1:
		x := &zslNodeOf[[1]zslLevel]{}
		n, l = &x.n, x.l[:]
	case level == 2:
		x := &zslNodeOf[[2]zslLevel]{}
		n, l = &x.n, x.l[:]
	case level == 3:
		x := &zslNodeOf[[3]zslLevel]{}
		n, l = &x.n, x.l[:]
	case level <= 6:
		x := &zslNodeOf[[6]zslLevel]{}
		n, l = &x.n, x.l[:level]
	default:
		x := &zslNodeOf[[zslMaxLevel]zslLevel]{}
		n, l = &x.n, x.l[:level]
	}
	n.lv, n.nlevel = &l[0], int32(level)
	n.score, n.ele = score, ele
	return n
}

// zslRandomLevel is zslRandomLevel: 1 plus a geometric number of extra
// levels with probability zslP each, capped at zslMaxLevel.
func zslRandomLevel() int {
	level := 1
	for float64(rand.Uint32()&0xFFFF) < zslP*0xFFFF {
		level++
	}
	return min(level, zslMaxLevel)
}

// zslLess reports whether node x sorts before (score, ele).
func zslLess(x *zslNode, score float64, ele string) bool {
	return x.score < score || (x.score == score && x.ele < ele)
}

// insert adds a new node; the caller knows ele is absent (zslInsert).
func (zsl *skiplist) insert(score float64, ele string) *zslNode {
	return zsl.insertLevel(zslRandomLevel(), score, ele)
}

func (zsl *skiplist) insertLevel(level int, score float64, ele string) *zslNode {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i != zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := x.levels()[i].forward; f != nil && zslLess(f, score, ele); f = x.levels()[i].forward {
			rank[i] += x.levels()[i].span
			x = f
		}
		update[i] = x
	}
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].levels()[i].span = zsl.length
		}
		zsl.level = level
	}
	x = newZslNode(level, score, ele)
	for i := 0; i < level; i++ {
		x.levels()[i].forward = update[i].levels()[i].forward
		update[i].levels()[i].forward = x
		x.levels()[i].span = update[i].levels()[i].span - (rank[0] - rank[i])
		update[i].levels()[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].levels()[i].span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if f := x.levels()[0].forward; f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
	return x
}

// deleteNode unlinks x given the rightmost node before it on each level
// (zslDeleteNode).
func (zsl *skiplist) deleteNode(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].levels()[i].forward == x {
			update[i].levels()[i].span += x.levels()[i].span - 1
			update[i].levels()[i].forward = x.levels()[i].forward
		} else {
			update[i].levels()[i].span--
		}
	}
	if f := x.levels()[0].forward; f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.levels()[zsl.level-1].forward == nil {
		zsl.level--
	}
	zsl.length--
}

// findUpdate fills update with the last node before (score, ele) on each
// level and returns the level-0 successor of the last one.
func (zsl *skiplist) findUpdate(score float64, ele string, update *[zslMaxLevel]*zslNode) *zslNode {
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && zslLess(f, score, ele); f = x.levels()[i].forward {
			x = f
		}
		update[i] = x
	}
	return x.levels()[0].forward
}

// delete removes the node (score, ele) and reports whether it was there
// (zslDelete).
func (zsl *skiplist) delete(score float64, ele string) bool {
	var update [zslMaxLevel]*zslNode
	x := zsl.findUpdate(score, ele, &update)
	if x != nil && x.score == score && x.ele == ele {
		zsl.deleteNode(x, &update)
		return true
	}
	return false
}

// updateScore moves the node (cur, ele), which must exist, to score
// (zslUpdateScore): in place when it keeps its position, else removed and
// inserted again as a new node (with a new random level), which it
// returns; the caller repoints the dict.
func (zsl *skiplist) updateScore(cur float64, ele string, score float64) (x *zslNode, moved bool) {
	var update [zslMaxLevel]*zslNode
	x = zsl.findUpdate(cur, ele, &update)
	if (x.backward == nil || x.backward.score < score) &&
		(x.levels()[0].forward == nil || x.levels()[0].forward.score > score) {
		x.score = score
		return x, false
	}
	zsl.deleteNode(x, &update)
	return zsl.insert(score, ele), true
}

// first returns the first node, or nil.
func (zsl *skiplist) first() *zslNode { return zsl.header.levels()[0].forward }

// rank returns the 1-based rank of (score, ele), 0 when absent
// (zslGetRank).
func (zsl *skiplist) rank(score float64, ele string) int {
	rank := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && (f.score < score || (f.score == score && f.ele <= ele)); f = x.levels()[i].forward {
			rank += x.levels()[i].span
			x = f
		}
		if x != zsl.header && x.ele == ele {
			return rank
		}
	}
	return 0
}

// byRank returns the node of 1-based rank, or nil (zslGetElementByRank).
func (zsl *skiplist) byRank(rank int) *zslNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.levels()[i].forward != nil && traversed+x.levels()[i].span <= rank {
			traversed += x.levels()[i].span
			x = x.levels()[i].forward
		}
		if traversed == rank {
			return x
		}
	}
	return nil
}

// scoreRange is zrangespec: min and max, each inclusive or exclusive.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

func (r *scoreRange) gteMin(v float64) bool {
	if r.minex {
		return v > r.min
	}
	return v >= r.min
}

func (r *scoreRange) lteMax(v float64) bool {
	if r.maxex {
		return v < r.max
	}
	return v <= r.max
}

// empty reports whether the range can hold nothing.
func (r *scoreRange) empty() bool {
	return r.min > r.max || (r.min == r.max && (r.minex || r.maxex))
}

// lexBound is one end of a lexicographic range: "-" (inf < 0), "+"
// (inf > 0), or a member.
type lexBound struct {
	inf int
	s   string
}

// cmpLex compares a member or bound with a bound as sdscmplex: "-" sorts
// before and "+" after everything, each equal to itself.
func cmpLex(a, b lexBound) int {
	switch {
	case a.inf == b.inf && a.inf != 0:
		return 0
	case a.inf < 0 || b.inf > 0:
		return -1
	case a.inf > 0 || b.inf < 0:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

// lexRange is zlexrangespec.
type lexRange struct {
	min, max     lexBound
	minex, maxex bool
}

func (r *lexRange) gteMin(v string) bool {
	c := cmpLex(lexBound{s: v}, r.min)
	if r.minex {
		return c > 0
	}
	return c >= 0
}

func (r *lexRange) lteMax(v string) bool {
	c := cmpLex(lexBound{s: v}, r.max)
	if r.maxex {
		return c < 0
	}
	return c <= 0
}

func (r *lexRange) empty() bool {
	c := cmpLex(r.min, r.max)
	return c > 0 || (c == 0 && (r.minex || r.maxex))
}

// firstInRange returns the first node with a score in r, or nil
// (zslFirstInRange).
func (zsl *skiplist) firstInRange(r *scoreRange) *zslNode {
	if r.empty() || zsl.tail == nil || !r.gteMin(zsl.tail.score) || !r.lteMax(zsl.first().score) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && !r.gteMin(f.score); f = x.levels()[i].forward {
			x = f
		}
	}
	x = x.levels()[0].forward
	if !r.lteMax(x.score) {
		return nil
	}
	return x
}

// lastInRange returns the last node with a score in r, or nil
// (zslLastInRange).
func (zsl *skiplist) lastInRange(r *scoreRange) *zslNode {
	if r.empty() || zsl.tail == nil || !r.gteMin(zsl.tail.score) || !r.lteMax(zsl.first().score) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && r.lteMax(f.score); f = x.levels()[i].forward {
			x = f
		}
	}
	if !r.gteMin(x.score) {
		return nil
	}
	return x
}

// firstInLex and lastInLex are zslFirstInLexRange and zslLastInLexRange.
func (zsl *skiplist) firstInLex(r *lexRange) *zslNode {
	if r.empty() || zsl.tail == nil || !r.gteMin(zsl.tail.ele) || !r.lteMax(zsl.first().ele) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && !r.gteMin(f.ele); f = x.levels()[i].forward {
			x = f
		}
	}
	x = x.levels()[0].forward
	if !r.lteMax(x.ele) {
		return nil
	}
	return x
}

func (zsl *skiplist) lastInLex(r *lexRange) *zslNode {
	if r.empty() || zsl.tail == nil || !r.gteMin(zsl.tail.ele) || !r.lteMax(zsl.first().ele) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && r.lteMax(f.ele); f = x.levels()[i].forward {
			x = f
		}
	}
	if !r.gteMin(x.ele) {
		return nil
	}
	return x
}

// deleteRank removes the nodes of 1-based ranks start..end, calling fn for
// each (zslDeleteRangeByRank); it returns how many went.
func (zsl *skiplist) deleteRank(start, end int, fn func(*zslNode)) int {
	var update [zslMaxLevel]*zslNode
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.levels()[i].forward != nil && traversed+x.levels()[i].span < start {
			traversed += x.levels()[i].span
			x = x.levels()[i].forward
		}
		update[i] = x
	}
	traversed++
	x = x.levels()[0].forward
	removed := 0
	for x != nil && traversed <= end {
		next := x.levels()[0].forward
		zsl.deleteNode(x, &update)
		fn(x)
		removed++
		traversed++
		x = next
	}
	return removed
}

// deleteWhile removes nodes from the first one for which before is false,
// while in is true (zslDeleteRangeByScore and ByLex).
func (zsl *skiplist) deleteWhile(before, in func(*zslNode) bool, fn func(*zslNode)) int {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.levels()[i].forward; f != nil && before(f); f = x.levels()[i].forward {
			x = f
		}
		update[i] = x
	}
	x = x.levels()[0].forward
	removed := 0
	for x != nil && in(x) {
		next := x.levels()[0].forward
		zsl.deleteNode(x, &update)
		fn(x)
		removed++
		x = next
	}
	return removed
}
