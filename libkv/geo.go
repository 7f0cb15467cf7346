package libkv

import (
	"bytes"
	"github.com/kvkit/kvkit/libkv/config"
	"math"
	"slices"
	"strconv"
	"sync"
)

// The geo commands (Redis 7.0 geo.c): a geo set is a sorted set whose
// scores are 52-bit geohashes (geohash.go); searches scan the score ranges
// of the 9 cells that cover the search area and filter by distance.

var geoCommands = map[string]cmdFunc{
	"geoadd":               cmdGeoadd,
	"geodist":              cmdGeodist,
	"geohash":              cmdGeohash,
	"geopos":               cmdGeopos,
	"georadius":            func(c *Client, args [][]byte) { georadiusGeneric(c, args, 1, geoRadiusCoords) },
	"georadiusbymember":    func(c *Client, args [][]byte) { georadiusGeneric(c, args, 1, geoRadiusMember) },
	"georadius_ro":         func(c *Client, args [][]byte) { georadiusGeneric(c, args, 1, geoRadiusCoords|geoNoStore) },
	"georadiusbymember_ro": func(c *Client, args [][]byte) { georadiusGeneric(c, args, 1, geoRadiusMember|geoNoStore) },
	"geosearch":            func(c *Client, args [][]byte) { georadiusGeneric(c, args, 1, geoSearch) },
	"geosearchstore":       func(c *Client, args [][]byte) { georadiusGeneric(c, args, 2, geoSearch|geoSearchStore) },
}

// georadiusGeneric's variants (geo.c RADIUS_* flags).
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: around a position
	geoRadiusMember             // GEORADIUSBYMEMBER: around a member
	geoNoStore                  // the _RO forms: no STORE/STOREDIST
	geoSearch                   // GEOSEARCH's FROM*/BY* arguments
	geoSearchStore              // GEOSEARCHSTORE: destination first, STOREDIST a flag
)

// zaddName is the command name GEOADD hands ZADD's code.
var zaddName = []byte("zadd")

const errGeoDecodeMember = "ERR could not decode requested zset member"

// geoLongLatArg is extractLongLatOrReply: two floats, in the indexable
// limits, or an error reply.
func (c *Client) geoLongLatArg(args [][]byte) (long, lat float64, ok bool) {
	var xy [2]float64
	for i := range xy {
		if xy[i], ok = parseFloat(args[i]); !ok {
			c.addError(errNotFloat)
			return 0, 0, false
		}
	}
	if xy[0] < geoLongMin || xy[0] > geoLongMax || xy[1] < geoLatMin || xy[1] > geoLatMax {
		c.addError("ERR invalid longitude,latitude pair " + formatF6(xy[0]) + "," + formatF6(xy[1]))
		return 0, 0, false
	}
	return xy[0], xy[1], true
}

// formatF6 is C's "%f" ("inf" and "-inf" for the infinities).
func formatF6(f float64) string {
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoUnitArg is extractUnitOrReply: the unit's size in meters, or 0
// after an error reply.
func (c *Client) geoUnitArg(a []byte) float64 {
	switch {
	case eqFold(a, "m"):
		return 1
	case eqFold(a, "km"):
		return 1000
	case eqFold(a, "ft"):
		return 0.3048
	case eqFold(a, "mi"):
		return 1609.34
	}
	c.addError("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0
}

// geoNumberArg is getDoubleFromObjectOrReply with a custom message.
func (c *Client) geoNumberArg(a []byte, msg string) (float64, bool) {
	f, ok := parseFloat(a)
	if !ok {
		c.addError(msg)
	}
	return f, ok
}

// geoMemberPos is longLatFromMember.
func geoMemberPos(o *Object, member []byte) (long, lat float64, ok bool) {
	score, ok := zsetScore(o, member)
	if !ok {
		return 0, 0, false
	}
	return geoDecodeScore(score)
}

// appendDistance formats a distance as addReplyDoubleDistance: "%.4f".
func appendDistance(dst []byte, d float64) []byte {
	return strconv.AppendFloat(dst, d, 'f', 4, 64)
}

// appendHumanDouble formats a coordinate as Redis's ld2string in
// LD_STR_HUMAN mode: "%.17Lf" without trailing zeros (nor a bare dot).
func appendHumanDouble(dst []byte, f float64) []byte {
	b := strconv.AppendFloat(dst, f, 'f', 17, 64)
	if bytes.IndexByte(b[len(dst):], '.') >= 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b[len(dst):]) == "-0" {
		b = append(b[:len(dst)], '0')
	}
	return b
}

// humanDouble writes a coordinate as addReplyHumanLongDouble: a bulk
// string in RESP2, a double in RESP3, both in the human form.
func (c *Client) humanDouble(f float64) {
	var tmp [48]byte
	b := appendHumanDouble(tmp[:0], f)
	if c.w.Resp3() {
		c.w.Raw([]byte{','})
		c.w.Raw(b)
		c.w.Raw([]byte("\r\n"))
		return
	}
	c.w.Bulk(b)
}

// cmdGeoadd is GEOADD key [NX|XX] [CH] longitude latitude member ...: as
// Redis, it checks every position, then runs ZADD with the scores.
func cmdGeoadd(c *Client, args [][]byte) {
	xx, nx := false, false
	longidx := 2
	for ; longidx < len(args); longidx++ {
		switch a := args[longidx]; {
		case eqFold(a, "nx"):
			nx = true
		case eqFold(a, "xx"):
			xx = true
		case eqFold(a, "ch"):
		default:
			goto parsed
		}
	}
parsed:
	if (len(args)-longidx)%3 != 0 || (xx && nx) {
		c.addError(errSyntax)
		return
	}
	elements := (len(args) - longidx) / 3
	// The ZADD arguments and the scores' digits live on the stack for the
	// usual few members.
	var argsBuf [16][]byte
	var digitsBuf [128]byte
	zargs := argsBuf[:0]
	scores := digitsBuf[:0]
	zargs = append(zargs, zaddName)
	zargs = append(zargs, args[1:longidx]...)
	for i := 0; i < elements; i++ {
		long, lat, ok := c.geoLongLatArg(args[longidx+3*i:])
		if !ok {
			return
		}
		start := len(scores)
		scores = strconv.AppendUint(scores, uint64(geoScore(long, lat)), 10)
		zargs = append(zargs, scores[start:len(scores):len(scores)], args[longidx+3*i+2])
	}
	zaddGeneric(c, zargs, 0)
	// Replicated and written to the AOF as the ZADD it ran, as Redis's
	// geoaddCommand replaces its argv.
	c.propagateAs(zargs...)
}

// cmdGeodist is GEODIST key member1 member2 [unit]: "%.4f" in the unit,
// or a null when a member (or the key) is missing.
func cmdGeodist(c *Client, args [][]byte) {
	toMeter := 1.0
	if len(args) == 5 {
		if toMeter = c.geoUnitArg(args[4]); toMeter == 0 {
			return
		}
	} else if len(args) > 5 {
		c.addError(errSyntax)
		return
	}
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	s1, ok1 := zsetScore(o, args[2])
	s2, ok2 := zsetScore(o, args[3])
	if !ok1 || !ok2 {
		c.w.Null()
		return
	}
	lon1, lat1, ok1 := geoDecodeScore(s1)
	lon2, lat2, ok2 := geoDecodeScore(s2)
	if !ok1 || !ok2 {
		c.w.Null()
		return
	}
	var tmp [48]byte
	c.w.Bulk(appendDistance(tmp[:0], geoDistance(lon1, lat1, lon2, lat2)/toMeter))
}

// geoAlphabet is the standard geohash base32 alphabet.
const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// geohashString is GEOHASH's 11-character standard geohash of a score:
// the position decoded, re-encoded over latitude -90..90 (the standard
// range, where the score uses Mercator's), 10 characters of its 52 bits
// and a final '0'.
func geohashString(score float64) ([11]byte, bool) {
	var buf [11]byte
	long, lat, ok := geoDecodeScore(score)
	if !ok {
		return buf, false
	}
	h, _ := geohashEncode(geoRange{-180, 180}, geoRange{-90, 90}, long, lat, geoStepMax)
	for i := range buf {
		idx := 0
		if i < 10 {
			idx = int(h.bits>>(52-(i+1)*5)) & 0x1f
		}
		buf[i] = geoAlphabet[idx]
	}
	return buf, true
}

// cmdGeohash is GEOHASH key member ...: a null for each missing member.
func cmdGeohash(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		var score float64
		found := false
		if o != nil {
			score, found = zsetScore(o, m)
		}
		if !found {
			c.w.Null()
			continue
		}
		if buf, ok := geohashString(score); ok {
			c.w.Bulk(buf[:])
		} else {
			c.w.Null()
		}
	}
}

// cmdGeopos is GEOPOS key member ...: [longitude, latitude] or a null
// array for each member.
func cmdGeopos(c *Client, args [][]byte) {
	o, ok := c.lookupReadType(args[1], TypeZSet)
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		var long, lat float64
		found := false
		if o != nil {
			long, lat, found = geoMemberPos(o, m)
		}
		if !found {
			c.w.NullArray()
			continue
		}
		c.w.Array(2)
		c.humanDouble(long)
		c.humanDouble(lat)
	}
}

// geoPoint is a search result (geo.c geoPoint). dist is the haversine
// term from geoShape.within (which orders points as their distances do),
// then the exact distance in meters once the reply needs it.
// The point holds no pointer (its member is an index into
// geoResult.members), so that appending and sorting points costs the
// garbage collector nothing.
type geoPoint struct {
	long, lat float64
	dist      float64
	score     float64
	member    int
}

// geoResult is a search's points and their members, reused across
// searches through geoResults.
type geoResult struct {
	pts     []geoPoint
	members []string
	tmp     []geoPoint // geoSortPoints's scratch
}

var geoResults = sync.Pool{New: func() any { return new(geoResult) }}

// release clears the result (dropping its members) and returns it to
// the pool.
func (r *geoResult) release() {
	clear(r.members)
	r.pts, r.members = r.pts[:0], r.members[:0]
	geoResults.Put(r)
}

// geoPointsInRange is geoGetPointsInRange: the members with a score in
// [min, max) inside the shape, appended to ga, stopping once ga holds
// limit points (0: no limit).
func geoPointsInRange(o *Object, min, max float64, sh *geoShape, ga *geoResult, limit int) {
	r := scoreRange{min: min, max: max, maxex: true}
	for it := zsetIterScore(o, &r, false); it.valid(); it.next() {
		score := it.score()
		if !r.lteMax(score) {
			break
		}
		if long, lat, ok := geoDecodeScore(score); ok {
			if d, in := sh.within(long, lat); in {
				ga.pts = append(ga.pts, geoPoint{long: long, lat: lat, dist: d, score: score, member: len(ga.members)})
				ga.members = append(ga.members, it.member())
			}
		}
		if len(ga.pts) > 0 && limit > 0 && len(ga.pts) >= limit {
			break
		}
	}
}

// geoMembersOfAllNeighbors is membersOfAllNeighbors: the 9 cells in
// order, skipping zeroed ones and a cell equal to the last one searched
// (huge radii make neighbours coincide). As in Redis the comparison is
// with the last searched cell other than the centre.
func geoMembersOfAllNeighbors(o *Object, nb *geoNeighbors, sh *geoShape, limit int) *geoResult {
	ga := geoResults.Get().(*geoResult)
	last := 0
	for i, h := range nb {
		if h.isZero() {
			continue
		}
		if last != 0 && h == nb[last] {
			continue
		}
		if len(ga.pts) > 0 && limit > 0 && len(ga.pts) >= limit {
			break
		}
		min := h.align52()
		h.bits++
		max := h.align52()
		geoPointsInRange(o, float64(min), float64(max), sh, ga, limit)
		last = i
	}
	return ga
}

// Sort orders of georadiusGeneric.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// georadiusGeneric is georadiusGeneric for all the search commands;
// srcIdx is the source key's position.
func georadiusGeneric(c *Client, args [][]byte, srcIdx, flags int) {
	s := c.srv
	var storekey []byte
	storedist := false
	zobj, ok := c.lookupReadType(args[srcIdx], TypeZSet)
	if !ok {
		return
	}
	var sh geoShape
	var baseArgs int
	switch {
	case flags&geoRadiusCoords != 0:
		baseArgs = 6
		if sh.long, sh.lat, ok = c.geoLongLatArg(args[2:]); !ok {
			return
		}
		if !c.geoDistanceArg(args[baseArgs-2:], &sh) {
			return
		}
	case flags&geoRadiusMember != 0 && zobj == nil:
		// No source: parse the options all the same, to know the reply.
		baseArgs = 5
	case flags&geoRadiusMember != 0:
		baseArgs = 5
		if sh.long, sh.lat, ok = geoMemberPos(zobj, args[2]); !ok {
			c.addError(errGeoDecodeMember)
			return
		}
		if !c.geoDistanceArg(args[baseArgs-2:], &sh) {
			return
		}
	default:
		baseArgs = 2
		if flags&geoSearchStore != 0 {
			baseArgs = 3
			storekey = args[1]
		}
	}
	withdist, withhash, withcoords := false, false, false
	frommember, fromloc, byradius, bybox := false, false, false, false
	sort := geoSortNone
	anyHit := false
	var count int64
	remaining := len(args) - baseArgs
	for i := 0; i < remaining; i++ {
		a := args[baseArgs+i]
		switch {
		case eqFold(a, "withdist"):
			withdist = true
		case eqFold(a, "withhash"):
			withhash = true
		case eqFold(a, "withcoord"):
			withcoords = true
		case eqFold(a, "any"):
			anyHit = true
		case eqFold(a, "asc"):
			sort = geoSortAsc
		case eqFold(a, "desc"):
			sort = geoSortDesc
		case eqFold(a, "count") && i+1 < remaining:
			if count, ok = c.intArg(args[baseArgs+i+1]); !ok {
				return
			}
			if count <= 0 {
				c.addError("ERR COUNT must be > 0")
				return
			}
			i++
		case (eqFold(a, "store") || eqFold(a, "storedist")) && i+1 < remaining && flags&(geoNoStore|geoSearch) == 0:
			storekey = args[baseArgs+i+1]
			storedist = eqFold(a, "storedist")
			i++
		case eqFold(a, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
			storedist = true
		case eqFold(a, "frommember") && i+1 < remaining && flags&geoSearch != 0 && !fromloc:
			if zobj != nil {
				if sh.long, sh.lat, ok = geoMemberPos(zobj, args[baseArgs+i+1]); !ok {
					c.addError(errGeoDecodeMember)
					return
				}
			}
			frommember = true
			i++
		case eqFold(a, "fromlonlat") && i+2 < remaining && flags&geoSearch != 0 && !frommember:
			if sh.long, sh.lat, ok = c.geoLongLatArg(args[baseArgs+i+1:]); !ok {
				return
			}
			fromloc = true
			i += 2
		case eqFold(a, "byradius") && i+2 < remaining && flags&geoSearch != 0 && !bybox:
			if !c.geoDistanceArg(args[baseArgs+i+1:], &sh) {
				return
			}
			sh.box = false
			byradius = true
			i += 2
		case eqFold(a, "bybox") && i+3 < remaining && flags&geoSearch != 0 && !byradius:
			if !c.geoBoxArg(args[baseArgs+i+1:], &sh) {
				return
			}
			sh.box = true
			bybox = true
			i += 3
		default:
			c.addError(errSyntax)
			return
		}
	}
	if storekey != nil && (withdist || withhash || withcoords) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.addError("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if flags&geoSearch != 0 && !frommember && !fromloc {
		c.addError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	}
	if flags&geoSearch != 0 && !byradius && !bybox {
		c.addError("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	}
	if anyHit && count == 0 {
		c.addError("ERR the ANY argument requires COUNT argument")
		return
	}
	if zobj == nil {
		if storekey != nil {
			if s.deleteKey(c.db, storekey) {
				s.dirty++
				s.notifyKeyspaceEvent(config.NotifyGeneric, "del", storekey, c.db.id)
			}
			c.w.Int(0)
		} else {
			c.w.Array(0)
		}
		return
	}
	// COUNT needs an order to return the closest N; ANY does not.
	if count != 0 && sort == geoSortNone && !anyHit {
		sort = geoSortAsc
	}
	nb := sh.areas()
	sh.prepare()
	limit := 0
	if anyHit {
		limit = int(min(count, int64(^uint(0)>>1)))
	}
	res := geoMembersOfAllNeighbors(zobj, &nb, &sh, limit)
	defer res.release()
	ga := res.pts
	if len(ga) == 0 && storekey == nil {
		c.w.Array(0)
		return
	}
	returned := len(ga)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	// The order is that of the haversine terms from Go's trigonometry:
	// it differs from the exact distances' only between distances within
	// an ulp or two of each other.
	// The haversine terms order the points as their distances do.
	if sort != geoSortNone {
		res.tmp = geoSortPoints(ga, returned, sort == geoSortDesc, &sh, res.tmp)
	}
	ga = ga[:returned]
	if withdist || storedist {
		for i := range ga {
			ga[i].dist = geoDistance(sh.long, sh.lat, ga[i].long, ga[i].lat)
		}
	}
	if storekey == nil {
		opts := 0
		for _, on := range []bool{withdist, withcoords, withhash} {
			if on {
				opts++
			}
		}
		c.w.Array(returned)
		var tmp [48]byte
		for _, gp := range ga {
			if opts > 0 {
				c.w.Array(opts + 1)
			}
			c.w.BulkString(res.members[gp.member])
			if withdist {
				c.w.Bulk(appendDistance(tmp[:0], gp.dist/sh.conversion))
			}
			if withhash {
				c.w.Int(int64(gp.score))
			}
			if withcoords {
				c.w.Array(2)
				c.humanDouble(gp.long)
				c.humanDouble(gp.lat)
			}
		}
		return
	}
	if returned == 0 {
		if s.deleteKey(c.db, storekey) {
			s.dirty++
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", storekey, c.db.id)
		}
		c.w.Int(0)
		return
	}
	dst := newZsetSkiplist()
	maxelelen := 0
	for _, gp := range ga {
		score := gp.score
		if storedist {
			score = gp.dist / sh.conversion
		}
		m := res.members[gp.member]
		maxelelen = max(maxelelen, len(m))
		dst.zs().insert(score, m)
	}
	s.convertToListpackIfNeeded(dst, maxelelen)
	s.setKey(c.db, storekey, dst, false)
	event := "georadiusstore"
	if flags&geoSearch != 0 {
		event = "geosearchstore"
	}
	s.notifyKeyspaceEvent(config.NotifyZset, event, storekey, c.db.id)
	s.dirty += int64(returned)
	c.w.Int(int64(returned))
}

// geoSortPoints sorts ga by dist (descending when desc) as Redis 7.0
// does: glibc's qsort (a merge sort at these sizes: stable) for the whole
// result, or, when COUNT keeps n points of more, its own pqsort, which
// is not stable (equal distances come out in its order).
//
// dist is the haversine term from Go's trigonometry, whose order is that
// of Redis's distances except between two distances within an ulp or
// two; when two terms that decide the order are that close without being
// equal, every point gets its exact distance and the sort is redone.
// tmp is scratch space, returned for reuse.
func geoSortPoints(ga []geoPoint, n int, desc bool, sh *geoShape, tmp []geoPoint) []geoPoint {
	tmp = append(tmp[:0], ga...)
	if geoSort(ga, n, desc) {
		copy(ga, tmp)
		for i := range ga {
			ga[i].dist = geoDistance(sh.long, sh.lat, ga[i].long, ga[i].lat)
		}
		geoSort(ga, n, desc)
	}
	return tmp
}

// geoSort is geoSortPoints's sort on dist; it reports a near tie among
// the first n points or between the nth and the rest.
func geoSort(ga []geoPoint, n int, desc bool) (nearTie bool) {
	cmp := func(a, b *geoPoint) int { // sort_gp_asc, sort_gp_desc
		r := 0
		if a.dist > b.dist {
			r = 1
		} else if a.dist < b.dist {
			r = -1
		}
		if desc {
			return -r
		}
		return r
	}
	if n == len(ga) {
		slices.SortStableFunc(ga, func(a, b geoPoint) int { return cmp(&a, &b) })
	} else {
		geoPqsort(ga, 0, n-1, cmp)
	}
	near := func(a, b float64) bool { return a != b && math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b)) }
	for i := 1; i < n; i++ {
		if near(ga[i-1].dist, ga[i].dist) {
			return true
		}
	}
	for i := n; i < len(ga); i++ {
		if near(ga[n-1].dist, ga[i].dist) {
			return true
		}
	}
	return false
}

// geoDistanceArg is extractDistanceOrReply: radius and unit into sh.
func (c *Client) geoDistanceArg(args [][]byte, sh *geoShape) bool {
	d, ok := c.geoNumberArg(args[0], "ERR need numeric radius")
	if !ok {
		return false
	}
	if d < 0 {
		c.addError("ERR radius cannot be negative")
		return false
	}
	sh.radius = d
	if sh.conversion = c.geoUnitArg(args[1]); sh.conversion == 0 {
		return false
	}
	return true
}

// geoBoxArg is extractBoxOrReply: width, height and unit into sh.
func (c *Client) geoBoxArg(args [][]byte, sh *geoShape) bool {
	w, ok := c.geoNumberArg(args[0], "ERR need numeric width")
	if !ok {
		return false
	}
	h, ok := c.geoNumberArg(args[1], "ERR need numeric height")
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.addError("ERR height or width cannot be negative")
		return false
	}
	sh.width, sh.height = w, h
	if sh.conversion = c.geoUnitArg(args[2]); sh.conversion == 0 {
		return false
	}
	return true
}
